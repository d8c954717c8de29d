"""The slave's side of replication: Pika's per-DB state machine, MetaSync, TrySync, full sync
through the file service, and the incremental apply with sequence checks (see
docs/replication-protocol.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Iterable

from pypika_store.binlog import Position
from pypika_store.binlog.writer import MisalignedItem
from pypika_store.snapshot import key_delay_seconds
from pypika_store.sync_load import (PaddingPlan, load_snapshot, plan_padding, remove_padding, snapshot_key_count,
                                    write_padding)

from .checksums import crc32c
from .fetcher import CONNECT_PHASE, LOAD_PHASE, SyncProgress, fetch_snapshot
from .frames import BinlogMessage, decode_pushed, item_command
from .link import LinkClosed, MasterLink, ReplyError

if TYPE_CHECKING:
    from pypika_store.engine import Engine

    from .host import ReplicationHost

log = logging.getLogger("pypika_store.replication")

# Pika's ReplState names, per DB.
NO_CONNECT, TRY_CONNECT, TRY_DB_SYNC, WAIT_DB_SYNC = "kNoConnect", "kTryConnect", "kTryDBSync", "kWaitDBSync"
WAIT_REPLY, CONNECTED, ERROR, DB_NO_CONNECT = "kWaitReply", "kConnected", "kError", "kDBNoConnect"

REPLICATION_ID_KEY = b"replication_id"
#: In the system table while a fetched snapshot is being loaded (Pika's
#: internal-used-unfinished-full-sync).
UNFINISHED_FULL_SYNC_KEY = b"unfinished_full_sync"
#: The latency monitor's event of loading a full sync's snapshot (the event loop waits for it).
FULL_SYNC_LOAD_EVENT = b"full-sync-load"
#: Seconds between attempts after a failed connection or a dropped link.
RETRY_DELAY = 1.0
#: Most pushed messages applied in one turn (one commit, one ack). A turn taking everything
#: the link held grew to thousands of items under a -P 16 load: the slave's position, which
#: moves at each commit, then jumped by hundreds of kilobytes at a time and its acks, which
#: refill the master's window, came as rarely.
APPLY_BATCH = 1000
#: Seconds a TrySync's answer may take (as any request's on the link).
TRYSYNC_TIMEOUT = 10.0
#: Seconds between the acks a paused slave sends (its position unchanged: the master must not
#: time it out).
PAUSED_ACK_INTERVAL = 1.0


class NeedFullSync(Exception):
    """The incremental stream cannot continue (a misaligned item, a history that diverged):
    resync in full."""


class StreamRefused(Exception):
    """A pushed item the slave will not apply (it fails its check, or comes after a gap): the
    link is closed and the slave TrySyncs again from its own binlog end, its last good
    position (Pika drops to TryConnect on a bad item); the master's answer decides whether
    that is a partial or a full sync."""


class FatalSyncError(Exception):
    """Nothing to retry until the next SLAVEOF (the DB layouts differ)."""


def _continues(previous: BinlogMessage, item: BinlogMessage) -> bool:
    """Whether ``item`` is the item after ``previous`` in the same DB's history."""
    return item.db == previous.db and item.logic_id == previous.logic_id + 1


