"""Hash commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import pytest

BINARY = bytes(range(256))

SCENARIOS = {
    "set_get": [
        ("HSET", "h", "f", "v"), ("HSET", "h", "f", "w", "g", "x"), ("HGET", "h", "f"), ("HGET", "h", "none"),
        ("HGET", "missing", "f"), ("HMGET", "h", "f", "none", "g"), ("HMGET", "missing", "a", "b"),
        ("HSET", "h", "f"), ("HSET", "h"), ("HSET", "h", "a", "1", "b"), ("HMSET", "h", "a", "1"),
        ("HMSET", "h", "a"), ("HGETALL", "h"), ("HGETALL", "missing"), ("HLEN", "h"), ("HLEN", "missing"),
        ("HSET", "h", "", ""), ("HGET", "h", ""), ("HSET", "h", BINARY, BINARY), ("HGET", "h", BINARY),
        ("HKEYS", "h"), ("HVALS", "h"), ("HKEYS", "missing"), ("HSTRLEN", "h", "f"), ("HSTRLEN", "h", "none"),
    ],
    "setnx_exists_del": [
        ("HSETNX", "h", "f", "1"), ("HSETNX", "h", "f", "2"), ("HGET", "h", "f"), ("HEXISTS", "h", "f"),
        ("HEXISTS", "h", "g"), ("HEXISTS", "missing", "g"), ("HDEL", "h", "g"), ("HDEL", "h", "f", "f", "g"),
        ("EXISTS", "h"), ("HDEL", "missing", "f"), ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HDEL", "h", "a", "c"), ("HGETALL", "h"), ("TYPE", "h"),
    ],
    "incr": [
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-10"), ("HINCRBY", "h", "n", "x"),
        ("HSET", "h", "s", "abc"), ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "big", "9223372036854775807"),
        ("HINCRBY", "h", "big", "1"), ("HINCRBYFLOAT", "h", "f", "1.5"), ("HINCRBYFLOAT", "h", "f", "0.1"),
        ("HINCRBYFLOAT", "h", "f", "abc"), ("HINCRBYFLOAT", "h", "s", "1"), ("HINCRBYFLOAT", "h", "f", "inf"),
        ("HINCRBYFLOAT", "h", "n", "1e3"), ("HGETALL", "h"), ("HINCRBY", "h", "n"),
        ("HINCRBYFLOAT", "h", "f", "5.0e3"), ("HINCRBYFLOAT", "h", "f", " 1"),
    ],
    "wrongtype": [
        ("SET", "s", "v"), ("HSET", "s", "f", "v"), ("HGET", "s", "f"), ("HGETALL", "s"), ("HLEN", "s"),
        ("HDEL", "s", "f"), ("HINCRBY", "s", "f", "1"), ("HSCAN", "s", "0"), ("HRANDFIELD", "s"),
        ("HSET", "h", "f", "v"), ("GET", "h"), ("INCR", "h"), ("APPEND", "h", "x"), ("SET", "h", "str"),
        ("GET", "h"), ("HGET", "h", "f"),
    ],
    "randfield": [
        ("HRANDFIELD", "missing"), ("HRANDFIELD", "missing", "3"), ("HRANDFIELD", "missing", "-3", "WITHVALUES"),
        ("HSET", "one", "f", "v"), ("HRANDFIELD", "one"), ("HRANDFIELD", "one", "0"), ("HRANDFIELD", "one", "5"),
        ("HRANDFIELD", "one", "-3"), ("HRANDFIELD", "one", "-2", "WITHVALUES"), ("HRANDFIELD", "one", "1", "WITHVALUES"),
        ("HRANDFIELD", "one", "1", "WITHVALUE"), ("HRANDFIELD", "one", "x"),
        ("HRANDFIELD", "one", "-9223372036854775808"), ("HRANDFIELD", "one", "1", "WITHVALUES", "x"),
    ],
    "scan": [
        ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "MATCH", "a*"),
        ("HSCAN", "h", "0", "COUNT", "1"), ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "x"),
        ("HSCAN", "missing", "0"), ("HSCAN", "h", "0", "FOO", "1"), ("HSCAN", "h", "0", "COUNT"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hash_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def test_hscan_walks_a_large_hash_with_cursors(diff, r):
    fields = {f"field:{n}": str(n) for n in range(1000)}
    r.hset("big", mapping=fields)
    seen = {}
    cursor = 0
    while True:
        cursor, page = r.hscan("big", cursor, count=100)
        seen.update(page)
        if cursor == 0:
            break
    assert seen == {k.encode(): v.encode() for k, v in fields.items()}


def test_hincrbyfloat_and_hrandfield_counts(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    assert sorted(r.hrandfield("h", 10)) == [b"a", b"b", b"c"]
    assert len(r.hrandfield("h", -10)) == 10
    assert set(r.hrandfield("h", -10)) <= {b"a", b"b", b"c"}


def test_hrandfield_count_limits_match_redis(diff):
    diff.check("HSET", "h", "f", "v")
    for count in ("-9223372036854775807", "-4611686018427387904"):
        diff.check("HRANDFIELD", "h", count, "WITHVALUES")
