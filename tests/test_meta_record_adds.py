"""The hot adds on the meta record itself (LPUSH/RPUSH, HSET, HSETNX, SADD, ZADD, ZINCRBY: no Collection
object) keep what the general path does: a key past its TTL is a new collection, WRONGTYPE,
long members, a new score's rank, the records they log; and the blocking registry sets the
engine's key-ready hook only while some client waits."""

from __future__ import annotations

import os
import socket

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command, encode_command
from pypika_store.engine import Engine
from pypika_store.errors import WrongTypeError
from pypika_store.storage.records import OBJECT_ID
from pypika_store.types.zsets import ZaddFlags
from pypika_store.server.blocking import Block, BlockingRegistry
from pypika_store.testing import PikaGroup, PikaServer

from .support import wait_until

NOW_MS = 1_000_000_000_000


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=1)
    engine.now_ms = lambda: NOW_MS
    yield engine
    engine.close()


def _object_id(keyspace, key: bytes) -> int:
    return OBJECT_ID.unpack_from(keyspace.get_record(key).body)[0]


ADDS = {
    "lpush": (lambda keyspace, key, member: keyspace.lists.push(key, [member], True),
              lambda keyspace, key: keyspace.lists.range(keyspace.lists.open(key), 0, 10)),
    "hset": (lambda keyspace, key, member: keyspace.hashes.set_pairs(key, [member, b"v"]),
             lambda keyspace, key: keyspace.hashes.fields(key)),
    "hsetnx": (lambda keyspace, key, member: keyspace.hashes.set_new_field(key, member, b"v"),
               lambda keyspace, key: keyspace.hashes.fields(key)),
    "sadd": (lambda keyspace, key, member: keyspace.sets.add(key, [member]),
             lambda keyspace, key: keyspace.sets.members(key)),
    "zadd": (lambda keyspace, key, member: keyspace.zsets.add_plain(key, 1.0, member),
             lambda keyspace, key: [member for member, _ in keyspace.zsets.iter_scores(keyspace.zsets.open(key))]),
    "zadd_nx": (lambda keyspace, key, member: keyspace.zsets.add(key, [(1.0, member)], ZaddFlags(nx=True)),
                lambda keyspace, key: [member for member, _ in keyspace.zsets.iter_scores(keyspace.zsets.open(key))]),
    "zincrby": (lambda keyspace, key, member: keyspace.zsets.add(key, [(1.0, member)], ZaddFlags(incr=True)),
                lambda keyspace, key: [member for member, _ in keyspace.zsets.iter_scores(keyspace.zsets.open(key))]),
}


@pytest.mark.parametrize("expire_on_access", [True, False])
@pytest.mark.parametrize("name", sorted(ADDS))
def test_an_add_to_a_key_past_its_ttl_makes_a_new_collection(engine, name, expire_on_access):
    add, members = ADDS[name]
    keyspace = engine.keyspaces[0]
    engine.turn.expire_on_access = expire_on_access  # a slave's turn leaves expired keys
    add(keyspace, b"k", b"old1")
    add(keyspace, b"k", b"old2")
    old_id = _object_id(keyspace, b"k")
    keyspace.set_expire(b"k", NOW_MS + 10)
    engine.now_ms = lambda: NOW_MS + 10
    assert keyspace.get_record(b"k") is None
    add(keyspace, b"k", b"new")
    assert members(keyspace, b"k") == [b"new"]
    assert keyspace.get_record(b"k").expire_at_ms == 0
    assert _object_id(keyspace, b"k") != old_id
    assert engine.keyspaces[0].stores[keyspace.get_record(b"k").tag].open(b"k").count == 1


@pytest.mark.parametrize("name", sorted(ADDS))
def test_an_add_to_another_type_is_wrongtype_and_changes_nothing(engine, name):
    add, _ = ADDS[name]
    keyspace = engine.keyspaces[0]
    keyspace.set_string(b"k", b"text")
    engine.changes.clear()
    with pytest.raises(WrongTypeError):
        add(keyspace, b"k", b"m")
    assert keyspace.get_string(b"k") == b"text"
    assert not list(engine.changes)


@pytest.mark.parametrize("name", ["hset", "hsetnx", "sadd", "zadd", "zadd_nx"])
def test_members_longer_than_an_lmdb_key_are_added_found_and_replaced(engine, name):
    add, members = ADDS[name]
    keyspace = engine.keyspaces[0]
    long_members = [b"a" * 600, b"a" * 600 + b"b", b"c" * 5000]
    assert [add(keyspace, b"k", member) for member in long_members] == [1, 1, 1]
    assert [add(keyspace, b"k", member) for member in long_members] == [0, 0, 0]
    assert sorted(members(keyspace, b"k")) == long_members


