"""Keyspace notifications: publishing the events the engine noted (Redis' notify.c).

The keyspace and the type stores note each event where they write (``Turn.notify``: event name,
DB, key; see :mod:`pypika_store.notifications`); this module tells the engine which classes to
note (notify-keyspace-events, and whether this node expires keys itself) and publishes what was
noted, through :class:`.pubsub.PubSub`'s fan-out: ``__keyspace@<db>__:<key>`` with the event
name, then ``__keyevent@<db>__:<event>`` with the key, for each event in the order it happened.

The dispatcher publishes after each command (so a MULTI's events go out command by command,
before EXEC's reply, and a command's before its reply: Redis publishes during the command), and
the server at the end of each turn (the active expiry cycle's ``expired`` events).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pypika_store.notifications import EXPIRED, KEYEVENT, KEYSPACE, published_classes

if TYPE_CHECKING:
    from .app import Server


class KeyspaceNotifications:
    """The server's keyspace notifications (one per server)."""

    def __init__(self, server: "Server") -> None:
        self._server = server
        self._turn = server.engine.turn
        #: The events noted and not published yet (the turn's list, cleared in place).
        self.pending = self._turn.events
        self._keyspace = self._keyevent = False

    def configure(self) -> None:
        """Read notify-keyspace-events (at start, after CONFIG SET, when the role changes or a
        CLIENT PAUSE starts or ends): the classes the engine notes, and whether a command
        finding an expired key deletes it (a master noting ``expired``, unless paused; a slave
        waits for its master's DEL; both as Redis)."""
        flags = self._server.config.get_int("notify-keyspace-events")
        classes = published_classes(flags)
        self._keyspace, self._keyevent = bool(flags & KEYSPACE), bool(flags & KEYEVENT)
        self._turn.notify_classes = classes
        master = self._server.replica is None
        self._turn.expire_on_access = bool(classes & EXPIRED) and master and self._server.dispatcher.pause is None
        self._turn.expired_keys_live = not master
        if not classes:
            self.pending.clear()

    def publish(self) -> None:
        """Publish the noted events in order, then forget them."""
        publish = self._server.pubsub.publish
        keyspace, keyevent = self._keyspace, self._keyevent
        for event, db, key in self.pending:
            if keyspace:
                publish(b"__keyspace@%d__:%s" % (db, key), event)
            if keyevent:
                publish(b"__keyevent@%d__:%s" % (db, event), key)
        self.pending.clear()
