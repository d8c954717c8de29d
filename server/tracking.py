"""Client-side caching: CLIENT TRACKING's tables and its invalidation messages, as Redis 7.0's
tracking.c has them.

- **Default mode.** After a read-only command of a tracking client, the keys the command's key
  specs find are remembered: key → the ids of the clients that may cache it. When a key
  changes, each of those clients is sent an invalidation and the key is forgotten (a client
  is told once, until it reads the key again). Keys are not per DB: a change to ``k`` in any DB
  invalidates ``k`` everywhere, as in Redis. Ids, not clients, are kept, so a client that goes
  away leaves nothing to clean: its entries are dropped when their keys change.
- **BCAST mode.** Nothing is remembered; every change to a key under one of the client's
  prefixes is collected, and once per event-loop iteration each prefix's keys go out in one
  message, in key order (Redis sends them from beforeSleep).
- **OPTIN / OPTOUT** change which reads are remembered (CLIENT CACHING YES / NO for the next
  command or transaction); **NOLOOP** spares a client the invalidation of its own writes.
- A flush (FLUSHDB, FLUSHALL, SWAPDB, a slave's full sync) sends every tracking client one
  null invalidation ("every key") and empties the table. A slave applies its master's FLUSHALL
  as one FLUSHDB per DB (each DB has its own binlog): a client that read nothing since the
  last null is not sent another, so it gets one, as from a Redis replica.

Who changed what comes from the one place the server learns it:
:class:`.watches.ChangeListeners` hands this module every command's change entries, as it
hands them to WATCH. A message for the client whose command is running goes after that
command's reply (Redis' tracking_pending_keys); any other client gets it at once.

Messages are RESP3 pushes ``>2 invalidate [keys]`` on the client's own connection, or go to its
REDIRECT client: a RESP3 one gets the same push, a RESP2 one subscribed to something gets a
``message`` on ``__redis__:invalidate``. A redirect client that is gone marks the tracking
client ``broken_redirect`` and, in RESP3, sends it ``tracking-redir-broken``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pypika_store.changes import Change, Flushed
from pypika_store.errors import (TrackingBcastSwitchError, TrackingOptInAndOptOutError, TrackingOptInBcastError,
                                 TrackingOptSwitchError, TrackingPrefixWithoutBcastError, prefix_overlaps_existing,
                                 prefix_overlaps_given)

from .connection import MASTER
from .resp.replies import Push

if TYPE_CHECKING:
    from .app import Server
    from .connection import Client
    from .registry import CommandSpec
    from .session import Session

#: The channel a RESP2 redirect client gets invalidations on.
INVALIDATE_CHANNEL = b"__redis__:invalidate"
#: The keys an invalidation names: a list, or None for "every key" (a flush).
Keys = list[bytes] | None

_READONLY = "readonly"
_PUBSUB = "pubsub"


@dataclass
class TrackingOptions:
    """What CLIENT TRACKING ON asks for."""

    redirect: int = 0
    bcast: bool = False
    optin: bool = False
    optout: bool = False
    noloop: bool = False
    prefixes: list[bytes] = field(default_factory=list)


@dataclass
class TrackingState:
    """One client's tracking (``client.tracking``; None while tracking is off)."""

    redirect: int = 0
    bcast: bool = False
    optin: bool = False
    optout: bool = False
    noloop: bool = False
    #: CLIENT CACHING YES / NO given for the next command (or transaction).
    caching: bool = False
    #: A message found the redirect client gone.
    broken_redirect: bool = False
    #: A read-only command ran since the last null invalidation (so it may cache something).
    read_since_flush: bool = True
    #: BCAST mode's prefixes, in the order given (TRACKINGINFO sorts them, as Redis' radix tree).
    prefixes: dict[bytes, None] = field(default_factory=dict)

    def flags(self) -> list[bytes]:
        """CLIENT TRACKINGINFO's flags, in Redis' order."""
        flags = [b"on"]
        if self.bcast:
            flags.append(b"bcast")
        if self.optin:
            flags += [b"optin", b"caching-yes"] if self.caching else [b"optin"]
        if self.optout:
            flags += [b"optout", b"caching-no"] if self.caching else [b"optout"]
        if self.noloop:
            flags.append(b"noloop")
        if self.broken_redirect:
            flags.append(b"broken_redirect")
        return flags

    def remembers_reads(self) -> bool:
        """Whether the command running now has its keys remembered (OPTIN: only after CACHING
        YES; OPTOUT: unless CACHING NO)."""
        return not (self.optin and not self.caching or self.optout and self.caching)


