"""FAILOVER: Redis 7.0's coordinated failover between a master and one of its slaves, with real
nodes (separate processes where a slave must be stopped with SIGSTOP to hold the failover)."""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

import pytest
import redis

from pypika_store.testing import PikaGroup

from .support import wait_until


def _info(server) -> dict:
    return server.client().info("replication")


def _role(server) -> bytes:
    return server.client().execute_command("ROLE")[0]


def _failover_state(server) -> str:
    return _info(server)["master_failover_state"]


@contextmanager
def _stopped(server):
    """The slave's process frozen: it acknowledges nothing until resumed."""
    os.kill(server.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.pid, signal.SIGCONT)


def _swapped(old, new) -> bool:
    info = _info(old)
    return (_role(new) == b"master" and info["role"] == "slave" and info["master_port"] == new.port
            and info["master_link_status"] == "up")


def _held_write(server, key: str) -> tuple[threading.Thread, list]:
    """A SET sent from a thread (held by the failover's pause): its reply or error lands in the list."""
    outcome: list = []

    def write() -> None:
        try:
            outcome.append(server.client().set(key, "v"))
        except redis.RedisError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    return thread, outcome


@pytest.fixture
def pair():
    with PikaGroup(slaves=1, mode="process") as group:
        group.wait_synced()
        yield group.master, group.slaves[0]


def test_errors_without_replicas_match_redis(diff):
    for args in (("FAILOVER",), ("FAILOVER", "ABORT"), ("FAILOVER", "TO", "127.0.0.1", "1"),
                 ("FAILOVER", "FORCE"), ("FAILOVER", "TIMEOUT", "0"), ("FAILOVER", "TIMEOUT", "-1"),
                 ("FAILOVER", "TIMEOUT", "x"), ("FAILOVER", "TO", "h", "x"), ("FAILOVER", "ABORT", "x"),
                 ("FAILOVER", "TIMEOUT", "5", "FORCE"), ("FAILOVER", "to", "h", "1", "force"),
                 ("FAILOVER", "bogus"), ("FAILOVER", "TO", "h"), ("FAILOVER", "TIMEOUT", "10", "TIMEOUT", "5"),
                 ("FAILOVER", "TIMEOUT"), ("FAILOVER", "FORCE", "FORCE")):
        diff.check(*args)


def test_failover_under_a_steady_writer_loses_nothing_and_swaps_roles(pair):
    master, slave = pair
    acknowledged: list[int] = []
    refused: list[Exception] = []

    def writer() -> None:
        client = master.client()
        number = 0
        while not refused:
            try:
                client.rpush("log", number)
            except redis.RedisError as exc:
                refused.append(exc)
                return
            acknowledged.append(number)
            number += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_until(lambda: len(acknowledged) > 200, timeout=30, what="the writer to get going")
        assert master.client().execute_command("FAILOVER") == b"OK"
        wait_until(lambda: _swapped(master, slave), timeout=30, what="the roles to swap")
    finally:
        thread.join(timeout=30)
    assert isinstance(refused[0], redis.ReadOnlyError)  # the held write, run on a slave
    new = slave.client()
    assert [int(value) for value in new.lrange("log", 0, -1)] == acknowledged
    assert _failover_state(master) == "no-failover" and _failover_state(slave) == "no-failover"
    assert master.client().execute_command("ROLE")[1:3] == [b"127.0.0.1", slave.port]
    new.rpush("log", "after")
    wait_until(lambda: master.client().lindex("log", -1) == b"after", timeout=30, what="the old master to follow")
    assert _info(master)["repl_full_syncs"] == 0  # both binlogs agreed: incremental
    assert master.client().execute_command("DEBUG", "DIGEST") == new.execute_command("DEBUG", "DIGEST")


def test_writes_held_in_the_pause_get_readonly_after_the_swap(pair):
    master, slave = pair
    with _stopped(slave):
        master.client().set("before", "1")
        assert master.client().execute_command("FAILOVER", "TIMEOUT", "60000") == b"OK"
        assert _failover_state(master) == "waiting-for-sync"
        thread, outcome = _held_write(master, "held")
        wait_until(lambda: any(entry["cmd"] == "set" for entry in master.client().client_list()),
                   timeout=10, what="the write to be held")
        assert master.client().get("before") == b"1"  # reads go on
        assert not outcome
    thread.join(timeout=30)
    assert isinstance(outcome[0], redis.ReadOnlyError)
    wait_until(lambda: _swapped(master, slave), timeout=30, what="the roles to swap")
    assert slave.client().get("before") == b"1" and slave.client().get("held") is None


def test_timeout_without_force_aborts_and_the_master_goes_on(pair):
    master, slave = pair
    with _stopped(slave):
        master.client().set("behind", "1")
        assert master.client().execute_command("FAILOVER", "TIMEOUT", "300") == b"OK"
        thread, outcome = _held_write(master, "held")
        wait_until(lambda: _failover_state(master) == "no-failover", timeout=10, what="the timeout")
        thread.join(timeout=10)
        assert outcome == [True]  # the held write ran once the failover gave up
        assert _role(master) == b"master"
        master.client().set("more", "2")
    wait_until(lambda: slave.client().get("more") == b"2", timeout=30, what="the slave to follow still")
    assert _role(slave) == b"slave"


