"""Hashes: one member per field, ``object_id | field`` → value (fields in byte order)."""

from __future__ import annotations

from typing import Iterator

from ..storage.records import TAG_HASH
from .collection import Collection, CollectionStore, chunked


class HashStore(CollectionStore):
    tag = TAG_HASH

    def get_field(self, key: bytes, field: bytes) -> bytes | None:
        collection = self.open(key)
        return None if collection is None else self.read_member(collection, field)

    def get_fields(self, key: bytes, fields: list[bytes]) -> list[bytes | None]:
        collection = self.open(key)
        if collection is None:
            return [None] * len(fields)
        return [self.read_member(collection, field) for field in fields]

    def set_fields(self, key: bytes, pairs: list[tuple[bytes, bytes]], only_new: bool = False) -> int:
        """Set fields (``only_new``: only those not there yet, HSETNX); how many were added.
        Logged as one ``hset`` of the fields actually written."""
        collection = self.open_or_new(key)
        added = 0
        written: list[bytes] = [b"hset", key]
        for field, value in pairs:
            if only_new and self.read_member(collection, field) is not None:
                continue
            if self.write_member(collection, field, value) is None:
                added += 1
            written += (field, value)
        if len(written) > 2:
            collection.count += added
            self.save(collection)
            self.log(collection, written)
        return added

    def delete_fields(self, key: bytes, fields: list[bytes]) -> int:
        collection = self.open(key)
        if collection is None:
            return 0
        removed = [field for field in dict.fromkeys(fields) if self.remove_member(collection, field) is not None]
        if removed:
            collection.count -= len(removed)
            self.save(collection)
            self.log(collection, [b"hdel", key, *removed])
        return len(removed)

    def length(self, key: bytes) -> int:
        collection = self.open(key)
        return 0 if collection is None else collection.count

    def entries(self, key: bytes) -> list[tuple[bytes, bytes]]:
        collection = self.open(key)
        return [] if collection is None else list(self.iter_members(collection))

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        pairs = (part for field, value in self.iter_members(collection) for part in (field, value))
        return chunked(collection.key, b"hset", pairs, per_member=2)
