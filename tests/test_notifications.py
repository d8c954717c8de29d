"""Keyspace notifications against redis-server: the same commands on both servers must publish
the same messages, in the same order, for every command family and class-letter filter; lazy
and active expiry; MULTI (events before EXEC's reply, none for an aborted one); RESP3's push
form; a slave publishing the events of what it applies."""

from __future__ import annotations

import time

import pytest

from pypika_store.testing import PikaGroup

from .raw_replies import RawReplies
from .support import Err, Push3, RawConnection, encode_command, wait_until

#: A channel no keyspace event uses: its message marks the end of what a test published.
MARKER = "notifications-marker"


class EventFeed:
    """A client subscribed to every keyspace and keyevent channel (and to the marker)."""

    def __init__(self, port: int) -> None:
        self.connection = RawConnection(port)
        self.connection.call("PSUBSCRIBE", "__key*__:*")
        self.connection.call("SUBSCRIBE", MARKER)

    def until_marker(self) -> list[tuple[bytes, bytes]]:
        """``(channel, message)`` of each event published before the marker."""
        messages = []
        while True:
            message = self.connection.read_reply()
            if message[0] == b"message" and message[1] == MARKER.encode():
                return messages
            assert message[0] == b"pmessage", message
            messages.append((message[2], message[3]))

    def close(self) -> None:
        self.connection.close()


def publish_marker(connection: RawConnection) -> None:
    connection.call("PUBLISH", MARKER, "end")


class NotifyingPair:
    """redis-server and pypika-store with the same notify-keyspace-events, a writer and an
    event feed on each; put back to no notifications afterwards."""

    def __init__(self, redis_port: int, pika_port: int) -> None:
        self.ports = (redis_port, pika_port)
        self.writers = [RawConnection(port) for port in self.ports]
        for writer in self.writers:
            writer.call("FLUSHALL")
        self.feeds = [EventFeed(port) for port in self.ports]

    def configure(self, classes: str) -> None:
        for writer in self.writers:
            assert writer.call("CONFIG", "SET", "notify-keyspace-events", classes) == "OK"

    def run(self, commands: list[tuple], classes: str = "KEA") -> list[tuple[bytes, bytes]]:
        """Run ``commands`` on both (same replies) under ``classes``; assert both published the
        same events and return them."""
        self.configure(classes)
        published = []
        for writer, feed in zip(self.writers, self.feeds):
            replies = [writer.call(*args) for args in commands]
            publish_marker(writer)
            published.append((replies, feed.until_marker()))
        (redis_replies, redis_events), (pika_replies, pika_events) = published
        for args, expected, actual in zip(commands, redis_replies, pika_replies):
            assert actual == expected, f"{args!r}: redis-server said {expected!r}, pypika-store said {actual!r}"
        assert pika_events == redis_events
        return pika_events

    def close(self) -> None:
        self.configure("")
        for writer in self.writers:
            writer.call("FLUSHALL")
            writer.close()
        for feed in self.feeds:
            feed.close()


@pytest.fixture
def pair(real_redis, pika_server):
    notifying = NotifyingPair(real_redis.port, pika_server.port)
    yield notifying
    notifying.close()


def commands(text: str) -> list[tuple]:
    """One command a line, arguments split on spaces."""
    return [tuple(line.split()) for line in text.strip().splitlines()]


STRINGS = commands("""
SET a 1
SET a 2 EX 100
SET a 3 NX
SET a 4 XX KEEPTTL
INCR a
DECRBY a 2
INCRBYFLOAT a 1.5
APPEND a x
APPEND fresh x
SETRANGE a 0 z
GETSET a 5
MSET b 1 c 2
GETDEL b
GETDEL b
GETEX c EX 100
GETEX c PERSIST
GETEX c PERSIST
GETEX c PXAT 1
SETEX d 100 v
PSETEX d 100000 v
SETNX x 1
SETNX x 1
MSETNX y 1 z 2
MSETNX y 1 w 2
SET e 1 EX 100 GET
""")

