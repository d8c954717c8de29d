"""Codis slots: which slot a key belongs to, and the index of keys by slot (Pika's slot keys).

A key's slot is Pika's ``GetSlotsID``: ``crc32(tag) % 1024``, where the tag is what lies
between the key's first ``{`` and the first ``}`` after it (possibly empty), or the whole key
when it has no such pair. Keys sharing a tag share a slot, so they migrate together.

The index lives in the environment's ``slots`` table (docs/storage-format.md), one entry per
key: ``db u16 | slot u16 | key`` → the key. The keyspace maintains it only while
``slotmigrate`` is on (a keyspace without a :class:`SlotIndex` pays one ``is None`` test per
write), adding a key when it is created and removing it when it is deleted, as Pika does:
turning it on needs SLOTSRELOAD to index the keys already there. Entries
can go stale (a key that expired and was never deleted, a full sync that replaced the data):
readers of the index check that the key is still live.
"""

from __future__ import annotations

import struct
import zlib
from typing import Iterator

from .bounded_keys import stored_form
from .storage.environment import Table
from .turn import Turn

#: Pika's default-slot-num (and Codis' MaxSlotNum).
SLOT_COUNT = 1024

_PREFIX = struct.Struct(">HH")


def hash_tag(key: bytes) -> bytes | None:
    """The ``{tag}`` of a key (Pika's GetSlotsTag: an empty ``{}`` is a tag), or None."""
    start = key.find(b"{")
    if start < 0:
        return None
    end = key.find(b"}", start + 1)
    if end < 0:
        return None
    return key[start + 1:end]


def tag_crc(key: bytes) -> int:
    """The CRC-32 of the key's tag, or of the whole key when it has none."""
    tag = hash_tag(key)
    return zlib.crc32(key if tag is None else tag)


def slot_of(key: bytes) -> int:
    return tag_crc(key) % SLOT_COUNT


class SlotIndex:
    """The keys of one logical DB by slot, kept in the shared ``slots`` table."""

    def __init__(self, turn: Turn, table: Table, db: int) -> None:
        self._turn = turn
        self._table = table
        self._db = db
        self._db_prefix = struct.pack(">H", db)

    def _entry(self, key: bytes) -> bytes:
        """The entry's LMDB key: ``db | slot | key``, a long key cut to a prefix and a digest
        of the key (:func:`.bounded_keys.stored_form`; the value holds the whole key)."""
        return stored_form(_PREFIX.pack(self._db, slot_of(key)) + key, _PREFIX.size)

    def add(self, key: bytes) -> None:
        self._turn.writer().put(self._entry(key), key, db=self._table)

    def remove(self, key: bytes) -> None:
        self._turn.writer().delete(self._entry(key), db=self._table)

    def clear(self) -> None:
        """Drop every entry of this DB (FLUSHDB, SLOTSRELOAD's fresh start)."""
        with self._turn.writer().cursor(db=self._table) as cursor:
            found = cursor.set_range(self._db_prefix)
            while found and cursor.key().startswith(self._db_prefix):
                found = cursor.delete()

    def _walk(self, first: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Entries from ``first`` (inclusive) to ``stop`` (exclusive): (entry, key)."""
        with self._turn.reader().cursor(db=self._table) as cursor:
            found = cursor.set_range(first)
            while found:
                entry = cursor.key()
                if entry >= stop:
                    return
                yield entry, cursor.value()
                found = cursor.next()

    def keys(self, slot: int, after: bytes = b"", count: int | None = None) -> tuple[list[bytes], bytes]:
        """Up to ``count`` keys of ``slot`` (all with None) from the entry ``after`` (exclusive;
        empty: the start), and the last entry read to resume after (empty when exhausted)."""
        start = _PREFIX.pack(self._db, slot)
        first = max(start, after + b"\x00") if after else start
        found: list[bytes] = []
        last = b""
        for entry, key in self._walk(first, _PREFIX.pack(self._db, slot + 1)):
            if count is not None and len(found) == count:
                return found, last
            found.append(key)
            last = entry
        return found, b""

    def tag_group(self, key: bytes) -> list[bytes]:
        """The keys that move with ``key``: those of its slot with the same tag, or ``key`` alone."""
        tag = hash_tag(key)
        if tag is None:
            return [key]
        return [other for other in self.keys(slot_of(key))[0] if hash_tag(other) == tag]

    def size(self, slot: int) -> int:
        """How many entries ``slot`` has."""
        return sum(size for _slot, size in self.counts(slot, slot + 1))

    def counts(self, begin: int, end: int) -> list[tuple[int, int]]:
        """``(slot, keys)`` for each slot in [begin, end) that has entries, in one pass."""
        counted: dict[int, int] = {}
        for entry, _key in self._walk(_PREFIX.pack(self._db, begin), _PREFIX.pack(self._db, end)):
            slot = _PREFIX.unpack_from(entry)[1]
            counted[slot] = counted.get(slot, 0) + 1
        return list(counted.items())
