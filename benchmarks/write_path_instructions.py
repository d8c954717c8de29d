"""Instructions per command of benchmarks/write_path.py's turns, counted by valgrind's callgrind.

    python benchmarks/write_path_instructions.py --python ../before/.venv/bin/python --python .venv/bin/python
    python benchmarks/write_path_instructions.py --tests set,get --stub-engine   # the server's own path alone

CPU time per command moves by ±10-20 % on a shared machine; the instructions a turn executes
barely do, so they compare two checkouts under any load (they are not time: a cache miss or a
system call costs far more than its instructions). Each interpreter (a checkout's venv) runs
write_path's turns (``--pipeline`` commands per ``data_received``, then ``end_turn``), after a
warm-up, under ``valgrind --tool=callgrind``, which counts only between ``os.getppid()`` (it zeroes
its counters there) and ``os.getpgrp()`` (it dumps them), one region per test; the garbage
collector is off inside the regions, so its passes do not land in one checkout's count and not the
other's. ``--stub-engine`` is write_path's: the engine's methods answer at once.
"""

from __future__ import annotations

import argparse
import gc
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import write_path  # noqa: E402  (this folder's, whichever interpreter runs it)


def _requests(test: str, pipeline: int, turns: int, first_turn: int) -> list[bytes]:
    """write_path's requests of ``turns`` turns, write tests' keys numbered from ``first_turn``."""
    payload = write_path.COMMANDS[test]
    if test in write_path.READ_TESTS:
        numbers = [[n % write_path.READ_KEYS for n in range(pipeline)]] * turns
    else:
        numbers = [[(first_turn + turn) * pipeline + n % 4 for n in range(pipeline)] for turn in range(turns)]
    return [b"".join(payload % number for number in turn) for turn in numbers]


def _worker(tests: list[str], pipeline: int, turns: int, stub: bool) -> None:
    """The counted side: one region per test, after a warm-up of every test."""
    from pypika_store.config import Config
    from pypika_store.server.app import Server

    with tempfile.TemporaryDirectory() as folder:
        # A small map: valgrind refuses the default map's reservation.
        server = Server(Config(None, {"db-path": f"{folder}/db", "log-path": f"{folder}/log",
                                      "lmdb-map-size": str(256 * 1024 * 1024)}))
        try:
            client = write_path.connect(server)
            write_path.prepare(server, client)
            if stub:
                write_path.stub_engine(server)
            for test in tests:
                for request in _requests(test, pipeline, turns, 10**6):
                    client.data_received(request)
                    server.end_turn()
            gc.collect()
            gc.disable()
            for test in tests:
                requests = _requests(test, pipeline, turns, 0)
                data_received, end_turn = client.data_received, server.end_turn
                os.getppid()  # callgrind zeroes its counters
                for request in requests:
                    data_received(request)
                    end_turn()
                os.getpgrp()  # callgrind dumps them
        finally:
            server.engine.close()


def count(python: str, tests: list[str], pipeline: int, turns: int, stub: bool) -> list[int]:
    """Instructions per command of each test, run by ``python``."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--zero-before=getppid",
                   "--dump-before=getpgrp", python, os.path.abspath(__file__), "--worker", "--tests", ",".join(tests),
                   "--pipeline", str(pipeline), "--turns", str(turns)] + (["--stub-engine"] if stub else [])
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        counts = []
        for index in range(1, len(tests) + 1):
            with open(f"{out}.{index}") as dump:
                total = next(int(line.split()[1]) for line in dump if line.startswith(("summary:", "totals:")))
            counts.append(total // (turns * pipeline))
        assert len(glob.glob(f"{out}.*")) >= len(tests)
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", help="a checkout's interpreter (repeatable; default: this one)")
    parser.add_argument("--tests", default="set,get,incr,lpush,hset,sadd,zadd")
    parser.add_argument("--pipeline", type=int, default=16, help="commands per turn")
    parser.add_argument("--turns", type=int, default=200, help="turns counted per test")
    parser.add_argument("--stub-engine", action="store_true", help="write_path's --stub-engine")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    tests = options.tests.split(",")
    if options.worker:
        _worker(tests, options.pipeline, options.turns, options.stub_engine)
        return
    pythons = options.python or [sys.executable]
    counts = {python: count(python, tests, options.pipeline, options.turns, options.stub_engine) for python in pythons}
    print(f"{'test':<8} {'P':>3}  " + "  ".join(f"{python[-40:]:>40}" for python in pythons))
    for index, test in enumerate(tests):
        print(f"{test.upper():<8} {options.pipeline:>3}  " + "  ".join(f"{counts[python][index]:>40,}" for python in pythons))


if __name__ == "__main__":
    main()
