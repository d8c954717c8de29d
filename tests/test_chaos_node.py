"""Whole-node faults: a stall as SIGSTOP (CHAOS SUSPEND, server.stall()), restarts on the same
port and data, and Redis' own test knobs rdb-key-save-delay and key-load-delay."""

from __future__ import annotations

import subprocess
import time

import pytest

from pypika_store.testing import PikaGroup, PikaServer

from .support import RawConnection, wait_until


def _ping_times_out(server) -> bool:
    probe = RawConnection(server.port, timeout=0.3)
    try:
        probe.call("PING")
        return False
    except TimeoutError:
        return True
    finally:
        probe.close()


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_stalled_node_answers_nothing_until_healed(mode):
    with PikaServer(mode=mode) as server:
        waiting = RawConnection(server.port)
        with server.stall():
            assert _ping_times_out(server)
            waiting.send_raw(b"*1\r\n$4\r\nPING\r\n")  # buffered by the kernel meanwhile
        assert waiting.read_reply() == "PONG"
        assert server.client().ping()
        waiting.close()


def test_a_stalled_master_stops_replication_and_its_cron():
    with PikaGroup(slaves=1) as group:
        master, slave = group.master.client(), group.slaves[0].client()
        master.set("k", "v", px=2_000)
        group.wait_synced()
        assert slave.dbsize() == 1
        with group.master.stall():
            wait_until(lambda: slave.exists("k") == 0, what="the slave's clock to hide k")
            assert slave.dbsize() == 1  # no DEL came from the stopped master's expiry
        wait_until(lambda: slave.dbsize() == 0, what="the master's expiry to resume")


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_a_stalled_node_is_healed_by_reset_and_stops_at_once(mode):
    with PikaServer(mode=mode) as server:
        server.stall()
        assert _ping_times_out(server)
        server.chaos_reset()
        assert server.client().ping()
        server.stall()
        started = time.monotonic()
    assert time.monotonic() - started < 10  # stopped without waiting for the stall to end


def test_suspend_over_redis_cli_stops_the_node_for_a_while():
    with PikaServer() as server:
        output = subprocess.run(["redis-cli", "-p", str(server.port), "CHAOS", "SUSPEND", "400"],
                                capture_output=True, text=True, check=True).stdout
        assert output.strip() == "OK"
        started = time.monotonic()
        assert server.client().ping()
        assert time.monotonic() - started >= 0.3


def test_reset_ends_a_suspension_early():
    with PikaServer() as server:
        server.suspend(60_000)
        wait_until(lambda: server.server.chaos.suspension.suspended, what="the node to stop")
        server.server.chaos.suspension.wake()  # what CHAOS RESET does, from another thread
        assert server.client().ping()


# -- restarts ---------------------------------------------------------------------------------

def test_restart_keeps_the_port_and_the_data_and_heals_the_faults():
    with PikaServer() as server:
        client = server.client()
        client.set("k", "v")
        server.clock.freeze()
        server.fault(command="get", key="nothing", error="ERR x")
        port = server.port
        server.restart()
        assert server.port == port
        assert client.get("k") == b"v"
        assert [entry["kind"] for entry in server.chaos_list()] == ["seed"]


def test_group_restart_of_a_slave_follows_again_and_of_the_master_reconnects():
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        master.set("before", "v")
        group.wait_synced()
        group.restart(group.slaves[0])
        master.set("after-slave-restart", "v")
        group.wait_synced()
        assert group.slaves[0].client().get("after-slave-restart") == b"v"
        group.restart(group.master)
        master.set("after-master-restart", "v")
        group.wait_synced()
        assert group.slaves[0].client().get("after-master-restart") == b"v"
        assert group.slaves[0].client().info("replication")["master_port"] == group.master.port


# -- Redis' test knobs ------------------------------------------------------------------------

def test_the_delay_options_are_checked_as_redis_checks_them(diff):
    for name in ("rdb-key-save-delay", "key-load-delay"):
        diff.check("CONFIG", "GET", name)
        diff.check("CONFIG", "SET", name, "abc")
        diff.check("CONFIG", "SET", name, "99999999999")
        diff.check("CONFIG", "SET", name, "-5")
        diff.check("CONFIG", "GET", name)
        diff.check("CONFIG", "SET", name, "0")


def test_rdb_key_save_delay_slows_a_bgsave():
    with PikaServer() as server:
        client = server.client()
        client.mset({f"k{index}": "v" for index in range(20)})
        client.config_set("rdb-key-save-delay", "100000")  # 0.1 s per key: 2 s
        started = time.monotonic()
        client.bgsave()
        assert client.info("persistence")["rdb_bgsave_in_progress"] == 1
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=30,
                   what="the bgsave to end")
        assert time.monotonic() - started >= 1.8
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"


def test_key_load_delay_keeps_a_full_sync_in_progress():
    with PikaGroup(slaves=0) as group, PikaServer(config={"key-load-delay": "100000"}) as slave:
        group.master.client().mset({f"k{index}": "v" for index in range(20)})
        client = slave.client()
        started = time.monotonic()
        client.slaveof(group.master.host, group.master.port)
        wait_until(lambda: client.info("replication").get("master_sync_in_progress") == 1,
                   what="the full sync to start")
        wait_until(lambda: client.dbsize() == 20, timeout=30, what="the snapshot to load")
        assert time.monotonic() - started >= 1.8
        assert client.execute_command("DEBUG", "DIGEST") == group.master.client().execute_command("DEBUG", "DIGEST")
