"""Pub/sub: SUBSCRIBE and friends, PUBLISH, PUBSUB, against a real redis-server reply for reply
(RESP2 arrays, RESP3 pushes, subscribed-mode errors), plus what only pypika-store has: slaves
that deliver PUBLISH without logging it, and CLIENT LIST / KILL of pubsub clients."""

from __future__ import annotations

import os
import time

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.server.pubsub import PubSub
from pypika_store.server.resp.replies import encode, encode3
from pypika_store.testing import PikaGroup

from .pairs import pushed
from .support import Differential, Err, Null3, Push3, RawConnection, Stat, wait_until

pytestmark = pytest.mark.redis_server


@pytest.fixture
def twins(real_redis, pika_server):
    """Open connection pairs (one to redis-server, one to pypika-store); on teardown close them
    and wait until neither server has subscriptions left, so tests do not see each other's."""
    opened: list[Differential] = []

    def open_pair() -> Differential:
        pair = Differential(real_redis.port, pika_server.port)
        opened.append(pair)
        return pair

    yield open_pair
    for pair in opened:
        pair.close()
    for port in (real_redis.port, pika_server.port):
        probe = RawConnection(port)
        wait_until(lambda: _pubsub_counts(probe) == (0, 0), what="subscriptions to go")
        probe.close()


def _pubsub_counts(connection: RawConnection) -> tuple[int, int]:
    stats = dict(line.split(":", 1) for line in connection.call("INFO", "stats").decode().split("\r\n")
                 if ":" in line)
    return int(stats["pubsub_channels"]), int(stats["pubsub_patterns"])


def test_subscribe_publish_unsubscribe_match_redis(twins):
    subscriber, publisher = twins(), twins()
    assert subscriber.check("SUBSCRIBE", "news", "sport", "news") == [b"subscribe", b"news", 1]
    pushed(subscriber, 2)
    subscriber.check("PSUBSCRIBE", "n*", "n?ws", "[a-m]*")
    pushed(subscriber, 2)
    assert publisher.check("PUBLISH", "news", "hello") == 3  # the channel and two patterns
    message, *pmessages = pushed(subscriber, 3, normalize=lambda replies: replies[:1] + sorted(replies[1:]))
    assert message == [b"message", b"news", b"hello"]
    assert pmessages == [[b"pmessage", b"n*", b"news", b"hello"], [b"pmessage", b"n?ws", b"news", b"hello"]]
    publisher.check("PUBLISH", "nobody", "x")  # one pattern only
    pushed(subscriber, 1)
    publisher.check("PUBLISH", "", "empty channel")  # '*' does not match ""
    publisher.check("PUBLISH", "sport", "")
    pushed(subscriber, 1)
    subscriber.check("UNSUBSCRIBE", "sport", "never")
    pushed(subscriber, 1)
    subscriber.check("PUNSUBSCRIBE", "n?ws")
    subscriber.check("UNSUBSCRIBE")  # the one channel left
    subscriber.check("PUNSUBSCRIBE")
    pushed(subscriber, 1, normalize=sorted)
    subscriber.check("UNSUBSCRIBE")
    subscriber.check("PUNSUBSCRIBE", "x", "y")
    pushed(subscriber, 1)
    assert subscriber.check("GET", "k") is None  # no subscriptions: any command again
    publisher.check("PUBLISH", "news", "nobody listens")


def test_binary_channels_and_messages_match_redis(twins):
    subscriber, publisher = twins(), twins()
    channel, message = b"\x00chan\r\n\xff", bytes(range(256)) * 40
    subscriber.check("SUBSCRIBE", channel)
    subscriber.check("PSUBSCRIBE", b"\x00*")
    assert publisher.check("PUBLISH", channel, message) == 2
    assert pushed(subscriber, 2)[0] == [b"message", channel, message]


def test_subscribed_mode_allows_only_subscriptions_ping_and_quit_in_resp2(twins):
    subscriber = twins()
    subscriber.check("PSUBSCRIBE", "p*")
    for command in [("GET", "k"), ("SET", "k", "v"), ("CLIENT", "ID"), ("CLIENT", "NOSUCH"),
                    ("MULTI",), ("EXEC",), ("HELLO", "3"), ("PUBLISH", "c", "m"), ("PUBSUB", "NUMPAT"),
                    ("NOSUCH", "arg"), ("GET",), ("PING",), ("PING", "hi"), ("PING", "a", "b"),
                    ("SUBSCRIBE",), ("SUBSCRIBE", "c")]:
        subscriber.check(*command)
    assert subscriber.check("PING") == [b"pong", b""]
    assert subscriber.check("GET", "k") == Err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
                                               "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    assert subscriber.check("QUIT") == Stat("OK")


