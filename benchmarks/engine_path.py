"""The engine's own write and read path, in process: no network, no parser, no dispatch.

    python benchmarks/engine_path.py                      # every test, binlog on and off, and the binlog's cost
    python benchmarks/engine_path.py --tests set,lrange_100 --binlog on
    python benchmarks/engine_path.py --tests set,incr --instructions   # callgrind's counts, load-proof

Each turn runs 16 commands as the server runs them (the store or keyspace method a command
handler calls, then ``Engine.log_changes`` when the command changed something, with a lookup
counter set as dispatch sets it) and ends with ``Engine.end_turn`` (group commit; the binlog
written when on). Prints the best of ``--rounds`` rounds of ``--turns`` turns in µs per
command (CPU time of the process, which holds better than wall-clock time on a shared
machine), one line per test and mode; with both modes, their rounds alternate (an engine each,
so both see the same load) and a third line gives the binlog's cost, on minus off. It uses only the engine's public methods, so the same file times
an older checkout: run it with that checkout's interpreter, from a folder outside both trees
(docs/benchmarks.md, "The engine's write and read path").
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from typing import Callable

from pypika_store.engine import Engine
from pypika_store.keyspace import Keyspace
from pypika_store.types.lists import clamped_range
from pypika_store.types.zsets import ZaddFlags

PIPELINE = 16


class LookupCounter:
    """INFO's keyspace_hits/misses counter, as dispatch sets one around each command."""

    keyspace_hits = 0
    keyspace_misses = 0
    keymiss_events = False


def _lrange_100(keyspace: Keyspace, key: bytes, member: bytes) -> object:
    lists = keyspace.lists
    collection = lists.open(b"list:lrange")
    return lists.range(collection, *clamped_range(collection.count, 0, 99))


def _incr(keyspace: Keyspace, key: bytes, member: bytes) -> object:
    value, expire_at = keyspace.get_string_entry(key) or (b"0", 0)
    result = int(value) + 1
    keyspace.set_string(key, b"%d" % result, expire_at, event=b"incrby")
    return result


#: One command per test: what its handler calls, given a key of its own (a string test's
#: key changes with every command, as redis-benchmark's random keys) and a member never used
#: before (so each SADD, HSET, ZADD adds one, as redis-benchmark's random members mostly do).
COMMANDS: dict[str, Callable[[Keyspace, bytes, bytes], object]] = {
    "set": lambda keyspace, key, member: keyspace.set_string(key, b"xxx"),
    "get": lambda keyspace, key, member: keyspace.get_string(b"key:get"),
    "incr": _incr,
    "lpush": lambda keyspace, key, member: keyspace.lists.push(b"list", [b"xxx"], True),
    "hset": lambda keyspace, key, member: keyspace.hashes.set_fields(b"hash", [(member, b"xxx")]),
    "sadd": lambda keyspace, key, member: keyspace.sets.add(b"set", [member]),
    "zadd": lambda keyspace, key, member: keyspace.zsets.add(b"zset", [(1.0, member)], ZaddFlags()),
    "lrange_100": _lrange_100,
}


def prepare(engine: Engine) -> None:
    """The keys the read tests read: a string for GET, a list of 100 elements for LRANGE."""
    keyspace = engine.keyspaces[0]
    keyspace.set_string(b"key:get", b"xxx")
    keyspace.lists.push(b"list:lrange", [b"xxx"] * 100, False)
    engine.log_changes()
    engine.end_turn()


def measure(engine: Engine, name: str, turns: int, rounds: int) -> float:
    """Best µs per command of test ``name`` over ``rounds`` rounds of ``turns`` turns."""
    return min(measure_round(engine, name, turns, round_number) for round_number in range(rounds))


def turns_arguments(name: str, turns: int, round_number: int) -> list[list[tuple[bytes, bytes]]]:
    """Each turn's ``(key, member)`` per command of test ``name``; each round adds members of its own."""
    return [[(b"%s:%012d" % (name.encode(), number * PIPELINE + n),
              b"member:%d:%012d" % (round_number, number * PIPELINE + n)) for n in range(PIPELINE)]
            for number in range(turns)]


def run_turns(engine: Engine, name: str, arguments_per_turn: list[list[tuple[bytes, bytes]]]) -> None:
    """Run test ``name``'s turns as the server runs them."""
    command = COMMANDS[name]
    keyspace = engine.keyspaces[0]
    turn = engine.turn
    counter = LookupCounter()
    for arguments in arguments_per_turn:
        for key, member in arguments:
            turn.lookup_counter = counter
            command(keyspace, key, member)
            turn.lookup_counter = None
            if engine.changes:
                engine.log_changes()
        engine.end_turn()


