"""Instructions per command spent in the dispatcher's part of a command: ``Dispatcher.execute``,
``Dispatcher.call``, the handler and its reply's encoding, with the engine stubbed.

    python benchmarks/dispatch_instructions.py --python ../before/.venv/bin/python --python .venv/bin/python

benchmarks/write_path_instructions.py --stub-engine counts the server's whole own path (the
parser, the connection's loop, the turn's end and the dispatcher's part). This counts it twice
per interpreter, once as it is and once with the client's ``execute`` answering ``+OK`` at once,
and prints the difference: what the dispatcher, the handler and the encoder cost, the part
issue #16's dispatch rounds change (the rest belongs to server/connection.py and the parser).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import write_path  # noqa: E402  (this folder's, whichever interpreter runs it)
import write_path_instructions  # noqa: E402

_CONNECT = write_path.connect


def _connect_without_dispatch(server):
    """write_path's client, whose commands are answered without the dispatcher."""
    client = _CONNECT(server)
    client._execute = lambda client, argv: b"+OK\r\n"
    return client


#: Set in the worker's environment when it answers without the dispatcher (count passes os.environ on).
_WITHOUT = "DISPATCH_INSTRUCTIONS_WITHOUT_DISPATCH"


def _count(python: str, tests: list[str], pipeline: int, turns: int, without_dispatch: bool) -> list[int]:
    """write_path_instructions.count, its worker being this script's."""
    script = write_path_instructions.__file__
    write_path_instructions.__file__ = os.path.abspath(__file__)
    os.environ[_WITHOUT] = "1" if without_dispatch else ""
    try:
        return write_path_instructions.count(python, tests, pipeline, turns, True)
    finally:
        write_path_instructions.__file__ = script
        del os.environ[_WITHOUT]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", help="a checkout's interpreter (repeatable; default: this one)")
    parser.add_argument("--tests", default="set,get,incr,lpush,hset,zadd")
    parser.add_argument("--pipeline", type=int, default=16, help="commands per turn")
    parser.add_argument("--turns", type=int, default=200, help="turns counted per test")
    parser.add_argument("--stub-engine", action="store_true", help=argparse.SUPPRESS)  # always: passed by count
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    tests = options.tests.split(",")
    if options.worker:
        if os.environ.get(_WITHOUT):
            write_path.connect = _connect_without_dispatch
        write_path_instructions._worker(tests, options.pipeline, options.turns, True)
        return
    pythons = options.python or [sys.executable]
    print(f"{'test':<8} {'P':>3}  " + "  ".join(f"{'whole / rest / dispatch':>28} ({python[-30:]})" for python in pythons))
    rows = {python: (_count(python, tests, options.pipeline, options.turns, False),
                     _count(python, tests, options.pipeline, options.turns, True)) for python in pythons}
    for index, test in enumerate(tests):
        cells = []
        for python in pythons:
            whole, rest = rows[python][0][index], rows[python][1][index]
            cells.append(f"{whole:>8,} / {rest:>7,} / {whole - rest:>7,}")
        print(f"{test.upper():<8} {options.pipeline:>3}  " + "  ".join(f"{cell:>28}" for cell in cells))


if __name__ == "__main__":
    main()
