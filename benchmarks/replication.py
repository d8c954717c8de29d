"""Replication side by side: pypika-store master+slave against redis-server master+replica.

    python benchmarks/replication.py                    # 1M keys, 200k SETs of load
    python benchmarks/replication.py --keys 100000 --requests 50000 --markdown results.md
    python benchmarks/replication.py --kinds pika --rounds 3   # pypika-store alone, medians
    python benchmarks/replication.py --keys 100000 --requests 0 --rounds 6   # the full sync alone

For each pair (both on loopback, persistence on: AOF everysec for Redis, LMDB + binlog for
pypika-store), it measures:

- full sync: the master holds --keys keys (100-byte values); time from SLAVEOF/REPLICAOF to the
  replica being up and at the master's offset, and each process' CPU time meanwhile (Redis'
  RDB child counted once its parent reaped it); for pypika-store also the slave's phases
  (INFO ``repl_last_full_sync_phases``: waiting for the snapshot, fetching it, loading it,
  the TrySyncs after it);
- incremental: redis-benchmark SET -P 16 -c 50 against the master while the replica follows;
  the master's write rate, the replica's apply rate (items from the start of the load to the
  moment it caught up), the largest lag seen (bytes of the master's offset not yet applied,
  sampled every 50 ms), the time the replica needed to catch up after the load stopped, and
  each process' CPU time per write (utime + stime from /proc: it holds on a shared machine,
  where wall-clock rates do not).

The code measured is the one this interpreter imports: run the script with another checkout's
interpreter (its ``.venv/bin/python``, that checkout as the working directory) to measure it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import redis  # noqa: E402

from benchmarks.compare_redis import ServerProcess, redis_server  # noqa: E402
from pypika_store.testing import PikaServer  # noqa: E402


def _redis_server() -> ServerProcess:
    """A redis-server with AOF everysec and no diskless-sync delay (Redis waits 5 s by default
    for more replicas to share a sync)."""
    server = redis_server("everysec")
    redis.Redis(port=server.port).config_set("repl-diskless-sync-delay", 0)
    return server


class Pair:
    """A master and a replica of one kind, with what the benchmark needs to ask them."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "redis":
            self._servers = [_redis_server() for _ in range(2)]
            ports = [server.port for server in self._servers]
        else:
            self._servers = [PikaServer(mode="process").start(), PikaServer(mode="process").start()]
            ports = [server.port for server in self._servers]
        self.master = redis.Redis(port=ports[0])
        self.replica = redis.Redis(port=ports[1])
        self.master_port = ports[0]

    def stop(self) -> None:
        for server in self._servers:
            server.stop()

    def master_offset(self) -> int:
        return int(self.master.info("replication")["master_repl_offset"])

    def replica_offset(self) -> int:
        info = self.replica.info("replication")
        return int(info.get("slave_repl_offset", info.get("master_repl_offset", 0)))

    def cpu_seconds(self, client: redis.Redis) -> float:
        """The server process' CPU time so far (user + system, with its children's once it
        reaped them: Redis' RDB child), from /proc."""
        pid = int(client.info("server")["process_id"])
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def sync_phases(self) -> dict[str, float]:
        """The replica's last full sync per phase (pypika-store's INFO; none for Redis)."""
        raw = self.replica.info("replication").get("repl_last_full_sync_phases", "")
        if isinstance(raw, dict):  # redis-py splits "a=1,b=2" values into a dict
            return {phase: float(seconds) for phase, seconds in raw.items()}
        return {phase: float(seconds) for phase, seconds in (part.split("=") for part in raw.split(",") if part)}

    def replica_up(self) -> bool:
        return self.replica.info("replication").get("master_link_status") == "up"

    def caught_up(self) -> bool:
        return self.replica_up() and self.replica_offset() >= self.master_offset()


def fill(client: redis.Redis, keys: int) -> None:
    value = b"v" * 100
    for start in range(0, keys, 10_000):
        pipe = client.pipeline(transaction=False)
        for number in range(start, min(keys, start + 10_000)):
            pipe.set(b"key:%d" % number, value)
        pipe.execute()


def wait(condition, timeout: float = 3600.0, interval: float = 0.02) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise TimeoutError("replication did not converge")
        time.sleep(interval)
    return time.monotonic() - start


