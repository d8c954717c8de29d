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

Every write is one method of :class:`ZsetStore` (:meth:`~ZsetStore.add` for ZADD, ZINCRBY and
GEOADD, :meth:`~ZsetStore.remove`, :meth:`~ZsetStore.remove_range`, :meth:`~ZsetStore.pop`,
:meth:`~ZsetStore.replace` for the *STORE forms), which logs ``zadd`` records of the final
scores or ``zrem`` records of the members removed, whatever the command was.
"""

from __future__ import annotations

import math
import struct
from collections import OrderedDict
from typing import TYPE_CHECKING, Iterator, NamedTuple, Sequence

from sortedcontainers import SortedList

from ..bounded_keys import MAX_STORED
from ..encoding_limits import CompactLimit
from ..errors import ScoreNaNError
from ..notifications import ZSET
from ..object_ids import ObjectIdCounter
from ..storage.records import OBJECT_ID, TAG_ZSET
from ..turn import Turn
from .collection import Collection, CollectionStore, KeyRecords, RecordCommand, chunked

if TYPE_CHECKING:
    from .zset_ranges import ZsetRange

_DOUBLE = struct.Struct(">d")
_BITS = struct.Struct(">Q")
_SIGN = 1 << 63
_ALL = (1 << 64) - 1
MEMBER = b"m"
INDEX = b"s"

_ZADD = RecordCommand(b"zadd")

#: Entries kept in all rank caches together before the least recently used are dropped.
CACHE_BUDGET = 4_000_000


def score_key(score: float) -> bytes:
    """8 bytes that sort like ``score`` (-0 and 0 alike, as Redis compares them)."""
    return sortable_score(_DOUBLE.pack(score + 0.0))


def sortable_score(stored: bytes) -> bytes:
    """:func:`score_key` of a score as a member entry's value holds it (``_DOUBLE.pack`` of
    it, -0 made 0 first): a write packs the score once for both of its entries."""
    bits = _BITS.unpack(stored)[0]
    return _BITS.pack(bits ^ _ALL if bits & _SIGN else bits | _SIGN)


def score_of_key(key: bytes) -> float:
    bits = _BITS.unpack_from(key)[0]
    return _DOUBLE.unpack(_BITS.pack(bits ^ _SIGN if bits & _SIGN else bits ^ _ALL))[0]


def format_score(score: float) -> bytes:
    """A score as the binlog records it (Python's shortest round-trip form): ``%a`` formats
    ``ascii(score)``, a float's repr, in one step (no str made, then encoded)."""
    return b"%a" % score


#: ``(member, score)`` pairs, as ranges and pops return them.
Pairs = list[tuple[bytes, float]]


class ZaddFlags(NamedTuple):
    """ZADD's NX XX GT LT CH INCR (GEOADD's NX XX CH); ZINCRBY is ZADD INCR. Their
    compatibility is checked by the commands, each with its own error. (A named tuple: ZADD
    builds one per call.)"""

    nx: bool = False
    xx: bool = False
    gt: bool = False
    lt: bool = False
    ch: bool = False
    incr: bool = False

    NAMES = (b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR")

    @classmethod
    def named(cls, names: Sequence[bytes]) -> "ZaddFlags":
        """The flags of option names (upper case, among :attr:`NAMES`)."""
        if not names:
            return _NO_FLAGS
        return cls(*(name in names for name in cls.NAMES))


_NO_FLAGS = ZaddFlags()


class ZsetStore(CollectionStore):
    tag = TAG_ZSET
    event_class = ZSET
    large_encoding = "skiplist"

    def __init__(self, keyspace: KeyRecords, turn: Turn, object_ids: ObjectIdCounter,
                 compact_limit: CompactLimit | None = None) -> None:
        super().__init__(keyspace, turn, object_ids, compact_limit)
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

    # -- reading ---------------------------------------------------------------------------

    def score(self, collection: Collection, member: bytes) -> float | None:
        raw = self.read_member(collection, MEMBER + member)
        return None if raw is None else _DOUBLE.unpack(raw)[0]

    @staticmethod
    def unpack_score(raw: bytes) -> float:
        """The score stored in a member entry's value."""
        return _DOUBLE.unpack(raw)[0]

    @staticmethod
    def decode(entries: list[bytes]) -> list[tuple[bytes, float]]:
        """``(member, score)`` of rank-cache entries: :func:`score_of_key` for all the entries
        at once, one struct call per step instead of three per entry (ZRANGE WITHSCORES)."""
        many_bits, many_doubles = ">%dQ" % len(entries), ">%dd" % len(entries)
        sortable = struct.unpack(many_bits, b"".join([entry[:8] for entry in entries]))
        bits = [key ^ _SIGN if key & _SIGN else key ^ _ALL for key in sortable]
        scores = struct.unpack(many_doubles, struct.pack(many_bits, *bits))
        return list(zip([entry[8:] for entry in entries], scores))

    def rank(self, collection: Collection, member: bytes) -> tuple[int, float] | None:
        """The 0-based rank (ascending) and score of ``member``; None when absent."""
        score = self.score(collection, member)
        if score is None:
            return None
        return self.ranks(collection).index(score_key(score) + member), score

    def select(self, collection: Collection, within: "ZsetRange", reverse: bool = False,
               offset: int = 0, limit: int = -1) -> Pairs:
        """The members (with scores) of ``within`` in reply order (highest first when
        ``reverse``), skipping ``offset`` and keeping at most ``limit`` (negative: all), as
        ZRANGE's LIMIT does."""
        return self.decode(self._selected(collection, within, reverse, offset, limit))

    def select_members(self, collection: Collection, within: "ZsetRange", reverse: bool = False,
                       offset: int = 0, limit: int = -1) -> list[bytes]:
        """:meth:`select`'s members without their scores (ZRANGE without WITHSCORES), which
        are then never decoded."""
        return [entry[8:] for entry in self._selected(collection, within, reverse, offset, limit)]

    def _selected(self, collection: Collection, within: "ZsetRange", reverse: bool, offset: int,
                  limit: int) -> list[bytes]:
        """The rank-cache entries :meth:`select` returns, in reply order."""
        entries = self.ranks(collection)
        start, stop = within.bounds(entries)
        if offset < 0:
            return []
        if reverse:
            stop -= offset
            first = stop - limit if limit >= 0 else start
            return entries[max(start, first):max(stop, start)][::-1]
        start += offset
        last = start + limit if limit >= 0 else stop
        return entries[min(start, stop):min(stop, last)]

    def count_range(self, collection: Collection, within: "ZsetRange") -> int:
        """How many members ``within`` covers (ZCOUNT, ZLEXCOUNT)."""
        start, stop = within.bounds(self.ranks(collection))
        return stop - start

    def iter_scores(self, collection: Collection) -> Iterator[tuple[bytes, float]]:
        """Every ``(member, score)`` in order."""
        for suffix, _ in self.iter_members(collection, prefix=INDEX):
            yield suffix[9:], score_of_key(suffix[1:])

    # -- writes: each opens the key, saves the meta and logs its records --------------------

    def add(self, key: bytes, pairs: list[tuple[float, bytes]], flags: ZaddFlags) -> int | float | None:
        """ZADD (and ZINCRBY, GEOADD): set or increment the scores of ``(score, member)``
        pairs as ``flags`` allow. Returns the new score with INCR (None when the flags kept
        it from changing), else how many members were added (CH: added or changed). Logged
        as one ``zadd`` of the final scores written, announced as ``zadd`` (``zincr`` with
        INCR); wakes BZPOP clients when members came. On the meta record itself, as
        :meth:`add_plain` (see :meth:`~.collection.CollectionStore.unpacked_meta`): a missing
        key's fresh id is taken only when something is added (not with XX, which adds
        nothing to a missing key; any other flags add every member there)."""
        raw = self.keyspace.get_raw(key)
        if raw is None and flags.xx:
            return None if flags.incr else 0
        _tag, expire_at, prefix, count = self.unpacked_meta(raw)
        added = changed = 0
        written: list[bytes] = []
        result: float | None = None
        for score, member in pairs:
            current = self._score_at(prefix, member)
            if current is None:
                if flags.xx:
                    continue
                new = score
            else:
                if flags.nx:
                    continue
                new = current + score if flags.incr else score
                if math.isnan(new):
                    raise ScoreNaNError()
                if (flags.lt and new >= current) or (flags.gt and new <= current):
                    continue
            result = new
            if current is None or new != current:
                self._put(prefix, member, new, current)
                written += (format_score(new), member)
                if current is None:
                    added += 1
                else:
                    changed += 1
        if written:
            record = self._hot_meta.pack(TAG_ZSET, expire_at, prefix, count + added) if added else None
            self.meta_written(key, raw, record, b"zincr" if flags.incr else b"zadd", _ZADD, written, bool(added))
        if flags.incr:
            return result
        return added + changed if flags.ch else added

    def add_plain(self, key: bytes, score: float, member: bytes) -> int:
        """ZADD ``key score member`` without options (the hot form): :meth:`add` without its
        flags, its pairs list and its loop; 1 when the member was added. A new score leaves
        the count, so the meta record, as it was."""
        raw = self.keyspace.get_raw(key)
        _tag, expire_at, prefix, count = self.unpacked_meta(raw)
        current = self._score_at(prefix, member)
        if current == score:
            return 0
        self._put(prefix, member, score, current)
        if current is None:
            record = self._hot_meta.pack(TAG_ZSET, expire_at, prefix, count + 1)
            self.meta_written(key, raw, record, b"zadd", _ZADD, [format_score(score), member], True)
            return 1
        self.meta_written(key, raw, None, b"zadd", _ZADD, [format_score(score), member])
        return 0

    def _score_at(self, prefix: bytes, member: bytes) -> float | None:
        """The score of ``member`` of the sorted set whose members' keys start with
        ``prefix``; None when it has none (:meth:`add`'s and :meth:`add_plain`'s read, on the
        turn's cursor)."""
        whole = prefix + MEMBER + member
        stored = self._turn.cursor(self.table).get(whole) if len(whole) < MAX_STORED else self.read_long(whole)
        return None if stored is None else _DOUBLE.unpack(stored)[0]

    def remove(self, key: bytes, members: list[bytes]) -> int:
        """ZREM: remove the members there are; how many. Logged as one ``zrem``."""
        collection = self.open(key)
        if collection is None:
            return 0
        pairs = []
        for member in dict.fromkeys(members):
            score = self.score(collection, member)
            if score is not None:
                pairs.append((member, score))
        self._remove_pairs(collection, pairs, b"zrem")
        return len(pairs)

    def remove_range(self, key: bytes, within: "ZsetRange", event: bytes) -> int:
        """ZREMRANGEBYRANK/SCORE/LEX: remove the members in the range; how many. Announced
        as ``event`` (the command's name)."""
        collection = self.open(key)
        if collection is None:
            return 0
        pairs = self.select(collection, within)
        self._remove_pairs(collection, pairs, event)
        return len(pairs)

    def pop(self, key: bytes, count: int, highest: bool) -> Pairs:
        """ZPOPMIN/ZPOPMAX, BZPOP*: remove and return the ``count`` lowest (or highest)
        members, first popped first; none for a missing key (or a count of 0)."""
        collection = self.open(key)
        if collection is None or not count:
            return []
        entries = self.ranks(collection)
        chosen = entries[max(len(entries) - count, 0):][::-1] if highest else entries[:count]
        pairs = self.decode(chosen)
        self._remove_pairs(collection, pairs, b"zpopmax" if highest else b"zpopmin")
        return pairs

    def replace(self, key: bytes, pairs: Pairs, event: bytes) -> int:
        """Make ``key`` the sorted set of ``pairs`` whatever it held (ZRANGESTORE,
        ZUNIONSTORE, GEORADIUS STORE...): a new collection under a new id, logged as a whole
        (DEL then ZADDs), announced as ``event`` (the command's name); an empty result
        deletes the key. Returns the size."""
        collection = self.new(key)
        for member, score in pairs:
            self._put(collection.prefix, member, score, None)
        collection.count = len(pairs)
        self.store_whole(collection, event)
        return collection.count

    def _remove_pairs(self, collection: Collection, pairs: Pairs, event: bytes) -> None:
        """Remove ``pairs`` (members with their scores), save, and log one ``zrem``;
        announced as ``event``."""
        if not pairs:
            return
        for member, score in pairs:
            self._delete(collection, member, score)
        self.save(collection, event)
        self.log(collection, [b"zrem", collection.key, *(member for member, _ in pairs)])

    # -- one member's two entries and its rank-cache entry, kept in step ----------------------

    def _put(self, prefix: bytes, member: bytes, score: float, old: float | None) -> None:
        """Give ``member`` of the sorted set whose members' keys start with ``prefix`` the
        ``score`` (``old``: its current score, None when new: the caller counts it). A score
        of -0 is stored as 0, as Redis replies it. The score is packed once for both entries,
        and two short keys (nearly all) are two puts on the turn's cursor; the rank cache is
        looked for only when some sorted set has one."""
        score += 0.0
        cursor = self._turn.write_cursor(self.table)
        cache = self._caches.get(OBJECT_ID.unpack(prefix)[0]) if self._caches else None
        if old is not None:
            old_entry = score_key(old) + member
            whole = prefix + INDEX + old_entry
            if len(whole) < MAX_STORED:
                cursor.pop(whole)
            else:
                self.remove_long(whole)
            if cache is not None:
                cache.remove(old_entry)
        else:
            self._cached_entries += cache is not None
        stored = _DOUBLE.pack(score)
        entry = sortable_score(stored) + member
        index_key = prefix + INDEX + entry  # the longer of the two
        if len(index_key) < MAX_STORED:
            cursor.put(prefix + MEMBER + member, stored)
            cursor.put(index_key, b"")
        else:
            self.put_members(prefix, ((MEMBER + member, stored), (INDEX + entry, b"")))
        if cache is not None:
            cache.add(entry)

    def _delete(self, collection: Collection, member: bytes, score: float) -> None:
        entry = score_key(score) + member
        self.remove_member(collection, MEMBER + member)
        self.remove_member(collection, INDEX + entry)
        collection.count -= 1
        cache = self._caches.get(collection.object_id)
        if cache is not None:
            cache.remove(entry)
            self._cached_entries -= 1

    # -- OBJECT ENCODING and writing the whole set out ----------------------------------------

    def encoded_elements(self, collection: Collection) -> Iterator[bytes]:
        return (suffix[1:] for suffix, _ in self.iter_members(collection, prefix=MEMBER))

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        arguments = (part for member, score in self.iter_scores(collection)
                     for part in (format_score(score), member))
        return chunked(collection.key, b"zadd", arguments, per_member=2)