def test_resp3_pushes_and_no_restrictions_match_redis(twins):
    subscriber, publisher = twins(), twins()
    subscriber.both("HELLO", "3")
    confirmation = subscriber.check("SUBSCRIBE", "c1", "c2")
    assert type(confirmation) is Push3 and confirmation == [b"subscribe", b"c1", 1]
    pushed(subscriber, 1)
    subscriber.check("PSUBSCRIBE", "c*")
    publisher.check("PUBLISH", "c1", "m")
    assert pushed(subscriber, 2) == [[b"message", b"c1", b"m"], [b"pmessage", b"c*", b"c1", b"m"]]
    assert subscriber.check("PING") == Stat("PONG")  # RESP3: any command, plain replies
    subscriber.check("SET", "resp3", "v")
    subscriber.check("GET", "resp3")
    subscriber.check("DEL", "resp3")
    # Publishing to itself: the message comes before PUBLISH's own reply.
    subscriber.both("PUBLISH", "c2", "to myself")
    pushed(subscriber, 2)
    subscriber.check("UNSUBSCRIBE", "c1", "c2")
    pushed(subscriber, 1)
    subscriber.check("PUNSUBSCRIBE")
    nothing = subscriber.check("PUNSUBSCRIBE")
    assert type(nothing) is Push3 and nothing == [b"punsubscribe", Null3(), 0]


def test_pubsub_introspection_matches_redis(twins):
    first, second, observer = twins(), twins(), twins()
    first.check("SUBSCRIBE", "a:1", "a:2", "b")
    pushed(first, 2)
    second.check("SUBSCRIBE", "a:1")
    second.check("PSUBSCRIBE", "a:*", "z")
    pushed(second, 1)
    first.check("PSUBSCRIBE", "a:*")
    observer.check("PUBSUB", "CHANNELS", normalize=sorted)
    observer.check("PUBSUB", "CHANNELS", "a:*", normalize=sorted)
    observer.check("PUBSUB", "channels", "[b]")
    observer.check("PUBSUB", "CHANNELS", "none*")
    assert observer.check("PUBSUB", "NUMSUB", "a:1", "b", "missing", "a:1") == [b"a:1", 2, b"b", 1, b"missing", 0,
                                                                                b"a:1", 2]
    observer.check("PUBSUB", "NUMSUB")
    assert observer.check("PUBSUB", "NUMPAT") == 2  # distinct patterns, not subscriptions
    for command in [("PUBSUB",), ("PUBSUB", "NOSUCH"), ("PUBSUB", "NUMPAT", "x"), ("PUBSUB", "CHANNELS", "a", "b"),
                    ("PUBSUB", "HELP", "x"), ("PUBLISH", "c"), ("PSUBSCRIBE",)]:
        observer.check(*command)
    assert _pubsub_counts(observer.pika) == _pubsub_counts(observer.redis) == (3, 2)


def test_pubsub_help_is_redis(twins):
    twins().check("PUBSUB", "HELP")


def test_subscribe_inside_multi_matches_redis(twins):
    pair = twins()
    pair.check("MULTI")
    pair.check("SUBSCRIBE", "in-multi")
    pair.check("GET", "k")
    assert pair.check("EXEC") == [[b"subscribe", b"in-multi", 1], None]
    pair.check("PING")
    pair.check("GET", "k")
    pair.check("UNSUBSCRIBE")


def _client_fields(pair: Differential, client_id: dict[str, int]) -> dict[str, dict[str, str]]:
    """CLIENT LIST's pub/sub and MULTI fields of one client, as each server reports them."""
    fields = {}
    for side in ("redis", "pika"):
        line = getattr(pair, side).call("CLIENT", "LIST", "ID", client_id[side]).decode()
        fields[side] = {key: value for key, value in (item.split("=", 1) for item in line.split())
                        if key in ("flags", "sub", "psub", "ssub", "multi", "cmd")}
    return fields


