"""CHAOS LINK: faults of a slave's link to its master (replication/link.py), in a real group."""

from __future__ import annotations

import time

import pytest

from pypika_store.testing import PikaGroup

from .chaos_fixtures import holds_for
from .support import wait_until


@pytest.fixture(scope="module")
def group():
    with PikaGroup(slaves=2) as group:
        group.wait_synced()
        yield group


@pytest.fixture
def healed(group):
    yield group
    group.heal()
    group.wait_synced()
    group.master.client().flushall()
    group.wait_synced()


def _link_status(server) -> str:
    return server.client().info("replication")["master_link_status"]


def test_drop_takes_the_link_down_at_once_and_keeps_it_down(healed):
    group = healed
    slave = group.slaves[0]
    slave.link.drop()
    info = slave.client().info("replication")
    assert info["master_link_status"] == "down"  # at once, not when a read notices
    assert info["master_link_down_since_seconds"] >= 0
    group.master.client().set("while-down", "v")
    wait_until(lambda: group.slaves[1].client().get("while-down") == b"v", what="the other slave")
    assert holds_for(lambda: _link_status(slave) == "down" and not slave.client().exists("while-down"), 2.5)
    slave.link.resume()
    wait_until(lambda: slave.client().get("while-down") == b"v", what="the slave to catch up")
    assert _link_status(slave) == "up"


def test_stall_keeps_the_connection_and_only_repl_timeout_notices(healed):
    group = healed
    slave = group.slaves[0]
    slave.client().config_set("repl-timeout", "2")
    try:
        with slave.link.stall():
            group.master.client().set("stalled", "v")
            wait_until(lambda: group.slaves[1].client().exists("stalled"), what="the other slave")
            assert holds_for(lambda: _link_status(slave) == "up" and not slave.client().exists("stalled"), 1.0)
            wait_until(lambda: _link_status(slave) == "down", timeout=15, what="repl-timeout to notice")
        wait_until(lambda: slave.client().get("stalled") == b"v", timeout=30, what="the slave to catch up")
    finally:
        slave.client().config_set("repl-timeout", "10")


def test_delay_makes_writes_arrive_late(healed):
    group = healed
    slave = group.slaves[0]
    with slave.link.delay(400, jitter=50):
        started = time.monotonic()
        group.master.client().set("late", "v")
        wait_until(lambda: slave.client().exists("late"), what="the delayed write")
        assert time.monotonic() - started >= 0.35
        assert group.slaves[1].client().exists("late")
    started = time.monotonic()
    group.master.client().set("prompt", "v")
    wait_until(lambda: slave.client().exists("prompt"), what="the write after healing")
    assert time.monotonic() - started < 0.35


def test_bandwidth_limits_what_the_link_carries(healed):
    group = healed
    slave = group.slaves[0]
    value = b"x" * 150_000
    with slave.link.bandwidth(100_000):
        started = time.monotonic()
        group.master.client().set("big", value)
        wait_until(lambda: slave.client().strlen("big") == len(value), timeout=30, what="the big write")
        assert time.monotonic() - started >= 1.2
    assert slave.client().get("big") == value


def test_link_faults_are_listed_and_reset_heals_them(healed):
    group = healed
    slave = group.slaves[1]
    slave.chaos("LINK", "DELAY", "100", "JITTER", "20")
    slave.chaos("LINK", "BANDWIDTH", "5000000")
    (link,) = [entry for entry in slave.chaos_list() if entry["kind"] == "link"]
    assert (link["delay-ms"], link["jitter-ms"], link["bandwidth"], link["dropped"]) == (100, 20, 5_000_000, 0)
    slave.link.drop()
    assert _link_status(slave) == "down"
    slave.chaos_reset()
    assert [entry["kind"] for entry in slave.chaos_list()] == ["seed"]
    wait_until(lambda: _link_status(slave) == "up", timeout=15, what="the link to come back")


def test_a_link_fault_set_on_a_master_is_kept_for_when_it_follows_one(healed):
    """Link faults belong to the node: set on a master they are listed, and its clients are
    not affected (they are not its link)."""
    group = healed
    group.master.link.delay(10)
    (link,) = [entry for entry in group.master.chaos_list() if entry["kind"] == "link"]
    assert link["delay-ms"] == 10
    group.master.client().set("k", "v")
    wait_until(lambda: all(slave.client().exists("k") for slave in group.slaves), what="both slaves")
