"""Sorted sets: two entries per member and an in-memory rank index.

In LMDB, under the object id:

- ``m | member`` → the score as a big-endian IEEE 754 double (ZSCORE, ZADD's lookups);
- ``s | score key | member`` → empty, where the 8-byte score key orders like the score itself
  (sign bit flipped for positive numbers, all bits flipped for negative ones; -0 is stored as
  0, as Redis does), so the table walks a sorted set in Redis' order: by score, equal scores by member bytes,
  -inf first and +inf last.

LMDB's B-tree cannot count, so ranks come from a ``SortedList`` of the ``score key | member``
byte strings per sorted set, built from the ``s`` entries (already in order) on first use and
kept up to date by every write; ZRANK, ZRANGE by index or by score, ZCOUNT are O(log n) (plus
the reply). The caches are bounded (least recently used dropped first) and dropped when a
commit fails, a key is deleted or its DB flushed.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from typing import Iterator

from sortedcontainers import SortedList

from ..errors import CommandError
from ..object_ids import ObjectIdCounter
from ..storage.records import TAG_ZSET
from ..turn import Turn
from .collection import MAX_MEMBER, Collection, CollectionStore, KeyRecords, chunked

_DOUBLE = struct.Struct(">d")
_BITS = struct.Struct(">Q")
_SIGN = 1 << 63
_ALL = (1 << 64) - 1
MEMBER = b"m"
INDEX = b"s"

#: The longest zset member (the ``s`` entry holds prefix, tag, score key and member).
MAX_ZSET_MEMBER = MAX_MEMBER - 9

#: Entries kept in all rank caches together before the least recently used are dropped.
CACHE_BUDGET = 4_000_000


def score_key(score: float) -> bytes:
    """8 bytes that sort like ``score`` (-0 and 0 alike, as Redis compares them)."""
    bits = _BITS.unpack(_DOUBLE.pack(score + 0.0))[0]
    return _BITS.pack(bits ^ _ALL if bits & _SIGN else bits | _SIGN)


def score_of_key(key: bytes) -> float:
    bits = _BITS.unpack_from(key)[0]
    return _DOUBLE.unpack(_BITS.pack(bits ^ _SIGN if bits & _SIGN else bits ^ _ALL))[0]


def format_score(score: float) -> bytes:
    """A score as the binlog records it (Python's shortest round-trip form)."""
    return repr(score).encode()


class ZsetStore(CollectionStore):
    tag = TAG_ZSET
    large_encoding = "skiplist"

    def __init__(self, keyspace: KeyRecords, turn: Turn, object_ids: ObjectIdCounter) -> None:
        super().__init__(keyspace, turn, object_ids)
        self._caches: OrderedDict[int, SortedList] = OrderedDict()
        self._cached_entries = 0

    # -- the rank cache ----------------------------------------------------------------------

    def ranks(self, collection: Collection) -> SortedList:
        """The sorted ``score key | member`` strings of a sorted set (built on first use)."""
        cache = self._caches.get(collection.object_id)
        if cache is not None:
            self._caches.move_to_end(collection.object_id)
            return cache
        cache = SortedList(suffix[1:] for suffix, _ in self.iter_members(collection, prefix=INDEX))
        self._caches[collection.object_id] = cache
        self._cached_entries += len(cache)
        while self._cached_entries > CACHE_BUDGET and len(self._caches) > 1:
            _, dropped = self._caches.popitem(last=False)
            self._cached_entries -= len(dropped)
        return cache

    def collection_reclaimed(self, object_id: int) -> None:
        """A deleted collection's cache goes with it (the reclaim queue tells this store)."""
        dropped = self._caches.pop(object_id, None)
        if dropped is not None:
            self._cached_entries -= len(dropped)

    def members_table_replaced(self) -> None:
        """Every cache goes when the members table changed under them (a flush, a failed
        commit, a full sync: the reclaim queue tells this store)."""
        self._caches.clear()
        self._cached_entries = 0

    # -- members -----------------------------------------------------------------------------

    def score(self, collection: Collection, member: bytes) -> float | None:
        raw = self.read_member(collection, MEMBER + member)
        return None if raw is None else _DOUBLE.unpack(raw)[0]

    @staticmethod
    def unpack_score(raw: bytes) -> float:
        """The score stored in a member entry's value."""
        return _DOUBLE.unpack(raw)[0]

    def put(self, collection: Collection, member: bytes, score: float, old: float | None) -> None:
        """Give ``member`` the ``score`` (``old``: its current score, None when new). A score
        of -0 is stored as 0, as Redis replies it."""
        score += 0.0
        if len(member) > MAX_ZSET_MEMBER:
            raise CommandError(f"ERR member is too long (pypika-store stores zset members of up to "
                               f"{MAX_ZSET_MEMBER} bytes)")
        cache = self._caches.get(collection.object_id)
        if old is not None:
            old_entry = score_key(old) + member
            self.remove_member(collection, INDEX + old_entry)
            if cache is not None:
                cache.remove(old_entry)
        else:
            collection.count += 1
            self._cached_entries += cache is not None
        entry = score_key(score) + member
        self.write_member(collection, MEMBER + member, _DOUBLE.pack(score))
        self.write_member(collection, INDEX + entry, b"")
        if cache is not None:
            cache.add(entry)

    def delete(self, collection: Collection, member: bytes, score: float) -> None:
        entry = score_key(score) + member
        self.remove_member(collection, MEMBER + member)
        self.remove_member(collection, INDEX + entry)
        collection.count -= 1
        cache = self._caches.get(collection.object_id)
        if cache is not None:
            cache.remove(entry)
            self._cached_entries -= 1

    @staticmethod
    def decode(entries: list[bytes]) -> list[tuple[bytes, float]]:
        """``(member, score)`` of rank-cache entries."""
        return [(entry[8:], score_of_key(entry)) for entry in entries]

    def rank(self, collection: Collection, member: bytes) -> tuple[int, float] | None:
        """The 0-based rank (ascending) and score of ``member``; None when absent."""
        score = self.score(collection, member)
        if score is None:
            return None
        return self.ranks(collection).index(score_key(score) + member), score

    def iter_scores(self, collection: Collection) -> Iterator[tuple[bytes, float]]:
        """Every ``(member, score)`` in order."""
        for suffix, _ in self.iter_members(collection, prefix=INDEX):
            yield suffix[9:], score_of_key(suffix[1:])

    def encoded_elements(self, collection: Collection) -> Iterator[bytes]:
        return (suffix[1:] for suffix, _ in self.iter_members(collection, prefix=MEMBER))

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        arguments = (part for member, score in self.iter_scores(collection)
                     for part in (format_score(score), member))
        return chunked(collection.key, b"zadd", arguments, per_member=2)
