"""Client-side caching (CLIENT TRACKING and friends) against a real redis-server: every option
and error, the invalidation messages each write sends and where they land relative to the
replies (compared in order, up to a PING that fences each exchange), RESP3 pushes and RESP2
redirection, BCAST, OPTIN/OPTOUT, NOLOOP, flushes; then what only a test of ours can show:
INFO's counters and the table limit, a slave's and the active expiry's invalidations, and
redis-py's own client-side cache working against pypika-store."""

from __future__ import annotations

from typing import Any, Callable

import pytest
import redis
from redis.cache import CacheConfig
from redis.connection import CacheProxyConnection

from pypika_store.testing import PikaGroup, PikaServer

from .pairs import opened_pairs
from .support import Differential, Null3, Push3, RawConnection, Stat, encode_command, wait_until

pytestmark = pytest.mark.redis_server

SIDES = ("redis", "pika")


@pytest.fixture
def pairs(real_redis, pika_server):
    """Connection pairs; both servers flushed afterwards."""
    yield from opened_pairs(real_redis.port, pika_server.port)
    for port in (real_redis.port, pika_server.port):
        probe = RawConnection(port)
        probe.call("FLUSHALL")
        probe.close()


def _is_fence(reply: Any) -> bool:
    return reply == Stat("PONG") or reply == [b"pong", b""]


def fenced(connection: RawConnection, *commands: tuple) -> list:
    """Send ``commands`` and a PING in one write; everything that came back before PING's
    reply (replies and pushes, in order)."""
    connection.send_raw(b"".join(encode_command(args) for args in (*commands, ("PING",))))
    received = []
    while not _is_fence(reply := connection.read_reply()):
        received.append(reply)
    return received


def _shape(items: list) -> list:
    """Replies with their types, so a push never passes for an array or a status for a bulk."""
    return [(type(item).__name__, _shape(item) if isinstance(item, list) else item) for item in items]


def exchange(pair: Differential, *commands: tuple, normalize: Callable[[list], list] = list) -> list:
    """``fenced`` on both servers; assert they sent the same, in the same order."""
    expected = normalize(fenced(pair.redis, *commands))
    actual = normalize(fenced(pair.pika, *commands))
    assert _shape(actual) == _shape(expected), f"{commands!r}: redis-server sent {expected!r}, we sent {actual!r}"
    return actual


def per_side(pair: Differential, build: Callable[[str], tuple]) -> list:
    """Run a command whose arguments differ per server (a client id) on both; same replies."""
    replies = [getattr(pair, side).call(*build(side)) for side in SIDES]
    assert replies[1] == replies[0] and type(replies[1]) is type(replies[0]), replies
    return replies[1]


def ids(pair: Differential) -> dict[str, int]:
    return {side: getattr(pair, side).call("CLIENT", "ID") for side in SIDES}


def invalidate(*keys: bytes | None) -> Push3:
    """A RESP3 invalidation of ``keys`` (``None``: of every key)."""
    return Push3([b"invalidate", Null3() if keys == (None,) else list(keys)])


# -- options and errors ------------------------------------------------------------------------


