"""The engine's cost of a turn of writes to random existing keys, in process (binlog off).

    python benchmarks/engine_random_writes.py                  # SET and INCR, 100,000 keys
    python benchmarks/engine_random_writes.py --tests set --keys 1000000

benchmarks/engine_path.py writes new keys in sequence, so each turn's pages are the last ones
of the B-tree, already dirty from the turn before. redis-benchmark's ``-r`` writes random keys
of a keyspace that already holds them: each write of a turn then replaces a record on a page
of its own, which the turn copies and LMDB's commit writes. This measures that case: a
keyspace filled with ``--keys`` string keys, then turns of 16 SETs or INCRs (as the handlers
call the keyspace: INCR reads the entry, then rewrites it) on keys drawn at random from it.
Prints the best of ``--rounds`` rounds of ``--turns`` turns, in CPU µs per command and per
turn. Only the engine's public methods are used, so the same file times an older checkout:
run it with that checkout's interpreter from a folder outside both trees.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from typing import Callable

from pypika_store.engine import Engine
from pypika_store.keyspace import Keyspace

PIPELINE = 16


def _set(keyspace: Keyspace, key: bytes) -> None:
    keyspace.set_string(key, b"7")


def _incr(keyspace: Keyspace, key: bytes) -> None:
    entry = keyspace.get_string_entry(key)
    if entry is None:
        keyspace.set_string(key, b"1", event=b"incrby")
    else:
        keyspace.rewrite_string(key, b"%d" % (int(entry[0]) + 1), entry[1], b"incrby")


COMMANDS: dict[str, Callable[[Keyspace, bytes], None]] = {"set": _set, "incr": _incr}


def fill(engine: Engine, keys: int) -> None:
    """``keys`` string keys holding a number (INCR's and SET's keys), 10,000 per turn."""
    keyspace = engine.keyspaces[0]
    for start in range(0, keys, 10_000):
        for number in range(start, min(keys, start + 10_000)):
            keyspace.set_string(b"key:%012d" % number, b"0")
        engine.log_changes()
        engine.end_turn()


def measure_round(engine: Engine, name: str, keys: int, turns: int, seed: int) -> float:
    """CPU µs per command of ``turns`` turns of 16 commands ``name`` on random keys."""
    command = COMMANDS[name]
    keyspace = engine.keyspaces[0]
    draw = random.Random(seed)
    turns_keys = [[b"key:%012d" % draw.randrange(keys) for _ in range(PIPELINE)] for _ in range(turns)]
    started = time.process_time()
    for turn_keys in turns_keys:
        for key in turn_keys:
            command(keyspace, key)
            if engine.changes:
                engine.log_changes()
        engine.end_turn()
    return (time.process_time() - started) / (turns * PIPELINE) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default=",".join(COMMANDS))
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine(f"{folder}/db", databases=1, binlog_path=None)
        try:
            fill(engine, options.keys)
            for name in options.tests.split(","):
                best = min(measure_round(engine, name, options.keys, options.turns, seed)
                           for seed in range(options.rounds))
                print(f"{name.upper():6} random keys {best:6.2f} µs per command, {best * PIPELINE:7.1f} µs per turn",
                      flush=True)
        finally:
            engine.close()


if __name__ == "__main__":
    main()
