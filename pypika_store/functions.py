"""Redis 7.0 functions as data: the libraries' code in LMDB, their binlog records, FUNCTION DUMP's payload.

A library is its code (``#!lua name=<lib>`` and the Lua that registers its functions); the
server compiles it into its functions' interpreter, and this module keeps it as data: one
record per library in the ``system`` table (``function:<name>`` -> the code, written in the
turn like any write, so a bgsave snapshot and a full sync carry it), and the binlog record that
reproduces each change in DB 0's binlog (``FUNCTION LOAD REPLACE <code>``, ``FUNCTION DELETE
<name>``, ``FUNCTION FLUSH``: a library's code being its whole state, replaying the record
gives the same libraries on a slave and after a crash).

:func:`encode_payload` / :func:`decode_payload` are FUNCTION DUMP / RESTORE's payload, Redis
7.0's byte layout (so a dump of redis-server restores here and ours there): per library the
RDB opcode ``FUNCTION2`` (245) and the code as an RDB string, then the RDB version (2 bytes,
little-endian) and a CRC-64 (Jones, reflected, little-endian) of everything before.
"""

from __future__ import annotations

import struct
from typing import Callable, Iterator

import crcmod

from .errors import BadFunctionPayloadError, MissingLibraryMetadataError, NotAFunctionPayloadError
from .storage.environment import Table
from .turn import Turn

#: The system table's key prefix of a library's record (the rest is the library's name).
LIBRARY_PREFIX = b"function:"
#: RDB_OPCODE_FUNCTION2: a library's code follows.
_OPCODE_FUNCTION = 245
#: The RDB version redis-server 7.0 writes and the newest it reads.
RDB_VERSION = 10
_VERSION = struct.Struct("<H")
_CRC = struct.Struct("<Q")
_crc64 = crcmod.mkCrcFun(0x1AD93D23594C935A9, initCrc=0, rev=True, xorOut=0)
#: An RDB string's length: the two top bits of its first byte say how it is written.
_LENGTH_6BIT, _LENGTH_14BIT, _LENGTH_WIDE, _ENCODED = 0, 1, 2, 3
_LENGTH_32BIT, _LENGTH_64BIT = 0x80, 0x81
_ENCODED_LZF = 3
_ENCODED_INTEGERS = {0: struct.Struct("<b"), 1: struct.Struct("<h"), 2: struct.Struct("<i")}


class FunctionLibraries:
    """The libraries' records in LMDB, read and written through the turn; each change also
    hands ``log`` its binlog record (the engine places it in DB 0's binlog)."""

    def __init__(self, turn: Turn, system: Table, log: Callable[[list[bytes]], None]) -> None:
        self._turn = turn
        self._system = system
        self._log = log

    def codes(self) -> dict[bytes, bytes]:
        """Every library's code, by library name."""
        return dict(self._records())

    def _records(self) -> Iterator[tuple[bytes, bytes]]:
        with self._turn.reader().cursor(db=self._system) as cursor:
            found = cursor.set_range(LIBRARY_PREFIX)
            while found and cursor.key().startswith(LIBRARY_PREFIX):
                yield cursor.key()[len(LIBRARY_PREFIX):], cursor.value()
                found = cursor.next()

    def save(self, name: bytes, code: bytes) -> None:
        """Store a library (new or replaced)."""
        self._turn.writer().put(LIBRARY_PREFIX + name, code, db=self._system)
        self._log([b"function", b"load", b"replace", code])

    def delete(self, name: bytes) -> None:
        self._turn.writer().delete(LIBRARY_PREFIX + name, db=self._system)
        self._log([b"function", b"delete", name])

    def clear(self) -> None:
        """Delete every library."""
        txn = self._turn.writer()
        for name, _code in list(self._records()):
            txn.delete(LIBRARY_PREFIX + name, db=self._system)
        self._log([b"function", b"flush", b"sync"])


