"""Server commands: FLUSHDB, FLUSHALL, DBSIZE, SHUTDOWN, INFO, TIME, DEBUG."""

from __future__ import annotations

import time

from pypika_store.digest import dataset_digest, value_digest
from pypika_store.errors import NoShutdownInProgressError, SyntaxErrorReply, subcommand_syntax_error

from ..arguments import Arguments
from ..connection import Client
from ..info import render
from ..registry import command, container, help_reply
from ..resp.replies import NO_REPLY, OK, Status


def _flush_mode(argv: list[bytes]) -> None:
    """FLUSHDB/FLUSHALL accept ASYNC or SYNC; both empty the DB before replying here."""
    args = Arguments(argv, 1)
    args.one_of(b"ASYNC", b"SYNC")
    args.expect_end()


@command("flushdb", arity=-1, flags="write", group="server", acl="keyspace dangerous")
def flushdb(client: Client, argv: list[bytes]) -> object:
    """Remove all keys from the current database."""
    _flush_mode(argv)
    client.keyspace.flush()
    return OK


@command("flushall", arity=-1, flags="write", group="server", acl="keyspace dangerous")
def flushall(client: Client, argv: list[bytes]) -> object:
    """Remove all keys from all databases."""
    _flush_mode(argv)
    for keyspace in client.server.engine.keyspaces:
        keyspace.flush()
    return OK


@command("dbsize", arity=1, flags="readonly fast", group="server", acl="keyspace")
def dbsize(client: Client, argv: list[bytes]) -> object:
    """Return the number of keys in the selected database."""
    return client.keyspace.size()


@command("shutdown", arity=-1, flags="admin noscript loading stale no_multi", group="server")
def shutdown(client: Client, argv: list[bytes]) -> object:
    """Synchronously save the dataset to disk and then shut down the server.

    Every write is already in LMDB, so SAVE and NOSAVE both stop cleanly with nothing lost;
    NOW, FORCE and ABORT are accepted as Redis 7 accepts them.
    """
    args = Arguments(argv, 1)
    options = set()
    while args:
        option = args.one_of(b"SAVE", b"NOSAVE", b"NOW", b"FORCE", b"ABORT")
        if option is None:
            raise SyntaxErrorReply()
        options.add(option)
    if b"ABORT" in options:
        raise NoShutdownInProgressError()
    client.server.request_shutdown()
    return NO_REPLY


@command("info", arity=-1, flags="loading stale", group="server", acl="dangerous")
def info(client: Client, argv: list[bytes]) -> object:
    """Get information and statistics about the server."""
    return render(client.server, [arg.decode("utf-8", "replace") for arg in argv[1:]])


@command("time", arity=1, flags="loading stale fast", group="server")
def time_(client: Client, argv: list[bytes]) -> object:
    """Return the current server time (seconds and microseconds)."""
    now_us = time.time_ns() // 1000
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


container("debug", arity=-2, flags="admin noscript loading stale", group="server",
          summary="A container for debugging commands (DIGEST, DIGEST-VALUE, SLEEP).",
          lists_subcommands=False, subcommand_error=subcommand_syntax_error)

_DEBUG_FLAGS = "admin noscript loading stale"


@command("debug|digest", arity=2, flags=_DEBUG_FLAGS, group="server", help=(
    "DIGEST",
    "    Output a hex signature representing the current DB content (Redis' algorithm).",
))
def debug_digest(client: Client, argv: list[bytes]) -> object:
    """The digest of the whole dataset, as redis-server computes it for the same data."""
    return Status(dataset_digest(client.server.engine.keyspaces).hex())


@command("debug|digest-value", arity=-2, flags=_DEBUG_FLAGS, group="server", help=(
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
))
def debug_digest_value(client: Client, argv: list[bytes]) -> object:
    """The digest of each key's value (zeros for a missing key)."""
    keyspace = client.keyspace
    digests = []
    for key in argv[2:]:
        record = keyspace.get_record(key)
        digests.append(Status((bytes(20) if record is None else value_digest(keyspace, key, record)).hex()))
    return digests


@command("debug|sleep", arity=3, flags=_DEBUG_FLAGS, group="server",
         help=("SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed."))
def debug_sleep(client: Client, argv: list[bytes]) -> object:
    """Block the whole server for a while, as Redis' DEBUG SLEEP does (a bad number is 0)."""
    try:
        seconds = float(argv[2])
    except ValueError:
        seconds = 0.0
    time.sleep(max(seconds, 0.0))
    return OK


@command("debug|help", arity=2, flags=_DEBUG_FLAGS, group="server", help=("HELP", "    Print this help."))
def debug_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
