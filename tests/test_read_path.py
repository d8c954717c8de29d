"""The read path's fast forms: an array of bulk strings encoded without per-element checks, maps
flattened, scores formatted in one pass, whole sets and hashes read by one cursor walk (long
members fall back to the ordered walk), ZRANGE without scores never decoding them, and a
read-only turn's transaction renewed rather than opened (it must neither pin a snapshot nor stop
the map from growing)."""

from __future__ import annotations

import pytest

from pypika_store.bounded_keys import CUT
from pypika_store.engine import Engine
from pypika_store.storage.records import encode_string
from pypika_store.server.resp.replies import BulkStrings, Double, Map, encode, encode3

from .support import Differential, wait_until


@pytest.mark.parametrize("items", [[], [b""], [b"a", b"bc", b"x" * 1023], [b"y" * 1024, b"z" * 70000]],
                         ids=["empty", "one empty", "short", "past the header table"])
@pytest.mark.parametrize("encoder", [encode, encode3], ids=["RESP2", "RESP3"])
def test_bulk_strings_encode_as_the_plain_array(encoder, items):
    expected = b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%s\r\n" % (len(item), item) for item in items)
    assert encoder(BulkStrings(items)) == expected
    assert encoder(list(items)) == expected
    assert encoder(tuple(items)) == expected
    assert encoder([BulkStrings(items), b"k"]) == b"*2\r\n" + expected + b"$1\r\nk\r\n"


@pytest.mark.parametrize("pairs", [0, 1, 5, 6, 200], ids=lambda pairs: f"{pairs} pairs")
def test_maps_encode_pair_by_pair_whatever_their_size(pairs):
    fields = [(b"f%d" % index, b"v" * index) for index in range(pairs)]
    mixed = fields + [(b"score", Double(1.5)), (b"count", 3), (b"none", None)]
    for items in (fields, mixed):
        for encoder, header in ((encode, b"*%d\r\n" % (2 * len(items))), (encode3, b"%%%d\r\n" % len(items))):
            body = b"".join(encoder(key) + encoder(value) for key, value in items)
            assert encoder(Map(items)) == header + body


def test_hash_reads_reply_the_same_as_redis(diff):
    fields = [part for index in range(200) for part in (f"f{index:03d}", f"v{index}")]
    diff.check("HSET", "small", *fields[:6])
    diff.check("HSET", "big", *fields)
    for key in ("small", "big", "missing"):
        for read in ("HGETALL", "HKEYS", "HVALS"):
            diff.check(read, key)


def test_lrange_replies_the_same_as_redis(diff):
    diff.check("RPUSH", "l", "", "a", "b" * 2000, "c")
    for start, stop in [("0", "-1"), ("1", "2"), ("-2", "100"), ("3", "1"), ("5", "9")]:
        diff.check("LRANGE", "l", start, stop)
    diff.check("LRANGE", "missing", "0", "-1")


def test_a_read_only_turn_leaves_no_snapshot_held(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=1)
    try:
        turn = engine.turn
        turn.writer().put(b"k", encode_string(b"v"), db=engine.env.handles[0].meta)
        engine.end_turn()
        for _ in range(3):  # a spare transaction is renewed and reset, turn after turn
            assert turn.reader().get(b"k", db=engine.env.handles[0].meta) is not None
            engine.end_turn()
            assert not engine.env._readers_open()
        size = engine.env.map_size()
        engine.env.grow_to(2 * size)
        engine.env.ensure_room()  # growth is not held back by the reset transaction
        assert engine.env.map_size() >= 2 * size
        turn.writer().put(b"k2", encode_string(b"w"), db=engine.env.handles[0].meta)
        engine.end_turn()
        assert turn.reader().get(b"k2", db=engine.env.handles[0].meta) is not None  # a fresh snapshot
        engine.end_turn()
    finally:
        engine.close()


