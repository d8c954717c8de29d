"""Lists: elements at consecutive signed positions, ``object_id | position`` → element.

The meta record keeps the position of the first element (``head``, i64) besides the length, so
an element's LMDB key is computed from its index: LINDEX, LSET and pushing or popping at either
end cost one B-tree lookup (O(log n)), never a walk. Positions are stored as u64 with the sign
bit flipped so that byte order is numeric order. Inserting or removing in the middle (LINSERT,
LREM) shifts the shorter side of the list, as O(n) as it is in Redis.
"""

from __future__ import annotations

import struct
from typing import Iterable, Iterator

from ..errors import IndexOutOfRangeError, NoSuchKeyError
from ..notifications import GENERIC, LIST
from ..storage.records import TAG_LIST
from .collection import Collection, CollectionStore, RecordCommand, chunked

_POSITION = struct.Struct(">Q")
_BIAS = 1 << 63
#: A new list's head: the middle of the range, so both ends have room.
_MIDDLE = 0
_LPUSH, _RPUSH = RecordCommand(b"lpush"), RecordCommand(b"rpush")


def position_key(position: int) -> bytes:
    return _POSITION.pack(position + _BIAS)


def normalize(index: int, length: int) -> int:
    """An index as LINDEX and LSET read it: negatives count from the end."""
    return index + length if index < 0 else index


def clamped_range(length: int, start: int, stop: int) -> tuple[int, int]:
    """LRANGE's and LTRIM's index rules: negatives from the end, clamped to the list (empty
    when start > stop)."""
    return max(normalize(start, length), 0), min(normalize(stop, length), length - 1)


