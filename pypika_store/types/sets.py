"""Sets: one member per element, ``object_id | member`` → empty value (members in byte order)."""

from __future__ import annotations

from typing import Iterable, Iterator

from ..bounded_keys import MAX_STORED
from ..notifications import SET
from ..storage.records import TAG_SET
from .collection import Collection, CollectionStore, RecordCommand, chunked, is_long_long

_SADD = RecordCommand(b"sadd")


class SetStore(CollectionStore):
    tag = TAG_SET
    event_class = SET
    #: Redis 7.0 keeps small sets of integers as an intset (set-max-intset-entries).
    compact_encoding = "intset"

    def redis_encoding(self, collection: Collection) -> str:
        limit = self.compact_limit
        if limit is None or collection.count > limit.entries:
            return self.large_encoding
        for member, _ in self.iter_members(collection):
            if not is_long_long(member):
                return self.large_encoding
        return self.compact_encoding

    def members(self, key: bytes) -> list[bytes]:
        collection = self.open(key)
        return [] if collection is None else self.all_suffixes(collection)

    def contains(self, key: bytes, members: list[bytes]) -> list[bool]:
        collection = self.open(key)
        if collection is None:
            return [False] * len(members)
        return [self.read_member(collection, member) is not None for member in members]

    def cardinality(self, key: bytes) -> int:
        collection = self.open(key)
        return 0 if collection is None else collection.count

    # -- writes: each opens the key, saves the meta and logs its records --------------------

    def add(self, key: bytes, members: Iterable[bytes]) -> int:
        """Add members; how many were new. Logged as ``sadd`` of the new ones. On the meta
        record itself (see :meth:`~.collection.CollectionStore.unpacked_meta`): each member
        one put that must not overwrite on the turn's cursor (through :mod:`..bounded_keys`
        when its LMDB key is cut). A member sent twice needs no dict to drop it: its second
        put finds the first's entry and adds nothing."""
        raw = self.keyspace.get_raw(key)
        _tag, expire_at, prefix, count = self.unpacked_meta(raw)
        put = self._turn.write_cursor(self.table).put
        added = []
        for member in members:
            whole = prefix + member
            if put(whole, b"", overwrite=False) if len(whole) < MAX_STORED else self.add_long(whole, b""):
                added.append(member)
        if added:
            record = self._hot_meta.pack(TAG_SET, expire_at, prefix, count + len(added))
            self.meta_written(key, raw, record, b"sadd", _SADD, added)
        return len(added)

    def remove(self, key: bytes, members: Iterable[bytes]) -> list[bytes]:
        """Remove members; the ones that were there. Logged as ``srem`` of those."""
        collection = self.open(key)
        return [] if collection is None else self._remove(collection, members, b"srem")

    def pop(self, key: bytes, count: int) -> list[bytes] | None:
        """SPOP: remove ``count`` members picked at random (logged as ``srem`` of them); None
        when the set is missing."""
        collection = self.open(key)
        if collection is None:
            return None
        picked = [member for member, _ in self.random_members(collection, count, distinct=True)]
        return self._remove(collection, picked, b"spop")

    def move(self, source: bytes, target: bytes, member: bytes) -> bool:
        """SMOVE: whether ``member`` was in ``source``, moved to ``target`` (logged as the
        ``srem``, then the ``sadd``; nothing when both are the same set)."""
        if self.open(source) is None:  # before the target's type is checked, as in Redis
            return False
        self.open(target)  # WRONGTYPE before any change
        if source == target:
            return self.contains(source, [member])[0]
        if not self.remove(source, [member]):
            return False
        self.add(target, [member])
        return True

    def replace(self, key: bytes, members: Iterable[bytes], event: bytes) -> int:
        """Make ``key`` the set of ``members`` whatever it held (the *STORE commands): a new
        collection under a new id, logged as DEL plus SADDs, announced as ``event``
        (``sinterstore``...); an empty result deletes the key."""
        collection = self.new(key)
        for member in members:
            self.write_member(collection, member, b"")
            collection.count += 1
        self.store_whole(collection, event)
        return collection.count

    def _remove(self, collection: Collection, members: Iterable[bytes], event: bytes) -> list[bytes]:
        removed = [member for member in dict.fromkeys(members) if self.remove_member(collection, member) is not None]
        if removed:
            collection.count -= len(removed)
            self.save(collection, event)
            self.log(collection, [b"srem", collection.key, *removed])
        return removed

    def rebuild_commands(self, collection: Collection) -> Iterator[list[bytes]]:
        return chunked(collection.key, b"sadd", (member for member, _ in self.iter_members(collection)), per_member=1)

