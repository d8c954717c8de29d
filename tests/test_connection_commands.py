"""Connection commands (PING, ECHO, SELECT, HELLO, RESET) and RESP3, compared with a real redis-server."""

from __future__ import annotations

from pypika_store.testing import PikaServer

from .support import Err, Map3, Null3, RawConnection, Stat


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


def test_reset_matches_redis(diff):
    diff.check("RESET")
    diff.check("RESET", "x")
    diff.check("SELECT", "3")
    diff.check("CLIENT", "SETNAME", "named")
    diff.check("MULTI")
    diff.check("SET", "k", "v")
    diff.check("RESET")                      # leaves MULTI (not queued)
    diff.check("EXEC")
    diff.check("CLIENT", "GETNAME")
    diff.check("SET", "k", "in-db-0")
    diff.check("SELECT", "3")
    diff.check("GET", "k")                   # RESET went back to DB 0
    diff.check("SUBSCRIBE", "c")
    diff.check("RESET")                      # allowed while subscribed, no confirmations
    diff.check("PUBSUB", "NUMSUB", "c")
    diff.check("HELLO", "3", normalize=lambda reply: len(reply))
    diff.check("RESET")
    diff.check("GET", "missing")             # RESP2 again: $-1


def test_reset_unwatches_and_forgets_auth():
    with PikaServer(password="secret") as server:
        raw = RawConnection(server.port)
        assert raw.call("AUTH", "secret") == Stat("OK")
        assert raw.call("WATCH", "k") == Stat("OK")
        assert raw.call("RESET") == Stat("RESET")
        assert raw.call("GET", "k") == Err("NOAUTH Authentication required.")
        raw.call("AUTH", "secret")
        other = RawConnection(server.port)
        other.call("AUTH", "secret")
        other.call("SET", "k", "changed")
        raw.call("MULTI")
        raw.call("GET", "k")
        assert raw.call("EXEC") == [b"changed"]  # the WATCH before RESET no longer applies
        raw.close()
        other.close()


def test_lolwut_matches_redis(diff):
    for args in [(), ("x",), ("VERSION",), ("VERSION", "x"), ("VERSION", "1"), ("VERSION", "-3"), ("VERSION", "7"),
                 ("VERSION", "6", "x"), ("VERSION", "5", "x"), ("VERSION", "5", "10", "1", "1"),
                 ("VERSION", "5", "66", "8", "2"), ("VERSION", "5", "3", "1", "1"), ("VERSION", "5", "0", "0", "0"),
                 ("VERSION", "5", "40", "3", "2", "ignored")]:
        diff.check("LOLWUT", *args)
    redis_art, art = diff.both("LOLWUT", "VERSION", "5")  # rows after the second are random
    assert art.endswith(b"\n\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n")
    assert art.count(b"\n") == redis_art.count(b"\n")
