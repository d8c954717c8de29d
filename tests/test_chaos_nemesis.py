"""The nemesis (testing/nemesis.py): a seeded schedule of faults on a group, healed at the end,
and the checker of acknowledged writes."""

from __future__ import annotations

import shutil

import pytest

from pypika_store.testing import PikaGroup, SentinelGroup, WriteChecker


def _run(seed: int) -> tuple[list, object]:
    with PikaGroup(slaves=2) as group:
        group.wait_synced()
        checker = WriteChecker(wait_for=1, wait_timeout_ms=200)
        with group.nemesis(faults=["kill", "pause", "partition", "clock", "link"], interval=0.4, seed=seed) as nemesis:
            while sum(event.phase == "stop" for event in nemesis.log) < 4:
                if group.master.running:
                    checker.write(group.master.client(socket_timeout=1))
        assert all(entry["kind"] == "seed" for server in group.servers for entry in server.chaos_list())
        group.wait_synced()
        return nemesis.log, checker.check(group.servers)


def test_a_seeded_nemesis_faults_heals_and_loses_no_acknowledged_write():
    log, report = _run(seed=3)
    started = [event for event in log if event.phase == "start"]
    stopped = [event for event in log if event.phase == "stop"]
    assert started and [(event.fault, event.target) for event in started] == \
        [(event.fault, event.target) for event in stopped]  # each fault stopped, in order
    assert all(event.at >= 0 for event in log)
    assert {event.fault for event in log} <= {"kill", "pause", "partition", "clock", "link"}
    assert report.acknowledged > 0 and report.wait_acknowledged > 0
    assert report.lost_wait_acknowledged == []
    assert report.lost == []  # no failover here: the master keeps every write it acknowledged


def test_the_same_seed_draws_the_same_schedule():
    first, _report = _run(seed=5)
    second, _report = _run(seed=5)
    assert [(event.phase, event.fault) for event in first][:6] == [(event.phase, event.fault) for event in second][:6]


def test_unknown_faults_are_refused():
    with pytest.raises(ValueError, match="faults must be among"):
        PikaGroup(slaves=0).nemesis(faults=["meteor"])


@pytest.mark.skipif(shutil.which("redis-sentinel") is None and shutil.which("redis-server") is None,
                    reason="redis-sentinel is not installed")
def test_a_nemesis_with_sentinels_splits_them_too_and_heals_every_cut():
    with PikaGroup(slaves=2) as group, SentinelGroup(group.master) as sentinels:
        sentinels.wait_for_replicas(2)
        group.wait_synced()
        sentinels_split = False
        with group.nemesis(faults=["partition"], interval=0.3, seed=2, sentinels=sentinels) as nemesis:
            while sum(event.phase == "stop" for event in nemesis.log) < 4:
                sentinels_split = sentinels_split or bool(sentinels.relay.cuts)
        targets = [event.target for event in nemesis.log if event.phase == "start"]
        assert any(target.endswith(" from the others") for target in targets)  # a node alone
        assert any(" and sentinel " in target for target in targets) and sentinels_split  # a split
        assert sentinels.relay.cuts == frozenset()
        assert all(entry["kind"] == "seed" for server in group.servers for entry in server.chaos_list())
        sentinels.wait_settled(group.servers, timeout=60)
