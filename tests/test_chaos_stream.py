"""CHAOS STREAM: faults of the binlog items a master sends one slave (replication/stream_faults.py),
and the slave's checks that catch them (replication/slave.py), seen from outside: INFO says
what the slave refused or skipped, DEBUG DIGEST that it healed."""

from __future__ import annotations

import pytest
import redis

from pypika_store.testing import PikaGroup

from .support import wait_until


@pytest.fixture(scope="module")
def group():
    with PikaGroup(slaves=1) as group:
        group.wait_synced()
        yield group


@pytest.fixture
def healed(group):
    yield group
    group.heal()
    group.master.client().flushall()
    group.wait_synced()


def _replication(server) -> dict:
    return server.client().info("replication")


def _counter(server, name: str) -> int:
    return int(_replication(server)[name])


def test_a_corrupt_body_is_refused_and_the_slave_resyncs_from_its_position(healed):
    master, slave = healed.master, healed.slaves[0]
    m = master.client()
    m.set("before", "0")
    healed.wait_synced()
    full_syncs = _counter(slave, "repl_full_syncs")
    master.stream_to(slave).corrupt("body")
    m.set("counter", "1")  # the bug this catches: a flipped bit stored b"\xce"... on the slave
    wait_until(lambda: _counter(slave, "repl_corrupt_items_refused") == 1)
    healed.wait_synced()
    assert slave.client().get("counter") == b"1"
    assert _counter(slave, "repl_full_syncs") == full_syncs  # resumed from its position, no full sync


def test_a_corrupt_header_is_refused(healed):
    master, slave = healed.master, healed.slaves[0]
    master.stream_to(slave).corrupt("header")
    master.client().rpush("log", "a")
    wait_until(lambda: _counter(slave, "repl_corrupt_items_refused") >= 1)
    healed.wait_synced()
    assert slave.client().lrange("log", 0, -1) == [b"a"]


def test_a_duplicate_is_skipped(healed):
    master, slave = healed.master, healed.slaves[0]
    skipped = _counter(slave, "repl_duplicates_skipped")
    master.stream_to(slave).duplicate(count=2)
    m = master.client()
    m.rpush("log", "a")  # not idempotent: applied twice it would show
    m.rpush("log", "b")
    healed.wait_synced()
    assert _counter(slave, "repl_duplicates_skipped") == skipped + 2
    assert slave.client().lrange("log", 0, -1) == [b"a", b"b"]


def test_a_dropped_item_is_a_gap_the_slave_refuses(healed):
    master, slave = healed.master, healed.slaves[0]
    gaps, full_syncs = _counter(slave, "repl_gaps_refused"), _counter(slave, "repl_full_syncs")
    master.stream_to(slave).drop()
    m = master.client()
    m.rpush("log", "lost on the way")
    m.rpush("log", "after the gap")  # the gap shows with the next item
    wait_until(lambda: _counter(slave, "repl_gaps_refused") == gaps + 1)
    healed.wait_synced()
    assert slave.client().lrange("log", 0, -1) == [b"lost on the way", b"after the gap"]
    assert _counter(slave, "repl_full_syncs") == full_syncs


def test_reordered_items_are_refused_then_resent_in_order(healed):
    master, slave = healed.master, healed.slaves[0]
    gaps = _counter(slave, "repl_gaps_refused")
    master.stream_to(slave).reorder()
    m = master.client()
    for value in "abc":
        m.rpush("log", value)
    healed.wait_synced()
    assert _counter(slave, "repl_gaps_refused") == gaps + 1
    assert slave.client().lrange("log", 0, -1) == [b"a", b"b", b"c"]


def test_an_older_offset_resends_items_the_slave_skips(healed):
    master, slave = healed.master, healed.slaves[0]
    m = master.client()
    for value in "abc":
        m.rpush("log", value)
    healed.wait_synced()
    skipped = _counter(slave, "repl_duplicates_skipped")
    master.stream_to(slave).rewind(3)
    # every DB's stream goes back 3 items: db0's RPUSHes, and the other DBs' last items (FLUSHALL's)
    wait_until(lambda: _counter(slave, "repl_duplicates_skipped") >= skipped + 3)
    healed.wait_synced()
    assert slave.client().lrange("log", 0, -1) == [b"a", b"b", b"c"]


def test_an_injected_command_is_found_out_and_healed_by_a_full_sync(healed):
    master, slave = healed.master, healed.slaves[0]
    full_syncs = _counter(slave, "repl_full_syncs")
    master.stream_to(slave).inject("SET", "injected", "never logged")
    master.client().set("real", "1")  # the injected item takes this one's place and logic id
    wait_until(lambda: _counter(slave, "repl_full_syncs") == full_syncs + 1, timeout=30)
    healed.wait_synced()
    assert slave.client().get("injected") is None
    assert slave.client().get("real") == b"1"


def test_stream_faults_are_listed_and_reset(healed):
    master, slave = healed.master, healed.slaves[0]
    master.stream_to(slave).drop(count=3)
    entries = [entry for entry in master.chaos_list() if entry["kind"] == "stream"]
    assert entries == [{"kind": "stream", "slave": f"{slave.host}:{slave.port}", "action": "drop", "count": 3,
                        "done": 0, "held": 0}]
    master.chaos_reset()
    assert not [entry for entry in master.chaos_list() if entry["kind"] == "stream"]
    master.client().set("k", "v")
    healed.wait_synced()


def test_a_fault_on_one_slave_leaves_another_alone():
    with PikaGroup(slaves=2) as group:
        group.wait_synced()
        faulted, other = group.slaves
        group.master.stream_to(faulted).corrupt("body")
        group.master.client().set("k", "v")
        group.wait_synced()
        assert _counter(faulted, "repl_corrupt_items_refused") == 1
        assert _counter(other, "repl_corrupt_items_refused") == 0


@pytest.mark.parametrize("args", [
    ["STREAM", "127.0.0.1", "1", "SHUFFLE"],
    ["STREAM", "127.0.0.1", "1", "CORRUPT", "TAIL"],
    ["STREAM", "127.0.0.1", "1", "DROP", "COUNT"],
    ["STREAM", "127.0.0.1", "1", "DROP", "EXTRA"],
    ["STREAM", "127.0.0.1", "1", "INJECT"],
])
def test_malformed_stream_faults_are_syntax_errors(group, args):
    with pytest.raises(redis.ResponseError, match="syntax error"):
        group.master.client().execute_command("CHAOS", *args)


def test_counts_and_distances_must_be_positive(group):
    with pytest.raises(redis.ResponseError, match="must be positive"):
        group.master.client().execute_command("CHAOS", "STREAM", "127.0.0.1", "1", "REWIND", "0")
