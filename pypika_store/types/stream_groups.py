"""Consumer groups of a stream: groups, consumers and pending entries, as members of the stream.

They live in the stream's *group area*, members whose keys start with sixteen ``0xff`` bytes
(the key of the largest entry ID) and are longer than an entry's, so LMDB sorts them after every
entry and go wherever the stream's members go (DEL's reclaim, COPY, DUMP, a snapshot). The
layout, one record kind per letter (docs/storage-format.md, "Consumer groups"):

- ``n`` the number the next group gets;
- ``g | name`` a group: its number, last delivered ID, entries_read (-1: unknown), how many
  pending entries and consumers it has;
- ``c | group u32 | name`` a consumer: when it was last seen, how many entries it has pending;
- ``p | group u32 | id`` the group's PEL: delivery time, delivery count, the consumer;
- ``q | group u32 | name length u16 | name | id`` each consumer's own PEL (empty values).

:class:`GroupsMixin` is the part of :class:`~.streams.StreamStore` that writes them. Every write
logs the commands that set the state it left, as Redis propagates them (``xclaim ... TIME ms
RETRYCOUNT n FORCE JUSTID`` for a pending entry, ``xgroup setid ... entriesread n`` for a
group's position...): replayed once or twice, they give the same groups.
"""

from __future__ import annotations

import itertools
import struct
from typing import Iterator, NamedTuple

from ..errors import BusyGroupError
from .collection import Collection
from .stream_ids import MAX_ID, MIN_ID, StreamId, format_id, id_key, key_id

#: Every group-area key starts with the key of the largest entry ID, and is longer.
GROUP_AREA = id_key(MAX_ID)
#: Redis' SCG_INVALID_ENTRIES_READ: the group's read counter is not known.
UNKNOWN_ENTRIES_READ = -1

_NEXT_GROUP = GROUP_AREA + b"n"
_GROUPS = GROUP_AREA + b"g"
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_GROUP = struct.Struct(">IQQqQQ")
_CONSUMER = struct.Struct(">QQ")
_PENDING = struct.Struct(">QQ")


class Group(NamedTuple):
    name: bytes
    number: int
    last_id: StreamId
    entries_read: int
    pending: int
    consumers: int


class Consumer(NamedTuple):
    name: bytes
    seen_ms: int
    pending: int


class Pending(NamedTuple):
    """One entry of a group's PEL."""

    id: StreamId
    consumer: bytes
    delivery_ms: int
    delivery_count: int


class Claimed(NamedTuple):
    """What XAUTOCLAIM did: the IDs claimed, the PEL ID to go on from (0-0: the end), and the
    IDs dropped from the PEL because their entries were deleted."""

    ids: list[StreamId]
    cursor: StreamId
    deleted: list[StreamId]


# -- keys and values --------------------------------------------------------------------------------


def _consumers_prefix(number: int) -> bytes:
    return GROUP_AREA + b"c" + _U32.pack(number)


def _pel_prefix(number: int) -> bytes:
    return GROUP_AREA + b"p" + _U32.pack(number)


def _owned_by_group_prefix(number: int) -> bytes:
    return GROUP_AREA + b"q" + _U32.pack(number)


def _owned_prefix(number: int, consumer: bytes) -> bytes:
    return _owned_by_group_prefix(number) + _U16.pack(len(consumer)) + consumer


def _encode_group(group: Group) -> bytes:
    return _GROUP.pack(group.number, *group.last_id, group.entries_read, group.pending, group.consumers)


def _decode_group(name: bytes, value: bytes) -> Group:
    number, last_ms, last_seq, entries_read, pending, consumers = _GROUP.unpack(value)
    return Group(name, number, (last_ms, last_seq), entries_read, pending, consumers)


def _decode_pending(entry_id: StreamId, value: bytes) -> Pending:
    delivery_ms, count = _PENDING.unpack_from(value)
    return Pending(entry_id, value[_PENDING.size:], delivery_ms, count)


