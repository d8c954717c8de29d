"""Codis' slot commands as Pika 4.0 serves them (src/pika_slot_command.cc, read as there is no
Pika binary here: each test names the function whose replies and errors it follows), and slot
migration between two pypika-store nodes with a slave following the source's deletions."""

from __future__ import annotations

import re
import zlib

import pytest
import redis

from pypika_store.slots import SLOT_COUNT, slot_of
from pypika_store.testing import PikaGroup, PikaServer
from pypika_store.testing.embedded import free_port

from .support import wait_until


@pytest.fixture(scope="module")
def node():
    with PikaServer(config={"slotmigrate": "yes"}) as server:
        yield server


@pytest.fixture
def s(node):
    client = node.client()
    client.flushall()
    return client


def _keys_in_slot(slot: int, count: int, prefix: str = "k") -> list[str]:
    """Untagged key names that fall in ``slot``."""
    names, n = [], 0
    while len(names) < count:
        name = f"{prefix}{n}"
        if slot_of(name.encode()) == slot:
            names.append(name)
        n += 1
    return names


def test_slotshashkey_is_crc32_of_the_tag_modulo_1024(s):
    """SlotsHashKeyCmd::Do (GetSlotsID): the values of Pika's own doc for a, b, c."""
    assert s.execute_command("SLOTSHASHKEY", "a", "b", "c") == [579, 1017, 879]
    assert s.execute_command("SLOTSHASHKEY", "x{a}y", "{}", "{a", "}a{b}") == [
        579, 0, zlib.crc32(b"{a") % SLOT_COUNT, zlib.crc32(b"b") % SLOT_COUNT]
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'slotshashkey'"):
        s.execute_command("SLOTSHASHKEY")


def test_slotsinfo_lists_slots_with_their_key_counts(s):
    """SlotsInfoCmd::DoInitial / Do: [slot, size] per non-empty slot in [start, start+count)."""
    s.set("a", 1)
    s.set("{a}1", 1)
    s.hset("b", "f", "v")
    assert s.execute_command("SLOTSINFO") == [[579, 2], [1017, 1]]
    assert s.execute_command("SLOTSINFO", 600) == [[1017, 1]]
    assert s.execute_command("SLOTSINFO", 0, 580) == [[579, 2]]
    assert s.execute_command("SLOTSINFO", 0, 579) == []
    s.delete("a")
    assert s.execute_command("SLOTSINFO", 579, 1) == [[579, 1]]
    for args, message in [(("x",), "value is not an integer"), (("1024",), "invalid slot begin = 1024"),
                          (("-1",), "invalid slot begin = -1"), (("0", "-2"), "invalid slot count = -2"),
                          (("0", "1", "2"), "wrong number of arguments for 'slotsinfo'")]:
        with pytest.raises(redis.ResponseError, match=message):
            s.execute_command("SLOTSINFO", *args)


def test_slotsscan_walks_one_slot_with_a_cursor(s):
    """SlotsScanCmd::DoInitial / Do: [cursor, keys], cursor 0 at the end; a bad slot or cursor
    answers Pika's wrong-number-of-arguments error, a bad option a syntax error."""
    names = _keys_in_slot(7, 25)
    s.mset({name: 1 for name in names})
    s.set("elsewhere", 1)
    seen, cursor = [], b"0"
    while True:
        cursor, keys = s.execute_command("SLOTSSCAN", 7, cursor, "COUNT", 10)
        assert len(keys) <= 10
        seen += keys
        if cursor == b"0":
            break
    assert sorted(seen) == sorted(name.encode() for name in names)
    first = s.execute_command("SLOTSSCAN", 7, 0, "MATCH", names[0], "COUNT", 100)
    assert first == [b"0", [names[0].encode()]]
    assert s.execute_command("SLOTSSCAN", 8, 0) == [b"0", []]
    for args, message in [((1024, 0), "wrong number of arguments for 'slotsscan'"),
                          ((7, "x"), "wrong number of arguments for 'slotsscan'"),
                          ((7, 0, "COUNT", "x"), "value is not an integer"),
                          ((7, 0, "COUNT", "-1"), "syntax error"), ((7, 0, "COUNT"), "syntax error"),
                          ((7, 0, "LIMIT", "1"), "syntax error")]:
        with pytest.raises(redis.ResponseError, match=message):
            s.execute_command("SLOTSSCAN", *args)


