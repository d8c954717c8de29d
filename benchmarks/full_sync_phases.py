"""A full sync's pieces in process, without sockets: what the master and the slave spend on each.

    python benchmarks/full_sync_phases.py --keys 100000 --rounds 5
    (cd <old checkout> && .venv/bin/python <this checkout>/benchmarks/full_sync_phases.py ...)  # the old code

An engine is filled with --keys strings of 100 bytes (as benchmarks/replication.py's master),
then, --rounds times: the bgsave (take_snapshot), the master's served copy (hard links and every
file's CRC-32C), the slave's whole-file check of the fetched data file (a CRC-32C read back),
the binlog padding for the snapshot's offset (written to a file and fsynced: this code writes it
while the files come, older code in the load), the load of the snapshot into a fresh engine
with binlogs (its binlog reset included: a rename here, the padding written in older code), and
the expiry index rebuild (which the load includes too: timed again alone). Each row shows the best and the median of the rounds: wall-clock milliseconds and
this process' CPU milliseconds (the CPU holds on a shared machine, the wall clock does not).

The code measured is the one this interpreter imports: run it with another checkout's
interpreter, from that checkout, to measure that code.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from typing import Callable

sys.path.insert(0, os.getcwd())

from pypika_store.binlog import writer as binlog_writer  # noqa: E402
from pypika_store.engine import Engine  # noqa: E402
from pypika_store.replication.checksums import file_crc32c  # noqa: E402
from pypika_store.replication.snapshot_service import make_served_copy  # noqa: E402
from pypika_store.snapshot import take_snapshot  # noqa: E402
from pypika_store import sync_load  # noqa: E402
from pypika_store.sync_load import load_snapshot  # noqa: E402


def _padding_ahead(slave: Engine, positions: list, root: str) -> tuple:
    """The slave's binlog padding for ``positions``: written ahead, as a slave does while the
    files come (the load's reset then renames it: the arguments to pass to load_snapshot), or
    with older code, which wrote it inside the load, written here to a scratch file to time it
    (and nothing passed: the load writes it again)."""
    if hasattr(sync_load, "plan_padding"):
        plan = sync_load.plan_padding(slave, positions)
        sync_load.write_padding(plan)
        return (plan.paths,)
    path = os.path.join(root, "padding")
    with open(path, "wb") as handle:
        handle.write(binlog_writer._padding(positions[0][2]))  # noqa: SLF001 (the old code's only way)
        handle.flush()
        os.fsync(handle.fileno())
    os.unlink(path)
    return ()


class Timings:
    """Wall and CPU seconds per piece, over the rounds."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)

    def time(self, label: str, action: Callable[[], object]) -> object:
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        self.wall[label].append(time.perf_counter() - wall)
        self.cpu[label].append(time.process_time() - cpu)
        return result

    def table(self) -> str:
        lines = ["| piece | wall best (ms) | wall median (ms) | CPU best (ms) | CPU median (ms) |",
                 "|---|---:|---:|---:|---:|"]
        for label, walls in self.wall.items():
            cpus = self.cpu[label]
            lines.append(f"| {label} | {min(walls) * 1000:.1f} | {statistics.median(walls) * 1000:.1f} | "
                         f"{min(cpus) * 1000:.1f} | {statistics.median(cpus) * 1000:.1f} |")
        return "\n".join(lines)


def filled_engine(root: str, keys: int) -> Engine:
    engine = Engine(os.path.join(root, "master"), binlog_path=os.path.join(root, "master-binlog"))
    keyspace = engine.keyspaces[0]
    for start in range(0, keys, 10_000):
        for number in range(start, min(keys, start + 10_000)):
            keyspace.set_string(b"key:%d" % number, b"v" * 100)
            engine.log_changes()
        engine.end_turn()
    return engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="full-sync-phases-")
    timings = Timings()
    try:
        master = filled_engine(root, args.keys)
        dump = os.path.join(root, "dump")
        for number in range(args.rounds):
            snapshot = timings.time("master: bgsave", lambda: take_snapshot(master, os.path.join(dump, "d"),
                                                                            "127.0.0.1", 1))
            served = timings.time("master: served copy (links, CRC-32C)", lambda: make_served_copy(snapshot, dump))
            data_file = os.path.join(served.folder, "lmdb", "data.mdb")
            timings.time("slave: data file read back for its CRC-32C", lambda: file_crc32c(data_file))
            offset = served.positions[0][2]
            slave = Engine(os.path.join(root, f"slave-{number}"), binlog_path=os.path.join(root, f"slave-binlog-{number}"))
            try:
                padded = timings.time(f"slave: binlog padding ({offset / 1e6:.1f} MB, fsynced)",
                                      lambda: _padding_ahead(slave, served.positions, root))
                timings.time("slave: load (with its binlog reset)",
                             lambda: load_snapshot(slave, served.folder, served.positions, *padded))
                timings.time("slave: expiry index rebuild (DB 0)", slave.keyspaces[0].rebuild_expiry_index)
                slave.end_turn()
            finally:
                slave.close()
        master.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{os.getcwd()}: {args.keys:,} keys, {args.rounds} rounds")
    print(timings.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