def test_a_plain_zadd_of_a_new_score_moves_the_member_in_the_ranks(engine):
    zsets = engine.keyspaces[0].zsets
    for score, member in ((1.0, b"a"), (2.0, b"b"), (3.0, b"c")):
        assert zsets.add_plain(b"z", score, member) == 1
    zsets.ranks(zsets.open(b"z"))  # the rank cache built: the add must keep it in step
    engine.changes.clear()
    assert zsets.add_plain(b"z", 5.0, b"a") == 0
    assert zsets.add_plain(b"z", 5.0, b"a") == 0  # the same score: nothing written, nothing logged
    assert [change.argv for change in engine.changes] == [encode_command([b"zadd", b"z", b"5.0", b"a"])]
    collection = zsets.open(b"z")
    assert collection.count == 3
    assert zsets.rank(collection, b"a") == (2, 5.0)
    assert list(zsets.iter_scores(collection)) == [(b"b", 2.0), (b"c", 3.0), (b"a", 5.0)]
    zsets.members_table_replaced()  # rebuilt from LMDB: the same order
    assert zsets.rank(zsets.open(b"z"), b"a") == (2, 5.0)


def test_zadd_xx_of_a_missing_key_takes_no_id_and_writes_nothing(engine):
    zsets = engine.keyspaces[0].zsets
    assert zsets.add(b"z", [(1.0, b"m")], ZaddFlags(xx=True)) == 0
    assert zsets.add(b"z", [(1.0, b"m")], ZaddFlags(xx=True, incr=True)) is None
    assert not engine.changes and not engine.turn.dirty and engine.keyspaces[0].get_raw(b"z") is None


def test_zadd_with_flags_logs_the_final_scores_and_keeps_the_ranks(engine):
    zsets = engine.keyspaces[0].zsets
    assert zsets.add(b"z", [(1.0, b"a"), (2.0, b"b")], ZaddFlags()) == 2
    zsets.ranks(zsets.open(b"z"))  # the rank cache built: the adds must keep it in step
    engine.changes.clear()
    assert zsets.add(b"z", [(5.0, b"a"), (0.5, b"b"), (3.0, b"c")], ZaddFlags(gt=True, ch=True)) == 2
    assert zsets.add(b"z", [(2.0, b"c")], ZaddFlags(incr=True)) == 5.0
    assert zsets.add(b"z", [(9.0, b"a")], ZaddFlags(lt=True)) == 0  # nothing written, nothing logged
    assert [change.argv for change in engine.changes] == [
        encode_command([b"zadd", b"z", b"5.0", b"a", b"3.0", b"c"]), encode_command([b"zadd", b"z", b"5.0", b"c"])]
    collection = zsets.open(b"z")
    assert collection.count == 3
    assert zsets.decode(list(zsets.ranks(collection))) == [(b"b", 2.0), (b"a", 5.0), (b"c", 5.0)]
    zsets.members_table_replaced()
    assert list(zsets.iter_scores(zsets.open(b"z"))) == [(b"b", 2.0), (b"a", 5.0), (b"c", 5.0)]


def test_hset_of_many_pairs_logs_them_all_and_counts_the_new_ones(engine):
    hashes = engine.keyspaces[0].hashes
    assert hashes.set_pairs(b"h", [b"f", b"1", b"g", b"2", b"f", b"3"]) == 2
    assert hashes.set_pairs(b"h", [b"g", b"4", b"n", b"5"]) == 1
    assert [change.argv for change in engine.changes] == [
        encode_command([b"hset", b"h", b"f", b"1", b"g", b"2", b"f", b"3"]),
        encode_command([b"hset", b"h", b"g", b"4", b"n", b"5"])]
    assert hashes.entries(b"h") == [(b"f", b"3"), (b"g", b"4"), (b"n", b"5")]
    assert hashes.length(b"h") == 3


# -- the key-ready hook ----------------------------------------------------------------------


class _Hook:
    on_key_ready = None


class _Client:
    db = 0
    blocked = None


def test_the_registry_sets_the_hook_only_while_a_client_waits():
    hook = _Hook()
    registry = BlockingRegistry(hook)
    first, second = _Client(), _Client()
    registry.park(first, [b"blpop", b"a", b"0"], Block([b"a"], 0, None))
    assert hook.on_key_ready == registry.signal
    registry.park(second, [b"blpop", b"a", b"b", b"0"], Block([b"a", b"b"], 0, None))
    registry.release(first.blocked)
    assert hook.on_key_ready == registry.signal  # the second still waits
    hook.on_key_ready(0, b"b")
    assert list(registry.ready) == [(0, b"b")]
    registry.release(second.blocked)
    assert hook.on_key_ready is None and not registry.waiting


