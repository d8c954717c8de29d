"""What every collection type (hash, set, list, zset, stream) shares: opening a key's meta
record, member access under the object id, saving the meta, and logging the command records
that replay the change.

A collection key's meta record body is ``object_id u64 | count u64 | type fields`` (see
docs/storage-format.md); its members live in the DB's ``members`` table under keys that start
with the 8-byte object id. Member writes never produce a state record of the whole key (it may
have millions of members): each store method logs the member-level commands that reproduce its
effect (``hset key f v``, ``srem key m``, ``lpop key 3``...), deterministic on replay.
"""

from __future__ import annotations

import os
import random
import struct
from itertools import islice
from typing import Iterator, Protocol

from .. import bounded_keys
from ..binlog.format import ARRAY_STARTS, BULK_STARTS, encode_command
from ..bounded_keys import CUT, MAX_STORED, successor, unwrap, walk
from ..encoding_limits import CompactLimit
from ..errors import WrongTypeError, too_many_random_picks
from ..notifications import GENERIC
from ..object_ids import ObjectIdCounter
from ..storage.environment import Table
from ..storage.records import COLLECTION_META, HEADER, HEADER_SIZE, OBJECT_ID, Record
from ..turn import Turn

#: The head of a member's LMDB key that a copy under another id replaces (the object id):
#: a long member's digest covers what follows it (:mod:`..bounded_keys`).
ID_SIZE = OBJECT_ID.size
#: Where a meta record's object id ends (it follows the header).
PREFIX_END = HEADER_SIZE + ID_SIZE

#: Up to this many members, random picks list the whole collection (exactly uniform).
EXACT_RANDOM_LIMIT = 1024

#: Most members a random pick with repeats may return (SRANDMEMBER key -N...): Redis would
#: build any size, which in Python would take the server down with it.
MAX_RANDOM_PICKS = 10_000_000

#: Members per record when a whole collection is written out (MOVE, COPY, RESTORE, *STORE).
DUMP_CHUNK = 512


class Collection:
    """One collection key opened by a command: its meta fields and its member-key prefix."""

    __slots__ = ("key", "tag", "object_id", "count", "expire_at_ms", "fields", "prefix", "stored")

    def __init__(self, key: bytes, tag: int, object_id: int, count: int, expire_at_ms: int,
                 fields: tuple, stored: bool, prefix: bytes) -> None:
        self.key = key
        self.tag = tag
        self.object_id = object_id
        self.count = count
        self.expire_at_ms = expire_at_ms
        #: The type's own meta fields (a list's head index, a stream's last id...).
        self.fields = fields
        #: The object id as its members' LMDB keys start (``OBJECT_ID.pack(object_id)``: a
        #: stored collection's is cut from its meta record, cheaper than packing it).
        self.prefix = prefix
        #: False for a collection created by this command and not yet saved.
        self.stored = stored


class RecordCommand:
    """The command of a store's member-level binlog records (``lpush``, ``hset``...), which
    encodes them itself: every LPUSH, HSET, SADD and ZADD logs one, and its RESP content
    joined here in one step, from its name's header made once per argument count, costs a
    third of an argv list encoded later by :func:`..binlog.format.encode_command` (the binlog
    takes content as it is)."""

    __slots__ = ("name", "_heads", "_head_of_one", "_head_of_two")

    def __init__(self, name: bytes) -> None:
        self.name = name
        #: ``*<count>\r\n$<size>\r\n<name>`` by argument count (the encoder's table's counts).
        self._heads = [start + BULK_STARTS[len(name)] + name for start in ARRAY_STARTS]
        #: The heads of the records of one argument after the key (LPUSH, SADD of one
        #: element) and of two (HSET of one field, ZADD of one member).
        self._head_of_one, self._head_of_two = self._heads[3], self._heads[4]

    def content(self, key: bytes, arguments: list[bytes] | tuple[bytes, ...]) -> bytes:
        """The RESP content of the record ``name key *arguments``, as the binlog item holds it.
        The hot writes' records, of one or two arguments, are one join of a tuple (no list
        grown, no loop: 1,900 instructions less than the general form's 3,900)."""
        try:
            if len(arguments) == 1:
                (only,) = arguments
                return b"".join((self._head_of_one, BULK_STARTS[len(key)], key, BULK_STARTS[len(only)], only,
                                 b"\r\n"))
            if len(arguments) == 2:
                first, second = arguments
                return b"".join((self._head_of_two, BULK_STARTS[len(key)], key, BULK_STARTS[len(first)], first,
                                 BULK_STARTS[len(second)], second, b"\r\n"))
            parts = [self._heads[len(arguments) + 2], BULK_STARTS[len(key)], key]
            for argument in arguments:
                parts += (BULK_STARTS[len(argument)], argument)
        except IndexError:  # past the tables (many arguments, or one of 4 KiB or more)
            return encode_command([self.name, key, *arguments])
        parts.append(b"\r\n")
        return b"".join(parts)


