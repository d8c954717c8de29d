"""The bgsave lock-scope trade-off: write throughput and latency while BGSAVE runs every N ms,
for both scopes, with the offset/data mismatches each produced.

    python benchmarks/lock_scope.py --requests 300000 --interval-ms 50
    python benchmarks/lock_scope.py --plot docs/lock-scope.png   # needs pypika-store[plot]

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
    parser.add_argument("--plot", help="also draw the results into this PNG (matplotlib)")
    args = parser.parse_args()
    print(f"{'scope':<16} {'SET/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'bgsaves':>8} {'mismatched':>10} {'lock p99 µs':>12}")
    results = {}
    for scope in SCOPES:
        result = results[scope] = run(scope, args.requests, args.interval_ms / 1000, args.pipeline)
        print(f"{scope:<16} {result['rps']:>9,.0f} {result['p50']:>7.2f} {result['p99']:>7.2f} "
              f"{result['bgsaves']:>8} {result['mismatches']:>10} {result['lock_p99_us']:>12}")
    if args.plot:
        plot(results, args.plot, args.interval_ms)
    return 0


def plot(results: dict[str, dict[str, float]], path: str, interval_ms: float) -> None:
    """Three panels per scope: write throughput, p99 latency, snapshots that mismatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scopes = list(results)
    colours = ["tab:blue", "tab:red"]
    figure, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    panels = [("rps", "SET requests/s"), ("p99", "p99 latency (ms)"), ("mismatches", "snapshots: data ≠ offset")]
    for axis, (field, title) in zip(axes, panels):
        values = [results[scope][field] for scope in scopes]
        axis.bar(scopes, values, color=colours)
        axis.set_title(title)
        for index, value in enumerate(values):
            axis.annotate(f"{value:,.0f}" if value >= 100 else f"{value:g}", (index, value), ha="center",
                          va="bottom")
    figure.suptitle(f"bgsave-lock-scope under redis-benchmark SET, BGSAVE every {interval_ms:g} ms")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
