"""The controllable clock (CHAOS CLOCK, pypika_store/clock.py): TTLs, TIME, stream ids, binlog
exec times and active expiry follow it; moving it fires what became due; each node has its own."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from pypika_store.binlog.reader import BinlogReader
from pypika_store.clock import Clock
from pypika_store.testing import PikaGroup

from .chaos_fixtures import node, r  # noqa: F401  (the module's server, healed per test)
from .support import Err, RawConnection, wait_until

DAY_MS = 86_400_000


# -- the clock alone ------------------------------------------------------------------------

def test_a_frozen_clock_stands_still_and_moves_only_when_told():
    clock = Clock()
    assert clock.is_real
    frozen_at = clock.now_ms()
    clock.freeze()
    assert clock.frozen and not clock.is_real
    standing = clock.now_ms()
    assert abs(standing - frozen_at) < 1000
    wait_until(lambda: time.time_ns() // 1_000_000 > standing + 5, what="real time to move on")
    assert clock.now_ms() == standing
    clock.advance(1500)
    assert clock.now_ms() == standing + 1500
    clock.set(1_000_000)
    assert clock.now_ms() == 1_000_000 and clock.frozen
    assert clock.now_us() == 1_000_000_000 and clock.now_s() == 1000


def test_resume_runs_on_from_where_the_clock_stood():
    clock = Clock()
    clock.set(1_000_000)
    clock.freeze()
    clock.resume()
    assert not clock.frozen
    assert 1_000_000 <= clock.now_ms() < 1_000_000 + 60_000
    clock.reset()
    assert clock.is_real and abs(clock.now_ms() - time.time() * 1000) < 1000


def test_skew_is_relative_to_real_time_and_moves_fire_the_hooks():
    clock = Clock()
    moved = []
    clock.on_moved.append(lambda: moved.append(clock.now_ms()))
    clock.skew(-DAY_MS)
    assert abs(clock.offset_ms + DAY_MS) < 1000
    assert len(moved) == 1
    clock.advance(5)
    assert len(moved) == 2


# -- a server's clock ----------------------------------------------------------------------



def test_a_frozen_clock_stops_ttls_and_time(node, r):
    r.set("k", "v", px=60_000)
    with node.clock.freeze() as frozen:
        first = r.pttl("k")
        seconds, micros = r.time()
        assert seconds * 1000 + micros // 1000 == frozen.value
        wait_until(lambda: time.time() * 1000 > frozen.value + 20, what="real time to move on")
        assert r.pttl("k") == first
        assert r.time() == (seconds, micros)
    assert node.chaos_list() == [{"kind": "seed", "seed": 0}]


def test_advancing_expires_due_keys_at_once(node, r):
    before = r.info("stats")["expired_keys"]
    node.clock.freeze()
    r.set("soon", "v", px=5_000)
    r.set("later", "v", px=50_000)
    now = node.clock.advance(10_000)
    assert r.exists("soon", "later") == 1
    assert r.info("stats")["expired_keys"] == before + 1  # deleted by the server, not just hidden
    assert r.pttl("later") == 40_000
    assert node.clock.now_ms() == now


def test_set_and_skew_move_ttls_and_time(node, r):
    node.clock.set(1_700_000_000_000)
    assert r.time()[0] == 1_700_000_000 or r.time()[0] == 1_700_000_001
    r.execute_command("PEXPIREAT", "gone", 1)  # no such key: 0
    r.set("k", "v")
    r.execute_command("PEXPIREAT", "k", 1_700_000_060_000)
    assert 55_000 < r.pttl("k") <= 60_000
    node.clock.skew(0)  # back to real time: the deadline is long past
    assert r.exists("k") == 0


def test_with_active_expiry_off_a_moved_clock_only_hides_keys(node, r):
    before = r.info("stats")["expired_keys"]
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    r.set("k", "v", px=1_000)
    node.clock.advance(2_000)
    assert r.info("stats")["expired_keys"] == before
    assert r.get("k") is None  # lazy expiry follows the clock


def test_stream_ids_follow_the_clock(node, r):
    node.clock.freeze()
    node.clock.set(1_000_000_000_000)
    assert r.xadd("s", {"f": "v"}) == b"1000000000000-0"
    assert r.xadd("s", {"f": "v"}) == b"1000000000000-1"
    node.clock.set(5_000)  # back in time: ids still grow
    assert r.xadd("s", {"f": "v"}) == b"1000000000000-2"


def test_binlog_items_carry_the_clock_s_time(node, r):
    node.clock.set(1_234_567_000)
    r.set("logged", "v")
    directory = os.path.join(node.data_dir, "log", "log_db0")
    r.execute_command("CHAOS", "CLOCK", "RESET")

    def logged_item():
        items = [item for _start, _end, item in BinlogReader(directory).items() if b"logged" in item.content]
        return items[-1] if items else None

    assert wait_until(logged_item, what="the SET in the binlog").exec_time == 1_234_567


def test_advance_with_timeouts_times_blocked_clients_out(node, r):
    blocked = node.client()
    replies = []
    thread = threading.Thread(target=lambda: replies.append(blocked.blpop("nothing", timeout=300)))
    thread.start()
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, what="the BLPOP to block")
    node.clock.advance(100_000)  # without TIMEOUTS: monotonic timeouts stay real
    assert r.info("clients")["blocked_clients"] == 1
    node.clock.advance(300_000, timeouts=True)
    thread.join(10)
    assert replies == [None]
    blocked.close()


def test_advance_with_timeouts_keeps_the_rest_of_a_longer_timeout(node, r):
    blocked = node.client()
    thread = threading.Thread(target=lambda: blocked.blpop("nothing", timeout=300))
    thread.start()
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, what="the BLPOP to block")
    node.clock.advance(100_000, timeouts=True)
    assert r.info("clients")["blocked_clients"] == 1
    r.rpush("nothing", "x")  # still served when a key gets elements
    thread.join(10)
    assert not thread.is_alive()
    blocked.close()


def test_the_clock_over_redis_cli(node, r):
    r.execute_command("CHAOS", "CLOCK", "FREEZE")  # a running clock may tick between SET and its reply
    output = subprocess.run(["redis-cli", "-p", str(node.port), "CHAOS", "CLOCK", "SET", "86400000"],
                            capture_output=True, text=True, check=True).stdout
    assert output.strip() == "86400000"
    assert r.time()[0] == 86_400


@pytest.mark.parametrize("args, error", [
    (("CLOCK", "SPIN"), "ERR syntax error"),
    (("CLOCK", "ADVANCE"), "ERR syntax error"),
    (("CLOCK", "ADVANCE", "x"), "ERR value is not an integer or out of range"),
    (("CLOCK", "SET", "-1"), "ERR value is out of range, must be positive"),
    (("CLOCK", "FREEZE", "extra"), "ERR syntax error"),
])
def test_clock_errors(node, args, error):
    raw = RawConnection(node.port)
    assert raw.call("CHAOS", *args) == Err(error)
    raw.close()


# -- each node its own clock -----------------------------------------------------------------

def test_each_node_of_a_group_has_its_own_clock():
    with PikaGroup(slaves=1) as group:
        master, slave = group.master.client(), group.slaves[0].client()
        master.set("k", "v", px=60_000)
        group.wait_synced()
        with group.slaves[0].clock.skew(120_000):
            assert slave.get("k") is None  # the slave's clock is past the deadline
            assert master.get("k") == b"v"
            assert abs(slave.time()[0] - master.time()[0] - 120) <= 1
            assert slave.dbsize() == 1  # a slave never expires by itself: the master's DEL does
        assert slave.get("k") == b"v"
        group.master.clock.advance(120_000)  # the master expires it: its DEL reaches the slave
        assert master.exists("k") == 0
        wait_until(lambda: slave.dbsize() == 0, what="the master's DEL to reach the slave")
        group.heal()
        group.wait_synced()
