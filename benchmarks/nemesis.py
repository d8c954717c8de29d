"""A nemesis run (issue #15, item 8): a master, two slaves and three real Sentinels under a
seeded schedule of faults for a few minutes, with a client writing through redis-py's Sentinel
client; then everything is healed, the group must settle and stay so for 5 s
(SentinelGroup.wait_settled: one master named by every sentinel, none seeing it down, every
other node its slave at its offset; after 120 s it fails saying what was still unsettled),
every node's DEBUG DIGEST is compared once, and every acknowledged write is looked for on
every node. A ``partition`` may split the sentinels too (testing/nemesis.py). Polling DEBUG
DIGEST while settling would itself stall the nodes past down-after-milliseconds (seconds
for 60,000 keys) and make the sentinels fail them over, again and again.

    python benchmarks/nemesis.py                                # 180 s, seed 1
    python benchmarks/nemesis.py --seconds 300 --seed 7 --interval 3 --faults kill,pause,partition,clock,link

It reports the failovers (the master the sentinels name changed), the faults the nemesis
started, the writes attempted, acknowledged (their reply came back) and acknowledged by
``WAIT 2`` (both slaves had them), and the acknowledged writes a node lost. Writes acknowledged
only by their reply may be lost in a failover (replication is asynchronous, as Redis'); those
``WAIT 2`` acknowledged must not be: the script exits 1 if any was, 2 if the group did not
settle. Not part of the test run.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing import PikaGroup, SentinelGroup, WriteChecker  # noqa: E402
from pypika_store.testing.sentinel import MASTER_NAME  # noqa: E402


#: Seconds the group must stay settled: longer than a sentinel takes to see a master down
#: (down-after-milliseconds 1000) and fail it over.
SETTLED_FOR = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--interval", type=float, default=3.0)
    parser.add_argument("--faults", default="kill,pause,partition,clock,link")
    args = parser.parse_args()

    from redis.sentinel import Sentinel

    with PikaGroup(slaves=2) as group, SentinelGroup(group.master) as sentinels:
        sentinels.wait_for_replicas(2)
        group.wait_synced()
        client = Sentinel(sentinels.addresses, socket_timeout=0.5).master_for(MASTER_NAME, socket_timeout=0.5)
        checker = WriteChecker(wait_for=2, wait_timeout_ms=500)
        masters = [sentinels.master_address()]
        started = time.monotonic()
        with group.nemesis(faults=args.faults.split(","), interval=args.interval, seed=args.seed,
                           sentinels=sentinels) as nemesis:
            while time.monotonic() - started < args.seconds:
                if not checker.write(client):
                    time.sleep(0.05)  # no master reachable now: do not spin
                if checker.attempted % 50 == 0:
                    named = sentinels.master_address()
                    if named != masters[-1]:
                        masters.append(named)
        healed = time.monotonic()
        try:  # steady: not a moment between two failovers; data: the checker reads every key below
            sentinels.wait_settled(group.servers, timeout=120, steady=SETTLED_FOR, compare_data=False)
        except TimeoutError as exc:  # it says what was still unsettled
            print(f"seed {args.seed}: {exc}")
            _print_log(nemesis)
            return 2
        settle_seconds = time.monotonic() - healed - SETTLED_FOR
        differences = sentinels.unsettled(group.servers)  # once settled: DEBUG DIGEST on every node
        report = checker.check(group.servers)

    faults = collections.Counter(event.fault for event in nemesis.log if event.phase == "start")
    skipped = sum(1 for event in nemesis.log if event.phase == "skipped")
    print(f"seed {args.seed}, {args.seconds:.0f} s, interval {args.interval} s")
    print(f"faults started: {sum(faults.values())} ({', '.join(f'{name} {count}' for name, count in sorted(faults.items()))}); "
          f"skipped: {skipped}")
    print(f"failovers: {len(masters) - 1}; settled {settle_seconds:.1f} s after healing (and for {SETTLED_FOR} s); "
          f"data: {'; '.join(differences) or 'every node DEBUG DIGEST equal'}")
    print(f"writes attempted: {report.attempted}, acknowledged: {report.acknowledged}, "
          f"acknowledged by WAIT 2: {report.wait_acknowledged}")
    lost_keys = {key for _node, key in report.lost}
    print(f"acknowledged writes lost: {len(lost_keys)}; of those acknowledged by WAIT 2: "
          f"{len({key for _node, key in report.lost_wait_acknowledged})}")
    _print_log(nemesis)
    return 1 if report.lost_wait_acknowledged else 0


def _print_log(nemesis) -> None:
    for event in nemesis.log:
        print(f"  {event.at:8.3f}  {event.phase:7}  {event.fault:9}  {event.target}")


if __name__ == "__main__":
    sys.exit(main())
