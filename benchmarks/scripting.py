"""EVALSHA of a small script (an INCR and an EXPIRE), redis-benchmark against redis-server and
pypika-store side by side.

    python benchmarks/scripting.py                                  # defaults below
    python benchmarks/scripting.py --requests 50000 --pipelines 1,16 --keys 100000

The servers are set up as benchmarks/compare_redis.py sets them (loopback, persistence on, the
same fsync rule); the script is loaded into each with SCRIPT LOAD, then redis-benchmark sends
``EVALSHA <sha> 1 counter:__rand_int__`` (``-r --keys``: random keys) with -c 50 at each
pipeline depth. Prints requests per second and the ratio pypika/redis; the machine's load
average before the runs too, since a shared machine moves the figures.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.compare_redis import redis_server  # noqa: E402
from pypika_store.testing import PikaServer  # noqa: E402

#: What the issue asks to measure: a counter with an expiry, one round trip.
SCRIPT = "local count = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 600) return count"


def load_script(port: int) -> str:
    """SCRIPT LOAD through redis-cli: the SHA1 both servers must agree on."""
    return subprocess.run(["redis-cli", "-p", str(port), "SCRIPT", "LOAD", SCRIPT],
                          check=True, capture_output=True, text=True).stdout.strip()


def evalsha_rps(port: int, sha: str, requests: int, clients: int, pipeline: int, keys: int) -> float:
    """Requests per second of EVALSHA on random keys, from redis-benchmark's CSV output."""
    output = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(requests),
         "-P", str(pipeline), "-r", str(keys), "--csv", "EVALSHA", sha, "1", "counter:__rand_int__"],
        check=True, capture_output=True, text=True, timeout=1800,
    ).stdout
    return float(next(csv.DictReader(io.StringIO(output)))["rps"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--keys", type=int, default=100_000, help="redis-benchmark -r: distinct keys")
    parser.add_argument("--sync-policy", default="everysec", choices=("always", "everysec", "no"))
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    redis = redis_server(args.sync_policy)
    pika = PikaServer(mode="process", config={"sync-policy": args.sync_policy}).start()
    try:
        sha = load_script(redis.port)
        if load_script(pika.port) != sha:
            raise RuntimeError("the servers disagree on the script's SHA1")
        print(f"{'-P':>3} {'redis-server':>14} {'pypika-store':>14} {'ratio':>7}")
        for pipeline in (int(p) for p in args.pipelines.split(",")):
            requests = args.requests * (4 if pipeline > 1 else 1)
            redis_rps = evalsha_rps(redis.port, sha, requests, args.clients, pipeline, args.keys)
            pika_rps = evalsha_rps(pika.port, sha, requests, args.clients, pipeline, args.keys)
            print(f"{pipeline:>3} {redis_rps:>14,.0f} {pika_rps:>14,.0f} {pika_rps / redis_rps:>7.2f}")
    finally:
        pika.stop()
        redis.stop()
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
