"""Generic key commands: DEL, EXISTS, TYPE, expiry, KEYS, SCAN, RENAME ..."""

from __future__ import annotations

from ..connection import Client
from ..registry import command


@command("del", arity=-2, flags="write", keys=(1, -1, 1), group="keyspace")
def del_(client: Client, argv: list[bytes]) -> object:
    """Delete keys."""
    keyspace = client.keyspace
    return sum(keyspace.delete(key) for key in argv[1:])


@command("exists", arity=-2, flags="readonly fast", keys=(1, -1, 1), group="keyspace")
def exists(client: Client, argv: list[bytes]) -> object:
    """Count how many of the given keys exist."""
    keyspace = client.keyspace
    return sum(keyspace.exists(key) for key in argv[1:])
