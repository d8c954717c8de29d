"""The server's per-command and per-request cost in process: turns through the whole server, no network.

    python benchmarks/write_path.py                                  # every test, P=1 and P=16
    python benchmarks/write_path.py --tests set,get --pipelines 16   # some of them
    python benchmarks/write_path.py --notify KEA --subscribers 1     # with keyspace notifications
    python benchmarks/write_path.py --compare ../before         # this tree and another, interleaved
    python benchmarks/write_path.py --tests hgetall_100,smembers_100,zrange_100,zrange_100_scores  # whole collections
    python benchmarks/write_path.py --stub-engine --compare ../before   # the server's own path alone

Each turn is one ``Client.data_received`` of ``P`` pipelined commands and the ``Server.end_turn``
that commits it (binlog on), as a client's turn: P=16 measures the per-command cost (parser,
dispatch, handler, reply), P=1 adds the per-request one (reading, flushing, the turn's end).
Prints the best of ``--rounds`` rounds of ``--turns`` turns, in µs of the process' CPU time per
command (CPU time rather than wall-clock time: other processes on a shared machine then slow the
figures less). Used for
docs/benchmarks.md's before/after figures of changes on the hot path (keyspace notifications
must cost nothing when off).

``--compare TREE`` runs the same measurement in a subprocess with ``TREE``'s own interpreter and
sources, alternating with this tree's round by round, and prints both and their ratio, so both
see the same machine load (the machine may be shared).

``--stub-engine`` measures the server's own per-command path (parser, dispatch, stats, the
handler's argument reading, the reply, the connection's loop) without the engine: the store
and keyspace methods the write tests' and GET's handlers call answer at once, storing and
logging nothing (:func:`stub_engine`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: One command per test, ``%d`` numbering its key: a write test's turns write keys of their own
#: (four per turn), a read test reads one of the :data:`READ_KEYS` keys :func:`prepare` wrote
#: (GET a string, LRANGE_100 a list of 100 elements).
COMMANDS = {
    "set": b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n",
    "get": b"*2\r\n$3\r\nGET\r\n$16\r\nkey:%012d\r\n",
    "incr": b"*2\r\n$4\r\nINCR\r\n$16\r\nctr:%012d\r\n",
    "lpush": b"*3\r\n$5\r\nLPUSH\r\n$17\r\nlist:%012d\r\n$3\r\nxxx\r\n",
    "hset": b"*4\r\n$4\r\nHSET\r\n$16\r\nhsh:%012d\r\n$1\r\nf\r\n$3\r\nxxx\r\n",
    "sadd": b"*3\r\n$4\r\nSADD\r\n$16\r\nset:%012d\r\n$3\r\nxxx\r\n",
    "zadd": b"*4\r\n$4\r\nZADD\r\n$16\r\nzst:%012d\r\n$1\r\n1\r\n$3\r\nxxx\r\n",
    "lrange_100": b"*4\r\n$6\r\nLRANGE\r\n$16\r\nlst:%012d\r\n$1\r\n0\r\n$2\r\n99\r\n",
    "hgetall_100": b"*2\r\n$7\r\nHGETALL\r\n$16\r\nrhs:%012d\r\n",
    "smembers_100": b"*2\r\n$8\r\nSMEMBERS\r\n$16\r\nrst:%012d\r\n",
    "zrange_100": b"*4\r\n$6\r\nZRANGE\r\n$16\r\nrzs:%012d\r\n$1\r\n0\r\n$2\r\n-1\r\n",
    "zrange_100_scores": b"*5\r\n$6\r\nZRANGE\r\n$16\r\nrzs:%012d\r\n$1\r\n0\r\n$2\r\n-1\r\n$10\r\nWITHSCORES\r\n",
}
#: Not run by default (``--tests`` names them): reads of whole 100-member hashes, sets, sorted sets.
COLLECTION_READS = ("hgetall_100", "smembers_100", "zrange_100", "zrange_100_scores")
READ_TESTS = frozenset(("get", "lrange_100", *COLLECTION_READS))
READ_KEYS = 4


class NullTransport:
    """Swallows what is written (counting it), so only the server's own work is measured."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default=None):
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else default


def connect(server):
    from pypika_store.server.connection import Client

    client = Client(server)
    client.connection_made(NullTransport())
    return client


