"""The DUMP payload: one key's value, self-contained and checksummed, for RESTORE on another
pypika-store (the format is pypika-store's own, not Redis' RDB; see docs/storage-format.md).

    magic "PPKD" | version u8 | tag u8 | body length u32 | body |
    member count u32 | (suffix length u32 | suffix | value length u32 | value) * count |
    CRC-32C u32 of everything before

``body`` is the meta record's body (a string's value, or a collection's meta fields, whose
object id is replaced on RESTORE); the members are the collection's entries as stored, so the
one format serves every type, present and future. All integers are big-endian.
"""

from __future__ import annotations

import struct

from .checksums import crc32c as _crc32c
from .errors import BadPayloadError
from .keyspace import Record

MAGIC = b"PPKD"
VERSION = 1
_HEAD = struct.Struct(">4sBBI")
_U32 = struct.Struct(">I")


def encode(record: Record, members: list[tuple[bytes, bytes]]) -> bytes:
    parts = [_HEAD.pack(MAGIC, VERSION, record.tag, len(record.body)), record.body, _U32.pack(len(members))]
    for suffix, value in members:
        parts += (_U32.pack(len(suffix)), suffix, _U32.pack(len(value)), value)
    payload = b"".join(parts)
    return payload + _U32.pack(_crc32c(payload))


def decode(payload: bytes) -> tuple[Record, list[tuple[bytes, bytes]]]:
    """The record (expiry 0) and members of a payload; BadPayloadError when it is not one of
    ours, is of another version, or fails its checksum."""
    if len(payload) < _HEAD.size + 8 or _U32.unpack_from(payload, len(payload) - 4)[0] != _crc32c(payload[:-4]):
        raise BadPayloadError()
    magic, version, tag, body_length = _HEAD.unpack_from(payload)
    if magic != MAGIC or version != VERSION:
        raise BadPayloadError()
    offset = _HEAD.size
    body = payload[offset:offset + body_length]
    offset += body_length
    (count,) = _U32.unpack_from(payload, offset)
    offset += 4
    members = []
    for _ in range(count):
        (length,) = _U32.unpack_from(payload, offset)
        suffix = payload[offset + 4:offset + 4 + length]
        offset += 4 + length
        (length,) = _U32.unpack_from(payload, offset)
        members.append((suffix, payload[offset + 4:offset + 4 + length]))
        offset += 4 + length
    return Record(tag, 0, body), members
