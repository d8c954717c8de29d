"""The engine: one LMDB environment, its logical DBs, and the per-turn transactions.

The server runs every command of one event-loop turn against the same transactions: all writes
of the turn share one LMDB write transaction that :meth:`Engine.end_turn` commits once (group
commit), and reads use that write transaction when the turn has one (read-your-writes inside a
pipeline) or one shared read snapshot otherwise. Readers never wait for writers (LMDB MVCC).

The engine does not know about event loops: whoever drives it sets :attr:`Engine.on_turn_start`
to be told when a turn opens a transaction, and calls :meth:`end_turn` when the turn is over.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from typing import Callable

import lmdb

from .binlog import BinlogWriter, Position
from .binlog.writer import DEFAULT_FILE_SIZE, Batch
from .changes import Change, records_for
from .keyspace import Keyspace
from .locks import SCOPE_COMMAND, SCOPE_COMMAND_AND_BINLOG, DBLock
from .storage.environment import SYNC_ALWAYS, SYNC_EVERYSEC, Environment
from .storage.records import OBJECT_ID

log = logging.getLogger(__name__)

#: In the system table: per DB, the binlog end position and logic_id the data includes.
_APPLIED_KEY = b"applied:%d"
_APPLIED = struct.Struct(">IQQ")
#: In the system table: the next collection object id to hand out.
_NEXT_OBJECT_ID = b"next_object_id"
#: In the system table: ``reclaim: | db u8 | object_id u64`` for each deleted collection whose
#: members are still to be deleted.
_RECLAIM_PREFIX = b"reclaim:"
_RECLAIM = struct.Struct(">BQ")


class Engine:
    """The storage engine behind a server (or used directly, embedded)."""

    def __init__(self, path: str, databases: int = 16, map_size: int = 1 << 36,
                 sync_policy: str = SYNC_EVERYSEC, binlog_path: str | None = None,
                 binlog_file_size: int = DEFAULT_FILE_SIZE, lock_scope: str = SCOPE_COMMAND_AND_BINLOG) -> None:
        self.env = Environment(path, databases, map_size, sync_policy)
        self.keyspaces = [Keyspace(self, index, handles) for index, handles in enumerate(self.env.handles)]
        #: One binlog per logical DB (``<binlog_path>/log_db<N>``); empty when write-binlog is off.
        self.binlogs = [BinlogWriter(os.path.join(binlog_path, f"log_db{index}"), binlog_file_size)
                        for index in range(databases)] if binlog_path else []
        #: What the running command changed: (keyspace, key or None for a flush, kind, record after).
        self.changes: list[Change] = []
        self._sync_lock = threading.Lock()
        self._closed = False
        #: Held shared by a turn that writes, exclusively by a bgsave taking its snapshot.
        self.lock = DBLock()
        #: How much of a turn the lock covers (see pypika_store.locks); CONFIG SET may change it.
        self.lock_scope = lock_scope
        #: False while replaying the binlog itself: changes then produce no new records.
        self.recording = True
        #: Records of this turn waiting for the binlog: (db index, argv).
        self._records: list[tuple[int, list[bytes]]] = []
        #: Items received from a master this turn, placed and waiting for the binlog write.
        self._replicated: list[tuple[BinlogWriter, Batch]] = []
        self._write_txn: lmdb.Transaction | None = None
        self._read_txn: lmdb.Transaction | None = None
        #: Called once when a turn opens its first transaction (the server schedules end_turn).
        self.on_turn_start: Callable[[], None] | None = None
        #: Called with (db index, key) when a list, zset or stream key gets elements (the
        #: server wakes clients blocked on it).
        self.on_key_ready: Callable[[int, bytes], None] | None = None
        #: Called with each command's changes when they are logged, while set (the server
        #: sets it while some client WATCHes a key).
        self.on_changes: Callable[[list[Change]], None] | None = None
        #: The clock behind every expiry decision, in unix milliseconds; tests may replace it.
        self.now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
        self._next_object_id = 0
        #: Deleted collections whose members the background reclaimer has yet to delete.
        self.pending_reclaims = 0
        self._load_counters()
        self.end_turn()

    def _load_counters(self) -> None:
        """Read what the in-memory state mirrors from LMDB (at start, after a failed commit)."""
        txn = self.reader()
        raw = txn.get(_NEXT_OBJECT_ID, db=self.env.system)
        self._next_object_id = OBJECT_ID.unpack(raw)[0] if raw else 1
        with txn.cursor(db=self.env.system) as cursor:
            cursor.set_range(_RECLAIM_PREFIX)
            self.pending_reclaims = sum(1 for key in cursor.iternext(values=False)
                                        if key.startswith(_RECLAIM_PREFIX))
        for keyspace in self.keyspaces:
            keyspace.rebuild_expiry_index()
            keyspace.zsets.forget_all()

    def reload_state(self) -> None:
        """Re-read the in-memory state (object-id counter, reclaim count, expiry indexes, zset
        caches) after LMDB's tables were replaced under it: a full sync loaded a snapshot."""
        self._load_counters()

    # -- collections' object ids ------------------------------------------------------------

    def allocate_object_id(self) -> int:
        """A fresh object id for a new collection, never reused (the counter is stored in
        the same transaction as the collection)."""
        object_id = self._next_object_id
        self._next_object_id += 1
        self.writer().put(_NEXT_OBJECT_ID, OBJECT_ID.pack(self._next_object_id), db=self.env.system)
        return object_id

    def reclaim(self, keyspace: Keyspace, object_id: int) -> None:
        """Queue a deleted collection's members for deletion in the background, so DEL of a
        key with millions of members costs one record now."""
        keyspace.zsets.forget(object_id)
        self.writer().put(_RECLAIM_PREFIX + _RECLAIM.pack(keyspace.index, object_id), b"", db=self.env.system)
        self.pending_reclaims += 1

    def forget_reclaims(self, keyspace: Keyspace) -> None:
        """Drop the queue entries of a DB whose members table was emptied (FLUSHDB)."""
        keyspace.zsets.forget_all()
        txn = self.writer()
        head = _RECLAIM_PREFIX + bytes([keyspace.index])
        with txn.cursor(db=self.env.system) as cursor:
            found = cursor.set_range(head)
            while found and cursor.key().startswith(head):
                found = cursor.delete()
                self.pending_reclaims -= 1

    def reclaim_step(self, budget: int) -> int:
        """Delete up to ``budget`` members of queued collections; how many were deleted."""
        if not self.pending_reclaims:
            return 0
        txn = self.writer()
        deleted = 0
        with txn.cursor(db=self.env.system) as queue:
            found = queue.set_range(_RECLAIM_PREFIX)
            while found and deleted < budget and queue.key().startswith(_RECLAIM_PREFIX):
                index, object_id = _RECLAIM.unpack_from(queue.key(), len(_RECLAIM_PREFIX))
                prefix = OBJECT_ID.pack(object_id)
                with txn.cursor(db=self.keyspaces[index].members_table) as members:
                    more = members.set_range(prefix)
                    while more and deleted < budget and members.key().startswith(prefix):
                        more = members.delete()
                        deleted += 1
                    finished = not more or not members.key().startswith(prefix)
                if not finished:
                    break
                found = queue.delete()
                self.pending_reclaims -= 1
        return deleted

    @property
    def sync_policy(self) -> str:
        return self.env.sync_policy

    @property
    def dirty(self) -> bool:
        """True while this turn holds uncommitted writes."""
        return self._write_txn is not None

    def reader(self) -> lmdb.Transaction:
        """The transaction reads of this turn use."""
        txn = self._write_txn or self._read_txn
        if txn is None:
            txn = self._read_txn = self.env.begin_read()
            if self.on_turn_start is not None:
                self.on_turn_start()
        return txn

    def writer(self) -> lmdb.Transaction:
        """This turn's write transaction, opened on first use."""
        txn = self._write_txn
        if txn is None:
            started = self._read_txn is not None
            if started:
                self._read_txn.abort()  # type: ignore[union-attr]
                self._read_txn = None
            self.lock.acquire_shared()
            txn = self._write_txn = self.env.begin_write()
            if not started and self.on_turn_start is not None:
                self.on_turn_start()
        return txn

    def log_changes(self) -> None:
        """Turn the running command's changes into binlog records (call after each write command)."""
        if self.on_changes is not None and self.changes:
            self.on_changes(self.changes)
        if self.binlogs and self.changes and self.recording:
            self._records.extend(records_for(self.changes))
        self.changes.clear()

    def applied_position(self, index: int) -> tuple[Position, int] | None:
        """The binlog position (end of the last item) and logic_id that LMDB's data includes."""
        return self.applied_position_in(self.reader(), index)

    def applied_position_in(self, txn: lmdb.Transaction, index: int) -> tuple[Position, int] | None:
        """The same, as a given transaction (a bgsave's snapshot) sees it."""
        raw = txn.get(_APPLIED_KEY % index, db=self.env.system)
        if raw is None:
            return None
        filenum, offset, logic_id = _APPLIED.unpack(raw)
        return Position(filenum, offset), logic_id

    def set_applied_position(self, index: int, position: Position, logic_id: int) -> None:
        """Record, in this turn's transaction, that the data includes the binlog up to here."""
        self.writer().put(_APPLIED_KEY % index, _APPLIED.pack(position.filenum, position.offset, logic_id),
                          db=self.env.system)

    def replicate(self, index: int, start: Position, payload: bytes) -> None:
        """Take a master's binlog item for DB ``index``: place it at the same position in this
        binlog (MisalignedItem if it does not start where this binlog ends) and note, in this
        turn's transaction, that the data includes it. The caller then applies its command
        with :attr:`recording` off; the item is written with the turn, before the commit."""
        binlog = self.binlogs[index]
        batch = binlog.prepare_replicated([(start, payload)])
        end, logic_id = batch.last()
        applied = self.applied_position(index)
        self.set_applied_position(index, end, max(logic_id, applied[1] if applied else 0))
        if self._replicated and self._replicated[-1][0] is binlog:
            self._replicated[-1][1].extend(batch)  # one write per DB per turn, as for local writes
        else:
            self._replicated.append((binlog, batch))

    def system_value(self, name: bytes) -> bytes | None:
        """A server-wide value kept in LMDB (the replication id)."""
        return self.reader().get(name, db=self.env.system)

    def set_system_value(self, name: bytes, value: bytes) -> None:
        self.writer().put(name, value, db=self.env.system)

    def delete_system_value(self, name: bytes) -> None:
        self.writer().delete(name, db=self.env.system)

    def _prepare_binlog(self) -> list[tuple[BinlogWriter, Batch]]:
        """Place this turn's records, one batch per DB, and note each DB's new applied position
        in the turn's LMDB transaction, so the data says exactly which items it includes."""
        by_db: dict[int, list[list[bytes]]] = {}
        for index, argv in self._records:
            by_db.setdefault(index, []).append(argv)
        self._records.clear()
        batches = []
        for index, commands in by_db.items():
            batch = self.binlogs[index].prepare(commands)
            self.set_applied_position(index, *batch.last())
            batches.append((self.binlogs[index], batch))
        return batches

    def _write_batches(self, batches: list[tuple[BinlogWriter, Batch]]) -> None:
        for binlog, batch in batches:
            binlog.write(batch)
            if self.sync_policy == SYNC_ALWAYS:
                binlog.sync()

    def end_turn(self) -> None:
        """Write the turn's binlog records, commit its LMDB transaction (one commit, one fsync
        under `always`), release the DB lock and drop the read snapshot.

        With the default lock scope the binlog is written first, under the lock, so a bgsave
        sees either the whole turn (data and binlog) or none of it, and after a crash the binlog
        is never behind the data. With ``SCOPE_COMMAND`` (Pika's old bug) the lock is released
        after the commit and only then is the binlog written.

        If the commit fails, the turn's writes are gone; the in-memory expiry index is rebuilt
        from what LMDB really holds and the error propagates so the server can fail the clients
        that were waiting on it.
        """
        read_txn, self._read_txn = self._read_txn, None
        if read_txn is not None:
            read_txn.abort()
        if self._write_txn is None:
            return
        batches = self._prepare_binlog() if self._records else []
        if self._replicated:
            batches += self._replicated
            self._replicated = []
        write_txn, self._write_txn = self._write_txn, None
        deferred = self.lock_scope == SCOPE_COMMAND
        try:
            if not deferred:
                self._write_batches(batches)
            write_txn.commit()
        except lmdb.Error:
            log.exception("commit failed; this turn's writes are lost")
            self._load_counters()
            self.end_turn()
            raise
        finally:
            self.lock.release_shared()
        if deferred:
            self._write_batches(batches)

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
        self.end_turn()
        self.sync()
        with self._sync_lock:
            self._closed = True
            for binlog in self.binlogs:
                binlog.close()
            self.env.close()
