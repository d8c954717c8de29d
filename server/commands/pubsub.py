"""SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE / PUBLISH / PUBSUB.

The registry is :mod:`pypika_store.server.pubsub`; these commands change it and answer as
Redis 7.0 does. What a RESP2 client may run while subscribed is the dispatcher's business
(:meth:`Client.execute`).
"""

from __future__ import annotations

from typing import Callable

from pypika_store.errors import subcommand_syntax_error

from ..connection import NORMAL, PUBSUB, Client
from ..registry import command, container, help_reply
from ..resp.replies import Push, Raw

container("pubsub", arity=-2, flags="", group="pubsub")


def _confirm(client: Client, kind: bytes, names: list[bytes] | list[None],
             change: Callable[[Client, bytes], object]) -> Raw:
    """Apply ``change`` to each name and confirm each with its own push carrying the
    client's subscription count after it: Redis sends one per name, so this command's reply
    is several, encoded here for the client's protocol (``None``: nothing to unsubscribe)."""
    pubsub = client.server.pubsub
    confirmations = []
    for name in names:
        if name is not None:
            change(client, name)
        confirmations.append(client.encode(Push([kind, name, pubsub.subscription_count(client)])))
    if client.kind in (NORMAL, PUBSUB):  # a client with subscriptions is of kind pubsub
        client.kind = PUBSUB if pubsub.subscription_count(client) else NORMAL
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


@command("pubsub|help", arity=2, flags="loading stale", group="pubsub", help=("HELP", "    Prints this help."))
def pubsub_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
