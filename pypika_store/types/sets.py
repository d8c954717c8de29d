"""Sets: one member per element, ``object_id | member`` → empty value (members in byte order)."""

from __future__ import annotations

from typing import Iterable, Iterator

from ..storage.records import TAG_SET
from .collection import Collection, CollectionStore, chunked, is_long_long


class SetStore(CollectionStore):
    tag = TAG_SET
    #: Redis 7.0 keeps small sets of integers as an intset (set-max-intset-entries).
    compact_encoding = "intset"
    compact_entries = 512

    def redis_encoding(self, collection: Collection) -> str:
        if collection.count > self.compact_entries:
            return self.large_encoding
        for member, _ in self.iter_members(collection):
            if not is_long_long(member):
                return self.large_encoding
        return self.compact_encoding

    def members(self, key: bytes) -> list[bytes]:
        collection = self.open(key)
        return [] if collection is None else [member for member, _ in self.iter_members(collection)]

    def contains(self, key: bytes, members: list[bytes]) -> list[bool]:
        collection = self.open(key)
        if collection is None:
            return [False] * len(members)
        return [self.read_member(collection, member) is not None for member in members]

    def add(self, key: bytes, members: Iterable[bytes]) -> int:
        """Add members; how many were new. Logged as ``sadd`` of the new ones."""
        collection = self.open_or_new(key)
        added = [member for member in dict.fromkeys(members) if self.write_member(collection, member, b"") is None]
        if added:
            collection.count += len(added)
            self.save(collection)
            self.log(collection, [b"sadd", key, *added])
        return len(added)

    def remove(self, key: bytes, members: Iterable[bytes]) -> list[bytes]:
        """Remove members; the ones that were there. Logged as ``srem`` of those."""
        collection = self.open(key)
        if collection is None:
            return []
        removed = [member for member in dict.fromkeys(members) if self.remove_member(collection, member) is not None]
        if removed:
            collection.count -= len(removed)
            self.save(collection)
            self.log(collection, [b"srem", key, *removed])
        return removed

    def cardinality(self, key: bytes) -> int:
        collection = self.open(key)
        return 0 if collection is None else collection.count

    def replace_all(self, key: bytes, members: Iterable[bytes]) -> int:
        """Make ``key`` the set of ``members`` whatever it held (the *STORE commands): a new
        collection under a new id, logged as DEL plus SADDs; an empty result deletes the key."""
        collection = self.new(key)
        for member in members:
            self.write_member(collection, member, b"")
            collection.count += 1
        self.store_whole(collection)
        return collection.count

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        return chunked(collection.key, b"sadd", (member for member, _ in self.iter_members(collection)), per_member=1)

