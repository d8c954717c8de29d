"""Partitions in a group (PikaGroup.partition, CHAOS LINK BLOCK), between nodes and with real
Sentinels: no root, no iptables, no proxy."""

from __future__ import annotations

import shutil

import pytest

from pypika_store.testing import PikaGroup, SentinelGroup

from .chaos_fixtures import holds_for
from .support import Err, RawConnection, wait_until


def _blocked(server) -> list[str]:
    links = [entry for entry in server.chaos_list() if entry["kind"] == "link"]
    return links[0]["blocked"] if links else []


def test_a_partition_cuts_a_slave_off_and_healing_reconnects_it():
    with PikaGroup(slaves=2) as group:
        cut, other = group.slaves
        cut.client().config_set("repl-timeout", "2")
        group.wait_synced()
        with group.partition([group.master], [cut]):
            assert _blocked(cut) == [f"127.0.0.1:{group.master.port} in out"]
            group.master.client().set("during", "v")
            wait_until(lambda: other.client().get("during") == b"v", what="the other slave")
            assert holds_for(lambda: not cut.client().exists("during"), 1.0)
            wait_until(lambda: cut.client().info("replication")["master_link_status"] == "down", timeout=15,
                       what="repl-timeout to notice the partition")
        assert _blocked(cut) == []
        wait_until(lambda: cut.client().get("during") == b"v", timeout=30, what="the slave to catch up")
        group.wait_synced()


def test_a_one_way_partition_blocks_one_direction_only():
    with PikaGroup(slaves=1) as group:
        slave = group.slaves[0]
        group.wait_synced()
        with group.partition([group.master], [slave], one_way=True):
            assert _blocked(slave) == [f"127.0.0.1:{group.master.port} in"]
            assert _blocked(group.master) == [f"127.0.0.1:{slave.port} out"]
            group.master.client().set("unheard", "v")
            assert holds_for(lambda: not slave.client().exists("unheard"), 1.0)
        wait_until(lambda: slave.client().get("unheard") == b"v", timeout=30, what="the slave to catch up")


def test_link_block_over_the_command():
    with PikaGroup(slaves=1) as group:
        slave = group.slaves[0]
        group.wait_synced()
        raw = RawConnection(slave.port)
        assert raw.call("CHAOS", "LINK", "BLOCK", "127.0.0.1", str(group.master.port), "IN") == "OK"
        assert raw.call("CHAOS", "LINK", "BLOCK", "127.0.0.1", "1", "SIDEWAYS") == Err("ERR syntax error")
        group.master.client().set("k", "v")
        assert holds_for(lambda: not slave.client().exists("k"), 0.5)
        assert raw.call("CHAOS", "LINK", "UNBLOCK", "127.0.0.1", str(group.master.port)) == "OK"
        wait_until(lambda: slave.client().exists("k"), what="the held write")
        raw.close()


def test_sentinels_cannot_be_cut_from_each_other():
    from pypika_store.testing.chaos import SentinelNode, partition

    with pytest.raises(ValueError, match="sentinels"):
        partition([SentinelNode(1, "sentinel-a")], [SentinelNode(2, "sentinel-b")])


@pytest.mark.skipif(shutil.which("redis-sentinel") is None and shutil.which("redis-server") is None,
                    reason="redis-sentinel is not installed")
def test_a_master_cut_from_its_slaves_and_the_sentinels_is_failed_over_and_demoted_on_healing():
    with PikaGroup(slaves=2) as group, SentinelGroup(group.master) as sentinels:
        sentinels.wait_for_replicas(2)
        group.master.client().set("before", "v")
        group.wait_synced()
        old = group.master.port
        with group.partition([group.master], [*group.slaves, sentinels]):
            host, port = sentinels.wait_for_failover(old=old)
            assert port in {slave.port for slave in group.slaves}
            assert group.master.client().info("replication")["role"] == "master"  # it never heard
        wait_until(lambda: group.master.client().info("replication")["role"] == "slave", timeout=30,
                   what="the old master to be demoted once healed")
        assert group.master.client().get("before") == b"v"
