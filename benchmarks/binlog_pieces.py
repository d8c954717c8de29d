"""Instructions per SET record of each piece of the binlog's path, counted by valgrind's callgrind.

    python benchmarks/binlog_pieces.py            # needs valgrind; about a minute

A pipelined SET's binlog cost (benchmarks/engine_path.py --instructions: binlog on minus off) is
spent in three pieces of Python, timed here alone, ``--turns`` batches of 16 plain SET records
(a 16-byte key, a 3-byte value) each, after a warm-up, the garbage collector off:

- ``records_for``: the change a SET notes turned into its record (``Engine.log_changes``' call,
  once per command, including ``string_state_content``);
- ``string_state_content``: the ``set key value`` RESP content made from the meta record alone
  (what every SET made at log time before round 7; now only a string with an expiry);
- ``prepare``: ``BinlogWriter.prepare`` placing the 16 records ``records_for`` made (item header,
  CRC-32C, record header; since round 7 the ``set key value`` content too), per item.

Instructions, not time, so that two checkouts compare on a loaded machine (run this file with
each checkout's interpreter, from a folder outside both trees). What the turn's write adds
(the ``pwrite``, LMDB's put of the applied position) is system time and memory traffic more than
instructions: benchmarks/engine_path.py's CPU times show it.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine_path import PIPELINE, callgrind_regions  # noqa: E402  (this folder's)

PIECES = ("records_for", "string_state_content", "prepare")


def _worker(turns: int) -> None:
    """The counted side: one callgrind region per piece (zeroed at ``os.getppid()``, dumped at
    ``os.getpgrp()``)."""
    from pypika_store import changes
    from pypika_store.binlog import BinlogWriter
    from pypika_store.storage.records import encode_string

    record = encode_string(b"xxx")
    keys = [b"key:%012d" % number for number in range(PIPELINE)]
    logs = []
    for key in keys:
        log = changes.ChangeLog()
        if hasattr(log, "string_set"):  # what a plain SET notes since round 7
            log.string_set(0, key, b"xxx")
        else:
            log.value_written(0, key, record)
        logs.append(log)
    records: changes.RecordsByDB = defaultdict(list)
    for log in logs:
        changes.records_for(log, records)
    contents = records[0]  # what prepare gets from a turn of plain SETs
    with tempfile.TemporaryDirectory() as folder:
        writer = BinlogWriter(folder)

        def records_for() -> None:
            records: changes.RecordsByDB = defaultdict(list)
            for log in logs:
                changes.records_for(log, records)

        def string_state_content() -> None:
            for key in keys:
                changes.string_state_content(key, record)

        def prepare() -> None:
            writer.prepare(contents, 0)

        pieces = [records_for, string_state_content, prepare]
        for piece in pieces:
            for _ in range(20):
                piece()
        gc.collect()
        gc.disable()
        for piece in pieces:
            os.getppid()
            for _ in range(turns):
                piece()
            os.getpgrp()
        writer.close()


def count(turns: int) -> list[int]:
    """Instructions per record of each piece."""
    return callgrind_regions(__file__, ["--worker", "--turns", str(turns)], len(PIECES), turns * PIPELINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200, help="batches of 16 records counted per piece")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        _worker(options.turns)
        return
    for piece, instructions in zip(PIECES, count(options.turns)):
        print(f"{piece:22} {instructions:7,} instructions per SET record", flush=True)


if __name__ == "__main__":
    main()
