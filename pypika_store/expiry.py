"""The in-memory index of keys with a time to live, for the active expiry cycle.

LMDB holds each key's absolute expiry in its metadata record, which is what every read checks
(lazy expiry). This index only answers "which keys are due now" without scanning the keyspace;
it is rebuilt from LMDB at start-up, so it never needs to be persisted.
"""

from __future__ import annotations

from sortedcontainers import SortedList


class ExpiryIndex:
    """Keys of one logical DB ordered by their absolute expiry in unix milliseconds."""

    def __init__(self) -> None:
        self._deadline_by_key: dict[bytes, int] = {}
        self._by_deadline: SortedList = SortedList()

    def __len__(self) -> int:
        return len(self._deadline_by_key)

    def set(self, key: bytes, expire_at_ms: int) -> None:
        """Record the key's expiry; 0 removes it from the index."""
        old = self._deadline_by_key.pop(key, 0)
        if old:
            self._by_deadline.remove((old, key))
        if expire_at_ms:
            self._deadline_by_key[key] = expire_at_ms
            self._by_deadline.add((expire_at_ms, key))

    def discard(self, key: bytes) -> None:
        old = self._deadline_by_key.pop(key, 0)
        if old:
            self._by_deadline.remove((old, key))

    def due(self, now_ms: int, limit: int) -> list[bytes]:
        """Up to ``limit`` keys whose expiry is at or before ``now_ms``, earliest first."""
        keys = []
        for deadline, key in self._by_deadline.islice(0, limit):
            if deadline > now_ms:
                break
            keys.append(key)
        return keys

    def clear(self) -> None:
        self._deadline_by_key.clear()
        self._by_deadline.clear()
