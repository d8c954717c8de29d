"""Keys, fields and members of every length Redis takes, against redis-server: around LMDB's
511-byte limit and the 495-byte cut (docs/storage-format.md, "Long keys and members"), far past
it, and long ones sharing long prefixes, where the stored order is not the byte order and the
readers restore it."""

from __future__ import annotations

import os
import struct

import pytest

from pypika_store import bounded_keys
from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.engine import Engine
from pypika_store.errors import DigestCollisionError
from pypika_store.scan import CursorStore
from pypika_store.storage.records import encode_string
from pypika_store.testing import PikaServer

from .support import wait_until

#: Lengths around every boundary: empty, one byte, the cut (495) and LMDB's limit (511, less
#: the 8-byte object id of a member: 503) in between, and far past them.
LENGTHS = [0, 1, *range(486, 521), 1000, 100_000, 1_000_000]
#: Lengths that exercise the boundaries without repeating the big ones in every command.
NEAR = [0, 1, 494, 495, 496, 502, 503, 504, 510, 511, 512, 520, 1000]


def name(length: int, tail: bytes = b"") -> bytes:
    """A name of ``length`` bytes (plus ``tail``), all sharing one prefix."""
    return b"n" * length + tail


def shared_prefix_names() -> list[bytes]:
    """Long and short names that share prefixes past the cut, with tails that sort unlike
    their digests would: the group a reader sorts, and its short neighbours."""
    base = b"p" * 600
    names = [base[:size] for size in (494, 495, 496, 511, 512)]
    names += [base + tail for tail in (b"", b"\x00", b"a", b"b", b"ba", b"\xff", b"\xff\xff")]
    names += [base[:495] + b"\x00" * 20, base[:495] + b"q" * 30, base[:495] + b"o"]
    return list(dict.fromkeys(names))


def scan_all(call, command: str, *key: bytes | str, count: int = 3) -> list[bytes]:
    """Every key, field or member a full SCAN-family iteration returns, in the order
    returned (through redis-py's parsed replies: a dict of fields, pairs of members)."""
    seen: list[bytes] = []
    cursor = 0
    while True:
        cursor, page = call(command, *key, cursor, "COUNT", count)
        seen += [item[0] if isinstance(item, tuple) else item for item in (page.keys() if isinstance(page, dict) else page)]
        if int(cursor) == 0:
            return seen


def scan_pairs(reply: list) -> list:
    """A one-page ZSCAN reply with its pairs in a set order (Redis' order is its own)."""
    return [reply[0], sorted(zip(reply[1][::2], reply[1][1::2]))]


def without_idle_times(reply: list) -> list:
    """XPENDING's extended entries without their idle times (milliseconds apart)."""
    return [(entry_id, owner, deliveries) for entry_id, owner, _idle, deliveries in reply]


def test_string_keys_of_every_length(diff):
    for length in LENGTHS:
        key = name(length)
        diff.check("SET", key, b"v%d" % length)
    for length in LENGTHS:
        key = name(length)
        diff.check("GET", key)
        diff.check("EXISTS", key, name(length, b"?"))
        diff.check("APPEND", key, b"+")
        diff.check("STRLEN", key)
        diff.check("TYPE", key)
    diff.check("DBSIZE")
    diff.check("KEYS", "*")
    diff.check("KEYS", "n*n")
    for length in (0, 1, 495, 511, 512, 1000, 1_000_000):
        diff.check("DEL", name(length))
        diff.check("GET", name(length))
    diff.check("DBSIZE")


def test_keyspace_commands_on_long_keys(diff):
    for length in NEAR + [100_000]:
        key, other = name(length, b"k"), name(length, b"o")
        diff.check("SET", key, b"value")
        diff.check("PEXPIRE", key, 100_000)
        diff.check("TTL", key)
        diff.check("PERSIST", key)
        diff.check("TTL", key)
        diff.check("RENAME", key, other)
        diff.check("EXISTS", key, other)
        diff.check("RENAMENX", other, key)
        diff.check("COPY", key, other)
        diff.check("GET", other)
        diff.check("COPY", key, other)
        diff.check("MOVE", other, 1)
        diff.check("EXISTS", other)
        diff.check("SELECT", 1)
        diff.check("GET", other)
        diff.check("FLUSHDB")
        diff.check("SELECT", 0)
        diff.check("SETNX", key, b"again")
        diff.check("GETDEL", key)
        diff.check("EXISTS", key)


