"""The latency monitor's events of the server's own work (docs/info.md): the active expiry
cycle, a turn's commit, a bgsave's hold of the DB lock, a slave's load of a full sync, seen
through LATENCY LATEST and HISTORY. The work is made slow on purpose (a wrapper that takes
longer than the threshold), so each event is sampled whatever the machine's speed."""

from __future__ import annotations

import time

import pytest

from pypika_store.config import Config
from pypika_store.replication import slave as slave_module
from pypika_store.server import latency
from pypika_store.server.latency import ADVICES, LatencyMonitor, LatencySeries
from pypika_store.testing import PikaGroup, PikaServer

from .support import wait_until

#: The slowness added, in seconds: well over the 1 ms threshold the tests set.
SLOW = 0.005


def slowed(function):
    def slow(*args, **kwargs):
        time.sleep(SLOW)
        return function(*args, **kwargs)
    return slow


def latest(client) -> dict[bytes, list]:
    """LATENCY LATEST by event: [time, latest ms, worst ms]."""
    return {row[0]: row[1:] for row in client.execute_command("LATENCY", "LATEST")}


def assert_sampled(client, event: bytes) -> None:
    found = wait_until(lambda: latest(client).get(event), what=f"a sample of {event!r}")
    when, last, worst = found
    assert last >= SLOW * 1000 and worst >= last and abs(when - time.time()) < 60
    history = client.execute_command("LATENCY", "HISTORY", event)
    assert history and history[-1][1] == last


def slow_expiry_sampled(server) -> object:
    """Make the server's active expiry slow, let it expire a key: an expire-cycle sample; the client."""
    started, client = server
    keyspace = started.server.engine.keyspaces[0]
    keyspace.delete_expired = slowed(keyspace.delete_expired)
    client.set("k", "v", px=1)
    assert_sampled(client, b"expire-cycle")
    return client


@pytest.fixture
def server():
    with PikaServer() as started:
        client = started.client()
        client.config_set("latency-monitor-threshold", 1)
        yield started, client
        client.close()


def test_a_slow_active_expiry_cycle_is_an_expire_cycle_event(server):
    client = slow_expiry_sampled(server)
    assert client.exists("k") == 0


@pytest.mark.parametrize("policy, event", [("always", b"aof-fsync-always"), ("everysec", b"aof-write-alone")])
def test_a_slow_commit_is_an_aof_write_event(policy, event):
    with PikaServer(config={"sync-policy": policy, "latency-monitor-threshold": 1}) as started:
        client = started.client()
        engine = started.server.engine
        engine.end_turn = slowed(engine.end_turn)
        client.set("k", "v")
        assert_sampled(client, event)
        other = b"aof-write-alone" if event == b"aof-fsync-always" else b"aof-fsync-always"
        assert other not in latest(client)
        client.close()


def test_a_turn_that_wrote_nothing_samples_nothing(server):
    started, client = server
    engine = started.server.engine
    engine.end_turn = slowed(engine.end_turn)
    client.get("k")
    client.ping()
    assert latest(client) == {}


def test_a_bgsave_holding_the_db_lock_long_is_a_fork_event(server):
    started, client = server
    env = started.server.engine.env
    env.begin_read = slowed(env.begin_read)  # opened under the lock: the hold ends later
    client.bgsave()
    assert_sampled(client, b"fork")


def test_a_slow_full_sync_load_is_a_full_sync_load_event(monkeypatch):
    monkeypatch.setattr(slave_module, "load_snapshot", slowed(slave_module.load_snapshot))
    with PikaGroup(slaves=0) as group:
        group.master.client().set("k", "v")
        with PikaServer() as replica:
            client = replica.client()
            client.config_set("latency-monitor-threshold", 1)
            client.slaveof("127.0.0.1", group.master.port)
            wait_until(lambda: client.get("k") == b"v", what="the full sync")
            assert_sampled(client, b"full-sync-load")
            client.slaveof()
            client.close()


def test_latency_reset_forgets_the_server_events(server):
    client = slow_expiry_sampled(server)
    assert client.execute_command("LATENCY", "RESET", "expire-cycle") == 1
    assert b"expire-cycle" not in latest(client)


# -- LATENCY DOCTOR's advices for these events (Redis' createLatencyReport) ---------------------

def _monitor_with(*events: bytes):
    monitor = LatencyMonitor(Config())
    for event in events:
        monitor.events[event] = LatencySeries()
        monitor.events[event].add(int(time.time()), 7)
    return monitor


def _advices(report: str) -> list[str]:
    """The advices of a report, each by its first words."""
    return [line for line in report.split("\n") if line.startswith("- ")]


@pytest.mark.parametrize("events, policy, expected", [
    ((b"expire-cycle",), "everysec", ["hz", "large_objects"]),
    ((b"aof-write-alone",), "everysec", ["local_disk", "ssd", "data_writeback"]),
    ((b"aof-fsync-always",), "always", ["relax_fsync_policy"]),
    ((b"fork", b"expire-cycle"), "everysec", ["better_vm", "hz", "large_objects"]),
    ((b"command", b"aof-write-alone"), "everysec",
     ["slowlog_tuning", "slowlog_inspect", "local_disk", "ssd", "data_writeback", "large_objects"]),
])
def test_doctor_advises_for_each_event_in_redis_order(monkeypatch, events, policy, expected):
    monkeypatch.setattr(latency, "_anonymous_huge_pages_kb", lambda: 0)
    config = Config()
    config.set("sync-policy", policy)
    config.set("latency-monitor-threshold", "1")
    report = latency.doctor_report(_monitor_with(*events), config, fork_rate=3.0)
    assert _advices(report) == [ADVICES[name].rstrip("\n").format(1000) for name in expected]
    for number, event in enumerate(events, 1):
        assert f"{number}. {event.decode()}: 1 latency spikes (average 7ms, mean deviation 0ms" in report


def test_doctor_names_the_fork_rate_and_its_quality(monkeypatch):
    monkeypatch.setattr(latency, "_anonymous_huge_pages_kb", lambda: 0)
    config = Config()
    config.set("latency-monitor-threshold", "1")
    assert "Worst all time event 7ms. Fork rate is 3.00 GB/sec (terrible).\n" in latency.doctor_report(
        _monitor_with(b"fork"), config, fork_rate=3.0)
    good = latency.doctor_report(_monitor_with(b"fork"), config, fork_rate=50.0)
    assert "Fork rate is 50.00 GB/sec (good)." in good
    assert good.endswith("I'm not able to suggest any easy fix. Please use the Redis community to get some help, "
                         "providing this report in your help request.\n")


def test_an_advice_that_does_not_apply_is_counted_but_not_printed(monkeypatch):
    """Redis prints the relaxed fsync advice only under ``always`` and the hz one under hz 100,
    yet counts both: the report still says it has advices."""
    monkeypatch.setattr(latency, "_anonymous_huge_pages_kb", lambda: 0)
    config = Config()
    config.set("latency-monitor-threshold", "1")
    config.set("sync-policy", "everysec")
    report = latency.doctor_report(_monitor_with(b"aof-fsync-always"), config, fork_rate=0.0)
    assert report.endswith("\nI have a few advices for you:\n\n") and not _advices(report)


def test_doctor_over_the_wire_includes_a_server_event(server):
    client = slow_expiry_sampled(server)
    report = client.execute_command("LATENCY", "DOCTOR")
    report = report.decode() if isinstance(report, bytes) else report
    assert "1. expire-cycle: " in report and ADVICES["hz"] in report
