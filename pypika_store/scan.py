"""SCAN cursors over LMDB's ordered keys.

Redis' cursor is an opaque integer that encodes a hash-table position. Here keys are stored in
byte order, so the natural resume point is "the next key after the last one returned". Clients
need an integer, so (as Pika does) the server keeps a bounded map from cursor numbers to resume
keys: each SCAN call that stops early stores the next key under a fresh number and returns it.

Guarantees, as Redis': a full iteration (from 0 until 0 comes back) returns every key that
existed during the whole iteration, and terminates. A key is returned at most once per iteration
(Redis may return duplicates; ordered keys never do). A cursor unknown to the server (evicted
from the map after ``capacity`` newer cursors or once the resume keys together pass
``byte_budget``, or from before a restart) restarts the iteration from the beginning, which
still terminates. Resume keys are whole keys (a key may be as long as ``proto-max-bulk-len``:
docs/storage-format.md, "Long keys and members"), hence the byte budget.
"""

from __future__ import annotations

import itertools
import random
from collections import OrderedDict


class CursorStore:
    """Cursor numbers → the key where the next SCAN call resumes (least recently made go first)."""

    def __init__(self, capacity: int = 10_000, byte_budget: int = 64 << 20) -> None:
        self.capacity = capacity
        self.byte_budget = byte_budget
        self._bytes = 0
        self._resume_keys: OrderedDict[int, bytes] = OrderedDict()
        # Start from a random point so cursors of an earlier process are not mistaken for ours.
        self._numbers = itertools.count(random.randrange(1, 2**40))

    def save(self, resume_key: bytes) -> int:
        number = next(self._numbers)
        self._resume_keys[number] = resume_key
        self._bytes += len(resume_key)
        while len(self._resume_keys) > 1 and (len(self._resume_keys) > self.capacity
                                              or self._bytes > self.byte_budget):
            self._bytes -= len(self._resume_keys.popitem(last=False)[1])
        return number

    def resume_key(self, cursor: int) -> bytes:
        """Where to resume; cursor 0 and unknown cursors start from the first key."""
        if cursor == 0:
            return b""
        return self._resume_keys.get(cursor, b"")