def full_sync(pair: Pair, keys: int) -> dict[str, float]:
    fill(pair.master, keys)
    cpu_before = pair.cpu_seconds(pair.master), pair.cpu_seconds(pair.replica)
    start = time.monotonic()
    pair.replica.execute_command("REPLICAOF", "127.0.0.1", pair.master_port)
    wait(lambda: pair.replica_up() and pair.caught_up())
    elapsed = time.monotonic() - start
    master_cpu, replica_cpu = (pair.cpu_seconds(client) - before
                               for client, before in zip((pair.master, pair.replica), cpu_before))
    return {"full_sync_s": elapsed, "sync_master_cpu_s": master_cpu, "sync_replica_cpu_s": replica_cpu,
            **{f"phase_{phase}_s": seconds for phase, seconds in pair.sync_phases().items()}}


def incremental(pair: Pair, requests: int) -> dict[str, float]:
    lags: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            lags.append(max(0, pair.master_offset() - pair.replica_offset()))
            time.sleep(0.05)

    cpu_before = pair.cpu_seconds(pair.master), pair.cpu_seconds(pair.replica)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    subprocess.run(["redis-benchmark", "-p", str(pair.master_port), "-t", "set", "-n", str(requests), "-c", "50",
                    "-P", "16", "-r", "100000", "-q"], check=True, capture_output=True, timeout=3600)
    load_time = time.monotonic() - start
    catch_up = wait(pair.caught_up)
    total = time.monotonic() - start
    stop.set()
    sampler.join()
    master_cpu, replica_cpu = (after - before for after, before in
                               zip((pair.cpu_seconds(pair.master), pair.cpu_seconds(pair.replica)), cpu_before))
    return {"write_rate": requests / load_time, "apply_rate": requests / total,
            "max_lag_bytes": max(lags, default=0), "catch_up_s": catch_up,
            "master_cpu_us": master_cpu / requests * 1e6, "replica_cpu_us": replica_cpu / requests * 1e6}


#: The Markdown table's rows: label, result key, format. Rows a kind lacks show "-".
ROWS = [("full sync of {keys} keys (s)", "full_sync_s", "{:.2f}"),
        ("- waiting for the snapshot (s)", "phase_snapshot_s", "{:.2f}"),
        ("- fetching it (s)", "phase_fetch_s", "{:.2f}"),
        ("- loading it (s)", "phase_load_s", "{:.2f}"),
        ("- TrySync after it (s)", "phase_connect_s", "{:.2f}"),
        ("master CPU during the full sync (s)", "sync_master_cpu_s", "{:.2f}"),
        ("replica CPU during the full sync (s)", "sync_replica_cpu_s", "{:.2f}"),
        ("master write rate under replication (SET/s, -P 16)", "write_rate", "{:,.0f}"),
        ("replica apply rate (SET/s, load start to caught up)", "apply_rate", "{:,.0f}"),
        ("largest lag seen (bytes)", "max_lag_bytes", "{:,.0f}"),
        ("catch-up after the load stopped (s)", "catch_up_s", "{:.2f}"),
        ("master CPU per SET (µs)", "master_cpu_us", "{:.1f}"),
        ("replica CPU per applied SET (µs)", "replica_cpu_us", "{:.1f}")]


def run_pair(kind: str, keys: int, requests: int) -> dict[str, float]:
    pair = Pair(kind)
    try:
        result = full_sync(pair, keys)
        print(f"{kind}: full sync of {keys:,} keys in {result['full_sync_s']:.2f} s", flush=True)
        if requests:
            result.update(incremental(pair, requests))
        print(f"{kind}: {result}", flush=True)
        return result
    finally:
        pair.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200_000, help="SETs of the load after the sync (0: none)")
    parser.add_argument("--kinds", default="redis,pika", help="which pairs to run: redis, pika or both")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each pair, interleaved; medians shown")
    parser.add_argument("--markdown", help="also write the results as a Markdown table to this file")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _round in range(args.rounds):
        for kind in kinds:
            runs[kind].append(run_pair(kind, args.keys, args.requests))
    medians = {kind: {key: statistics.median(run[key] for run in results) for key in results[0]}
               for kind, results in runs.items()}
    names = {"redis": "redis-server", "pika": "pypika-store"}
    lines = ["| measure | " + " | ".join(names[kind] for kind in kinds) + " |",
             "|---|" + "---:|" * len(kinds)]
    for label, key, fmt in ROWS:
        cells = [fmt.format(medians[kind][key]) if key in medians[kind] else "-" for kind in kinds]
        if any(cell != "-" for cell in cells):
            lines.append(f"| {label.format(keys=f'{args.keys:,}')} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