BITS_AND_HLL = commands("""
SETBIT e 3 1
BITFIELD e SET u8 0 255
BITFIELD e GET u8 0
BITFIELD e SET u8 0 255
BITFIELD e SET u8 16 0
BITFIELD e OVERFLOW FAIL INCRBY u8 0 200
BITFIELD e OVERFLOW FAIL INCRBY u8 0 200 SET u8 0 255
BITFIELD new1 OVERFLOW FAIL INCRBY u8 0 -100
BITFIELD new2 INCRBY u8 0 0
SETBIT e 0 1
SETBIT e 100 0
BITOP AND f e e
BITOP AND f nokey nokey
PFADD h a b
PFADD h a
PFCOUNT h
PFMERGE h2 h
""")

KEYS = commands("""
SET a 1
SET b 2
RENAME a a2
RENAME a2 b
RENAME b b
RENAMENX b b
RENAME nokey x
SET c 3
RENAMENX b c
MOVE nokey 1
MOVE c 1
SET c 3
MOVE c 1
COPY b d
COPY b d
COPY b d REPLACE
COPY b d DB 2
EXPIRE d 1000
EXPIRE d 1000 NX
EXPIRE d 2000 XX
PEXPIRE d 3000000 GT
EXPIRE d -1
PERSIST b
EXPIRE b 10
PERSIST b
DEL b nokey
UNLINK nokey
RPUSH l a b
RENAME l l2
EXPIREAT l2 1
SADD s x
MOVE s 3
SWAPDB 0 3
DEL s
SWAPDB 0 3
FLUSHDB
""")

LISTS = commands("""
LPUSH l a b c
RPUSH l d
LPUSHX nol a
RPUSHX l e
LPOP l
RPOP l 2
LPOP nol
LINSERT l BEFORE a z
LINSERT l BEFORE nope z
LSET l 0 q
LREM l 0 nope
LREM l 1 q
LTRIM l 0 -1
LTRIM l 1 -1
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l2 l3
LMPOP 1 l3 LEFT
RPUSH m 1 2 3
LMOVE m m LEFT RIGHT
LTRIM m 1 0
RPUSH m 1 2
LPOP m 2
BLPOP m 0.01
RPUSH m 1
BRPOP m 1
RPUSH m 1
BLMOVE m m2 LEFT LEFT 1
BLMPOP 1 1 m2 RIGHT COUNT 5
RPUSH sl 3 1 2
SORT sl STORE sd
SORT sl STORE sd
SORT nokey STORE sd
SORT nokey STORE sd
""")

SETS = commands("""
SADD s a b c
SADD s a
SREM s a x
SREM s a
SPOP nokey
SADD one x
SPOP one
SMOVE s s2 b
SMOVE s s2 b
SMOVE s s c
SMOVE s s2 c
SADD s3 1 2
SADD s4 2 3
SINTERSTORE s5 s3 s4
SUNIONSTORE s5 s3 s4
SDIFFSTORE s5 s3 s3
SDIFFSTORE s5 s3 s3
SPOP s3 10
""")

HASHES = commands("""
HSET h a 1 b 2
HSET h a 1
HSETNX h a 1
HSETNX h c 1
HMSET h d 1
HDEL h a x
HDEL h a
HINCRBY h b 1
HINCRBYFLOAT h b 1.5
HINCRBY h2 f 1
HDEL h b c d
""")

