"""The messages a master pushes to a streaming slave (docs/replication-protocol.md, "Pushed by
the master"): built here for the master, read here for the slave, so both sides share one
definition of their layout.

- ``["binlog", db, filenum, offset, logic-id, term, item, check]``: one binlog item, ``(filenum,
  offset)`` being where it starts in the master's binlog, ``check`` the CRC-32C of the fields
  and the item (:func:`frame_check`);
- ``["ping"]``: a keepalive.

The binlog file's own CRC is per physical record (an item split across blocks has several)
and never travels: the pushed item is the joined payload. So the frame carries a check of its
own, and the slave refuses a frame that does not match it (:class:`CorruptFrame`) instead of
applying a flipped byte.
"""

from __future__ import annotations

from typing import NamedTuple

from pypika_store.binlog import Position

from .checksums import crc32c

#: The pushed keepalive, ``["ping"]``.
PING = b"*1\r\n$4\r\nping\r\n"

_BINLOG_KIND = b"binlog"
#: Elements of a pushed binlog message.
_BINLOG_FIELDS = 8


class CorruptFrame(ValueError):
    """A pushed binlog message whose check does not match its content (or that is malformed)."""


class BinlogMessage(NamedTuple):
    """One pushed binlog item, as the slave applies it."""

    db: int
    #: Where the item starts in the master's binlog (the slave places it at the same position).
    start: Position
    logic_id: int
    term: int
    #: The encoded BinlogItem (Pika's header and the RESP content).
    payload: bytes


def frame_check(db: int, start: Position, logic_id: int, term: int, payload: bytes) -> int:
    """The CRC-32C a binlog message carries: over its numeric fields (in decimal, space
    separated) and then the item, so a changed field is caught as well as a changed byte."""
    fields = b"%d %d %d %d %d " % (db, start.filenum, start.offset, logic_id, term)
    return crc32c(payload, crc32c(fields))


def encode_binlog(db: int, start: Position, logic_id: int, term: int, payload: bytes,
                  check: int | None = None) -> bytes:
    """The pushed ``["binlog", db, filenum, offset, logic_id, term, item, check]`` message
    (``check`` given only by fault injection, to send a wrong one)."""
    if check is None:
        check = frame_check(db, start, logic_id, term, payload)
    return (b"*8\r\n$6\r\nbinlog\r\n:%d\r\n:%d\r\n:%d\r\n:%d\r\n:%d\r\n$%d\r\n%s\r\n:%d\r\n"
            % (db, start.filenum, start.offset, logic_id, term, len(payload), payload, check))


def decode_pushed(message: list) -> BinlogMessage | None:
    """A pushed message as read off the link: its binlog item, or None for a keepalive (the
    slave acks its position either way). Raises :class:`CorruptFrame` when the check fails."""
    if message[0] != _BINLOG_KIND:
        return None
    if len(message) != _BINLOG_FIELDS:
        raise CorruptFrame(f"a binlog message of {len(message)} elements")
    _kind, db, filenum, offset, logic_id, term, payload, check = message
    decoded = BinlogMessage(db, Position(filenum, offset), logic_id, term, payload)
    if frame_check(*decoded) != check:
        raise CorruptFrame(f"db{db}: item {logic_id} at {filenum} {offset} fails its CRC-32C check")
    return decoded
