"""Collections' object ids: handing out fresh ones, and reclaiming deleted ones' members.

A collection's members live in its DB's members table under its object id, never under the key
name (see docs/data-types.md). Ids come from a counter in the ``system`` table and are never
reused. Deleting a collection drops its one meta record and queues its id, in the same
transaction; the server's cron then deletes the queued members a batch at a time, so DEL of a key
with millions of members costs one record now.

Whoever caches something per collection (the zset store's rank caches) listens to the queue: it
is told when a collection is queued and when a DB's members table is replaced as a whole.
"""

from __future__ import annotations

import struct
from typing import Protocol, Sequence

from .storage.environment import Table
from .storage.records import OBJECT_ID
from .turn import Turn

#: In the system table: the next collection object id to hand out.
NEXT_OBJECT_ID_KEY = b"next_object_id"
#: In the system table: ``reclaim: | db u8 | object_id u64`` for each deleted collection whose
#: members are still to be deleted.
RECLAIM_PREFIX = b"reclaim:"
_RECLAIM = struct.Struct(">BQ")


class ObjectIdCounter:
    """Hands out object ids; the counter is stored in the transaction of the collection that
    takes the id, so a committed collection's id is never handed out again."""

    def __init__(self, turn: Turn, system: Table) -> None:
        self._turn = turn
        self._system = system
        self._next = 1

    def load(self) -> None:
        """Read the counter from LMDB (at start, after a failed commit or a full sync)."""
        raw = self._turn.reader().get(NEXT_OBJECT_ID_KEY, db=self._system)
        self._next = OBJECT_ID.unpack(raw)[0] if raw else 1

    def allocate(self) -> int:
        """A fresh object id for a new collection."""
        object_id = self._next
        self._next += 1
        self._turn.writer().put(NEXT_OBJECT_ID_KEY, OBJECT_ID.pack(self._next), db=self._system)
        return object_id


class ReclaimListener(Protocol):
    """Told about members that are going away (one listener per DB)."""

    def collection_reclaimed(self, object_id: int) -> None:
        """The collection ``object_id`` was deleted: its members are queued for deletion."""

    def members_table_replaced(self) -> None:
        """The DB's members table may hold anything now (flushed, reloaded after a failed
        commit, loaded from a master's snapshot): nothing cached from it is valid."""


class ReclaimQueue:
    """The deleted collections whose members are still to be deleted, kept in the system table."""

    def __init__(self, turn: Turn, system: Table, members_tables: Sequence[Table]) -> None:
        self._turn = turn
        self._system = system
        self._members_tables = members_tables
        self._listeners: dict[int, list[ReclaimListener]] = {}
        #: Queued collections (INFO's ``lazyfree_pending_objects``).
        self.pending = 0

    def listen(self, db: int, listener: ReclaimListener) -> None:
        """Have ``listener`` told about DB ``db``'s members going away."""
        self._listeners.setdefault(db, []).append(listener)

    def load(self) -> None:
        """Count the queue in LMDB (at start, after a failed commit or a full sync) and tell every
        listener that the members tables were replaced under it."""
        with self._turn.reader().cursor(db=self._system) as cursor:
            cursor.set_range(RECLAIM_PREFIX)
            self.pending = sum(1 for key in cursor.iternext(values=False) if key.startswith(RECLAIM_PREFIX))
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.members_table_replaced()

    def reclaim(self, db: int, object_id: int) -> None:
        """Queue the members of DB ``db``'s deleted collection ``object_id`` for deletion, in
        this turn's transaction."""
        for listener in self._listeners.get(db, ()):
            listener.collection_reclaimed(object_id)
        self._turn.writer().put(RECLAIM_PREFIX + _RECLAIM.pack(db, object_id), b"", db=self._system)
        self.pending += 1

    def members_flushed(self, db: int) -> None:
        """DB ``db``'s members table was emptied (FLUSHDB): its queue entries have nothing left
        to delete."""
        for listener in self._listeners.get(db, ()):
            listener.members_table_replaced()
        txn = self._turn.writer()
        head = RECLAIM_PREFIX + bytes([db])
        with txn.cursor(db=self._system) as cursor:
            found = cursor.set_range(head)
            while found and cursor.key().startswith(head):
                found = cursor.delete()
                self.pending -= 1

    def step(self, budget: int) -> int:
        """Delete up to ``budget`` members of queued collections; how many were deleted."""
        if not self.pending:
            return 0
        txn = self._turn.writer()
        deleted = 0
        with txn.cursor(db=self._system) as queue:
            found = queue.set_range(RECLAIM_PREFIX)
            while found and deleted < budget and queue.key().startswith(RECLAIM_PREFIX):
                db, object_id = _RECLAIM.unpack_from(queue.key(), len(RECLAIM_PREFIX))
                prefix = OBJECT_ID.pack(object_id)
                with txn.cursor(db=self._members_tables[db]) as members:
                    more = members.set_range(prefix)
                    while more and deleted < budget and members.key().startswith(prefix):
                        more = members.delete()
                        deleted += 1
                    finished = not more or not members.key().startswith(prefix)
                if not finished:
                    break
                found = queue.delete()
                self.pending -= 1
        return deleted