ZSETS = commands("""
ZADD z 1 a 2 b
ZADD z 1 a
ZADD z CH 5 a
ZADD z INCR 1 a
ZADD z NX 1 a
ZADD z XX 1 nope
ZINCRBY z 1 b
ZREM z a x
ZREM z a
ZADD z 1 a 3 c 4 d
ZREMRANGEBYSCORE z 0 1
ZREMRANGEBYSCORE z 100 200
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYLEX z - +
ZREMRANGEBYLEX z - +
ZADD z 1 a 2 b 3 c
ZPOPMIN z
ZPOPMAX z 5
ZPOPMIN nokey
ZADD y 1 a 2 b
ZADD x 1 b
ZUNIONSTORE u 2 x y
ZINTERSTORE u 2 x y
ZDIFFSTORE u 2 x y
ZRANGESTORE u2 y 0 -1
ZRANGESTORE u2 y 5 6
ZDIFFSTORE u 2 x x
ZMPOP 1 y MIN
BZPOPMAX y 1
ZADD y 1 a
BZMPOP 1 1 y MAX COUNT 3
""")

GEO = commands("""
GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD g 13.361389 38.115556 Palermo
GEORADIUS g 15 37 200 km STORE gs
GEOSEARCHSTORE gs2 g FROMLONLAT 15 37 BYRADIUS 200 km
GEORADIUS g 15 37 200 km STOREDIST gs3
GEORADIUSBYMEMBER g Palermo 1 m STORE gs3
GEOSEARCHSTORE gs2 g FROMLONLAT 0 0 BYRADIUS 1 m
""")

MIXED_TYPES = commands("""
SET str v
SADD s1 a b
SADD s2 b c
SINTERSTORE str s1 s2
TYPE str
HSETNX newhash f v
RPUSH l 3 1 2
RPUSH sorted x
SORT l STORE sorted
SORT l BY nosuch STORE sorted
RENAME l sorted
COPY sorted c DB 1
COPY s1 s2 REPLACE
MOVE s1 2
SMOVE s2 fresh b
LINSERT sorted AFTER 3 4
PFADD empty
PFADD empty
SETRANGE created 3 x
INCRBYFLOAT f 2.5
ZADD z GT 1 a
ZADD z GT 0 a
ZADD z GT 2 a
ZADD z LT CH 1 a
EXPIRE z 100
PEXPIREAT z 1
SADD t x
EXPIRE t 100
PERSIST t
DEL t s2 nokey c
""")

STREAMS = commands("""
XADD st 1-1 f v
XADD st 2-1 f v
XADD st MAXLEN 1 3-1 f v
XADD st NOMKSTREAM 4-1 f v
XADD nost NOMKSTREAM 1-1 f v
XTRIM st MAXLEN 5
XTRIM st MAXLEN 0
XADD st 5-1 f v
XADD st 6-1 f v
XDEL st 5-1 9-9
XDEL st 9-9
XSETID st 7-1
XGROUP CREATE st g $
XGROUP CREATE st g $
XGROUP CREATE made g 0 MKSTREAM
XGROUP SETID st g 0
XGROUP CREATECONSUMER st g c1
XGROUP CREATECONSUMER st g c1
XREADGROUP GROUP g c2 COUNT 1 STREAMS st >
XCLAIM st g c3 0 6-1
XAUTOCLAIM st g c4 0 0
XACK st g 6-1
XGROUP DELCONSUMER st g c2
XGROUP DELCONSUMER st g nosuch
XGROUP DESTROY st g
XGROUP DESTROY st g
DEL st made
""")

FAMILIES = {"streams": STREAMS, "mixed types": MIXED_TYPES, "strings": STRINGS, "bits and hyperloglogs": BITS_AND_HLL, "keys": KEYS,
            "lists": LISTS, "sets": SETS, "hashes": HASHES, "zsets": ZSETS, "geo": GEO}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("classes", ["KEA", "KEAn"])
def test_every_write_publishes_what_redis_publishes(pair, family, classes):
    events = pair.run(FAMILIES[family], classes)
    assert events  # the family's writes announce themselves


