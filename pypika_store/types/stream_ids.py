"""Stream IDs: ``(milliseconds, sequence)`` pairs of unsigned 64-bit numbers, their text and their
big-endian member keys (whose byte order is ID order), shared by the entries and the groups."""

from __future__ import annotations

import struct

#: A stream ID: ``(milliseconds, sequence)``, each an unsigned 64-bit number.
StreamId = tuple[int, int]

U64_MAX = 2**64 - 1
MIN_ID: StreamId = (0, 0)
MAX_ID: StreamId = (U64_MAX, U64_MAX)

#: An ID as a member key: ms, then seq, big-endian.
ID_KEY = struct.Struct(">QQ")


def format_id(entry_id: StreamId) -> bytes:
    return b"%d-%d" % entry_id


def id_key(entry_id: StreamId) -> bytes:
    return ID_KEY.pack(*entry_id)


def key_id(suffix: bytes) -> StreamId:
    return ID_KEY.unpack(suffix)  # type: ignore[return-value]


def next_id(entry_id: StreamId) -> StreamId | None:
    """The ID right after ``entry_id``; None after the largest."""
    ms, seq = entry_id
    if seq < U64_MAX:
        return ms, seq + 1
    return (ms + 1, 0) if ms < U64_MAX else None


def previous_id(entry_id: StreamId) -> StreamId | None:
    """The ID right before ``entry_id``; None before 0-0."""
    ms, seq = entry_id
    if seq:
        return ms, seq - 1
    return (ms - 1, U64_MAX) if ms else None
