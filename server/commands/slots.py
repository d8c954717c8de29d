"""Codis' slot commands as Pika 4.0 serves them (src/pika_slot_command.cc): SLOTSHASHKEY,
SLOTSINFO, SLOTSSCAN, SLOTSDEL, SLOTSMGRTSLOT / SLOTSMGRTTAGSLOT, SLOTSMGRTONE /
SLOTSMGRTTAGONE, SLOTSRELOAD(OFF), SLOTSCLEANUP(OFF).

The slot index and the migrations are :mod:`pypika_store.slots` and
:mod:`..slot_migration`; these functions parse, check Pika's rules and build Pika's replies.
A migration parks the client (as WAIT does) and answers when the target acknowledged.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from pypika_store.errors import (
    AsyncMigrateBusyError,
    AsyncMigrateOffError,
    MigrateInTransactionError,
    MigrateToSelfError,
    NotIntegerError,
    SlotMigrateOffError,
    SyntaxErrorReply,
    WrongArityError,
    invalid_port_number,
    invalid_slot_begin,
    invalid_slot_count,
    invalid_slot_number,
    invalid_timeout_number,
)
from pypika_store.slots import SLOT_COUNT, SlotIndex, hash_tag, slot_of

from ..arguments import Arguments, key_matcher, parse_int
from ..blocking import Block
from ..slot_migration import AsyncMigration, Walk
from ..connection import Client
from ..registry import command
from ..resp.replies import OK, Status

#: Pika's timeout when the command gives 0 (milliseconds).
DEFAULT_TIMEOUT_MS = 100
#: SLOTSSCAN's default COUNT (Pika's SlotsScanCmd).
DEFAULT_SCAN_COUNT = 10


def _strict_int(arg: bytes) -> int | None:
    try:
        return parse_int(arg)
    except NotIntegerError:
        return None


def _index(client: Client) -> SlotIndex:
    """The client's DB's slot index: the live one, or (slotmigrate off) a reader of what the
    table holds, as Pika reads its slot keys whatever the setting."""
    keyspace = client.keyspace
    engine = client.server.engine
    return keyspace.slot_index or SlotIndex(engine.turn, engine.env.slots, keyspace.index)


def _slot_arg(arg: bytes) -> int:
    slot = parse_int(arg)
    if not 0 <= slot < SLOT_COUNT:
        raise invalid_slot_number(slot)
    return slot


def _check_not_self(client: Client, host: str, port: int) -> None:
    """Pika's "destination address error": a migration to this very server."""
    if client.server.slots.is_this_server(host, port):
        raise MigrateToSelfError()


class _Target:
    """``host port timeout`` of SLOTSMGRT*, checked in Pika's order (DoInitial)."""

    def __init__(self, client: Client, argv: list[bytes]) -> None:
        self.host = argv[1].decode("utf-8", "replace").lower()
        port = _strict_int(argv[2])
        if port is None or not 0 <= port <= 65535:
            raise invalid_port_number(port or 0)
        _check_not_self(client, self.host, port)
        self.port = port
        timeout_ms = parse_int(argv[3])
        if timeout_ms < 0:
            raise invalid_timeout_number(timeout_ms)
        self.timeout = (timeout_ms or DEFAULT_TIMEOUT_MS) / 1000


def _start_migration(client: Client, target: _Target, keys: list[bytes],
                     reply: Callable[[int], object]) -> Block:
    """Move ``keys`` to the target under the migration lock; park the client until
    ``reply(moved)`` can be sent."""
    service = client.server.slots
    db = client.db

    async def run() -> object:
        async with service.migrating:
            moved = await service.migrate(db, target.host, target.port, target.timeout, keys)
        return reply(moved)

    service.answer_later(client, asyncio.ensure_future(run()))
    return Block([], 0, None)


def _check_migration(client: Client) -> None:
    if not client.server.slots.enabled:
        raise SlotMigrateOffError()
    if client.in_transaction:
        raise MigrateInTransactionError()


def _stop(job: Walk | AsyncMigration | None) -> object:
    """The ...OFF and CANCEL commands: stop the background job if there is one; OK."""
    if job is not None:
        job.stop()
    return OK


@command("slotshashkey", arity=-2, flags="readonly admin", group="server", syntax="key:string [key ...]")
def slotshashkey(client: Client, argv: list[bytes]) -> object:
    """Codis: the slot of each key (crc32 of its {tag} or whole name, modulo 1024)."""
    return [slot_of(key) for key in argv[1:]]


