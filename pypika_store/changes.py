"""What a write command changed, and the binlog records that reproduce it.

The keyspace and the collection stores note every key a command changes in the turn's
:class:`ChangeLog`, one typed entry per change; after the command the engine hands the entries to
the watches and turns them into binlog records here, so a record replays to the same effect
whenever it is replayed (Pika's rule: SET EX is logged with an absolute expiry, INCR as the value
it produced, a multi-key DEL as one DEL per key, FLUSHALL as one FLUSHDB per DB).

- A string key's change is logged as the key's resulting state (``set``, ``pksetexat``...).
- A collection's member change is logged as the member-level command its store chose
  (``hset key f v``, ``lpop key 2``): the collection may be huge, its state is not logged.
- A collection written as a whole (MOVE, COPY, RESTORE, a *STORE command) is logged as a DEL
  followed by the commands that add its members, which its store hands over with the change.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator, NamedTuple, Union

from .binlog.format import BULK_STARTS, SET_START, encode_command
from .storage.records import HEADER, HEADER_SIZE, NO_EXPIRY


class ValueWritten(NamedTuple):
    """A string key got a new record (value and expiry): logged as the state it leaves."""

    db: int
    key: bytes
    record: bytes


class StringSet(NamedTuple):
    """A string key got ``value`` and no expiry (a plain SET, INCR...): logged as ``set key
    value``. The change is itself the record the binlog writer takes
    (:meth:`~.binlog.writer.BinlogWriter.prepare` reads a ``(db, key, value)`` tuple as that
    command and builds its item in one join), so logging it builds nothing: the content made
    at log time from the meta record (two slices and a join) was ~3,500 instructions a SET."""

    db: int
    key: bytes
    value: bytes


class CollectionWritten(NamedTuple):
    """A collection key was stored as a whole (MOVE, COPY, RESTORE, *STORE). ``records``, from
    its store, are the commands that recreate it; they are produced when the change is logged,
    after the command (so a collection nobody logs is never walked)."""

    db: int
    key: bytes
    records: Iterator[list[bytes]]


class KeyDeleted(NamedTuple):
    """A key was removed (DEL, an expiry, a command that emptied it...)."""

    db: int
    key: bytes


class ExpiryChanged(NamedTuple):
    """A live key got a new absolute expiry (0: none)."""

    db: int
    key: bytes
    expire_at_ms: int


class CommandLogged(NamedTuple):
    """A change whose binlog record the command chose itself (a collection's member-level
    command, PFADD's arguments, RENAME of a collection): its argv, or its RESP content
    encoded already (the type stores' hot writes)."""

    db: int
    key: bytes
    argv: list[bytes] | bytes


class GroupChanged(NamedTuple):
    """A stream's consumer groups changed (XREADGROUP, XACK, XCLAIM, XGROUP...), logged as the
    record the stream store chose. Not a change of the key's value: WATCH ignores it, as
    Redis' group commands leave watched keys alone."""

    db: int
    key: bytes
    argv: list[bytes]


class KeyCovered(NamedTuple):
    """A key changed by a record logged under another key's change (RENAME's source): no
    record of its own, noted so that watchers of the key know it changed."""

    db: int
    key: bytes


class Flushed(NamedTuple):
    """Every key of DB ``db`` was removed (FLUSHDB, FLUSHALL)."""

    db: int


Change = Union[ValueWritten, StringSet, CollectionWritten, KeyDeleted, ExpiryChanged, CommandLogged, GroupChanged,
               KeyCovered, Flushed]


#: Builds an entry without the Python-level ``__new__`` a NamedTuple class adds: every SET notes
#: one entry, and this takes about half of what noting it costs.
_new = tuple.__new__


class ChangeLog(list[Change]):
    """The running command's changes, in the order they happened; one method per kind of
    change. The engine reads and clears it after every write command."""

    __slots__ = ()

    def value_written(self, db: int, key: bytes, record: bytes) -> None:
        self.append(_new(ValueWritten, (db, key, record)))

    def string_set(self, db: int, key: bytes, value: bytes) -> None:
        self.append(_new(StringSet, (db, key, value)))

    def collection_written(self, db: int, key: bytes, records: Iterator[list[bytes]]) -> None:
        self.append(_new(CollectionWritten, (db, key, records)))

    def key_deleted(self, db: int, key: bytes) -> None:
        self.append(_new(KeyDeleted, (db, key)))

    def expiry_changed(self, db: int, key: bytes, expire_at_ms: int) -> None:
        self.append(_new(ExpiryChanged, (db, key, expire_at_ms)))

    def command_logged(self, db: int, key: bytes, argv: list[bytes] | bytes) -> None:
        self.append(_new(CommandLogged, (db, key, argv)))

    def group_changed(self, db: int, key: bytes, argv: list[bytes]) -> None:
        self.append(_new(GroupChanged, (db, key, argv)))

    def key_covered(self, db: int, key: bytes) -> None:
        self.append(_new(KeyCovered, (db, key)))

    def flushed(self, db: int) -> None:
        self.append(_new(Flushed, (db,)))


#: A binlog record: the command's arguments, their RESP content already encoded (a string's
#: state, a type store's hot write), as the binlog item holds it, or a :class:`StringSet`
#: (``set key value``).
Record = Union[list[bytes], bytes, StringSet]

#: A turn's binlog records, per DB index, each DB's in the order they were logged (a
#: ``defaultdict(list)``): each DB has a binlog of its own, so this is all the order there is.
RecordsByDB = defaultdict[int, list[Record]]

_unpack_header = HEADER.unpack_from
#: A string record's expiry and value, as slices built once (``record[1:HEADER_SIZE]`` builds
#: its slice object at every call).
_EXPIRY_FIELD = slice(1, HEADER_SIZE)
_VALUE_FIELD = slice(HEADER_SIZE, None)


def string_state_record(key: bytes, record: bytes) -> list[bytes]:
    """The record that makes ``key`` the string its meta record ``record`` holds, expiry
    included (an absolute one, so that replaying it later expires the key at the same time)."""
    expire_at = _unpack_header(record)[1]
    value = record[HEADER_SIZE:]
    if not expire_at:
        return [b"set", key, value]
    if expire_at % 1000 == 0:
        return [b"pksetexat", key, b"%d" % (expire_at // 1000), value]
    return [b"set", key, value, b"pxat", b"%d" % expire_at]


def string_state_content(key: bytes, record: bytes) -> bytes:
    """:func:`string_state_record` as the RESP content its binlog item holds: a string written
    with an expiry, or as a whole record (RENAME, MOVE, COPY, RESTORE, a swapped DB's keys; a
    plain SET or INCR notes a :class:`StringSet` instead). One without expiry is joined in one
    step here from the encoder's own bulk headers (no argument list, no generic encoding loop);
    a key with an expiry, or a key or value of 4 KiB or more (past the headers' table), takes
    the generic encoding."""
    if record[_EXPIRY_FIELD] != NO_EXPIRY:
        return encode_command(string_state_record(key, record))
    try:
        return b"".join((SET_START, BULK_STARTS[len(key)], key, BULK_STARTS[len(record) - HEADER_SIZE],
                         record[_VALUE_FIELD], b"\r\n"))
    except IndexError:
        return encode_command(string_state_record(key, record))


def records_for(changes: list[Change], records: RecordsByDB) -> None:
    """Add to ``records`` the binlog records of one command's changes, each to its DB's list in
    the order the changes happened (so each replays onto the state the one before it left). A
    :class:`StringSet` is its own record, any other string's state comes as its RESP content
    (:func:`string_state_content`), every other record as its argv. The records go straight to
    their DB's list (not as ``(db, record)`` pairs grouped at the end of the turn): every logged
    write saves a pair and a pass over it."""
    for change in changes:  # the kinds most commands log come first; the kinds are final classes
        kind = type(change)
        if kind is StringSet:
            records[change.db].append(change)
        elif kind is ValueWritten:
            records[change.db].append(string_state_content(change.key, change.record))
        elif kind is CommandLogged or kind is GroupChanged:
            records[change.db].append(change.argv)
        elif kind is KeyDeleted:
            records[change.db].append([b"del", change.key])
        elif kind is ExpiryChanged:
            key, expire_at = change.key, change.expire_at_ms
            records[change.db].append([b"pexpireat", key, b"%d" % expire_at] if expire_at else [b"persist", key])
        elif kind is CollectionWritten:
            records[change.db].extend(change.records)
        elif kind is Flushed:
            records[change.db].append([b"flushdb"])
        # KeyCovered: no record of its own (the other key's record covers it)
