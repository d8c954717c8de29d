"""SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE / PUBLISH, the sharded SSUBSCRIBE /
SUNSUBSCRIBE / SPUBLISH, and PUBSUB.

The registry is :mod:`pypika_store.server.pubsub`; these commands change it and answer as
Redis 7.0 does. What a RESP2 client may run while subscribed is the dispatcher's business
(:meth:`Client.execute`).
"""

from __future__ import annotations

from typing import Callable

from pypika_store.errors import subcommand_syntax_error, subscribe_denied_in_transaction

from ..connection import NORMAL, PUBSUB, Client
from ..registry import after_index, command, container, help_reply, key_at
from ..resp.replies import Push, Raw

container("pubsub", arity=-2, flags="", group="pubsub")


def _confirm(client: Client, kind: bytes, names: list[bytes] | list[None],
             change: Callable[[Client, bytes], object], count: Callable[[Client], int] | None = None) -> Raw:
    """Apply ``change`` to each name and confirm each with its own push carrying the
    client's subscription count after it (``count``: of its shard channels; by default of its
    channels and patterns): Redis sends one per name, so this command's reply is several,
    encoded here for the client's protocol (``None``: nothing to unsubscribe)."""
    pubsub = client.server.pubsub
    count = count or pubsub.subscription_count
    confirmations = []
    for name in names:
        if name is not None:
            change(client, name)
        confirmations.append(client.encode(Push([kind, name, count(client)])))
    if client.kind in (NORMAL, PUBSUB):  # a client with subscriptions is of kind pubsub
        client.kind = PUBSUB if pubsub.subscribed(client) else NORMAL
    return Raw(b"".join(confirmations))


@command("subscribe", arity=-2, flags="pubsub noscript loading stale", group="pubsub", syntax="channel [channel ...]")
def subscribe(client: Client, argv: list[bytes]) -> object:
    """Listen for messages published to the given channels."""
    return _confirm(client, b"subscribe", argv[1:], client.server.pubsub.channels.add)


@command("unsubscribe", arity=-1, flags="pubsub noscript loading stale", group="pubsub",
         syntax="[channel [channel ...]]")
def unsubscribe(client: Client, argv: list[bytes]) -> object:
    """Stop listening for messages posted to the given channels (all, without arguments)."""
    channels = client.server.pubsub.channels
    return _confirm(client, b"unsubscribe", argv[1:] or channels.of(client) or [None], channels.remove)


@command("psubscribe", arity=-2, flags="pubsub noscript loading stale", group="pubsub",
         syntax="pattern:<pattern:pattern> [pattern ...]")
def psubscribe(client: Client, argv: list[bytes]) -> object:
    """Listen for messages published to channels matching the given patterns."""
    return _confirm(client, b"psubscribe", argv[1:], client.server.pubsub.add_pattern)


@command("punsubscribe", arity=-1, flags="pubsub noscript loading stale", group="pubsub",
         syntax="[pattern:pattern [pattern ...]]")
def punsubscribe(client: Client, argv: list[bytes]) -> object:
    """Stop listening for messages posted to channels matching the given patterns (all,
    without arguments)."""
    pubsub = client.server.pubsub
    return _confirm(client, b"punsubscribe", argv[1:] or pubsub.patterns.of(client) or [None],
                    pubsub.remove_pattern)


# Not a write: a message is never stored nor logged, and a read-only slave delivers it to its
# own subscribers, as a Redis replica does.
@command("publish", arity=3, flags="pubsub loading stale fast", group="pubsub", syntax="channel message")
def publish(client: Client, argv: list[bytes]) -> object:
    """Post a message to a channel."""
    return client.server.pubsub.publish(argv[1], argv[2])


# The subcommands in the order of PUBSUB HELP.


@command("pubsub|channels", arity=-2, flags="pubsub loading stale", group="pubsub", help=(
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
), syntax="[pattern:pattern]")
def pubsub_channels(client: Client, argv: list[bytes]) -> object:
    """List active channels."""
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    return client.server.pubsub.matching_channels(argv[2] if len(argv) == 3 else None)


