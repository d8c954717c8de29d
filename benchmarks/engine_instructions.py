"""Instructions per command of the engine alone (binlog off), counted by valgrind's callgrind.

    python benchmarks/engine_instructions.py --python <old checkout>/.venv/bin/python --python .venv/bin/python

The engine's half of benchmarks/write_path_instructions.py: the turns of
benchmarks/engine_path.py (new keys in sequence, ``seq``) and of
benchmarks/engine_random_writes.py (random existing keys, ``random``), binlog off, each after a
warm-up. Only their timed loops are counted: the two calls of ``time.process_time()`` that
bracket a loop become ``os.getppid()`` (callgrind zeroes its counters) and ``os.getpgrp()`` (it
dumps them), so the keys' formatting before it is left out; the garbage collector is off. Instruction counts barely move
with the machine's load, so they compare two checkouts where CPU time cannot; they are not time
(LMDB's page copies and ``pwrite`` cost more than their instructions).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine_path  # noqa: E402  (this folder's, whichever interpreter runs it)
import engine_random_writes  # noqa: E402

#: ``<test>:<keys>`` regions, in the order they are counted.
REGIONS = ("set:seq", "incr:seq", "set:random", "incr:random")
#: Keys the random regions' keyspace holds.
RANDOM_KEYS = 20_000


def _run(engine: object, region: str, turns: int, round_number: int) -> None:
    test, keys = region.split(":")
    if keys == "seq":
        engine_path.measure_round(engine, test, turns, round_number)  # type: ignore[arg-type]
    else:
        engine_random_writes.measure_round(engine, test, RANDOM_KEYS, turns, round_number)  # type: ignore[arg-type]


class _RegionMarkers:
    """Stands for the benchmarks' ``time`` module: its ``process_time()`` starts a counted
    region at a timed loop's start and ends it at the loop's end."""

    def __init__(self) -> None:
        self._inside = False

    def process_time(self) -> float:
        self._inside = not self._inside
        (os.getppid if self._inside else os.getpgrp)()
        return 0.0


def _worker(turns: int) -> None:
    from pypika_store.engine import Engine

    with tempfile.TemporaryDirectory() as folder:
        # Valgrind refuses the default map's reservation; 16 GiB still leaves ensure_room's
        # check to every 64th turn, as the default does.
        engine = Engine(f"{folder}/db", databases=1, map_size=16 * 1024**3)
        try:
            engine_path.prepare(engine)
            engine_random_writes.fill(engine, RANDOM_KEYS)
            for region in REGIONS:
                _run(engine, region, turns, 0)
            gc.collect()
            gc.disable()
            engine_path.time = engine_random_writes.time = _RegionMarkers()  # type: ignore[assignment]
            for region in REGIONS:
                _run(engine, region, turns, 1)
        finally:
            engine.close()


def count(python: str, turns: int) -> list[int]:
    """Instructions per command of each region, run by ``python``."""
    return engine_path.callgrind_regions(__file__, ["--worker", "--turns", str(turns)], len(REGIONS),
                                         turns * engine_path.PIPELINE, python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", help="a checkout's interpreter (repeatable; default: this one)")
    parser.add_argument("--turns", type=int, default=200, help="turns of 16 commands counted per region")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        _worker(options.turns)
        return
    pythons = options.python or [sys.executable]
    counts = {python: count(python, options.turns) for python in pythons}
    print(f"{'region':<12} " + "  ".join(f"{python[-40:]:>40}" for python in pythons))
    for index, region in enumerate(REGIONS):
        print(f"{region.upper():<12} " + "  ".join(f"{counts[python][index]:>40,}" for python in pythons))


if __name__ == "__main__":
    main()
