"""Shards behind twemproxy: redis-benchmark against 1, 2 and 4 shards, directly and through
nutcracker, pypika-store shards side by side with redis-server shards (docs/benchmarks.md).

    python benchmarks/sharding.py                              # defaults below
    python benchmarks/sharding.py --shards 1,2,4 --requests 50000 --tests set,get --pipelines 1,16

Every shard is a separate process (pypika-store in process mode, redis-server with AOF
``appendfsync everysec`` against LMDB ``sync-policy everysec``), each count of shards behind its
own nutcracker configured as ``PikaCluster`` does it. redis-benchmark uses ``-r`` random keys so
the requests spread over the shards; "direct" is redis-benchmark against one shard alone. Each
shard's share is read from its ``total_commands_processed`` before and after the run, and its
own rate is the proxy's rate times that share. On a small machine the shards, the proxy and
redis-benchmark share the cores: the totals cannot scale past them.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.compare_redis import redis_server  # noqa: E402
from pypika_store.testing import Nutcracker, PikaServer  # noqa: E402
from pypika_store.testing.cluster import Backend  # noqa: E402

#: Random keys per test: enough for every shard to get its share.
KEYSPACE = 100_000


def redis_benchmark(port: int, tests: str, requests: int, clients: int, pipeline: int) -> dict[str, float]:
    """Requests per second per test over ``KEYSPACE`` random keys (redis-benchmark's CSV)."""
    output = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(requests),
         "-P", str(pipeline), "-r", str(KEYSPACE), "-t", tests, "--csv"],
        check=True, capture_output=True, text=True, timeout=1800,
    ).stdout
    return {row["test"]: float(row["rps"]) for row in csv.DictReader(io.StringIO(output))}


def commands_processed(port: int) -> int:
    import redis

    return int(redis.Redis(port=port).info("stats")["total_commands_processed"])


@dataclass
class Row:
    kind: str
    shards: int
    path: str
    test: str
    pipeline: int
    rps: float
    per_shard: list[float]


def measure(kind: str, ports: list[int], args: argparse.Namespace) -> list[Row]:
    """Direct on the first shard, then through a nutcracker over all of ``ports``."""
    rows: list[Row] = []
    names = [f"shard{index}" for index in range(len(ports))]
    proxy = Nutcracker([Backend(name, "127.0.0.1", port) for name, port in zip(names, ports)]).start()
    try:
        for pipeline in (int(p) for p in args.pipelines.split(",")):
            if len(ports) == 1:
                for test, rps in redis_benchmark(ports[0], args.tests, args.requests, args.clients,
                                                 pipeline).items():
                    rows.append(Row(kind, 1, "direct", test, pipeline, rps, [rps]))
            for test in args.tests.split(","):
                before = [commands_processed(port) for port in ports]
                [(name, rps)] = redis_benchmark(proxy.port, test, args.requests, args.clients, pipeline).items()
                done = [commands_processed(port) - start for port, start in zip(ports, before)]
                total = sum(done) or 1
                rows.append(Row(kind, len(ports), "proxy", name, pipeline, rps, [rps * n / total for n in done]))
    finally:
        proxy.stop()
    return rows


def run_kind(kind: str, count: int, args: argparse.Namespace) -> list[Row]:
    if kind == "pypika-store":
        servers = [PikaServer(mode="process", config={"sync-policy": "everysec"}).start() for _ in range(count)]
        ports = [server.port for server in servers]
    else:
        servers = [redis_server("everysec") for _ in range(count)]
        ports = [server.port for server in servers]
    try:
        return measure(kind, ports, args)
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", default="1,2,4")
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default="set,get")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--markdown", help="also write the results as a Markdown table to this file")
    args = parser.parse_args()

    rows: list[Row] = []
    for count in (int(n) for n in args.shards.split(",")):
        for kind in ("redis-server", "pypika-store"):
            rows += run_kind(kind, count, args)

    lines = ["| servers | shards | path | test | -P | req/s | per shard req/s |", "|---|---:|---|---|---:|---:|---|"]
    for row in rows:
        shares = " / ".join(f"{value:,.0f}" for value in row.per_shard)
        lines.append(f"| {row.kind} | {row.shards} | {row.path} | {row.test} | {row.pipeline} | {row.rps:,.0f} "
                     f"| {shares} |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
