"""Replication kill soak (issue #14): a master and two slaves (process mode, sync-policy always)
under SET + ``WAIT 1`` writes; N times, at a seeded random moment, SIGKILL the master or a slave
and start it again on the same data and port (no promotion: the master comes back as the master).
At the end no WAIT-acknowledged write may be missing on any node, every node's data must equal
the replay of its own binlog, and the slaves must equal the master (DEBUG DIGEST).

    python benchmarks/replication_crash_soak.py --kills 100 --seed 1
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing.crash import replication_kill_soak  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-delay-ms", type=int, default=20, help="shortest wait before a kill")
    parser.add_argument("--max-delay-ms", type=int, default=400, help="longest wait before a kill")
    parser.add_argument("--wait-timeout-ms", type=int, default=500, help="the writer's WAIT 1 timeout")
    parser.add_argument("--quiet", action="store_true", help="no line per kill")
    args = parser.parse_args()
    result = replication_kill_soak(args.kills, args.seed, (args.min_delay_ms, args.max_delay_ms),
                                   args.wait_timeout_ms, progress=None if args.quiet else print)
    print(f"seed {result.seed}: {sum(result.kills.values())} kills (master {result.kills['master']}, "
          f"slave {result.kills['slave']}) in {result.seconds:.1f} s")
    print(f"writes attempted {result.attempted}, acknowledged {result.acknowledged}, "
          f"WAIT-acknowledged {result.wait_acknowledged}")
    print(f"acknowledged lost {len(result.lost)}, WAIT-acknowledged lost {len(result.lost_wait_acknowledged)}, "
          f"replay mismatches {len(result.replay_mismatches)}, "
          f"slaves == master (DEBUG DIGEST): {'yes' if result.slaves_equal_master else 'NO'}")
    for node, key in result.lost[:20]:
        print(f"  lost on {node}: {key}")
    for node in result.replay_mismatches:
        print(f"  data != binlog replay on {node}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
