"""Server commands: FLUSHDB, FLUSHALL, DBSIZE, SHUTDOWN, INFO, TIME, DEBUG."""

from __future__ import annotations

import time

from pypika_store.errors import CommandError, SyntaxErrorReply

from pypika_store.digest import dataset_digest, value_digest

from ..connection import Client
from ..info import render
from ..registry import command
from ..resp.replies import NO_REPLY, OK, Status


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
    return NO_REPLY


@command("info", arity=-1, flags="loading stale", group="server")
def info(client: Client, argv: list[bytes]) -> object:
    """Get information and statistics about the server."""
    return render(client.server, [arg.decode("utf-8", "replace") for arg in argv[1:]])


@command("time", arity=1, flags="loading stale fast", group="server")
def time_(client: Client, argv: list[bytes]) -> object:
    """Return the current server time (seconds and microseconds)."""
    now_us = time.time_ns() // 1000
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


_DEBUG_HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content (Redis' algorithm).",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Print this help.",
]


@command("debug", arity=-2, flags="admin noscript loading stale", group="server")
def debug(client: Client, argv: list[bytes]) -> object:
    """A container for debugging commands (DIGEST, DIGEST-VALUE, SLEEP)."""
    sub = argv[1].upper()
    if sub == b"HELP" and len(argv) == 2:
        return [Status(line) for line in _DEBUG_HELP]
    if sub == b"DIGEST" and len(argv) == 2:
        return Status(dataset_digest(client.server.engine.keyspaces).hex())
    if sub == b"DIGEST-VALUE":
        keyspace = client.keyspace
        digests = []
        for key in argv[2:]:
            record = keyspace.get_record(key)
            digests.append(Status((bytes(20) if record is None else value_digest(keyspace, key, record)).hex()))
        return digests
    if sub == b"SLEEP" and len(argv) == 3:
        try:
            seconds = float(argv[2])
        except ValueError:
            seconds = 0.0
        time.sleep(max(seconds, 0.0))  # blocks the whole server, as Redis' DEBUG SLEEP does
        return OK
    raise CommandError(f"ERR Unknown subcommand or wrong number of arguments for "
                       f"'{argv[1].decode('utf-8', 'replace')}'. Try DEBUG HELP.")
