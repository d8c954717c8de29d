"""BGSAVE under load (issue #16): write latency with and without a BGSAVE every N ms.

    python benchmarks/bgsave_latency.py                              # 100k and 1M keys, BGSAVE every 1000 ms
    python benchmarks/bgsave_latency.py --keys 100000 --intervals 1000,50 --rounds 3 \\
        --baseline ../before/.venv/bin/python                   # old and new code interleaved

For each keys count each server (this checkout's, and ``--baseline``'s interpreter with its own
checkout when given) is started once and filled with ``--keys`` keys (``key:<12 digits>``, the
names redis-benchmark's ``-r`` writes). Then, ``--rounds`` times, the servers and the BGSAVE
intervals take turns (interleaved, so drift in the shared machine's load falls on all alike):
redis-benchmark sends ``--requests`` SETs (``-c 50 -P 16 -r <keys>``) while a thread asks for a
BGSAVE every interval ms ("none": no BGSAVE), and a probe connection sends one PING every
millisecond and times it (its worst round trip is the longest the event loop kept it waiting).

Per run it prints the write latency percentiles from redis-benchmark's distribution (p50, p99,
p99.9), the probe's p99.9 and worst round trip, the CPU µs per SET of the server process and of
its event-loop thread alone (utime + stime from /proc before and after: these hold on a busy
machine, where the latencies do not) and the BGSAVEs that finished. The table gives, per keys
count, server and interval, the median over the rounds; after it, each server's DB lock figures
from INFO persistence (over all its BGSAVEs: INFO keeps the latest 1024 of each).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import redis  # noqa: E402

from pypika_store.testing import free_port  # noqa: E402

#: redis-benchmark's "Latency by percentile distribution" lines: ``99.900% <= 3.279 milliseconds``.
_PERCENTILE_LINE = re.compile(r"^\s*([\d.]+)% <= ([\d.]+) milliseconds", re.MULTILINE)
_RATE_LINE = re.compile(r"throughput summary: ([\d.]+) requests per second")
#: INFO persistence's lock figures this benchmark reports (0 where the server lacks one).
LOCK_FIELDS = ("bgsave_lock_hold_p50_us", "bgsave_lock_hold_p99_us", "bgsave_lock_hold_p999_us",
               "bgsave_lock_wait_p50_us", "bgsave_lock_wait_p99_us", "turn_lock_waits", "turn_lock_wait_p99_us",
               "turn_lock_wait_p999_us")


@dataclass
class Run:
    keys: int
    code: str
    interval: str
    rate: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    probe_p999_ms: float
    probe_max_ms: float
    cpu_us_per_set: float
    loop_cpu_us_per_set: float
    bgsaves: int


class ServerProcess:
    """``pypika-server`` run by ``python`` (so another checkout's interpreter runs that checkout)."""

    def __init__(self, python: str, label: str) -> None:
        self.label = label
        self.folder = tempfile.mkdtemp(prefix="bench-bgsave-")
        self.port = free_port()
        arguments = {"port": self.port, "bind": "127.0.0.1", "db-path": f"{self.folder}/db",
                     "log-path": f"{self.folder}/log", "dump-path": f"{self.folder}/dump",
                     "db-sync-path": f"{self.folder}/dbsync", "logfile": f"{self.folder}/pypika.log"}
        command = [python, "-m", "pypika_store.server.cli"]
        for name, value in arguments.items():
            command += [f"--{name}", str(value)]
        # Not run from this checkout: ``python -m`` must import the interpreter's own checkout.
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{label}: pypika-server did not start (log {self.folder}/pypika.log)")
                time.sleep(0.1)

    def cpu_seconds(self, loop_only: bool = False) -> float:
        """CPU seconds of the process, or of its main thread (the event loop) alone."""
        pid = self.process.pid
        with open(f"/proc/{pid}/task/{pid}/stat" if loop_only else f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def lock_figures(self) -> dict[str, int]:
        info = self.client.info("persistence")
        return {field: int(info.get(field, 0)) for field in LOCK_FIELDS}

    def fill(self, keys: int) -> None:
        value = b"x" * 3
        for start in range(0, keys, 1000):
            self.client.mset({b"key:%012d" % number: value for number in range(start, min(keys, start + 1000))})

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(60)
        shutil.rmtree(self.folder, ignore_errors=True)


class Probe(threading.Thread):
    """One PING a millisecond on its own connection, each round trip timed."""

    def __init__(self, port: int) -> None:
        super().__init__(name="probe", daemon=True)
        self.port = port
        self.round_trips: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self.done.wait(0.001):
                sent = time.perf_counter()
                sock.sendall(b"PING\r\n")
                reply = b""
                while not reply.endswith(b"\r\n"):
                    reply += sock.recv(64)
                self.round_trips.append(time.perf_counter() - sent)


class Saver(threading.Thread):
    """BGSAVE every ``interval_ms`` (a request while one runs joins it, as the server coalesces)."""

    def __init__(self, port: int, interval_ms: float) -> None:
        super().__init__(name="bgsaves", daemon=True)
        self.client = redis.Redis(port=port)
        self.interval = interval_ms / 1000
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.client.bgsave()


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def _distribution(output: str, fraction: float) -> float:
    """The latency (ms) at ``fraction`` in redis-benchmark's percentile distribution."""
    for percent, milliseconds in _PERCENTILE_LINE.findall(output):
        if float(percent) >= fraction * 100:
            return float(milliseconds)
    raise ValueError("no latency distribution in redis-benchmark's output")


def measure(server: ServerProcess, keys: int, interval: str, requests: int) -> Run:
    client = server.client
    saves_before = int(client.info("persistence")["rdb_saves"])
    probe = Probe(server.port)
    saver = Saver(server.port, float(interval)) if interval != "none" else None
    cpu_before, loop_cpu_before = server.cpu_seconds(), server.cpu_seconds(loop_only=True)
    probe.start()
    if saver is not None:
        saver.start()
    try:
        output = subprocess.run(
            ["redis-benchmark", "-p", str(server.port), "-c", "50", "-P", "16", "-r", str(keys),
             "-n", str(requests), "-t", "set"], check=True, capture_output=True, text=True, timeout=1800).stdout
    finally:
        probe.done.set()
        if saver is not None:
            saver.done.set()
            saver.join()
        probe.join()
    cpu, loop_cpu = server.cpu_seconds() - cpu_before, server.cpu_seconds(loop_only=True) - loop_cpu_before
    while int(client.info("persistence")["rdb_bgsave_in_progress"]):
        time.sleep(0.01)
    trips = sorted(probe.round_trips)
    return Run(keys, server.label, interval, float(_RATE_LINE.search(output).group(1)),
               _distribution(output, 0.50), _distribution(output, 0.99), _distribution(output, 0.999),
               _percentile(trips, 0.999) * 1000, (trips[-1] if trips else 0.0) * 1000, cpu / requests * 1e6,
               loop_cpu / requests * 1e6, int(client.info("persistence")["rdb_saves"]) - saves_before)


def _row(runs: list[Run]) -> str:
    first = runs[0]

    def median(value) -> float:
        return statistics.median(value(run) for run in runs)

    return (f"| {first.keys:,} | {first.code} | {first.interval} | {median(lambda run: run.rate):,.0f} | "
            f"{median(lambda run: run.p50_ms):.2f} | {median(lambda run: run.p99_ms):.2f} | "
            f"{median(lambda run: run.p999_ms):.2f} | {median(lambda run: run.probe_p999_ms):.2f} | "
            f"{median(lambda run: run.probe_max_ms):.2f} | {median(lambda run: run.cpu_us_per_set):.2f} | "
            f"{median(lambda run: run.loop_cpu_us_per_set):.2f} | {median(lambda run: run.bgsaves):.0f} |")


def table(runs: list[Run]) -> str:
    """Markdown: per keys count, server and interval, the medians over the rounds."""
    header = ("| keys | code | BGSAVE every (ms) | SET/s | p50 ms | p99 ms | p99.9 ms | probe p99.9 ms | "
              "probe max ms | CPU µs/SET | loop CPU µs/SET | BGSAVEs |")
    lines = [header, "|---|---|---|" + "---:|" * 9]
    groups: dict[tuple[int, str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.keys, run.code, run.interval), []).append(run)
    lines += [_row(group) for group in groups.values()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", default="100000,1000000", help="keys counts, comma-separated")
    parser.add_argument("--intervals", default="1000", help="BGSAVE intervals in ms, comma-separated "
                        "('none', the run without BGSAVE, is always added)")
    parser.add_argument("--requests", type=int, default=500_000, help="SETs per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="another checkout's python (its .venv/bin/python) to compare with")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()
    intervals = ["none", *args.intervals.split(",")]
    codes = [(sys.executable, "new")] + ([(args.baseline, "old")] if args.baseline else [])
    runs: list[Run] = []
    lock_lines: list[str] = []
    for keys in (int(count) for count in args.keys.split(",")):
        servers = [ServerProcess(python, label) for python, label in codes]
        try:
            for server in servers:
                server.fill(keys)
            for round_number in range(args.rounds):
                order = servers if round_number % 2 == 0 else servers[::-1]
                for interval in intervals if round_number % 2 == 0 else intervals[::-1]:
                    for server in order:
                        run = measure(server, keys, interval, args.requests)
                        print(f"  keys {keys:,} {server.label} every {interval}: {run.rate:,.0f} SET/s, "
                              f"p99 {run.p99_ms:.2f} ms, p99.9 {run.p999_ms:.2f} ms, probe max "
                              f"{run.probe_max_ms:.2f} ms, loop {run.loop_cpu_us_per_set:.2f} µs/SET, "
                              f"{run.bgsaves} BGSAVEs", flush=True)
                        runs.append(run)
            lock_lines += [f"- {keys:,} keys, {server.label}: " + ", ".join(f"{field} {value:,}" for field, value
                                                                           in server.lock_figures().items())
                           for server in servers]
        finally:
            for server in servers:
                server.stop()
    result = table(runs) + "\n\n" + "\n".join(lock_lines)
    print(result)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(result + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
