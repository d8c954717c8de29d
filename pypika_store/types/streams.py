"""Streams: one member per entry, ``object_id | ms u64 BE | seq u64 BE`` → the entry.

An entry's key is its ID in big-endian, so LMDB's byte order is ID order: XRANGE is one cursor
walk from its start ID, and reading or deleting an ID is one lookup.

An entry's value is a header, then its fields and values in order (field, value, field,
value...), each as ``length u32 BE | bytes``. The header is ``node u64 BE``; when the top bit of
that word is set, the node's *edge* ID (``ms u64 BE | seq u64 BE``) follows it.

Nodes. Redis keeps a stream as a radix tree of listpack nodes of up to
``stream-node-max-entries`` (100) entries, and approximate trimming (``MAXLEN ~``, ``MINID ~``)
only removes whole nodes, so how much it trims depends on where nodes begin and end. The node
number emulates that layout: entries appended while the tail node has room share its number. A
node goes on counting the entries deleted from it (Redis leaves them in the listpack as
tombstones) until XDEL takes its last one, when it goes (as Redis frees an emptied listpack).
Its edge, the last ID appended to it, is what ``MINID`` trimming compares, deleted or not: it is
the node's last entry's ID, or, once that entry was deleted, the edge the entry before it
carries in its header. An exact trim that deletes every entry of a node whose edge it keeps
leaves the node *hollow*: Redis keeps the empty listpack (and goes on filling it if it is the
tail) until a later trim removes it, and so does the meta record. Redis also closes a node at
``stream-node-max-bytes`` (4096) bytes, which is not emulated: streams of large entries get
fewer, larger nodes here.

The meta record's type fields (all u64 BE, see :class:`StreamState`): the last generated ID, the
largest ID ever deleted by XDEL, how many entries were ever added, the tail node's number and
how many entries were appended to it, how many nodes there are (XINFO's ``radix-tree-keys``),
and the hollow node's number (0: none) and edge. The first entry's ID is not stored: it is the
first member.

Every write logs commands that replay deterministically: XADD as ``xadd key <its id> f v ...``,
a trim as the exact ``xtrim key minid = <first id kept>`` (``maxlen = 0`` when none is kept),
XDEL as ``xdel key <ids deleted>``, XSETID with the values it set.

Consumer groups are members too, in a group area after every entry (:mod:`.stream_groups`):
entry walks stop at the first member whose key is not an entry ID.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator, NamedTuple

from ..errors import (
    ElementsTooLargeError,
    NoSuchKeyError,
    StreamExhaustedError,
    XaddIdTooSmallError,
    XsetidEntriesAddedTooSmallError,
    XsetidIdTooSmallError,
)
from ..notifications import STREAM
from ..storage.records import TAG_STREAM
from .collection import Collection, CollectionStore
from .stream_groups import UNKNOWN_ENTRIES_READ, GroupsMixin
from .stream_ids import ID_KEY, MAX_ID, MIN_ID, U64_MAX, StreamId, format_id, id_key, key_id, next_id

#: Redis' default ``stream-node-max-entries``: entries per node (deleted ones included).
NODE_MAX_ENTRIES = 100

_NODE = struct.Struct(">Q")
_LENGTH = struct.Struct(">I")
#: The header bit saying an edge ID follows the node number.
_HAS_EDGE = 1 << 63


class StreamState(NamedTuple):
    """A stream's meta fields, in their record order."""

    last_ms: int = 0
    last_seq: int = 0
    deleted_ms: int = 0
    deleted_seq: int = 0
    entries_added: int = 0
    #: Number of the newest node (node numbers only grow).
    tail_node: int = 0
    #: Entries appended to the tail node; 0 when it is gone (the next XADD opens a new node).
    tail_fill: int = 0
    #: Nodes in Redis' radix tree: those holding entries and the hollow one.
    nodes: int = 0
    #: A node whose entries an exact trim deleted all of, which Redis keeps (0: none) until a
    #: later trim reaches it, and its edge.
    hollow_node: int = 0
    hollow_ms: int = 0
    hollow_seq: int = 0

    @property
    def last_id(self) -> StreamId:
        return self.last_ms, self.last_seq

    @property
    def max_deleted_id(self) -> StreamId:
        return self.deleted_ms, self.deleted_seq

    def without_hollow(self) -> "StreamState":
        return self._replace(hollow_node=0, hollow_ms=0, hollow_seq=0)


class Entry(NamedTuple):
    id: StreamId
    #: Field, value, field, value...
    fields: list[bytes]