@dataclass
class _Prefix:
    """One BCAST prefix: its clients, and the keys under it changed since the last broadcast,
    each with the client that changed it last (for NOLOOP; None: the server, as an expiry)."""

    clients: dict["Session", None] = field(default_factory=dict)
    changed: dict[bytes, "Session | None"] = field(default_factory=dict)


class Tracking:
    """The server's tracking table, BCAST prefixes and tracking clients."""

    def __init__(self, server: "Server") -> None:
        self._clients = server.clients
        self._config = server.config
        self._listeners = server.watches.listeners
        #: key → ids of the clients that may cache it.
        self.table: dict[bytes, dict[int, None]] = {}
        #: Entries of the table over all keys (INFO's tracking_total_items).
        self.total_items = 0
        self.prefixes: dict[bytes, _Prefix] = {}
        #: Clients with tracking on (INFO's tracking_clients).
        self.clients = 0
        self._broadcast_due = False

    # -- CLIENT TRACKING ---------------------------------------------------------------------

    def enable(self, client: "Session", options: TrackingOptions) -> None:
        """CLIENT TRACKING ON: check the options against each other and the client's current
        tracking (Redis' errors, in Redis' order), then turn tracking on (again)."""
        state = client.tracking
        if options.prefixes and not options.bcast:
            raise TrackingPrefixWithoutBcastError()
        if state is not None and state.bcast != options.bcast:
            raise TrackingBcastSwitchError()
        if options.bcast and (options.optin or options.optout):
            raise TrackingOptInBcastError()
        if options.optin and options.optout:
            raise TrackingOptInAndOptOutError()
        if state is not None and (options.optin and state.optout or options.optout and state.optin):
            raise TrackingOptSwitchError()
        if options.bcast:
            _check_prefixes(options.prefixes, state.prefixes if state is not None else {})
        if state is None:
            state = client.tracking = TrackingState()
            self.clients += 1
        state.redirect, state.bcast, state.broken_redirect = options.redirect, options.bcast, False
        state.optin, state.optout, state.noloop = options.optin, options.optout, options.noloop
        for prefix in (options.prefixes or [b""]) if options.bcast else ():
            if prefix not in state.prefixes:
                state.prefixes[prefix] = None
                self.prefixes.setdefault(prefix, _Prefix()).clients[client] = None
        self._follow_changes()

    def disable(self, client: "Session") -> None:
        """CLIENT TRACKING OFF, RESET, a disconnection. The table keeps the client's id: its
        entries go when their keys change (Redis' lazy clean-up)."""
        state = client.tracking
        if state is None:
            return
        for prefix in state.prefixes:
            clients = self.prefixes[prefix].clients
            del clients[client]
            if not clients:
                del self.prefixes[prefix]
        client.tracking = None
        self.clients -= 1
        self._follow_changes()

    # -- after each command ------------------------------------------------------------------

    def after_call(self, client: "Client", spec: "CommandSpec", argv: list[bytes]) -> None:
        """A command of a tracking client ran (the dispatcher calls this): remember the keys a
        read-only one read, and spend CLIENT CACHING's flag once the command it was given for
        (or the transaction) is over. CLIENT's own subcommands keep it, as in Redis."""
        state = client.tracking
        if state is None:  # CLIENT TRACKING OFF, RESET
            return
        if _READONLY in spec.flags:
            state.read_since_flush = True
            if not state.bcast and state.remembers_reads() and _PUBSUB not in spec.flags:
                self._remember(client.id, spec, argv)
        if state.caching and client.transaction is None and not client.in_transaction and \
                (spec.parent is None or spec.parent.name != "client"):
            state.caching = False

    def _remember(self, client_id: int, spec: "CommandSpec", argv: list[bytes]) -> None:
        keys = spec.keys_and_flags(argv)
        if not keys:
            return
        table = self.table
        for key, _flags in keys:
            ids = table.get(key)
            if ids is None:
                ids = table[key] = {}
            if client_id not in ids:
                ids[client_id] = None
                self.total_items += 1
        self._evict_over_limit()
        self._follow_changes()

    def _evict_over_limit(self) -> None:
        """tracking-table-max-keys: forget keys until the table fits, each invalidated for its
        clients as if it had changed (so they drop what we no longer track for them). Redis
        picks the keys at random; the ones tracked longest go first here."""
        limit = self._config.get_int("tracking-table-max-keys")
        table = self.table
        while limit and len(table) > limit:
            self._invalidate_key(next(iter(table)), None, broadcast=False)

    # -- changes -----------------------------------------------------------------------------

    def touch(self, changes: list[Change]) -> None:
        """Invalidate what one command changed. A flush invalidates every key, once for the
        command however many DBs it flushed (FLUSHALL, SWAPDB's two); the keys SWAPDB then
        places in the flushed DBs are covered by that."""
        writer = self._listeners.writer
        flushed: set[int] = set()
        for change in changes:
            if type(change) is Flushed:
                if not flushed:
                    self.flush(replicated=writer is not None and writer.kind == MASTER)
                flushed.add(change.db)
            elif change.db not in flushed:
                self._invalidate_key(change.key, writer, broadcast=True)
        self._follow_changes()

    def flush(self, replicated: bool = True) -> None:
        """Every key changed (a flush, a full sync): one null invalidation for each tracking
        client, and the table starts again empty. ``replicated`` (the master's flushes, a full
        sync) spares the clients that read nothing since their last null."""
        for client in list(self._clients.values()):
            state = client.tracking
            if state is not None and (state.read_since_flush or not replicated):
                state.read_since_flush = False
                self._send(client, None)
        self.table.clear()
        self.total_items = 0
        self._follow_changes()

    def _invalidate_key(self, key: bytes, writer: "Session | None", broadcast: bool) -> None:
        if broadcast and self.prefixes:
            for prefix, state in self.prefixes.items():
                if key.startswith(prefix):
                    state.changed[key] = writer
                    self._schedule_broadcast()
        ids = self.table.pop(key, None)
        if ids is None:
            return
        self.total_items -= len(ids)
        for client_id in ids:
            target = self._clients.get(client_id)
            if target is None or target.tracking is None or target.tracking.bcast:
                continue
            if target.tracking.noloop and target is writer:
                continue
            self._send(target, [key])

    def _schedule_broadcast(self) -> None:
        if not self._broadcast_due:
            self._broadcast_due = True
            asyncio.get_running_loop().call_soon(self.broadcast)

    def broadcast(self) -> None:
        """Send each BCAST prefix's changed keys to its clients (once per event-loop iteration,
        after the commands of the iteration ran): one message per prefix, prefixes and keys in
        byte order;
        a NOLOOP client's leaves out the keys it changed last itself, and is not sent if
        nothing is left."""
        self._broadcast_due = False
        for _prefix, state in sorted(self.prefixes.items()):  # Redis' radix tree order
            if not state.changed:
                continue
            changed = sorted(state.changed.items())
            every_key = [key for key, _writer in changed]
            for client in list(state.clients):
                if client.tracking is not None and client.tracking.noloop:
                    keys = [key for key, writer in changed if writer is not client]
                    if keys:
                        self._send(client, keys)
                else:
                    self._send(client, every_key)
            state.changed = {}

    # -- delivery ----------------------------------------------------------------------------

    def _send(self, target: "Session", keys: Keys) -> None:
        """Invalidate ``keys`` for ``target``: after its reply if its command is running now."""
        target.after_reply(lambda: self._deliver(target, keys))

    def _deliver(self, target: "Session", keys: Keys) -> None:
        """Redis' sendTrackingMessage: to the client itself (RESP3 only) or its redirect client."""
        state = target.tracking
        if state is None:  # tracking turned off before a held message went out
            return
        receiver: "Session | None" = target
        if state.redirect:
            receiver = self._clients.get(state.redirect)
            if receiver is None:
                state.broken_redirect = True
                if target.resp == 3:
                    target.send_push(target.encode(Push([b"tracking-redir-broken", state.redirect])))
                return
        if receiver.resp == 3:
            receiver.send_push(receiver.encode(Push([b"invalidate", keys])))
        elif state.redirect and receiver.kind == _PUBSUB:  # a redirect to itself counts
            receiver.send_push(receiver.encode(Push([b"message", INVALIDATE_CHANNEL, keys])))
        # else a RESP2 connection has no way to receive it

    def _follow_changes(self) -> None:
        """Listen to the changes only while there is something to invalidate."""
        self._listeners.listen(self.touch, bool(self.table or self.prefixes or self.clients))


def _check_prefixes(prefixes: list[bytes], existing: dict[bytes, None]) -> None:
    """BCAST prefixes must not overlap (one a prefix of the other), neither with the client's
    current ones nor with each other; Redis' error names the first overlap found."""
    for index, prefix in enumerate(prefixes):
        for current in existing:
            if _overlap(current, prefix):
                raise prefix_overlaps_existing(prefix, current)
        for other in prefixes[index + 1:]:
            if _overlap(prefix, other):
                raise prefix_overlaps_given(prefix, other)


def _overlap(first: bytes, second: bytes) -> bool:
    shorter = min(len(first), len(second))
    return first[:shorter] == second[:shorter]