def test_dump_and_restore_of_long_keys_and_members(diff):
    long_member = name(700, b"m")
    for length in (495, 512, 1000):
        key = name(length)
        diff.check("SADD", key, long_member, b"short")
        diff.check("HSET", name(length, b"h"), long_member, b"v", b"f", long_member)
        diff.check("ZADD", name(length, b"z"), 1, long_member, 1, name(700, b"a"))
        for source in (key, name(length, b"h"), name(length, b"z")):
            target = source + b"-restored"
            redis_dump, pika_dump = diff.both("DUMP", source)  # each server's own payload
            assert diff.redis.call("RESTORE", target, 0, redis_dump) == diff.pika.call("RESTORE", target, 0, pika_dump)
        diff.check("SMEMBERS", key + b"-restored")
        diff.check("HGETALL", name(length, b"h") + b"-restored")
        diff.check("ZRANGE", name(length, b"z") + b"-restored", 0, -1, "WITHSCORES")


def test_hash_fields_of_every_length(diff):
    key = b"h"
    for length in LENGTHS:
        diff.check("HSET", key, name(length), b"v%d" % length)
    for length in LENGTHS:
        diff.check("HGET", key, name(length))
        diff.check("HEXISTS", key, name(length, b"x"))
        diff.check("HSTRLEN", key, name(length))
    diff.check("HLEN", key)
    diff.check("HINCRBY", key, name(600, b"c"), 5)
    diff.check("HINCRBY", key, name(600, b"c"), 5)
    diff.check("HSETNX", key, name(600, b"c"), 1)
    diff.check("HMGET", key, name(600, b"c"), name(601))
    diff.check("HDEL", key, name(1000), name(511), name(512), name(1000))
    diff.check("HLEN", key)
    diff.check("HGETALL", key)
    diff.check("HKEYS", key)


def test_set_members_of_every_length(diff):
    for length in LENGTHS:
        diff.check("SADD", b"s", name(length))
    diff.check("SADD", b"t", *shared_prefix_names(), name(1000))
    for length in LENGTHS:
        diff.check("SISMEMBER", b"s", name(length))
    diff.check("SMISMEMBER", b"s", name(503), name(504), name(505, b"x"))
    diff.check("SCARD", b"s")
    diff.check("SMEMBERS", b"s")
    diff.check("SINTER", b"s", b"t")
    diff.check("SINTERSTORE", b"u", b"s", b"t")
    diff.check("SMEMBERS", b"u")
    diff.check("SMOVE", b"s", b"t", name(100_000))
    diff.check("SREM", b"s", name(504), name(1_000_000), b"missing")
    diff.check("SMEMBERS", b"s")
    # SORT ALPHA compares with strcoll, which stops at a NUL: names without one
    diff.check("SADD", b"v", *(member for member in shared_prefix_names() if b"\x00" not in member))
    diff.check("SORT", b"v", "ALPHA")
    diff.check("SORT", b"v", "ALPHA", "DESC", "LIMIT", 2, 5)


def test_sorted_set_ties_among_long_members_sharing_a_long_prefix(diff):
    names = shared_prefix_names() + [name(length) for length in NEAR]
    for score, member in enumerate(names):
        diff.check("ZADD", b"z", score % 2, member)  # two scores, many ties
        diff.check("ZADD", b"lex", 0, member)
    diff.check("ZADD", b"z", 5, name(1_000_000), 5, name(100_000))
    for key in (b"z", b"lex"):
        diff.check("ZRANGE", key, 0, -1, "WITHSCORES")
        diff.check("ZREVRANGE", key, 0, -1)
        diff.check("ZSCAN", key, 0, "COUNT", 1000, normalize=scan_pairs)
    for member in names:
        diff.check("ZSCORE", b"z", member)
        diff.check("ZRANK", b"z", member)
        diff.check("ZREVRANK", b"lex", member)
    base = b"p" * 600
    for low, high in [("-", "+"), (b"[" + base, b"(" + base + b"\xff"), (b"(" + base[:495], b"[" + base + b"b"),
                      (b"[" + base[:511], "+"), ("-", b"(" + base + b"a")]:
        diff.check("ZRANGEBYLEX", b"lex", low, high)
        diff.check("ZREVRANGEBYLEX", b"lex", high, low)
        diff.check("ZLEXCOUNT", b"lex", low, high)
    diff.check("ZRANGEBYLEX", b"lex", "-", "+", "LIMIT", 3, 4)
    diff.check("ZREMRANGEBYLEX", b"lex", b"[" + base, b"[" + base + b"b")
    diff.check("ZRANGE", b"lex", 0, -1)
    diff.check("ZINCRBY", b"z", 2, base + b"a")
    diff.check("ZRANGE", b"z", 0, -1, "WITHSCORES")
    diff.check("ZREM", b"z", base + b"a", name(1_000_000))
    diff.check("ZPOPMIN", b"z", 3)
    diff.check("ZPOPMAX", b"z", 2)
    diff.check("ZRANGE", b"z", 0, -1, "WITHSCORES")


