"""A failover drill you can watch: a pypika-store master, two slaves, three real Redis Sentinels.

    python examples/failover_drill.py

It writes through redis-py's Sentinel client, kills the master with SIGKILL, times how long
Sentinel takes to promote a slave and how long until the client writes again, restarts the
old master, and times its demotion to a slave of the new one and its convergence (DEBUG
DIGEST). Needs Debian's redis-sentinel (or redis-server) on the PATH.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import redis  # noqa: E402
from redis.sentinel import Sentinel  # noqa: E402

from pypika_store.testing import PikaGroup, SentinelGroup  # noqa: E402
from pypika_store.testing.embedded import wait_for  # noqa: E402
from pypika_store.testing.sentinel import MASTER_NAME  # noqa: E402


def _role(server) -> dict:
    return server.client().info("replication")


def main() -> int:
    with PikaGroup(slaves=2, mode="process") as group:
        group.wait_synced()
        with SentinelGroup(group.master) as sentinels:
            sentinels.wait_for_replicas(2)
            client = Sentinel(sentinels.addresses, socket_timeout=1).master_for(MASTER_NAME, socket_timeout=1)
            for number in range(1000):
                client.set(f"before:{number}", number)
            print(f"master 127.0.0.1:{group.master.port}, slaves {[slave.port for slave in group.slaves]}")

            killed = time.monotonic()
            group.master.kill()
            host, port = sentinels.wait_for_failover(old=group.master.port)
            print(f"kill -9 -> Sentinel switched to {host}:{port} in {time.monotonic() - killed:.2f} s")

            def writes_again() -> bool:
                try:
                    return bool(client.set("after", "failover"))
                except (redis.ConnectionError, redis.ReadOnlyError, redis.TimeoutError):
                    return False

            wait_for(writes_again, 60, "the client to write again", interval=0.05)
            print(f"kill -9 -> the Sentinel client writes again in {time.monotonic() - killed:.2f} s")

            restarted = time.monotonic()
            group.master.start()
            wait_for(lambda: _role(group.master)["role"] == "slave" and _role(group.master)["master_port"] == port,
                     60, "the old master's demotion", interval=0.05)
            print(f"restart -> Sentinel made the old master a slave in {time.monotonic() - restarted:.2f} s")
            new_master = redis.Redis(port=port)
            wait_for(lambda: _role(group.master).get("master_link_status") == "up"
                     and group.master.client().execute_command("DEBUG", "DIGEST")
                     == new_master.execute_command("DEBUG", "DIGEST"), 60, "convergence", interval=0.05)
            print(f"restart -> the old master converged in {time.monotonic() - restarted:.2f} s")
            masters = [server.port for server in group.servers if _role(server)["role"] == "master"]
            print(f"nodes reporting role:master: {masters}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
