"""Redis' DEBUG DIGEST: one SHA1-based fingerprint of a whole dataset (or of single values).

The algorithm is Redis' own (src/debug.c), so a pypika-store and a redis-server holding the
same data report the same digest: tests compare whole keyspaces across servers with one call,
and replication tests compare a master with its slaves. Order matters where the type is
ordered (lists, streams) and not where it is not (sets, hashes, zsets are xor-combined).
"""

from __future__ import annotations

import hashlib
import struct
from typing import TYPE_CHECKING, Callable

from .types.stream_ids import MAX_ID, MIN_ID
from .storage.records import TAG_HASH, TAG_LIST, TAG_SET, TAG_STREAM, TAG_STRING, TAG_ZSET

if TYPE_CHECKING:
    from .keyspace import Keyspace, Record

#: Redis' object type numbers, mixed into each value's digest.
_REDIS_TYPES = {TAG_STRING: 0, TAG_LIST: 1, TAG_SET: 2, TAG_ZSET: 3, TAG_HASH: 4, TAG_STREAM: 6}
_U32 = struct.Struct(">I")


def _xor(digest: bytearray, data: bytes) -> None:
    for index, byte in enumerate(hashlib.sha1(data).digest()):
        digest[index] ^= byte


def _mix(digest: bytearray, data: bytes) -> None:
    _xor(digest, data)
    digest[:] = hashlib.sha1(bytes(digest)).digest()


def _mixed(*parts: bytes) -> bytes:
    """A fresh digest with ``parts`` mixed in order (one element of a hash or zset)."""
    element = bytearray(20)
    for part in parts:
        _mix(element, part)
    return bytes(element)


def _string(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray) -> None:
    _mix(digest, record.body)


def _list(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray) -> None:
    store = keyspace.lists
    for element in store.iter_elements(store.open(key)):  # type: ignore[arg-type]
        _mix(digest, element)


def _set(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray) -> None:
    for member in keyspace.sets.members(key):
        _xor(digest, member)


def _zset(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray) -> None:
    store = keyspace.zsets
    for member, score in store.iter_scores(store.open(key)):  # type: ignore[arg-type]
        _xor(digest, _mixed(member, b"%.17g" % score))


def _hash(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray) -> None:
    for field, value in keyspace.hashes.entries(key):
        _xor(digest, _mixed(field, value))


def _stream(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray) -> None:
    store = keyspace.streams
    collection = store.open(key)
    for (ms, seq), fields in store.range(collection, MIN_ID, MAX_ID):  # type: ignore[arg-type]
        _mix(digest, b"%d.%d" % (ms, seq))
        for part in fields:
            _mix(digest, part)


_BY_TAG: dict[int, Callable[["Keyspace", bytes, "Record", bytearray], None]] = {
    TAG_STRING: _string, TAG_LIST: _list, TAG_SET: _set, TAG_ZSET: _zset, TAG_HASH: _hash, TAG_STREAM: _stream,
}


def value_digest(keyspace: "Keyspace", key: bytes, record: "Record", digest: bytearray | None = None) -> bytes:
    """DEBUG DIGEST-VALUE of one key (its type, value and whether it has an expiry)."""
    digest = bytearray(20) if digest is None else digest
    _mix(digest, _U32.pack(_REDIS_TYPES[record.tag]))
    _BY_TAG[record.tag](keyspace, key, record, digest)
    if record.expire_at_ms:
        _xor(digest, b"!!expire!!")
    return bytes(digest)


def dataset_digest(keyspaces: list["Keyspace"]) -> bytes:
    """DEBUG DIGEST of every DB: twenty zero bytes for an empty dataset."""
    final = bytearray(20)
    for keyspace in keyspaces:
        records = list(keyspace.iter_records())
        if not records:
            continue
        _mix(final, _U32.pack(keyspace.index))
        for key, record in records:
            digest = bytearray(20)
            _mix(digest, key)
            value_digest(keyspace, key, record, digest)
            _xor(final, bytes(digest))
    return bytes(final)