def test_geo_and_hyperloglog_with_long_names(diff):
    member = name(800, b"g")
    diff.check("GEOADD", name(600, b"geo"), 13.361389, 38.115556, member, 15.087269, 37.502669, name(800))
    diff.check("GEOPOS", name(600, b"geo"), member, name(800), b"missing")
    diff.check("GEODIST", name(600, b"geo"), member, name(800), "km")
    diff.check("GEOSEARCH", name(600, b"geo"), "FROMMEMBER", member, "BYRADIUS", 500, "km", "ASC")
    diff.check("PFADD", name(5000, b"hll"), b"a", name(2000))
    diff.check("PFCOUNT", name(5000, b"hll"))
    diff.check("PFMERGE", name(1000, b"merged"), name(5000, b"hll"))
    diff.check("PFCOUNT", name(1000, b"merged"))


def test_sort_by_and_get_patterns_naming_long_keys(diff):
    elements = [name(600, b"%d" % index) for index in range(5)]
    diff.check("RPUSH", b"l", *elements)
    for weight, element in zip((3, 1, 4, 1.5, 9), elements):
        diff.check("SET", b"w_" + element, weight)
        diff.check("SET", b"o_" + element, element[-1:])
    diff.check("SORT", b"l", "BY", "w_*", "GET", "o_*", "GET", "#")
    diff.check("SORT", b"l", "ALPHA", "DESC")
    diff.check("SORT", b"l", "BY", "w_*", "STORE", name(700, b"stored"))
    diff.check("LRANGE", name(700, b"stored"), 0, -1)


def test_stream_groups_and_consumers_with_long_names(diff):
    group, consumer = name(1000, b"group"), name(700, b"consumer")
    for entry in range(1, 4):
        diff.check("XADD", b"x", b"%d-0" % entry, b"f", b"v")
    diff.check("XGROUP", "CREATE", b"x", group, 0)
    diff.check("XGROUP", "CREATE", b"x", name(1000, b"aaa"), "$")
    diff.check("XGROUP", "CREATE", b"x", b"short", 0)
    diff.check("XREADGROUP", "GROUP", group, consumer, "COUNT", 2, "STREAMS", b"x", ">")
    diff.check("XREADGROUP", "GROUP", group, name(700, b"c2"), "STREAMS", b"x", ">")
    diff.check("XREADGROUP", "GROUP", group, consumer, "STREAMS", b"x", 0)
    diff.check("XPENDING", b"x", group)
    diff.check("XPENDING", b"x", group, "-", "+", 10, consumer, normalize=without_idle_times)
    diff.check("XACK", b"x", group, "1-0")
    diff.check("XCLAIM", b"x", group, name(700, b"c3"), 0, "2-0", "JUSTID")
    diff.check("XGROUP", "CREATECONSUMER", b"x", group, name(511))
    diff.check("XGROUP", "DELCONSUMER", b"x", group, name(700, b"c2"))
    diff.check("XGROUP", "SETID", b"x", group, 0)
    diff.check("XGROUP", "DESTROY", b"x", name(1000, b"aaa"))
    diff.check("XGROUP", "DESTROY", b"x", name(1000, b"aaa"))
    names = [entry[1] for entry in diff.pika.call("XINFO", "GROUPS", b"x")]
    assert names == [entry[1] for entry in diff.redis.call("XINFO", "GROUPS", b"x")]
    consumers = [entry[1] for entry in diff.pika.call("XINFO", "CONSUMERS", b"x", group)]
    assert consumers == [entry[1] for entry in diff.redis.call("XINFO", "CONSUMERS", b"x", group)]


