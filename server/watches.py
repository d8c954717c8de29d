"""WATCH: which client watches which key, and which watches a change broke; and the one hook
through which the server learns that keys changed.

Every write, whoever makes it (a client, EXEC, the replication applier, the active expiry
cycle), notes its changes in the turn's change log; the engine hands them to
:class:`ChangeListeners` when it logs them, which passes them to :meth:`WatchRegistry.touch` (so
this is the one place watches break) and to client tracking's invalidation
(:mod:`.tracking`). The hook is only set while some listener has something to learn (a key
is watched, a client tracks keys): otherwise writes pay nothing for it.

Redis 7.0's rules, kept exactly:

- any change to a watched key breaks the watch, even one that rewrites the same value;
- a key already expired (but not yet deleted) when watched is "absent": its deletion is no
  change, anything else is;
- FLUSHDB / FLUSHALL break the watches of the keys they delete (a watched key that did not
  exist is not changed by a flush);
- a key alive when watched that has expired by EXEC breaks the watch, deleted or not.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Callable

from pypika_store.changes import Change, Flushed, GroupChanged, KeyDeleted

if TYPE_CHECKING:
    from pypika_store.engine import Engine
    from pypika_store.keyspace import Keyspace

    from .session import Session

WatchedKey = tuple[int, bytes]
#: What hears of a command's changes: called with the command's change entries.
Listener = Callable[[list[Change]], None]


class ChangeListeners:
    """The engine's one ``on_changes`` hook, shared by everything that must learn which keys a
    command changed (WATCH, client tracking), in the order they started listening."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._listening: dict[Listener, None] = {}
        #: The client whose command made the changes being handed out (set by the dispatcher
        #: around a command's changes; None for the server's own, as the active expiry's).
        self.writer: "Session | None" = None

    def listen(self, listener: Listener, wanted: bool) -> None:
        """Start (``wanted``) or stop handing ``listener`` the changes; the engine's hook is
        set only while someone listens."""
        if wanted == (listener in self._listening):
            return
        if wanted:
            self._listening[listener] = None
        else:
            del self._listening[listener]
        listeners = list(self._listening)
        self._engine.on_changes = (None if not listeners else listeners[0] if len(listeners) == 1
                                   else self._hand_out)

    def _hand_out(self, changes: list[Change]) -> None:
        for listener in list(self._listening):
            listener(changes)


class Seen(Enum):
    """What a watched key was when WATCH ran (or since, for an expired key now deleted)."""

    LIVE = 1
    EXPIRED = 2  # expired but still stored: its deletion is no change
    ABSENT = 3


class WatchRegistry:
    """The server's watched keys."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        #: The engine's change hook, which this registry shares with client tracking.
        self.listeners = ChangeListeners(engine)
        #: (db index, key) → the clients watching it.
        self._watchers: dict[WatchedKey, dict["Session", None]] = {}
        #: client → its watched keys and what each was when watched.
        self._watched: dict["Session", dict[WatchedKey, Seen]] = {}
        #: Clients whose watch a change broke (their keys are no longer tracked).
        self._broken: set["Session"] = set()

    def watch(self, client: "Session", keyspace: "Keyspace", keys: list[bytes]) -> None:
        """WATCH ``keys`` of ``keyspace`` for ``client`` (nothing to do once broken)."""
        if client in self._broken:
            return
        watched = self._watched.setdefault(client, {})
        for key in keys:
            entry = (keyspace.index, key)
            if entry not in watched:
                watched[entry] = _seen(keyspace, key)
                self._watchers.setdefault(entry, {})[client] = None
        self._follow_changes()

    def broken(self, client: "Session") -> bool:
        """True when a change broke ``client``'s watch or a key it saw alive has expired."""
        if client in self._broken:
            return True
        keyspaces = self._engine.keyspaces
        return any(keyspaces[db].is_expired(key)
                   for (db, key), seen in self._watched.get(client, {}).items() if seen is Seen.LIVE)

    def unwatch(self, client: "Session") -> None:
        """Forget ``client``'s watch (EXEC, DISCARD, UNWATCH, disconnection)."""
        self._broken.discard(client)
        self._drop_keys(client)
        self._follow_changes()

    def touch(self, changes: list[Change]) -> None:
        """Break the watches the changes of one command touched."""
        for change in changes:
            if isinstance(change, Flushed):
                self._flushed(change.db)
            elif not isinstance(change, GroupChanged):  # Redis' group commands touch no watch
                self._changed((change.db, change.key), deleted=isinstance(change, KeyDeleted))
        self._follow_changes()

    def _changed(self, entry: WatchedKey, deleted: bool) -> None:
        for client in list(self._watchers.get(entry, ())):
            seen = self._watched[client]
            if deleted and seen[entry] is Seen.EXPIRED:
                seen[entry] = Seen.ABSENT
            else:
                self._break(client)

    def break_all(self) -> None:
        """Break every watch (a full sync replaced the data)."""
        for client in list(self._watched):
            self._break(client)
        self._follow_changes()

    def _flushed(self, db: int) -> None:
        """A flush of DB ``db`` deleted every key that existed: the watches on keys seen alive
        break (a key changed since WATCH broke its watch already, so "alive when watched" is
        "alive before the flush")."""
        for entry in [entry for entry in self._watchers if entry[0] == db]:
            for client in list(self._watchers.get(entry, ())):
                seen = self._watched[client]
                if seen[entry] is Seen.LIVE:
                    self._break(client)
                else:
                    seen[entry] = Seen.ABSENT

    def _break(self, client: "Session") -> None:
        self._broken.add(client)
        self._drop_keys(client)

    def _drop_keys(self, client: "Session") -> None:
        for entry in self._watched.pop(client, ()):
            watchers = self._watchers[entry]
            del watchers[client]
            if not watchers:
                del self._watchers[entry]

    def _follow_changes(self) -> None:
        """Have the engine report changes only while some key is watched."""
        self.listeners.listen(self.touch, bool(self._watchers))


def _seen(keyspace: "Keyspace", key: bytes) -> Seen:
    if keyspace.exists(key):
        return Seen.LIVE
    return Seen.EXPIRED if keyspace.is_expired(key) else Seen.ABSENT
