"""The server's own CPU per request under redis-benchmark, for one or more checkouts at once.

    python benchmarks/server_cpu.py                                     # this checkout
    python benchmarks/server_cpu.py --python ../before/.venv/bin/python --python .venv/bin/python \\
        --tests set,lpush --pipelines 16 --write-binlog yes,no --rounds 3

Each interpreter (a checkout's venv) runs its own pypika-server process; for each round, test,
pipeline depth and binlog setting, every server takes one redis-benchmark run in turn
(interleaved), and the server process' CPU time (utime + stime from /proc/<pid>/stat) over the
run, divided by the requests, is its cost per request. That holds on a machine shared with
other work, where requests per second do not. Prints the median over the rounds, in µs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.compare_redis import benchmark_target  # noqa: E402
from pypika_store.testing import free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Server:
    """A pypika-server process run by ``python``, from a folder outside every checkout."""

    def __init__(self, python: str, write_binlog: str) -> None:
        self.folder = tempfile.mkdtemp(prefix="bench-cpu-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [python, "-m", "pypika_store.server.cli", "--port", str(self.port), "--db-path", f"{self.folder}/db",
             "--log-path", f"{self.folder}/log", "--dump-path", f"{self.folder}/dump",
             "--write-binlog", write_binlog],
            cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{python}: the server did not start")
            time.sleep(0.1)

    def cost(self, test: str, requests: int, clients: int, pipeline: int) -> float:
        """µs of server CPU per request over one redis-benchmark run."""
        what = benchmark_target(self.port, test)  # LRANGE_<n> without the LPUSH run before it
        before = cpu_seconds(self.process.pid)
        subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(self.port), "-c", str(clients),
                        "-n", str(requests), "-P", str(pipeline), "-q", *what],
                       check=True, capture_output=True, timeout=1800)
        return (cpu_seconds(self.process.pid) - before) / requests * 1e6

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", action="append", help="a checkout's interpreter (repeatable; default: this one)")
    parser.add_argument("--tests", default="set,get,incr,lpush,hset,sadd,zadd,lrange_100")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--write-binlog", default="yes", help="yes, no or yes,no")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    pythons = options.python or [sys.executable]
    binlogs = options.write_binlog.split(",")
    servers = {(python, binlog): Server(python, binlog) for python in pythons for binlog in binlogs}
    costs: dict[tuple[str, str, str, int], list[float]] = {}
    try:
        for _ in range(options.rounds):
            for test in options.tests.split(","):
                for pipeline in (int(depth) for depth in options.pipelines.split(",")):
                    for (python, binlog), server in servers.items():
                        costs.setdefault((test, python, binlog, pipeline), []).append(
                            server.cost(test, options.requests, options.clients, pipeline))
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