def test_restore_publishes_what_redis_publishes(pair):
    """RESTORE of each server's own DUMP payload (the formats differ): ``new`` + ``restore``,
    REPLACE included; a TTL already past deletes the target (``del``) and restores nothing."""
    pair.configure("KEAn")
    published = []
    for writer, feed in zip(pair.writers, pair.feeds):
        writer.call("RPUSH", "l", "a", "b")
        payload = writer.call("DUMP", "l")
        writer.call("SET", "s", "x")
        replies = [writer.call("RESTORE", "copy", "0", payload), writer.call("RESTORE", "copy", "0", payload),
                   writer.call("RESTORE", "copy", "0", payload, "REPLACE"),
                   writer.call("RESTORE", "s", "1", payload, "ABSTTL", "REPLACE"),
                   writer.call("RESTORE", "gone", "1", payload, "ABSTTL", "REPLACE")]
        publish_marker(writer)
        published.append((replies, feed.until_marker()))
    assert published[1] == published[0]


def test_errors_and_writes_that_change_nothing_publish_nothing(pair):
    pair.run([("SET", "s", "x"), ("LPUSH", "l", "x")])
    events = pair.run(commands("""
LPUSH s x
SADD s x
HSET s f v
ZADD s 1 x
INCR s
HINCRBY nokey f x
ZADD z NaN a
LSET nokey 0 x
LSET l 5 x
DEL nokey
EXPIRE nokey 10
PERSIST s
SETRANGE s -1 x
SET s y EX 0
"""))
    assert events == []


MIXED = commands("""
SET s 1 EX 100
INCR s
DEL s
LPUSH l a
LPOP l
SADD set a
SREM set a
HSET h f v
HDEL h f
ZADD z 1 a
ZREM z a
SET k v
RENAME k k2
EXPIRE k2 100
PERSIST k2
""")


@pytest.mark.parametrize("classes", ["K$", "Eg", "Kl", "Es", "Kh", "Ez", "KEg$", "Kgn", "En", "Ex", "g$lshz",
                                     "KE", "KEA", "Ag", "Km", "Kd", "Ke", "Kt"])
def test_class_letters_filter_as_in_redis(pair, classes):
    pair.run(MIXED, classes)


def test_events_name_their_db(pair):
    pair.run(commands("""
SELECT 5
SET a 1
LPUSH l x
MOVE a 0
COPY l l DB 0
SELECT 0
"""))


@pytest.mark.parametrize("classes", ["KEA", "Ex", "KEg"])
def test_lazy_expiry_publishes_expired_before_the_commands_events(pair, classes):
    pair.configure(classes)
    deadline = int(time.time() * 1000) + 200
    setup = [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "a", "1", "PXAT", deadline),
             ("SET", "b", "1", "PXAT", deadline), ("SADD", "s", "x"), ("PEXPIREAT", "s", deadline),
             ("SET", "c", "1", "PXAT", deadline), ("HSET", "h", "f", "v"), ("PEXPIREAT", "h", deadline),
             ("SET", "sa", "1", "PXAT", deadline), ("SET", "sb", "1", "PXAT", deadline)]
    for writer in pair.writers:
        for args in setup:
            writer.call(*args)
    wait_until(lambda: time.time() * 1000 > deadline + 5)
    try:
        pair.run([("GET", "a"), ("GET", "a"), ("SET", "b", "2"), ("SADD", "s", "y"), ("EXISTS", "c"),
                  ("HGET", "h", "f"), ("KEYS", "s?"), ("SCAN", "0", "MATCH", "sa"), ("SCAN", "0", "MATCH", "s?")],
                 classes)
    finally:
        for writer in pair.writers:
            writer.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_active_expiry_publishes_expired(pair):
    pair.configure("Ex")
    for writer, feed in zip(pair.writers, pair.feeds):
        writer.call("SET", "a", "1", "PX", "50")
        writer.call("SADD", "s", "x")
        writer.call("PEXPIRE", "s", "50")
        expired = {feed.connection.read_reply()[3] for _ in range(2)}  # the cycle deletes both, untouched
        assert expired == {b"a", b"s"}
        assert writer.call("DBSIZE") == 0


