"""Loading a snapshot fetched from a master into the live engine (the end of a full sync).

All or nothing: every DB's ``meta:<n>`` and ``members:<n>`` tables, its applied position, the
object-id counter and the reclaim queue are replaced in one LMDB transaction — the write
transaction of a turn of its own, aborted on any failure so the live data stays as it was.
Only after the commit is each DB's binlog reset to start at the snapshot's position, so the
slave's binlog stays byte-aligned with its master's and it can TrySync from there.

Not covered yet: a crash between that commit and the binlog resets leaves the old binlog
behind data that says it stands at the snapshot's position; start-up recovery
(server/recovery.py) replays items past it only when their logic ids are higher, so it should
also check that the binlog's item ending at the applied position is the one the data names.

This module knows the engine and LMDB's tables (through :mod:`pypika_store.storage`), nothing of
sockets (see :mod:`pypika_store.replication.fetcher` for the transfer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, NamedTuple, Sequence

from .binlog import BinlogWriter, Position
from .binlog.writer import write_padding_file
from .engine import APPLIED, APPLIED_KEY, Engine
from .functions import LIBRARY_PREFIX
from .object_ids import NEXT_OBJECT_ID_KEY, RECLAIM_PREFIX
from .storage.environment import SnapshotEnvironment, Table, Transaction
from .storage.records import OBJECT_ID


class SnapshotLoadError(ValueError):
    """A snapshot that cannot be loaded (damaged, or made for another number of DBs)."""


class DBTarget(NamedTuple):
    """Where one DB stands once the snapshot is loaded."""

    db: int
    position: Position
    logic_id: int
    term: int


#: A binlog's padding written ahead of a full sync's load: ``<binlog dir>/padding-<offset>``
#: (not a binlog file's name: nothing else reads it).
PADDING_PREFIX = "padding-"


@dataclass(frozen=True)
class PaddingPlan:
    """The padding files a load of a snapshot at ``positions`` moves into place (per DB whose
    binlog it resets, the file and its offset), and the binlog folders to clear of others."""

    positions: list[list[int]]
    files: dict[int, tuple[str, int]]
    folders: list[str]

    @property
    def paths(self) -> dict[int, str]:
        return {db: path for db, (path, _offset) in self.files.items()}


def plan_padding(engine: Engine, positions: Sequence[Sequence[int]]) -> PaddingPlan:
    """The padding :func:`load_snapshot` needs for a snapshot at ``positions`` (in the engine's
    thread: it reads the binlogs' positions)."""
    targets = _targets(positions, len(engine.keyspaces))
    files = {target.db: (os.path.join(binlog.directory, f"{PADDING_PREFIX}{target.position.offset}"),
                         target.position.offset)
             for binlog, target in zip(engine.binlogs, targets)
             if target.position.offset and not _empty_at(binlog, target)}
    return PaddingPlan([list(position) for position in positions], files,
                       [binlog.directory for binlog in engine.binlogs])


def write_padding(plan: PaddingPlan) -> None:
    """Write the plan's padding files, fsynced, after removing those an earlier attempt left
    (a worker thread's job, while the snapshot's files come: for 100k keys 15 MB and an fsync,
    which the load, waited for by the event loop, spent half its time on)."""
    wanted = {path for path, _offset in plan.files.values()}
    for folder in plan.folders:
        for name in os.listdir(folder):
            if name.startswith(PADDING_PREFIX) and os.path.join(folder, name) not in wanted:
                os.unlink(os.path.join(folder, name))
    for path, offset in plan.files.values():
        write_padding_file(path, offset)


def remove_padding(plan: PaddingPlan) -> None:
    """Delete the plan's padding files that are still there (no load moved them into place)."""
    for path, _offset in plan.files.values():
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def load_snapshot(engine: Engine, folder: str, positions: Sequence[Sequence[int]],
                  padded: Mapping[int, str] | None = None) -> None:
    """Replace the engine's data with the snapshot in ``folder`` (``<folder>/lmdb``), whose DBs
    stand at ``positions`` (``[db, filenum, offset, logic_id, term]`` each, as PIKAREPL
    SNAPSHOT lists them), and reset each binlog to start there (moving ``padded``'s files, a
    :class:`PaddingPlan`'s, into place where given).

    Runs in the engine's thread (the event loop's, in a server). The turn in progress is
    committed first, so the load commits alone; the load commits itself, so when this returns
    the data, the applied positions and the binlogs agree. On an exception before the commit
    nothing changed.
    """
    targets = _targets(positions, len(engine.keyspaces))
    engine.end_turn()
    source = _open_snapshot(os.path.join(folder, "lmdb"), len(engine.keyspaces))
    try:
        _replace_data(engine, source, targets)
    finally:
        source.close()
        engine.end_turn()  # commits the load (or the empty turn it left after a failure)
    for binlog, target in zip(engine.binlogs, targets):  # no binlogs with write-binlog off
        if not _empty_at(binlog, target):
            binlog.reset_to(target.position, target.logic_id, target.term, (padded or {}).get(target.db))
    engine.reload_state()


def _empty_at(binlog: BinlogWriter, target: DBTarget) -> bool:
    """Whether ``binlog`` is empty and the snapshot's DB too (no item ever logged): resetting
    it would only rewrite an empty file and fsync it and its manifest, twice per DB — most of
    a small full sync's load when fifteen of sixteen DBs are unused."""
    return (binlog.position == target.position == Position(0, 0)
            and binlog.logic_id == target.logic_id == 0 and binlog.term == binlog.last_item_term == target.term)


def snapshot_key_count(folder: str, databases: int) -> int:
    """How many keys the fetched snapshot in ``folder`` holds (``key-load-delay`` is per key)."""
    source = _open_snapshot(os.path.join(folder, "lmdb"), databases)
    try:
        with source.begin_read() as snapshot:
            return sum(snapshot.stat(source.table(b"meta:%d" % index, snapshot))["entries"]
                       for index in range(databases))
    finally:
        source.close()


def _targets(positions: Sequence[Sequence[int]], databases: int) -> list[DBTarget]:
    """The positions as DBTargets; the snapshot must describe exactly this engine's DBs."""
    targets = sorted(DBTarget(int(db), Position(int(filenum), int(offset)), int(logic_id), int(term))
                     for db, filenum, offset, logic_id, term in positions)
    if [target.db for target in targets] != list(range(databases)):
        raise SnapshotLoadError(f"the snapshot describes DBs {[target.db for target in targets]}, "
                                f"this server has {databases}")
    return targets


def _open_snapshot(path: str, databases: int) -> SnapshotEnvironment:
    """The snapshot's environment, read-only. A data file shorter than the pages its meta page
    claims is refused before any page is read: touching a page past the end of a mapped
    file kills the process (SIGBUS) instead of raising."""
    source = SnapshotEnvironment(path, databases)
    try:
        needed = source.claimed_size()
        present = os.path.getsize(os.path.join(path, "data.mdb"))
        if present < needed:
            raise SnapshotLoadError(f"{path}/data.mdb is truncated: {present} bytes of {needed}")
    except BaseException:
        source.close()
        raise
    return source


def _replace_data(engine: Engine, source: SnapshotEnvironment, targets: list[DBTarget]) -> None:
    """Copy the snapshot into the engine's turn, which :func:`load_snapshot` has just ended, so
    the load has the turn's write transaction to itself and the turn's commit makes it
    durable. A failure aborts the turn's transaction (:meth:`Turn.abort`), that is the load
    alone: the old data stays whole, and nothing in memory changed. (No nested transaction:
    LMDB refuses them under ``writemap``.)"""
    txn = engine.turn.writer()
    try:
        with source.begin_read() as snapshot:
            def table(name: bytes) -> Table:
                return source.table(name, snapshot)

            for index, handles in enumerate(engine.env.handles):
                _replace_table(txn, handles.meta, snapshot, table(b"meta:%d" % index))
                _replace_table(txn, handles.members, snapshot, table(b"members:%d" % index))
            _replace_system(engine, txn, snapshot, table(b"system"), targets)
    except BaseException:
        engine.turn.abort()
        raise


def _replace_table(txn: Transaction, table: Table, snapshot: Transaction, source_table: Table) -> None:
    """Empty ``table`` and fill it with ``source_table``'s records (in key order: appends)."""
    txn.drop(table, delete=False)
    with snapshot.cursor(db=source_table) as source_cursor, txn.cursor(db=table) as cursor:
        cursor.putmulti(source_cursor.iternext(), append=True)


def _replace_prefixed(txn: Transaction, system: Table, snapshot: Transaction, source_system: Table,
                      prefix: bytes) -> None:
    """Replace the system records under ``prefix`` by the snapshot's."""
    with txn.cursor(db=system) as cursor:
        found = cursor.set_range(prefix)
        while found and cursor.key().startswith(prefix):
            found = cursor.delete()
    with snapshot.cursor(db=source_system) as cursor:
        found = cursor.set_range(prefix)
        while found and cursor.key().startswith(prefix):
            txn.put(cursor.key(), cursor.value(), db=system)
            found = cursor.next()


def _replace_system(engine: Engine, txn: Transaction, snapshot: Transaction, source_system: Table,
                    targets: list[DBTarget]) -> None:
    """The engine's server-wide records that describe the data: the snapshot's reclaim queue
    (its members tables hold those collections' members), its function libraries, an object-id counter past both the
    live one and the snapshot's (ids are never reused), and each DB's applied position.
    Other records (the replication id...) stay."""
    system = engine.env.system
    for prefix in (RECLAIM_PREFIX, LIBRARY_PREFIX):
        _replace_prefixed(txn, system, snapshot, source_system, prefix)
    next_ids = [OBJECT_ID.unpack(raw)[0] for raw in (txn.get(NEXT_OBJECT_ID_KEY, db=system),
                                                     snapshot.get(NEXT_OBJECT_ID_KEY, db=source_system)) if raw]
    txn.put(NEXT_OBJECT_ID_KEY, OBJECT_ID.pack(max(next_ids, default=1)), db=system)
    for target in targets:
        # The data's own record wins when it is ahead of the recorded offset: a snapshot taken
        # with the narrow lock scope (Pika's bug) holds writes past its binlog position, and the
        # slave must know it so the re-sent items are skipped, not applied twice.
        logic_id = target.logic_id
        own = snapshot.get(APPLIED_KEY % target.db, db=source_system)
        if own is not None:
            logic_id = max(logic_id, APPLIED.unpack(own)[2])
        txn.put(APPLIED_KEY % target.db, APPLIED.pack(*target.position, logic_id), db=system)