def test_slotsdel_deletes_the_keys_of_slots(s):
    """Codis' slotsdel (Pika's doc shape: [slot, keys left] per slot; see the compatibility notes)."""
    names = _keys_in_slot(3, 3)
    s.mset({name: 1 for name in names})
    s.set("a", 1)
    assert s.execute_command("SLOTSDEL", 3, 4) == [[3, 0], [4, 0]]
    assert s.keys("*") == [b"a"]
    with pytest.raises(redis.ResponseError, match="invalid slot number 1024"):
        s.execute_command("SLOTSDEL", 1024)


def test_slotsreload_indexes_keys_written_while_slotmigrate_was_off(s):
    """SlotsReloadCmd::Do: "+<start time> : <cursor>"; SlotsReloadOffCmd: OK."""
    s.config_set("slotmigrate", "no")
    try:
        s.mset({"a": 1, "b": 2})
        s.config_set("slotmigrate", "yes")
        assert s.execute_command("SLOTSINFO") == []
        reply = s.execute_command("SLOTSRELOAD")
        assert re.fullmatch(rb"\d{14} : \d+", reply)
        wait_until(lambda: s.execute_command("SLOTSINFO") == [[579, 1], [1017, 1]], what="the reload")
        assert s.execute_command("SLOTSRELOADOFF") == b"OK"
    finally:
        s.config_set("slotmigrate", "yes")


def test_slotscleanup_deletes_the_slots_keys_in_the_background(s):
    """SlotsCleanupCmd::DoInitial / Do: the slots being cleaned up; SlotsCleanupOffCmd: OK."""
    names = _keys_in_slot(11, 5)
    s.mset({name: 1 for name in names})
    s.set("a", 1)
    assert s.execute_command("SLOTSCLEANUP", 11, 12) == [11, 12]
    wait_until(lambda: s.keys("*") == [b"a"], what="the cleanup")
    assert s.execute_command("SLOTSCLEANUPOFF") == b"OK"
    with pytest.raises(redis.ResponseError, match="value is not an integer"):
        s.execute_command("SLOTSCLEANUP", -1)


@pytest.mark.parametrize("command", ["SLOTSMGRTSLOT", "SLOTSMGRTTAGSLOT", "SLOTSMGRTONE", "SLOTSMGRTTAGONE"])
def test_migration_argument_errors(s, node, command):
    """SlotsMgrtTagSlotCmd::DoInitial and SlotsMgrtTagOneCmd::DoInitial, in their order."""
    last = "579" if "SLOT" in command[5:] else "a"
    cases = [(("h", "x", "1", last), "invalid port number 0"), (("h", "70000", "1", last), "invalid port number 70000"),
             (("127.0.0.1", str(node.port), "1", last), "destination address error"),
             (("h", "1", "x", last), "value is not an integer"), (("h", "1", "-1", last), "invalid timeout number -1")]
    if last == "579":
        cases += [(("h", "1", "1", "x"), "value is not an integer"), (("h", "1", "1", "1024"), "invalid slot number 1024")]
    for args, message in cases:
        with pytest.raises(redis.ResponseError, match=message):
            s.execute_command(command, *args)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        s.execute_command(command, "h", "1", "1")


def test_migration_needs_slotmigrate(r):
    """SlotsMgrtTagSlotCmd::Do / SlotsMgrtTagOneCmd::Do: "not set slotmigrate" when off."""
    for command, last in [("SLOTSMGRTTAGSLOT", "1"), ("SLOTSMGRTONE", "a")]:
        with pytest.raises(redis.ResponseError, match="not set slotmigrate"):
            r.execute_command(command, "127.0.0.1", "1", "10", last)


