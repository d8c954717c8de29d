"""Codis slot migration, server side: the slot index switch, SLOTSRELOAD and SLOTSCLEANUP's
background walks, and SLOTSMGRT*'s moves of keys to another node.

A key moves as the plain write commands that rebuild it (``del``, then ``set`` or the
collection's ``hset``/``rpush``/``sadd``/``zadd``/``xadd``+``xsetid`` in chunks, then
``pexpireat`` for a TTL: the type stores' own state records), so the target may be another
pypika-store, a Codis redis or a Pika. The commands of one key go out pipelined on a
connection kept per target; once every reply is a success the key is deleted here through
the keyspace (binlogged as ``del``, so slaves follow). One key is read and sent per turn of the
event loop: a migration of a slot with many keys never stalls the other clients.

SLOTSRELOAD and SLOTSCLEANUP walk the keyspace in batches of :data:`WALK_BATCH` keys per
turn, as Pika's background threads walk it with SCAN.

The connections to targets are one cache, SLOTSMGRT*'s and MIGRATE's (``commands/migrate.py``),
closed on a failure and after :data:`TARGET_IDLE_SECONDS` unused, as Redis caches MIGRATE's.
:class:`TargetConnection` raises neutral failures (:class:`TargetFailure`), which each command
words in its own error texts: Pika's for SLOTSMGRT*, Redis' for MIGRATE.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pypika_store.errors import (
    CommandError,
    MigrateConnectError,
    migrate_bad_reply,
    migrate_receive_error,
)
from pypika_store.keyspace import Keyspace
from pypika_store.slots import SlotIndex, slot_of
from pypika_store.storage.records import HEADER, TAG_STRING

from .resp.replies import error_line

if TYPE_CHECKING:
    from .app import Server
    from .connection import Client

#: Keys SLOTSRELOAD / SLOTSCLEANUP handle per event-loop turn.
WALK_BATCH = 500
#: Seconds a cached connection to a target stays open unused (Redis' MIGRATE_SOCKET_CACHE_TTL).
TARGET_IDLE_SECONDS = 10
#: Connections to targets kept at most (Redis' MIGRATE_SOCKET_CACHE_ITEMS); past it the least
#: recently used one is closed.
TARGET_CACHE_SIZE = 64


class TargetFailure(Exception):
    """A migration target could not be used. The failures are neutral: each command turns them
    into its own error text (SLOTSMGRT* Pika's, MIGRATE Redis')."""


class TargetConnectFailed(TargetFailure):
    """No connection opened: ``refused`` when the target's host answered that nothing listens
    there (Redis' connect succeeds then and its write fails), otherwise the name did not
    resolve or the connection did not open in time."""

    def __init__(self, detail: str, refused: bool) -> None:
        super().__init__(detail)
        self.refused = refused


class TargetSendFailed(TargetFailure):
    """The request could not be written: the connection broke, or (``timed_out``) it did not
    drain in time."""

    def __init__(self, detail: str, timed_out: bool) -> None:
        super().__init__(detail)
        self.timed_out = timed_out


class TargetReceiveFailed(TargetFailure):
    """A reply did not come in time, the connection closed, or it sent what a write's reply
    cannot be; ``replies`` are those read before, ``timed_out`` says whether time ran out."""

    def __init__(self, detail: str, replies: list["TargetReply"], timed_out: bool) -> None:
        super().__init__(detail)
        self.replies = replies
        self.timed_out = timed_out


class TargetReplyError(TargetFailure):
    """The target answered one of the commands with an error or an unexpected status."""


@dataclass(frozen=True)
class TargetReply:
    """One simple reply of the target: its type byte (``+ - : $``) and its text (a bulk
    string's is left out: writes answer with a status, an error or an integer)."""

    kind: bytes
    text: str

    @property
    def is_error(self) -> bool:
        return self.kind == b"-"

    @property
    def succeeded(self) -> bool:
        """An OK, an integer or a bulk string (XADD's ID); any other status is a failure too."""
        return self.kind in (b":", b"$") or (self.kind == b"+" and self.text.lower() == "ok")


def key_commands(keyspace: Keyspace, key: bytes) -> list[list[bytes]] | None:
    """The commands that recreate ``key`` as it is now on another node; None when it is missing."""
    record = keyspace.get_record(key)
    if record is None:
        return None
    if record.tag == TAG_STRING:
        commands = [[b"set", key, record.body]]
        if record.expire_at_ms:
            commands.append([b"pexpireat", key, b"%d" % record.expire_at_ms])
        return commands
    raw = HEADER.pack(record.tag, record.expire_at_ms) + record.body
    return list(keyspace.stores[record.tag].state_records(key, raw))


def _encode_command(argv: list[bytes]) -> bytes:
    parts = [b"*%d\r\n" % len(argv)]
    for argument in argv:
        parts += (b"$%d\r\n" % len(argument), argument, b"\r\n")
    return b"".join(parts)


class TargetConnection:
    """A RESP connection to a migration target, reading the simple replies writes give.

    ``db`` is the DB the connection has selected (None: not known, so the next use selects
    one); ``last_used`` the event loop's time of its last use, for the idle timeout.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.db: int | None = None
        self.last_used = asyncio.get_running_loop().time()

    @classmethod
    async def open(cls, host: str, port: int, timeout: float) -> "TargetConnection":
        """Connect; TargetConnectFailed when the name does not resolve, nothing listens or the
        connection does not open within ``timeout`` seconds (or there is no such port)."""
        if not 0 <= port <= 65535:
            raise TargetConnectFailed(f"no port {port}", refused=False)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except ConnectionRefusedError as exc:
            raise TargetConnectFailed(str(exc), refused=True) from exc
        except (OSError, asyncio.TimeoutError) as exc:
            raise TargetConnectFailed(str(exc) or type(exc).__name__, refused=False) from exc
        return cls(reader, writer)

    async def exchange(self, commands: list[list[bytes]], timeout: float) -> list[TargetReply]:
        """Send ``commands`` pipelined and read one reply for each, waiting at most ``timeout``
        seconds for each (TargetSendFailed, TargetReceiveFailed)."""
        self.last_used = asyncio.get_running_loop().time()
        try:
            self._writer.write(b"".join(_encode_command(argv) for argv in commands))
            await asyncio.wait_for(self._writer.drain(), timeout)
        except asyncio.TimeoutError as exc:
            raise TargetSendFailed(type(exc).__name__, timed_out=True) from exc
        except OSError as exc:
            raise TargetSendFailed(str(exc) or type(exc).__name__, timed_out=False) from exc
        replies: list[TargetReply] = []
        try:
            for _ in commands:
                replies.append(await asyncio.wait_for(self._read_reply(), timeout))
        except asyncio.TimeoutError as exc:
            raise TargetReceiveFailed(type(exc).__name__, replies, timed_out=True) from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            raise TargetReceiveFailed(str(exc) or type(exc).__name__, replies, timed_out=False) from exc
        finally:
            self.last_used = asyncio.get_running_loop().time()
        return replies

    async def run(self, commands: list[list[bytes]], timeout: float) -> None:
        """Send ``commands`` pipelined; TargetReplyError unless each reply is a success."""
        for reply in await self.exchange(commands, timeout):
            if not reply.succeeded:
                raise TargetReplyError(reply.text)

    async def _read_reply(self) -> TargetReply:
        line = (await self._reader.readuntil(b"\r\n"))[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            length = int(rest)
            if length >= 0:
                await self._reader.readexactly(length + 2)
            return TargetReply(kind, "")
        if kind in (b"+", b"-", b":"):
            return TargetReply(kind, rest.decode("utf-8", "replace"))
        raise ValueError(f"unexpected reply {line[:40]!r}")

    def close(self) -> None:
        self._writer.close()


def _pika_error(failure: TargetFailure) -> CommandError:
    """SLOTSMGRT*'s error for a failed move, as Pika's MigrateKey words it."""
    if isinstance(failure, TargetConnectFailed):
        return MigrateConnectError()
    if isinstance(failure, TargetReplyError):
        return migrate_bad_reply(str(failure))
    return migrate_receive_error(str(failure))


@dataclass
class Walk:
    """A background walk over one DB's keys (SLOTSRELOAD, SLOTSCLEANUP)."""

    db: int
    started: float = field(default_factory=time.time)
    resume_at: bytes = b""
    walked: int = 0
    running: bool = True
    slots: list[int] = field(default_factory=list)

    def stop(self) -> None:
        """End the walk (SLOTSRELOADOFF, SLOTSCLEANUPOFF, its end): a cleanup lists no slots."""
        self.running = False
        self.slots = []


@dataclass
class AsyncMigration:
    """SLOTSMGRTTAGSLOT-ASYNC's background move of one slot's keys (Pika's migrate thread):
    what SLOTSMGRT-ASYNC-STATUS reports."""

    db: int
    host: str
    port: int
    timeout: float
    slot: int
    budget: int
    moved: int = 0
    remained: int = 0
    running: bool = True

    def stop(self) -> None:
        self.running = False


class SlotService:
    """The server's slot state: the index switch, the walks, the migration connections."""

    def __init__(self, server: "Server") -> None:
        self._server = server
        self._engine = server.engine
        #: The connections to targets, SLOTSMGRT*'s and MIGRATE's (one cache, as Redis' one).
        self._targets: dict[tuple[str, int], TargetConnection] = {}
        self._idle_check: asyncio.TimerHandle | None = None
        #: One migration at a time (Pika's migrate lock; MIGRATE takes it too, so no two
        #: migrations share a connection).
        self.migrating = asyncio.Lock()
        self.reload: Walk | None = None
        #: The latest SLOTSMGRTTAGSLOT-ASYNC job (kept after it ends, for its status).
        self.batch: AsyncMigration | None = None
        self.cleanup: Walk | None = None
        self.apply_setting()

    @property
    def enabled(self) -> bool:
        return bool(self._server.config["slotmigrate"])

    def apply_setting(self) -> None:
        """Keep each keyspace's slot index while slotmigrate is on, none while it is off."""
        engine = self._engine
        for keyspace in engine.keyspaces:
            keyspace.slot_index = SlotIndex(engine.turn, engine.env.slots, keyspace.index) if self.enabled else None

    # -- background walks ----------------------------------------------------------------------

    def start_reload(self, db: int) -> Walk:
        """SLOTSRELOAD: index every key of ``db`` afresh (only while slotmigrate is on, as Pika's
        AddSlotKey), unless a reload runs already."""
        if self.reload is None or not self.reload.running:
            self.reload = Walk(db)
            index = self._engine.keyspaces[db].slot_index
            if index is not None:
                index.clear()
            self._walk(self.reload, self._reload_batch)
        return self.reload

    def _reload_batch(self, walk: Walk, keyspace: Keyspace, keys: list[bytes]) -> None:
        index = keyspace.slot_index
        if index is not None:
            for key in keys:
                index.add(key)

    def start_cleanup(self, db: int, slots: list[int]) -> Walk:
        """SLOTSCLEANUP: delete every key of ``slots`` in ``db`` in the background (binlogged),
        unless a cleanup or a reload runs already (Pika's rule)."""
        busy = (self.cleanup is not None and self.cleanup.running) or (
            self.reload is not None and self.reload.running)
        if not busy:
            self.cleanup = Walk(db, slots=slots)
            self._walk(self.cleanup, self._cleanup_batch)
        return self.cleanup  # type: ignore[return-value]

    def _cleanup_batch(self, walk: Walk, keyspace: Keyspace, keys: list[bytes]) -> None:
        wanted = set(walk.slots)
        for key in keys:
            if slot_of(key) in wanted:
                keyspace.delete(key)
                self._engine.log_changes()

    def _walk(self, walk: Walk, handle: Callable[[Walk, Keyspace, list[bytes]], None]) -> None:
        """Hand ``handle`` the keys of the walk's DB, one batch per event-loop turn."""
        loop = asyncio.get_running_loop()

        def step() -> None:
            if not walk.running:
                return
            keyspace = self._engine.keyspaces[walk.db]
            found, resume_at = keyspace.scan(walk.resume_at, WALK_BATCH)
            handle(walk, keyspace, [key for key, _record in found])
            walk.walked += len(found)
            if resume_at is None:
                walk.stop()
            else:
                walk.resume_at = resume_at
                loop.call_soon(step)

        loop.call_soon(step)

    # -- migration -----------------------------------------------------------------------------

    def is_this_server(self, host: str, port: int) -> bool:
        """Whether host:port names this very server (its port on loopback or a bound address)."""
        server = self._server
        names = ("127.0.0.1", "localhost", *server.config.get_str("bind").split())
        return port == server.port and host.lower() in names

    def answer_later(self, client: "Client", migration: "asyncio.Future[object]") -> None:
        """Reply to ``client`` (parked by the handler) when ``migration`` ends: its result, or
        the CommandError it raised."""
        server = self._server

        def done(future: "asyncio.Future[object]") -> None:
            if client.blocked is None:  # disconnected meanwhile
                return
            server.blocking.release(client.blocked)
            error = future.exception()
            if isinstance(error, CommandError):
                client.resume(error_line(error.message))
            elif error is not None:
                client.resume(error_line(f"ERR {error}"))
            else:
                client.resume(client.encode(future.result()))

        migration.add_done_callback(done)

    async def target(self, host: str, port: int, timeout: float) -> TargetConnection:
        """The cached connection to host:port, or a new one (cached); TargetConnectFailed."""
        target = self._targets.pop((host, port), None)  # re-inserted: the dict is in LRU order
        if target is None:
            target = await TargetConnection.open(host, port, timeout)
            if len(self._targets) >= TARGET_CACHE_SIZE:
                self.drop_target(*next(iter(self._targets)))
        self._targets[(host, port)] = target
        if self._idle_check is None:
            self._idle_check = asyncio.get_running_loop().call_later(1, self._close_idle_targets)
        return target

    def drop_target(self, host: str, port: int) -> None:
        """Close the connection to host:port after a failure (the next use opens a new one)."""
        stale = self._targets.pop((host, port), None)
        if stale is not None:
            stale.close()

    def _close_idle_targets(self) -> None:
        """Close the connections unused for TARGET_IDLE_SECONDS (not while a migration may be
        using one); check again each second while any is left."""
        self._idle_check = None
        if not self.migrating.locked():
            now = asyncio.get_running_loop().time()
            for address, target in list(self._targets.items()):
                if now - target.last_used > TARGET_IDLE_SECONDS:
                    self.drop_target(*address)
        if self._targets:
            self._idle_check = asyncio.get_running_loop().call_later(1, self._close_idle_targets)

    async def migrate(self, db: int, host: str, port: int, timeout: float, keys: list[bytes]) -> int:
        """Move ``keys`` of DB ``db`` to host:port, one per turn; how many moved (missing
        keys are skipped and leave the index). A failure drops the connection and raises
        Pika's error for it."""
        moved = 0
        try:
            target = await self.target(host, port, timeout)
            if target.db != db:
                await target.run([[b"select", b"%d" % db]], timeout)
                target.db = db
            for key in keys:
                keyspace = self._engine.keyspaces[db]
                commands = key_commands(keyspace, key)
                if commands is None:
                    if keyspace.slot_index is not None:
                        keyspace.slot_index.remove(key)
                    continue
                await target.run(commands, timeout)
                keyspace.delete(key)
                self._engine.log_changes()
                moved += 1
        except TargetFailure as failure:
            self.drop_target(host, port)
            raise _pika_error(failure) from failure
        return moved

    def request_batch(self, db: int, host: str, port: int, timeout: float, slot: int, keys: int) -> bool:
        """SLOTSMGRTTAGSLOT-ASYNC: move ``keys`` more keys of ``slot`` in the background; False
        when a job to another target or slot is running (Pika's ReqMigrateBatch)."""
        batch = self.batch
        if batch is not None and batch.running:
            if (batch.host, batch.port, batch.slot) != (host, port, slot):
                return False
            batch.budget += keys
            batch.timeout = timeout
            return True
        self.batch = batch = AsyncMigration(db, host, port, timeout, slot, keys)
        asyncio.ensure_future(self._run_batch(batch))
        return True

    async def _run_batch(self, batch: AsyncMigration) -> None:
        index = self._engine.keyspaces[batch.db].slot_index
        try:
            while batch.running and batch.budget > 0 and index is not None:
                first = index.keys(batch.slot, count=1)[0]
                if not first:
                    break
                keys = index.tag_group(first[0])
                async with self.migrating:
                    moved = await self.migrate(batch.db, batch.host, batch.port, batch.timeout, keys)
                batch.moved += moved
                batch.budget -= max(moved, 1)
                batch.remained = index.size(batch.slot)
        except CommandError:
            pass  # the status shows how far it went; Codis asks again
        finally:
            batch.stop()

    def wrapper_state(self, db: int, key: bytes) -> int:
        """SLOTSMGRT-EXEC-WRAPPER: 0 when ``key`` is missing, -1 when it is not in the slot
        an async job moves, 1 when it is (the job moves it; Pika's ReqMigrateOne)."""
        if not self._engine.keyspaces[db].exists(key):
            return 0
        batch = self.batch
        if batch is None or not batch.running or batch.db != db or slot_of(key) != batch.slot:
            return -1
        return 1

    def close(self) -> None:
        for address in list(self._targets):
            self.drop_target(*address)
        if self._idle_check is not None:
            self._idle_check.cancel()
            self._idle_check = None
        for job in (self.reload, self.cleanup, self.batch):
            if job is not None:
                job.stop()
