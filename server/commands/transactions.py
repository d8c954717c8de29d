"""MULTI / EXEC / DISCARD / WATCH / UNWATCH, and the rules of a transaction in progress.

After MULTI the dispatcher hands every command it admits to :func:`queue`, which answers
``+QUEUED`` (or refuses a ``no_multi`` command) instead of running it; every refusal goes
through :func:`refuse`, which marks the transaction failed, so EXEC aborts. EXEC runs the
queue back to back in one call, so nothing else runs in between; each command logs its own
binlog records as it would alone. Which keys are watched, and what broke a watch, is
:mod:`pypika_store.server.watches`' job.
"""

from __future__ import annotations

from pypika_store.errors import (
    ACL_EXEC_REASONS,
    CommandError,
    ExecAbortedError,
    NestedMultiError,
    NotAllowedInMultiError,
    ReadOnlyReplicaError,
    WatchInMultiError,
    acl_changed_in_transaction,
    exec_refused,
    without_multi,
)

from ..acl import MULTI
from ..connection import MASTER, Client
from ..registry import NO_MULTI, WRITE, CommandSpec, after_index, command
from ..resp.replies import NULL_ARRAY, OK, Raw, error_line

_QUEUED = Raw(b"+QUEUED\r\n")
#: Commands MULTI runs at once instead of queueing them.
_TRANSACTION_CONTROL = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))
_NOT_ALLOWED_IN_MULTI = NotAllowedInMultiError()


class Transaction:
    """A MULTI in progress: the commands queued, and whether queueing one of them failed."""

    __slots__ = ("queued", "failed")

    def __init__(self) -> None:
        self.queued: list[tuple[CommandSpec, list[bytes]]] = []
        self.failed = False


def queue(client: Client, transaction: Transaction, spec: CommandSpec, argv: list[bytes]) -> bytes | None:
    """What the client's MULTI, ``transaction``, makes of an admitted command instead of
    running it: ``+QUEUED``, or a refusal; None for the commands that run at once (EXEC,
    DISCARD...)."""
    if NO_MULTI in spec.flags:
        return refuse(client, _NOT_ALLOWED_IN_MULTI)
    if spec.full_name in _TRANSACTION_CONTROL:
        return None
    transaction.queued.append((spec, argv))
    return _QUEUED


def refuse(client: Client, error: CommandError, spec: CommandSpec | None = None) -> bytes:
    """The reply to a command refused before it ran. In MULTI that makes EXEC abort; EXEC
    refused (``spec``, when the refusal may concern EXEC) ends the transaction and gives the
    reason (Redis' execCommandAbort), in or out of MULTI."""
    if spec is not None:
        client.server.stats.record_rejection(spec.full_name)
    if spec is not None and spec.full_name == "exec":
        end_transaction(client)
        error = exec_refused(error)
    elif client.transaction is not None:
        client.transaction.failed = True
    client.server.stats.error_replied(error.message)
    return error_line(error.message)


def end_transaction(client: Client) -> None:
    """Leave MULTI, if in it, and forget the watched keys (EXEC, DISCARD, EXEC refused)."""
    client.transaction = None
    client.server.watches.unwatch(client)


@command("multi", arity=1, flags="noscript loading stale fast allow_busy", group="transactions")
def multi(client: Client, argv: list[bytes]) -> object:
    """Start a transaction block."""
    if client.transaction is not None:
        raise NestedMultiError()
    client.transaction = Transaction()
    return OK


@command("discard", arity=1, flags="noscript loading stale fast allow_busy", group="transactions")
def discard(client: Client, argv: list[bytes]) -> object:
    """Discard all commands issued after MULTI."""
    if client.transaction is None:
        raise without_multi("DISCARD")
    end_transaction(client)
    return OK


@command("exec", arity=1, flags="noscript loading stale skip_slowlog", group="transactions")
def exec_(client: Client, argv: list[bytes]) -> object:
    """Execute all commands issued after MULTI."""
    transaction = client.transaction
    if transaction is None:
        raise without_multi("EXEC")
    broken = client.server.watches.broken(client)
    end_transaction(client)
    if _writes_on_read_only_slave(client, transaction):
        raise exec_refused(ReadOnlyReplicaError())  # Redis 7.0 refuses EXEC itself then
    if transaction.failed:
        raise ExecAbortedError()
    if broken:
        return NULL_ARRAY
    return Raw(b"*%d\r\n" % len(transaction.queued) + _run(client, transaction))


def _writes_on_read_only_slave(client: Client, transaction: Transaction) -> bool:
    """True when the queue holds a write and the node turned read-only slave since MULTI."""
    return (client.server.replica is not None and client.kind != MASTER
            and any(WRITE in spec.flags for spec, _argv in transaction.queued))


def _run(client: Client, transaction: Transaction) -> bytes:
    """The queued commands' replies, run back to back; blocking commands answer at once. A
    command the client's user may no longer run (its ACL changed since it was queued) gets
    Redis' NOPERM in its place."""
    dispatcher = client.server.dispatcher
    call, access = dispatcher.call, dispatcher.acl
    client.in_transaction = True
    replies = []
    try:
        for spec, queued_argv in transaction.queued:
            reason = None if client.user.unrestricted else access.denial(client, spec, queued_argv, MULTI)
            if reason is None:
                replies.append(call(client, spec, queued_argv))
            else:
                replies.append(error_line(acl_changed_in_transaction(ACL_EXEC_REASONS[reason]).message))
        return b"".join(replies)
    finally:
        client.in_transaction = False


@command("watch", arity=-2, flags="noscript loading stale fast allow_busy", keys=(after_index(1, "RO"),),
         group="transactions", syntax="key [key ...]")
def watch(client: Client, argv: list[bytes]) -> object:
    """Monitor changes to keys to conditionally execute a transaction."""
    if client.transaction is not None:
        raise WatchInMultiError()
    client.server.watches.watch(client, client.keyspace, argv[1:])
    return OK


@command("unwatch", arity=1, flags="noscript loading stale fast allow_busy", group="transactions")
def unwatch(client: Client, argv: list[bytes]) -> object:
    """Forget about all watched keys."""
    client.server.watches.unwatch(client)
    return OK