class GroupsMixin:
    """Consumer-group reads and writes of the stream store (see the module docstring)."""

    # The stream store provides the member access (CollectionStore's), the entry checks
    # (``entry_exists``, ``entries_added``, ``has_tombstones_after``, ``estimate_entries_read``)
    # and the turn's clock (``_now``).

    # -- reading -----------------------------------------------------------------------------

    def groups(self, collection: Collection) -> list[Group]:
        """The stream's groups, in name order."""
        cut = len(_GROUPS)
        return [_decode_group(suffix[cut:], value)
                for suffix, value in self.iter_members(collection, prefix=_GROUPS)]

    def group(self, collection: Collection, name: bytes) -> Group | None:
        value = self.read_member(collection, _GROUPS + name)
        return None if value is None else _decode_group(name, value)

    def consumers(self, collection: Collection, group: Group) -> list[Consumer]:
        """The group's consumers, in name order."""
        prefix = _consumers_prefix(group.number)
        cut = len(prefix)
        return [Consumer(suffix[cut:], *_CONSUMER.unpack(value))
                for suffix, value in self.iter_members(collection, prefix=prefix)]

    def consumer(self, collection: Collection, group: Group, name: bytes) -> Consumer | None:
        value = self.read_member(collection, _consumers_prefix(group.number) + name)
        return None if value is None else Consumer(name, *_CONSUMER.unpack(value))

    def pending_entries(self, collection: Collection, group: Group, start: StreamId = MIN_ID,
                        consumer: bytes | None = None) -> Iterator[Pending]:
        """The group's PEL (or one consumer's) from ``start``, in ID order."""
        if consumer is None:
            prefix = _pel_prefix(group.number)
            cut = len(prefix)
            for suffix, value in self.iter_members(collection, start=prefix + id_key(start), prefix=prefix):
                yield _decode_pending(key_id(suffix[cut:]), value)
            return
        owned = _owned_prefix(group.number, consumer)
        cut = len(owned)
        pel = _pel_prefix(group.number)
        for suffix, _empty in self.iter_members(collection, start=owned + id_key(start), prefix=owned):
            id_bytes = suffix[cut:]
            yield _decode_pending(key_id(id_bytes), self.read_member(collection, pel + id_bytes))  # type: ignore[arg-type]

    def pending_bounds(self, collection: Collection, group: Group) -> tuple[StreamId, StreamId] | None:
        """The smallest and largest pending IDs; None when the PEL is empty."""
        prefix = _pel_prefix(group.number)
        first = next(self.iter_members(collection, start=prefix, prefix=prefix), None)
        if first is None:
            return None
        last = next(self.iter_members(collection, start=prefix + id_key(MAX_ID), prefix=prefix, reverse=True))
        cut = len(prefix)
        return key_id(first[0][cut:]), key_id(last[0][cut:])

    def lag(self, collection: Collection, group: Group, entries_added: int) -> int | None:
        """How many entries the group has yet to be delivered (XINFO's ``lag``); None when the
        stream's deletions make it unknowable (Redis' streamReplyWithCGLag)."""
        if not entries_added:
            return 0
        if group.entries_read != UNKNOWN_ENTRIES_READ and not self.has_tombstones_after(collection, group.last_id):
            return entries_added - group.entries_read
        entries_read = self.estimate_entries_read(collection, group.last_id)
        return None if entries_read == UNKNOWN_ENTRIES_READ else entries_added - entries_read

    # -- groups ------------------------------------------------------------------------------

    def add_group(self, collection: Collection, name: bytes, last_id: StreamId, entries_read: int,
                  made_stream: bool) -> None:
        """XGROUP CREATE on an opened (or just made) stream; BUSYGROUP when the name is taken."""
        if self.group(collection, name) is not None:
            raise BusyGroupError()
        next_value = self.read_member(collection, _NEXT_GROUP)
        number = 1 if next_value is None else _U32.unpack(next_value)[0]
        self.write_member(collection, _NEXT_GROUP, _U32.pack(number + 1))
        self._put_group(collection, Group(name, number, last_id, entries_read, 0, 0))
        self.notify(b"xgroup-create", collection.key)
        argv = [b"xgroup", b"create", collection.key, name, format_id(last_id)]
        if made_stream:  # a new key: a change of the key's value too (WATCH sees it)
            self.log(collection, argv + [b"mkstream", b"entriesread", b"%d" % entries_read])
        else:
            self._log_group(collection, argv + [b"entriesread", b"%d" % entries_read])

    def set_group_id(self, collection: Collection, group: Group, last_id: StreamId, entries_read: int) -> None:
        """XGROUP SETID: the group's last delivered ID and read counter."""
        self._move_group(collection, group, last_id, entries_read)
        self.notify(b"xgroup-setid", collection.key)

    def destroy_group(self, collection: Collection, name: bytes) -> bool:
        """XGROUP DESTROY: the group, its consumers and PEL go; False when there was none.
        Clients blocked on the group wake (to get NOGROUP)."""
        group = self.group(collection, name)
        if group is None:
            return False
        doomed = [suffix for prefix in (_consumers_prefix(group.number), _pel_prefix(group.number),
                                        _owned_by_group_prefix(group.number))
                  for suffix, _value in self.iter_members(collection, prefix=prefix)]
        for suffix in doomed:
            self.remove_member(collection, suffix)
        self.remove_member(collection, _GROUPS + name)
        self._log_group(collection, [b"xgroup", b"destroy", collection.key, name])
        self.notify(b"xgroup-destroy", collection.key)
        self.signal_ready(collection.key)
        return True

    # -- consumers ---------------------------------------------------------------------------

    def create_consumer(self, collection: Collection, group: Group, name: bytes) -> bool:
        """XGROUP CREATECONSUMER; False when the consumer exists."""
        if self.consumer(collection, group, name) is not None:
            return False
        self._new_consumer(collection, group, name)
        return True

    def delete_consumer(self, collection: Collection, group: Group, name: bytes) -> int:
        """XGROUP DELCONSUMER: the consumer and its pending entries go; how many it had."""
        consumer = self.consumer(collection, group, name)
        if consumer is None:
            return 0
        owned = _owned_prefix(group.number, name)
        pel = _pel_prefix(group.number)
        suffixes = [suffix for suffix, _empty in self.iter_members(collection, prefix=owned)]
        for suffix in suffixes:
            self.remove_member(collection, suffix)
            self.remove_member(collection, pel + suffix[len(owned):])
        self.remove_member(collection, _consumers_prefix(group.number) + name)
        group = self.group(collection, group.name)  # type: ignore[assignment]
        self._put_group(collection, group._replace(pending=group.pending - len(suffixes),
                                                   consumers=group.consumers - 1))
        self._log_group(collection, [b"xgroup", b"delconsumer", collection.key, group.name, name])
        self.notify(b"xgroup-delconsumer", collection.key)
        return consumer.pending

    def seen_consumer(self, collection: Collection, group: Group, name: bytes) -> Consumer:
        """The consumer, created if new (logged), seen now (as Redis' lookups refresh it)."""
        consumer = self.consumer(collection, group, name)
        if consumer is None:
            return self._new_consumer(collection, group, name)
        consumer = consumer._replace(seen_ms=self._now())
        self._put_consumer(collection, group, consumer)
        return consumer

    # -- deliveries --------------------------------------------------------------------------

    def deliver_new(self, collection: Collection, group: Group, consumer: bytes, entry_ids: list[StreamId],
                    noack: bool) -> None:
        """XREADGROUP ``>``: the entries (after the group's last ID, in order) were delivered to
        ``consumer``: the group moves past them, counting them as read while it can (Redis'
        streamReplyWithRange), and, unless NOACK, they become pending for the consumer."""
        self.seen_consumer(collection, group, consumer)
        group = self.group(collection, group.name)  # type: ignore[assignment]
        entries_read = group.entries_read
        last_id = group.last_id
        entries_added = self.entries_added(collection)
        now = self._now()
        for entry_id in entry_ids:
            if entry_id > last_id:
                if entries_read != UNKNOWN_ENTRIES_READ and not self.has_tombstones_after(collection, entry_id):
                    entries_read += 1
                elif entries_added:
                    entries_read = self.estimate_entries_read(collection, entry_id)
                last_id = entry_id
            if not noack:
                group = self._set_pending(collection, group, Pending(entry_id, consumer, now, 1))
        self._move_group(collection, group, last_id, entries_read)

    def redeliver(self, collection: Collection, group: Group, pending: Pending) -> None:
        """XREADGROUP's history read delivered a pending entry again: now, one more time."""
        self._set_pending(collection, group, pending._replace(delivery_ms=self._now(),
                                                              delivery_count=pending.delivery_count + 1))

    def claim(self, collection: Collection, group: Group, consumer: bytes, entry_ids: list[StreamId],
              min_idle: int, delivery_ms: int, retry_count: int, force: bool, just_id: bool,
              last_id: StreamId) -> list[StreamId]:
        """XCLAIM: give the pending entries idle for ``min_idle`` ms to ``consumer`` (FORCE:
        also entries not pending), delivered at ``delivery_ms``, with ``retry_count``
        deliveries (-1: one more, or as many with JUSTID); entries deleted from the stream
        leave the PEL. LASTID moves the group's last ID forward. The IDs claimed."""
        if last_id > group.last_id:
            self._move_group(collection, group, last_id, group.entries_read)
            group = group._replace(last_id=last_id)
        now = self._now()
        claimed: list[StreamId] = []
        for entry_id in entry_ids:
            pending = self.pending_entry(collection, group, entry_id)
            if not self.entry_exists(collection, entry_id):
                if pending is not None:
                    group = self._drop_pending(collection, group, pending)
                continue
            if pending is None:
                if not force:
                    continue
                pending = Pending(entry_id, b"", now, 1)  # a new NACK counts one delivery
            elif min_idle and now - pending.delivery_ms < min_idle:
                continue
            if not claimed:
                self.seen_consumer(collection, group, consumer)
                group = self.group(collection, group.name)  # type: ignore[assignment]
            count = retry_count if retry_count >= 0 else pending.delivery_count + (0 if just_id else 1)
            group = self._set_pending(collection, group, Pending(entry_id, consumer, delivery_ms, count))
            claimed.append(entry_id)
        return claimed

    def auto_claim(self, collection: Collection, group: Group, consumer: bytes, min_idle: int,
                   start: StreamId, count: int, just_id: bool) -> Claimed:
        """XAUTOCLAIM: claim up to ``count`` pending entries idle for ``min_idle`` ms from
        ``start``, looking at ten times as many at most; entries deleted from the stream leave
        the PEL (and count towards ``count``), as in Redis."""
        attempts = count * 10
        now = self._now()
        looked_at = list(itertools.islice(self.pending_entries(collection, group, start), attempts + 1))
        claimed: list[StreamId] = []
        deleted: list[StreamId] = []
        position = 0
        while attempts and count and position < len(looked_at):
            attempts -= 1
            pending = looked_at[position]
            position += 1
            if not self.entry_exists(collection, pending.id):
                group = self._drop_pending(collection, group, pending)
                deleted.append(pending.id)
                count -= 1
                continue
            if min_idle and now - pending.delivery_ms < min_idle:
                continue
            if not claimed:
                self.seen_consumer(collection, group, consumer)
                group = self.group(collection, group.name)  # type: ignore[assignment]
            group = self._set_pending(collection, group, pending._replace(
                consumer=consumer, delivery_ms=now, delivery_count=pending.delivery_count + (0 if just_id else 1)))
            claimed.append(pending.id)
            count -= 1
        # Redis' iterator stands on the last entry looked at: the cursor is the one after it.
        cursor = looked_at[position].id if position < len(looked_at) else MIN_ID
        return Claimed(claimed, cursor, deleted)

    def acknowledge(self, collection: Collection, group: Group, entry_ids: list[StreamId]) -> int:
        """XACK: how many of the IDs were pending (they are not any more)."""
        acknowledged = []
        for entry_id in entry_ids:
            pending = self.pending_entry(collection, group, entry_id)
            if pending is not None:
                group = self._remove_pending(collection, group, pending)
                acknowledged.append(entry_id)
        if acknowledged:
            self._log_group(collection, [b"xack", collection.key, group.name, *map(format_id, acknowledged)])
        return len(acknowledged)

    def pending_entry(self, collection: Collection, group: Group, entry_id: StreamId) -> Pending | None:
        value = self.read_member(collection, _pel_prefix(group.number) + id_key(entry_id))
        return None if value is None else _decode_pending(entry_id, value)

    # -- writing the groups out (COPY, MOVE...) ----------------------------------------------

    def group_rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        """The records that recreate every group on a stream holding the same entries, and a
        stand-in for each pending entry the stream lost (XCLAIM FORCE needs the entry: see
        StreamStore.rebuild_commands)."""
        key = collection.key
        for group in self.groups(collection):
            yield [b"xgroup", b"create", key, group.name, format_id(group.last_id),
                   b"entriesread", b"%d" % group.entries_read]
            for consumer in self.consumers(collection, group):
                yield [b"xgroup", b"createconsumer", key, group.name, consumer.name]
            for pending in self.pending_entries(collection, group):
                yield self._pending_record(key, group.name, pending)

    def pending_ids_without_entries(self, collection: Collection) -> list[StreamId]:
        """The IDs some group has pending whose entries the stream no longer holds, in order."""
        return sorted({pending.id for group in self.groups(collection)
                       for pending in self.pending_entries(collection, group)
                       if not self.entry_exists(collection, pending.id)})

    # -- internals ---------------------------------------------------------------------------

    def _log_group(self, collection: Collection, argv: list[bytes]) -> None:
        """Log ``argv`` as the record of a change to the groups (not to the key's value)."""
        self._changes.group_changed(self._db, collection.key, argv)

    def _put_group(self, collection: Collection, group: Group) -> None:
        self.write_member(collection, _GROUPS + group.name, _encode_group(group))

    def _put_consumer(self, collection: Collection, group: Group, consumer: Consumer) -> None:
        self.write_member(collection, _consumers_prefix(group.number) + consumer.name,
                          _CONSUMER.pack(consumer.seen_ms, consumer.pending))

    def _new_consumer(self, collection: Collection, group: Group, name: bytes) -> Consumer:
        group = self.group(collection, group.name)  # type: ignore[assignment]
        consumer = Consumer(name, self._now(), 0)
        self._put_consumer(collection, group, consumer)
        self._put_group(collection, group._replace(consumers=group.consumers + 1))
        self._log_group(collection, [b"xgroup", b"createconsumer", collection.key, group.name, name])
        self.notify(b"xgroup-createconsumer", collection.key)
        return consumer

    def _move_group(self, collection: Collection, group: Group, last_id: StreamId, entries_read: int) -> None:
        """Set the group's last delivered ID and read counter (XGROUP SETID, a delivery, XCLAIM's
        LASTID), logged as the XGROUP SETID that sets both."""
        self._put_group(collection, group._replace(last_id=last_id, entries_read=entries_read))
        self._log_group(collection, [b"xgroup", b"setid", collection.key, group.name, format_id(last_id),
                                     b"entriesread", b"%d" % entries_read])

    @staticmethod
    def _pending_record(key: bytes, group: bytes, pending: Pending) -> list[bytes]:
        """The record that makes ``pending`` what the PEL holds (or drops it when the entry is
        gone): an XCLAIM with FORCE, the absolute delivery time and count, and JUSTID."""
        return [b"xclaim", key, group, pending.consumer, b"0", format_id(pending.id),
                b"TIME", b"%d" % pending.delivery_ms, b"RETRYCOUNT", b"%d" % pending.delivery_count,
                b"FORCE", b"JUSTID"]

    def _change_consumer_pending(self, collection: Collection, group: Group, name: bytes, delta: int) -> None:
        consumer = self.consumer(collection, group, name)
        if consumer is not None:
            self._put_consumer(collection, group, consumer._replace(pending=consumer.pending + delta))

    def _set_pending(self, collection: Collection, group: Group, pending: Pending) -> Group:
        """Make the PEL hold ``pending`` (moving it from another consumer), logged; the group
        as it is now."""
        pel_key = _pel_prefix(group.number) + id_key(pending.id)
        old_value = self.write_member(collection, pel_key, _PENDING.pack(pending.delivery_ms, pending.delivery_count)
                                      + pending.consumer)
        old_owner = None if old_value is None else old_value[_PENDING.size:]
        if old_owner != pending.consumer:
            if old_owner is None:
                group = group._replace(pending=group.pending + 1)
                self._put_group(collection, group)
            else:
                self.remove_member(collection, _owned_prefix(group.number, old_owner) + id_key(pending.id))
                self._change_consumer_pending(collection, group, old_owner, -1)
            self.write_member(collection, _owned_prefix(group.number, pending.consumer) + id_key(pending.id), b"")
            self._change_consumer_pending(collection, group, pending.consumer, 1)
        self._log_group(collection, self._pending_record(collection.key, group.name, pending))
        return group

    def _remove_pending(self, collection: Collection, group: Group, pending: Pending) -> Group:
        """Take ``pending`` out of the PEL (not logged); the group as it is now."""
        self.remove_member(collection, _pel_prefix(group.number) + id_key(pending.id))
        self.remove_member(collection, _owned_prefix(group.number, pending.consumer) + id_key(pending.id))
        self._change_consumer_pending(collection, group, pending.consumer, -1)
        group = group._replace(pending=group.pending - 1)
        self._put_group(collection, group)
        return group

    def _drop_pending(self, collection: Collection, group: Group, pending: Pending) -> Group:
        """A pending entry whose stream entry is gone leaves the PEL (a claim found it), logged
        as the XCLAIM that drops it on replay."""
        self._log_group(collection, self._pending_record(collection.key, group.name, pending))
        return self._remove_pending(collection, group, pending)
