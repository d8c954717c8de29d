"""Sorted-set commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import random

import pytest

from .support import RawConnection, wait_until

BINARY = bytes(range(256))

SCENARIOS = {
    "add_flags": [
        ("ZADD", "z", "1", "a", "2", "b"), ("ZADD", "z", "NX", "5", "a", "3", "c"), ("ZADD", "z", "XX", "5", "a", "4", "d"),
        ("ZADD", "z", "XX", "CH", "6", "a"), ("ZADD", "z", "GT", "CH", "1", "a", "10", "b"), ("ZADD", "z", "LT", "CH", "0", "b"),
        ("ZADD", "z", "INCR", "2.5", "a"), ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZADD", "z", "XX", "INCR", "1", "new"),
        ("ZADD", "z", "GT", "INCR", "-1", "a"), ("ZADD", "z", "NX", "XX", "1", "a"), ("ZADD", "z", "GT", "LT", "1", "a"),
        ("ZADD", "z", "GT", "NX", "1", "a"), ("ZADD", "z", "INCR", "1", "a", "2", "b"), ("ZADD", "z", "1"),
        ("ZADD", "z", "1", "a", "2"), ("ZADD", "z", "x", "a"), ("ZADD", "z", "nan", "a"), ("ZADD", "z", "inf", "i", "-inf", "j"),
        ("ZADD", "z", "INCR", "-inf", "i"), ("ZADD", "z", "1e400", "a"), ("ZADD", "z", " 1", "a"), ("ZADD", "z", "0x10", "hex"),
        ("ZADD", "z", "-0", "zero"), ("ZADD", "z", "1.1", "frac"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "missing", "XX", "1", "a"), ("EXISTS", "missing"), ("ZADD", "z", "CH"), ("ZADD", "z", "1", BINARY),
        ("ZSCORE", "z", BINARY), ("ZADD", "z", "NX"),
    ],
    "scores_ranks": [
        ("ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d"), ("ZSCORE", "z", "b"), ("ZSCORE", "z", "none"),
        ("ZSCORE", "missing", "a"), ("ZMSCORE", "z", "a", "none", "d"), ("ZMSCORE", "missing", "a"),
        ("ZRANK", "z", "c"), ("ZREVRANK", "z", "c"), ("ZRANK", "z", "none"), ("ZRANK", "missing", "a"),
        ("ZCARD", "z"), ("ZCARD", "missing"), ("ZINCRBY", "z", "0.5", "a"), ("ZINCRBY", "z", "1", "new"),
        ("ZINCRBY", "z", "x", "a"), ("ZINCRBY", "z", "inf", "a"), ("ZINCRBY", "z", "-inf", "a"), ("ZSCORE", "z", "a"),
        ("ZREM", "z", "a", "none", "a"), ("ZREM", "missing", "a"), ("ZCARD", "z"),
    ],
    "range_by_rank": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("ZRANGE", "z", "0", "-1"),
        ("ZRANGE", "z", "1", "3", "WITHSCORES"), ("ZRANGE", "z", "-2", "-1"), ("ZRANGE", "z", "3", "1"),
        ("ZRANGE", "z", "-100", "100"), ("ZRANGE", "z", "0", "0", "REV"), ("ZRANGE", "z", "0", "1", "REV", "WITHSCORES"),
        ("ZREVRANGE", "z", "0", "-1"), ("ZREVRANGE", "z", "1", "2", "WITHSCORES"), ("ZRANGE", "missing", "0", "-1"),
        ("ZRANGE", "z", "x", "1"), ("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"), ("ZRANGE", "z", "0", "1", "FOO"),
        ("ZRANGE", "z", "0", "1", "BYLEX", "WITHSCORES"), ("ZRANGE", "z", "0"), ("ZREVRANGE", "z", "0", "1", "REV"),
    ],
    "range_by_score": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "ninf", "inf", "pinf"),
        ("ZRANGEBYSCORE", "z", "2", "4"), ("ZRANGEBYSCORE", "z", "(2", "4"), ("ZRANGEBYSCORE", "z", "2", "(4"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"), ("ZRANGEBYSCORE", "z", "(1", "(1"),
        ("ZRANGEBYSCORE", "z", "3", "2"), ("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "1", "2"),
        ("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "1", "-1"), ("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "-1", "2"),
        ("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "10", "2"), ("ZREVRANGEBYSCORE", "z", "4", "2"),
        ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "1", "3"), ("ZREVRANGEBYSCORE", "z", "2", "4"),
        ("ZRANGE", "z", "2", "4", "BYSCORE"), ("ZRANGE", "z", "4", "2", "BYSCORE", "REV", "LIMIT", "0", "2"),
        ("ZRANGEBYSCORE", "z", "x", "2"), ("ZRANGEBYSCORE", "z", "((1", "2"), ("ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"),
        ("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"), ("ZCOUNT", "z", "2", "4"), ("ZCOUNT", "z", "(2", "(4"),
        ("ZCOUNT", "z", "-inf", "inf"), ("ZCOUNT", "missing", "0", "1"), ("ZCOUNT", "z", "a", "1"),
        ("ZRANGEBYSCORE", "missing", "x", "1"), ("ZRANGEBYSCORE", "z", "nan", "1"),
    ],
    "range_by_lex": [
        ("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa"), ("ZRANGEBYLEX", "z", "-", "+"),
        ("ZRANGEBYLEX", "z", "[b", "[d"), ("ZRANGEBYLEX", "z", "(b", "(d"), ("ZRANGEBYLEX", "z", "[a", "(b"),
        ("ZRANGEBYLEX", "z", "+", "-"), ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "2"), ("ZREVRANGEBYLEX", "z", "+", "-"),
        ("ZREVRANGEBYLEX", "z", "[d", "(a", "LIMIT", "0", "2"), ("ZRANGE", "z", "[b", "[d", "BYLEX"),
        ("ZRANGE", "z", "[d", "[b", "BYLEX", "REV"), ("ZRANGEBYLEX", "z", "b", "d"), ("ZRANGEBYLEX", "z", "[b", "d"),
        ("ZLEXCOUNT", "z", "-", "+"), ("ZLEXCOUNT", "z", "[aa", "(c"), ("ZLEXCOUNT", "z", "x", "+"),
        ("ZLEXCOUNT", "missing", "-", "+"), ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), ("ZRANGEBYLEX", "z", "[", "[b"),
    ],
    "remove_ranges": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("ZREMRANGEBYRANK", "z", "0", "0"),
        ("ZREMRANGEBYRANK", "z", "-1", "-1"), ("ZRANGE", "z", "0", "-1"), ("ZREMRANGEBYSCORE", "z", "(2", "3"),
        ("ZRANGE", "z", "0", "-1"), ("ZREMRANGEBYLEX", "z", "-", "+"), ("EXISTS", "z"),
        ("ZREMRANGEBYRANK", "missing", "0", "1"), ("ZREMRANGEBYSCORE", "z", "x", "1"), ("ZREMRANGEBYLEX", "z", "x", "y"),
    ],
    "pop_random": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "5"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "missing", "2"), ("ZPOPMIN", "z", "-1"), ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", "1", "2"),
        ("ZADD", "y", "1", "x"), ("ZPOPMAX", "y", "0"), ("BZPOPMIN", "y", "0"), ("BZPOPMAX", "missing", "0.01"),
        ("ZADD", "one", "7", "m"), ("ZRANDMEMBER", "one"), ("ZRANDMEMBER", "one", "3", "WITHSCORES"),
        ("ZRANDMEMBER", "one", "-2", "WITHSCORES"), ("ZRANDMEMBER", "one", "0"), ("ZRANDMEMBER", "missing"),
        ("ZRANDMEMBER", "missing", "2"), ("ZRANDMEMBER", "one", "1", "FOO"), ("ZRANDMEMBER", "one", "x"),
    ],
    "store_and_wrongtype": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZRANGESTORE", "dst", "z", "0", "1"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "1"), ("ZRANGE", "dst", "0", "-1"),
        ("ZRANGESTORE", "dst", "missing", "0", "-1"), ("EXISTS", "dst"), ("ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"),
        ("SET", "s", "v"), ("ZADD", "s", "1", "a"), ("ZRANGE", "s", "0", "1"), ("ZSCORE", "s", "a"), ("ZCARD", "s"),
        ("ZRANGESTORE", "s", "z", "0", "0"), ("TYPE", "s"), ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "MATCH", "a"),
    ],
}


#: ZRANGESTORE in every form (by rank, BYSCORE, BYLEX, REV, LIMIT), empty results deleting the
#: destination, and each error.
ZRANGESTORE_FORMS = [
    ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
    ("ZADD", "lz", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"), ("SET", "s", "x"),
    ("ZRANGESTORE", "dst", "z", "0", "-1"), ("ZRANGESTORE", "dst", "z", "1", "2", "REV"),
    ("ZRANGESTORE", "dst", "z", "2", "1"), ("ZRANGESTORE", "dst", "z", "0", "-1", "BYSCORE"),
    ("ZRANGESTORE", "dst", "z", "(1", "4", "BYSCORE"), ("ZRANGESTORE", "dst", "z", "4", "(1", "BYSCORE", "REV"),
    ("ZRANGESTORE", "dst", "z", "(1", "4", "BYSCORE", "REV"),
    ("ZRANGESTORE", "dst", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"),
    ("ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"),
    ("ZRANGESTORE", "dst", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"),
    ("ZRANGESTORE", "dst", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"),
    ("ZRANGESTORE", "dst", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "10", "2"),
    ("ZRANGESTORE", "dst", "z", "6", "7", "BYSCORE"), ("EXISTS", "dst"),
    ("ZRANGESTORE", "dst", "lz", "-", "+", "BYLEX"), ("ZRANGESTORE", "dst", "lz", "[b", "(d", "BYLEX"),
    ("ZRANGESTORE", "dst", "lz", "(d", "[b", "BYLEX", "REV"),
    ("ZRANGESTORE", "dst", "lz", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"),
    ("ZRANGESTORE", "dst", "lz", "-", "+", "BYLEX", "LIMIT", "0", "0"), ("EXISTS", "dst"),
    ("ZRANGESTORE", "dst", "lz", "a", "b", "BYLEX"), ("ZRANGESTORE", "dst", "z", "a", "b", "BYSCORE"),
    ("ZRANGESTORE", "dst", "z", "0", "1", "LIMIT", "0", "1"),
    ("ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"),
    ("ZRANGESTORE", "dst", "z", "0", "1", "BYSCORE", "BYLEX"),
    ("ZRANGESTORE", "dst", "z", "0", "1", "BYLEX", "BYSCORE"),
    ("ZRANGESTORE", "dst", "z", "0", "1", "REV", "REV"), ("ZRANGESTORE", "dst", "z", "0", "1", "LIMIT", "0"),
    ("ZRANGESTORE", "dst", "z", "0", "1", "FOO"), ("ZRANGESTORE", "dst", "z", "x", "1"),
    ("ZRANGESTORE", "dst", "s", "0", "1"), ("ZRANGESTORE", "s", "z", "0", "1"), ("TYPE", "s"),
    ("ZRANGESTORE", "dst", "missing", "0", "-1"), ("EXISTS", "dst"), ("SET", "dst", "v"),
    ("ZRANGESTORE", "dst", "z", "0", "0"), ("TYPE", "dst"), ("ZRANGESTORE", "dst", "z", "5", "9"),
    ("EXISTS", "dst"), ("ZRANGESTORE", "dst", "z"), ("ZRANGESTORE", "z", "z", "1", "2"),
    ("ZRANGE", "z", "0", "-1", "withscores"),
    ("ZRANGESTORE", "dst", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "1", "LIMIT", "1", "1"),
    ("ZRANGESTORE", "dst", "lz", "[a", "[c", "BYLEX", "LIMIT", "1", "10", "WITHSCORES"),
    ("ZRANGESTORE", "dst", "z", "1", "inf", "BYSCORE", "limit", "0", "9223372036854775807"),
    ("ZRANGESTORE", "dst", "lz", "-", "+", "bylex", "rev"), ("ZRANGESTORE", "dst", "z", "-1", "-100"),
    ("ZRANGESTORE", "dst", "z", "-100", "100"), ("ZRANGE", "dst", "0", "-1", "withscores"), ("DEBUG", "DIGEST"),
]


def test_zrangestore_forms_match_redis(diff):
    for command in ZRANGESTORE_FORMS:
        diff.check(*command)
        if command[0] == "ZRANGESTORE":
            diff.check("ZRANGE", command[1], "0", "-1", "WITHSCORES")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_zset_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def test_random_scores_keep_redis_order(diff):
    rng = random.Random(7)
    args = []
    for n in range(300):
        score = rng.choice([rng.uniform(-1e6, 1e6), rng.randint(-5, 5), 0.0, float("inf"), -float("inf"), 1e-300])
        args += [repr(score), f"m{n % 250}"]
    diff.check("ZADD", "z", *args)
    diff.check("ZRANGE", "z", "0", "-1", "WITHSCORES")
    for _ in range(30):
        low, high = sorted(rng.uniform(-1e6, 1e6) for _ in range(2))
        diff.check("ZRANGEBYSCORE", "z", repr(low), repr(high), "WITHSCORES")
        diff.check("ZCOUNT", "z", f"({low!r}", repr(high))
        member = f"m{rng.randrange(260)}"
        diff.check("ZRANK", "z", member)
        diff.check("ZREVRANK", "z", member)
        start, stop = rng.randint(-300, 300), rng.randint(-300, 300)
        diff.check("ZRANGE", "z", str(start), str(stop))
        diff.check("ZREVRANGE", "z", str(start), str(stop), "WITHSCORES")


def test_bzpopmin_wakes_on_zadd(pika_server):
    waiter = RawConnection(pika_server.port)
    waiter.send_raw(b"*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzq\r\n$1\r\n0\r\n")
    wait_until(lambda: int(pika_server.client().info("clients")["blocked_clients"]) == 1, what="block")
    pika_server.client().zadd("zq", {"low": 1, "high": 2})
    assert waiter.read_reply() == [b"zq", b"low", b"1"]
    waiter.close()


ALGEBRA = [
    ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZADD", "b", "10", "y", "20", "z", "30", "w"), ("SADD", "s", "x", "w", "q"),
    ("ZUNIONSTORE", "u", "2", "a", "b"), ("ZRANGE", "u", "0", "-1", "WITHSCORES"),
    ("ZUNIONSTORE", "u", "3", "a", "b", "s", "WEIGHTS", "1", "2", "3", "AGGREGATE", "MAX"), ("ZRANGE", "u", "0", "-1", "WITHSCORES"),
    ("ZINTERSTORE", "i", "2", "a", "b", "AGGREGATE", "MIN"), ("ZRANGE", "i", "0", "-1", "WITHSCORES"),
    ("ZINTERSTORE", "i", "2", "a", "missing"), ("EXISTS", "i"), ("ZUNION", "2", "a", "b", "WITHSCORES"),
    ("ZINTER", "2", "a", "s", "WITHSCORES"), ("ZDIFF", "2", "a", "b"), ("ZDIFF", "2", "a", "b", "WITHSCORES"),
    ("ZDIFFSTORE", "d", "2", "b", "a"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"), ("ZUNION", "0", "a"),
    ("ZUNION", "3", "a", "b"), ("ZUNION", "x", "a"), ("ZUNIONSTORE", "u", "1", "a", "WEIGHTS", "x"),
    ("ZUNIONSTORE", "u", "1", "a", "AGGREGATE", "AVG"), ("ZUNIONSTORE", "u", "1", "a", "WITHSCORES"),
    ("ZDIFF", "1", "a", "WEIGHTS", "2"), ("SET", "str", "v"), ("ZUNION", "2", "a", "str"), ("ZUNIONSTORE", "u", "1", "str"),
    ("ZADD", "inf", "inf", "x"), ("ZADD", "ninf", "-inf", "x"), ("ZUNION", "2", "inf", "ninf", "WITHSCORES"),
    ("ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"), ("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("ZINTERCARD", "0", "a"), ("ZINTERCARD", "3", "a", "b"), ("ZINTERCARD", "1", "a", "LIMIT", "-1"),
    ("ZINTERCARD", "1", "a", "FOO", "1"), ("ZINTERCARD", "2", "a", "str"),
]


def test_zset_algebra_matches_redis(diff):
    diff.check_all(ALGEBRA)
