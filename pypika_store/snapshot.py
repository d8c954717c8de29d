"""bgsave: an LMDB snapshot paired with the exact binlog position of every DB.

Under the DB lock held exclusively — only long enough to read each binlog's position and open
an LMDB read transaction, a section the turn in progress runs as it releases the lock
(pypika_store/locks.py) — the snapshot's content is fixed (LMDB MVCC); the copy itself runs
after the lock is released, while writers go on. With the default lock scope a writing turn
holds the lock through its binlog write and commit, so the position read is exactly the end of
what the snapshot contains. See docs/snapshot-format.md for the layout on disk.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field

from .binlog import Position
from .engine import Engine
from .storage.environment import Transaction


@dataclass
class DBPosition:
    """One DB's binlog position as read under the lock, and as recorded in the snapshot's data."""

    index: int
    binlog: Position
    logic_id: int
    term: int
    in_data: tuple[Position, int] | None

    @property
    def consistent(self) -> bool:
        """True when the data includes exactly the binlog up to the recorded position."""
        if self.in_data is None:
            return self.logic_id == 0 or self.binlog == Position(0, 0)
        return self.in_data == (self.binlog, self.logic_id)


@dataclass
class Snapshot:
    path: str
    started_at: float
    elapsed: float = 0.0
    lock_hold: float = 0.0
    positions: list[DBPosition] = field(default_factory=list)

    @property
    def mismatched(self) -> list[int]:
        """DBs whose data does not match the recorded position (Pika's bug, with the command scope)."""
        return [position.index for position in self.positions if not position.consistent]


def snapshot_folder(dump_path: str, prefix: str, when: float) -> str:
    """Pika's ``<dump-path><dump-prefix><YYYYMMDD>``."""
    return os.path.join(dump_path, prefix + time.strftime("%Y%m%d", time.localtime(when)))


def key_delay_seconds(keys: int, delay_us: int) -> float:
    """How long Redis' per-key test delays (``rdb-key-save-delay``, ``key-load-delay``) make
    ``keys`` keys take: ``delay_us`` microseconds each, or when negative one microsecond per
    ``-delay_us`` keys."""
    if delay_us >= 0:
        return keys * delay_us / 1e6
    return keys / -delay_us / 1e6


def take_snapshot(engine: Engine, folder: str, host: str, port: int, key_save_delay_us: int = 0) -> Snapshot:
    """Copy the data and write each DB's ``info`` file into ``folder`` (replaced atomically).
    ``key_save_delay_us`` (``rdb-key-save-delay``) slows the save per key, after the snapshot's
    content is fixed: the saved data and positions are the same, the save just ends later.

    Run from a worker thread, this does as few system calls as it can (``os.mkdir``, ``os.open``
    rather than ``makedirs``, ``open``, ``rmtree``): each one releases the GIL and takes it back,
    and taking it back from a busy event loop makes the loop stop for the handover."""
    staging, retired = folder.rstrip("/") + ".tmp", folder.rstrip("/") + ".old"
    for leftover in (staging, retired):  # from a save that was cut short
        shutil.rmtree(leftover, ignore_errors=True)
    os.makedirs(staging)
    snapshot = Snapshot(folder, time.time())

    def fix_content() -> tuple[list[tuple[Position, int, int]], Transaction]:
        started = time.perf_counter()
        positions = [(binlog.position, binlog.logic_id, binlog.last_item_term) for binlog in engine.binlogs]
        txn = engine.env.begin_read()
        snapshot.lock_hold = time.perf_counter() - started
        return positions, txn

    binlog_positions, txn = engine.lock.run_exclusive(fix_content)
    try:
        engine.env.copy(os.path.join(staging, "lmdb"), txn)
        if key_save_delay_us:
            keys = sum(txn.stat(handles.meta)["entries"] for handles in engine.env.handles)
            time.sleep(key_delay_seconds(keys, key_save_delay_us))
        for index, (position, logic_id, term) in enumerate(binlog_positions):
            in_data = engine.applied_position_in(txn, index)
            snapshot.positions.append(DBPosition(index, position, logic_id, term, in_data))
    finally:
        txn.abort()
    snapshot.elapsed = time.time() - snapshot.started_at
    for position in snapshot.positions:
        _write_info(os.path.join(staging, f"db{position.index}"),
                    f"{int(snapshot.elapsed)}s\n{host}\n{port}\n{position.binlog.filenum}\n"
                    f"{position.binlog.offset}\n{position.term}\n{position.logic_id}\n")
    try:
        os.rename(folder, retired)
    except FileNotFoundError:  # the day's first snapshot
        retired = ""
    os.rename(staging, folder)
    if retired:
        _remove_snapshot(retired, len(snapshot.positions))
    return snapshot


def _write_info(db_folder: str, text: str) -> None:
    os.mkdir(db_folder)
    descriptor = os.open(os.path.join(db_folder, "info"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(descriptor, text.encode("ascii"))
    finally:
        os.close(descriptor)


def _remove_snapshot(folder: str, databases: int) -> None:
    """Delete a replaced snapshot by its known layout (a third of ``rmtree``'s system calls),
    or with ``rmtree`` when it holds anything else (opened as an environment, files added)."""
    try:
        for index in range(databases):
            os.unlink(os.path.join(folder, f"db{index}", "info"))
            os.rmdir(os.path.join(folder, f"db{index}"))
        os.unlink(os.path.join(folder, "lmdb", "data.mdb"))
        os.rmdir(os.path.join(folder, "lmdb"))
        os.rmdir(folder)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def read_info(folder: str, index: int) -> tuple[Position, int, int]:
    """``(binlog position, term, logic_id)`` from a snapshot DB's ``info`` file."""
    with open(os.path.join(folder, f"db{index}", "info"), encoding="ascii") as handle:
        lines = handle.read().split()
    return Position(int(lines[3]), int(lines[4])), int(lines[5]), int(lines[6])