class ListStore(CollectionStore):
    tag = TAG_LIST
    event_class = LIST
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

    def range(self, collection: Collection, start: int, stop: int) -> list[bytes]:
        """Elements ``start..stop`` (inclusive, already clamped to the list)."""
        if start > stop:
            return []
        return list(self.values_from(collection, position_key(self.head(collection) + start), stop - start + 1))

    def walk_range(self, key: bytes, start: int, stop: int) -> Iterable[bytes] | None:
        """LRANGE's read in one call: the elements ``start..stop`` of the list at ``key``, the
        indexes as sent (negatives from the end, clamped); None when the key is missing,
        WRONGTYPE when it is not a list. The elements come as the cursor walk's own iterator
        (:meth:`values_from`), which the caller consumes at once: the reply's list is then the
        only one built (not a list built here and copied into the reply's)."""
        collection = self.open(key)
        if collection is None:
            return None
        start, stop = clamped_range(collection.count, start, stop)
        if start > stop:
            return ()
        return self.values_from(collection, position_key(self.head(collection) + start), stop - start + 1)

    def iter_elements(self, collection: Collection, reverse: bool = False) -> Iterator[bytes]:
        for _, value in self.iter_members(collection, reverse=reverse):
            yield value

    # -- writes: each opens the key, saves the meta and logs its records --------------------

    def push(self, key: bytes, values: list[bytes], left: bool, only_existing: bool = False) -> int:
        """LPUSH/RPUSH (``only_existing``: LPUSHX/RPUSHX); the new length (0: no such list).

        The hottest collection write works on the meta record itself, not through a
        :class:`Collection`, :meth:`save` and :meth:`log`: one unpack, the puts, one pack and
        write, the record logged encoded (an object and five calls less per LPUSH, 12 % of its
        engine instructions). A position's key (id and position, 16 bytes) is never cut
        (:mod:`..bounded_keys`): each element is one put on the turn's cursor."""
        raw = self.keyspace.get_raw(key)
        if raw is None and only_existing:
            return 0
        _tag, expire_at, prefix, count, head = self.unpacked_meta(raw)
        put = self._turn.write_cursor(self.table).put
        if left:
            for value in values:
                head -= 1
                put(prefix + _POSITION.pack(head + _BIAS), value)
        else:
            for position, value in enumerate(values, head + count):
                put(prefix + _POSITION.pack(position + _BIAS), value)
        count += len(values)
        record = self._hot_meta.pack(TAG_LIST, expire_at, prefix, count, head)
        if left:
            self.meta_written(key, raw, record, b"lpush", _LPUSH, values, True)
        else:
            self.meta_written(key, raw, record, b"rpush", _RPUSH, values, True)
        return count

    def pop(self, key: bytes, count: int, left: bool, announced: bool = True) -> list[bytes] | None:
        """Remove up to ``count`` elements from one end; None when the list does not exist.
        Announced as ``lpop`` or ``rpop`` (then ``del`` if emptied) unless ``announced`` is
        False (LMOVE announces its pop after its push)."""
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
            command = b"lpop" if left else b"rpop"
            self.save(collection, command if announced else None)
            self.log(collection, [command, key, b"%d" % len(popped)])
        return popped  # type: ignore[return-value]

    def move(self, source: bytes, target: bytes, from_left: bool, to_left: bool) -> bytes | None:
        """LMOVE, RPOPLPUSH and their blocking forms: pop from ``source``, push onto
        ``target`` (both checked for WRONGTYPE first); the element, None when ``source`` is
        missing. Logged as the pop, then the push; announced as Redis does: the push, then
        the pop (and the source's ``del`` when emptied)."""
        if self.open(source) is None:
            return None
        self.open(target)
        element = self.pop(source, 1, from_left, announced=False)[0]  # type: ignore[index]
        self.push(target, [element], to_left)
        if self._turn.notify_classes:
            self.notify(b"lpop" if from_left else b"rpop", source)
            if self.keyspace.get_record(source) is None:
                self._turn.notify(GENERIC, b"del", self._db, source)
        return element

    def set(self, key: bytes, index: int, value: bytes) -> None:
        """LSET (``index`` negative from the end); logged with the index made non-negative."""
        collection = self.open(key)
        if collection is None:
            raise NoSuchKeyError()
        index = normalize(index, collection.count)
        if not 0 <= index < collection.count:
            raise IndexOutOfRangeError()
        self.write_member(collection, position_key(self.head(collection) + index), value)
        self.log(collection, [b"lset", key, b"%d" % index, value])
        self.notify(b"lset", key)

    def insert(self, key: bytes, pivot: bytes, value: bytes, after: bool) -> int:
        """LINSERT: put ``value`` before (or after) the first ``pivot``, shifting the shorter
        side; the new length, 0 when the list is missing, -1 without ``pivot``. Logged as
        sent (it replays deterministically)."""
        collection = self.open(key)
        if collection is None:
            return 0
        for position, element in enumerate(self.iter_elements(collection)):
            if element == pivot:
                break
        else:
            return -1
        index = position + after
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
        self.save(collection, b"linsert")
        self.log(collection, [b"linsert", key, b"after" if after else b"before", pivot, value])
        return collection.count

    def remove(self, key: bytes, count: int, element: bytes) -> int:
        """LREM: remove ``count`` occurrences of ``element`` from the head (negative: from
        the tail, 0: all) by rewriting the list compacted; how many went. Logged as sent."""
        collection = self.open(key)
        if collection is None:
            return 0
        elements = list(self.iter_elements(collection))
        order = range(len(elements) - 1, -1, -1) if count < 0 else range(len(elements))
        doomed: set[int] = set()
        for position in order:
            if elements[position] == element:
                doomed.add(position)
                if count and len(doomed) == abs(count):
                    break
        if doomed:
            self.clear_members(collection)
            head = self.head(collection)
            kept = [value for position, value in enumerate(elements) if position not in doomed]
            for offset, value in enumerate(kept):
                self.write_member(collection, position_key(head + offset), value)
            collection.count = len(kept)
            self.save(collection, b"lrem")
            self.log(collection, [b"lrem", key, b"%d" % count, element])
        return len(doomed)

    def trim(self, key: bytes, start: int, stop: int) -> None:
        """LTRIM: keep elements ``start..stop`` (negatives from the end, clamped); logged
        with the clamped indexes, or as DEL when nothing is kept. Announced as ``ltrim`` even
        when it keeps everything, as Redis does."""
        collection = self.open(key)
        if collection is None:
            return
        start, stop = clamped_range(collection.count, start, stop)
        if start == 0 and stop == collection.count - 1:
            self.notify(b"ltrim", key)
            return
        head = self.head(collection)
        keep_from, keep_to = (start, stop) if start <= stop else (collection.count, collection.count - 1)
        for index in [*range(0, min(keep_from, collection.count)), *range(keep_to + 1, collection.count)]:
            self.remove_member(collection, position_key(head + index))
        kept = max(0, keep_to - keep_from + 1) if keep_from < collection.count else 0
        collection.fields = (head + keep_from if kept else head,)
        collection.count = kept
        self.save(collection, b"ltrim")
        self.log(collection, [b"ltrim", key, b"%d" % start, b"%d" % stop] if start <= stop else [b"del", key])

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        return chunked(collection.key, b"rpush", self.iter_elements(collection), per_member=1)

    def replace(self, key: bytes, elements: list[bytes], event: bytes) -> int:
        """Make ``key`` the list of ``elements`` whatever it held (SORT ... STORE): a new
        collection under a new id, logged as a whole (DEL then RPUSHes), announced as
        ``event`` (``sortstore``); an empty result deletes the key. Wakes clients blocked on
        the key. Returns the length."""
        collection = self.new(key)
        for offset, element in enumerate(elements):
            self.write_member(collection, position_key(self.head(collection) + offset), element)
        collection.count = len(elements)
        self.store_whole(collection, event)
        if elements:
            self.signal_ready(key)
        return collection.count
