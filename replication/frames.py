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

import struct
from typing import Callable, NamedTuple

from pypika_store.binlog import Position
from pypika_store.binlog.format import ITEM_HEADER, ITEM_HEADER_SIZE, ITEM_TYPE_COMMAND, CorruptRecord, decode_command

from .checksums import crc32c

try:
    import hiredis
except ImportError:  # pragma: no cover - exercised when hiredis is absent
    hiredis = None

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


def item_identity(payload: bytes) -> tuple[int, int]:
    """The logic id and term of an encoded binlog item, read from its header in place (the
    master's pump and the slave's check do it for every item: building a :class:`BinlogItem`,
    content copied, cost more than the rest of the frame). CorruptFrame unless the header is
    a command item's whose content length matches."""
    try:
        item_type, _exec_time, term, logic_id, _filenum, _offset, length = ITEM_HEADER.unpack_from(payload)
    except struct.error:
        raise CorruptFrame("an item shorter than its header") from None
    if item_type != ITEM_TYPE_COMMAND or length != len(payload) - ITEM_HEADER_SIZE:
        raise CorruptFrame(f"item {logic_id} is not a command item, or its content length is wrong")
    return logic_id, term


def item_command(item: BinlogMessage) -> list[bytes]:
    """The command of a pushed item, once its header agrees with the frame's logic id and
    term (CorruptFrame otherwise; CorruptRecord for malformed content)."""
    logic_id, term = item_identity(item.payload)
    if (logic_id, term) != (item.logic_id, item.term):
        raise CorruptFrame(f"item {item.logic_id}'s header says logic id {logic_id}")
    return _read_command(item.payload)


def _hiredis_command_reader() -> Callable[[bytes], list[bytes]]:
    """:func:`decode_command`'s result for the content after an item's header, parsed by
    hiredis: several times faster (a slave runs it for every item it applies). Anything but one
    RESP array of bulk strings filling the content exactly is refused, as
    :func:`decode_command` refuses it (a reader left holding bytes, or broken by a protocol
    error, is replaced), but for a simple string element (``+OK``), which hiredis reads as
    bytes too: no master logs one, and the frame's CRC-32C vouches for the bytes it sent."""
    reader = hiredis.Reader()

    def read_command(payload: bytes) -> list[bytes]:
        nonlocal reader
        try:
            reader.feed(payload, ITEM_HEADER_SIZE)
            argv = reader.gets()
            b"".join(argv)  # TypeError unless every element is bytes: an int, a nested array, a nil
        except (hiredis.ProtocolError, TypeError):
            argv = None
        if type(argv) is not list or reader.has_data():
            reader = hiredis.Reader()
            raise CorruptRecord("malformed RESP content")
        return argv

    return read_command


def _decode_content(payload: bytes) -> list[bytes]:
    return decode_command(payload[ITEM_HEADER_SIZE:])


#: The arguments of an item's content (a RESP multibulk of bulk strings), given the item.
_read_command = _hiredis_command_reader() if hiredis is not None else _decode_content
