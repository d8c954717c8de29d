"""WATCH: which client watches which key, and which watches a change broke.

Every write, whoever makes it (a client, EXEC, the replication applier, the active expiry
cycle), notes its changes in the turn's change log; the engine hands them to :meth:`touch` when it
logs them, so this is the one place watches break. It is only called while some key is
watched: otherwise the engine's hook is unset and writes pay nothing for it.

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
from typing import TYPE_CHECKING

from pypika_store.changes import Change, Flushed, GroupChanged, KeyDeleted

if TYPE_CHECKING:
    from pypika_store.engine import Engine
    from pypika_store.keyspace import Keyspace

    from .session import Session

WatchedKey = tuple[int, bytes]


class Seen(Enum):
    """What a watched key was when WATCH ran (or since, for an expired key now deleted)."""

    LIVE = 1
    EXPIRED = 2  # expired but still stored: its deletion is no change
    ABSENT = 3


class WatchRegistry:
    """The server's watched keys."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
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
        self._engine.on_changes = self.touch if self._watchers else None


def _seen(keyspace: "Keyspace", key: bytes) -> Seen:
    if keyspace.exists(key):
        return Seen.LIVE
    return Seen.EXPIRED if keyspace.is_expired(key) else Seen.ABSENT
