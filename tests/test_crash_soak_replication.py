"""A short run of the replication kill soak (benchmarks/replication_crash_soak.py, issue #14):
SIGKILLs of the master and of slaves under SET + WAIT 1 writes lose no WAIT-acknowledged write,
and every node ends with its binlog's replay as its data and the master's digest."""

from __future__ import annotations

from pypika_store.testing.crash import replication_kill_soak


def test_kills_of_master_and_slaves_lose_no_wait_acknowledged_write() -> None:
    result = replication_kill_soak(kills=5, seed=1)
    assert sum(result.kills.values()) == 5
    assert result.kills["master"] and result.kills["slave"], result.log  # seed 1 draws both roles
    assert result.wait_acknowledged > 0
    assert result.lost_wait_acknowledged == []
    assert result.lost == []
    assert result.replay_mismatches == []
    assert result.slaves_equal_master
