"""The byte layout of a key's metadata record (see docs/storage-format.md).

Every key has exactly one record in its DB's ``meta`` table, keyed by the key's bytes:

    tag: u8 | expire_at_ms: u64 big-endian (0 = no expiry) | body

For a string the body is the value itself, so GET and SET touch one record. Collection types
(hash, list, set, zset, stream) store a body that starts with a u64 *object id* and keep their
members in the ``members`` table under that id, never under the key name: RENAME moves one
record, and DEL drops one record and hands the id to the background reclaimer.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

HEADER = struct.Struct(">BQ")
HEADER_SIZE = HEADER.size
#: A record header's ``expire_at_ms`` field (after its tag byte) when the key has no TTL: the
#: bytes a record without one holds at ``[1:HEADER_SIZE]``.
NO_EXPIRY = bytes(HEADER_SIZE - 1)

TAG_STRING = ord("s")
TAG_HASH = ord("h")
TAG_LIST = ord("l")
TAG_SET = ord("t")
TAG_ZSET = ord("z")
TAG_STREAM = ord("x")

#: The header of a string record without a TTL (SET's record is this plus the value).
STRING_WITHOUT_EXPIRY = bytes((TAG_STRING,)) + NO_EXPIRY

#: Tags whose body starts with an object id (members in the ``members`` table).
COLLECTION_TAGS = frozenset((TAG_HASH, TAG_LIST, TAG_SET, TAG_ZSET, TAG_STREAM))

#: A collection's body: object id, member count, then the type's own fields.
COLLECTION = struct.Struct(">QQ")
COLLECTION_SIZE = COLLECTION.size
#: A collection's meta record up to its type's own fields (header, then body's head), read
#: and written by one struct call: ``tag, expire_at_ms, object_id, count``.
COLLECTION_META = struct.Struct(">BQQQ")
COLLECTION_META_SIZE = COLLECTION_META.size
#: An object id as it prefixes its members' keys.
OBJECT_ID = struct.Struct(">Q")

#: TYPE's answer for each tag.
TYPE_NAMES: dict[int, str] = {
    TAG_STRING: "string",
    TAG_HASH: "hash",
    TAG_LIST: "list",
    TAG_SET: "set",
    TAG_ZSET: "zset",
    TAG_STREAM: "stream",
}


class Record(NamedTuple):
    """A key's decoded metadata record."""

    tag: int
    expire_at_ms: int
    body: bytes

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.tag]


_PACK_HEADER = HEADER.pack
_UNPACK_HEADER = HEADER.unpack_from


def encode_string(value: bytes, expire_at_ms: int = 0) -> bytes:
    """The meta record of a string key."""
    return _PACK_HEADER(TAG_STRING, expire_at_ms) + value


def decode_header(record: bytes) -> tuple[int, int]:
    """Return ``(tag, expire_at_ms)`` of a meta record."""
    return _UNPACK_HEADER(record)


def with_expiry(record: bytes, expire_at_ms: int) -> bytes:
    """The same record with another expiry (the body is untouched)."""
    return _PACK_HEADER(record[0], expire_at_ms) + record[HEADER_SIZE:]


def object_id_of(record: bytes) -> int | None:
    """The object id of a collection's meta record; None for a string."""
    if record[0] in COLLECTION_TAGS:
        return COLLECTION.unpack_from(record, HEADER_SIZE)[0]
    return None
