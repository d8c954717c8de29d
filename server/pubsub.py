"""Pub/sub: who is subscribed to which channel, pattern and shard channel, and the fan-out of
PUBLISH and SPUBLISH.

Shard channels (SSUBSCRIBE, Redis 7) are a namespace of their own: a shard channel ``x`` and a
channel ``x`` are different, patterns never match shard channels, and a client's shard
subscriptions are counted apart from its others (each command's confirmations carry its own
kind's count); any subscription of any kind puts a RESP2 client in subscribed mode. Without a
cluster every shard is this node, so SPUBLISH reaches every shard subscriber here.

Messages live only in this process: they go to the subscribers connected to this node now,
master or slave alike, and are never stored, logged to the binlog or replicated. That is
Pika's behaviour (replication carries the binlog only); Redis also forwards a master's
PUBLISH to its replicas. Patterns are matched with :func:`pypika_store.glob.compile_glob`,
which runs in linear time, so a pattern such as CVE-2022-36021's ``a*a*a*...b`` cannot stall
the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from pypika_store.glob import compile_glob

from .resp.replies import Push

if TYPE_CHECKING:
    from .session import Session


class Subscriptions:
    """One kind of subscription (channels, or patterns): each name's subscribers and each
    client's names, both in subscription order (the order messages and UNSUBSCRIBE's
    confirmations follow)."""

    def __init__(self) -> None:
        self.subscribers: dict[bytes, dict["Session", None]] = {}
        self._names: dict["Session", dict[bytes, None]] = {}

    def __len__(self) -> int:
        """How many names have subscribers (INFO's pubsub_channels / pubsub_patterns)."""
        return len(self.subscribers)

    def add(self, client: "Session", name: bytes) -> bool:
        """Subscribe ``client`` to ``name``; False when it already was."""
        names = self._names.setdefault(client, {})
        if name in names:
            return False
        names[name] = None
        self.subscribers.setdefault(name, {})[client] = None
        return True

    def remove(self, client: "Session", name: bytes) -> bool:
        """Unsubscribe ``client`` from ``name``; False when it was not subscribed."""
        names = self._names.get(client)
        if names is None or name not in names:
            return False
        del names[name]
        if not names:
            del self._names[client]
        clients = self.subscribers[name]
        del clients[client]
        if not clients:
            del self.subscribers[name]
        return True

    def of(self, client: "Session") -> list[bytes]:
        """The names ``client`` is subscribed to."""
        return list(self._names.get(client, ()))

    def count(self, client: "Session") -> int:
        return len(self._names.get(client, ()))


class PubSub:
    """The server's channel and pattern subscriptions."""

    def __init__(self) -> None:
        self.channels = Subscriptions()
        self.patterns = Subscriptions()
        #: SSUBSCRIBE's channels.
        self.shard_channels = Subscriptions()
        #: Each subscribed pattern's compiled matcher, built once when first subscribed.
        self._matchers: dict[bytes, Callable[[bytes], bool]] = {}

    def subscription_count(self, client: "Session") -> int:
        """Channels plus patterns (the count SUBSCRIBE's confirmations carry)."""
        return self.channels.count(client) + self.patterns.count(client)

    def subscribed(self, client: "Session") -> bool:
        """Whether ``client`` has a subscription of any kind (it is then of kind pubsub)."""
        return bool(self.subscription_count(client) or self.shard_channels.count(client))

    def add_pattern(self, client: "Session", pattern: bytes) -> None:
        if self.patterns.add(client, pattern) and pattern not in self._matchers:
            self._matchers[pattern] = compile_glob(pattern)

    def remove_pattern(self, client: "Session", pattern: bytes) -> None:
        if self.patterns.remove(client, pattern) and pattern not in self.patterns.subscribers:
            del self._matchers[pattern]

    def forget(self, client: "Session") -> None:
        """Drop every subscription of a client that is gone."""
        for channel in self.channels.of(client):
            self.channels.remove(client, channel)
        for pattern in self.patterns.of(client):
            self.remove_pattern(client, pattern)
        for channel in self.shard_channels.of(client):
            self.shard_channels.remove(client, channel)

    def matching_channels(self, pattern: bytes | None, subscriptions: Subscriptions | None = None) -> list[bytes]:
        """Channels with subscribers, all or those matching ``pattern`` (PUBSUB CHANNELS; of
        ``subscriptions``, the shard channels, for PUBSUB SHARDCHANNELS)."""
        channels = list((self.channels if subscriptions is None else subscriptions).subscribers)
        if pattern is None:
            return channels
        matches = compile_glob(pattern)
        return [channel for channel in channels if matches(channel)]

    def publish(self, channel: bytes, message: bytes) -> int:
        """Send ``message`` to the channel's subscribers, then to each subscription of a
        matching pattern; how many deliveries that made."""
        receivers = 0
        subscribers = self.channels.subscribers.get(channel)
        if subscribers:
            receivers += _deliver(subscribers, Push([b"message", channel, message]))
        for pattern, matches in self._matchers.items():
            if matches(channel):
                receivers += _deliver(self.patterns.subscribers[pattern],
                                      Push([b"pmessage", pattern, channel, message]))
        return receivers

    def publish_to_shard(self, channel: bytes, message: bytes) -> int:
        """SPUBLISH: send ``message`` to the shard channel's subscribers (patterns do not
        apply); how many got it."""
        subscribers = self.shard_channels.subscribers.get(channel)
        return _deliver(subscribers, Push([b"smessage", channel, message])) if subscribers else 0


def _deliver(clients: Iterable["Session"], message: Push) -> int:
    """Push ``message`` to each client, encoded once per protocol version in use."""
    encoded: dict[int, bytes] = {}
    delivered = 0
    for client in clients:
        data = encoded.get(client.resp)
        if data is None:
            data = encoded[client.resp] = client.encode(message)
        client.push(data)
        delivered += 1
    return delivered
