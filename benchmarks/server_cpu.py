"""The server's own CPU per request under redis-benchmark, for one or more checkouts at once.

    python benchmarks/server_cpu.py                                     # this checkout
    python benchmarks/server_cpu.py --python ../before/.venv/bin/python --python .venv/bin/python \\
        --tests set,lpush --pipelines 16 --write-binlog yes,no --rounds 3
    python benchmarks/server_cpu.py --baseline ../before --tests set,get --pipelines 1 --rounds 5

Each interpreter (a checkout's venv) runs its own pypika-server process; for each round, test,
pipeline depth and binlog setting, every server takes one redis-benchmark run in turn
(interleaved; ``--baseline TREE`` is ``--python TREE/.venv/bin/python`` before this checkout's), and the server process' CPU time (utime + stime from /proc/<pid>/stat) over the
run, divided by the requests, is its cost per request. That holds on a machine shared with
other work, where requests per second do not. Prints the median over the rounds, in µs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.compare_redis import ServerProcess, pypika_process, run_benchmark  # noqa: E402


def cost(server: ServerProcess, test: str, requests: int, clients: int, pipeline: int) -> float:
    """µs of server CPU per request over one redis-benchmark run (an LRANGE_<n> test without
    the LPUSH run redis-benchmark makes before it: compare_redis.benchmark_target)."""
    before = server.cpu_seconds()
    run_benchmark(server.port, test, requests, clients, pipeline)
    return (server.cpu_seconds() - before) / requests * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", help="a checkout's interpreter (repeatable; default: this one)")
    parser.add_argument("--baseline", metavar="TREE", help="another checkout (with its .venv), run before this one")
    parser.add_argument("--tests", default="set,get,incr,lpush,hset,sadd,zadd,lrange_100")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--write-binlog", default="yes", help="yes, no or yes,no")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    pythons = options.python or [sys.executable]
    if options.baseline:
        pythons = [os.path.join(options.baseline, ".venv", "bin", "python"), *pythons]
    binlogs = options.write_binlog.split(",")
    servers = {(python, binlog): pypika_process(python, python, "everysec", binlog)
               for python in pythons for binlog in binlogs}
    costs: dict[tuple[str, str, str, int], list[float]] = {}
    try:
        for _ in range(options.rounds):
            for test in options.tests.split(","):
                for pipeline in (int(depth) for depth in options.pipelines.split(",")):
                    for (python, binlog), server in servers.items():
                        costs.setdefault((test, python, binlog, pipeline), []).append(
                            cost(server, test, options.requests, options.clients, pipeline))
    finally:
        for server in servers.values():
            server.stop()
    print(f"{'test':<11} {'-P':>3} {'binlog':>6}  " + "  ".join(f"{python[-40:]:>40}" for python in pythons))
    for test in options.tests.split(","):
        for pipeline in (int(depth) for depth in options.pipelines.split(",")):
            for binlog in binlogs:
                medians = [statistics.median(costs[test, python, binlog, pipeline]) for python in pythons]
                print(f"{test:<11} {pipeline:>3} {binlog:>6}  " + "  ".join(f"{value:>37.2f} µs" for value in medians))
    return 0


if __name__ == "__main__":
    sys.exit(main())
