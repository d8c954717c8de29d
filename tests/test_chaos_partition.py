"""Partitions in a group (PikaGroup.partition, CHAOS LINK BLOCK), between nodes and with real
Sentinels: no root, no iptables, no proxy."""

from __future__ import annotations

import contextlib
import shutil
from typing import Iterator

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


def test_sentinels_without_a_shared_relay_cannot_be_cut_from_each_other():
    from pypika_store.testing.chaos import SentinelNode, partition
    from pypika_store.testing.relay import SentinelRelay

    with pytest.raises(ValueError, match="one SentinelGroup"):
        partition([SentinelNode(1, "sentinel-a")], [SentinelNode(2, "sentinel-b")])
    first, second = SentinelRelay(), SentinelRelay()
    with pytest.raises(ValueError, match="one SentinelGroup"):
        partition([SentinelNode(1, "sentinel-a", first)], [SentinelNode(2, "sentinel-b", second)])
    first.close()
    second.close()


needs_sentinel = pytest.mark.skipif(shutil.which("redis-sentinel") is None and shutil.which("redis-server") is None,
                                    reason="redis-sentinel is not installed")


@contextlib.contextmanager
def _watched_group(quorum: int = 2) -> Iterator[tuple[PikaGroup, SentinelGroup]]:
    """A master and two slaves, synced with a key ``before``, and three sentinels that know them."""
    with PikaGroup(slaves=2) as group, SentinelGroup(group.master, quorum=quorum) as sentinels:
        sentinels.wait_for_replicas(2)
        group.master.client().set("before", "v")
        group.wait_synced()
        yield group, sentinels


@needs_sentinel
def test_a_master_cut_from_its_slaves_and_the_sentinels_is_failed_over_and_demoted_on_healing():
    with _watched_group() as (group, sentinels):
        old = group.master.port
        with group.partition([group.master], [*group.slaves, sentinels]):
            host, port = sentinels.wait_for_failover(old=old)
            assert port in {slave.port for slave in group.slaves}
            assert group.master.client().info("replication")["role"] == "master"  # it never heard
        wait_until(lambda: group.master.client().info("replication")["role"] == "slave", timeout=30,
                   what="the old master to be demoted once healed")
        assert group.master.client().get("before") == b"v"


def _names(sentinels, members) -> set:
    return {sentinels.master_address(member.port) for member in members}


@needs_sentinel
def test_sentinels_split_from_each_other_the_majority_fails_over_and_healing_converges():
    """1 sentinel + the master against 2 sentinels + the slaves, as a real network split."""
    with _watched_group() as (group, sentinels):
        alone, *majority = sentinels.members()
        old = ("127.0.0.1", group.master.port)
        with group.partition([group.master, alone], [*group.slaves, *majority]):
            pairs = {(alone.client_name_prefix, other.client_name_prefix) for other in majority}
            assert sentinels.relay.cuts == pairs | {(receiver, sender) for sender, receiver in pairs}
            wait_until(lambda: len(_names(sentinels, majority) - {old}) == 1 == len(_names(sentinels, majority)),
                       timeout=60, what="the majority to fail over")
            new, = _names(sentinels, majority)
            assert new[1] in {slave.port for slave in group.slaves}
            assert sentinels.master_address(alone.port) == old  # the minority never heard of it
            assert group.master.client().info("replication")["role"] == "master"
            group.master.client().set("minority", "lost at healing")
        assert sentinels.relay.cuts == frozenset()
        sentinels.wait_settled(group.servers, timeout=60)
        assert sentinels.master_address(alone.port) == new
        assert group.master.client().get("before") == b"v"
        assert group.master.client().get("minority") is None  # it took the new master's history


@needs_sentinel
def test_a_sentinel_cut_from_the_others_cannot_fail_over_alone():
    """With quorum 1 a sentinel that finds the master down needs no one to agree it is down,
    but still the votes of a majority to fail it over: cut from the other sentinels, it has
    none, and it fails over once only that cut is healed."""
    with _watched_group(quorum=1) as (group, sentinels):
        alone, *others = sentinels.members()
        old = ("127.0.0.1", group.master.port)
        with group.partition([alone], [group.master]):
            between_sentinels = group.partition([alone], others)
            wait_until(lambda: "o_down" in sentinels.master_flags(alone.port), timeout=30,
                       what="the lone sentinel to find the master down")
            assert holds_for(lambda: _names(sentinels, [alone, *others]) == {old}, 6.0)  # not authorized
            assert group.master.client().info("replication")["role"] == "master"
            between_sentinels.heal()  # the others now vote for it
            new = sentinels.wait_for_failover(old=old[1])
            assert new[1] in {slave.port for slave in group.slaves}
        sentinels.wait_settled(group.servers, timeout=60)