@command("slotsinfo", arity=-1, flags="readonly admin", group="server",
         syntax="start_count:[start:integer [count:integer]]")
def slotsinfo(client: Client, argv: list[bytes]) -> object:
    """Codis: [slot, keys] for each slot in [start, start+count) that holds keys."""
    if len(argv) >= 4:
        raise WrongArityError("slotsinfo")
    begin, end = 0, SLOT_COUNT
    if len(argv) >= 2:
        begin = parse_int(argv[1])
        if not 0 <= begin < end:
            raise invalid_slot_begin(argv[1])
    if len(argv) >= 3:
        count = parse_int(argv[2])
        if count < 0:
            raise invalid_slot_count(argv[2])
        end = min(end, begin + count)
    return [[slot, size] for slot, size in _index(client).counts(begin, end)]


@command("slotsscan", arity=-3, flags="readonly admin", group="server",
         syntax="slotnum:integer cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")
def slotsscan(client: Client, argv: list[bytes]) -> object:
    """Codis: SCAN over the keys of one slot (cursor, [MATCH pattern], [COUNT count])."""
    slot = _strict_int(argv[1])
    cursor = _strict_int(argv[2])
    if slot is None or not 0 <= slot < SLOT_COUNT or cursor is None:
        raise WrongArityError("slotsscan")
    pattern, count = None, DEFAULT_SCAN_COUNT
    args = Arguments(argv, 3)
    while args:
        option = args.keyword()
        if option not in (b"MATCH", b"COUNT") or not args:
            raise SyntaxErrorReply()
        if option == b"MATCH":
            pattern = args.take()
        else:
            count = args.take_int()
    if count < 0:
        raise SyntaxErrorReply()
    cursors = client.keyspace.cursors
    keys, resume_after = _index(client).keys(slot, cursors.resume_key(cursor), count)
    matches = key_matcher(pattern)
    if matches is not None:
        keys = [key for key in keys if matches(key)]
    next_cursor = cursors.save(resume_after) if resume_after else 0
    return [b"%d" % next_cursor, keys]


@command("slotsdel", arity=-2, flags="write admin", group="server", syntax="slot:integer [slot ...]")
def slotsdel(client: Client, argv: list[bytes]) -> object:
    """Codis: delete every key of the given slots; [slot, keys left] for each."""
    slots = [_slot_arg(arg) for arg in argv[1:]]
    index = _index(client)
    keyspace = client.keyspace
    engine = client.server.engine
    reply = []
    for slot in slots:
        for key in index.keys(slot)[0]:
            keyspace.delete(key)
            engine.log_changes()
        reply.append([slot, len(index.keys(slot)[0])])
    return reply


@command("slotsmgrttagslot", arity=5, flags="write admin noscript", group="server", aliases=("slotsmgrtslot",),
         syntax="host port:integer timeout:integer slot:integer")
def slotsmgrttagslot(client: Client, argv: list[bytes]) -> object:
    """Codis: move one key of a slot (and the keys sharing its tag) to host:port; [moved, left]."""
    target = _Target(client, argv)
    slot = _slot_arg(argv[4])
    _check_migration(client)
    index = _index(client)
    size = index.size(slot)
    first = index.keys(slot, count=1)[0]
    if not first or client.server.slots.migrating.locked():  # Pika: busy migrating, nothing moved
        return [0, size]
    return _start_migration(client, target, index.tag_group(first[0]), lambda moved: [moved, size - moved])


@command("slotsmgrttagone", arity=5, flags="write admin noscript", group="server", aliases=("slotsmgrtone",),
         syntax="host port:integer timeout:integer key:string")
def slotsmgrttagone(client: Client, argv: list[bytes]) -> object:
    """Codis: move a key (and the keys sharing its tag) to host:port; how many moved."""
    target = _Target(client, argv)
    _check_migration(client)
    key = argv[4]
    if hash_tag(key) is None:
        keys = [key] if client.keyspace.exists(key) else []
    else:
        keys = _index(client).tag_group(key)
    if not keys:
        return 0
    return _start_migration(client, target, keys, lambda moved: moved)


