"""A nemesis run (issue #15, item 8): a master, two slaves and three real Sentinels under a
seeded schedule of faults for a few minutes, with a client writing through redis-py's Sentinel
client; then everything is healed and every acknowledged write is looked for on every node.

    python benchmarks/nemesis.py                                # 180 s, seed 1
    python benchmarks/nemesis.py --seconds 300 --seed 7 --interval 3 --faults kill,pause,partition,clock,link

It reports the failovers (the master the sentinels name changed), the faults the nemesis
started, the writes attempted, acknowledged (their reply came back) and acknowledged by
``WAIT 2`` (both slaves had them), and the acknowledged writes a node lost. Writes acknowledged
only by their reply may be lost in a failover (replication is asynchronous, as Redis'); those
``WAIT 2`` acknowledged must not be: the script exits 1 if any was. Not part of the test run.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing import PikaGroup, SentinelGroup, WriteChecker, wait_for  # noqa: E402
from pypika_store.testing.sentinel import MASTER_NAME  # noqa: E402


def _settled(group: PikaGroup, sentinels: SentinelGroup) -> bool:
    """One master, named by every sentinel, every other node its slave with its data."""
    addresses = {sentinels.master_address(port) for port in sentinels.ports}
    if len(addresses) != 1:
        return False
    (_host, port), = addresses
    master = next(server for server in group.servers if server.port == port)
    if master.client().info("replication")["role"] != "master":
        return False
    digest = master.client().execute_command("DEBUG", "DIGEST")
    offset = master.client().info("replication")["master_repl_offset"]
    for slave in group.servers:
        if slave is master:
            continue
        info = slave.client().info("replication")
        if info["role"] != "slave" or info.get("master_port") != port or info.get("master_link_status") != "up":
            return False
        if info["slave_repl_offset"] != offset or slave.client().execute_command("DEBUG", "DIGEST") != digest:
            return False
    return True


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
        with group.nemesis(faults=args.faults.split(","), interval=args.interval, seed=args.seed) as nemesis:
            while time.monotonic() - started < args.seconds:
                if not checker.write(client):
                    time.sleep(0.05)  # no master reachable now: do not spin
                if checker.attempted % 50 == 0:
                    named = sentinels.master_address()
                    if named != masters[-1]:
                        masters.append(named)
        try:
            wait_for(lambda: _settled(group, sentinels), 120, "the group to settle after healing", interval=0.5)
        except TimeoutError:
            for server in group.servers:
                info = server.client().info("replication")
                print(f"unsettled: {server.port} {info['role']} master {info.get('master_port')} "
                      f"link {info.get('master_link_status')} offset {info.get('slave_repl_offset', info.get('master_repl_offset'))} "
                      f"sentinels {[sentinels.master_address(port) for port in sentinels.ports]}")
            raise
        report = checker.check(group.servers)

    faults = collections.Counter(event.fault for event in nemesis.log if event.phase == "start")
    skipped = sum(1 for event in nemesis.log if event.phase == "skipped")
    print(f"seed {args.seed}, {args.seconds:.0f} s, interval {args.interval} s")
    print(f"faults started: {sum(faults.values())} ({', '.join(f'{name} {count}' for name, count in sorted(faults.items()))}); "
          f"skipped: {skipped}")
    print(f"failovers: {len(masters) - 1}")
    print(f"writes attempted: {report.attempted}, acknowledged: {report.acknowledged}, "
          f"acknowledged by WAIT 2: {report.wait_acknowledged}")
    lost_keys = {key for _node, key in report.lost}
    print(f"acknowledged writes lost: {len(lost_keys)}; of those acknowledged by WAIT 2: "
          f"{len({key for _node, key in report.lost_wait_acknowledged})}")
    for event in nemesis.log:
        print(f"  {event.at:8.3f}  {event.phase:7}  {event.fault:9}  {event.target}")
    return 1 if report.lost_wait_acknowledged else 0


if __name__ == "__main__":
    sys.exit(main())