def test_migration_replies_when_nothing_moves_or_the_target_is_down(s):
    """SlotsMgrtTagSlotCmd::Do: [0, 0] for an empty slot; SlotsMgrtTagOneCmd::Do: 0 for a
    missing key; MigrateKey's connect failure text."""
    port = str(free_port())  # nothing listens there
    assert s.execute_command("SLOTSMGRTTAGSLOT", "127.0.0.1", port, "10", "5") == [0, 0]
    assert s.execute_command("SLOTSMGRTONE", "127.0.0.1", port, "10", "missing") == 0
    assert s.execute_command("SLOTSMGRTTAGONE", "127.0.0.1", port, "10", "{missing}") == 0
    s.set("a", 1)
    with pytest.raises(redis.ResponseError, match="IOERR error or timeout connecting to the client"):
        s.execute_command("SLOTSMGRTONE", "127.0.0.1", port, "10", "a")
    assert s.get("a") == b"1"


def _fill_every_type(client: redis.Redis, names: list[str]) -> None:
    """One key of each type per name group, most with a TTL."""
    string, hash_, list_, set_, zset, stream = names
    client.set(string, "v", px=600_000)
    client.hset(hash_, mapping={f"f{n}": n for n in range(700)})  # more than one chunk
    client.pexpire(hash_, 500_000)
    client.rpush(list_, *range(30))
    client.sadd(set_, *range(20))
    client.expire(set_, 400)
    client.zadd(zset, {"a": 1.5, "b": -0.1, "c": float("inf")})
    client.pexpireat(zset, 4_102_444_800_123)
    client.xadd(stream, {"f": "v"}, id="1-1")
    client.xadd(stream, {"g": "w"}, id="2-5")
    client.xdel(stream, "2-5")


def test_slots_and_tags_move_to_another_node_and_the_slave_follows():
    """Keys of every type with TTLs, in one slot and in one hash tag, move with SLOTSMGRTTAGSLOT,
    SLOTSMGRTSLOT and SLOTSMGRTTAGONE: the target holds exactly what the source held, the source
    no longer has them, and the source's slave follows the deletions."""
    with PikaGroup(slaves=1, config={"slotmigrate": "yes"}) as group, PikaServer() as target:
        source, slave = group.master.client(), group.slaves[0].client()
        receiving = target.client()
        slot = 100
        _fill_every_type(source, _keys_in_slot(slot, 6))
        _fill_every_type(source, [f"{kind}{{user1}}" for kind in ("s", "h", "l", "set", "z", "x")])
        source.set("stays", "here")
        receiving.set("stays", "here")
        before = source.execute_command("DEBUG", "DIGEST")
        group.wait_synced()

        address = ("127.0.0.1", target.port, 1000)
        remaining = 6
        while remaining:
            moved, left = source.execute_command("SLOTSMGRTTAGSLOT" if remaining % 2 else "SLOTSMGRTSLOT",
                                                 *address, slot)
            assert moved == 1 and left == remaining - 1
            remaining = left
        assert source.execute_command("SLOTSMGRTTAGONE", *address, "{user1}") == 6
        assert source.execute_command("SLOTSMGRTTAGONE", *address, "{user1}") == 0

        assert receiving.execute_command("DEBUG", "DIGEST") == before
        assert source.keys("*") == [b"stays"]
        assert source.execute_command("SLOTSINFO") == [[slot_of(b"stays"), 1]]
        assert 0 < receiving.pttl("s{user1}") <= 600_000
        wait_until(lambda: slave.keys("*") == [b"stays"], timeout=30, what="the slave to follow the deletions")
        group.wait_synced()


def test_a_long_migration_leaves_other_clients_served(s):
    """Keys move one per event-loop turn: while a tag of many keys moves, another client is
    answered and sees the source shrink step by step."""
    total = 1500
    s.mset({f"{n}{{big}}": n for n in range(total)})
    with PikaServer() as target:
        migrating = s.connection_pool.get_connection()
        try:
            migrating.send_command("SLOTSMGRTTAGONE", "127.0.0.1", target.port, 5000, "{big}")
            wait_until(lambda: 0 < s.dbsize() < total, timeout=30, what="a partly moved tag")
            assert migrating.read_response() == total
        finally:
            s.connection_pool.release(migrating)
        assert s.dbsize() == 0 and target.client().dbsize() == total