class KeyRecords(Protocol):
    """What a store needs of its logical DB's keys (the Keyspace provides it): the stores keep
    members; looking keys up (lazy expiry), replacing and deleting their meta records, and
    waking blocked clients stay the keyspace's."""

    #: The DB's SELECT index.
    index: int
    #: The DB's members table.
    members_table: Table

    def get_record(self, key: bytes) -> Record | None:
        """The live key's decoded meta record; None when missing or expired."""

    def get_raw(self, key: bytes) -> bytes | None:
        """The live key's meta record as stored; None when missing or expired."""

    def put_meta(self, key: bytes, record: bytes, expire_at_ms: int) -> None:
        """Write a collection's meta record without noting a change (its command logs itself)."""

    def rewrite_meta(self, key: bytes, record: bytes) -> None:
        """Write the meta record of a collection read from the key this command, whose object
        id and expiry it keeps (a plain update: nothing it replaces needs a check)."""

    def drop_meta(self, key: bytes) -> None:
        """Remove an emptied collection's meta record without noting a change."""

    def put_raw(self, key: bytes, raw: bytes) -> None:
        """Store a meta record in place of whatever ``key`` held, noted as a whole new value."""

    def delete(self, key: bytes, event: bytes | None = b"del") -> bool:
        """Remove ``key``, noted as a deletion (announced as ``event``); True when a live key
        was removed."""

    def signal_ready(self, key: bytes) -> None:
        """``key`` now has elements that blocked clients may be waiting for."""


