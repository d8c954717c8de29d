"""One logical DB (a SELECT index): key lookup with lazy expiry, typed records, deletion.

Commands call these methods; they never see LMDB. Reads go through the turn's current
transaction (the open write transaction if the turn has written, so a pipeline reads its own
writes), writes through the turn's shared write transaction, and every change is noted in the
turn's change log. A keyspace knows the turn and the object-id services, not the engine.
"""

from __future__ import annotations

import itertools
import os
import random
from typing import Iterator

from . import bounded_keys
from .bounded_keys import MAX_STORED, stored_form, unwrap, walk
from .changes import StringSet
from .encoding_limits import EncodingLimits
from .errors import WrongTypeError
from .expiry import ExpiryIndex
from .notifications import EXPIRED, GENERIC, KEY_MISS, NEW, STRING
from .object_ids import ObjectIdCounter, ReclaimQueue
from .scan import CursorStore
from .slots import SlotIndex
from .storage.environment import DatabaseHandles
from .storage.footprint import entry_bytes, table_bytes
from .storage.records import (
    COLLECTION,
    HEADER,
    HEADER_SIZE,
    NO_EXPIRY,
    OBJECT_ID,
    STRING_WITHOUT_EXPIRY,
    TAG_HASH,
    TAG_LIST,
    TAG_SET,
    TAG_STREAM,
    TAG_STRING,
    TAG_ZSET,
    TYPE_NAMES,
    Record,
    decode_header,
    object_id_of,
    with_expiry,
)
from .turn import Turn
from .types import make_stores
from .types.collection import is_long_long

#: ``set_string(..., expire_at_ms=KEEP_TTL)`` keeps the key's current expiry (SET KEEPTTL, INCR...).
KEEP_TTL = -1

_unpack_header = HEADER.unpack_from
_pack_header = HEADER.pack
#: Builds a change entry as :class:`~.changes.ChangeLog` does (the hot writes note theirs
#: without its method's call).
_new_change = tuple.__new__


class _Unread:
    """The type of :data:`UNREAD`."""


#: ``Keyspace._live_raw``'s ``raw`` when the caller has not read the record (None is a read
#: that found none).
UNREAD = _Unread()

#: RANDOMKEY is exactly uniform up to this many keys (it walks the whole keyspace).
EXACT_RANDOM_LIMIT = 1024

def escaped(key: bytes) -> bytes:
    """A user key as the meta table orders it: LMDB refuses empty keys, so keys that are
    empty or start with a NUL byte get one NUL byte in front; every other key is itself.
    The mapping keeps the byte order."""
    return key if key and key[0] else b"\x00" + key


def stored_key(key: bytes) -> bytes:
    """The LMDB key of a user key: :func:`escaped`, cut to a prefix and a digest when longer
    than LMDB takes (:mod:`.bounded_keys`; the record then holds the whole key)."""
    return stored_form(escaped(key), 0)


def user_key(whole: bytes) -> bytes:
    """The user key of an escaped key (the inverse of :func:`escaped`)."""
    return whole if whole[0] else whole[1:]


