"""Side-by-side throughput: redis-benchmark against redis-server and pypika-store in one run.

    python benchmarks/compare_redis.py                       # defaults below
    python benchmarks/compare_redis.py --requests 200000 --tests set,get,incr,mset --pipelines 1,16
    python benchmarks/compare_redis.py --baseline ../before --rounds 3   # before/after too
    python benchmarks/compare_redis.py --markdown results.md # also write a Markdown table

Both servers run on loopback with persistence on and the same fsync rule: redis-server with AOF
and `appendfsync <policy>`, pypika-store with LMDB and `sync-policy <policy>` (--sync-policy,
default everysec). Each pipeline depth runs redis-benchmark with -c 50 (unless --clients says
otherwise) and the ratio pypika/redis is printed per test.

``--baseline TREE`` also runs another checkout's pypika-store (with that tree's own .venv), so
a change is measured before and after in the same run. The servers take turns test by test,
``--rounds`` times, and each figure is the median of its rounds, so a shared machine's load
falls on all of them alike. Beside the rates, each pypika-store's CPU time (user + system, from
/proc) per request is printed: the server's own cost, which holds better than a rate when the
machine is busy.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing import free_port  # noqa: E402

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


#: The list redis-benchmark's LRANGE tests read, and its elements (its LPUSH test's).
LRANGE_KEY, LRANGE_ELEMENTS = "mylist", 600


def benchmark_target(port: int, test: str) -> list[str]:
    """redis-benchmark's arguments naming what one test runs.

    An LRANGE_<n> test is run as the command itself on a list filled beforehand: redis-benchmark's
    own ``-t lrange_<n>`` first runs an LPUSH test to fill it, which would count in the server's
    CPU time."""
    if not test.startswith("lrange_"):
        return ["-t", test]
    for fill in (["DEL", LRANGE_KEY], ["RPUSH", LRANGE_KEY, *["xxx"] * LRANGE_ELEMENTS]):
        subprocess.run(["redis-cli", "-p", str(port), *fill], check=True, capture_output=True, timeout=60)
    return ["LRANGE", LRANGE_KEY, "0", str(int(test.split("_")[1]) - 1)]


def run_benchmark(port: int, test: str, requests: int, clients: int, pipeline: int) -> float:
    """Requests per second of one test, from redis-benchmark's CSV output."""
    what = benchmark_target(port, test)
    output = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(requests),
         "-P", str(pipeline), "--csv", *what],
        check=True, capture_output=True, text=True, timeout=1800,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(output)))
    return float(rows[-1]["rps"])


