"""The plain forms the hot path reads at once (issue #16, round 4): ``ZADD key score member``
and ``HSET key field value``, compared reply by reply with redis-server, around the forms that
must still take the general reading (an option where the score would be, a score that is not
one, an odd number of arguments)."""

from __future__ import annotations

PLAIN_FORMS = [
    ("SET", "s", "v"),
    ("ZADD", "z", "1", "a"), ("ZADD", "z", "2.5", "a"), ("ZADD", "z", "-3", "b"), ("ZADD", "z", "+4", "c"),
    ("ZADD", "z", ".5", "d"), ("ZADD", "z", "+inf", "e"), ("ZADD", "z", "-inf", "f"), ("ZADD", "z", "inf", "g"),
    ("ZADD", "z", "-", "h"), ("ZADD", "z", "+", "h"), ("ZADD", "z", "", "h"), ("ZADD", "z", "1e400", "h"),
    ("ZADD", "z", "-1e400", "h"), ("ZADD", "z", "1x", "h"), ("ZADD", "z", "nan", "h"), ("ZADD", "z", "NX", "h"),
    ("ZADD", "z", "nx", "h"), ("ZADD", "z", "INCR", "h"), ("ZADD", "z", "CH", "h"), ("ZADD", "z", "0x1p3", "h"),
    ("ZADD", "s", "1", "a"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZCARD", "z"),
    ("HSET", "h", "f", "v"), ("HSET", "h", "f", "w"), ("HSET", "h", "g", ""), ("HSET", "h", "f", "v", "g"),
    ("HSET", "s", "f", "v"), ("HGETALL", "h"), ("HMSET", "h", "k", "1"), ("HSETNX", "h", "k", "2"), ("HGETALL", "h"),
]


def test_plain_forms_match_redis(diff):
    diff.check_all(PLAIN_FORMS)


def test_bulk_string_replies_at_and_past_the_header_table():
    """A bulk string reply is concatenated from a table of headers up to 1023 bytes, formatted past it."""
    from pypika_store.server.resp.replies import encode, encode3

    for value in (b"", b"x", b"\r\n", b"a" * 1023, b"b" * 1024, b"c" * 70000):
        assert encode(value) == encode3(value) == b"$%d\r\n%s\r\n" % (len(value), value)