def test_client_list_and_kill_of_pubsub_clients_match_redis(twins):
    subscriber, admin = twins(), twins()
    ids = {"redis": subscriber.redis.call("CLIENT", "ID"), "pika": subscriber.pika.call("CLIENT", "ID")}
    subscriber.check("SUBSCRIBE", "x", "y")
    pushed(subscriber, 1)
    subscriber.check("PSUBSCRIBE", "p*")
    fields = _client_fields(admin, ids)
    assert fields["pika"] == fields["redis"] == {"flags": "P", "sub": "2", "psub": "1", "ssub": "0",
                                                 "multi": "-1", "cmd": "psubscribe"}
    admin.check("CLIENT", "KILL", "TYPE", "normal")   # the subscriber is of kind pubsub: spared
    admin.check("CLIENT", "KILL", "TYPE", "pubsub")
    for connection in (subscriber.redis, subscriber.pika):
        with pytest.raises(ConnectionError):
            connection.read_reply()
    admin.check("PUBSUB", "NUMSUB", "x")


def test_unsubscribed_client_is_normal_again(twins):
    subscriber, admin = twins(), twins()
    ids = {"redis": subscriber.redis.call("CLIENT", "ID"), "pika": subscriber.pika.call("CLIENT", "ID")}
    subscriber.check("SUBSCRIBE", "x")
    subscriber.check("UNSUBSCRIBE")
    fields = _client_fields(admin, ids)
    assert fields["pika"] == fields["redis"] and fields["pika"]["flags"] == "N"


def test_cve_2022_36021_pattern_does_not_hang(twins):
    """A pattern that makes a backtracking matcher exponential is matched in linear time."""
    subscriber, publisher = twins(), twins()
    pattern = "a*" * 30 + "b"
    subscriber.check("PSUBSCRIBE", pattern)
    started = time.monotonic()
    assert publisher.pika.call("PUBLISH", "a" * 1000, "m") == 0
    assert time.monotonic() - started < 1.0
    publisher.check("PUBLISH", "a" * 60 + "b", "m")
    pushed(subscriber, 1)


def test_disconnected_subscribers_are_forgotten(pika_server):
    subscriber = RawConnection(pika_server.port)
    subscriber.call("SUBSCRIBE", "gone")
    publisher = pika_server.client()
    assert publisher.publish("gone", "m") == 1
    subscriber.close()
    wait_until(lambda: publisher.publish("gone", "m") == 0, what="the subscriber to be forgotten")
    assert publisher.pubsub_numsub("gone") == [(b"gone", 0)]


def _logged(server) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", "log_db0")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


def test_publish_on_a_read_only_slave_reaches_its_own_subscribers_only():
    """PUBLISH is no write: a read-only slave takes it; nothing reaches the binlog, and (as in
    Pika, unlike Redis) a master's messages are not replicated to the slaves' subscribers."""
    with PikaGroup(slaves=1) as group:
        master, slave = group.master, group.slaves[0]
        group.wait_synced()  # the first (full) sync is done: "before" reaches the slave's binlog
        master.client().set("before", "1")
        group.wait_synced()
        on_slave, on_master = RawConnection(slave.port), RawConnection(master.port)
        on_slave.call("SUBSCRIBE", "news")
        on_master.call("SUBSCRIBE", "news")
        assert slave.client().publish("news", "from the slave") == 1
        assert on_slave.read_reply() == [b"message", b"news", b"from the slave"]
        assert master.client().publish("news", "from the master") == 1
        assert on_master.read_reply() == [b"message", b"news", b"from the master"]
        master.client().set("after", "1")
        group.wait_synced()
        assert _logged(master) == _logged(slave) == [[b"set", b"before", b"1"], [b"set", b"after", b"1"]]
        assert on_slave.call("PING") == [b"pong", b""]  # nothing else was queued for it
        on_slave.close()
        on_master.close()


class _StandInSession:
    """What pub/sub uses of a client (the Session interface): its protocol, encoder and push."""

    def __init__(self, resp: int) -> None:
        self.resp = resp
        self.encode = encode3 if resp == 3 else encode
        self.pushed: list[bytes] = []

    def push(self, data: bytes) -> None:
        self.pushed.append(data)


def test_the_registry_delivers_to_any_session_in_its_protocol():
    """PUBLISH's fan-out needs no connection: channel subscribers first, then patterns."""
    pubsub = PubSub()
    resp2, resp3 = _StandInSession(2), _StandInSession(3)
    pubsub.channels.add(resp2, b"news")
    pubsub.add_pattern(resp3, b"n*")
    assert pubsub.publish(b"news", b"hi") == 2
    assert resp2.pushed == [b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"]
    assert resp3.pushed == [b">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"]
    pubsub.forget(resp3)
    assert pubsub.publish(b"news", b"again") == 1 and len(resp3.pushed) == 1
