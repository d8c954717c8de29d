"""MULTI / EXEC / DISCARD / WATCH / UNWATCH.

After MULTI the dispatcher (:meth:`Client.execute`) queues each command it would have run,
answering ``+QUEUED``, and marks the transaction failed when it refuses one (unknown command,
arity, a write on a read-only slave...). EXEC runs the queue back to back in one call, so
nothing else runs in between; each command logs its own binlog records as it would alone.
Which keys are watched, and what broke a watch, is :mod:`pypika_store.server.watches`' job.
"""

from __future__ import annotations

from pypika_store.errors import CommandError

from ..connection import MASTER, Client
from ..registry import WRITE, CommandSpec, command
from ..resp.replies import NULL_ARRAY, OK, Raw

_EXEC_ABORTED = "EXECABORT Transaction discarded because of previous errors."
#: Redis 7.0 refuses EXEC itself when its queue writes and the node became a read-only slave.
_EXEC_READONLY = ("EXECABORT Transaction discarded because of: "
                  "READONLY You can't write against a read only replica.")


class Transaction:
    """A MULTI in progress: the commands queued, and whether queueing one of them failed."""

    __slots__ = ("queued", "failed")

    def __init__(self) -> None:
        self.queued: list[tuple[CommandSpec, list[bytes]]] = []
        self.failed = False


@command("multi", arity=1, flags="noscript loading stale fast allow_busy", group="transactions")
def multi(client: Client, argv: list[bytes]) -> object:
    """Start a transaction block."""
    if client.transaction is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    client.transaction = Transaction()
    return OK


@command("discard", arity=1, flags="noscript loading stale fast allow_busy", group="transactions")
def discard(client: Client, argv: list[bytes]) -> object:
    """Discard all commands issued after MULTI."""
    if client.transaction is None:
        raise CommandError("ERR DISCARD without MULTI")
    client.end_transaction()
    return OK


@command("exec", arity=1, flags="noscript loading stale skip_slowlog", group="transactions")
def exec_(client: Client, argv: list[bytes]) -> object:
    """Execute all commands issued after MULTI."""
    transaction = client.transaction
    if transaction is None:
        raise CommandError("ERR EXEC without MULTI")
    broken = client.server.watches.broken(client)
    client.end_transaction()
    if _writes_on_read_only_slave(client, transaction):
        raise CommandError(_EXEC_READONLY)
    if transaction.failed:
        raise CommandError(_EXEC_ABORTED)
    if broken:
        return NULL_ARRAY
    return Raw(b"*%d\r\n" % len(transaction.queued) + _run(client, transaction))


def _writes_on_read_only_slave(client: Client, transaction: Transaction) -> bool:
    """True when the queue holds a write and the node turned read-only slave since MULTI."""
    return (client.server.replica is not None and client.kind != MASTER
            and any(WRITE in spec.flags for spec, _argv in transaction.queued))


def _run(client: Client, transaction: Transaction) -> bytes:
    """The queued commands' replies, run back to back; blocking commands answer at once."""
    client.in_transaction = True
    try:
        return b"".join([client.call(spec, queued_argv) for spec, queued_argv in transaction.queued])
    finally:
        client.in_transaction = False


@command("watch", arity=-2, flags="noscript loading stale fast allow_busy", keys=(1, -1, 1),
         group="transactions")
def watch(client: Client, argv: list[bytes]) -> object:
    """Monitor changes to keys to conditionally execute a transaction."""
    if client.transaction is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    client.server.watches.watch(client, client.keyspace, argv[1:])
    return OK


@command("unwatch", arity=1, flags="noscript loading stale fast allow_busy", group="transactions")
def unwatch(client: Client, argv: list[bytes]) -> object:
    """Forget about all watched keys."""
    client.server.watches.unwatch(client)
    return OK
