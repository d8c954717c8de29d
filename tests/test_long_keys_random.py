"""Long and short keys and members sharing prefixes past the 495-byte cut, chosen by
hypothesis, against redis-server: every ordered reply (ZRANGE ties, ZRANGEBYLEX, SORT ALPHA,
PKSCANRANGE's order as a sorted KEYS) and every SCAN-family union must be Redis' own."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import Differential

#: Prefix lengths on both sides of the cut (495) and of LMDB's limit (511, 503 for members).
PREFIXES = [0, 1, 486, 487, 494, 495, 496, 503, 504, 511, 512, 600]

names = st.builds(lambda size, tail: b"p" * size + tail, st.sampled_from(PREFIXES), st.binary(max_size=6))
members = st.lists(st.tuples(names, st.sampled_from([0, 1, 2])), min_size=1, max_size=25,
                   unique_by=lambda pair: pair[0])


def scan_union(connection, command: str, *key: str) -> list[bytes]:
    """Everything a full iteration with COUNT 2 returns, sorted (Redis' order is its own)."""
    seen: list[bytes] = []
    cursor = b"0"
    while True:
        cursor, page = connection.call(command, *key, cursor, "COUNT", 2)
        seen += page
        if cursor == b"0":
            return sorted(seen)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=members, bounds=st.tuples(names, names, st.sampled_from("[("), st.sampled_from("[(")))
def test_ordered_replies_with_long_names_match_redis(diff: Differential, pairs, bounds):
    # The collections' names are longer than a generated name without its "p" prefix (6 bytes at
    # most) and do not start with "p": a SET of a member never overwrites one of them.
    diff.both("FLUSHALL")
    for member, score in pairs:
        diff.check("ZADD", "zset-score", score, member)
        diff.check("ZADD", "zset-lex", 0, member)
        diff.check("SADD", "set-members", member)
        diff.check("HSET", "hash-fields", member, score)
        diff.check("SET", member, score)
    diff.check("ZRANGE", "zset-score", 0, -1, "WITHSCORES")
    diff.check("ZRANGE", "zset-lex", 0, -1)
    low, high, low_kind, high_kind = bounds
    low, high = sorted((low, high))
    diff.check("ZRANGEBYLEX", "zset-lex", low_kind.encode() + low, high_kind.encode() + high)
    diff.check("ZREVRANGEBYLEX", "zset-lex", high_kind.encode() + high, low_kind.encode() + low)
    diff.check("ZLEXCOUNT", "zset-lex", low_kind.encode() + low, high_kind.encode() + high)
    for member, _score in pairs[:3]:
        diff.check("ZRANK", "zset-score", member)
        diff.check("ZSCORE", "zset-score", member)
        diff.check("SISMEMBER", "set-members", member)
        diff.check("HGET", "hash-fields", member)
    # SORT ALPHA compares with strcoll, which stops at a NUL: NUL-free members only
    diff.check("SADD", "set-alpha", *(member for member, _score in pairs if b"\x00" not in member) or [b"x"])
    diff.check("SORT", "set-alpha", "ALPHA")
    diff.check("SORT", "zset-score", "BY", "nosort")  # a zset's own order
    diff.check("KEYS", "*")
    diff.check("DBSIZE")
    for command in (("SCAN",), ("SSCAN", "set-members"), ("HSCAN", "hash-fields"), ("ZSCAN", "zset-lex")):
        expected, actual = scan_union(diff.redis, *command), scan_union(diff.pika, *command)
        assert actual == expected, command
    diff.check("ZREMRANGEBYLEX", "zset-lex", low_kind.encode() + low, high_kind.encode() + high)
    diff.check("ZRANGE", "zset-lex", 0, -1)
