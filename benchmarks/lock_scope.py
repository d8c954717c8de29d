"""The bgsave lock-scope trade-off: write throughput and latency while BGSAVE runs every N ms,
for both scopes, with the offset/data mismatches each produced.

    python benchmarks/lock_scope.py --requests 300000 --interval-ms 50

Each scope gets a fresh pypika-server process; redis-benchmark writes (SET, -c 50, -P 16) while
this script sends BGSAVE every --interval-ms; INFO gives the mismatch count and the p99 time the
bgsave held the DB lock.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing import PikaServer  # noqa: E402

SCOPES = ("command+binlog", "command")


def run(scope: str, requests: int, interval: float, pipeline: int) -> dict[str, float]:
    with PikaServer(mode="process", config={"bgsave-lock-scope": scope}) as server:
        client = server.client()
        done = threading.Event()
        saves = 0

        def bgsaves() -> None:
            nonlocal saves
            while not done.is_set():
                client.bgsave()
                saves += 1
                time.sleep(interval)

        saver = threading.Thread(target=bgsaves)
        saver.start()
        output = subprocess.run(
            ["redis-benchmark", "-p", str(server.port), "-c", "50", "-n", str(requests), "-P", str(pipeline),
             "-t", "set", "-r", "100000", "--csv"], capture_output=True, text=True, check=True).stdout
        done.set()
        saver.join()
        while client.info("persistence")["rdb_bgsave_in_progress"]:
            time.sleep(0.05)
        info = client.info("persistence")
        (row,) = list(csv.DictReader(io.StringIO(output)))
        return {"rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]), "p99": float(row["p99_latency_ms"]),
                "bgsaves": saves, "mismatches": info["bgsave_offset_mismatches"],
                "lock_p99_us": info["bgsave_lock_hold_p99_us"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300_000)
    parser.add_argument("--interval-ms", type=float, default=50)
    parser.add_argument("--pipeline", type=int, default=16)
    args = parser.parse_args()
    print(f"{'scope':<16} {'SET/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'bgsaves':>8} {'mismatched':>10} {'lock p99 µs':>12}")
    for scope in SCOPES:
        result = run(scope, args.requests, args.interval_ms / 1000, args.pipeline)
        print(f"{scope:<16} {result['rps']:>9,.0f} {result['p50']:>7.2f} {result['p99']:>7.2f} "
              f"{result['bgsaves']:>8} {result['mismatches']:>10} {result['lock_p99_us']:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
