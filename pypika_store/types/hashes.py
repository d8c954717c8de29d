"""Hashes: one member per field, ``object_id | field`` → value (fields in byte order)."""

from __future__ import annotations

from typing import Callable, Iterator

from ..bounded_keys import MAX_STORED
from ..notifications import HASH
from ..storage.records import TAG_HASH
from .collection import Collection, CollectionStore, RecordCommand, chunked

_HSET = RecordCommand(b"hset")


class HashStore(CollectionStore):
    tag = TAG_HASH
    event_class = HASH

    def get_field(self, key: bytes, field: bytes) -> bytes | None:
        collection = self.open(key)
        return None if collection is None else self.read_member(collection, field)

    def get_fields(self, key: bytes, fields: list[bytes]) -> list[bytes | None]:
        collection = self.open(key)
        if collection is None:
            return [None] * len(fields)
        return [self.read_member(collection, field) for field in fields]

    def length(self, key: bytes) -> int:
        collection = self.open(key)
        return 0 if collection is None else collection.count

    def entries(self, key: bytes) -> list[tuple[bytes, bytes]]:
        collection = self.open(key)
        return [] if collection is None else self.all_members(collection)

    def fields(self, key: bytes) -> list[bytes]:
        """The hash's fields (HKEYS), read without their values."""
        collection = self.open(key)
        return [] if collection is None else self.all_suffixes(collection)

    # -- writes: each opens the key, saves the meta and logs its records --------------------

    def set_fields(self, key: bytes, pairs: list[tuple[bytes, bytes]], only_new: bool = False) -> int:
        """Set fields (``only_new``: only those not there yet, HSETNX); how many were added.
        Logged as one ``hset`` of the fields actually written, announced as ``hset``."""
        if only_new:
            return sum([self.set_new_field(key, field, value) for field, value in pairs])
        return self.set_pairs(key, [part for pair in pairs for part in pair])

    def set_new_field(self, key: bytes, field: bytes, value: bytes) -> int:
        """HSETNX: set ``field`` unless it is there already; 1 when set (logged as ``hset`` of
        it, announced as ``hset``), 0 when there (nothing written, nothing logged). On the
        meta record itself, as :meth:`set_pairs`: one put that must not overwrite finds a
        field there already (through :mod:`..bounded_keys` when its LMDB key is cut)."""
        raw = self.keyspace.get_raw(key)
        _tag, expire_at, prefix, count = self.unpacked_meta(raw)
        whole = prefix + field
        if len(whole) < MAX_STORED:
            if not self._turn.write_cursor(self.table).put(whole, value, overwrite=False):
                return 0
        elif not self.add_long(whole, value):
            return 0
        self.meta_written(key, raw, self._hot_meta.pack(TAG_HASH, expire_at, prefix, count + 1), b"hset", _HSET,
                          [field, value])
        return 1

    def set_pairs(self, key: bytes, fields_values: list[bytes]) -> int:
        """HSET and HMSET: set the fields of ``fields_values`` (field, value, field, value...,
        as the command sent them, an even count); how many were added. Logged as one ``hset``
        of them all, announced as ``hset``.

        On the meta record itself (see :meth:`~.collection.CollectionStore.unpacked_meta`):
        each field one replace on the turn's cursor (through :mod:`..bounded_keys` when its
        LMDB key is cut); the meta record written only when fields were added."""
        raw = self.keyspace.get_raw(key)
        _tag, expire_at, prefix, count = self.unpacked_meta(raw)
        replace = self._turn.write_cursor(self.table).replace
        added = 0
        # One pair (nearly every HSET) is its own list: no iterator and zip made to pair it.
        pairs = (fields_values,) if len(fields_values) == 2 else zip(fields_values[::2], fields_values[1::2])
        for field, value in pairs:
            whole = prefix + field
            if (replace(whole, value) if len(whole) < MAX_STORED else self.replace_long(whole, value)) is None:
                added += 1
        record = self._hot_meta.pack(TAG_HASH, expire_at, prefix, count + added) if added else None
        self.meta_written(key, raw, record, b"hset", _HSET, fields_values)
        return added

    def update(self, key: bytes, field: bytes, new_value: Callable[[bytes | None], bytes], event: bytes) -> bytes:
        """HINCRBY, HINCRBYFLOAT: give ``field`` the value ``new_value(current)`` computes
        (``current`` None when absent; it raises the command's errors); the new value.
        Logged as ``hset`` of it, announced as ``event`` (the command's name)."""
        collection = self.open(key)
        value = new_value(None if collection is None else self.read_member(collection, field))
        self._write(self.new(key) if collection is None else collection, [(field, value)], event)
        return value

    def delete_fields(self, key: bytes, fields: list[bytes]) -> int:
        collection = self.open(key)
        if collection is None:
            return 0
        removed = [field for field in dict.fromkeys(fields) if self.remove_member(collection, field) is not None]
        if removed:
            collection.count -= len(removed)
            self.save(collection, b"hdel")
            self.log(collection, [b"hdel", key, *removed])
        return len(removed)

    def _write(self, collection: Collection, pairs: list[tuple[bytes, bytes]], event: bytes) -> int:
        added = 0
        written: list[bytes] = []
        for field, value in pairs:
            if self.write_member(collection, field, value) is None:
                added += 1
            written += (field, value)
        if written:
            if added:
                collection.count += added
                self.save(collection, event)
            else:  # only fields there already: the count, so the meta record, is unchanged
                self.announce(collection, event)
            self.log_command(collection, _HSET, written)
        return added

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        pairs = (part for field, value in self.iter_members(collection) for part in (field, value))
        return chunked(collection.key, b"hset", pairs, per_member=2)
