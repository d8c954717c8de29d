"""Failover drills with the real Redis Sentinel (Debian's redis-sentinel 7.0): one pypika-store
master, two slaves, three sentinels (quorum 2), all separate processes on loopback."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import redis
from redis.sentinel import Sentinel

from pypika_store.testing import PikaGroup, SentinelGroup
from pypika_store.testing.sentinel import MASTER_NAME

from .support import wait_until

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/redis-sentinel") and not os.environ.get("PYPIKA_REQUIRE_REDIS"),
                                reason="redis-sentinel is not installed")


@pytest.fixture
def drill(tmp_path):
    with PikaGroup(slaves=2, mode="process") as group:
        group.wait_synced()
        with SentinelGroup(group.master) as sentinels:
            sentinels.wait_for_replicas(2)
            yield group, sentinels


def _info(server) -> dict:
    return server.client().info("replication")


def _offset(server) -> int:
    return int(_info(server)["slave_repl_offset"])


def test_sentinel_promotes_the_most_advanced_slave_and_repoints_the_other(drill):
    """Seeds 000/001: one slave lags; the master dies; the ahead slave is promoted."""
    group, sentinels = drill
    ahead, behind = group.slaves
    os.kill(behind.pid, signal.SIGSTOP)  # the lagging slave
    try:
        master = group.master.client()
        for number in range(300):
            master.set(f"big:{number}", os.urandom(8192))
        wait_until(lambda: _offset(ahead) == int(master.info("replication")["master_repl_offset"]),
                   timeout=30, what="the ahead slave to catch up")
        group.master.kill()
    finally:
        os.kill(behind.pid, signal.SIGCONT)
    wait_until(lambda: _info(behind)["master_link_status"] == "down", timeout=30, what="the link to drop")
    assert _offset(ahead) > _offset(behind)
    down = _info(behind)["master_link_down_since_seconds"]
    wait_until(lambda: _info(behind).get("master_link_down_since_seconds", -1) > down
               or _info(behind).get("master_host") != "127.0.0.1" or _info(behind)["master_port"] != group.master.port,
               timeout=30, what="the down time to grow (or the failover to happen)")
    new_master = sentinels.wait_for_failover(old=group.master.port)
    assert new_master == ("127.0.0.1", ahead.port)
    assert _info(ahead)["role"] == "master"
    wait_until(lambda: _info(behind).get("master_port") == ahead.port and _info(behind)["master_link_status"] == "up",
               timeout=60, what="the other slave to follow the new master")
    assert "master_link_down_since_seconds" not in _info(behind)
    ahead.client().set("after", "failover")
    wait_until(lambda: behind.client().get("after") == b"failover", timeout=30, what="replication from the new master")


def test_old_master_comes_back_as_a_slave_and_converges(drill):
    """Seed 003: the restarted old master is demoted by Sentinel and syncs from the new one."""
    group, sentinels = drill
    group.master.client().set("before", "1")
    old_port = group.master.port
    group.master.kill()
    host, port = sentinels.wait_for_failover(old=old_port)
    new_master = next(slave for slave in group.slaves if slave.port == port)
    new_master.client().set("written-after-failover", "yes")
    group.master.start()  # same port, same data: it believes it is a master
    wait_until(lambda: _info(group.master)["role"] == "slave" and _info(group.master)["master_port"] == port,
               timeout=60, what="Sentinel to demote the old master")
    old = group.master.client()
    wait_until(lambda: _info(group.master)["master_link_status"] == "up"
               and old.execute_command("DEBUG", "DIGEST") == new_master.client().execute_command("DEBUG", "DIGEST"),
               timeout=60, what="the old master to converge to the new one")
    assert old.get("written-after-failover") == b"yes"
    roles = [_info(server)["role"] for server in group.servers]
    assert roles.count("master") == 1


def test_controlled_failover_loses_no_acknowledged_write(drill):
    """SENTINEL FAILOVER while a writer uses WAIT 1: every acknowledged key is on the new master;
    redis-py's Sentinel client rediscovers the master after READONLY."""
    group, sentinels = drill
    sentinel = Sentinel(sentinels.addresses, socket_timeout=2)
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            client = sentinel.master_for(MASTER_NAME, socket_timeout=2)
            try:
                client.set(f"acked:{number}", number)
                if client.wait(1, 2000) >= 1:
                    acknowledged.append(f"acked:{number}")
                number += 1
            except (redis.ConnectionError, redis.ReadOnlyError, redis.TimeoutError):
                stop.wait(0.05)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        wait_until(lambda: len(acknowledged) > 20, timeout=30, what="acknowledged writes")
        before_switch = list(acknowledged)
        redis.Redis(port=sentinels.ports[0]).execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
        host, port = sentinels.wait_for_failover(old=group.master.port)
        new_master = redis.Redis(host=host, port=port)
        wait_until(lambda: new_master.exists(acknowledged[-1]) and len(acknowledged) > len(before_switch) + 20,
                   timeout=60, what="the writer to go on against the new master")
    finally:
        stop.set()
        writer.join(10)
    assert [key for key in before_switch if not new_master.exists(key)] == []
    assert new_master.info("replication")["role"] == "master"