@command("pubsub|numpat", arity=2, flags="pubsub loading stale", group="pubsub",
         help=("NUMPAT", "    Return number of subscriptions to patterns."))
def pubsub_numpat(client: Client, argv: list[bytes]) -> object:
    """Get the count of unique patterns pattern subscriptions."""
    return len(client.server.pubsub.patterns)


@command("pubsub|numsub", arity=-2, flags="pubsub loading stale", group="pubsub", help=(
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
), syntax="[channel [channel ...]]")
def pubsub_numsub(client: Client, argv: list[bytes]) -> object:
    """Get the count of subscribers for channels."""
    subscribers = client.server.pubsub.channels.subscribers
    reply: list[object] = []
    for channel in argv[2:]:
        reply += [channel, len(subscribers.get(channel, ()))]
    return reply


@command("pubsub|shardchannels", arity=-2, flags="pubsub loading stale", group="pubsub", help=(
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
), since="7.0.0", complexity="O(N) where N is the number of active shard channels, and assuming constant time "
                             "pattern matching (relatively short shard channels).", syntax="[pattern:pattern]")
def pubsub_shardchannels(client: Client, argv: list[bytes]) -> object:
    """List active shard channels."""
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    pubsub = client.server.pubsub
    return pubsub.matching_channels(argv[2] if len(argv) == 3 else None, pubsub.shard_channels)


@command("pubsub|shardnumsub", arity=-2, flags="pubsub loading stale", group="pubsub", help=(
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
), since="7.0.0", complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
    syntax="[shardchannel [shardchannel ...]]")
def pubsub_shardnumsub(client: Client, argv: list[bytes]) -> object:
    """Get the count of subscribers for shard channels."""
    subscribers = client.server.pubsub.shard_channels.subscribers
    reply: list[object] = []
    for channel in argv[2:]:
        reply += [channel, len(subscribers.get(channel, ()))]
    return reply


@command("pubsub|help", arity=2, flags="loading stale", group="pubsub", help=("HELP", "    Prints this help."))
def pubsub_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)


# -- sharded pub/sub (Redis 7.0) -------------------------------------------------------------
#
# Redis declares the shard channels as keys marked not_key: COMMAND INFO shows them (a cluster
# client routes by them), COMMAND GETKEYS finds no key, and client tracking never tracks them.

_SHARD_CHANNELS = (after_index(1, "not_key"),)


@command("ssubscribe", arity=-2, flags="pubsub noscript loading stale", keys=_SHARD_CHANNELS, group="pubsub",
         since="7.0.0", complexity="O(N) where N is the number of shard channels to subscribe to.",
         syntax="shardchannel [shardchannel ...]")
def ssubscribe(client: Client, argv: list[bytes]) -> object:
    """Listen for messages published to the given shard channels."""
    if client.in_transaction:  # Redis refuses it to a client that expects one reply per command
        raise subscribe_denied_in_transaction("SSUBSCRIBE")
    shard_channels = client.server.pubsub.shard_channels
    return _confirm(client, b"ssubscribe", argv[1:], shard_channels.add, shard_channels.count)


@command("sunsubscribe", arity=-1, flags="pubsub noscript loading stale", keys=_SHARD_CHANNELS, group="pubsub",
         since="7.0.0", complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
         syntax="[shardchannel [shardchannel ...]]")
def sunsubscribe(client: Client, argv: list[bytes]) -> object:
    """Stop listening for messages posted to the given shard channels (all, without arguments)."""
    shard_channels = client.server.pubsub.shard_channels
    return _confirm(client, b"sunsubscribe", argv[1:] or shard_channels.of(client) or [None],
                    shard_channels.remove, shard_channels.count)


# Not a write, as PUBLISH (see there).
@command("spublish", arity=3, flags="pubsub loading stale fast", keys=(key_at(1, "not_key"),), group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
         syntax="shardchannel message")
def spublish(client: Client, argv: list[bytes]) -> object:
    """Post a message to a shard channel."""
    return client.server.pubsub.publish_to_shard(argv[1], argv[2])
