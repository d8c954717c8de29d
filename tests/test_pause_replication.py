"""CLIENT PAUSE on a slave holds its master's stream (Redis postpones its master client's
commands under a WRITE or an ALL pause): nothing is applied until the pause ends, then the
slave catches up."""

from __future__ import annotations

import pytest

from pypika_store.testing import PikaGroup

from .support import wait_until


@pytest.fixture
def group():
    with PikaGroup(slaves=1) as started:
        started.wait_synced()
        yield started


@pytest.mark.parametrize("mode", ["WRITE", "ALL"])
def test_a_paused_slave_applies_nothing_until_unpaused(group, mode):
    master, slave = group.master.client(), group.slaves[0].client()
    slave_server = group.slaves[0].server
    pushed_before = master.info("stats")["total_net_repl_output_bytes"]
    received_before = slave_server.replication_stats.input_bytes
    applied_before = slave_server.replica.items_applied
    # An ALL pause holds CLIENT UNPAUSE too (as Redis): that one ends with its time.
    slave.client_pause(60_000 if mode == "WRITE" else 3_000, all=mode == "ALL")
    for index in range(20):
        master.set(f"k{index}", index)

    def received_every_write() -> bool:
        pushed = master.info("stats")["total_net_repl_output_bytes"] - pushed_before
        return pushed > 0 and slave_server.replication_stats.input_bytes - received_before >= pushed

    wait_until(received_every_write, what="the slave to receive the writes")
    assert slave_server.replica.items_applied == applied_before
    if mode == "WRITE":  # reads still run under a WRITE pause
        assert slave.dbsize() == 0
        slave.client_unpause()
    wait_until(lambda: slave.dbsize() == 20, what="the slave to catch up")
    assert slave.get("k19") == b"19"
    assert master.execute_command("DEBUG", "DIGEST") == slave.execute_command("DEBUG", "DIGEST")
    master.close()
    slave.close()
