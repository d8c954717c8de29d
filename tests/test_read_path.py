"""The read path's fast forms: an array of bulk strings encoded without per-element checks, and a
read-only turn's transaction renewed rather than opened (it must neither pin a snapshot nor stop
the map from growing)."""

from __future__ import annotations

import pytest

from pypika_store.engine import Engine
from pypika_store.storage.records import encode_string
from pypika_store.server.resp.replies import BulkStrings, encode, encode3


@pytest.mark.parametrize("items", [[], [b""], [b"a", b"bc", b"x" * 1023], [b"y" * 1024, b"z" * 70000]],
                         ids=["empty", "one empty", "short", "past the header table"])
@pytest.mark.parametrize("encoder", [encode, encode3], ids=["RESP2", "RESP3"])
def test_bulk_strings_encode_as_the_plain_array(encoder, items):
    expected = b"*%d\r\n" % len(items) + b"".join(b"$%d\r\n%s\r\n" % (len(item), item) for item in items)
    assert encoder(BulkStrings(items)) == expected
    assert encoder(list(items)) == expected
    assert encoder(tuple(items)) == expected
    assert encoder([BulkStrings(items), b"k"]) == b"*2\r\n" + expected + b"$1\r\nk\r\n"


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
