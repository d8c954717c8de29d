"""Server commands: FLUSHDB, FLUSHALL, DBSIZE, SHUTDOWN, TIME, DEBUG ..."""

from __future__ import annotations

from pypika_store.errors import CommandError, SyntaxErrorReply

from ..connection import Client
from ..registry import command
from ..resp.replies import OK


def _flush_mode(argv: list[bytes]) -> None:
    """FLUSHDB/FLUSHALL accept ASYNC or SYNC; both empty the DB before replying here."""
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise SyntaxErrorReply()


@command("flushdb", arity=-1, flags="write", group="server")
def flushdb(client: Client, argv: list[bytes]) -> object:
    """Remove all keys from the current database."""
    _flush_mode(argv)
    client.keyspace.flush()
    return OK


@command("flushall", arity=-1, flags="write", group="server")
def flushall(client: Client, argv: list[bytes]) -> object:
    """Remove all keys from all databases."""
    _flush_mode(argv)
    for keyspace in client.server.engine.keyspaces:
        keyspace.flush()
    return OK


@command("dbsize", arity=1, flags="readonly fast", group="server")
def dbsize(client: Client, argv: list[bytes]) -> object:
    """Return the number of keys in the selected database."""
    return client.keyspace.size()


@command("shutdown", arity=-1, flags="admin noscript loading stale no_multi", group="server")
def shutdown(client: Client, argv: list[bytes]) -> object:
    """Synchronously save the dataset to disk and then shut down the server.

    Every write is already in LMDB, so SAVE and NOSAVE both stop cleanly with nothing lost;
    NOW, FORCE and ABORT are accepted as Redis 7 accepts them.
    """
    for arg in argv[1:]:
        if arg.upper() not in (b"SAVE", b"NOSAVE", b"NOW", b"FORCE", b"ABORT"):
            raise SyntaxErrorReply()
    if any(arg.upper() == b"ABORT" for arg in argv[1:]):
        raise CommandError("ERR No shutdown in progress.")
    client.server.request_shutdown()
    return None