def encode_payload(codes: list[bytes]) -> bytes:
    """FUNCTION DUMP's payload of these libraries' codes (RDB strings written uncompressed,
    which every Redis reads)."""
    body = b"".join(bytes((_OPCODE_FUNCTION,)) + _encode_length(len(code)) + code for code in codes)
    body += _VERSION.pack(RDB_VERSION)
    return body + _CRC.pack(_crc64(body))


def decode_payload(payload: bytes) -> list[bytes]:
    """The libraries' codes in a FUNCTION RESTORE payload (Redis' checks and errors: version and
    CRC first, then each record's opcode)."""
    if len(payload) < _VERSION.size + _CRC.size:
        raise BadFunctionPayloadError()
    body_end = len(payload) - _CRC.size
    version, = _VERSION.unpack_from(payload, body_end - _VERSION.size)
    if version > RDB_VERSION or _CRC.unpack_from(payload, body_end)[0] != _crc64(payload[:body_end]):
        raise BadFunctionPayloadError()
    reader = _RdbReader(payload[:body_end - _VERSION.size])
    codes = []
    while not reader.done:
        if reader.byte() != _OPCODE_FUNCTION:
            raise NotAFunctionPayloadError()
        codes.append(reader.string())
    return codes


def _encode_length(length: int) -> bytes:
    if length < 1 << 6:
        return bytes((length,))
    if length < 1 << 14:
        return bytes((_LENGTH_14BIT << 6 | length >> 8, length & 0xFF))
    if length < 1 << 32:
        return bytes((_LENGTH_32BIT,)) + struct.pack(">I", length)
    return bytes((_LENGTH_64BIT,)) + struct.pack(">Q", length)


class _RdbReader:
    """Reads RDB strings (plain, integer-encoded or LZF-compressed) out of a payload; a record
    cut short reads as no code at all (Redis then says the library's metadata is missing)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    @property
    def done(self) -> bool:
        return self._at >= len(self._data)

    def take(self, count: int) -> bytes:
        if self._at + count > len(self._data):
            raise MissingLibraryMetadataError()
        chunk = self._data[self._at:self._at + count]
        self._at += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def length(self) -> tuple[int, bool]:
        """A length, or (with True) the encoding number of an encoded string."""
        first = self.byte()
        kind = first >> 6
        if kind == _LENGTH_6BIT:
            return first & 0x3F, False
        if kind == _LENGTH_14BIT:
            return (first & 0x3F) << 8 | self.byte(), False
        if kind == _ENCODED:
            return first & 0x3F, True
        if first == _LENGTH_32BIT:
            return struct.unpack(">I", self.take(4))[0], False
        if first == _LENGTH_64BIT:
            return struct.unpack(">Q", self.take(8))[0], False
        raise NotAFunctionPayloadError()

    def string(self) -> bytes:
        value, encoded = self.length()
        if not encoded:
            return self.take(value)
        if value == _ENCODED_LZF:
            compressed_length, _ = self.length()
            length, _ = self.length()
            return lzf_decompress(self.take(compressed_length), length)
        integer = _ENCODED_INTEGERS.get(value)
        if integer is None:
            raise NotAFunctionPayloadError()
        return b"%d" % integer.unpack(self.take(integer.size))[0]


def lzf_decompress(data: bytes, length: int) -> bytes:
    """LZF's decompression (the RDB strings Redis compresses): literal runs and back references."""
    out = bytearray()
    at = 0
    try:
        while at < len(data):
            control = data[at]
            at += 1
            if control < 32:
                out += data[at:at + control + 1]
                at += control + 1
                continue
            run = control >> 5
            if run == 7:
                run += data[at]
                at += 1
            start = len(out) - ((control & 0x1F) << 8) - data[at] - 1
            at += 1
            if start < 0:
                raise NotAFunctionPayloadError()
            for index in range(start, start + run + 2):
                out.append(out[index])
    except IndexError:
        raise NotAFunctionPayloadError() from None
    if len(out) != length:
        raise NotAFunctionPayloadError()
    return bytes(out)
