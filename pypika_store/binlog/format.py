"""The binlog's byte layout: physical records in 64 KiB blocks, and Pika's BinlogItem.

Everything here is a pure function of bytes; files are handled by the reader and writer.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from ..checksums import IMPLEMENTATION
from ..checksums import crc32c

BLOCK_SIZE = 64 * 1024
HEADER_SIZE = 8
FILE_PREFIX = "write2file"

# Physical record types (Pika's RecordType).
ZERO_TYPE = 0
FULL = 1
FIRST = 2
MIDDLE = 3
LAST = 4
BAD = 6

#: BinlogItem type: the content is a RESP command (Pika's TypeFirst).
ITEM_TYPE_COMMAND = 1
ITEM_HEADER = struct.Struct("<HIIQIQI")
ITEM_HEADER_SIZE = ITEM_HEADER.size  # 34

#: Where the records' CRC-32C runs: ``hardware``, ``c`` or ``python`` (INFO's
#: binlog_crc_implementation; the engine warns at start when ``python``). The choice is
#: :mod:`..checksums`' (the fastest implementation installed).
CRC_IMPLEMENTATION = IMPLEMENTATION


class CorruptRecord(ValueError):
    """Bytes that are not a valid record or item (torn write, bit rot, foreign data)."""


class Position(NamedTuple):
    """A place in a binlog: file number and byte offset; tuples order them correctly."""

    filenum: int
    offset: int

    def absolute(self, file_size: int) -> int:
        """Pika's one-number offset: ``filenum * file_size + offset`` (INFO's repl offsets)."""
        return self.filenum * file_size + self.offset


@dataclass(frozen=True)
class BinlogItem:
    """One logged command with Pika's item fields."""

    exec_time: int
    term_id: int
    logic_id: int
    filenum: int
    offset: int
    content: bytes

    def encode(self) -> bytes:
        return ITEM_HEADER.pack(ITEM_TYPE_COMMAND, self.exec_time, self.term_id, self.logic_id, self.filenum,
                                self.offset, len(self.content)) + self.content

    @classmethod
    def decode(cls, payload: bytes) -> "BinlogItem":
        if len(payload) < ITEM_HEADER_SIZE:
            raise CorruptRecord("item shorter than its header")
        item_type, exec_time, term_id, logic_id, filenum, offset, length = ITEM_HEADER.unpack_from(payload)
        if item_type != ITEM_TYPE_COMMAND or len(payload) - ITEM_HEADER_SIZE != length:
            raise CorruptRecord("not a command item, or its content length is wrong")
        return cls(exec_time, term_id, logic_id, filenum, offset, payload[ITEM_HEADER_SIZE:])


#: The CRC-32C of each type byte alone, to continue over the payload without concatenating.
_TYPE_CRC = {record_type: crc32c(bytes((record_type,))) for record_type in (FULL, FIRST, MIDDLE, LAST, BAD)}
#: A physical record's header: length (low 16 bits, high 8 bits), check, type.
RECORD_HEADER = struct.Struct("<HBIB")


def record_check(record_type: int, payload: bytes) -> int:
    """The CRC-32C pypika-store stores in a record header: over the type byte and the payload."""
    return crc32c(payload, _TYPE_CRC[record_type]) if record_type in _TYPE_CRC else crc32c(
        bytes((record_type,)) + payload)


def _record(record_type: int, payload: bytes, checked: bool, now: int) -> bytes:
    length = len(payload)
    check = crc32c(payload, _TYPE_CRC[record_type]) if checked else now & 0xFFFFFFFF
    return RECORD_HEADER.pack(length & 0xFFFF, length >> 16, check, record_type) + payload


def frame(payload: bytes, offset: int, checked: bool, now: int) -> bytes:
    """The bytes that write ``payload`` (an encoded item) at file ``offset``, as Pika's Produce:
    block tails under a header are zero-filled, and the item is split into FULL or
    FIRST/MIDDLE.../LAST records that never cross a block boundary."""
    parts: list[bytes] = []
    frame_into(parts, payload, offset, checked, now)
    return b"".join(parts)


#: The CRC-32C of a FULL record's type byte, which its payload's check continues.
FULL_CRC = _TYPE_CRC[FULL]