def test_force_promotes_the_named_slave_after_the_timeout(pair):
    master, slave = pair
    with _stopped(slave):
        master.client().set("unreplicated", "1")
        assert master.client().execute_command(
            "FAILOVER", "TO", "127.0.0.1", slave.port, "FORCE", "TIMEOUT", "300") == b"OK"
        wait_until(lambda: _failover_state(master) == "failover-in-progress", timeout=10, what="the forced hand-over")
    wait_until(lambda: _swapped(master, slave), timeout=30, what="the roles to swap")
    wait_until(lambda: _failover_state(master) == "no-failover", timeout=10, what="the failover to end")
    slave.client().set("after", "1")
    wait_until(lambda: master.client().get("after") == b"1", timeout=30, what="the old master to follow")
    assert master.client().execute_command("DEBUG", "DIGEST") == slave.client().execute_command("DEBUG", "DIGEST")


def test_abort_cancels_and_errors_that_need_a_replica(pair):
    master, slave = pair
    m = master.client()
    with pytest.raises(redis.ResponseError, match="^FAILOVER target HOST and PORT is not a replica.$"):
        m.execute_command("FAILOVER", "TO", "127.0.0.1", 1)
    with pytest.raises(redis.ResponseError, match="^FAILOVER with force option requires both a timeout"):
        m.execute_command("FAILOVER", "FORCE", "TIMEOUT", 10)
    with pytest.raises(redis.ResponseError, match="^FAILOVER is not valid when server is a replica.$"):
        slave.client().execute_command("FAILOVER")
    with _stopped(slave):
        m.set("behind", "1")
        assert m.execute_command("FAILOVER") == b"OK"
        with pytest.raises(redis.ResponseError, match="^FAILOVER already in progress.$"):
            m.execute_command("FAILOVER")
        assert m.execute_command("FAILOVER", "ABORT") == b"OK"
        assert _failover_state(master) == "no-failover"
        m.set("writable", "yes")  # not paused any more
    with pytest.raises(redis.ResponseError, match="^No failover in progress.$"):
        m.execute_command("FAILOVER", "ABORT")
    with pytest.raises(redis.ResponseError, match=r"^PSYNC FAILOVER can't be sent to a master.$"):
        m.execute_command("PIKAREPL", "FAILOVER", "x")
    with pytest.raises(redis.ResponseError, match="^PSYNC FAILOVER replid must match my replid.$"):
        slave.client().execute_command("PIKAREPL", "FAILOVER", "not-the-id")


def test_to_picks_the_named_slave_and_the_other_stays_chained():
    with PikaGroup(slaves=2) as group:
        group.wait_synced()
        master, (other, target) = group.master, group.slaves
        master.client().set("k", "1")
        assert master.client().execute_command("FAILOVER", "TO", "127.0.0.1", target.port) == b"OK"
        wait_until(lambda: _swapped(master, target), timeout=30, what="the roles to swap")
        # As in Redis, the other slave is not re-pointed: it follows the old master, now a slave.
        wait_until(lambda: _info(other)["master_link_status"] == "up", timeout=30, what="the other slave back")
        assert _info(other)["master_port"] == master.port
        target.client().set("k", "2")
        wait_until(lambda: other.client().get("k") == b"2", timeout=30, what="the chained slave to follow")
        digest = target.client().execute_command("DEBUG", "DIGEST")
        assert other.client().execute_command("DEBUG", "DIGEST") == digest


def test_the_hand_over_authenticates_with_masterauth():
    """The old master logs in to its target with masterauth: without it the target refuses,
    the failover aborts and the master goes on; with it the roles swap."""
    with PikaGroup(slaves=1, password="secret") as group:
        group.wait_synced()
        master, slave = group.master, group.slaves[0]
        m = master.client()
        assert m.execute_command("FAILOVER") == b"OK"
        wait_until(lambda: _failover_state(master) == "no-failover", timeout=30, what="the refused hand-over")
        assert _role(master) == b"master" and _role(slave) == b"slave"
        m.set("still", "writable")
        m.config_set("masterauth", "secret")
        assert m.execute_command("FAILOVER") == b"OK"
        wait_until(lambda: _swapped(master, slave), timeout=30, what="the roles to swap")
        assert slave.client().get("still") == b"writable"


def _writes_held(client) -> int:
    """How many connections the pause holds (CLIENT LIST's ``b`` flag)."""
    return client.execute_command("CLIENT", "LIST").decode().count(" flags=b ")


def test_a_failover_pause_and_a_client_pause_end_on_their_own(pair):
    """Redis' pause purposes: CLIENT UNPAUSE does not end a FAILOVER's pause, and the end of a
    failover does not end a CLIENT PAUSE still running; writes wait until both are over."""
    master, slave = pair
    m = master.client()
    with _stopped(slave):
        m.set("behind", "1")
        assert m.execute_command("FAILOVER") == b"OK"
        thread, outcome = _held_write(master, "held")
        wait_until(lambda: _writes_held(m) == 1, timeout=10, what="the write to be held")
        assert m.execute_command("CLIENT", "UNPAUSE") == b"OK"
        assert _writes_held(m) == 1 and outcome == []
        assert m.execute_command("CLIENT", "PAUSE", "100000", "WRITE") == b"OK"
        assert m.execute_command("FAILOVER", "ABORT") == b"OK"
        assert _failover_state(master) == "no-failover"
        assert _writes_held(m) == 1 and outcome == []
        assert m.execute_command("CLIENT", "UNPAUSE") == b"OK"
        thread.join(timeout=10)
        assert outcome == [True]
