"""The read path's fast forms: an array of bulk strings encoded without per-element checks, and a
read-only turn's transaction renewed rather than opened (it must neither pin a snapshot nor stop
the map from growing)."""

from __future__ import annotations

import pytest

from pypika_store.engine import Engine
from pypika_store.storage.records import encode_string
from pypika_store.server.resp.replies import BulkStrings, Double, Map, encode, encode3


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