def frame_into(parts: list[bytes], payload: bytes, offset: int, checked: bool, now: int) -> int:
    """Append to ``parts`` what :func:`frame` returns, and return its size. In the common case,
    one FULL record, that is the record header and ``payload`` itself, and the check is one
    CRC call over the payload (continued from the type byte's): the writer joins a turn's
    pieces once, so no record is concatenated on its own."""
    length = len(payload)
    if offset % BLOCK_SIZE + HEADER_SIZE + length <= BLOCK_SIZE:
        check = crc32c(payload, FULL_CRC) if checked else now & 0xFFFFFFFF
        parts += (RECORD_HEADER.pack(length & 0xFFFF, length >> 16, check, FULL), payload)
        return HEADER_SIZE + length
    split = _frame_split(payload, offset, checked, now)
    parts.append(split)
    return len(split)


def _frame_split(payload: bytes, offset: int, checked: bool, now: int) -> bytes:
    """Pika's Produce for an item that needs a padded tail or several records."""
    parts = []
    block_offset = offset % BLOCK_SIZE
    start = 0
    total = len(payload)
    first = True
    while True:
        leftover = BLOCK_SIZE - block_offset
        if leftover < HEADER_SIZE:
            parts.append(b"\x00" * leftover)
            block_offset = 0
        available = BLOCK_SIZE - block_offset - HEADER_SIZE
        size = min(total - start, available)
        last = start + size == total
        record_type = FULL if first and last else FIRST if first else LAST if last else MIDDLE
        parts.append(_record(record_type, payload[start : start + size], checked, now))
        block_offset += HEADER_SIZE + size
        start += size
        first = False
        if last:
            return b"".join(parts)


#: ``*<count>`` and ``\r\n$<size>\r\n`` of small counts and sizes: each argument's header
#: carries the line end of what precedes it (the array header, the previous argument), so an
#: argument is two pieces to join, not three.
ARRAY_STARTS = [b"*%d" % count for count in range(64)]
BULK_STARTS = [b"\r\n$%d\r\n" % size for size in range(4096)]
#: What each size's argument takes in a multibulk: its header and itself.
BULK_SIZES = [len(start) + size for size, start in enumerate(BULK_STARTS)]
#: A ``set key value`` content up to its key's bulk header.
SET_START = b"*3\r\n$3\r\nset"
#: By the key's size: a ``set key value`` content up to its key (a piece less to join), and the
#: content's size but for its value's bulk header and the value.
SET_HEADS = [SET_START + start for start in BULK_STARTS]
SET_SIZES_BY_KEY = [len(SET_START) + size + 2 for size in BULK_SIZES]


def encode_command(argv: list[bytes]) -> bytes:
    """A command as the RESP multibulk an item's content holds. This runs once per logged
    write: the headers come from the tables above, and a count or size past them (an
    IndexError, rarer than any test in the loop would be) takes :func:`_encode_large`."""
    try:
        parts = [ARRAY_STARTS[len(argv)]]
        add = parts.append  # two appends cost less than adding a pair to the list
        for arg in argv:
            add(BULK_STARTS[len(arg)])
            add(arg)
    except IndexError:
        return _encode_large(argv)
    add(b"\r\n")
    return b"".join(parts)


def _encode_large(argv: list[bytes]) -> bytes:
    """:func:`encode_command` of a command of 64 arguments or more, or one of 4 KiB or more."""
    parts = [b"*%d" % len(argv)]
    for arg in argv:
        parts += (b"\r\n$%d\r\n" % len(arg), arg)
    parts.append(b"\r\n")
    return b"".join(parts)


def decode_command(content: bytes) -> list[bytes]:
    """The arguments of an item's content (a RESP multibulk of bulk strings)."""
    try:
        if content[:1] != b"*":
            raise CorruptRecord("content is not a RESP array")
        end = content.index(b"\r\n")
        count = int(content[1:end])
        position = end + 2
        argv = []
        for _ in range(count):
            end = content.index(b"\r\n", position)
            if content[position : position + 1] != b"$":
                raise CorruptRecord("content element is not a bulk string")
            size = int(content[position + 1 : end])
            start = end + 2
            argv.append(content[start : start + size])
            position = start + size + 2
    except (ValueError, IndexError):
        raise CorruptRecord("malformed RESP content") from None
    if position != len(content):
        raise CorruptRecord("trailing bytes after the RESP content")
    return argv