class CollectionStore:
    """Base of the per-type stores; one instance per type per logical DB. Per-type code reaches
    the DB's keys, the turn's transactions and the change log only through these methods."""

    #: The meta record tag of the type.
    tag: int
    #: The type's own fields after ``object_id | count`` in the meta body.
    fields_format = struct.Struct("")
    #: Initial values of those fields for a new collection.
    initial_fields: tuple = ()
    #: Whether a collection with no members stays (a stream does; the others vanish).
    keeps_empty = False
    #: The notify-keyspace-events class of the type's events (:mod:`..notifications`).
    event_class: int

    #: OBJECT ENCODING: Redis 7.0's compact encoding (None: it has none for the type) and the
    #: encoding past its limits (``compact_limit``, the configured ones: CONFIG SET changes them).
    compact_encoding: str | None = "listpack"
    large_encoding = "hashtable"

    def __init__(self, keyspace: KeyRecords, turn: Turn, object_ids: ObjectIdCounter,
                 compact_limit: CompactLimit | None = None) -> None:
        self.keyspace = keyspace
        self.compact_limit = compact_limit
        #: The DB's SELECT index, which every change this store notes carries.
        self._db = keyspace.index
        self._turn = turn
        self._changes = turn.changes
        self._object_ids = object_ids
        self.table = keyspace.members_table
        #: The whole head of the type's meta record, ``tag, expire_at_ms, object_id, count``
        #: and the type's fields: every write command opens and saves its key, each by one
        #: struct call.
        self._meta_format = struct.Struct(COLLECTION_META.format + self.fields_format.format.lstrip(">"))
        #: The same head with the object id as its 8 bytes, which are the members' key prefix:
        #: the hot adds unpack and pack it so (no slice of the prefix, no int made of it).
        self._hot_meta = struct.Struct(HEADER.format + "8sQ" + self.fields_format.format.lstrip(">"))

    # -- the meta record ---------------------------------------------------------------------

    def open(self, key: bytes) -> Collection | None:
        """The live collection at ``key``; None when missing; WRONGTYPE when another type."""
        raw = self.keyspace.get_raw(key)
        return None if raw is None else self._opened_raw(key, raw)

    def opened(self, key: bytes, record: Record) -> Collection:
        """The collection of ``key``'s record, already looked up (one lookup per key, as
        INFO keyspace_hits counts); WRONGTYPE when another type."""
        return self._opened_raw(key, HEADER.pack(record.tag, record.expire_at_ms) + record.body)

    def _opened_raw(self, key: bytes, raw: bytes) -> Collection:
        """The collection of a meta record as stored (every write command opens its key: one
        struct call reads the header and the body's head); WRONGTYPE when another type."""
        if raw[0] != self.tag:
            raise WrongTypeError()
        meta = self._meta_format.unpack_from(raw)
        return Collection(key, self.tag, meta[2], meta[3], meta[1], meta[4:], True, raw[HEADER_SIZE:PREFIX_END])

    def new(self, key: bytes) -> Collection:
        """A new empty collection for ``key`` with a fresh object id (not stored yet)."""
        object_id = self._object_ids.allocate()
        return Collection(key, self.tag, object_id, 0, 0, self.initial_fields, False, OBJECT_ID.pack(object_id))

    def record_of(self, collection: Collection) -> bytes:
        return self._meta_format.pack(self.tag, collection.expire_at_ms, collection.object_id, collection.count,
                                      *collection.fields)

    def save(self, collection: Collection, event: bytes | None = None) -> None:
        """Store the collection's meta after its members changed; an emptied collection is
        removed, as Redis removes empty aggregates. Logs nothing: the caller logs commands.

        ``event`` is the change's keyspace event (its command's Redis name: ``sadd``,
        ``lpop``...), noted in Redis' order: after the ``new`` of a key this creates, before
        the ``del`` of a collection this empties."""
        if collection.count or self.keeps_empty:
            if collection.stored:
                self.keyspace.rewrite_meta(collection.key, self.record_of(collection))
            else:
                self.keyspace.put_meta(collection.key, self.record_of(collection), collection.expire_at_ms)
                collection.stored = True
            if event is not None and self._turn.notify_classes:
                self.notify(event, collection.key)
        elif collection.stored:
            self.keyspace.drop_meta(collection.key)
            collection.stored = False
            if event is not None and self._turn.notify_classes:
                self.notify(event, collection.key)
                self._turn.notify(GENERIC, b"del", self._db, collection.key)

    def announce(self, collection: Collection, event: bytes) -> None:
        """:meth:`save` for a write that left the meta record as it was (HSET of a field there
        already, ZADD of a new score): the members changed, not their count, so the meta
        record is not written again; only the keyspace event is noted."""
        if self._turn.notify_classes:
            self.notify(event, collection.key)

    def store_whole(self, collection: Collection, event: bytes) -> None:
        """Store a collection built under a new id in place of whatever ``collection.key``
        held (the *STORE commands, COPY): logged as the whole collection, announced as
        ``event`` (``sinterstore``, ``sortstore``...); empty, the key goes (``del``)."""
        if collection.count or self.keeps_empty:
            self.keyspace.put_raw(collection.key, self.record_of(collection))
            self.notify(event, collection.key)
        else:
            self.keyspace.delete(collection.key)

    def notify(self, event: bytes, key: bytes) -> None:
        """Note the keyspace event ``event`` of ``key``, in this type's class."""
        self._turn.notify(self.event_class, event, self._db, key)

    def log(self, collection: Collection, argv: list[bytes]) -> None:
        """Log ``argv`` as the binlog record of this change."""
        self._changes.command_logged(self._db, collection.key, argv)

    def log_command(self, collection: Collection, command: RecordCommand, arguments: list[bytes]) -> None:
        """Log ``command key *arguments`` as the binlog record of this change, encoded now
        (:class:`RecordCommand`: the hot writes' records)."""
        self._changes.command_logged(self._db, collection.key, command.content(collection.key, arguments))

    def signal_ready(self, key: bytes) -> None:
        """``key`` got elements: wake the clients blocked on it (lists, zsets, streams)."""
        self._turn.key_ready(self._db, key)

    # -- the hot adds, on the meta record itself -----------------------------------------------

    # LPUSH/RPUSH, HSET, SADD and plain ZADD skip the Collection object and the open/save/log
    # calls: they unpack the meta record, write their members on the turn's cursor, and end
    # with :meth:`meta_written` (two calls for the whole meta handling, not six).

    def unpacked_meta(self, raw: bytes | None) -> tuple:
        """The meta record as stored (``raw``, None for a missing key) unpacked by
        :attr:`_hot_meta`, ``(tag, expire_at_ms, prefix, count, *fields)``, ``prefix`` the
        object id's 8 bytes that start its members' keys; a missing key's is a new
        collection's, with a fresh object id. WRONGTYPE when another type. (One flat tuple:
        the record's prefix is a field of the struct, not a slice returned beside it.)"""
        if raw is None:
            return (self.tag, 0, OBJECT_ID.pack(self._object_ids.allocate()), 0, *self.initial_fields)
        if raw[0] != self.tag:
            raise WrongTypeError()
        return self._hot_meta.unpack_from(raw)

    def meta_written(self, key: bytes, raw: bytes | None, record: bytes | None, event: bytes,
                     command: RecordCommand, arguments: list[bytes], ready: bool = False) -> None:
        """The end of a hot add (see :meth:`unpacked_meta`): write the new meta ``record``
        (None: the count stayed, so the record did), a new key's (``raw`` None) announced as
        ``new``; note the keyspace ``event``; log ``command key *arguments`` encoded;
        ``ready``: wake the clients blocked on the key (:meth:`signal_ready`'s test here, a
        call less)."""
        if record is not None:
            if raw is None:
                self.keyspace.put_meta(key, record, 0)
            else:
                self.keyspace.rewrite_meta(key, record)
        if self._turn.notify_classes:
            self.notify(event, key)
        self._changes.command_logged(self._db, key, command.content(key, arguments))
        if ready and self._turn.on_key_ready is not None:
            self._turn.on_key_ready(self._db, key)

    def read_long(self, whole: bytes) -> bytes | None:
        """:meth:`read_member` of a member whose LMDB key is cut (:mod:`..bounded_keys`)."""
        return bounded_keys.read(self._turn.reader(), self.table, whole, ID_SIZE)

    def replace_long(self, whole: bytes, value: bytes) -> bytes | None:
        """:meth:`write_member` of a member whose LMDB key is cut (:mod:`..bounded_keys`)."""
        return bounded_keys.replace(self._turn.writer(), self.table, whole, ID_SIZE, value)

    def remove_long(self, whole: bytes) -> bytes | None:
        """:meth:`remove_member` of a member whose LMDB key is cut (:mod:`..bounded_keys`)."""
        return bounded_keys.remove(self._turn.writer(), self.table, whole, ID_SIZE)

    def add_long(self, whole: bytes, value: bytes) -> bool:
        """Write a member whose LMDB key is cut (:mod:`..bounded_keys`) unless it is there
        already; True when it was new (SADD's and HSETNX's put that must not overwrite)."""
        if bounded_keys.read(self._turn.writer(), self.table, whole, ID_SIZE) is not None:
            return False
        bounded_keys.put(self._turn.writer(), self.table, whole, ID_SIZE, value)
        return True

    # -- members -----------------------------------------------------------------------------

    # A member's LMDB key is ``object id | suffix``, cut to a prefix and a digest when longer
    # than LMDB takes, its value then wrapped with the whole suffix (:mod:`..bounded_keys`).

    # A member's LMDB key shorter than MAX_STORED (nearly every one) is stored as it is, its
    # value unwrapped: these methods then make the one LMDB call themselves, on the turn's
    # kept cursor (Turn.cursor), a Python call less per member than through bounded_keys,
    # which handles the others.

    def read_member(self, collection: Collection, suffix: bytes) -> bytes | None:
        whole = collection.prefix + suffix
        if len(whole) < MAX_STORED:
            return self._turn.cursor(self.table).get(whole)
        return self.read_long(whole)

    def write_member(self, collection: Collection, suffix: bytes, value: bytes) -> bytes | None:
        """Write a member; its previous value, or None when it is new."""
        whole = collection.prefix + suffix
        if len(whole) < MAX_STORED:
            return self._turn.write_cursor(self.table).replace(whole, value)
        return self.replace_long(whole, value)

    def put_member(self, collection: Collection, suffix: bytes, value: bytes) -> None:
        """Write a member whose previous value nobody needs (a new list position, a sorted
        set's index entry): no lookup of it."""
        whole = collection.prefix + suffix
        if len(whole) < MAX_STORED:
            self._turn.write_cursor(self.table).put(whole, value)
        else:
            bounded_keys.put(self._turn.writer(), self.table, whole, ID_SIZE, value)

    def put_members(self, prefix: bytes, entries: tuple[tuple[bytes, bytes], ...]) -> None:
        """:meth:`put_member` of each ``(suffix, value)`` (a sorted-set member's two entries)
        of the collection whose members' keys start with ``prefix``, through one lookup of the
        turn's cursor."""
        cursor = self._turn.write_cursor(self.table)
        for suffix, value in entries:
            whole = prefix + suffix
            if len(whole) < MAX_STORED:
                cursor.put(whole, value)
            else:
                bounded_keys.put(self._turn.writer(), self.table, whole, ID_SIZE, value)

    def remove_member(self, collection: Collection, suffix: bytes) -> bytes | None:
        """Remove a member; its value, or None when it was not there."""
        whole = collection.prefix + suffix
        if len(whole) < MAX_STORED:
            return self._turn.write_cursor(self.table).pop(whole)
        return self.remove_long(whole)

    def iter_members(self, collection: Collection, start: bytes = b"", prefix: bytes = b"",
              reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """``(suffix, value)`` of members whose suffix starts with ``prefix``, in byte order
        from ``start`` (or backwards from ``start`` inclusive; ``start`` empty = the end).

        Callers must not write to the collection while iterating (collect first)."""
        for whole, _stored, value in self._walk(collection, start, prefix, reverse):
            yield whole[ID_SIZE:], value

    def values_from(self, collection: Collection, start: bytes, count: int) -> Iterator[bytes]:
        """The values of up to ``count`` members in byte order from the suffix ``start``, as one
        cursor walk's iterator (LRANGE: a 100-element range is one seek and 100 steps in C, not
        100 lookups nor a Python generator per element; its reply's list is built straight
        from the walk). Only for members whose LMDB keys are never cut (:mod:`..bounded_keys`):
        a list's fixed-size positions; the caller knows the collection has those ``count``
        members. It walks the turn's kept cursor (no cursor opened and closed), so the caller
        consumes it at once, before any other read or write moves that cursor."""
        cursor = self._turn.cursor(self.table)
        if not cursor.set_range(collection.prefix + start):
            return iter(())
        return islice(cursor.iternext(keys=False, values=True), count)

    def all_members(self, collection: Collection) -> list[tuple[bytes, bytes]]:
        """Every ``(suffix, value)`` of a collection whose ``count`` members are its only
        entries (a set's, a hash's), in byte order (HGETALL): :meth:`iter_members`, by one
        cursor walk in C when it can (see :meth:`_whole_walk`)."""
        entries = self._whole_walk(collection, values=True)
        if entries is None or max([len(stored) for stored, _ in entries]) > CUT:
            return list(self.iter_members(collection))
        return [(stored[ID_SIZE:], value) for stored, value in entries]

    def all_suffixes(self, collection: Collection) -> list[bytes]:
        """:meth:`all_members`' suffixes alone (SMEMBERS, HKEYS): the walk reads no value."""
        stored_keys = self._whole_walk(collection, values=False)
        if stored_keys is None or max(map(len, stored_keys)) > CUT:
            return [suffix for suffix, _ in self.iter_members(collection)]
        return [stored[ID_SIZE:] for stored in stored_keys]

    def _whole_walk(self, collection: Collection, values: bool) -> list | None:
        """The ``count`` entries from the collection's first, as one cursor walk yields them
        (``(key, value)`` pairs, or the keys alone); None when they are not all its own. The
        caller still checks that no key is longer than :data:`..bounded_keys.CUT`: keys and
        values are then stored as they are, in order (else only :func:`..bounded_keys.walk`
        reads them right)."""
        count, prefix = collection.count, collection.prefix
        cursor = self._turn.cursor(self.table)  # the walk ends here: the turn's kept cursor
        if not count or not cursor.set_range(prefix):
            return None
        entries = list(islice(cursor.iternext(keys=True, values=values), count))
        last = cursor.key()  # islice stops on the count-th entry, not past it
        return entries if len(entries) == count and last.startswith(prefix) else None

    def _walk(self, collection: Collection, start: bytes = b"", prefix: bytes = b"",
              reverse: bool = False) -> Iterator[tuple[bytes, bytes, bytes]]:
        """:meth:`iter_members` as :func:`..bounded_keys.walk` yields it: ``(whole LMDB key,
        stored LMDB key, value)``."""
        head = collection.prefix + prefix
        if reverse:
            first = collection.prefix + start if start else successor(head) or b""
        else:
            first = collection.prefix + (start or prefix)
        with self._turn.reader().cursor(db=self.table) as cursor:
            yield from walk(cursor, first, ID_SIZE, reverse, within=head)

    @staticmethod
    def _seek_after(cursor, head: bytes) -> bool:
        """Put the cursor on the last key starting with ``head``."""
        end = successor(head)
        if end is not None and cursor.set_range(end):
            return cursor.prev()
        return cursor.last()

    def random_members(self, collection: Collection, count: int, distinct: bool,
                       within: bytes = b"") -> list[tuple[bytes, bytes]]:
        """``count`` members picked at random (``distinct``: no member twice, and at most all
        of them), among the members whose suffix starts with ``within`` (returned without it).

        LMDB has no positional access. Small collections are listed and sampled exactly.
        Large ones are probed: a random key between the first and last member (past their
        common prefix), then a random walk of a few steps; close to uniform for members
        named alike, and cheap. Distinct picks that keep colliding fall back to listing.
        """
        if not distinct and count > MAX_RANDOM_PICKS:
            raise too_many_random_picks(MAX_RANDOM_PICKS)
        cut = len(within)
        if distinct and count >= collection.count:
            return [(suffix[cut:], value) for suffix, value in self.iter_members(collection, prefix=within)]
        if collection.count <= EXACT_RANDOM_LIMIT or (distinct and count * 2 > collection.count):
            members = [(suffix[cut:], value) for suffix, value in self.iter_members(collection, prefix=within)]
            return random.sample(members, count) if distinct else random.choices(members, k=count)
        prefix = collection.prefix + within
        picked: dict[bytes, bytes] = {}
        chosen: list[tuple[bytes, bytes]] = []
        attempts = 4 * count + 64
        with self._turn.reader().cursor(db=self.table) as cursor:
            cursor.set_range(prefix)
            first = cursor.key()
            self._seek_after(cursor, prefix)
            last = cursor.key()
            shared = len(os.path.commonprefix([first, last]))
            low = first[shared] if len(first) > shared else 0
            high = last[shared] if len(last) > shared else 255
            while len(chosen) < count and attempts:
                attempts -= 1
                probe = first[:shared] + bytes([random.randint(low, high)]) + random.randbytes(4)
                if not cursor.set_range(probe) or not cursor.key().startswith(prefix):
                    cursor.set_range(prefix)
                for _ in range(random.randrange(8)):
                    if not cursor.next() or not cursor.key().startswith(prefix):
                        cursor.set_range(prefix)
                whole, value = unwrap(cursor.key(), ID_SIZE, cursor.value())
                member = (whole[len(prefix):], value)
                if distinct:
                    if member[0] in picked:
                        continue
                    picked[member[0]] = member[1]
                chosen.append(member)
        if len(chosen) < count:  # too many collisions: sample the listing instead
            members = [(suffix[cut:], value) for suffix, value in self.iter_members(collection, prefix=within)
                       if suffix[cut:] not in picked]
            chosen += random.sample(members, count - len(chosen))
        return chosen

    def clear_members(self, collection: Collection) -> None:
        """Delete every member now (for small collections about to be overwritten in place)."""
        stored_keys = [stored for _whole, stored, _value in self._walk(collection)]
        writer = self._turn.writer()
        for stored in stored_keys:
            writer.delete(stored, db=self.table)

    # -- OBJECT ENCODING ---------------------------------------------------------------------

    def redis_encoding(self, collection: Collection) -> str:
        """The encoding Redis would report for this value (OBJECT ENCODING), from the limits
        Redis applies at write time (as configured now)."""
        limit = self.compact_limit
        if self.compact_encoding is None or limit is None or collection.count > limit.entries:
            return self.large_encoding
        if limit.element_bytes is not None and any(
                len(element) > limit.element_bytes for element in self.encoded_elements(collection)):
            return self.large_encoding
        return self.compact_encoding

    def encoded_elements(self, collection: Collection) -> Iterator[bytes]:
        """The byte strings Redis' listpack limit applies to (members and values)."""
        for suffix, value in self.iter_members(collection):
            yield suffix
            yield value

    # -- writing a whole collection out ------------------------------------------------------

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        """Commands that add every member of ``collection`` to an empty key (after a DEL):
        the binlog form of a collection written as a whole."""
        raise NotImplementedError

    def state_records(self, key: bytes, raw: bytes) -> Iterator[list[bytes]]:
        """Records that recreate ``key`` as the collection ``raw`` describes, read from the
        members as they are when the records are taken (the command's change is logged after
        the command: its members are all written by then)."""
        collection = self._opened_raw(key, raw)
        expire_at = collection.expire_at_ms
        yield [b"del", key]
        yield from self.rebuild_commands(collection)
        if expire_at:
            yield [b"pexpireat", key, b"%d" % expire_at]


def chunked(key: bytes, command: bytes, arguments: Iterator[bytes], per_member: int) -> Iterator[list[bytes]]:
    """``command key a b c ...`` records of at most :data:`DUMP_CHUNK` members each."""
    argv = [command, key]
    limit = 2 + DUMP_CHUNK * per_member
    for argument in arguments:
        argv.append(argument)
        if len(argv) == limit:
            yield argv
            argv = [command, key]
    if len(argv) > 2:
        yield argv


def is_long_long(text: bytes) -> bool:
    """Whether Redis would hold ``text`` as an integer (string2ll: canonical form, 64-bit):
    OBJECT ENCODING's ``int`` strings and ``intset`` sets."""
    if not text or len(text) > 20:
        return False
    digits = text[1:] if text[:1] == b"-" else text
    if not digits.isdigit() or (digits[:1] == b"0" and len(text) > 1):
        return False
    return -(2**63) <= int(text) <= 2**63 - 1
