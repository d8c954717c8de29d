"""Replication side by side: pypika-store master+slave against redis-server master+replica.

    python benchmarks/replication.py                    # 1M keys, 200k SETs of load
    python benchmarks/replication.py --keys 100000 --requests 50000 --markdown results.md

For each pair (both on loopback, persistence on: AOF everysec for Redis, LMDB + binlog for
pypika-store), it measures:

- full sync: the master holds --keys keys (100-byte values); time from SLAVEOF/REPLICAOF to the
  replica being up and at the master's offset;
- incremental: redis-benchmark SET -P 16 -c 50 against the master while the replica follows;
  the master's write rate, the replica's apply rate (items from the start of the load to the
  moment it caught up), the largest lag seen (bytes of the master's offset not yet applied,
  sampled every 50 ms) and the time the replica needed to catch up after the load stopped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import redis  # noqa: E402

from benchmarks.compare_redis import RedisServer  # noqa: E402
from pypika_store.testing import PikaServer  # noqa: E402


class Pair:
    """A master and a replica of one kind, with what the benchmark needs to ask them."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "redis":
            # No diskless-sync delay: Redis waits 5 s by default for more replicas to share a sync.
            self._servers = [RedisServer("everysec", "--repl-diskless-sync-delay", "0") for _ in range(2)]
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


def full_sync(pair: Pair, keys: int) -> float:
    fill(pair.master, keys)
    start = time.monotonic()
    pair.replica.execute_command("REPLICAOF", "127.0.0.1", pair.master_port)
    wait(lambda: pair.replica_up() and pair.caught_up())
    return time.monotonic() - start


def incremental(pair: Pair, requests: int) -> dict[str, float]:
    lags: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            lags.append(max(0, pair.master_offset() - pair.replica_offset()))
            time.sleep(0.05)

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
    return {"write_rate": requests / load_time, "apply_rate": requests / total,
            "max_lag_bytes": max(lags, default=0), "catch_up_s": catch_up}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--markdown", help="also write the results as a Markdown table to this file")
    args = parser.parse_args()
    results = {}
    for kind in ("redis", "pika"):
        pair = Pair(kind)
        try:
            sync_time = full_sync(pair, args.keys)
            print(f"{kind}: full sync of {args.keys:,} keys in {sync_time:.2f} s", flush=True)
            results[kind] = {"full_sync_s": sync_time, **incremental(pair, args.requests)}
            print(f"{kind}: {results[kind]}", flush=True)
        finally:
            pair.stop()
    rows = [("full sync of %s keys (s)" % f"{args.keys:,}", "full_sync_s", "{:.1f}"),
            ("master write rate under replication (SET/s, -P 16)", "write_rate", "{:,.0f}"),
            ("replica apply rate (SET/s, load start to caught up)", "apply_rate", "{:,.0f}"),
            ("largest lag seen (bytes)", "max_lag_bytes", "{:,.0f}"),
            ("catch-up after the load stopped (s)", "catch_up_s", "{:.2f}")]
    lines = ["| measure | redis-server | pypika-store |", "|---|---:|---:|"]
    for label, key, fmt in rows:
        lines.append(f"| {label} | {fmt.format(results['redis'][key])} | {fmt.format(results['pika'][key])} |")
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
