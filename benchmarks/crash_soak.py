"""Crash soak: SIGKILL a server at random points of a write load, many times, and check that no
acknowledged write is lost (sync-policy always) and the data equals the replay of the binlog.

    python benchmarks/crash_soak.py --trials 50 --policy always
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing.crash import crash_during_writes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--policy", default="always", choices=("always", "everysec", "no"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failures = 0
    for trial in range(args.trials):
        with tempfile.TemporaryDirectory(prefix="crash-soak-") as data_dir:
            result = crash_during_writes(data_dir, args.policy, after_acks=rng.randint(50, 3000))
        ok = not result.lost and result.data_matches_binlog
        failures += not ok
        print(f"trial {trial + 1:3d}: acknowledged {result.acknowledged:5d}, lost {len(result.lost)}, "
              f"data == binlog replay: {result.data_matches_binlog}", flush=True)
    print(f"{args.trials - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
