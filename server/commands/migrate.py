"""MIGRATE: keys moved to another server as DUMP payloads sent with RESTORE, as Redis 7.0 moves
them (src/cluster.c, migrateCommand), without stopping the server while the target answers.

The client is parked (as SLOTSMGRT*'s are) while one coroutine connects through the connection
cache SLOTSMGRT* use (:mod:`..slot_migration`), sends AUTH, SELECT and one RESTORE per key
pipelined, and reads the replies; other clients are served meanwhile. Redis sends RESTORE-ASKING
only in cluster mode, which this server has not, so RESTORE it is. Each key the target
acknowledged is deleted here (unless COPY) through the keyspace, so the delete is logged as DEL
and slaves and a crash replay follow; a key another client changed while its RESTORE was in
flight is kept (Redis, blocked meanwhile, cannot meet the case).

Where waiting is impossible (MULTI, a script) a MIGRATE with keys to move is refused; one to
this very server's DB answers at once what Redis answers after waiting for itself.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from pypika_store.errors import (
    CommandError,
    MigrateConnectingError,
    MigrateKeysNeedEmptyKeyError,
    MigrateReadingError,
    MigrateWaitsError,
    MigrateWritingError,
    SyntaxErrorReply,
    migrate_target_error,
)
from pypika_store.engine import Engine
from pypika_store.keyspace import Keyspace

from ..arguments import INT64_MAX, INT64_MIN, Arguments, c_string, parse_int
from ..blocking import Block
from ..connection import Client
from ..registry import KeyAndFlags, after_keyword, command, key_at
from ..resp.replies import OK, Status
from ..slot_migration import (
    SlotService,
    TargetConnectFailed,
    TargetConnection,
    TargetReceiveFailed,
    TargetReply,
    TargetSendFailed,
)
from .serialization import dump_value

#: Redis' timeout when the command gives 0 or less (milliseconds).
DEFAULT_TIMEOUT_MS = 1000
#: The key-spec flags of every key MIGRATE names.
_KEY_FLAGS = ("RW", "access", "delete")
#: The arguments the options before KEYS take (migrateGetKeys skips them looking for KEYS).
_OPTION_ARGUMENTS = {b"AUTH": 1, b"AUTH2": 2}
#: What C's atoi reads: leading blanks, a sign, digits.
_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def _atoi(arg: bytes) -> int:
    """The port as Redis reads it: C's atoi (no check, 0 without a number, a C int's
    wrap-around), then the resolver's numeric service (a negative one refused, which makes
    the connection fail; others cut to 16 bits, so ``73238`` is port 7702, as for Redis)."""
    match = _ATOI.match(arg)
    value = max(min(int(match.group(1)), INT64_MAX), INT64_MIN) if match else 0
    as_c_int = (value + 2**31) % 2**32 - 2**31
    return as_c_int if as_c_int < 0 else as_c_int & 0xFFFF


@dataclass
class _Migration:
    """One MIGRATE call, parsed in Redis' order: the options (syntax errors first), then the
    timeout and the DB."""

    host: str
    port: int
    db: int
    timeout: float
    keys: list[bytes]
    copy: bool = False
    replace: bool = False
    username: bytes | None = None
    password: bytes | None = None

    @classmethod
    def parse(cls, argv: list[bytes]) -> "_Migration":
        copy = replace = False
        username = password = None
        keys = [argv[3]]
        args = Arguments(argv, 6)
        while args:
            option = args.keyword()
            if option == b"COPY":
                copy = True
            elif option == b"REPLACE":
                replace = True
            elif option == b"AUTH":
                password = args.take()
            elif option == b"AUTH2":
                username, password = args.take(), args.take()
            elif option == b"KEYS":
                if argv[3]:
                    raise MigrateKeysNeedEmptyKeyError()
                keys = args.rest()
            else:
                raise SyntaxErrorReply()
        timeout_ms = parse_int(argv[5])
        db = parse_int(argv[4])
        timeout = (timeout_ms if timeout_ms > 0 else DEFAULT_TIMEOUT_MS) / 1000
        return cls(argv[1].decode("utf-8", "replace"), _atoi(argv[2]), db, timeout, keys, copy, replace,
                   username, password)

    def preamble(self, target: TargetConnection) -> list[list[bytes]]:
        """AUTH when the call gives a password, SELECT when the connection is not on the DB."""
        commands = []
        if self.password is not None:
            commands.append([b"AUTH", *([self.username] if self.username is not None else []), self.password])
        if target.db != self.db:
            commands.append([b"SELECT", b"%d" % self.db])
        return commands


@dataclass(frozen=True)
class _Sent:
    """A key as its RESTORE carried it, to tell whether it changed before it is deleted."""

    key: bytes
    payload: bytes
    expire_at_ms: int


class _Retry(Exception):
    """A failure on which Redis reconnects and tries once more (a cached connection the target
    closed): ``error`` is the answer when it fails again."""

    def __init__(self, error: CommandError) -> None:
        super().__init__(error.message)
        self.error = error


def _failed(error: CommandError, timed_out: bool) -> Exception:
    """What a broken connection raises: ``error`` when time ran out, else a retry (Redis tries
    once more on a new connection)."""
    return error if timed_out else _Retry(error)


def _migrate_keys(argv: list[bytes]) -> list[KeyAndFlags] | None:
    """MIGRATE's keys as Redis finds them: the key argument, unless its incomplete KEYS spec
    finds its keyword (looking back from the argument before the last), and then
    migrateGetKeys' answer: every argument after the first KEYS it meets from the options on
    (AUTH's and AUTH2's own arguments skipped), none when KEYS comes with a key argument."""
    if all(c_string(arg).upper() != b"KEYS" for arg in argv[1:-1]):
        return [(argv[3], _KEY_FLAGS)]
    first, last = 3, 4
    position = 6
    while position < len(argv):
        option = c_string(argv[position]).upper()
        if option == b"KEYS":
            if argv[3]:
                return None
            first, last = position + 1, len(argv)
            break
        position += 1 + _OPTION_ARGUMENTS.get(option, 0)
    return [(key, _KEY_FLAGS) for key in argv[first:last]]


@command("migrate", arity=-6, flags="write", group="keyspace", acl="dangerous", getkeys=_migrate_keys,
         keys=(key_at(3, "RW access delete"), after_keyword("KEYS", "RW access delete incomplete", startfrom=-2)),
         since="2.6.0",
         syntax='host port:integer key_or_empty_string:<key | empty_string:""> destination-db:integer '
                'timeout:integer [COPY] [REPLACE] '
                'authentication:[[AUTH password] | [AUTH2 username_password:<username password>]] '
                '[KEYS key [key ...]]')
def migrate(client: Client, argv: list[bytes]) -> object:
    """Atomically transfer a key from a Redis instance to another one."""
    migration = _Migration.parse(argv)
    keyspace = client.keyspace
    migration.keys = [key for key in migration.keys if keyspace.exists(key)]
    if not migration.keys:
        return Status("NOKEY")
    if client.in_transaction:
        raise MigrateWaitsError()
    server = client.server
    if migration.db == client.db and server.slots.is_this_server(migration.host, migration.port):
        raise MigrateReadingError()  # Redis waits for its own reply until the timeout and moves nothing
    migrating = asyncio.ensure_future(_run(server.slots, server.engine, client.db, migration))
    server.slots.answer_later(client, migrating)
    return Block([], 0, None)


async def _run(service: SlotService, engine: Engine, db: int, migration: _Migration) -> object:
    """The migration, under the migration lock (no two share a connection); once more on a
    fresh connection when the first try fails as Redis would retry."""
    async with service.migrating:
        try:
            return await _attempt(service, engine, db, migration)
        except _Retry:
            pass
        try:
            return await _attempt(service, engine, db, migration)
        except _Retry as retry:
            raise retry.error from None


async def _attempt(service: SlotService, engine: Engine, db: int, migration: _Migration) -> object:
    """Send the keys as they are now and settle the replies: +OK, or the first error."""
    host, port = migration.host, migration.port
    try:
        target = await service.target(host, port, migration.timeout)
    except TargetConnectFailed as failure:
        raise MigrateWritingError() if failure.refused else MigrateConnectingError() from failure
    preamble = migration.preamble(target)
    keyspace = engine.keyspaces[db]
    sent, restores = _restores(keyspace, engine.now_ms(), migration)
    broken: TargetReceiveFailed | None = None
    try:
        replies = await target.exchange(preamble + restores, migration.timeout)
    except TargetSendFailed as failure:
        service.drop_target(host, port)
        raise _failed(MigrateWritingError(), failure.timed_out) from None
    except TargetReceiveFailed as failure:
        service.drop_target(host, port)
        broken, replies = failure, failure.replies
    answered = replies[len(preamble):]
    if broken is not None and not answered:  # no RESTORE was answered
        raise _failed(MigrateReadingError(), broken.timed_out)
    error = _settle(keyspace, migration, replies[:len(preamble)], list(zip(sent, answered)))
    engine.log_changes()
    if error is not None:
        target.db = None
        raise migrate_target_error(error.text)
    if broken is not None:
        raise MigrateReadingError()
    target.db = migration.db
    return OK


def _restores(keyspace: Keyspace, now: int, migration: _Migration) -> tuple[list[_Sent], list[list[bytes]]]:
    """The RESTORE of each key still here (one may have expired or gone since the call), with
    the TTL left at ``now``, at least 1 ms, as Redis sends it."""
    sent, commands = [], []
    for key in migration.keys:
        record = keyspace.get_record(key)
        if record is None:
            continue
        payload = dump_value(keyspace, record)
        ttl = max(record.expire_at_ms - now, 1) if record.expire_at_ms else 0
        sent.append(_Sent(key, payload, record.expire_at_ms))
        commands.append([b"RESTORE", key, b"%d" % ttl, payload, *([b"REPLACE"] if migration.replace else [])])
    return sent, commands


def _settle(keyspace: Keyspace, migration: _Migration, preamble: list[TargetReply],
            restored: list[tuple[_Sent, TargetReply]]) -> TargetReply | None:
    """Delete (unless COPY) each key the target restored; the first error the target gave
    (AUTH's, then SELECT's, then a RESTORE's: after a failed AUTH or SELECT nothing counts as
    restored)."""
    refused = next((reply for reply in preamble if reply.is_error), None)
    first_error = refused
    for sent, reply in restored:
        if reply.is_error:
            first_error = first_error or reply
        elif refused is None and not migration.copy and _unchanged(keyspace, sent):
            keyspace.delete(sent.key)
    return first_error


def _unchanged(keyspace: Keyspace, sent: _Sent) -> bool:
    """Whether the key still holds what its RESTORE carried (another client may have written
    it while the reply was awaited)."""
    record = keyspace.get_record(sent.key)
    return record is not None and record.expire_at_ms == sent.expire_at_ms and \
        dump_value(keyspace, record) == sent.payload
