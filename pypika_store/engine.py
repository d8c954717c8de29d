"""The engine: one LMDB environment, its logical DBs, the binlogs, and the end of every turn.

The engine builds its parts in dependency order: the storage (:mod:`.storage`), the turn
(:mod:`.turn`: the transactions and the change log every command of an event-loop turn
shares), the object-id services (:mod:`.object_ids`), and one :class:`~.keyspace.Keyspace` per
logical DB with its collection stores (:mod:`.types`). None of them knows the engine. The engine
turns each command's changes into binlog records (:meth:`Engine.log_changes`), and at the end of
the turn writes them and commits the turn's one LMDB write transaction (:meth:`Engine.end_turn`:
group commit).

The engine does not know about event loops: whoever drives it sets :attr:`Engine.on_turn_start`
to be told when a turn opens a transaction, and calls :meth:`end_turn` when the turn is over.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
from collections import defaultdict
from typing import Callable

from .binlog import BinlogWriter, Position
from .binlog import format as binlog_format
from .binlog.writer import DEFAULT_FILE_SIZE, Batch, Mark, ReplicatedItem
from .changes import Change, RecordsByDB, records_for
from .clock import Clock
from .encoding_limits import EncodingLimits
from .errors import (CommandError, CommitFailed, NotCommitted, binlog_write_failed, data_write_failed,
                     map_full)
from .functions import FunctionLibraries
from .keyspace import Keyspace
from .locks import SCOPE_COMMAND, SCOPE_COMMAND_AND_BINLOG, DBLock
from .object_ids import ObjectIdCounter, ReclaimQueue
from .storage.environment import SYNC_ALWAYS, SYNC_EVERYSEC, Environment, MapFull, Transaction
from .storage.memory_release import mapped_resident_bytes, trim_heap
from .turn import Turn

log = logging.getLogger(__name__)

#: Growth of the process' mapped pages (LMDB's data file) after which they are dropped.
MAPPED_SLACK = 32 * 1024 * 1024

#: In the system table: per DB, the binlog end position and logic_id the data includes.
APPLIED_KEY = b"applied:%d"
APPLIED = struct.Struct(">IQQ")


class Engine:
    """The storage engine behind a server (or used directly, embedded)."""

    def __init__(self, path: str, databases: int = 16, map_size: int = 1 << 36,
                 sync_policy: str = SYNC_EVERYSEC, binlog_path: str | None = None,
                 binlog_file_size: int = DEFAULT_FILE_SIZE, lock_scope: str = SCOPE_COMMAND_AND_BINLOG) -> None:
        self.env = Environment(path, databases, map_size, sync_policy)
        #: Held shared by a turn that writes, exclusively by a bgsave taking its snapshot.
        self.lock = DBLock()
        #: What "now" is for the data (TTLs, TIME, stream ids, binlog exec times): CHAOS CLOCK moves it.
        self.clock = Clock()
        self.turn = Turn(self.env, self.lock, self.clock)
        #: What the running command changed (the turn's change log, read by :meth:`log_changes`).
        self.changes = self.turn.changes
        self.object_ids = ObjectIdCounter(self.turn, self.env.system)
        #: Deleted collections whose members the background reclaimer has yet to delete.
        self.reclaims = ReclaimQueue(self.turn, self.env.system, [handles.members for handles in self.env.handles])
        #: OBJECT ENCODING's limits, shared by every DB's type stores (CONFIG SET changes them).
        self.encoding_limits = EncodingLimits()
        #: The function libraries' code (FUNCTION LOAD), their records logged in DB 0's binlog.
        self.functions = FunctionLibraries(self.turn, self.env.system, self._log_server_record)
        self.keyspaces = [Keyspace(index, handles, self.turn, self.object_ids, self.reclaims, self.encoding_limits)
                          for index, handles in enumerate(self.env.handles)]
        #: One binlog per logical DB (``<binlog_path>/log_db<N>``); empty when write-binlog is off.
        self.binlogs = [BinlogWriter(os.path.join(binlog_path, f"log_db{index}"), binlog_file_size)
                        for index in range(databases)] if binlog_path else []
        if self.binlogs and binlog_format.CRC_IMPLEMENTATION == "python":
            log.warning("the binlog's CRC-32C runs in pure Python (neither the crc32c package nor crcmod's C "
                        "extension, crcmod._crcfunext, imports): every logged write costs more; install crc32c "
                        "(the fast extra) or reinstall crcmod with a C compiler")
        #: Each DB's key of its applied position in the system table.
        self._applied_keys = [APPLIED_KEY % index for index in range(databases)]
        self._sync_lock = threading.Lock()
        self._closed = False
        #: How much of a turn the lock covers (see pypika_store.locks); CONFIG SET may change it.
        self.lock_scope = lock_scope
        #: False while replaying the binlog itself: changes then produce no new records.
        self.recording = True
        #: Records of this turn waiting for the binlog, per DB (argv or its RESP content each).
        self._records: RecordsByDB = defaultdict(list)
        #: Items received from a master this turn, placed and waiting for the binlog write.
        self._replicated: list[tuple[BinlogWriter, Batch]] = []
        #: Called with each command's changes when they are logged, while set (the server
        #: sets it while some client WATCHes a key).
        self.on_changes: Callable[[list[Change]], None] | None = None
        #: Set when a client's request or reply was big: the next release_memory gives back
        #: the heap and mapped pages it left.
        self.big_request_seen = False
        self._mapped_after_release = mapped_resident_bytes()
        self.reload_state()
        self.end_turn()

    def reload_state(self) -> None:
        """Read what the in-memory state mirrors from LMDB (object-id counter, reclaim count,
        expiry indexes; the zset caches follow the reclaim queue): at start, after a failed
        commit, and after LMDB's tables were replaced under it (a full sync loaded a snapshot)."""
        self.object_ids.load()
        self.reclaims.load()
        for keyspace in self.keyspaces:
            keyspace.rebuild_expiry_index()

    # -- what the turn's parts expose to the server ------------------------------------------

    def reclaim_step(self, budget: int) -> int:
        """Delete up to ``budget`` members of deleted collections; how many were deleted
        (none while writes are refused)."""
        if self.turn.refusal is not None:
            return 0
        return self.reclaims.step(budget)

    @property
    def write_refusal(self) -> CommandError | None:
        """The error every write gets while writes are refused (see :meth:`refuse_writes`)."""
        return self.turn.refusal

    def refuse_writes(self, refusal: CommandError | None) -> None:
        """Refuse every write with ``refusal`` (a turn's first write raises it, so nothing is
        written), or accept writes again with None. Reads are unaffected."""
        self.turn.refusal = refusal

    def expect_write(self, size: int) -> None:
        """A request of ``size`` bytes is about to run: if this turn has not opened its write
        transaction yet, the map is grown for it first (see Environment.ensure_room)."""
        if size > self.turn.expected_write:
            self.turn.expected_write = size

    @property
    def pending_reclaims(self) -> int:
        """Deleted collections whose members the background reclaimer has yet to delete."""
        return self.reclaims.pending

    @property
    def on_turn_start(self) -> Callable[[], None] | None:
        """Called once when a turn opens its first transaction (the server schedules end_turn)."""
        return self.turn.on_start

    @on_turn_start.setter
    def on_turn_start(self, hook: Callable[[], None] | None) -> None:
        self.turn.on_start = hook

    @property
    def on_key_ready(self) -> Callable[[int, bytes], None] | None:
        """Called with (db index, key) when a list, zset or stream key gets elements (the
        server wakes clients blocked on it)."""
        return self.turn.on_key_ready

    @on_key_ready.setter
    def on_key_ready(self, hook: Callable[[int, bytes], None] | None) -> None:
        self.turn.on_key_ready = hook

    @property
    def now_ms(self) -> Callable[[], int]:
        """The clock behind every expiry decision, in unix milliseconds; tests may replace it."""
        return self.turn.now_ms

    @now_ms.setter
    def now_ms(self, clock: Callable[[], int]) -> None:
        self.turn.now_ms = clock

    @property
    def sync_policy(self) -> str:
        return self.env.sync_policy

    @property
    def dirty(self) -> bool:
        """True while this turn holds uncommitted writes."""
        return self.turn.dirty

    def log_changes(self) -> None:
        """Turn the running command's changes into binlog records (call after each write command)."""
        changes = self.changes
        if changes:
            if self.on_changes is not None:
                self.on_changes(changes)
            if self.binlogs and self.recording:
                records_for(changes, self._records)
            changes.clear()

    def _log_server_record(self, argv: list[bytes]) -> None:
        """Log a record of no key's change (the function libraries'), in DB 0's binlog."""
        if self.binlogs and self.recording:
            self._records[0].append(argv)

    def applied_position(self, index: int) -> tuple[Position, int] | None:
        """The binlog position (end of the last item) and logic_id that LMDB's data includes."""
        return self.applied_position_in(self.turn.reader(), index)

    def applied_position_in(self, txn: Transaction, index: int) -> tuple[Position, int] | None:
        """The same, as a given transaction (a bgsave's snapshot) sees it."""
        raw = txn.get(APPLIED_KEY % index, db=self.env.system)
        if raw is None:
            return None
        filenum, offset, logic_id = APPLIED.unpack(raw)
        return Position(filenum, offset), logic_id

    def set_applied_position(self, index: int, position: Position, logic_id: int) -> None:
        """Record, in this turn's transaction, that the data includes the binlog up to here."""
        self.turn.writer().put(self._applied_keys[index], APPLIED.pack(position.filenum, position.offset, logic_id),
                               db=self.env.system)

    def replicate(self, index: int, items: list[ReplicatedItem]) -> None:
        """Take consecutive binlog items of a master's for DB ``index`` (``(start, logic_id,
        term, payload)`` each, the identity read from the item's header by the caller): place them at the same positions in this binlog (MisalignedItem if one does not
        start where the previous ends, and then none is placed) and note, in this turn's
        transaction, that the data includes them. The caller then applies their commands with
        :attr:`recording` off; the items are written with the turn, before the commit."""
        binlog = self.binlogs[index]
        batch = binlog.prepare_replicated(items)
        end, logic_id = batch.last()
        applied = self.applied_position(index)
        self.set_applied_position(index, end, max(logic_id, applied[1] if applied else 0))
        if self._replicated and self._replicated[-1][0] is binlog:
            self._replicated[-1][1].extend(batch)  # one write per DB per turn, as for local writes
        else:
            self._replicated.append((binlog, batch))

    def swap_databases(self, first: int, second: int) -> None:
        """SWAPDB: exchange two logical DBs' keys (see :meth:`Keyspace.swap_with` for how the
        swap is logged in the two DBs' binlogs)."""
        if first != second:
            self.keyspaces[first].swap_with(self.keyspaces[second])

    def system_value(self, name: bytes) -> bytes | None:
        """A server-wide value kept in LMDB (the replication id)."""
        return self.turn.reader().get(name, db=self.env.system)

    def set_system_value(self, name: bytes, value: bytes) -> None:
        self.turn.writer().put(name, value, db=self.env.system)

    def delete_system_value(self, name: bytes) -> None:
        self.turn.writer().delete(name, db=self.env.system)

    def _prepare_binlog(self) -> list[tuple[BinlogWriter, Batch]]:
        """Place this turn's records, one batch per DB, and note each DB's new applied position
        in the turn's LMDB transaction, so the data says exactly which items it includes."""
        now = self.clock.now_s()
        batches = []
        for index, records in self._records.items():
            if not records:  # a collection written whole that had nothing to log
                continue
            binlog = self.binlogs[index]
            batch = binlog.prepare(records, now)
            self.set_applied_position(index, batch.end, batch.last_logic_id)
            batches.append((binlog, batch))
        self._records.clear()
        return batches

    def _write_batches(self, batches: list[tuple[BinlogWriter, Batch]]) -> None:
        sync = self.env.sync_policy == SYNC_ALWAYS
        for binlog, batch in batches:
            binlog.write(batch)
            if sync:
                binlog.sync()

    def end_turn(self) -> None:
        """Write the turn's binlog records, commit its LMDB transaction (one commit, one fsync
        under `always`), release the DB lock and drop the read snapshot.

        With the default lock scope the binlog is written first, under the lock, so a bgsave
        sees either the whole turn (data and binlog) or none of it, and after a crash the binlog
        is never behind the data. With ``SCOPE_COMMAND`` (Pika's old bug) the lock is released
        after the commit and only then is the binlog written.

        If the binlog write or the commit fails, the turn leaves no trace: each binlog it wrote
        to is cut back to where it stood before the turn, the LMDB transaction is aborted, the
        in-memory state (object-id counter, reclaim queue, expiry indexes, zset caches) is
        re-read from what LMDB holds, a full map is grown, and :class:`NotCommitted` propagates
        with the error the turn's clients get.
        """
        turn = self.turn
        turn.drop_snapshot()
        if not turn.dirty:
            turn.expected_write = 0
            return
        batches = self._prepare_binlog() if self._records else []
        if self._replicated:  # placed during the turn, before the turn's own records: written first
            batches = self._replicated + batches
            self._replicated = []
        deferred = self.lock_scope == SCOPE_COMMAND
        try:
            turn.commit(None if deferred or not batches else lambda: self._write_batches(batches))
        except (CommitFailed, OSError) as exc:
            for binlog, batch in reversed(batches):  # a binlog's first batch ends it back where the turn began
                self._rewind(binlog, batch.mark)
            self.reload_state()
            self.end_turn()
            raise self._not_committed(exc) from exc
        if deferred:
            try:
                self._write_batches(batches)
            except OSError:  # the data is committed: only this mode can leave the binlog behind
                log.exception("binlog write failed after the commit (bgsave-lock-scope command)")

    def _rewind(self, binlog: BinlogWriter, mark: Mark) -> None:
        """Cut ``binlog`` back to ``mark``. Shortening a file needs no space, so only an I/O
        error can make this fail; then the binlog's tail holds a turn that was not committed
        and every write is refused from now on."""
        try:
            binlog.rewind(mark)
        except OSError as exc:
            log.critical("binlog %s could not be cut back: %s", binlog.directory, exc)
            self.refuse_writes(binlog_write_failed(f"the binlog could not be cut back ({exc.strerror})"))

    def _not_committed(self, exc: Exception) -> NotCommitted:
        """The error for a turn that failed with ``exc`` (a full map is grown first)."""
        if isinstance(exc, MapFull):
            reply = map_full(self.env.grow_to(2 * self.env.map_size()))
        elif isinstance(exc, OSError):
            reply = binlog_write_failed(exc.strerror or str(exc))
        else:
            reply = data_write_failed(str(exc))
        log.error("a turn was not committed: %s", reply.message)
        return NotCommitted(reply)

    def release_memory(self) -> bool:
        """Give back what big requests left (the server calls this once a second): LMDB's
        mapped pages and glibc's free heap, after a big request or reply
        (:attr:`big_request_seen`) or once the mapped pages grew by :data:`MAPPED_SLACK` (a
        DEL reads the value it deletes, a SCAN reads the whole data). True if it released."""
        mapped = mapped_resident_bytes()
        if not self.big_request_seen and mapped - self._mapped_after_release < MAPPED_SLACK:
            return False
        self.big_request_seen = False
        self.env.release_mapped_pages()
        trim_heap()
        self._mapped_after_release = mapped_resident_bytes()
        return True

    def abort_turn(self) -> None:
        """Drop the turn's writes and their binlog records, as a crash would (SHUTDOWN NOSAVE
        while a script runs: none of the script is kept), and re-read the in-memory state."""
        self.turn.drop_snapshot()
        self.turn.abort()
        self._records.clear()
        self._replicated = []
        self.reload_state()
        self.turn.drop_snapshot()

    def sync(self) -> None:
        """Flush committed data and the binlogs to disk (the `everysec` timer, from a worker
        thread: the lock keeps :meth:`close` from closing files under it)."""
        with self._sync_lock:
            if self._closed:
                return
            for binlog in self.binlogs:
                binlog.sync()
            self.env.sync()

    def close(self) -> None:
        """Commit, flush and close; a disk that refuses (full) costs the last turn or the last
        sync, never the close itself."""
        try:
            self.end_turn()
            self.sync()
        except (CommitFailed, OSError) as exc:
            log.error("closing without a final commit or sync: %s", exc)
        with self._sync_lock:
            self._closed = True
            for binlog in self.binlogs:
                try:
                    binlog.close()
                except OSError as exc:
                    log.error("binlog %s closed without its manifest: %s", binlog.directory, exc)
            self.env.close()