def test_a_transaction_publishes_in_command_order_before_execs_reply(real_redis, pika_server):
    """One RESP3 client subscribed and writing: every event, in RESP3's push form, arrives
    before EXEC's reply, in the order of the queued commands; an aborted EXEC publishes none."""
    sent = [("MULTI",), ("SET", "a", "1"), ("LPUSH", "l", "x"), ("INCR", "a"), ("LPOP", "l"), ("EXEC",),
            ("MULTI",), ("SET", "a", "2"), ("NOSUCH",), ("EXEC",),
            ("WATCH", "a"), ("SET", "a", "3"), ("MULTI",), ("DEL", "a"), ("EXEC",), ("PING",)]
    transcripts = []
    for port in (real_redis.port, pika_server.port):
        connection = RawConnection(port)
        try:
            connection.call("FLUSHALL")
            connection.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
            connection.call("HELLO", "3")
            connection.call("PSUBSCRIBE", "__keyevent@0__:*")
            connection.send_raw(b"".join(encode_command(args) for args in sent))
            transcript = [connection.read_reply()]
            while transcript[-1] != "PONG":
                transcript.append(connection.read_reply())
            transcripts.append(transcript)
        finally:
            connection.call("CONFIG", "SET", "notify-keyspace-events", "")
            connection.call("FLUSHALL")
            connection.close()
    redis_transcript, pika_transcript = transcripts
    assert pushes_and_replies(pika_transcript) == pushes_and_replies(redis_transcript)
    assert [type(reply) for reply in pika_transcript[5:11]] == [Push3] * 5 + [list]
    assert [push[2] for push in pika_transcript[5:10]] == [
        b"__keyevent@0__:set", b"__keyevent@0__:lpush", b"__keyevent@0__:incrby", b"__keyevent@0__:lpop",
        b"__keyevent@0__:del"]
    assert [push[2] for push in pika_transcript if type(push) is Push3][5:] == [b"__keyevent@0__:set"]  # WATCH's SET


def pushes_and_replies(transcript: list) -> tuple[list, list]:
    """The pushes of a RESP3 transcript in order, and every other value flattened out of its
    arrays. Redis writes a client's own pushes inside EXEC's array, each before the reply of
    the command that caused it (the array's length was written first, so a reader counts
    them as its elements); pypika-store writes them all before EXEC's reply. A RESP3 client
    reads pushes out of band: both deliver the same events in the same order."""
    pushes: list = []
    replies: list = []

    def walk(value: object) -> None:
        if type(value) is Push3:
            pushes.append(value)
        elif type(value) is list:
            for element in value:
                walk(element)
        else:
            replies.append(value)

    for value in transcript:
        walk(value)
    return pushes, replies


@pytest.mark.parametrize("blocked_command, push", [
    (("BLPOP", "q", "0"), ("RPUSH", "q", "x")),
    (("BLMOVE", "q", "d", "LEFT", "RIGHT", "0"), ("RPUSH", "q", "x")),
    (("BRPOPLPUSH", "q", "d", "0"), ("RPUSH", "q", "x", "y")),
    (("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5"), ("RPUSH", "q", "x", "y")),
    (("BZPOPMIN", "q", "0"), ("ZADD", "q", "1", "a")),
    (("BZMPOP", "0", "1", "q", "MAX"), ("ZADD", "q", "1", "a", "2", "b")),
], ids=lambda args: args[0])
def test_a_blocked_pop_publishes_after_the_push_that_served_it(pair, blocked_command, push):
    pair.configure("KEAn")
    published = []
    for port, writer, feed in zip(pair.ports, pair.writers, pair.feeds):
        blocked = RawConnection(port)
        try:
            blocked.send_raw(encode_command(blocked_command))
            wait_until(lambda: b"cmd=" + blocked_command[0].lower().encode() in writer.call("CLIENT", "LIST"))
            writer.call(*push)
            assert blocked.read_reply()
        finally:
            blocked.close()
        publish_marker(writer)
        published.append(feed.until_marker())
    redis_events, pika_events = published
    assert pika_events == redis_events
    assert pika_events[2:4] == [(b"__keyspace@0__:q", push[0].lower().encode()),
                                (b"__keyevent@0__:" + push[0].lower().encode(), b"q")]