def test_scan_visits_every_long_key_once_while_keys_come_and_go(r):
    """SCAN's guarantee with long keys sharing a long prefix (a group read and sorted at every
    call that enters it): every key there for the whole iteration comes exactly once."""
    stable = shared_prefix_names() + [name(length) for length in NEAR]
    for key in stable:
        r.set(key, 1)
    seen, cursor, step = [], 0, 0
    while True:
        cursor, page = r.scan(cursor, count=2)
        seen += page
        step += 1
        churn = b"p" * 600 + b"churn%d" % step  # inside the group, before and after the cursor
        r.set(churn, 1)
        r.delete(b"p" * 600 + b"churn%d" % (step - 1))
        if cursor == 0:
            break
    stable_seen = [key for key in seen if b"churn" not in key]
    assert sorted(stable_seen) == sorted(stable)
    assert len(seen) == len(set(seen))
    for count in (1, 5, 1000):
        assert sorted(scan_all(r.execute_command, "SCAN", count=count)) == sorted(r.keys())


def test_collection_scans_visit_long_members_in_order_once(r):
    names = shared_prefix_names() + [name(length) for length in NEAR]
    r.sadd("s", *names)
    r.hset("h", mapping={member: b"v" for member in names})
    r.zadd("z", {member: 0 for member in names})
    many = [name(600, b"%03d" % index) for index in range(200)]  # past the compact one-page scan
    r.sadd("big", *many)
    assert sorted(scan_all(r.execute_command, "SSCAN", "s")) == sorted(names)
    assert scan_all(r.execute_command, "SSCAN", "big", count=7) == sorted(many)
    assert sorted(scan_all(r.execute_command, "HSCAN", "h")) == sorted(names)
    assert sorted(scan_all(r.execute_command, "ZSCAN", "z")) == sorted(names)


def test_pika_range_scans_see_long_keys_and_fields_in_byte_order(r):
    names = sorted(shared_prefix_names())
    for key in names:
        r.set(key, b"v")
    r.hset("h", mapping={field: b"v" for field in names})
    assert r.execute_command("PKSCANRANGE", "string_with_value", "", "", "LIMIT", 1000) == [
        b"", [part for key in names for part in (key, b"v")]]
    assert r.execute_command("PKRSCANRANGE", "string", "", "", "LIMIT", 1000) == [b"", names[::-1]]
    assert r.execute_command("PKSCANRANGE", "string", names[3], names[-3]) == [b"", names[3:-2]]
    assert r.execute_command("PKRSCANRANGE", "string", names[-3], names[3], "LIMIT", 2) == [
        names[-5], [names[-3], names[-4]]]
    assert r.execute_command("PKHSCANRANGE", "h", names[2], "", "LIMIT", 1000) == [
        b"", [part for field in names[2:] for part in (field, b"v")]]
    assert r.execute_command("PKHRSCANRANGE", "h", names[-2], names[1], "LIMIT", 1000) == [
        b"", [part for field in names[1:-1][::-1] for part in (field, b"v")]]


def test_slot_index_holds_long_keys():
    with PikaServer(config={"slotmigrate": "yes"}) as server:
        client = server.client()
        keys = [b"{t}" + name(length) for length in (495, 600, 1000)] + [b"{t}" + b"p" * 600 + b"x"]
        for key in keys:
            client.set(key, 1)
        slot = client.execute_command("SLOTSHASHKEY", keys[0])[0]
        assert sorted(scan_all(client.execute_command, "SLOTSSCAN", slot, count=1)) == sorted(keys)
        client.delete(keys[1])
        assert client.execute_command("SLOTSINFO", slot, 1) == [[slot, 3]]


def _write_long_dataset(client, start: int) -> None:
    base = b"p" * 600
    for index in range(start, start + 5):
        tail = b"%d" % index
        client.set(base + tail, tail)
        client.set(name(100_000, tail), tail)
        client.hset(base + b"h", mapping={base + tail: tail, tail: base})
        client.sadd(base + b"s", base + tail, name(20_000, tail))
        client.zadd(base + b"z", {base + tail: 1, name(1000, tail): index})
        client.xadd(base + b"x", {b"f": tail})
        client.expire(name(100_000, tail), 10_000)
    client.xgroup_create(base + b"x", name(800, b"%d" % start), 0)
    client.xreadgroup(name(800, b"%d" % start), name(600, b"c"), {base + b"x": ">"})
    client.hdel(base + b"h", base + b"%d" % start)
    client.zrem(base + b"z", name(1000, b"%d" % (start + 1)))
    client.rename(base + b"%d" % (start + 2), name(2000, b"renamed%d" % start))
    client.copy(base + b"s", name(700, b"copy%d" % start), replace=True)


