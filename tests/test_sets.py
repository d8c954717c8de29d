"""Set commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import pytest
import redis

BINARY = bytes(range(256))

SCENARIOS = {
    "add_remove": [
        ("SADD", "s", "a", "b", "c", "a"), ("SADD", "s", "a"), ("SCARD", "s"), ("SCARD", "missing"),
        ("SISMEMBER", "s", "a"), ("SISMEMBER", "s", "z"), ("SISMEMBER", "missing", "a"),
        ("SMISMEMBER", "s", "a", "z", "b"), ("SMISMEMBER", "missing", "a"), ("SMEMBERS", "s"),
        ("SMEMBERS", "missing"), ("SREM", "s", "a", "z", "a"), ("SREM", "missing", "a"),
        ("SREM", "s", "b", "c"), ("EXISTS", "s"), ("SADD", "s", "", BINARY), ("SMEMBERS", "s"),
        ("SADD", "s"), ("SREM", "s"), ("SMISMEMBER", "s"), ("TYPE", "s"),
    ],
    "algebra": [
        ("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "3", "4", "5"), ("SADD", "c", "4", "6"),
        ("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SINTER", "a", "missing"), ("SUNION", "a", "b", "missing"),
        ("SDIFF", "a", "b"), ("SDIFF", "a", "b", "c"), ("SDIFF", "missing", "a"), ("SINTERSTORE", "d", "a", "b"),
        ("SMEMBERS", "d"), ("SUNIONSTORE", "d", "a", "c"), ("SMEMBERS", "d"), ("SDIFFSTORE", "d", "a", "a"),
        ("EXISTS", "d"), ("SET", "str", "v"), ("SINTER", "a", "str"), ("SINTER", "missing", "str"),
        ("SUNIONSTORE", "str", "a"), ("TYPE", "str"), ("SINTERSTORE", "a", "a", "b"), ("SMEMBERS", "a"),
        ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("SINTERCARD", "2", "a", "b", "LIMIT", "0"), ("SINTERCARD", "0", "a"), ("SINTERCARD", "3", "a", "b"),
        ("SINTERCARD", "x", "a"), ("SINTERCARD", "1", "a", "LIMIT", "-1"), ("SINTERCARD", "1", "a", "FOO", "1"),
        ("SINTERCARD", "1", "a", "LIMIT"), ("SINTERCARD", "1", "missing"), ("SINTERCARD", "-1", "a"),
    ],
    "move": [
        ("SADD", "src", "a", "b"), ("SMOVE", "src", "dst", "a"), ("SMOVE", "src", "dst", "z"),
        ("SMEMBERS", "src"), ("SMEMBERS", "dst"), ("SMOVE", "src", "src", "b"), ("SMOVE", "src", "src", "z"),
        ("SMOVE", "missing", "dst", "a"), ("SET", "str", "v"), ("SMOVE", "src", "str", "b"),
        ("SMOVE", "missing", "str", "b"), ("SMOVE", "str", "dst", "b"), ("SMOVE", "src", "dst", "b"),
        ("EXISTS", "src"),
    ],
    "move_to_wrong_type_moves_nothing": [
        ("SADD", "src", "a", "b"), ("SET", "str", "v"), ("HSET", "hash", "f", "v"), ("ZADD", "zset", "1", "a"),
        ("SMOVE", "src", "str", "a"), ("SMOVE", "src", "hash", "a"), ("SMOVE", "src", "zset", "a"),
        ("SMOVE", "src", "str", "absent"), ("SMEMBERS", "src"), ("GET", "str"), ("ZRANGE", "zset", "0", "-1"),
        ("MULTI",), ("SMOVE", "src", "str", "b"), ("SMOVE", "src", "dst", "b"), ("EXEC",), ("SMEMBERS", "src"),
        ("SMEMBERS", "dst"), ("DEBUG", "DIGEST"),
    ],
    "random": [
        ("SPOP", "missing"), ("SPOP", "missing", "2"), ("SRANDMEMBER", "missing"), ("SRANDMEMBER", "missing", "2"),
        ("SADD", "one", "x"), ("SRANDMEMBER", "one"), ("SRANDMEMBER", "one", "3"), ("SRANDMEMBER", "one", "-3"),
        ("SRANDMEMBER", "one", "0"), ("SPOP", "one", "-1"), ("SPOP", "one", "x"), ("SPOP", "one", "0"),
        ("SPOP", "one", "5"), ("EXISTS", "one"), ("SADD", "two", "x"), ("SPOP", "two"), ("SPOP", "two"),
        ("SRANDMEMBER", "one", "1", "2"), ("SPOP", "one", "1", "2"),
        ("SRANDMEMBER", "one", "-9223372036854775808"),
    ],
    "scan": [
        ("SADD", "s", "a", "b", "c"), ("SSCAN", "s", "0"), ("SSCAN", "s", "0", "MATCH", "b"),
        ("SSCAN", "missing", "0"), ("SSCAN", "s", "abc"), ("SSCAN", "s", "0", "COUNT", "0"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_set_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def test_spop_and_srandmember_on_a_large_set(r):
    members = {str(n).encode() for n in range(3000)}
    r.sadd("big", *members)
    sample = r.srandmember("big", 50)
    assert len(set(sample)) == 50 and set(sample) <= members
    repeats = r.srandmember("big", -5000)
    assert len(repeats) == 5000 and set(repeats) <= members
    popped = r.spop("big", 1000)
    assert len(set(popped)) == 1000 and r.scard("big") == 2000
    assert not set(popped) & set(r.smembers("big"))


def test_sscan_walks_a_large_set(r):
    members = {f"m{n}".encode() for n in range(1000)}
    r.sadd("big", *members)
    assert set(r.sscan_iter("big", count=37)) == members


def test_huge_negative_random_counts_are_refused_not_built(r):
    r.sadd("s", "a")
    r.hset("h", "f", "v")
    r.zadd("z", {"m": 1})
    for command in (("SRANDMEMBER", "s"), ("HRANDFIELD", "h"), ("ZRANDMEMBER", "z")):
        with pytest.raises(redis.ResponseError, match="count is too large"):
            r.execute_command(*command, "-4000000000000")
    assert r.execute_command("SRANDMEMBER", "missing", "-4000000000000") == []
    assert len(r.execute_command("SRANDMEMBER", "s", "-1000")) == 1000