@dataclass
class Trim:
    """A trimming request (XTRIM, XADD's MAXLEN/MINID): keep at most ``maxlen`` entries, or
    none below ``minid``; ``approx`` removes whole nodes only; ``limit`` caps how many entries
    go (0: no cap)."""

    maxlen: int | None = None
    minid: StreamId | None = None
    approx: bool = False
    limit: int = 0

    def takes_node(self, length: int, size: int, edge: StreamId) -> bool:
        """Whether a whole node of ``size`` entries and this edge goes, ``length`` being left."""
        if self.maxlen is not None:
            return length - size >= self.maxlen
        return edge < self.minid  # type: ignore[operator]

    def keeps(self, length: int, entry_id: StreamId) -> bool:
        """Whether trimming stops at this entry, ``length`` entries being left."""
        if self.maxlen is not None:
            return length <= self.maxlen
        return entry_id >= self.minid  # type: ignore[operator]


# -- IDs and entry values -------------------------------------------------------------------------------


def new_entry_id(last: StreamId, requested: StreamId | None, seq_given: bool, now_ms: int) -> StreamId:
    """The ID XADD gives its entry: ``*`` (``requested`` None) from the clock, never going
    back; ``<ms>-*`` (``seq_given`` False) the next sequence of that millisecond; else the ID
    given. Always above the stream's ``last`` ID, or Redis' error."""
    if last == MAX_ID:
        raise StreamExhaustedError()
    if requested is None:
        new_id = (now_ms, 0) if now_ms > last[0] else next_id(last)
    elif not seq_given and requested[0] == last[0]:
        if last[1] == U64_MAX:  # Redis fails here without its "too small" errno
            raise ElementsTooLargeError()
        new_id = (last[0], last[1] + 1)
    else:
        new_id = requested
    if new_id <= last:  # type: ignore[operator]
        raise XaddIdTooSmallError()
    return new_id  # type: ignore[return-value]


def _header(node: int, edge: StreamId | None) -> bytes:
    if edge is None:
        return _NODE.pack(node)
    return _NODE.pack(node | _HAS_EDGE) + id_key(edge)


def _body_offset(value: bytes) -> int:
    return _NODE.size + (ID_KEY.size if value[0] & 0x80 else 0)


def encode_entry(node: int, fields: list[bytes]) -> bytes:
    parts = [_header(node, None)]
    for item in fields:
        parts += (_LENGTH.pack(len(item)), item)
    return b"".join(parts)


def node_of(value: bytes) -> int:
    return _NODE.unpack_from(value)[0] & ~_HAS_EDGE


def edge_of(suffix: bytes, value: bytes) -> StreamId:
    """The edge of the node whose last entry is this one: the edge it carries, else its ID."""
    if value[0] & 0x80:
        return ID_KEY.unpack_from(value, _NODE.size)  # type: ignore[return-value]
    return key_id(suffix)


def with_edge(value: bytes, edge: StreamId) -> bytes:
    """The same entry, carrying its node's edge."""
    return _header(node_of(value), edge) + value[_body_offset(value):]


def decode_fields(value: bytes) -> list[bytes]:
    fields = []
    offset = _body_offset(value)
    while offset < len(value):
        (length,) = _LENGTH.unpack_from(value, offset)
        offset += _LENGTH.size
        fields.append(value[offset:offset + length])
        offset += length
    return fields


class _Node(NamedTuple):
    """A node met while walking the stream: its number, its entries (member suffixes), edge."""

    number: int
    entries: list[bytes]
    edge: StreamId


class _TrimPlan(NamedTuple):
    """What a trim does: the entries it removes, the nodes that go (left without entries),
    and the node it leaves hollow (its entries all deleted, kept as Redis keeps it)."""

    doomed: list[bytes]
    gone: list[int]
    hollow: _Node | None


