"""The server's per-request cost in process, shaped as redis-benchmark's P=1 turns: many clients, one command each.

    python benchmarks/request_path.py                                   # SET and GET, 38 clients a turn
    python benchmarks/request_path.py --tests set,incr,lpush --clients 50
    python benchmarks/request_path.py --compare ../before --rounds 7    # this tree and another, interleaved

Under ``redis-benchmark -c 50 -P 1`` one event-loop iteration reads one command from each of
~38 clients, then ``Server.end_turn`` commits their writes once and flushes every reply that
waited for the commit. Each turn here is that: ``--clients`` clients' ``data_received`` of one
command each, then ``end_turn``, through a transport that swallows the replies (so the socket's
system calls, which redis-server pays too, are left out). It measures what
``benchmarks/write_path.py``'s P=1 (one client, one command a turn: the commit unshared) does not:
the read, the command loop's set-up, the wait for the commit and the flush of each request.
Prints the median (and the best) over ``--rounds`` of the process' CPU µs per request.

``--opcodes TEST`` counts, instead, the bytecodes each function runs per request (this tree).

``--compare TREE`` runs each round in a fresh process of each tree's own interpreter (``TREE``'s
.venv, importing its sources), alternating, so both see the same load on a shared machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# write_path from this file's folder (sys.path[0]); not the tree's root, which would put this
# tree's pypika_store before the one installed for the interpreter running the round.
from write_path import COMMANDS, READ_KEYS, READ_TESTS, connect, prepare  # noqa: E402

#: PING on top of write_path's commands: a request whose command costs next to nothing, so
#: nearly all it measures is the request path itself.
REQUESTS = {**COMMANDS, "ping": b"*1\r\n$4\r\nPING\r\n"}

#: LMDB's map under valgrind, which cannot reserve the default map's address space.
VALGRIND_MAP_SIZE = str(1 << 30)
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(server, clients: list, test: str, turns: int) -> float:
    """CPU µs per request of ``turns`` turns of one ``test`` command from each client."""
    payload = REQUESTS[test]
    width = len(clients)
    if b"%" not in payload:  # naming no key
        requests = [[payload] * width] * turns
    else:
        requests = [[payload % ((number % READ_KEYS) if test in READ_TESTS else turn * width + number)
                     for number in range(width)] for turn in range(turns)]
    end_turn = server.end_turn
    readers = [client.data_received for client in clients]
    os.getppid()  # under --instructions: callgrind zeroes its counts here...
    started = time.process_time()
    for turn in requests:
        for data_received, request in zip(readers, turn):
            data_received(request)
        end_turn()
    elapsed = time.process_time() - started
    os.getpgrp()  # ... and writes them out here
    return elapsed / (turns * width) * 1e6


def one_round(tests: list[str], clients: int, turns: int, map_size: str | None) -> dict[str, float]:
    """Every test once, on a fresh server in a temporary folder."""
    from pypika_store.config import Config
    from pypika_store.server.app import Server

    with tempfile.TemporaryDirectory() as folder:
        settings = {"db-path": f"{folder}/db", "log-path": f"{folder}/log"}
        if map_size is not None:
            settings["lmdb-map-size"] = map_size
        server = Server(Config(None, settings))
        try:
            connected = [connect(server) for _ in range(clients)]
            prepare(server, connected[0])
            measure(server, connected, tests[0], turns // 10 or 1)  # warm-up
            return {test: measure(server, connected, test, turns) for test in tests}
        finally:
            server.engine.close()


def count_opcodes(test: str, clients: int, turns: int) -> None:
    """Print the bytecodes run per request by each function (``sys.settrace`` opcode events):
    where the Python share of a request goes, exactly, whatever the load."""
    from pypika_store.config import Config
    from pypika_store.server.app import Server

    opcodes: collections.Counter[str] = collections.Counter()

    def trace(frame, event: str, _arg):
        frame.f_trace_opcodes = True
        name = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_qualname}"

        def count(_frame, event: str, _arg):
            if event == "opcode":
                opcodes[name] += 1
            return count
        return count

    with tempfile.TemporaryDirectory() as folder:
        server = Server(Config(None, {"db-path": f"{folder}/db", "log-path": f"{folder}/log"}))
        try:
            connected = [connect(server) for _ in range(clients)]
            prepare(server, connected[0])
            measure(server, connected, test, 2)  # warm-up
            sys.settrace(trace)
            measure(server, connected, test, turns)
            sys.settrace(None)
        finally:
            server.engine.close()
    requests = clients * turns
    print(f"{test.upper()}: {sum(opcodes.values()) / requests:.0f} bytecodes per request")
    for name, count in opcodes.most_common(30):
        print(f"{count / requests:8.1f}  {name}")


def run_tree(tree: str, options: argparse.Namespace) -> dict[str, float]:
    """One round in a fresh process of ``tree``'s interpreter (this file, that tree's sources)."""
    command = [os.path.join(tree, ".venv", "bin", "python"), os.path.abspath(__file__), "--one-round",
               "--tests", options.tests, "--clients", str(options.clients), "--turns", str(options.turns)]
    if not options.instructions:
        return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as folder:
        counts = f"{folder}/callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={counts}", "--zero-before=getppid",
                        "--dump-before=getpgrp", *command, "--map-size", VALGRIND_MAP_SIZE], check=True,
                       capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
        dumps = sorted((name for name in os.listdir(folder) if name.startswith("callgrind.out.")),
                       key=lambda name: int(name.rsplit(".", 1)[1]))[1:]  # the first is the warm-up's
        requests = options.turns * options.clients
        return {test: _instructions(os.path.join(folder, dump)) / requests
                for test, dump in zip(options.tests.split(","), dumps)}


def _instructions(dump: str) -> int:
    """The instructions a callgrind dump counted."""
    with open(dump, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise ValueError(f"no totals in {dump}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default="set,get,ping")
    parser.add_argument("--clients", type=int, default=38, help="clients (requests) per turn")
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", metavar="TREE", help="another checkout (with its .venv) to measure alongside")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per request under valgrind's callgrind instead of CPU time "
                             "(slow, but exact: load on the machine does not change it)")
    parser.add_argument("--opcodes", metavar="TEST", help="instead: the bytecodes per request of each function, for one test")
    parser.add_argument("--one-round", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--map-size", help=argparse.SUPPRESS)
    options = parser.parse_args()
    tests = options.tests.split(",")
    if options.opcodes:
        count_opcodes(options.opcodes, options.clients, options.turns)
        return 0
    if options.one_round:
        print(json.dumps(one_round(tests, options.clients, options.turns, options.map_size)))
        return 0
    trees = {"before": options.compare, "after": HERE} if options.compare else {"this tree": HERE}
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.rounds):
        for name, tree in trees.items():
            for test, value in run_tree(tree, options).items():
                samples.setdefault((name, test), []).append(value)
    unit = "instr" if options.instructions else "µs"
    print(f"{'test':12} " + " ".join(f"{name + ' ' + unit:>14} {'best':>6}" for name in trees) +
          (f" {'after/before':>13}" if options.compare else ""))
    for test in tests:
        medians = [statistics.median(samples[name, test]) for name in trees]
        ratio = f" {medians[1] / medians[0]:13.2f}" if options.compare else ""
        print(f"{test.upper():12} " + " ".join(f"{median:14.{0 if options.instructions else 2}f} "
                                               f"{min(samples[name, test]):6.{0 if options.instructions else 2}f}"
                                               for name, median in zip(trees, medians)) + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