def prepare(server, client) -> None:
    """The keys the read tests read: strings for GET, lists of 100 elements for LRANGE_100, and
    hashes, sets and sorted sets of 100 members."""
    for n in range(READ_KEYS):
        client.data_received(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n" % n)
        push = b"*102\r\n$5\r\nLPUSH\r\n$16\r\nlst:%012d\r\n" % n + b"$3\r\nxxx\r\n" * 100
        client.data_received(push)
        members = [b"$11\r\nm:%09d\r\n" % index for index in range(100)]
        client.data_received(b"*202\r\n$4\r\nHSET\r\n$16\r\nrhs:%012d\r\n" % n
                             + b"".join(member + b"$5\r\nvalue\r\n" for member in members))
        client.data_received(b"*102\r\n$4\r\nSADD\r\n$16\r\nrst:%012d\r\n" % n + b"".join(members))
        client.data_received(b"*202\r\n$4\r\nZADD\r\n$16\r\nrzs:%012d\r\n" % n
                             + b"".join(b"$5\r\n%03d.5\r\n" % index + member for index, member in enumerate(members)))
    server.end_turn()


#: What the stubbed engine methods answer: what the real ones answer on a new key.
_STUBS = {
    "set_string": None, "get_string": b"xxx", "get_string_entry": None,
    "lists.push": 1, "hashes.set_fields": 1, "hashes.set_pairs": 1, "sets.add": 1, "zsets.add": 1,
    "zsets.add_plain": 1,
}


def stub_engine(server) -> None:
    """Replace, on each DB's keyspace and stores, the methods the tests' handlers call by ones
    that answer at once: the commands then cost only the server's own work (the engine's is
    benchmarks/engine_path.py's)."""
    for keyspace in server.engine.keyspaces:
        for path, answer in _STUBS.items():
            *owner_path, name = path.split(".")
            owner = getattr(keyspace, owner_path[0]) if owner_path else keyspace
            setattr(owner, name, lambda *args, answer=answer, **options: answer)


def measure(server, client, test: str, pipeline: int, turns: int) -> float:
    """µs per command of ``turns`` turns of ``pipeline`` commands of ``test``."""
    payload = COMMANDS[test]
    if test in READ_TESTS:
        numbers = [[n % READ_KEYS for n in range(pipeline)]] * turns
    else:
        numbers = [[turn * pipeline + n % 4 for n in range(pipeline)] for turn in range(turns)]
    requests = [b"".join(payload % number for number in turn) for turn in numbers]
    data_received, end_turn = client.data_received, server.end_turn
    started = time.process_time()
    for request in requests:
        data_received(request)
        end_turn()
    return (time.process_time() - started) / (turns * pipeline) * 1e6


def run_rounds(tests: list[str], pipelines: list[int], turns: int, rounds: int, notify: str, subscribers: int,
               emit, stub: bool = False) -> None:
    """Measure every (test, pipeline) ``rounds`` times, calling ``emit(round, results)`` after each round."""
    from pypika_store.config import Config
    from pypika_store.server.app import Server

    with tempfile.TemporaryDirectory() as folder:
        server = Server(Config(None, {"db-path": f"{folder}/db", "log-path": f"{folder}/log",
                                      "notify-keyspace-events": notify}))
        try:
            for _ in range(subscribers):
                connect(server).data_received(b"*2\r\n$10\r\nPSUBSCRIBE\r\n$10\r\n__key*__:*\r\n")
            client = connect(server)
            prepare(server, client)
            if stub:
                stub_engine(server)
            for number in range(rounds):
                emit(number, {f"{test}@{pipeline}": measure(server, client, test, pipeline, turns)
                              for test in tests for pipeline in pipelines})
        finally:
            server.engine.close()


def _worker(options: argparse.Namespace) -> None:
    """The measuring side of --compare: one round per line of stdin, its results as JSON."""
    def emit(_number: int, results: dict[str, float]) -> None:
        print(json.dumps(results), flush=True)
        if sys.stdin.readline() == "":
            sys.exit(0)

    run_rounds(options.tests.split(","), _pipelines(options), options.turns, options.rounds, options.notify,
               options.subscribers, emit, options.stub_engine)


def _pipelines(options: argparse.Namespace) -> list[int]:
    return [int(p) for p in options.pipelines.split(",")]


def _start_worker(tree: str, argv: list[str]) -> subprocess.Popen:
    python = os.path.join(tree, ".venv", "bin", "python")
    # This file, run by the tree's interpreter: it imports that tree's installed sources.
    return subprocess.Popen([python, os.path.abspath(__file__), "--worker", *argv],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def compare(options: argparse.Namespace, argv: list[str]) -> None:
    """This tree and ``options.compare``, alternating round by round; medians of both and their ratio."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    workers = {"before": _start_worker(options.compare, argv), "after": _start_worker(here, argv)}
    samples: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for _ in range(options.rounds):
        for name, worker in workers.items():
            line = worker.stdout.readline()  # type: ignore[union-attr]
            for key, value in json.loads(line).items():
                samples[name].setdefault(key, []).append(value)
            worker.stdin.write("\n")  # type: ignore[union-attr]
            worker.stdin.flush()  # type: ignore[union-attr]
    for worker in workers.values():
        worker.stdin.close()  # type: ignore[union-attr]
        worker.wait()
    print(f"{'test':12} {'P':>3} {'before µs':>10} {'after µs':>10} {'after/before':>13}")
    for key in samples["after"]:
        test, pipeline = key.split("@")
        before, after = (statistics.median(samples[name][key]) for name in ("before", "after"))
        print(f"{test.upper():12} {pipeline:>3} {before:10.2f} {after:10.2f} {after / before:13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default=",".join(test for test in COMMANDS if test not in COLLECTION_READS))
    parser.add_argument("--pipelines", default="1,16", help="commands per turn (data_received), comma-separated")
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--notify", default="", help="notify-keyspace-events (default: none)")
    parser.add_argument("--subscribers", type=int, default=0, help="clients PSUBSCRIBEd to __key*__:*")
    parser.add_argument("--stub-engine", action="store_true",
                        help="the handlers' store and keyspace calls answer at once: the server's own path")
    parser.add_argument("--compare", metavar="TREE", help="another checkout (with its .venv) to measure alongside")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options, _ = parser.parse_known_args()
    if options.worker:
        _worker(options)
        return
    if options.compare:
        argv = [arg for arg in sys.argv[1:] if arg != "--compare" and arg != options.compare]
        compare(options, argv)
        return
    best: dict[str, float] = {}

    def keep_best(_number: int, results: dict[str, float]) -> None:
        for key, value in results.items():
            best[key] = min(best.get(key, float("inf")), value)

    run_rounds(options.tests.split(","), _pipelines(options), options.turns, options.rounds, options.notify,
               options.subscribers, keep_best, options.stub_engine)
    for key, value in best.items():
        test, pipeline = key.split("@")
        print(f"{test.upper():12} P={pipeline:<3} {value:7.2f} µs")


if __name__ == "__main__":
    main()