def measure_round(engine: Engine, name: str, turns: int, round_number: int) -> float:
    """µs per command of ``turns`` turns of test ``name``."""
    arguments_per_turn = turns_arguments(name, turns, round_number)
    started = time.process_time()
    run_turns(engine, name, arguments_per_turn)
    return (time.process_time() - started) / (turns * PIPELINE) * 1e6


def open_engine(folder: str, mode: str) -> Engine:
    """An engine of one DB in ``folder``, its binlog written when ``mode`` is ``on``."""
    return Engine(f"{folder}/{mode}/db", databases=1, binlog_path=f"{folder}/{mode}/log" if mode == "on" else None,
                  # a small map: valgrind refuses the default map's reservation
                  map_size=256 * 1024 * 1024)


def count_instructions_worker(tests: list[str], mode: str, turns: int) -> None:
    """The side valgrind counts (``--instructions``): one region per test, after a warm-up
    round of every test; callgrind zeroes its counters at ``os.getppid()`` and dumps them at
    ``os.getpgrp()``, and the garbage collector is off inside the regions."""
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(folder, mode)
        try:
            prepare(engine)
            for name in tests:
                run_turns(engine, name, turns_arguments(name, turns, 0))
            gc.collect()
            gc.disable()
            for name in tests:
                arguments_per_turn = turns_arguments(name, turns, 1)
                os.getppid()
                run_turns(engine, name, arguments_per_turn)
                os.getpgrp()
        finally:
            engine.close()


def callgrind_regions(script: str, arguments: list[str], regions: int, per_region: int,
                      python: str = sys.executable) -> list[int]:
    """Run ``script`` with ``python`` (a checkout's interpreter) under callgrind, which zeroes its
    counters at each ``os.getppid()`` and dumps them at each ``os.getpgrp()``: the instructions
    of each of its ``regions``, divided by ``per_region`` (the commands or records each ran)."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--zero-before=getppid",
                        "--dump-before=getpgrp", python, os.path.abspath(script), *arguments],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        counts = []
        for index in range(1, regions + 1):
            with open(f"{out}.{index}") as dump:
                total = next(int(line.split()[1]) for line in dump if line.startswith(("summary:", "totals:")))
            counts.append(total // per_region)
        return counts


def count_instructions(tests: list[str], mode: str, turns: int) -> list[int]:
    """Instructions per command of each test with the binlog ``mode``, counted by callgrind
    (load-proof, unlike CPU time: they compare the binlog on and off on a shared machine)."""
    return callgrind_regions(__file__, ["--worker", "--tests", ",".join(tests), "--binlog", mode,
                                        "--turns", str(turns)], len(tests), turns * PIPELINE)


def print_instructions(tests: list[str], modes: tuple[str, ...], turns: int) -> None:
    counts = {mode: count_instructions(tests, mode, turns) for mode in modes}
    for index, name in enumerate(tests):
        for mode in modes:
            print(f"{name.upper():10} binlog {mode:3} {counts[mode][index]:8,} instructions", flush=True)
        if len(modes) == 2:
            cost = counts["on"][index] - counts["off"][index]
            print(f"{name.upper():10} binlog's cost {cost:6,} instructions ({cost / counts['on'][index]:.0%} of "
                  "binlog on)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default=",".join(COMMANDS))
    parser.add_argument("--binlog", choices=("on", "off", "both"), default="both")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per command under valgrind's callgrind instead of timing")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    modes = ("on", "off") if options.binlog == "both" else (options.binlog,)
    tests = options.tests.split(",")
    if options.worker:
        count_instructions_worker(tests, options.binlog, options.turns)
        return
    if options.instructions:
        print_instructions(tests, modes, options.turns)
        return
    with tempfile.TemporaryDirectory() as folder:
        engines = {mode: open_engine(folder, mode) for mode in modes}
        try:
            for engine in engines.values():
                prepare(engine)
            for name in tests:
                best = dict.fromkeys(modes, float("inf"))
                for round_number in range(options.rounds):  # the modes alternate: both see the same load
                    for mode, engine in engines.items():
                        best[mode] = min(best[mode], measure_round(engine, name, options.turns, round_number))
                for mode in modes:
                    print(f"{name.upper():10} binlog {mode:3} {best[mode]:6.2f} µs", flush=True)
                if len(modes) == 2:
                    cost = best["on"] - best["off"]
                    print(f"{name.upper():10} binlog's cost {cost:5.2f} µs ({cost / best['on']:.0%} of binlog on)",
                          flush=True)
        finally:
            for engine in engines.values():
                engine.close()


if __name__ == "__main__":
    main()
