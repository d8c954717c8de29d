"""The engine's path (benchmarks/engine_path.py), more reads, and an older checkout alongside.

    python benchmarks/engine_reads.py                                  # every row, this tree
    python benchmarks/engine_reads.py --compare ../before --rounds 5   # and another tree, interleaved
    python benchmarks/engine_reads.py --tests get,get_ttl,hget --binlog on

The rows are engine_path.py's (SET ... LRANGE_100: the store or keyspace method a command's
handler calls, then ``Engine.log_changes``, 16 commands a turn, ``Engine.end_turn``) and reads
of other kinds: GET of a key with a TTL (the expiry check that a key without one skips), HGET,
LINDEX, SISMEMBER, ZSCORE (one member's lookup under its collection's). Prints the best of
``--rounds`` rounds in µs of the process' CPU time per command, as engine_path.py does. With
``--compare TREE`` a round is one such run of 3 rounds in a process of each tree in turn
(``TREE``'s interpreter and sources run this file), so that both see the same machine load;
it prints each tree's median and their ratio. Run it from a folder outside both trees
(docs/benchmarks.md, "The engine's path, round 4").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine_path  # noqa: E402  (this folder's, whichever tree's interpreter runs this file)
from pypika_store.engine import Engine  # noqa: E402
from pypika_store.keyspace import Keyspace  # noqa: E402
from pypika_store.types.zsets import ZaddFlags  # noqa: E402

#: A key with a TTL far ahead (one day), for GET_TTL.
TTL_MS = 86_400_000


def _get_ttl(keyspace: Keyspace, key: bytes, member: bytes) -> object:
    return keyspace.get_string(b"key:ttl")


def _lindex(keyspace: Keyspace, key: bytes, member: bytes) -> object:
    lists = keyspace.lists
    return lists.element(lists.open(b"list:lrange"), 50)


def _zscore(keyspace: Keyspace, key: bytes, member: bytes) -> object:
    zsets = keyspace.zsets
    return zsets.score(zsets.open(b"zset:read"), b"member:7")


#: The reads added to engine_path.py's rows, each on a key :func:`prepare` wrote.
READS: dict[str, Callable[[Keyspace, bytes, bytes], object]] = {
    "get_ttl": _get_ttl,
    "hget": lambda keyspace, key, member: keyspace.hashes.get_field(b"hash:read", b"field:7"),
    "lindex": _lindex,
    "sismember": lambda keyspace, key, member: keyspace.sets.contains(b"set:read", [b"member:7"]),
    "zscore": _zscore,
}
# engine_path.measure looks its rows up in engine_path.COMMANDS: these join them there.
engine_path.COMMANDS.update(READS)


def prepare(engine: Engine) -> None:
    """engine_path.py's keys, and those of :data:`READS`: 10-member collections and a string
    with a TTL."""
    engine_path.prepare(engine)
    keyspace = engine.keyspaces[0]
    members = [b"member:%d" % number for number in range(10)]
    keyspace.set_string(b"key:ttl", b"xxx", engine.turn.now_ms() + TTL_MS)
    keyspace.hashes.set_fields(b"hash:read", [(b"field:%d" % number, b"xxx") for number in range(10)])
    keyspace.sets.add(b"set:read", members)
    keyspace.zsets.add(b"zset:read", [(float(number), member) for number, member in enumerate(members)],
                       ZaddFlags())
    engine.log_changes()
    engine.end_turn()


def measure_all(tests: list[str], binlog: bool, turns: int, rounds: int) -> dict[str, float]:
    """Best µs per command of each test over ``rounds`` rounds, in one engine of its own."""
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine(f"{folder}/db", databases=1, binlog_path=f"{folder}/log" if binlog else None)
        try:
            prepare(engine)
            return {test: engine_path.measure(engine, test, turns, rounds) for test in tests}
        finally:
            engine.close()


def compare(options: argparse.Namespace) -> None:
    """``options.compare``'s tree and this one, a process each in turn; medians and their ratio."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    argv = ["--worker", "--tests", options.tests, "--binlog", options.binlog, "--turns", str(options.turns)]
    samples: dict[str, dict[str, list[float]]] = {options.compare: {}, here: {}}
    for _ in range(options.rounds):
        for tree, results in samples.items():
            run = subprocess.run([os.path.join(tree, ".venv", "bin", "python"), os.path.abspath(__file__), *argv],
                                 capture_output=True, text=True, check=True)
            for test, value in json.loads(run.stdout).items():
                results.setdefault(test, []).append(value)
    before, after = samples.values()
    print(f"{'test':11} {'before µs':>10} {'after µs':>10} {'after/before':>13}   (binlog {options.binlog})")
    for test in after:
        old, new = statistics.median(before[test]), statistics.median(after[test])
        print(f"{test.upper():11} {old:10.2f} {new:10.2f} {new / old:13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default=",".join(engine_path.COMMANDS))
    parser.add_argument("--binlog", choices=("on", "off"), default="off")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", metavar="TREE", help="another checkout (with its .venv) to measure alongside")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    tests, binlog = options.tests.split(","), options.binlog == "on"
    if options.worker:  # one run of --compare: 3 rounds, as JSON
        print(json.dumps(measure_all(tests, binlog, options.turns, 3)))
    elif options.compare:
        compare(options)
    else:
        for test, value in measure_all(tests, binlog, options.turns, options.rounds).items():
            print(f"{test.upper():11} binlog {options.binlog:3} {value:6.2f} µs")


if __name__ == "__main__":
    main()