def test_long_keys_survive_a_restart_and_reach_a_slave(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "master")) as master, \
            PikaServer(data_dir=str(tmp_path / "slave")) as slave:
        m, s = master.client(), slave.client()
        _write_long_dataset(m, 0)
        digest = m.execute_command("DEBUG", "DIGEST")
        master.restart()
        m = master.client()
        assert m.execute_command("DEBUG", "DIGEST") == digest
        assert m.get(b"p" * 600 + b"1") == b"1" and m.hget(b"p" * 600 + b"h", b"p" * 600 + b"1") == b"1"
        s.slaveof("127.0.0.1", master.port)  # a full sync

        def converged() -> bool:
            return (m.info("replication")["master_repl_offset"] == s.info("replication")["slave_repl_offset"]
                    and m.execute_command("DEBUG", "DIGEST") == s.execute_command("DEBUG", "DIGEST"))

        wait_until(converged, timeout=60, what="the full sync of long keys")
        assert s.info("replication")["repl_full_syncs"] == 1
        _write_long_dataset(m, 10)  # then the binlog
        wait_until(converged, timeout=60, what="the long keys' binlog records")
        assert s.zrange(b"p" * 600 + b"z", 0, -1) == m.zrange(b"p" * 600 + b"z", 0, -1)
        assert s.keys() and sorted(s.keys()) == sorted(m.keys())
        slave.restart()
        assert slave.client().execute_command("DEBUG", "DIGEST") == m.execute_command("DEBUG", "DIGEST")