@command("slotsreload", arity=1, flags="admin", group="server")
def slotsreload(client: Client, argv: list[bytes]) -> object:
    """Pika: index every key by slot again, in the background; "start time : cursor"."""
    walk = client.server.slots.start_reload(client.db)
    started = time.strftime("%Y%m%d%H%M%S", time.localtime(walk.started))
    return Status(f"{started} : {walk.walked if walk.running else 0}")


@command("slotsreloadoff", arity=-1, flags="admin", group="server")
def slotsreloadoff(client: Client, argv: list[bytes]) -> object:
    """Pika: stop a SLOTSRELOAD in progress."""
    return _stop(client.server.slots.reload)


@command("slotscleanup", arity=-2, flags="write admin", group="server", syntax="slot:integer [slot ...]")
def slotscleanup(client: Client, argv: list[bytes]) -> object:
    """Pika: delete the keys of the given slots in the background; the slots being cleaned."""
    slots = []
    for arg in argv[1:]:
        slot = _strict_int(arg)
        if slot is None or slot < 0:
            raise NotIntegerError()
        slots.append(slot)
    return list(client.server.slots.start_cleanup(client.db, slots).slots)


@command("slotscleanupoff", arity=-1, flags="admin", group="server")
def slotscleanupoff(client: Client, argv: list[bytes]) -> object:
    """Pika: stop a SLOTSCLEANUP in progress."""
    return _stop(client.server.slots.cleanup)


def _positive(arg: bytes) -> int:
    """SLOTSMGRTTAGSLOT-ASYNC's numbers: anything but a positive integer is Pika's kInvalidInt."""
    value = _strict_int(arg)
    if value is None or value <= 0:
        raise NotIntegerError()
    return value


@command("slotsmgrttagslot-async", arity=8, flags="write admin noscript", group="server",
         syntax="host port:integer timeout:integer maxbulks:integer maxbytes:integer slot:integer numkeys:integer")
def slotsmgrttagslot_async(client: Client, argv: list[bytes]) -> object:
    """Pika: move numkeys keys of a slot to host:port in the background; [0, keys in the slot]."""
    host = argv[1].decode("utf-8", "replace").lower()
    port = _positive(argv[2])
    _check_not_self(client, host, port)
    timeout_ms = _positive(argv[3])
    _positive(argv[4])  # maxbulks and maxbytes: Pika checks them and moves key by key anyway
    _positive(argv[5])
    slot = _strict_int(argv[6])
    keys = _strict_int(argv[7])
    if slot is None or not 0 <= slot < SLOT_COUNT or keys is None or keys < 0:
        raise NotIntegerError()
    server = client.server
    if not server.slots.enabled:
        raise AsyncMigrateOffError()
    remained = _index(client).size(slot)
    if remained and not server.slots.request_batch(client.db, host, port, timeout_ms / 1000, slot, keys):
        raise AsyncMigrateBusyError()
    return [0, remained]


@command("slotsmgrt-async-status", arity=1, flags="readonly admin", group="server")
def slotsmgrt_async_status(client: Client, argv: list[bytes]) -> object:
    """Pika: the target, slot, state and key counts of the latest async migration."""
    batch = client.server.slots.batch
    host, port, slot, moved, remained = ("", -1, -1, -1, -1) if batch is None else (
        batch.host, batch.port, batch.slot, batch.moved, batch.remained)
    migrating = "yes" if batch is not None and batch.running else "no"
    return [f"dest server: {host}:{port}".encode(), f"slot number: {slot}".encode(),
            f"migrating  : {migrating}".encode(), f"moved keys : {moved}".encode(),
            f"remain keys: {remained}".encode()]


@command("slotsmgrt-async-cancel", arity=1, flags="admin", group="server")
def slotsmgrt_async_cancel(client: Client, argv: list[bytes]) -> object:
    """Pika: stop the async migration in progress (the key in flight still lands)."""
    return _stop(client.server.slots.batch)


@command("slotsmgrt-exec-wrapper", arity=-3, flags="write admin", group="server",
         syntax="hashkey command [arg [arg ...]]")
def slotsmgrt_exec_wrapper(client: Client, argv: list[bytes]) -> object:
    """Pika: whether a key is being moved by the async migration ([1, 1]), missing ([0, 0]) or
    not in its slot ([-1, -1]); the wrapped command is not run (as in Pika)."""
    state = client.server.slots.wrapper_state(client.db, argv[1])
    return [state, state]