def test_resp3_subscribers_get_push_messages_before_the_reply(real_redis, pika_server):
    """``>3 message <channel> <event>``, byte for byte, before the writer's own reply."""
    transcripts = []
    for port in (real_redis.port, pika_server.port):
        connection = RawReplies(port)
        try:
            connection.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
            connection.call("HELLO", "3")
            connection.call("SUBSCRIBE", "__keyspace@0__:k", "__keyevent@0__:del")
            connection.read_reply()  # the second confirmation
            connection.send_raw(encode_command(("SET", "k", "v")) + encode_command(("DEL", "k")))
            transcripts.append([connection.raw_reply() for _ in range(5)])
        finally:
            connection.call("CONFIG", "SET", "notify-keyspace-events", "")
            connection.close()
    assert transcripts[1] == transcripts[0]
    assert transcripts[1] == [
        b">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n", b"+OK\r\n",
        b">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\ndel\r\n",
        b">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$1\r\nk\r\n", b":1\r\n"]


def test_no_lazy_expiry_while_writes_are_paused(pair):
    pair.configure("KEA")
    deadline = int(time.time() * 1000) + 100
    for writer in pair.writers:
        writer.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        writer.call("SET", "a", "1", "PXAT", deadline)
    wait_until(lambda: time.time() * 1000 > deadline + 5)
    try:
        pair.run([("CLIENT", "PAUSE", "100000", "WRITE"), ("GET", "a"), ("TTL", "a"), ("CLIENT", "UNPAUSE"),
                  ("GET", "a")])
    finally:
        for writer in pair.writers:
            writer.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_lazy_expiry_is_logged_for_the_slave():
    """Deleting an expired key where a command finds it is a write: logged as ``del``, it
    reaches the slave (which never expires keys itself)."""
    with PikaGroup(slaves=1) as group:
        master, slave = group.master, group.slaves[0]
        writer = RawConnection(master.port)
        try:
            writer.call("CONFIG", "SET", "notify-keyspace-events", "Ex")
            writer.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            deadline = int(time.time() * 1000) + 100
            writer.call("SET", "k", "v", "PXAT", deadline)
            writer.call("SET", "kept", "v")
            group.wait_synced()
            wait_until(lambda: time.time() * 1000 > deadline + 5)
            assert writer.call("DBSIZE") == 2  # expired, not deleted yet
            assert writer.call("GET", "k") is None
            assert writer.call("DBSIZE") == 1
            group.wait_synced()
            assert slave.client().dbsize() == 1
        finally:
            writer.close()


@pytest.mark.parametrize("value", ["KEq", "x y", "A?", "1"])
def test_config_set_refuses_unknown_class_letters_as_redis(diff, value):
    diff.check("CONFIG", "SET", "notify-keyspace-events", value)
    diff.check("CONFIG", "GET", "notify-keyspace-events")


def test_config_get_echoes_as_redis(diff):
    try:
        for value in ["KEA", "AKE", "g$lshzxetdKE", "EKn", "Amn", "mKE", "xE", "EA", ""]:
            diff.check("CONFIG", "SET", "notify-keyspace-events", value)
            diff.check("CONFIG", "GET", "notify-keyspace-events")
    finally:
        diff.both("CONFIG", "SET", "notify-keyspace-events", "")