class ServerProcess:
    """A server started on a free loopback port in a temporary folder, ready once it answers PING."""

    def __init__(self, name: str, args: list[str]) -> None:
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="bench-")
        self.port = free_port()
        self.process = subprocess.Popen([arg.format(port=self.port, dir=self.dir) for arg in args],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.monotonic() + 30
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """The process' user + system time so far."""
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_server(appendfsync: str) -> ServerProcess:
    return ServerProcess("redis-server", [
        "redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--dir", "{dir}", "--save", "",
        "--appendonly", "yes", "--appendfsync", appendfsync])


def pypika_server(name: str, tree: str, sync_policy: str, write_binlog: str) -> ServerProcess:
    """The pypika-store of checkout ``tree``, run by that checkout's own interpreter."""
    return pypika_process(name, os.path.join(tree, ".venv", "bin", "python"), sync_policy, write_binlog)


def pypika_process(name: str, python: str, sync_policy: str, write_binlog: str) -> ServerProcess:
    """A pypika-store run by the interpreter ``python`` (a checkout's venv), in its own folder."""
    return ServerProcess(name, [
        python, "-m", "pypika_store.server.cli", "--bind", "127.0.0.1",
        "--port", "{port}", "--db-path", "{dir}/db", "--log-path", "{dir}/log", "--dump-path", "{dir}/dump",
        "--db-sync-path", "{dir}/dbsync", "--sync-policy", sync_policy, "--write-binlog", write_binlog])


Runs = dict[tuple[str, int, str], list[float]]


def interleaved_runs(servers: list[ServerProcess], tests: str, pipelines: str, requests: int, clients: int,
                     rounds: int) -> tuple[Runs, Runs]:
    """Every server takes one redis-benchmark run in turn, test by test (``requests`` at -P 1,
    four times that when pipelined), ``rounds`` times: each ``(test, pipeline, server name)``'s
    rates and its server's CPU µs per request, one per round."""
    rates: Runs = {}
    cpu: Runs = {}
    for _ in range(rounds):
        for pipeline in (int(p) for p in pipelines.split(",")):
            run_requests = requests * (4 if pipeline > 1 else 1)
            for test in tests.split(","):
                for server in servers:
                    cpu_before = server.cpu_seconds()
                    rate = run_benchmark(server.port, test, run_requests, clients, pipeline)
                    key = (test, pipeline, server.name)
                    rates.setdefault(key, []).append(rate)
                    cpu.setdefault(key, []).append((server.cpu_seconds() - cpu_before) / run_requests * 1e6)
    return rates, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default="set,get,incr,mset")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each test per server (medians)")
    parser.add_argument("--sync-policy", default="everysec", choices=("always", "everysec", "no"))
    parser.add_argument("--write-binlog", default="yes", choices=("yes", "no"),
                        help="pypika-store's binlog (redis-server's AOF stays on either way)")
    parser.add_argument("--baseline", metavar="TREE", help="another checkout (with its .venv) to run beside this one")
    parser.add_argument("--markdown", help="also write the results as a Markdown table to this file")
    args = parser.parse_args()

    servers = [redis_server(args.sync_policy)]
    try:
        if args.baseline:
            servers.append(pypika_server("baseline", args.baseline, args.sync_policy, args.write_binlog))
        servers.append(pypika_server("pypika-store", HERE, args.sync_policy, args.write_binlog))
        rates, cpu = interleaved_runs(servers, args.tests, args.pipelines, args.requests, args.clients, args.rounds)
    finally:
        for server in servers:
            server.stop()

    names = [server.name for server in servers]
    ours = names[1:]
    rows = []
    for test, pipeline in dict.fromkeys((test, pipeline) for test, pipeline, _name in rates):
        median = {name: statistics.median(rates[test, pipeline, name]) for name in names}
        cpu_us = {name: statistics.median(cpu[test, pipeline, name]) for name in ours}
        rows.append((test.upper(), pipeline, median, cpu_us))
    header = f"{'test':<12} {'-P':>3} " + " ".join(f"{name + ' rps':>18}" for name in names) + " " + \
        " ".join(f"{name + ' ratio':>20}" for name in ours) + " " + " ".join(f"{name + ' µs cpu':>20}" for name in ours)
    print(header)
    for test, pipeline, median, cpu_us in rows:
        redis = median["redis-server"]
        print(f"{test:<12} {pipeline:>3} " + " ".join(f"{median[name]:>18,.0f}" for name in names) + " " +
              " ".join(f"{median[name] / redis:>20.2f}" for name in ours) + " " +
              " ".join(f"{cpu_us[name]:>20.1f}" for name in ours))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("| test | -P | " + " | ".join(f"{name} req/s" for name in names) + " | " +
                         " | ".join(f"{name} ratio" for name in ours) + " | " +
                         " | ".join(f"{name} CPU µs/req" for name in ours) + " |\n")
            handle.write("|---|---:|" + "---:|" * (len(names) + 2 * len(ours)) + "\n")
            for test, pipeline, median, cpu_us in rows:
                redis = median["redis-server"]
                handle.write(f"| {test} | {pipeline} | " + " | ".join(f"{median[name]:,.0f}" for name in names) +
                             " | " + " | ".join(f"{median[name] / redis:.2f}" for name in ours) + " | " +
                             " | ".join(f"{cpu_us[name]:.1f}" for name in ours) + " |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
