"""Lists: elements at consecutive signed positions, ``object_id | position`` → element.

The meta record keeps the position of the first element (``head``, i64) besides the length, so
an element's LMDB key is computed from its index: LINDEX, LSET and pushing or popping at either
end cost one B-tree lookup (O(log n)), never a walk. Positions are stored as u64 with the sign
bit flipped so that byte order is numeric order. Inserting or removing in the middle (LINSERT,
LREM) shifts the shorter side of the list, as O(n) as it is in Redis.
"""

from __future__ import annotations

import struct
from typing import Iterator

from ..storage.records import TAG_LIST
from .collection import Collection, CollectionStore, chunked

_POSITION = struct.Struct(">Q")
_BIAS = 1 << 63
#: A new list's head: the middle of the range, so both ends have room.
_MIDDLE = 0


def position_key(position: int) -> bytes:
    return _POSITION.pack(position + _BIAS)


class ListStore(CollectionStore):
    tag = TAG_LIST
    compact_encoding = None
    large_encoding = "quicklist"
    fields_format = struct.Struct(">q")
    initial_fields = (_MIDDLE,)

    @staticmethod
    def head(collection: Collection) -> int:
        return collection.fields[0]

    def length(self, key: bytes) -> int:
        collection = self.open(key)
        return 0 if collection is None else collection.count

    def element(self, collection: Collection, index: int) -> bytes | None:
        """The element at a non-negative ``index``."""
        return self.read_member(collection, position_key(self.head(collection) + index))

    def push(self, key: bytes, values: list[bytes], left: bool, only_existing: bool = False) -> int:
        """LPUSH/RPUSH (``only_existing``: LPUSHX/RPUSHX); the new length (0: no such list)."""
        collection = self.open(key) if only_existing else self.open_or_new(key)
        if collection is None:
            return 0
        head = self.head(collection)
        for value in values:
            if left:
                head -= 1
                self.write_member(collection, position_key(head), value)
            else:
                self.write_member(collection, position_key(head + collection.count), value)
            collection.count += 1
        collection.fields = (head,)
        self.save(collection)
        self.log(collection, [b"lpush" if left else b"rpush", key, *values])
        self.signal_ready(key)
        return collection.count

    def pop(self, key: bytes, count: int, left: bool) -> list[bytes] | None:
        """Remove up to ``count`` elements from one end; None when the list does not exist."""
        collection = self.open(key)
        if collection is None:
            return None
        head = self.head(collection)
        count = min(count, collection.count)
        popped = []
        for _ in range(count):
            if left:
                popped.append(self.remove_member(collection, position_key(head)))
                head += 1
            else:
                popped.append(self.remove_member(collection, position_key(head + collection.count - 1)))
            collection.count -= 1
        collection.fields = (head,)
        if popped:
            self.save(collection)
            self.log(collection, [b"lpop" if left else b"rpop", key, b"%d" % len(popped)])
        return popped  # type: ignore[return-value]

    def range(self, collection: Collection, start: int, stop: int) -> list[bytes]:
        """Elements ``start..stop`` (inclusive, already clamped to the list)."""
        if start > stop:
            return []
        head = self.head(collection)
        members = self.iter_members(collection, start=position_key(head + start))
        return [value for _, (_, value) in zip(range(stop - start + 1), members)]

    def iter_elements(self, collection: Collection, reverse: bool = False) -> Iterator[bytes]:
        for _, value in self.iter_members(collection, reverse=reverse):
            yield value

    def set_element(self, collection: Collection, index: int, value: bytes) -> None:
        """LSET at a valid non-negative ``index``; logged with that index."""
        self.write_member(collection, position_key(self.head(collection) + index), value)
        self.log(collection, [b"lset", collection.key, b"%d" % index, value])

    def insert(self, collection: Collection, index: int, value: bytes) -> int:
        """Put ``value`` at ``index`` (0..count), shifting the shorter side; the new length.
        Logs nothing: LINSERT logs itself (it is deterministic)."""
        head = self.head(collection)
        if index < collection.count - index:  # shift the left part one step left
            moved = self.range(collection, 0, index - 1)
            head -= 1
            for offset, element in enumerate(moved):
                self.write_member(collection, position_key(head + offset), element)
        else:  # shift the right part one step right
            moved = self.range(collection, index, collection.count - 1)
            for offset, element in enumerate(moved):
                self.write_member(collection, position_key(head + index + 1 + offset), element)
        self.write_member(collection, position_key(head + index), value)
        collection.count += 1
        collection.fields = (head,)
        self.save(collection)
        return collection.count

    def rewrite(self, collection: Collection, elements: list[bytes]) -> None:
        """Replace every element (LREM's compaction); an empty result deletes the list."""
        self.clear_members(collection)
        head = self.head(collection)
        for offset, element in enumerate(elements):
            self.write_member(collection, position_key(head + offset), element)
        collection.count = len(elements)
        self.save(collection)

    def trim(self, collection: Collection, start: int, stop: int) -> None:
        """Keep elements ``start..stop`` (clamped; empty when start > stop); LTRIM logs itself."""
        head = self.head(collection)
        keep_from, keep_to = (start, stop) if start <= stop else (collection.count, collection.count - 1)
        for index in [*range(0, min(keep_from, collection.count)), *range(keep_to + 1, collection.count)]:
            self.remove_member(collection, position_key(head + index))
        kept = max(0, keep_to - keep_from + 1) if keep_from < collection.count else 0
        collection.fields = (head + keep_from if kept else head,)
        collection.count = kept
        self.save(collection)

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        return chunked(collection.key, b"rpush", self.iter_elements(collection), per_member=1)