def test_the_option_is_read_from_the_config_file(tmp_path):
    from pypika_store.testing import PikaServer

    with PikaServer(config={"notify-keyspace-events": "Eg"}) as server:
        connection = RawConnection(server.port)
        feed = EventFeed(server.port)
        try:
            assert connection.call("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b"gE"]
            connection.call("SET", "k", "v")  # a string event: not in g
            connection.call("DEL", "k")
            publish_marker(connection)
            assert feed.until_marker() == [(b"__keyevent@0__:del", b"k")]
        finally:
            feed.close()
            connection.close()


def test_nothing_is_published_by_default(pika_server):
    connection = RawConnection(pika_server.port)
    feed = EventFeed(pika_server.port)
    try:
        assert connection.call("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b""]
        connection.call("SET", "k", "v")
        connection.call("LPUSH", "l", "x")
        connection.call("DEL", "k", "l")
        publish_marker(connection)
        assert feed.until_marker() == []
        assert pika_server.server.engine.turn.events == []
    finally:
        feed.close()
        connection.call("FLUSHALL")
        connection.close()


def test_a_slave_publishes_the_events_of_what_it_applies():
    """A slave runs the records its master sends, so its subscribers see those commands'
    events (as a Redis replica's see the commands it is sent): ``set``, then ``del`` where the
    master's expiry cycle deleted the key (a slave never expires keys itself)."""
    with PikaGroup(slaves=1) as group:
        master, slave = group.master, group.slaves[0]
        group.wait_synced()
        slave_connection = RawConnection(slave.port)
        assert slave_connection.call("CONFIG", "SET", "notify-keyspace-events", "KEA") == "OK"
        feed = EventFeed(slave.port)
        writer = RawConnection(master.port)
        try:
            writer.call("SET", "k", "v", "PX", "100")
            writer.call("HINCRBY", "h", "f", "1")
            wait_until(lambda: writer.call("DBSIZE") == 1)  # the expiry cycle deleted k
            group.wait_synced()
            publish_marker(slave_connection)
            assert feed.until_marker() == [
                (b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k"),
                (b"__keyspace@0__:k", b"expire"), (b"__keyevent@0__:expire", b"k"),
                (b"__keyspace@0__:h", b"hset"), (b"__keyevent@0__:hset", b"h"),
                (b"__keyspace@0__:k", b"del"), (b"__keyevent@0__:del", b"k")]
        finally:
            feed.close()
            writer.close()
            slave_connection.close()


def test_config_set_reaches_the_server_at_once(pika_server):
    connection = RawConnection(pika_server.port)
    try:
        assert connection.call("CONFIG", "SET", "notify-keyspace-events", "Elx") == "OK"
        assert pika_server.server.engine.turn.notify_classes != 0
        assert connection.call("CONFIG", "SET", "notify-keyspace-events", "lx") == "OK"  # no K, no E
        assert pika_server.server.engine.turn.notify_classes == 0
        assert isinstance(connection.call("CONFIG", "SET", "notify-keyspace-events", "E!"), Err)
    finally:
        connection.call("CONFIG", "SET", "notify-keyspace-events", "")
        connection.close()


#: Reads of missing keys (and the sources a write reads): Redis' "keymiss" (class m).
KEY_MISSES = commands("""
SET present v
GET nokey
GET present
MGET nokey present other
EXISTS nokey
TYPE nokey
STRLEN nokey
LRANGE nolist 0 -1
HGET nohash f
SMEMBERS noset
ZSCORE nozset m
XRANGE nostream - +
SUNIONSTORE dest nos1 nos2
SORT nolist
OBJECT ENCODING nokey
TTL nokey
DUMP nokey
GETDEL nokey
COPY nokey other
RENAME present renamed
""")


@pytest.mark.parametrize("classes", ["KEm", "Em", "KEA"])
def test_reads_of_missing_keys_publish_keymiss(pair, classes):
    events = pair.run(KEY_MISSES, classes)
    misses = [event for event in events if b"keymiss" in event[0] + event[1]]
    assert bool(misses) == ("m" in classes)  # A does not include m, as in Redis