def test_tracking_option_errors_match_redis(pairs):
    pair = pairs()
    for args in [(), ("maybe",), ("on", "REDIRECT"), ("off", "PREFIX", "x"), ("off", "bogus"), ("on", "bogus"),
                 ("off", "REDIRECT", "x"), ("on", "REDIRECT", "0"), ("on", "REDIRECT", "-1"),
                 ("on", "redirect", "999999"), ("on", "REDIRECT", "1.5"), ("on", "PREFIX", "a"),
                 ("on", "OPTIN", "OPTOUT"), ("on", "BCAST", "OPTIN"), ("on", "bcast", "optout"),
                 ("on", "BCAST", "PREFIX", "a", "PREFIX", "ab"), ("on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
                 ("on", "BCAST", "PREFIX", "a\0b", "PREFIX", "a"), ("on", "PREFIX")]:
        pair.check("CLIENT", "TRACKING", *args)
    for args in [("YES",), ("maybe",), (), ("yes", "no")]:
        pair.check("CLIENT", "CACHING", *args)
    pair.check("CLIENT", "TRACKINGINFO")
    pair.check("CLIENT", "GETREDIR")
    own = ids(pair)
    per_side(pair, lambda side: ("CLIENT", "TRACKING", "on", "REDIRECT", own[side], "REDIRECT", own[side]))


def test_tracking_mode_switches_match_redis(pairs):
    pair = pairs()
    for args in [("CLIENT", "TRACKING", "on"), ("CLIENT", "CACHING", "yes"), ("CLIENT", "CACHING", "no"),
                 ("CLIENT", "CACHING", "maybe"), ("CLIENT", "TRACKING", "on", "BCAST"),
                 ("CLIENT", "TRACKING", "on", "OPTIN"), ("CLIENT", "TRACKING", "on", "OPTOUT"),
                 ("CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"), ("CLIENT", "CACHING", "no"),
                 ("CLIENT", "TRACKINGINFO"), ("CLIENT", "CACHING", "YES"), ("CLIENT", "TRACKINGINFO"),
                 ("CLIENT", "GETREDIR"), ("CLIENT", "TRACKING", "off"), ("CLIENT", "TRACKINGINFO"),
                 ("CLIENT", "GETREDIR"), ("CLIENT", "TRACKING", "off"),
                 ("CLIENT", "TRACKING", "on", "OPTOUT"), ("CLIENT", "CACHING", "no"), ("CLIENT", "TRACKINGINFO"),
                 ("CLIENT", "TRACKING", "on", "OPTIN"), ("CLIENT", "TRACKING", "off"),
                 ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a"), ("CLIENT", "TRACKINGINFO"),
                 ("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab"), ("CLIENT", "TRACKING", "on", "BCAST",
                                                                       "PREFIX", "c"),
                 ("CLIENT", "TRACKING", "on", "BCAST"), ("CLIENT", "TRACKINGINFO"), ("CLIENT", "TRACKING", "on"),
                 ("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"), ("CLIENT", "TRACKINGINFO"),
                 ("CLIENT", "TRACKING", "off"), ("CLIENT", "TRACKINGINFO")]:
        pair.check(*args)
    pair.both("HELLO", "3")
    raw_exchange(pair, "CLIENT", "TRACKINGINFO")  # a map and a set in RESP3
    pair.check("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x")
    raw_exchange(pair, "CLIENT", "TRACKINGINFO")
    pair.check("RESET")  # tracking off, back to RESP2
    pair.check("CLIENT", "TRACKINGINFO")
    pair.check("CLIENT", "GETREDIR")


def raw_exchange(pair: Differential, *args: Any) -> bytes:
    """The bytes each server answers ``args`` with (RESP3 types our test client does not read),
    up to a PING's +PONG; assert they are the same."""
    answers = []
    for side in SIDES:
        connection = getattr(pair, side)
        connection.send_raw(encode_command(args) + encode_command(("PING",)))
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            data += connection.sock.recv(1 << 16)
        answers.append(data)
    assert answers[1] == answers[0]
    return answers[1]


def _client_fields(admin: Differential, client_ids: dict[str, int]) -> dict[str, dict[str, str]]:
    fields = {}
    for side in SIDES:
        line = getattr(admin, side).call("CLIENT", "LIST", "ID", client_ids[side]).decode()
        fields[side] = {key: value for key, value in (item.split("=", 1) for item in line.split())
                        if key in ("flags", "redir")}
    return fields


def test_client_list_shows_tracking_flags_and_redirect_as_redis(pairs):
    tracker, receiver, admin = pairs(resp3=True), pairs(), pairs()
    tracker_ids, receiver_ids = ids(tracker), ids(receiver)
    fields = _client_fields(admin, tracker_ids)
    assert fields["pika"] == fields["redis"] == {"flags": "N", "redir": "-1"}
    tracker.check("CLIENT", "TRACKING", "on")
    fields = _client_fields(admin, tracker_ids)
    assert fields["pika"] == fields["redis"] == {"flags": "t", "redir": "0"}
    tracker.check("CLIENT", "TRACKING", "off")
    per_side(tracker, lambda side: ("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", receiver_ids[side]))
    fields = _client_fields(admin, tracker_ids)
    assert fields["pika"]["flags"] == fields["redis"]["flags"] == "tB"
    assert fields["pika"]["redir"] == str(receiver_ids["pika"])
    receiver.close()
    for side in SIDES:
        wait_until(lambda: getattr(admin, side).call("CLIENT", "LIST", "ID", receiver_ids[side]) == b"",
                   what="the redirect client to go")
    admin.check("SET", "anything", "1")
    for side in SIDES:
        assert fenced(getattr(tracker, side)) == [Push3([b"tracking-redir-broken", receiver_ids[side]])]
    fields = _client_fields(admin, tracker_ids)
    assert fields["pika"]["flags"] == fields["redis"]["flags"] == "tRB"


# -- default mode ---------------------------------------------------------------------------


def test_default_mode_invalidations_follow_the_reply_as_in_redis(pairs):
    tracker = pairs(resp3=True)
    tracker.check("CLIENT", "TRACKING", "on")
    exchange(tracker, ("GET", "k"), ("SET", "k", "v"))
    assert exchange(tracker, ("GET", "k"), ("GET", "k2"), ("MSET", "k", "1", "k2", "2"))[2:] == [
        Stat("OK"), invalidate(b"k"), invalidate(b"k2")]
    # In a transaction the invalidations wait for EXEC's reply; the GET after SET tracks k again.
    exchange(tracker, ("GET", "k"), ("MULTI",), ("SET", "k", "3"), ("GET", "k"), ("EXEC",))
    exchange(tracker, ("SET", "k", "4"))
    exchange(tracker, ("SET", "k", "5"))  # no longer tracked: nothing
    exchange(tracker, ("MGET", "a", "b", "c"), ("DEL", "a", "c", "missing"))
    exchange(tracker, ("SETNX", "b", "x"), ("SETNX", "b", "y"), ("GET", "b"), ("SETNX", "b", "z"))
    exchange(tracker, ("GET", "b"), ("EXPIRE", "b", "100"), ("GET", "b"), ("PERSIST", "b"), ("PERSIST", "b"))
    # RENAME: Redis invalidates the source, then the target; our change notes come target first.
    exchange(tracker, ("STRLEN", "b"), ("GET", "c"), ("RENAME", "b", "c"), normalize=sorted_pushes)
    exchange(tracker, ("HSET", "h", "f", "v"), ("HGET", "h", "f"), ("HSET", "h", "g", "w"), ("HSET", "h", "g", "w"))
    exchange(tracker, ("RPUSH", "l", "1"), ("LRANGE", "l", "0", "-1"), ("GET", "l"), ("LPUSH", "l", "0"))
    exchange(tracker, ("SADD", "s", "m"), ("SCARD", "s"), ("SREM", "s", "m"))
    exchange(tracker, ("ZADD", "z", "1", "m"), ("ZSCORE", "z", "m"), ("ZINCRBY", "z", "1", "m"))
    exchange(tracker, ("EXISTS", "e"), ("TYPE", "e"), ("SET", "e", "1"))
    # Keys are not per DB: the same name written in another DB is invalidated.
    exchange(tracker, ("GET", "shared"), ("SELECT", "1"), ("SET", "shared", "in db 1"), ("SELECT", "0"))
    exchange(tracker, ("GET", "k"), ("FLUSHALL",))
    exchange(tracker, ("GET", "k"), ("FLUSHDB",), ("SET", "k", "6"))  # the flush emptied the table
    exchange(tracker, ("GET", "k"), ("SELECT", "9"), ("FLUSHDB",), ("SELECT", "0"))


def test_swapdb_invalidates_every_key_once(pairs):
    """Where we differ from Redis 7.0 on purpose: its SWAPDB sends no invalidation, though every
    key of both DBs may now hold another value (tracking's keys are not per DB); here it is a
    flush of both DBs to the tracking clients: one null invalidation."""
    tracker = pairs(resp3=True)
    tracker.check("CLIENT", "TRACKING", "on")
    tracker.check("SET", "k", "in db 0")
    tracker.check("GET", "k")
    assert fenced(tracker.pika, ("SWAPDB", "0", "1"), ("GET", "k")) == [Stat("OK"), invalidate(None), Null3()]
    assert fenced(tracker.redis, ("SWAPDB", "0", "1"), ("GET", "k")) == [Stat("OK"), Null3()]


def test_invalidations_are_pushed_even_under_client_reply_off(pairs):
    tracker = pairs(resp3=True)
    tracker.check("CLIENT", "TRACKING", "on")
    tracker.check("GET", "k")
    assert exchange(tracker, ("CLIENT", "REPLY", "OFF"), ("SET", "k", "v"), ("CLIENT", "REPLY", "ON")) == [
        invalidate(b"k"), Stat("OK")]


def test_other_clients_writes_and_noloop_match_redis(pairs):
    tracker, writer = pairs(resp3=True), pairs()
    tracker.check("CLIENT", "TRACKING", "on", "NOLOOP")
    exchange(tracker, ("GET", "mine"), ("GET", "theirs"), ("SET", "mine", "1"))  # no message: NOLOOP
    writer.check("SET", "theirs", "1")
    writer.check("SET", "mine", "2")
    # Its own write was not sent, but forgot "mine" all the same (as in Redis).
    assert exchange(tracker) == [invalidate(b"theirs")]
    tracker.check("CLIENT", "TRACKING", "on")  # NOLOOP off again
    exchange(tracker, ("GET", "mine"), ("INCR", "mine"))
    writer.check("MSET", "mine", "1", "theirs", "2")
    assert exchange(tracker) == []
    # Turning tracking off does not empty the table: a key read before is dropped when it changes.
    exchange(tracker, ("GET", "mine"), ("CLIENT", "TRACKING", "off"), ("SET", "mine", "3"),
             ("CLIENT", "TRACKING", "on"), ("SET", "mine", "4"))


def test_a_blocked_read_is_remembered_when_it_blocks_only(pairs):
    """XREAD BLOCK remembers its stream when it blocks; served later, it is not remembered again."""
    tracker, writer = pairs(resp3=True), pairs()
    tracker.check("CLIENT", "TRACKING", "on")
    for side in SIDES:
        getattr(tracker, side).send_raw(encode_command(("XREAD", "BLOCK", "0", "STREAMS", "s", "$")))
    for side in SIDES:
        wait_until(lambda: b"cmd=xread" in getattr(writer, side).call("CLIENT", "LIST"), what="the XREAD to block")
    writer.check("XADD", "s", "1-1", "f", "v")
    assert exchange(tracker)[0] == invalidate(b"s")  # then XREAD's reply
    writer.check("XADD", "s", "1-2", "f", "v")
    assert exchange(tracker) == []


def test_resp2_tracking_without_redirect_sends_nothing(pairs):
    tracker = pairs()
    tracker.check("CLIENT", "TRACKING", "on")
    exchange(tracker, ("GET", "k"), ("SET", "k", "v"), ("GET", "k"), ("FLUSHALL",))


def test_redirect_to_a_resp2_subscriber_and_to_a_resp3_client_match_redis(pairs):
    receiver, tracker, writer = pairs(), pairs(), pairs()
    receiver_ids = ids(receiver)
    per_side(tracker, lambda side: ("CLIENT", "TRACKING", "on", "REDIRECT", receiver_ids[side]))
    for side in SIDES:
        assert getattr(tracker, side).call("CLIENT", "GETREDIR") == receiver_ids[side]
    tracker.check("GET", "k")
    writer.check("SET", "k", "v")
    exchange(receiver)  # not subscribed: a RESP2 receiver cannot be told
    tracker.check("GET", "k")
    receiver.check("SUBSCRIBE", "__redis__:invalidate")
    writer.check("SET", "k", "w")
    assert exchange(receiver) == [[b"message", b"__redis__:invalidate", [b"k"]]]
    tracker.check("GET", "k")
    writer.check("FLUSHALL")
    assert exchange(receiver) == [[b"message", b"__redis__:invalidate", None]]
    # A tracking client's own write, redirected: sent once its command is over.
    exchange(tracker, ("GET", "k"), ("SET", "k", "x"))
    assert exchange(receiver) == [[b"message", b"__redis__:invalidate", [b"k"]]]
    receiver.check("UNSUBSCRIBE")
    receiver.both("HELLO", "3")
    tracker.check("GET", "k")
    writer.check("DEL", "k")
    assert exchange(receiver) == [invalidate(b"k")]


def test_a_resp2_client_redirecting_to_itself_gets_messages_once_subscribed(pairs):
    tracker, writer = pairs(), pairs()
    own = ids(tracker)
    per_side(tracker, lambda side: ("CLIENT", "TRACKING", "on", "REDIRECT", own[side]))
    tracker.check("GET", "k")
    tracker.check("SUBSCRIBE", "anything")
    writer.check("SET", "k", "v")
    assert exchange(tracker) == [[b"message", b"__redis__:invalidate", [b"k"]]]


def test_broken_redirect_is_reported_to_a_resp3_tracking_client(pairs):
    receiver, tracker, writer, admin = pairs(), pairs(resp3=True), pairs(), pairs()
    receiver_ids = ids(receiver)
    per_side(tracker, lambda side: ("CLIENT", "TRACKING", "on", "REDIRECT", receiver_ids[side]))
    tracker.check("GET", "k")
    receiver.close()
    for side in SIDES:
        wait_until(lambda: getattr(admin, side).call("CLIENT", "LIST", "ID", receiver_ids[side]) == b"",
                   what="the redirect client to go")
    writer.check("SET", "k", "v")
    messages = {side: fenced(getattr(tracker, side)) for side in SIDES}
    for side in SIDES:
        assert messages[side] == [Push3([b"tracking-redir-broken", receiver_ids[side]])]
    tracker.both("HELLO", "2")
    tracker.check("CLIENT", "TRACKINGINFO", normalize=lambda info: info[:3] + info[4:])  # all but the id
    for side in SIDES:
        assert getattr(tracker, side).call("CLIENT", "GETREDIR") == receiver_ids[side]


# -- BCAST, OPTIN, OPTOUT --------------------------------------------------------------------


def test_bcast_prefixes_and_noloop_match_redis(pairs):
    tracker, other, writer = pairs(resp3=True), pairs(resp3=True), pairs()
    tracker.check("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:")
    other.check("CLIENT", "TRACKING", "on", "BCAST")  # every key
    writer.check("MSET", "user:2", "a", "obj:1", "b", "misc", "c", "user:1", "d")
    assert exchange(tracker) == [invalidate(b"obj:1"), invalidate(b"user:1", b"user:2")]
    exchange(other)
    writer.check("GET", "user:1")  # reads send nothing
    exchange(tracker, ("SET", "user:3", "x"))
    exchange(other)
    tracker.check("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")  # adds the prefix "" as well
    exchange(tracker, ("SET", "user:4", "mine"), ("DEL", "misc"))  # its own writes: nothing
    writer.check("SET", "misc", "theirs")
    exchange(tracker)
    exchange(other, normalize=sorted_pushes)
    writer.check("FLUSHALL")
    exchange(tracker)
    exchange(other)


def sorted_pushes(replies: list) -> list:
    return sorted(replies, key=repr)


def test_optin_and_optout_follow_client_caching_as_redis(pairs):
    tracker, writer = pairs(resp3=True), pairs()
    tracker.check("CLIENT", "TRACKING", "on", "OPTIN")
    tracker.check("GET", "a")  # not remembered
    tracker.check("CLIENT", "CACHING", "yes")
    tracker.check("GET", "b")
    tracker.check("GET", "c")  # CACHING YES was for one command
    writer.check("MSET", "a", "1", "b", "2", "c", "3")
    assert exchange(tracker) == [invalidate(b"b")]
    # CLIENT subcommands keep the flag for the next command; a transaction is one command.
    exchange(tracker, ("CLIENT", "CACHING", "yes"), ("CLIENT", "ID"), ("GET", "a"),
             normalize=lambda replies: [replies[0], replies[2]])
    exchange(tracker, ("CLIENT", "CACHING", "yes"), ("MULTI",), ("GET", "b"), ("GET", "c"), ("EXEC",), ("GET", "d"))
    writer.check("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
    exchange(tracker, normalize=sorted_pushes)
    tracker.check("CLIENT", "TRACKING", "off")
    tracker.check("CLIENT", "TRACKING", "on", "OPTOUT")
    exchange(tracker, ("CLIENT", "CACHING", "no"), ("GET", "a"), ("GET", "b"))
    writer.check("MSET", "a", "1", "b", "2")
    assert exchange(tracker) == [invalidate(b"b")]


# -- what only we can show ------------------------------------------------------------------


def _tracking_info(connection: RawConnection) -> dict[str, int]:
    text = connection.call("INFO", "everything").decode()
    return {name: int(value) for name, value in (line.split(":", 1) for line in text.split("\r\n") if ":" in line)
            if name.startswith("tracking_")}


def test_info_counters_and_the_table_limit_match_redis(private_redis):
    with PikaServer() as server:
        pair = Differential(private_redis.port, server.port)
        second = Differential(private_redis.port, server.port)
        broadcaster = Differential(private_redis.port, server.port)
        observer = Differential(private_redis.port, server.port)  # RESP2: INFO as a bulk string
        for each in (pair, second, broadcaster):
            each.both("HELLO", "3")
        pair.check("CLIENT", "TRACKING", "on")
        second.check("CLIENT", "TRACKING", "on")
        broadcaster.check("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "q:")
        pair.check("MGET", "a", "b", "c")
        second.check("GET", "a")
        info = _tracking_info(observer.pika)
        assert info == _tracking_info(observer.redis) == {"tracking_clients": 3, "tracking_total_keys": 3,
                                                      "tracking_total_items": 4, "tracking_total_prefixes": 2}
        pair.check("CONFIG", "SET", "tracking-table-max-keys", "2")
        # Over the limit, keys are forgotten and invalidated for their clients (Redis picks them at
        # random, before the next command; we take the oldest, once the read is remembered).
        for side in SIDES:
            replies = fenced(getattr(pair, side), ("GET", "d")) + fenced(getattr(second, side))
            pushes = [reply for reply in replies if type(reply) is Push3]
            assert replies.count(Null3()) == 1 and len(pushes) == len(replies) - 1 >= 2, (side, replies)
            assert all(push[0] == b"invalidate" and len(push[1]) == 1 for push in pushes)
        assert _tracking_info(observer.pika)["tracking_total_keys"] == _tracking_info(observer.redis)["tracking_total_keys"] == 2
        pair.check("CONFIG", "SET", "tracking-table-max-keys", "0")
        pair.check("FLUSHALL")
        second.check("RESET")
        broadcaster.close()
        wait_until(lambda: _tracking_info(observer.pika)["tracking_clients"] == 1, what="the BCAST client to go")
        wait_until(lambda: _tracking_info(observer.redis)["tracking_clients"] == 1, what="the BCAST client to go")
        assert _tracking_info(observer.pika) == _tracking_info(observer.redis) == {
            "tracking_clients": 1, "tracking_total_keys": 0, "tracking_total_items": 0, "tracking_total_prefixes": 0}
        for each in (pair, second, observer):
            each.close()


def test_a_slave_invalidates_what_its_master_changes_and_a_full_sync_invalidates_all():
    with PikaGroup(slaves=1) as group:
        master, slave = group.master, group.slaves[0]
        group.wait_synced()
        master.client().set("k", "1")
        group.wait_synced()
        tracker = RawConnection(slave.port)
        tracker.call("HELLO", "3")
        tracker.call("CLIENT", "TRACKING", "on")
        assert tracker.call("GET", "k") == b"1"
        master.client().set("k", "2")
        assert tracker.read_reply() == invalidate(b"k")
        assert tracker.call("GET", "k") == b"2"
        master.client().flushall()
        assert tracker.read_reply() == invalidate(None)
        master.client().set("k", "3")
        group.wait_synced()
        assert tracker.call("GET", "k") == b"3"
        slave.client().execute_command("SLAVEOF", "127.0.0.1", master.port, "FORCE")  # a full sync
        assert tracker.read_reply() == invalidate(None)  # the loaded snapshot replaced every key
        tracker.close()


def test_active_expiry_invalidates(pika_server):
    tracker = RawConnection(pika_server.port)
    tracker.call("HELLO", "3")
    tracker.call("CLIENT", "TRACKING", "on")
    writer = pika_server.client()
    writer.set("short-lived", "v", px=50)
    assert tracker.call("GET", "short-lived") == b"v"
    assert tracker.read_reply() == invalidate(b"short-lived")  # the expiry cycle deleted it
    assert writer.exists("short-lived") == 0
    tracker.close()
    writer.close()


def test_redis_py_client_side_cache_is_invalidated_by_another_client(pika_server, monkeypatch):
    """redis-py's cache (RESP3, CLIENT TRACKING ON) refuses servers that say they are older
    than Redis 7.4, as this one does (7.0.15): the check is lowered, nothing else."""
    monkeypatch.setattr(CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")
    cached = redis.Redis(port=pika_server.port, protocol=3, cache_config=CacheConfig())
    writer = pika_server.client()
    try:
        writer.set("cached", "1")
        assert cached.get("cached") == b"1"
        assert cached.get("cached") == b"1"
        assert cached.get_cache().size == 1
        writer.set("cached", "2")
        wait_until(lambda: cached.get("cached") == b"2", what="the cached read to be invalidated")
        writer.flushall()
        wait_until(lambda: cached.get("cached") is None, what="the flush to empty the cache")
    finally:
        cached.close()
        writer.close()


#: Commands a random sequence draws from ({k} is one of a few keys); reads and writes of every
#: kind the trackers may have cached (RENAME and SWAPDB are left out: see the notes above).
_READS = ["GET {k}", "MGET {k} {k}", "STRLEN {k}", "EXISTS {k}", "HGET {k} f", "LRANGE {k} 0 -1", "TYPE {k}"]
_WRITES = ["SET {k} v", "DEL {k}", "INCR {k}", "EXPIRE {k} 100", "PERSIST {k}", "HSET {k} f v", "LPUSH {k} x",
           "APPEND {k} x", "SETNX {k} v", "UNLINK {k} {k}", "GETDEL {k}"]


def test_random_reads_and_writes_send_what_redis_sends(pairs):
    """A fixed-seed random sequence over four clients (default mode, BCAST with prefixes and
    NOLOOP, OPTIN, and a plain writer), every client's messages compared after each step."""
    import random

    rng = random.Random(1207)
    default, bcast, optin, writer = pairs(resp3=True), pairs(resp3=True), pairs(resp3=True), pairs()
    default.check("CLIENT", "TRACKING", "on")
    bcast.check("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "a", "PREFIX", "b")
    optin.check("CLIENT", "TRACKING", "on", "OPTIN")
    keys = ["a1", "a2", "b1", "c1"]
    invalidations = 0
    for _step in range(300):
        client = rng.choice([default, bcast, optin, writer])
        template = rng.choice(_READS + _WRITES + (["FLUSHDB"] if rng.random() < 0.02 else []))
        command = tuple(template.format(k=rng.choice(keys)).split())
        commands = [command]
        if client is optin and rng.random() < 0.5:
            commands.insert(0, ("CLIENT", "CACHING", "yes"))
        received = exchange(client, *commands)
        for each in (default, bcast, optin):
            received += exchange(each, normalize=sorted_pushes)
        invalidations += sum(type(item) is Push3 for item in received)
    assert invalidations > 50, invalidations  # the sequence did exercise the messages (103 of them)
