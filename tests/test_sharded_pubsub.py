"""Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS / SHARDNUMSUB)
against a real redis-server, reply for reply: RESP2 arrays and RESP3 pushes, shard counts kept
apart from SUBSCRIBE's, the subscribed-mode rules, RESET, MULTI, CLIENT LIST, INFO, and the
channels Redis declares as not-keys."""

from __future__ import annotations

import pytest

from .pairs import opened_pairs, pushed
from .support import Err, Push3, RawConnection, Stat, wait_until

pytestmark = pytest.mark.redis_server


@pytest.fixture
def pairs(real_redis, pika_server):
    """Connection pairs; afterwards, wait until neither server has shard subscriptions left, so
    tests do not see each other's."""
    yield from opened_pairs(real_redis.port, pika_server.port)
    for port in (real_redis.port, pika_server.port):
        probe = RawConnection(port)
        wait_until(lambda: _shard_channels(probe) == 0, what="shard subscriptions to go")
        probe.close()


def _stats(connection: RawConnection) -> dict[str, str]:
    text = connection.call("INFO", "stats").decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def _shard_channels(connection: RawConnection) -> int:
    return int(_stats(connection)["pubsubshard_channels"])


def test_ssubscribe_spublish_sunsubscribe_in_resp2_match_redis(pairs):
    subscriber, publisher = pairs(), pairs()
    assert subscriber.check("SSUBSCRIBE", "a", "b", "a") == [b"ssubscribe", b"a", 1]
    pushed(subscriber, 2)
    assert publisher.check("SPUBLISH", "a", "hello") == 1
    assert pushed(subscriber, 1) == [[b"smessage", b"a", b"hello"]]
    publisher.check("PUBLISH", "a", "not a shard message")  # another namespace: nobody
    publisher.check("SPUBLISH", "nobody", "x")
    # Subscribed mode: shard subscriptions count, and the (P|S)(UN)SUBSCRIBE family is allowed.
    subscriber.check("PING")
    for command in [("GET", "x"), ("SPUBLISH", "a", "m"), ("PUBSUB", "SHARDCHANNELS")]:
        subscriber.check(*command)
    subscriber.check("SUBSCRIBE", "c")  # counted apart from the shard channels: 1
    subscriber.check("UNSUBSCRIBE")
    subscriber.check("GET", "x")  # still subscribed to shard channels
    subscriber.check("SUNSUBSCRIBE", "a", "zz")
    pushed(subscriber, 1)
    subscriber.check("SUNSUBSCRIBE")
    subscriber.check("SUNSUBSCRIBE")  # nothing left: one confirmation with a null channel
    assert subscriber.check("GET", "x") is None


def test_shard_counts_and_pushes_in_resp3_match_redis(pairs):
    subscriber, publisher = pairs(resp3=True), pairs()
    confirmation = subscriber.check("SSUBSCRIBE", "a", "b")
    assert type(confirmation) is Push3 and confirmation == [b"ssubscribe", b"a", 1]
    pushed(subscriber, 1)
    subscriber.check("SUBSCRIBE", "c")
    subscriber.check("PSUBSCRIBE", "*")  # patterns never see SPUBLISH
    publisher.check("SPUBLISH", "b", "m")
    assert pushed(subscriber, 1) == [Push3([b"smessage", b"b", b"m"])]
    # Publishing to itself: the message comes before SPUBLISH's own reply.
    subscriber.both("SPUBLISH", "a", "to myself")
    pushed(subscriber, 1)
    subscriber.check("SUNSUBSCRIBE", "a", "zz")
    pushed(subscriber, 1)
    subscriber.check("UNSUBSCRIBE")
    subscriber.check("PUNSUBSCRIBE")
    subscriber.check("SUNSUBSCRIBE")
    nothing = subscriber.check("SUNSUBSCRIBE")
    assert type(nothing) is Push3
    assert subscriber.check("PING") == Stat("PONG")


def test_pubsub_shard_introspection_matches_redis(pairs):
    first, second, observer = pairs(), pairs(), pairs()
    first.check("SSUBSCRIBE", "s:1", "s:2", "t")
    pushed(first, 2)
    second.check("SSUBSCRIBE", "s:1")
    second.check("SUBSCRIBE", "plain")
    observer.check("PUBSUB", "SHARDCHANNELS", normalize=sorted)
    observer.check("PUBSUB", "SHARDCHANNELS", "s:*", normalize=sorted)
    observer.check("PUBSUB", "shardchannels", "[t]")
    observer.check("PUBSUB", "SHARDCHANNELS", "none*")
    assert observer.check("PUBSUB", "SHARDNUMSUB", "s:1", "t", "plain", "s:1") == [
        b"s:1", 2, b"t", 1, b"plain", 0, b"s:1", 2]
    observer.check("PUBSUB", "SHARDNUMSUB")
    observer.check("PUBSUB", "CHANNELS")  # shard channels are not channels
    observer.check("PUBSUB", "NUMSUB", "s:1", "plain")
    for command in [("PUBSUB", "SHARDCHANNELS", "a", "b"), ("SPUBLISH", "c"), ("SPUBLISH", "c", "m", "x"),
                    ("SSUBSCRIBE",), ("PUBSUB", "HELP")]:
        observer.check(*command)
    assert _shard_channels(observer.pika) == _shard_channels(observer.redis) == 3


def test_shard_channels_are_declared_as_not_keys(pairs):
    pair = pairs()
    for name in ("SSUBSCRIBE", "SUNSUBSCRIBE", "SPUBLISH"):
        pair.check("COMMAND", "INFO", name)
        pair.check("COMMAND", "GETKEYS", name, "channel", *(("message",) if name == "SPUBLISH" else ()))
    assert pair.check("COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b") == Err("ERR The command has no key arguments")


def test_ssubscribe_is_refused_inside_multi_as_in_redis(pairs):
    pair = pairs()
    pair.check("MULTI")
    pair.check("SSUBSCRIBE", "in-multi")
    pair.check("SPUBLISH", "in-multi", "m")
    pair.check("EXEC")
    pair.check("GET", "k")  # not subscribed


def test_reset_and_client_list_of_shard_subscribers_match_redis(pairs):
    subscriber, admin = pairs(), pairs()
    ids = {"redis": subscriber.redis.call("CLIENT", "ID"), "pika": subscriber.pika.call("CLIENT", "ID")}
    subscriber.check("SSUBSCRIBE", "x", "y")
    pushed(subscriber, 1)
    fields = {}
    for side in ("redis", "pika"):
        line = getattr(admin, side).call("CLIENT", "LIST", "ID", ids[side]).decode()
        fields[side] = {key: value for key, value in (item.split("=", 1) for item in line.split())
                        if key in ("flags", "sub", "psub", "ssub", "cmd")}
    assert fields["pika"] == fields["redis"] == {"flags": "P", "sub": "0", "psub": "0", "ssub": "2",
                                                 "cmd": "ssubscribe"}
    subscriber.check("RESET")  # drops every subscription, without confirmations
    subscriber.check("GET", "k")
    admin.check("PUBSUB", "SHARDNUMSUB", "x", "y")
    admin.check("SPUBLISH", "x", "m")


def test_disconnected_shard_subscribers_are_forgotten(pika_server):
    subscriber = RawConnection(pika_server.port)
    subscriber.call("SSUBSCRIBE", "gone")
    publisher = RawConnection(pika_server.port)
    assert publisher.call("SPUBLISH", "gone", "m") == 1
    subscriber.close()
    wait_until(lambda: publisher.call("SPUBLISH", "gone", "m") == 0, what="the subscriber to be forgotten")
    publisher.close()