def _blocked_call(port: int, *argv: bytes) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(encode_command(list(argv)))
    return connection


def _read_reply(connection: socket.socket, ending: bytes) -> bytes:
    reply = b""
    while not reply.endswith(ending):
        chunk = connection.recv(4096)
        assert chunk, "the server closed the connection"
        reply += chunk
    return reply


@pytest.mark.parametrize("block, wake, reply", [
    ([b"BLPOP", b"bk", b"10"], ["lpush", "bk", "x"], b"*2\r\n$2\r\nbk\r\n$1\r\nx\r\n"),
    ([b"BZPOPMIN", b"bk", b"10"], ["zadd", "bk", "1", "x"], b"*3\r\n$2\r\nbk\r\n$1\r\nx\r\n$1\r\n1\r\n"),
])
def test_a_write_wakes_a_client_each_time_one_waits_again(pika_server, r, block, wake, reply):
    r.delete("bk")
    for _ in range(2):  # the second wait comes after the hook was unset (nobody waited)
        r.execute_command(*wake)  # nobody waits: the element stays
        r.delete("bk")
        connection = _blocked_call(pika_server.port, *block)
        try:
            wait_until(lambda: r.info("clients")["blocked_clients"] == 1, what="the client to block")
            r.execute_command(*wake)
            assert _read_reply(connection, reply[-6:]) == reply
        finally:
            connection.close()
        wait_until(lambda: r.info("clients")["blocked_clients"] == 0, what="the client to leave")
        assert r.exists("bk") == 0


def _hot_adds(client) -> None:
    """Every hot add, new keys and keys there already, a member twice, one longer than an
    LMDB key, and a key past its TTL written again."""
    long_member = "m" * 600
    for number in range(3):
        client.lpush("l", f"a{number}", "b")
        client.rpush("l", f"c{number}")
        client.hset("h", mapping={"f": number, f"g{number}": "v", long_member: number})
        client.hsetnx("h", "f", "kept")
        client.hsetnx("h", f"n{number}", number)
        client.sadd("s", f"m{number}", "m0", f"m{number}", long_member)
        client.zadd("z", {f"m{number}": number + 0.5})
        client.zadd("z", {"m0": number})
        client.zadd("z", {"m0": number + 1, f"g{number}": 2}, gt=True, ch=True)
        client.zadd("z", {"m1": -number}, lt=True)
        client.zadd("z", {f"x{number}": 1, "m0": 7}, xx=True)
        client.zadd("z", {f"n{number}": 1, "m0": 9}, nx=True)
        client.zincrby("z", 1.5, f"i{number % 2}")
        client.geoadd("geo", (13.36 + number / 100, 38.11, f"p{number}"))
    client.hsetnx("h", long_member + "x", "new")
    client.hsetnx("h", long_member + "x", "kept")
    for key in ("l2", "h2", "s2", "z2", "z3"):
        client.execute_command("DEL", key)
    client.lpush("l2", "old")
    client.hsetnx("h2", "old", "1")
    client.sadd("s2", "old")
    client.zadd("z2", {"old": 1})
    client.zincrby("z3", 1, "old")
    for key in ("l2", "h2", "s2", "z2", "z3"):
        client.pexpire(key, 1)
    wait_until(lambda: all(client.execute_command("PTTL", key) < 0 for key in ("l2", "h2", "s2", "z2", "z3")),
               what="the keys to expire")
    client.lpush("l2", "new")
    client.hsetnx("h2", "new", "1")
    client.sadd("s2", "new")
    client.zadd("z2", {"new": 1})
    client.zincrby("z3", 2, "new")


def test_the_hot_adds_replay_after_a_restart_and_reach_a_slave(tmp_path):
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        _hot_adds(master)
        digest = master.execute_command("DEBUG", "DIGEST")
        group.wait_synced()
        assert group.slaves[0].client().execute_command("DEBUG", "DIGEST") == digest
    records_dir = tmp_path / "replayed"
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        _hot_adds(server.client())
        digest = server.client().execute_command("DEBUG", "DIGEST")
        log = os.path.join(server.data_dir, "log", "log_db0")
        records = [decode_command(item.content) for _s, _e, item in BinlogReader(log).items()]
    with PikaServer(data_dir=str(tmp_path / "a")) as server:  # restarted on its own data
        assert server.client().execute_command("DEBUG", "DIGEST") == digest
    with PikaServer(data_dir=str(records_dir), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for argv in records:
            replay.execute_command(*argv)
        assert replay.execute_command("DEBUG", "DIGEST") == digest
