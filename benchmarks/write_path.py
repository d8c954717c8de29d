"""The write path in process: turns of pipelined commands through the whole server, no network.

    python benchmarks/write_path.py                                  # SET, LPUSH, ...
    python benchmarks/write_path.py --notify KEA --subscribers 1     # with keyspace notifications

Each turn is one ``Client.data_received`` of 16 pipelined commands and the ``Server.end_turn``
that commits it (binlog on), as a pipelining client's turn; prints the best of ``--rounds``
rounds of ``--turns`` turns, in µs per command. Used for docs/benchmarks.md's before/after
figures of changes on the write path (keyspace notifications must cost nothing when off).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from pypika_store.config import Config
from pypika_store.server.app import Server
from pypika_store.server.connection import Client

PIPELINE = 16

#: One command per test, ``%d`` numbering the keys (each turn writes its own keys).
COMMANDS = {
    "set": b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n",
    "lpush": b"*3\r\n$5\r\nLPUSH\r\n$17\r\nlist:%012d\r\n$3\r\nxxx\r\n",
    "incr": b"*2\r\n$4\r\nINCR\r\n$16\r\nctr:%012d\r\n",
    "hset": b"*4\r\n$4\r\nHSET\r\n$16\r\nhsh:%012d\r\n$1\r\nf\r\n$3\r\nxxx\r\n",
    "sadd": b"*3\r\n$4\r\nSADD\r\n$16\r\nset:%012d\r\n$3\r\nxxx\r\n",
}


class NullTransport:
    """Swallows what is written, so only the server's own work is measured."""

    def write(self, data: bytes) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default=None):
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else default


def measure(server: Server, payload: bytes, turns: int, rounds: int) -> float:
    """Best µs per command over ``rounds`` rounds of ``turns`` turns."""
    client = Client(server)
    client.connection_made(NullTransport())
    pipelines = [b"".join(payload % (turn * PIPELINE + n % 4) for n in range(PIPELINE)) for turn in range(turns)]
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for pipeline in pipelines:
            client.data_received(pipeline)
            server.end_turn()
        best = min(best, (time.perf_counter() - started) / (turns * PIPELINE) * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default=",".join(COMMANDS))
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--notify", default="", help="notify-keyspace-events (default: none)")
    parser.add_argument("--subscribers", type=int, default=0, help="clients PSUBSCRIBEd to __key*__:*")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Config(None, {"db-path": f"{folder}/db", "log-path": f"{folder}/log",
                                      "notify-keyspace-events": options.notify}))
        for _ in range(options.subscribers):
            subscriber = Client(server)
            subscriber.connection_made(NullTransport())
            subscriber.data_received(b"*2\r\n$10\r\nPSUBSCRIBE\r\n$10\r\n__key*__:*\r\n")
        try:
            for name in options.tests.split(","):
                print(f"{name.upper():8} {measure(server, COMMANDS[name], options.turns, options.rounds):6.2f} µs")
        finally:
            server.engine.close()


if __name__ == "__main__":
    main()
