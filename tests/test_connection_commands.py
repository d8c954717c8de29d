"""Connection commands and RESP3, compared with a real redis-server."""

from __future__ import annotations

from .support import Map3, Null3


def test_ping_echo_select_match_redis(diff):
    diff.check("PING")
    diff.check("PING", "hello")
    diff.check("ECHO", "x")
    diff.check("SELECT", "15")
    diff.check("SELECT", "16")
    diff.check("SELECT", "-1")
    diff.check("SELECT", "0")


def test_resp3_replies_match_redis(diff):
    redis3, pika3 = diff.both("HELLO", "3")
    assert type(redis3) is Map3 and type(pika3) is Map3
    assert [key for key, _value in pika3] == [key for key, _value in redis3]
    assert dict(pika3)[b"proto"] == 3
    diff.check("GET", "missing")            # _ in RESP3
    diff.check("SET", "k", "v")
    diff.check("MGET", "k", "missing")
    diff.check("CONFIG", "GET", "maxclients")  # a map
    diff.check("INCRBYFLOAT", "f", "1.5")      # still a bulk string, as in Redis
    diff.check("HELLO", "2", normalize=lambda reply: reply[:7] + reply[8:])  # all but the client id
    diff.check("GET", "missing")            # back to $-1
    assert diff.pika.call("GET", "missing") is None and Null3() != None  # noqa: E711