class Keyspace:
    """The keys of one logical DB."""

    def __init__(self, index: int, handles: DatabaseHandles, turn: Turn, object_ids: ObjectIdCounter,
                 reclaims: ReclaimQueue, encoding_limits: EncodingLimits) -> None:
        self.index = index
        self._turn = turn
        self._changes = turn.changes
        self._object_ids = object_ids
        self._reclaims = reclaims
        self._meta = handles.meta
        #: The members of this DB's collections (the type stores read and write it).
        self.members_table = handles.members
        self.expiry = ExpiryIndex()
        self.cursors = CursorStore()
        #: The keys by Codis slot, kept up to date while set (slotmigrate on); None costs nothing.
        self.slot_index: SlotIndex | None = None
        #: One store per collection type, by tag; also as attributes (``keyspace.hashes``...).
        self.stores = make_stores(self, turn, object_ids, encoding_limits)
        self.hashes, self.sets, self.lists, self.zsets = (
            self.stores[tag] for tag in (TAG_HASH, TAG_SET, TAG_LIST, TAG_ZSET))
        self.streams = self.stores[TAG_STREAM]
        reclaims.listen(index, self.zsets)  # its rank caches follow the collections that go

    # -- the stored records ------------------------------------------------------------------

    # A plain key (``key and key[0] and len(key) < MAX_STORED``: not empty, no leading NUL,
    # shorter than LMDB's limit; nearly every key) is its own LMDB key, its record stored as
    # it is: these methods then make the one LMDB call themselves, on the turn's kept cursor
    # (Turn.cursor), without the calls to escaped() and bounded_keys that the other keys need.

    def _read(self, key: bytes) -> bytes | None:
        """The key's raw record, live or not; None when there is none."""
        if key and key[0] and len(key) < MAX_STORED:
            return self._turn.cursor(self._meta).get(key)
        return bounded_keys.read(self._turn.reader(), self._meta, escaped(key), 0)

    def _pop(self, key: bytes) -> bytes | None:
        """Remove the key's record; the record, None when there was none."""
        if key and key[0] and len(key) < MAX_STORED:
            return self._turn.write_cursor(self._meta).pop(key)
        return bounded_keys.remove(self._turn.writer(), self._meta, escaped(key), 0)

    # -- reads -------------------------------------------------------------------------------

    def _live_raw(self, key: bytes, raw: bytes | None | _Unread = UNREAD) -> bytes | None:
        """The key's raw record, or None when it is missing or expired: every command's
        lookup, counted. A plain key's read is made here on the turn's kept cursor
        (:meth:`_read`'s, without its call nor :meth:`.turn.Turn.cursor`'s); ``raw``, when
        given, is the record the caller has just read for ``key`` (:meth:`get_string`). A
        record without a TTL costs one byte comparison (no header unpacked, no clock read)."""
        turn = self._turn
        if raw is UNREAD:
            if key and key[0] and len(key) < MAX_STORED:
                turn.touched = True
                raw = (turn.cursors.get(self._meta) or turn.cursor(self._meta)).get(key)
            else:
                raw = self._read(key)
        if raw is not None and raw[1:HEADER_SIZE] != NO_EXPIRY:  # (faster than startswith(NO_EXPIRY, 1))
            if _unpack_header(raw)[1] <= turn.now_ms():
                if turn.expire_on_access:
                    self.delete_expired(key)
                raw = None
        counter = turn.lookup_counter
        if counter is not None:  # a read lookup, as Redis' lookupKeyRead: counted, a miss announced
            if raw is None:
                counter.keyspace_misses += 1
                if counter.keymiss_events:
                    self.notify(KEY_MISS, b"keymiss", key)
            else:
                counter.keyspace_hits += 1
        return raw  # type: ignore[return-value]

    #: The live key's meta record as stored (the collection stores parse it themselves: no
    #: :class:`Record` for the one lookup of every command); None when missing or expired.
    #: :meth:`_live_raw` itself, not a method calling it: a call less for every collection command.
    get_raw = _live_raw

    def get_record(self, key: bytes) -> Record | None:
        raw = self._live_raw(key)
        if raw is None:
            return None
        tag, expire_at = decode_header(raw)
        return Record(tag, expire_at, raw[HEADER_SIZE:])

    def get_string(self, key: bytes) -> bytes | None:
        """The string value of ``key``; None when missing; WRONGTYPE for other types.

        GET's whole lookup for a plain key holding a string without a TTL (nearly every GET
        that finds its key): one read on the turn's kept cursor, and one comparison of the
        record's header with a TTL-less string's for the type and the expiry together; no
        :meth:`_live_raw`, no clock. Any other record (a miss, a TTL, another type) is
        judged by :meth:`_live_raw` as every lookup is."""
        if key and key[0] and len(key) < MAX_STORED:
            turn = self._turn
            turn.touched = True
            raw = (turn.cursors.get(self._meta) or turn.cursor(self._meta)).get(key)
            if raw is not None and raw[:HEADER_SIZE] == STRING_WITHOUT_EXPIRY:
                counter = turn.lookup_counter
                if counter is not None:
                    counter.keyspace_hits += 1
                return raw[HEADER_SIZE:]
            raw = self._live_raw(key, raw)
        else:
            raw = self._live_raw(key)
        if raw is None:
            return None
        if raw[0] != TAG_STRING:
            raise WrongTypeError()
        return raw[HEADER_SIZE:]

    def get_string_entry(self, key: bytes) -> tuple[bytes, int] | None:
        """``(value, expire_at_ms)`` of a string key in one lookup, for read-modify-write
        commands that keep the TTL (INCR, APPEND, SETRANGE, SETBIT); WRONGTYPE for other types."""
        raw = self._live_raw(key)
        if raw is None:
            return None
        if raw[:HEADER_SIZE] == STRING_WITHOUT_EXPIRY:  # (INCR's counter: no header unpacked)
            return raw[HEADER_SIZE:], 0
        tag, expire_at = _unpack_header(raw)
        if tag != TAG_STRING:
            raise WrongTypeError()
        return raw[HEADER_SIZE:], expire_at

    def exists(self, key: bytes) -> bool:
        return self._live_raw(key) is not None

    def is_expired(self, key: bytes) -> bool:
        """True when ``key`` is stored but its time is up (lazy expiry has not deleted it):
        WATCH tells such a key from a missing one, as Redis 7.0 does."""
        raw = self._read(key)
        if raw is None:
            return False
        expire_at = _unpack_header(raw)[1]
        return bool(expire_at) and expire_at <= self._turn.now_ms()

    def type_name(self, key: bytes) -> str:
        raw = self._live_raw(key)
        return "none" if raw is None else TYPE_NAMES[raw[0]]

    def expire_at(self, key: bytes) -> int | None:
        """Absolute expiry in unix ms; 0 for a key without one; None for a missing key."""
        raw = self._live_raw(key)
        return None if raw is None else _unpack_header(raw)[1]

    def size(self) -> int:
        """Number of keys, counting expired keys not yet reclaimed (as Redis' DBSIZE does)."""
        return self._turn.reader().stat(self._meta)["entries"]

    def stored_bytes(self, key: bytes, samples: int | None = None) -> int | None:
        """The bytes ``key`` takes in LMDB (MEMORY USAGE): its meta record's entry and its
        members' entries, each as :func:`~.storage.footprint.entry_bytes` counts it; None
        when the key is missing. With ``samples``, only the first that many member entries
        are read and their average size stands for all of them (the meta record's count of
        members says how many entries there are: two per sorted-set member, of the same
        size); ``None`` reads them all."""
        raw = self._live_raw(key)
        if raw is None:
            return None
        total = entry_bytes(len(stored_key(key)), len(raw))
        object_id = object_id_of(raw)
        if object_id is None:
            return total
        entries = COLLECTION.unpack_from(raw, HEADER_SIZE)[1] * (2 if raw[0] == TAG_ZSET else 1)
        prefix = OBJECT_ID.pack(object_id)
        read = read_bytes = 0
        with self._turn.reader().cursor(db=self.members_table) as cursor:
            found = cursor.set_range(prefix)
            while found and (samples is None or read < samples) and cursor.key().startswith(prefix):
                read += 1
                read_bytes += entry_bytes(len(cursor.key()), len(cursor.value()))
                found = cursor.next()
            walked_all = not found or not cursor.key().startswith(prefix)
        if walked_all or read == 0:
            return total + read_bytes
        return total + read_bytes * entries // read

    def table_bytes(self) -> tuple[int, int]:
        """The bytes of this DB's LMDB pages (MEMORY STATS) as ``(index, data)``: the branch
        pages of its two tables, and their leaf and overflow pages."""
        reader = self._turn.reader()
        (meta_index, meta_data), (members_index, members_data) = (
            table_bytes(reader.stat(table)) for table in (self._meta, self.members_table))
        return meta_index + members_index, meta_data + members_data

    def iter_records(self, start: bytes = b"", reverse: bool = False,
                     expired: list[bytes] | None = None) -> Iterator[tuple[bytes, Record]]:
        """Live keys in byte order from ``start`` (inclusive), with their records; with
        ``reverse``, in descending order from the last key not after ``start`` (empty: the
        last key). The expired keys passed over are appended to ``expired`` if given."""
        now = self._turn.now_ms()
        with self._turn.reader().cursor(db=self._meta) as cursor:
            for whole, _stored, raw in walk(cursor, escaped(start) if start else b"", 0, reverse):
                tag, expire_at = decode_header(raw)
                if not expire_at or expire_at > now:
                    yield user_key(whole), Record(tag, expire_at, raw[HEADER_SIZE:])
                elif expired is not None:
                    expired.append(user_key(whole))

    def scan(self, start: bytes, count: int,
             expired: list[bytes] | None = None) -> tuple[list[tuple[bytes, Record]], bytes | None]:
        """Up to ``count`` live keys from ``start`` in byte order, and the key to resume at
        (None when the keyspace is exhausted); the expired keys passed over are appended to
        ``expired`` if given (SCAN expires them as Redis' does: :meth:`expire_found`)."""
        found: list[tuple[bytes, Record]] = []
        for key, record in self.iter_records(start, expired=expired):
            if len(found) == count:
                return found, key
            found.append((key, record))
        return found, None

    def random_key(self) -> bytes | None:
        """A live key chosen at random.

        LMDB has no positional access. Up to :data:`EXACT_RANDOM_LIMIT` keys the pick is
        uniform (walk to a random index). Beyond that it jumps to a random key between the
        first and last keys (sharing their common prefix) and walks a random number of steps
        on: cheap, and spread well enough over keys named alike.
        """
        size = self.size()
        if size == 0:
            return None
        if size <= EXACT_RANDOM_LIMIT:
            live = [key for key, _record in self.iter_records()]
            return random.choice(live) if live else None
        with self._turn.reader().cursor(db=self._meta) as cursor:
            cursor.first()
            first = user_key(cursor.key())
            cursor.last()
            last = user_key(cursor.key())
        shared = len(os.path.commonprefix([first, last]))
        low = first[shared] if len(first) > shared else 0
        high = last[shared] if len(last) > shared else 255
        probe = first[:shared] + bytes([random.randint(low, high)]) + random.randbytes(4)
        steps = random.randrange(64)
        for start in (probe, b""):
            candidate = None
            for candidate, _record in itertools.islice(self.iter_records(start), steps + 1):
                pass
            if candidate is not None:
                return candidate
        return None

    # -- writes ------------------------------------------------------------------------------

    def _put(self, key: bytes, record: bytes, expire_at_ms: int, as_new: bool = False) -> None:
        """Write a record, replacing whatever the key held, and note the change (a collection's
        with the records its store rebuilds it from). ``as_new``: see :meth:`put_meta`."""
        self.put_meta(key, record, expire_at_ms, as_new)
        tag = record[0]
        if tag == TAG_STRING:
            self._changes.value_written(self.index, key, record)
        else:
            self._changes.collection_written(self.index, key, self.stores[tag].state_records(key, record))
            self.signal_ready(key)  # a list or zset arriving by MOVE, COPY, RESTORE...

    def put_meta(self, key: bytes, record: bytes, expire_at_ms: int, as_new: bool = False) -> None:
        """Write a record without noting a change (a collection's own meta update, whose
        command logs itself). The members of a different collection it replaces (an expired
        one, or any value SET overwrites) are handed to the reclaimer. A key it creates is
        announced as ``new``; ``as_new`` announces it so even if it replaces one (Redis
        deletes, then adds the key, for RENAME, MOVE, COPY, RESTORE)."""
        if key and key[0] and len(key) < MAX_STORED:  # a plain key (see _read): its one replace
            old = self._turn.write_cursor(self._meta).replace(key, record)
        else:
            old = bounded_keys.replace(self._turn.writer(), self._meta, escaped(key), 0, record)
        self._track_replaced(key, record, old, expire_at_ms, as_new)

    def _track_replaced(self, key: bytes, record: bytes, old: bytes | None, expire_at_ms: int,
                        as_new: bool) -> None:
        """What writing ``record`` over ``old`` (None: no record) changes beside the record: the
        slot index, the reclaim of the collection ``old`` was, the expiry index, the ``new``
        event (see :meth:`put_meta`)."""
        if old is None:  # a new key
            if self.slot_index is not None:  # (an expired one is indexed already)
                self.slot_index.add(key)
            old_expire_at = None
        else:
            old_tag, old_expire_at = _unpack_header(old)
            if old_tag != TAG_STRING:
                old_id = object_id_of(old)
                if old_id is not None and old_id != object_id_of(record):
                    self._reclaims.reclaim(self.index, old_id)
                    if old_tag == TAG_STREAM:  # overwritten: XREADGROUP clients blocked on it fail
                        self.signal_ready(key)
        if expire_at_ms or old_expire_at:
            self.expiry.set(key, expire_at_ms)
        if self._turn.notify_classes:
            self._note_new(key, old_expire_at, as_new)

    def rewrite_meta(self, key: bytes, record: bytes) -> None:
        """Write a record over the key's own where none of :meth:`put_meta`'s checks of what
        was there (a reclaim, a new key, an expiry change) can apply: one put. A stored
        collection's meta after its members changed (the same object id and expiry), a live
        key's new expiry (:meth:`set_expire` indexes it)."""
        if key and key[0] and len(key) < MAX_STORED:  # a plain key (see _read)
            self._turn.write_cursor(self._meta).put(key, record)
        else:
            bounded_keys.put(self._turn.writer(), self._meta, escaped(key), 0, record)

    def _note_new(self, key: bytes, old_expire_at: int | None, as_new: bool) -> None:
        """Note the ``new`` event of a key written where there was none (``old_expire_at``
        None) or an expired one; an expired one written over without a lookup first (SET) is
        announced as ``expired`` before, as Redis' lookup for the write does."""
        turn = self._turn
        if old_expire_at and old_expire_at <= turn.now_ms():
            if turn.expire_on_access:
                turn.notify(EXPIRED, b"expired", self.index, key)
            as_new = True
        if as_new or old_expire_at is None:
            turn.notify(NEW, b"new", self.index, key)

    def notify(self, event_class: int, event: bytes, key: bytes) -> None:
        """Note a keyspace event of ``key`` (see :meth:`.turn.Turn.notify`): for the events a
        command's Redis counterpart announces apart from its write (MOVE's ``move_to``)."""
        self._turn.notify(event_class, event, self.index, key)

    def drop_meta(self, key: bytes) -> None:
        """Remove an emptied collection's record without noting a change."""
        if self._pop(key) is not None:
            self.expiry.discard(key)
            if self.slot_index is not None:
                self.slot_index.remove(key)

    def signal_ready(self, key: bytes) -> None:
        """``key`` now has elements that blocked clients may be waiting for."""
        self._turn.key_ready(self.index, key)

    def redis_encoding(self, key: bytes, record: Record) -> str:
        """What Redis 7.0's OBJECT ENCODING would answer for this value."""
        if record.tag != TAG_STRING:
            store = self.stores[record.tag]
            return store.redis_encoding(store.open(key))  # type: ignore[arg-type]
        value = record.body
        if is_long_long(value):
            return "int"
        return "embstr" if len(value) <= 44 else "raw"

    def set_string(self, key: bytes, value: bytes, expire_at_ms: int = 0,
                   logged_as: list[bytes] | None = None, event: bytes | None = b"set",
                   expiry_event: bool = False) -> None:
        """Make ``key`` a string; ``expire_at_ms`` is absolute (0 none, KEEP_TTL keep current).

        The binlog records the resulting value, or the command ``logged_as`` when replaying
        that command is smaller and as exact (PFADD: a 12 KiB value from a few elements).
        The write is announced as the keyspace event ``event`` (the command's Redis name:
        ``set``, ``incrby``, ``append``...; None: none), followed by ``expire`` when the
        command gave the key this expiry (``expiry_event``: SET EX, SETEX...)."""
        turn = self._turn
        if not expire_at_ms and logged_as is None and not turn.notify_classes and self.slot_index is None \
                and key and key[0] and len(key) < MAX_STORED:
            # The plain SET of a plain key (no TTL, no events, no slot index, the record logged
            # as the value: redis-benchmark's SET): put_meta's replace made here on the turn's
            # kept write cursor (from Turn.cursors, a call less than write_cursor), its bookkeeping only
            # when the record replaced was not a string without a TTL (one comparison of the old
            # header: the one case where none applies; a new key needs none either), and the
            # change noted as ChangeLog.string_set notes it, without its call.
            record = STRING_WITHOUT_EXPIRY + value
            turn.touched = True  # (write_cursor opens the write transaction on a turn's first write)
            old = (turn.dirty and turn.cursors.get(self._meta) or turn.write_cursor(self._meta)).replace(key, record)
            if old is not None and old[:HEADER_SIZE] != STRING_WITHOUT_EXPIRY:
                self._track_replaced(key, record, old, 0, False)
            self._changes.append(_new_change(StringSet, (self.index, key, value)))
            return
        if expire_at_ms == KEEP_TTL:
            current = self.expire_at(key)
            expire_at_ms = current or 0
            expiry_event = False  # the expiry is the key's own
        record = _pack_header(TAG_STRING, expire_at_ms) + value  # encode_string's record, a call less
        self.put_meta(key, record, expire_at_ms)
        if logged_as is not None:
            self._changes.command_logged(self.index, key, logged_as)
        elif expire_at_ms:
            self._changes.value_written(self.index, key, record)
        else:  # no expiry: logged as ``set key value`` from the value itself (changes.StringSet)
            self._changes.string_set(self.index, key, value)
        if turn.notify_classes and event is not None:
            turn.notify(STRING, event, self.index, key)
            if expiry_event and expire_at_ms > 0:
                turn.notify(GENERIC, b"expire", self.index, key)

    def rewrite_string(self, key: bytes, value: bytes, expire_at_ms: int, event: bytes) -> None:
        """Write ``value`` over the live string ``key`` the command just read (INCR, INCRBYFLOAT),
        keeping its ``expire_at_ms``: one put. None of :meth:`put_meta`'s checks can apply to a
        live string written over with its own expiry (no reclaim, no new key, no expiry change),
        so only :meth:`set_string`'s change and event are noted."""
        record = _pack_header(TAG_STRING, expire_at_ms) + value if expire_at_ms else STRING_WITHOUT_EXPIRY + value
        turn = self._turn
        if key and key[0] and len(key) < MAX_STORED:  # rewrite_meta's put, made here on the kept
            turn.touched = True  # write cursor, as set_string's plain SET makes its replace
            (turn.dirty and turn.cursors.get(self._meta) or turn.write_cursor(self._meta)).put(key, record)
        else:
            self.rewrite_meta(key, record)
        if expire_at_ms:
            self._changes.value_written(self.index, key, record)
        else:  # as set_string's: the change noted without ChangeLog.string_set's call
            self._changes.append(_new_change(StringSet, (self.index, key, value)))
        if turn.notify_classes:
            turn.notify(STRING, event, self.index, key)

    def put_record(self, key: bytes, record: Record, event: bytes | None = None) -> None:
        """Store a whole record under ``key`` (RENAME, MOVE, COPY, RESTORE): announced as a
        ``new`` key, then as ``event`` (``copy_to``, ``restore``), as Redis does."""
        self._put(key, HEADER.pack(record.tag, record.expire_at_ms) + record.body, record.expire_at_ms, as_new=True)
        if event is not None:
            self._turn.notify(GENERIC, event, self.index, key)

    def put_raw(self, key: bytes, raw: bytes) -> None:
        """Store an encoded meta record under ``key``, replacing whatever it held."""
        self._put(key, raw, _unpack_header(raw)[1])

    def _remove_record(self, key: bytes, reclaim: bool) -> bytes | None:
        """Drop ``key``'s meta record; the record, None when there was none. With ``reclaim``
        a collection's members are handed to the background reclaimer."""
        raw = self._pop(key)
        if raw is None:
            return None
        if self.slot_index is not None:
            self.slot_index.remove(key)
        self._changes.key_deleted(self.index, key)
        if raw[0] == TAG_STREAM:  # XREADGROUP clients blocked on it fail, as in Redis
            self.signal_ready(key)
        object_id = object_id_of(raw)
        if reclaim and object_id is not None:
            self._reclaims.reclaim(self.index, object_id)
        if _unpack_header(raw)[1]:
            self.expiry.discard(key)
        return raw

    def delete(self, key: bytes, event: bytes | None = b"del") -> bool:
        """Remove ``key``; True when a live key was removed (an expired one is dropped
        silently, but on a slave: see ``Turn.expired_keys_live``). A live key's removal is
        announced as ``event`` (``del``, MOVE's ``move_from``; None: none)."""
        raw = self._remove_record(key, reclaim=True)
        if raw is None:
            return False
        expire_at = _unpack_header(raw)[1]
        if expire_at and expire_at <= self._turn.now_ms() and not self._turn.expired_keys_live:
            return False
        if event is not None:
            self._turn.notify(GENERIC, event, self.index, key)
        return True

    def expire_found(self, keys: list[bytes]) -> None:
        """Delete expired keys a walk found (SCAN), as a command finding them does: only while
        ``Turn.expire_on_access`` (otherwise the expiry cycle deletes them)."""
        if self._turn.expire_on_access:
            for key in keys:
                self.delete_expired(key)

    def delete_expired(self, key: bytes) -> None:
        """Remove a key whose time is up (the active expiry cycle, or a command finding it on
        a master while ``expired`` events are on), announced as ``expired``."""
        if self._remove_record(key, reclaim=True) is not None:
            self._turn.notify(EXPIRED, b"expired", self.index, key)

    def rename(self, source: bytes, target: bytes, record: Record) -> None:
        """Store ``source``'s record (value and TTL) under ``target`` and drop ``source``.

        A collection moves as its one meta record: the members stay under the object id,
        which now belongs to the new name, and the binlog records ``rename source target``
        rather than the whole collection. A string is logged as its new state. Announced as
        Redis does: ``new`` (the target), ``rename_from``, ``rename_to``."""
        if record.tag == TAG_STRING:
            self.put_record(target, record)
            self._remove_record(source, reclaim=False)
        else:
            self.put_meta(target, HEADER.pack(record.tag, record.expire_at_ms) + record.body, record.expire_at_ms,
                          as_new=True)
            self.drop_meta(source)
            self._changes.command_logged(self.index, target, [b"rename", source, target])
            self._changes.key_covered(self.index, source)
            self.signal_ready(target)
        self._turn.notify(GENERIC, b"rename_from", self.index, source)
        self._turn.notify(GENERIC, b"rename_to", self.index, target)

    def duplicate(self, record: Record, target: "Keyspace") -> Record:
        """The record to store in ``target`` for a copy of ``record`` (COPY, MOVE): a string is
        its own copy; a collection's members are copied under a new object id."""
        if record.tag == TAG_STRING:
            return record
        return target.adopt(record, self.members_of(record))

    def members_of(self, record: Record) -> list[tuple[bytes, bytes]]:
        """A collection's member entries ``(suffix, value)`` as stored (DUMP, COPY)."""
        prefix = OBJECT_ID.pack(COLLECTION.unpack_from(record.body)[0])
        members = []
        with self._turn.reader().cursor(db=self.members_table) as cursor:
            found = cursor.set_range(prefix)
            while found and cursor.key().startswith(prefix):
                members.append((cursor.key()[8:], cursor.value()))
                found = cursor.next()
        return members

    def adopt(self, record: Record, members: list[tuple[bytes, bytes]]) -> Record:
        """Store ``members`` under a new object id in this DB and return ``record`` pointing
        at them (not stored yet: the caller puts it under a key)."""
        new_id = self._object_ids.allocate()
        prefix = OBJECT_ID.pack(new_id)
        writer = self._turn.writer()
        for suffix, value in members:
            writer.put(prefix + suffix, value, db=self.members_table)
        return Record(record.tag, record.expire_at_ms, OBJECT_ID.pack(new_id) + record.body[OBJECT_ID.size:])

    def set_expire(self, key: bytes, expire_at_ms: int) -> bool:
        """Give a live key a new absolute expiry (0 removes it); False when the key is missing."""
        raw = self._live_raw(key)
        if raw is None:
            return False
        self.rewrite_meta(key, with_expiry(raw, expire_at_ms))
        self._changes.expiry_changed(self.index, key, expire_at_ms)
        self.expiry.set(key, expire_at_ms)
        self._turn.notify(GENERIC, b"expire" if expire_at_ms else b"persist", self.index, key)
        return True

    def flush(self) -> None:
        """Remove every key of this DB."""
        writer = self._turn.writer()
        writer.drop(self._meta, delete=False)
        writer.drop(self.members_table, delete=False)
        self._reclaims.members_flushed(self.index)
        self.expiry.clear()
        if self.slot_index is not None:
            self.slot_index.clear()
        self._changes.flushed(self.index)

    # -- SWAPDB ------------------------------------------------------------------------------

    def swap_with(self, other: "Keyspace") -> None:
        """Exchange every key (and its members) with ``other`` (SWAPDB).

        Each DB has its own binlog, so the swap is noted per DB as what it did to that DB: a
        flush, then each key it now holds written as a whole. Both DBs' records replay
        independently to the same data (a slave applies each DB's binlog on its own; a
        restart replays them in any order), and the notes break the watches Redis' SWAPDB
        breaks (a watched key that existed in either DB) and wake clients blocked on keys
        that now exist. The cost is that of copying both DBs, in one transaction."""
        mine, theirs = self._take_contents(), other._take_contents()
        self._changes.flushed(self.index)
        other._changes.flushed(other.index)
        self._place(theirs)
        other._place(mine)

    def _take_contents(self) -> list[tuple[bytes, bytes, list[tuple[bytes, bytes]]]]:
        """Remove and return every meta record with its collection's members (a deleted
        collection's members, queued for the reclaimer, stay where they are)."""
        writer = self._turn.writer()
        with writer.cursor(db=self._meta) as cursor:
            records = list(cursor)
        writer.drop(self._meta, delete=False)
        contents = []
        for stored, wrapped in records:
            members: list[tuple[bytes, bytes]] = []
            object_id = object_id_of(unwrap(stored, 0, wrapped)[1])
            if object_id is not None:
                prefix = OBJECT_ID.pack(object_id)
                with writer.cursor(db=self.members_table) as cursor:
                    found = cursor.set_range(prefix)
                    while found and cursor.key().startswith(prefix):
                        members.append((cursor.key(), cursor.value()))
                        found = cursor.delete()  # on to the next entry
            contents.append((stored, wrapped, members))
        self.expiry.clear()
        self.zsets.members_table_replaced()  # rank caches of collections that leave
        return contents

    def _place(self, contents: list[tuple[bytes, bytes, list[tuple[bytes, bytes]]]]) -> None:
        """Store another DB's keys here, noting each as written whole."""
        writer = self._turn.writer()
        for stored, wrapped, members in contents:
            writer.put(stored, wrapped, db=self._meta)
            for member_key, value in members:
                writer.put(member_key, value, db=self.members_table)
            whole, raw = unwrap(stored, 0, wrapped)
            key = user_key(whole)
            expire_at, tag = _unpack_header(raw)[1], raw[0]
            if expire_at:
                self.expiry.set(key, expire_at)
            if tag == TAG_STRING:
                self._changes.value_written(self.index, key, raw)
            else:
                self._changes.collection_written(self.index, key, self.stores[tag].state_records(key, raw))
                self.signal_ready(key)

    def due_keys(self, limit: int) -> list[bytes]:
        """Keys whose expiry has passed, for the active expiry cycle to delete."""
        return self.expiry.due(self._turn.now_ms(), limit)

    def rebuild_expiry_index(self) -> None:
        """Fill the expiry index from LMDB (at start-up, or after a failed commit)."""
        self.expiry.clear()
        with self._turn.reader().cursor(db=self._meta) as cursor:
            # Without a TTL anywhere (the usual case) the values alone tell, a third cheaper than
            # reading keys too (28 -> 18 ms of CPU for 100k keys); a wrapped value counts as one.
            if not any(raw[1:HEADER_SIZE] != NO_EXPIRY for raw in cursor.iternext(keys=False, values=True)):
                return
            cursor.first()
            # In stored order, not walk()'s whole-key order (the index needs none): most of
            # a full sync's load went into walk() over every key.
            for stored, raw in cursor.iternext():
                whole, value = unwrap(stored, 0, raw)
                expire_at = _unpack_header(value)[1]
                if expire_at:
                    self.expiry.set(user_key(whole), expire_at)