class _PaddingWriter:
    """The binlogs' padding for a full sync's load, written in a worker thread while the
    snapshot's files come (:func:`pypika_store.sync_load.write_padding`), one listing at a time."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._plan: PaddingPlan | None = None
        self._writing: asyncio.Future | None = None

    def start(self, positions: list[list[int]]) -> None:
        """Write the padding a snapshot at ``positions`` needs (after any write in progress)."""
        self._plan = plan = plan_padding(self._engine, positions)
        self._writing = asyncio.ensure_future(self._write(self._writing, plan))

    @staticmethod
    async def _write(previous: asyncio.Future | None, plan: PaddingPlan) -> None:
        if previous is not None:
            await asyncio.wait((previous,))
        await asyncio.to_thread(write_padding, plan)

    def discard(self) -> None:
        """Remove the padding files no load took, once written."""
        writing, plan = self._writing, self._plan
        if writing is None or plan is None:
            return
        if writing.done():
            remove_padding(plan)
        else:
            writing.add_done_callback(lambda _writing: remove_padding(plan))

    async def files(self, positions: list[list[int]]) -> dict[int, str]:
        """The padding files for the snapshot loaded at ``positions``, once written; none when
        writing them failed (the load then writes the padding itself)."""
        if self._plan is None or self._plan.positions != positions:
            self.start(positions)
        assert self._writing is not None and self._plan is not None
        try:
            await self._writing
        except OSError as exc:
            log.warning("full sync: the binlogs' padding could not be written ahead (%s)", exc)
            return {}
        return self._plan.paths


class SlaveReplication:
    """Following one master, from SLAVEOF until SLAVEOF NO ONE (or another SLAVEOF)."""

    def __init__(self, server: "ReplicationHost", host: str, port: int, force_full: bool = False) -> None:
        self.server = server
        self.host = host
        self.port = port
        self.force_full = force_full
        databases = len(server.engine.keyspaces)
        self.states = {db: NO_CONNECT for db in range(databases)}
        self.link_up = False
        self.link_down_since = time.monotonic()
        self.last_io = time.monotonic()
        self.connect_status = "connecting"
        self.sync_in_progress = False
        self.progress: SyncProgress | None = None
        #: The last full sync's seconds per phase (INFO repl_last_full_sync_*; empty before one).
        self.last_full_sync: dict[str, float] = {}
        self.duplicates_skipped = 0
        self.full_syncs = 0
        self.items_applied = 0
        #: Pushed items refused, by why (INFO repl_corrupt_items_refused, repl_gaps_refused).
        self.corrupt_items_refused = 0
        self.gaps_refused = 0
        self._task: asyncio.Task | None = None
        self._link: MasterLink | None = None
        #: Set by :meth:`stop`: from then on nothing received is applied (see :meth:`_ensure_following`).
        self._stopped = False
        #: The bytes of the current link already counted in INFO's total_net_repl_input_bytes.
        self._counted_bytes = 0
        #: Per DB, the logic id the data already includes after a full sync: a snapshot taken
        #: with the narrow lock scope (Pika's bug) holds writes past its binlog offset, and
        #: the stream re-sends them; they are logged but not applied twice.
        self._data_logic: dict[int, int] = {}
        #: Per DB, the logic id and payload CRC of the last item taken on this link: a
        #: "duplicate" of it with other bytes is not one (the histories diverged).
        self._last_taken: dict[int, tuple[int, int]] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def drop_link(self) -> bool:
        """Close the connection to the master (CLIENT KILL TYPE master); the slave reconnects
        and resumes from its position. False when there is no connection."""
        if self._link is None:
            return False
        self._link_down(self._link)  # down at once (INFO), not when the read notices
        return True

    def stop(self) -> None:
        """SLAVEOF NO ONE (or another SLAVEOF): stop at once. The task is cancelled and the
        link closed; should the cancellation be lost, the loop still applies nothing more."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._link is not None:
            self._link.close()
        self.link_up = False

    def _ensure_following(self) -> None:
        """Raise CancelledError if :meth:`stop` ran. Checked after each wait that precedes a
        change of data or state: Python 3.11's ``asyncio.wait_for`` returns a read that
        completed in the loop iteration the task was cancelled in (the master's item and a
        client's SLAVEOF NO ONE in one poll), and the loop would go on applying what the old
        master sends to a server that is a master now."""
        if self._stopped:
            raise asyncio.CancelledError("replication stopped")

    def _set_state(self, db: int, state: str) -> None:
        if self.states[db] != state:
            log.info("db%d replication state %s -> %s", db, self.states[db], state)
            self.states[db] = state

    def _set_all(self, state: str) -> None:
        for db in self.states:
            self._set_state(db, state)

    async def _run(self) -> None:
        while True:
            link = None
            try:
                link = self._link = await MasterLink.open(self.host, self.port,
                                                          self.server.config.get_int("repl-timeout"),
                                                          self.server.link_faults, self.server.replication_tls())
                await self._session(link)
            except asyncio.CancelledError:
                if link is not None:
                    link.close()
                raise
            except FatalSyncError as exc:
                log.error("Replication from %s:%d stopped: %s", self.host, self.port, exc)
                self._set_all(ERROR)
                self._link_down(link)
                return
            except NeedFullSync as exc:
                log.warning("Incremental sync from %s:%d stopped (%s): full sync next", self.host, self.port, exc)
                self.force_full = True
            except StreamRefused as exc:
                log.warning("Refused an item from %s:%d (%s): resyncing from this slave's position",
                            self.host, self.port, exc)
            except (OSError, LinkClosed, asyncio.TimeoutError, ReplyError, ConnectionError) as exc:
                log.warning("Link with master %s:%d down: %s", self.host, self.port, exc or type(exc).__name__)
            except Exception:  # a bug must not end replication for good: log it and start over
                log.exception("Replication from %s:%d failed; retrying", self.host, self.port)
            self._link_down(link)
            await asyncio.sleep(RETRY_DELAY)

    def _link_down(self, link: MasterLink | None) -> None:
        self._link = None
        if link is not None:
            self._count_received(link)
            link.close()
        self._counted_bytes = 0
        if self.link_up:
            self.link_down_since = time.monotonic()
        self.link_up = False
        self.sync_in_progress = False
        for db, state in self.states.items():
            if state != ERROR:
                self._set_state(db, DB_NO_CONNECT)

    # -- one connection ------------------------------------------------------------------------

    async def _session(self, link: MasterLink) -> None:
        config = self.server.config
        self._set_all(TRY_CONNECT)
        try:
            await link.authenticate(config.get_str("masteruser"), config.get_str("masterauth"))
        except ReplyError as exc:
            self.connect_status = "auth failed"
            log.error("Auth with master %s:%d failed: %s", self.host, self.port, exc)
            raise
        self._load_data_logic()
        announce = config.get_int("slave-announce-port") or self.server.replication_port
        stored = self.server.engine.system_value(REPLICATION_ID_KEY) or b""
        replication_id, databases, _run_id, file_size = await link.call(
            "PIKAREPL", "META", announce, stored, config.get_str("slave-announce-ip"))
        self._ensure_following()
        for binlog in self.server.engine.binlogs:
            binlog.file_size = file_size  # positions follow the master's files: so do offsets
        self.connect_status = "connected"
        if databases != len(self.states):
            raise FatalSyncError(f"the master has {databases} databases, this server {len(self.states)}")
        positions = await self._try_sync(link, replication_id, replication_id != stored or self.force_full)
        request: list[int] = []
        for db, (position, _logic_id, _term) in positions.items():
            request += (db, position.filenum, position.offset)
        await link.call("PIKAREPL", "STREAM", *request)
        self._ensure_following()
        for db in positions:
            self._set_state(db, CONNECTED)
        self.link_up = True
        self.force_full = False
        log.info("MASTER <-> SLAVE sync: incremental sync from %s:%d started", self.host, self.port)
        await self._follow(link)

    def _load_data_logic(self) -> None:
        """What each DB's data includes, as LMDB records it (kept at its maximum by
        Engine.replicate): after a restart in the middle of re-sent items the slave still
        knows which ones its data already holds."""
        engine = self.server.engine
        self._data_logic = {db: (engine.applied_position(db) or (None, 0))[1] for db in self.states}
        engine.end_turn()

    def _position(self, db: int) -> tuple[Position, int, int]:
        """This DB's binlog end and the logic id and term of its last item."""
        binlog = self.server.engine.binlogs[db]
        return binlog.position, binlog.logic_id, binlog.last_item_term

    async def _try_sync(self, link: MasterLink, replication_id: bytes,
                        full: bool) -> dict[int, tuple[Position, int, int]]:
        """TrySync every DB (after a full sync if needed); the positions to stream from."""
        if not full:
            for db in self.states:
                self._set_state(db, WAIT_REPLY)
                position, logic_id, term = self._position(db)
                try:
                    await link.call("PIKAREPL", "TRYSYNC", db, position.filenum, position.offset, logic_id, term)
                except ReplyError as exc:
                    log.warning("db%d TrySync at %d %d refused (%s): full sync", db, *position, exc)
                    self._log_discarded(db, logic_id, str(exc))
                    full = True
                    break
        if full:
            await self._full_sync(link, replication_id)
        return {db: self._position(db) for db in self.states}

    @staticmethod
    def _log_discarded(db: int, logic_id: int, refusal: str) -> None:
        """A node whose history went past or away from its new master's (an old master that
        came back) loses the writes the new master never saw: say how many, as far as known."""
        words = refusal.split()
        if words[0] in ("LARGER", "DIVERGED") and words[-2] == "logic":
            master_logic = int(words[-1])
            if words[0] == "LARGER" and logic_id > master_logic:
                log.warning("db%d: discarding %d local writes the new master never saw", db, logic_id - master_logic)
            else:
                log.warning("db%d: local history diverged from the master's (local logic id %d, master's %d); "
                            "local writes after the split are discarded by the full sync", db, logic_id, master_logic)

    async def _full_sync(self, link: MasterLink, replication_id: bytes) -> None:
        config = self.server.config
        self._set_all(TRY_DB_SYNC)
        self.sync_in_progress = True
        self.progress = SyncProgress()
        self._set_all(WAIT_DB_SYNC)
        log.info("MASTER <-> SLAVE sync: full sync from %s:%d, fetching a snapshot", self.host, self.port)
        progress = self.progress
        padding = _PaddingWriter(self.server.engine)
        try:
            folder, positions = await fetch_snapshot(
                link, config.get_str("db-sync-path"), config.get_int("repl-chunk-size"),
                config.get_int("max-rsync-parallel-num"), config.get_int("throttle-bytes-per-second"), progress,
                on_listing=padding.start)
            progress.enter(LOAD_PHASE)
            padded = await padding.files(positions)
            load_delay_us = config.get_int("key-load-delay")  # Redis' test knob: a slower load
            if load_delay_us:
                await asyncio.sleep(key_delay_seconds(snapshot_key_count(folder, len(self.states)), load_delay_us))
            self._ensure_following()  # a stopped slave must not load a snapshot over a master's data
            engine = self.server.engine
            # Loading commits the data, then resets the binlogs: a crash in between must not leave
            # a node that trusts either. The mark makes the next start forget the replication id
            # (so the next sync is a full one) and skip replaying the stale binlog.
            engine.set_system_value(UNFINISHED_FULL_SYNC_KEY, b"1")
            self.server.end_turn()
            started = time.perf_counter_ns()
            load_snapshot(engine, folder, positions, padded)
        finally:
            padding.discard()  # the files of a sync that stopped before its load (the load took the rest)
        self.server.latency_sample(FULL_SYNC_LOAD_EVENT, time.perf_counter_ns() - started)
        self.server.data_replaced()
        self._load_data_logic()
        engine.set_system_value(REPLICATION_ID_KEY, replication_id)
        engine.delete_system_value(UNFINISHED_FULL_SYNC_KEY)
        self.server.end_turn()
        self.server.replication_id = replication_id.decode()
        self.sync_in_progress = False
        self._count_received(link)
        self.full_syncs += 1
        log.info("MASTER <-> SLAVE sync: snapshot loaded (%s)", folder)
        progress.enter(CONNECT_PHASE)
        # Every DB's TrySync in one round trip, not one each (a refusal raises: the link closes).
        for db in self.states:
            position, logic_id, term = self._position(db)
            link.send("PIKAREPL", "TRYSYNC", db, position.filenum, position.offset, logic_id, term)
        await link.drain()
        for db in self.states:
            await link.read(TRYSYNC_TIMEOUT)
            self._set_state(db, TRY_CONNECT)
        self.last_full_sync = progress.finish()
        log.info("MASTER <-> SLAVE sync: full sync of %d bytes in %.2f s (%s)", progress.total_bytes,
                 sum(self.last_full_sync.values()),
                 ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in self.last_full_sync.items()))

    # -- incremental sync ----------------------------------------------------------------------

    async def _follow(self, link: MasterLink) -> None:
        timeout = self.server.config.get_int("repl-timeout")
        while True:
            messages = [await link.read(timeout)]
            messages += link.read_ready(APPLY_BATCH - 1)
            self.last_io = time.monotonic()
            self._count_received(link)
            await self._wait_unpaused(link, messages)
            self._ensure_following()
            try:
                touched = self._apply(messages)
            finally:
                self.server.end_turn()  # the items before a refused one are kept
            self._ack(link, touched or self.states)
            await link.drain()

    async def _wait_unpaused(self, link: MasterLink, messages: list) -> None:
        """While CLIENT PAUSE is on, hold what the master sends: keep reading it (as Redis'
        paused master client keeps filling its query buffer) into ``messages``, applied when
        the pause ends; ack the unchanged position now and then, so the master keeps the link."""
        timeout = self.server.config.get_int("repl-timeout")
        while (paused := self.server.replication_paused()) is not None:
            reading = asyncio.ensure_future(link.read(timeout))
            try:
                done, _pending = await asyncio.wait((reading, paused), timeout=PAUSED_ACK_INTERVAL,
                                                    return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not reading.done():  # the pause ended, a second passed, or SLAVEOF NO ONE
                    reading.cancel()
            if not reading.done():
                await asyncio.wait((reading,))
            if not reading.cancelled():  # it read (a read cut as it completed keeps its message)
                messages.append(reading.result())  # or raises the link's error
                messages += link.read_ready(APPLY_BATCH)
                self._count_received(link)
                continue
            if not done:
                self._ack(link, self.states)
                await link.drain()

    def _ack(self, link: MasterLink, dbs: Iterable[int]) -> None:
        """Tell the master each DB's position (where the next item it pushes starts)."""
        for db in dbs:
            position = self.server.engine.binlogs[db].position
            link.send("PIKAREPL", "ACK", db, position.filenum, position.offset)

    def _count_received(self, link: MasterLink) -> None:
        """Add what the link received since the last count to INFO's repl input bytes."""
        self.server.replication_stats.input_bytes += link.bytes_received - self._counted_bytes
        self._counted_bytes = link.bytes_received

    def _apply(self, messages: list) -> set[int]:
        """Apply pushed items in order; the DBs they touched. Each item is checked before it
        is placed: its frame's CRC-32C, then its logic id against the last one taken.

        Items that follow one another (one DB, each logic id the previous one's + 1) pass the
        sequence checks by construction: they are gathered into a run, placed in the binlog
        with one call and applied one by one (:meth:`_take`). Any other item first takes the
        run before it, then is checked against what the DB took. A refused item still takes
        the items before it (they are kept, as the protocol says)."""
        touched: set[int] = set()
        run: list[tuple[BinlogMessage, list[bytes]]] = []
        try:
            for message in messages:
                item, argv = self._checked(message)
                if item is None:
                    continue  # a ping: acked by the caller
                if run and not _continues(run[-1][0], item):
                    taken, run = run, []
                    self._take(taken, touched)
                if run or self._admitted(item):
                    run.append((item, argv))
        finally:
            if run:
                self._take(run, touched)
        return touched

    def _admitted(self, item: BinlogMessage) -> bool:
        """Whether ``item`` is the next one its DB takes: False for a duplicate (skipped and
        counted); StreamRefused after a gap, NeedFullSync when the histories diverged."""
        db, logic_id = item.db, item.logic_id
        last = self._last_logic(db)
        if logic_id <= last:
            taken = self._last_taken.get(db) if logic_id == last else None
            if taken is not None and taken != (last, crc32c(item.payload)):
                raise NeedFullSync(f"db{db}: item {logic_id} differs from the one taken (histories diverged)")
            self.duplicates_skipped += 1
            return False
        if logic_id != last + 1:
            self.gaps_refused += 1
            raise StreamRefused(f"db{db}: item {logic_id} after {last} (a gap)")
        return True

    def _take(self, run: list[tuple[BinlogMessage, list[bytes]]], touched: set[int]) -> None:
        """Place a run of consecutive items of one DB in its binlog, then apply their commands
        (those the data holds already, after a narrow-scope snapshot, are placed only)."""
        db = run[0][0].db
        try:
            self.server.engine.replicate(db, [(item.start, item.logic_id, item.term, item.payload) for item, _argv in run])
        except MisalignedItem as exc:
            raise NeedFullSync(f"db{db}: {exc}") from None
        touched.add(db)
        last = run[-1][0]
        self._last_taken[db] = (last.logic_id, crc32c(last.payload))
        in_data = self._data_logic.get(db, 0)
        for item, argv in run:
            if item.logic_id <= in_data:
                self.duplicates_skipped += 1
                continue
            self._execute(db, argv)
            self.items_applied += 1

    def _checked(self, message: list) -> tuple[BinlogMessage | None, list[bytes]]:
        """A pushed message and its item's command, once its check passed and its item decodes
        (None for a keepalive); StreamRefused for a corrupt one, before anything is placed."""
        try:
            item = decode_pushed(message)
            if item is None:
                return None, []
            return item, item_command(item)
        except ValueError as exc:  # CorruptFrame, CorruptRecord
            self.corrupt_items_refused += 1
            raise StreamRefused(f"a corrupt item: {exc}") from None

    def _last_logic(self, db: int) -> int:
        """The logic id of the last item this DB took (placed, committed or not)."""
        return self.server.engine.binlogs[db].placed_logic_id

    def _execute(self, db: int, argv: list[bytes]) -> None:
        reply = self.server.apply_replicated(db, argv)
        if reply.startswith(b"-"):
            log.warning("Replicated command %r failed: %s", argv[:2], reply[:200])