#: Members around the length where a stored key is cut (the object id's 8 bytes come first).
LONG_MEMBERS = [b"a" * (CUT - 8), b"a" * (CUT - 7), b"a" * 600 + b"1", b"a" * 600 + b"0", b"b" * 2000]


@pytest.mark.parametrize("members", [[b"m%03d" % index for index in range(150)], [b"s1", *LONG_MEMBERS, b"z"]],
                         ids=["short", "long ones among them"])
def test_whole_sets_and_hashes_read_as_the_ordered_walk(tmp_path, members):
    engine = Engine(str(tmp_path / "db"), databases=1)
    try:
        keyspace = engine.keyspaces[0]
        keyspace.sets.add(b"set", members)
        keyspace.hashes.set_fields(b"hash", [(member, b"v" + member[:3]) for member in members])
        engine.end_turn()
        for store, key in ((keyspace.sets, b"set"), (keyspace.hashes, b"hash")):
            collection = store.open(key)
            walked = list(store.iter_members(collection))
            assert [suffix for suffix, _ in walked] == sorted(members)
            assert store.all_members(collection) == walked
            assert store.all_suffixes(collection) == sorted(members)
        engine.end_turn()
    finally:
        engine.close()


@pytest.mark.parametrize("members", [[f"m{index:03d}" for index in range(150)], ["s1", *map(bytes.decode, LONG_MEMBERS)]],
                         ids=["short", "long ones among them"])
def test_whole_set_and_hash_reads_reply_the_same_as_redis(diff, members):
    diff.check("SADD", "set", *members)
    diff.check("HSET", "hash", *[part for member in members for part in (member, member[:3])])
    for read in (("SMEMBERS", "set"), ("HGETALL", "hash"), ("HKEYS", "hash"), ("HVALS", "hash")):
        diff.check(*read)


@pytest.mark.parametrize("resp3", [False, True], ids=["RESP2", "RESP3"])
def test_zrange_with_and_without_scores_replies_the_same_as_redis(real_redis, pika_server, resp3):
    pair = Differential(real_redis.port, pika_server.port)
    try:
        pair.both("FLUSHALL")
        if resp3:
            pair.both("HELLO", "3")
        scores = ["-inf", "-1.5", "-0", "0", "0.1", "1", "2.5", "1e17", "123456789.125", "+inf"]
        pair.check("ZADD", "z", *[part for index, score in enumerate(scores) for part in (score, f"m{index}")])
        for call in (("0", "-1"), ("0", "-1", "WITHSCORES"), ("2", "5", "REV", "WITHSCORES"),
                     ("(0", "+inf", "BYSCORE", "LIMIT", "1", "3", "WITHSCORES"), ("5", "2"),
                     ("-inf", "+inf", "BYSCORE", "REV")):
            pair.check("ZRANGE", "z", *call)
        pair.check("ZADD", "lex", *[part for member in "abcdef" for part in ("0", member)])
        pair.check("ZRANGE", "lex", "[b", "(e", "BYLEX")
        pair.check("ZRANGE", "lex", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2")
        pair.check("ZRANGE", "missing", "0", "-1", "WITHSCORES")
        pair.check("ZRANGESTORE", "dst", "z", "0", "-1")
        pair.check("ZRANGESTORE", "dst2", "missing", "0", "-1")
        pair.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")
        pair.check("ZSCORE", "z", "m2")
        pair.both("FLUSHALL")
    finally:
        pair.close()


def test_mget_of_strings_missing_keys_and_other_types_replies_the_same_as_redis(diff):
    diff.check("MSET", "a", "1", "b", "", "gone", "x")
    diff.check("PEXPIRE", "gone", "1")
    diff.check("RPUSH", "list", "x")
    diff.check("HSET", "hash", "f", "v")
    wait_until(lambda: diff.both("EXISTS", "gone") == (0, 0))
    diff.check("MGET", "a", "missing", "list", "b", "hash", "gone", "a")
    diff.check("MGET", "list")
