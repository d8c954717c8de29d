"""Side-by-side throughput: redis-benchmark against redis-server and pypika-store in one run.

    python benchmarks/compare_redis.py                       # defaults below
    python benchmarks/compare_redis.py --requests 200000 --tests set,get,incr,mset --pipelines 1,16
    python benchmarks/compare_redis.py --markdown results.md # also write a Markdown table

Both servers run on loopback with persistence on and the same fsync rule: redis-server with AOF
and `appendfsync <policy>`, pypika-store with LMDB and `sync-policy <policy>` (--sync-policy,
default everysec). Each pipeline depth runs redis-benchmark with -c 50 (unless --clients says
otherwise) and the ratio pypika/redis is printed per test.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing import PikaServer, free_port  # noqa: E402


def run_benchmark(port: int, tests: str, requests: int, clients: int, pipeline: int) -> dict[str, float]:
    """Requests per second per test, from redis-benchmark's CSV output."""
    output = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(requests),
         "-P", str(pipeline), "-t", tests, "--csv"],
        check=True, capture_output=True, text=True, timeout=1800,
    ).stdout
    rows = csv.DictReader(io.StringIO(output))
    return {row["test"]: float(row["rps"]) for row in rows}


class RedisServer:
    def __init__(self, appendfsync: str, *extra_args: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "yes", "--appendfsync", appendfsync, *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default="set,get,incr,mset")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--sync-policy", default="everysec", choices=("always", "everysec", "no"))
    parser.add_argument("--write-binlog", default="yes", choices=("yes", "no"),
                        help="pypika-store's binlog (redis-server's AOF stays on either way)")
    parser.add_argument("--markdown", help="also write the results as a Markdown table to this file")
    args = parser.parse_args()

    redis = RedisServer(appendfsync=args.sync_policy)
    pika = PikaServer(mode="process", config={"sync-policy": args.sync_policy,
                                              "write-binlog": args.write_binlog}).start()
    rows = []
    try:
        for pipeline in (int(p) for p in args.pipelines.split(",")):
            requests = args.requests * (4 if pipeline > 1 else 1)
            redis_rps = run_benchmark(redis.port, args.tests, requests, args.clients, pipeline)
            pika_rps = run_benchmark(pika.port, args.tests, requests, args.clients, pipeline)
            for test, redis_value in redis_rps.items():
                pika_value = pika_rps.get(test, 0.0)
                rows.append((test, pipeline, redis_value, pika_value, pika_value / redis_value))
    finally:
        pika.stop()
        redis.stop()

    header = f"{'test':<16} {'-P':>3} {'redis-server':>14} {'pypika-store':>14} {'ratio':>7}"
    print(header)
    for test, pipeline, redis_value, pika_value, ratio in rows:
        print(f"{test:<16} {pipeline:>3} {redis_value:>14,.0f} {pika_value:>14,.0f} {ratio:>7.2f}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("| test | -P | redis-server req/s | pypika-store req/s | ratio |\n|---|---:|---:|---:|---:|\n")
            for test, pipeline, redis_value, pika_value, ratio in rows:
                handle.write(f"| {test} | {pipeline} | {redis_value:,.0f} | {pika_value:,.0f} | {ratio:.2f} |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