def test_the_binlog_of_long_keys_replays_to_the_same_data(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        _write_long_dataset(client, 0)
        client.execute_command("SWAPDB", 0, 1)  # every key of both DBs logged whole
        _write_long_dataset(client, 20)
        digest = client.execute_command("DEBUG", "DIGEST")
        directories = {db: os.path.join(server.data_dir, "log", f"log_db{db}") for db in (0, 1)}
        records = {db: [decode_command(item.content) for _start, _end, item in BinlogReader(directory).items()]
                   for db, directory in directories.items()}
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for db, argvs in records.items():
            replay.execute_command("SELECT", db)
            for argv in argvs:
                replay.execute_command(*argv)
        assert replay.execute_command("DEBUG", "DIGEST") == digest


@pytest.mark.parametrize("length", [503, 511])
def test_an_entry_that_only_looks_cut_is_an_ordinary_one(r, length):
    """A 511-byte stored key whose value starts like a wrapper of a longer key is read as
    itself: the wrapper must cut to that very key (its digest) to count."""
    field = b"f" * length
    fake = struct.pack(">I", 600) + b"f" * 600 + b"value"
    r.hset("h", field, fake)
    r.set(b"k" * length, b"x")
    assert r.hgetall("h") == {field: fake}
    assert r.hget("h", b"f" * 600) is None
    assert r.hscan("h", 0) == (0, {field: fake})


def test_scan_cursors_keep_a_bounded_number_of_resume_bytes():
    cursors = CursorStore(capacity=100, byte_budget=3_000)
    first = cursors.save(b"a" * 1000)
    second, third = cursors.save(b"b" * 1000), cursors.save(b"c" * 1000)
    assert cursors.resume_key(first) == b"a" * 1000
    fourth = cursors.save(b"d" * 1000)  # past the budget: the oldest goes
    assert cursors.resume_key(first) == b"" and cursors.resume_key(second) == b"b" * 1000
    huge = cursors.save(b"e" * 10_000)  # alone past the budget, it still resumes
    assert cursors.resume_key(huge) == b"e" * 10_000
    assert [cursors.resume_key(number) for number in (second, third, fourth)] == [b"", b"", b""]


def test_a_digest_collision_refuses_the_write_and_keeps_the_other(monkeypatch, tmp_path):
    """Two long keys whose cut forms are one (a BLAKE2b collision, forced here): the second
    reads as missing and its write is refused, the first keeps its value."""
    monkeypatch.setattr(bounded_keys, "_digest", lambda tail: b"\x00" * bounded_keys.DIGEST_SIZE)
    engine = Engine(str(tmp_path), databases=1)
    try:
        db = engine.keyspaces[0]
        first, second = b"c" * 600 + b"1", b"c" * 600 + b"2"
        db.set_string(first, b"one")
        db.sets.add(b"s", [first])
        assert db.get_string(second) is None and db.sets.contains(b"s", [second]) == [False]
        with pytest.raises(DigestCollisionError):
            db.set_string(second, b"two")
        with pytest.raises(DigestCollisionError):
            db.sets.add(b"s", [second])
        assert db.delete(second) is False and db.sets.remove(b"s", [second]) == []
        assert db.get_string(first) == b"one" and db.sets.members(b"s") == [first]
    finally:
        engine.close()


def test_random_picks_return_whole_long_members(r):
    """Past the exact-listing limit, random picks probe the table: a long member picked must
    come back whole, with its value."""
    members = [name(600, b"%04d" % index) for index in range(1100)] + [b"short%d" % index for index in range(10)]
    r.sadd("s", *members)
    r.hset("h", mapping={member: member[-4:] for member in members})
    r.zadd("z", {member: index for index, member in enumerate(members)})
    picked = r.srandmember("s", 30) + r.srandmember("s", -30)
    assert picked and set(picked) <= set(members)
    fields = r.hrandfield("h", -30, withvalues=True)
    assert all(field in members and value == field[-4:] for field, value in zip(fields[::2], fields[1::2]))
    assert set(r.zrandmember("z", 30)) <= set(members)
    popped = r.spop("s", 5)
    assert len(popped) == 5 and set(popped) <= set(members) and not any(r.smismember("s", popped))
    assert r.scard("s") == len(members) - 5


def test_walks_within_a_long_prefix_from_a_long_start(tmp_path):
    """bounded_keys.walk over members under a prefix longer than the cut, with a short entry
    at the group's head before it: every ordered walk a store makes, both ways."""
    engine = Engine(str(tmp_path), databases=1)
    try:
        store = engine.keyspaces[0].hashes
        prefix = b"w" * 600
        fields = [prefix[:487], prefix + b"a", prefix + b"b", prefix + b"\xff", prefix[:500] + b"x", b"z"]
        store.set_fields(b"h", [(field, b"v") for field in fields])
        collection = store.open(b"h")
        inside = sorted(field for field in fields if field.startswith(prefix))
        assert [field for field, _ in store.iter_members(collection, prefix=prefix)] == inside
        assert [field for field, _ in store.iter_members(collection, prefix=prefix, reverse=True)] == inside[::-1]
        assert [field for field, _ in store.iter_members(collection, start=prefix + b"b", prefix=prefix)] == inside[1:]
        assert [field for field, _ in store.iter_members(collection, start=prefix + b"b", prefix=prefix,
                                                          reverse=True)] == inside[:2][::-1]
        assert [field for field, _ in store.iter_members(collection)] == sorted(fields)
        assert [field for field, _ in store.iter_members(collection, reverse=True)] == sorted(fields, reverse=True)
    finally:
        engine.close()


def test_long_keys_expire_in_the_background(r):
    keys = [name(600, b"%d" % index) for index in range(3)] + [name(100_000)]
    for key in keys:
        r.set(key, b"v", px=30)
    r.hset(name(700, b"h"), name(800), b"v")
    r.pexpire(name(700, b"h"), 30)
    wait_until(lambda: r.dbsize() == 0, timeout=10, what="the active expiry of long keys")


def test_entries_of_the_former_format_read_unchanged(tmp_path):
    """Before long keys, a 511-byte LMDB key held its value bare: such entries (meta records,
    members) still read as they are, and a write wraps them from then on."""
    engine = Engine(str(tmp_path), databases=1)
    try:
        db = engine.keyspaces[0]
        key, field = b"k" * 511, b"f" * 503
        db.hashes.set_fields(b"h", [(b"f", b"1"), (field, b"")])
        collection = db.hashes.open(b"h")
        writer = engine.turn.writer()  # both entries as the former format wrote them:
        writer.put(key, encode_string(b"old value"), db=db._meta)
        writer.put(collection.prefix + field, b"old field value", db=db.members_table)
        assert db.get_string(key) == b"old value"
        assert db.hashes.get_field(b"h", field) == b"old field value"
        assert [name for name, _ in db.iter_records()] == [b"h", key]
        assert dict(db.hashes.entries(b"h")) == {b"f": b"1", field: b"old field value"}
        db.hashes.set_fields(b"h", [(field, b"new")])
        db.set_string(key, b"new")
        assert db.get_string(key) == b"new" and db.hashes.get_field(b"h", field) == b"new"
        assert db.delete(key) and db.hashes.delete_fields(b"h", [field]) == 1
        assert db.get_string(key) is None and db.hashes.entries(b"h") == [(b"f", b"1")]
    finally:
        engine.close()