class StreamStore(CollectionStore, GroupsMixin):
    tag = TAG_STREAM
    event_class = STREAM
    compact_encoding = None
    large_encoding = "stream"
    fields_format = struct.Struct(">11Q")
    initial_fields = StreamState()
    keeps_empty = True

    @staticmethod
    def state(collection: Collection) -> StreamState:
        return StreamState(*collection.fields)

    # -- reading -----------------------------------------------------------------------------

    def length(self, key: bytes) -> int:
        collection = self.open(key)
        return 0 if collection is None else collection.count

    def range(self, collection: Collection, start: StreamId, end: StreamId, count: int = 0,
              reverse: bool = False) -> list[Entry]:
        """Entries with IDs in ``start..end`` (inclusive), at most ``count`` (0: all), from
        the end when ``reverse``."""
        if start > end:
            return []
        entries: list[Entry] = []
        for suffix, value in self._entry_members(collection, id_key(end if reverse else start), reverse):
            entry_id = key_id(suffix)
            if (entry_id < start) if reverse else (entry_id > end):
                break
            entries.append(Entry(entry_id, decode_fields(value)))
            if len(entries) == count:
                break
        return entries

    def _entry_members(self, collection: Collection, start: bytes = b"", reverse: bool = False
                       ) -> Iterator[tuple[bytes, bytes]]:
        """The entry members (suffix, value) from ``start``, without the group area after them."""
        for suffix, value in self.iter_members(collection, start=start, reverse=reverse):
            if len(suffix) == ID_KEY.size:
                yield suffix, value
            elif not reverse:
                return

    def entry_exists(self, collection: Collection, entry_id: StreamId) -> bool:
        return self.read_member(collection, id_key(entry_id)) is not None

    def entries_added(self, collection: Collection) -> int:
        return self.state(collection).entries_added

    def _now(self) -> int:
        return self._turn.now_ms()

    def has_tombstones_after(self, collection: Collection, start: StreamId) -> bool:
        """Whether an entry from ``start`` on was deleted (Redis' streamRangeHasTombstones to
        the end): only the largest deleted ID is known, so it tells whether that one is."""
        deleted = self.state(collection).max_deleted_id
        if not collection.count or deleted == MIN_ID:
            return False
        if self.edge_id(collection, last=False) > deleted:
            return False
        return start <= deleted

    def estimate_entries_read(self, collection: Collection, entry_id: StreamId) -> int:
        """How many entries were added up to ``entry_id`` (its read counter), where the stream
        can tell (Redis' streamEstimateDistanceFromFirstEverEntry); else -1."""
        state = self.state(collection)
        if not state.entries_added:
            return 0
        if not collection.count and entry_id <= state.last_id:
            return state.entries_added
        if entry_id == state.last_id:
            return state.entries_added
        if entry_id > state.last_id:
            return UNKNOWN_ENTRIES_READ
        first = self.edge_id(collection, last=False)
        deleted = state.max_deleted_id
        if deleted == MIN_ID or deleted < first:
            if entry_id < first:
                return state.entries_added - collection.count
            if entry_id == first:
                return state.entries_added - collection.count + 1
        return UNKNOWN_ENTRIES_READ

    def edge_entry(self, collection: Collection, last: bool) -> Entry | None:
        """The first (or last) entry; None when the stream is empty."""
        found = self.range(collection, MIN_ID, MAX_ID, 1, reverse=last)
        return found[0] if found else None

    def edge_id(self, collection: Collection, last: bool) -> StreamId:
        """The first (or last) entry's ID; 0-0 when the stream is empty."""
        entry = self.edge_entry(collection, last)
        return MIN_ID if entry is None else entry.id

    # -- writes: each opens the key, saves the meta and logs its records --------------------

    def add(self, key: bytes, fields: list[bytes], requested: StreamId | None, seq_given: bool,
            now_ms: int, trim: Trim | None = None, create: bool = True) -> StreamId | None:
        """XADD: append an entry with the ID :func:`new_entry_id` gives, then trim as asked;
        its ID, None when the stream is missing and not to be created (NOMKSTREAM). Wakes
        XREAD clients waiting for the key."""
        collection = self.open(key)
        if collection is None:
            if not create:
                return None
            collection = self.new(key)
        entry_id = new_entry_id(self.state(collection).last_id, requested, seq_given, now_ms)
        self._append(collection, entry_id, fields)
        if trim is not None:
            self._trim(collection, trim)
        return entry_id

    def delete_entries(self, key: bytes, ids: list[StreamId]) -> int:
        """XDEL: remove the entries with these IDs; how many there were."""
        collection = self.open(key)
        if collection is None:
            return 0
        removed = [entry_id for entry_id in ids if self._delete_entry(collection, id_key(entry_id))]
        if not removed:
            return 0
        state = self.state(collection)
        deleted = max(state.max_deleted_id, *removed)
        collection.fields = state._replace(deleted_ms=deleted[0], deleted_seq=deleted[1])
        self.save(collection, b"xdel")
        self.log(collection, [b"xdel", key, *map(format_id, removed)])
        return len(removed)

    def trim(self, key: bytes, trim: Trim) -> int:
        """XTRIM: remove entries from the head as ``trim`` asks; how many went."""
        collection = self.open(key)
        return 0 if collection is None else self._trim(collection, trim)

    def set_id(self, key: bytes, last: StreamId, entries_added: int | None, max_deleted: StreamId | None) -> None:
        """XSETID: set the last ID and, when given, the counters (a max deleted ID of 0-0
        leaves it as it is), refusing to go below what the stream holds."""
        collection = self.open(key)
        if collection is None:
            raise NoSuchKeyError()
        if collection.count:
            if last < self.edge_id(collection, last=True):
                raise XsetidIdTooSmallError()
            if entries_added is not None and collection.count > entries_added:
                raise XsetidEntriesAddedTooSmallError()
        state = self.state(collection)._replace(last_ms=last[0], last_seq=last[1])
        argv = [b"xsetid", key, format_id(last)]
        if entries_added is not None:
            state = state._replace(entries_added=entries_added)
            argv += (b"entriesadded", b"%d" % entries_added)
        if max_deleted is not None and max_deleted != MIN_ID:
            state = state._replace(deleted_ms=max_deleted[0], deleted_seq=max_deleted[1])
            argv += (b"maxdeletedid", format_id(max_deleted))
        collection.fields = state
        self.save(collection, b"xsetid")
        self.log(collection, argv)

    def create_group(self, key: bytes, name: bytes, last_id: StreamId, entries_read: int) -> None:
        """XGROUP CREATE: a group at ``last_id``; the stream is made (empty) when missing
        (MKSTREAM: the command checked it may)."""
        collection = self.open(key)
        made = collection is None
        if collection is None:
            collection = self.new(key)
            self.save(collection)
        self.add_group(collection, name, last_id, entries_read, made)

    def _append(self, collection: Collection, entry_id: StreamId, fields: list[bytes]) -> None:
        """Add an entry with a (checked) new ID greater than the last one, opening a new node
        when the tail node is full or gone (a hollow tail node fills up again)."""
        state = self.state(collection)
        if not state.tail_fill or state.tail_fill >= NODE_MAX_ENTRIES:
            state = state._replace(tail_node=state.tail_node + 1, tail_fill=0, nodes=state.nodes + 1)
        if state.hollow_node == state.tail_node:
            state = state.without_hollow()
        self.write_member(collection, id_key(entry_id), encode_entry(state.tail_node, fields))
        collection.count += 1
        collection.fields = state._replace(last_ms=entry_id[0], last_seq=entry_id[1],
                                           entries_added=state.entries_added + 1,
                                           tail_fill=state.tail_fill + 1)
        self.save(collection, b"xadd")
        self.log(collection, [b"xadd", collection.key, format_id(entry_id), *fields])
        self.signal_ready(collection.key)

    def _trim(self, collection: Collection, trim: Trim) -> int:
        """Remove entries from the head as ``trim`` asks (as Redis' streamTrim walks its
        nodes); how many went. Logged as the exact trim it came to."""
        plan = self._plan(collection, trim)
        if not (plan.doomed or plan.gone):
            return 0
        for suffix in plan.doomed:
            self.remove_member(collection, suffix)
        collection.count -= len(plan.doomed)
        for node in plan.gone:
            self._node_gone(collection, node)
        if plan.hollow is not None:
            collection.fields = self.state(collection)._replace(
                hollow_node=plan.hollow.number, hollow_ms=plan.hollow.edge[0], hollow_seq=plan.hollow.edge[1])
        self.save(collection, b"xtrim" if plan.doomed else None)
        if plan.doomed:
            first = self.edge_entry(collection, last=False)
            self.log(collection, [b"xtrim", collection.key, b"maxlen", b"=", b"0"] if first is None
                     else [b"xtrim", collection.key, b"minid", b"=", format_id(first.id)])
        return len(plan.doomed)

    # -- nodes -------------------------------------------------------------------------------

    def _nodes(self, collection: Collection) -> Iterator[_Node]:
        """The nodes from the head (the hollow one first), with their entries and edges."""
        state = self.state(collection)
        if state.hollow_node:
            yield _Node(state.hollow_node, [], (state.hollow_ms, state.hollow_seq))
        entries: list[bytes] = []
        current = 0
        last_value = b""
        for suffix, value in self._entry_members(collection):
            node = node_of(value)
            if entries and node != current:
                yield _Node(current, entries, edge_of(entries[-1], last_value))
                entries = []
            current = node
            entries.append(suffix)
            last_value = value
        if entries:
            yield _Node(current, entries, edge_of(entries[-1], last_value))

    def _plan(self, collection: Collection, trim: Trim) -> _TrimPlan:
        """What a trim removes, as Redis' streamTrim walks its nodes: whole nodes while the
        rest still satisfies the trim (and LIMIT allows), then, unless approximate, single
        entries of the next node. A stream the trim already satisfies is not walked (XADD
        with MAXLEN trims on every call)."""
        length = collection.count
        doomed: list[bytes] = []
        gone: list[int] = []
        if not self.state(collection).hollow_node and trim.keeps(length, self.edge_id(collection, last=False)):
            return _TrimPlan(doomed, gone, None)
        for node in self._nodes(collection):
            if trim.maxlen is not None and length <= trim.maxlen:
                break
            if trim.limit and len(doomed) + len(node.entries) > trim.limit:
                break
            if trim.takes_node(length, len(node.entries), node.edge):
                doomed += node.entries
                gone.append(node.number)
                length -= len(node.entries)
                continue
            if not trim.approx:
                taken = 0
                for suffix in node.entries:
                    if trim.keeps(length, key_id(suffix)):
                        break
                    taken += 1
                    length -= 1
                doomed += node.entries[:taken]
                if node.entries and taken == len(node.entries):
                    return _TrimPlan(doomed, gone, node)
            break
        return _TrimPlan(doomed, gone, None)

    def _delete_entry(self, collection: Collection, suffix: bytes) -> bool:
        """Remove one entry (XDEL); False when there is none. When it was its node's last
        entry, the entry before it in the node carries the node's edge on; when it was the
        node's only one, the node goes."""
        value = self.remove_member(collection, suffix)
        if value is None:
            return False
        collection.count -= 1
        node = node_of(value)
        after = self._neighbour(collection, suffix, reverse=False)
        if after is not None and node_of(after[1]) == node:
            return True
        before = self._neighbour(collection, suffix, reverse=True)
        if before is not None and node_of(before[1]) == node:
            self.write_member(collection, before[0], with_edge(before[1], edge_of(suffix, value)))
        else:
            self._node_gone(collection, node)
        return True

    def _neighbour(self, collection: Collection, suffix: bytes, reverse: bool) -> tuple[bytes, bytes] | None:
        """The entry after (or before) the now absent ``suffix``."""
        return next(self._entry_members(collection, suffix, reverse), None)

    def _node_gone(self, collection: Collection, node: int) -> None:
        """A node went (its last entry did, or it was hollow): one node less; if it was the
        tail, the next XADD opens a new one."""
        state = self.state(collection)
        state = state._replace(nodes=state.nodes - 1)
        if node == state.hollow_node:
            state = state.without_hollow()
        collection.fields = state._replace(tail_fill=0) if node == state.tail_node else state

    # -- writing the whole stream out --------------------------------------------------------

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        """An XADD per entry, the groups, then XSETID restoring the last ID and the counters.
        An empty stream is made by an XADD that trims its own entry (trimming leaves the
        counters). Entries a PEL still names but the stream lost get an empty stand-in while
        the groups are recreated (XCLAIM FORCE needs the entry), removed after them: by a trim
        below the first entry (where trims took them), by XDEL above it."""
        key = collection.key
        state = self.state(collection)
        stand_ins = self.pending_ids_without_entries(collection)
        missing = iter(stand_ins)
        stand_in = next(missing, None)
        for suffix, value in self._entry_members(collection):
            entry_id = key_id(suffix)
            while stand_in is not None and stand_in < entry_id:
                yield [b"xadd", key, format_id(stand_in), b"", b""]
                stand_in = next(missing, None)
            yield [b"xadd", key, format_id(entry_id), *decode_fields(value)]
        while stand_in is not None:
            yield [b"xadd", key, format_id(stand_in), b"", b""]
            stand_in = next(missing, None)
        if not collection.count and not stand_ins:
            yield [b"xadd", key, b"maxlen", b"0", b"0-1", b"", b""]
        yield from self.group_rebuild_commands(collection)
        if stand_ins:
            first = self.edge_entry(collection, last=False)
            if first is None:
                yield [b"xtrim", key, b"maxlen", b"=", b"0"]
            else:
                if stand_ins[0] < first.id:
                    yield [b"xtrim", key, b"minid", b"=", format_id(first.id)]
                deleted = [format_id(entry_id) for entry_id in stand_ins if entry_id > first.id]
                if deleted:
                    yield [b"xdel", key, *deleted]
        setid = [b"xsetid", key, format_id(state.last_id), b"entriesadded", b"%d" % state.entries_added]
        deleted_id = state.max_deleted_id
        if deleted_id != MIN_ID:
            if deleted_id <= state.last_id:
                setid += (b"maxdeletedid", format_id(deleted_id))
            else:  # XSETID lowered the last ID below it: set it first, then the last ID
                yield [b"xsetid", key, format_id(deleted_id), b"maxdeletedid", format_id(deleted_id)]
        yield setid