def test_async_migration_of_a_slot_and_its_status(s, node):
    """SlotsMgrtTagSlotAsyncCmd (DoInitial's kInvalidInt checks, Do's [0, remained]),
    SlotsMgrtAsyncStatusCmd's five lines, SlotsMgrtAsyncCancelCmd's OK and
    SlotsMgrtExecWrapperCmd's [state, state]."""
    assert s.execute_command("SLOTSMGRT-ASYNC-STATUS")[0].startswith(b"dest server: ")
    names = _keys_in_slot(9, 4) + ["{x}1", "{x}2"]
    slot_of_tag = slot_of(b"{x}")
    s.mset({name: 1 for name in names})
    s.set("other", 1)
    with PikaServer() as target:
        args = ("127.0.0.1", target.port, 1000, 200, 33554432)
        assert s.execute_command("SLOTSMGRTTAGSLOT-ASYNC", *args, 9, 100) == [0, 4]
        wait_until(lambda: b"migrating  : no" in s.execute_command("SLOTSMGRT-ASYNC-STATUS"), what="the async job")
        assert s.execute_command("SLOTSMGRT-ASYNC-STATUS") == [
            f"dest server: 127.0.0.1:{target.port}".encode(), b"slot number: 9", b"migrating  : no",
            b"moved keys : 4", b"remain keys: 0"]
        assert s.execute_command("SLOTSMGRTTAGSLOT-ASYNC", *args, slot_of_tag, 1) == [0, 2]
        wait_until(lambda: target.client().exists("{x}1", "{x}2") == 2, what="the tag to move")
        assert sorted(target.client().keys("*")) == sorted(name.encode() for name in names)
    assert s.execute_command("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", 1, 10, 1, 1, 9, 1) == [0, 0]
    assert s.execute_command("SLOTSMGRT-ASYNC-CANCEL") == b"OK"
    assert s.execute_command("SLOTSMGRT-EXEC-WRAPPER", "missing", "get", "missing") == [0, 0]
    assert s.execute_command("SLOTSMGRT-EXEC-WRAPPER", "other", "get", "other") == [-1, -1]
    for args in [("h", "0", "1", "1", "1", "1", "1"), ("h", "1", "0", "1", "1", "1", "1"),
                 ("h", "1", "1", "x", "1", "1", "1"), ("h", "1", "1", "1", "0", "1", "1"),
                 ("h", "1", "1", "1", "1", "1024", "1"), ("h", "1", "1", "1", "1", "1", "-1")]:
        with pytest.raises(redis.ResponseError, match="value is not an integer"):
            s.execute_command("SLOTSMGRTTAGSLOT-ASYNC", *args)
    with pytest.raises(redis.ResponseError, match="destination address error"):
        s.execute_command("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", node.port, 1, 1, 1, 1, 1)


def test_async_migration_needs_slotmigrate(r):
    """SlotsMgrtTagSlotAsyncCmd::Do: its own text when slotmigrate is off."""
    with pytest.raises(redis.ResponseError, match="please open slotmigrate and reload slot"):
        r.execute_command("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", 1, 10, 1, 1, 9, 1)


def test_exec_wrapper_sees_a_key_the_async_job_is_moving(s):
    """SlotsMgrtExecWrapperCmd: [1, 1] for a key of the slot an async job moves."""
    s.mset({f"{n}{{big}}": n for n in range(1500)})
    with PikaServer() as target:
        assert s.execute_command("SLOTSMGRTTAGSLOT-ASYNC", "127.0.0.1", target.port, 5000, 1, 1,
                                 slot_of(b"{big}"), 1) == [0, 1500]
        assert s.execute_command("SLOTSMGRT-EXEC-WRAPPER", "999{big}", "get", "999{big}") == [1, 1]
        wait_until(lambda: b"migrating  : no" in s.execute_command("SLOTSMGRT-ASYNC-STATUS"), timeout=30,
                   what="the async job")
        assert s.dbsize() == 0 and target.client().dbsize() == 1500
