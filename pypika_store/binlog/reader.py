"""Reading a binlog directory: items in order from any position, across files."""

from __future__ import annotations

import os
import struct
from typing import Iterator

from .format import (BAD, BLOCK_SIZE, FILE_PREFIX, FIRST, FULL, HEADER_SIZE, LAST, MIDDLE, BinlogItem, Position,
                     record_check)

_CHECK = struct.Struct("<I")


def file_path(directory: str, filenum: int) -> str:
    return os.path.join(directory, f"{FILE_PREFIX}{filenum}")


def file_numbers(directory: str) -> list[int]:
    """The numbers of the binlog files in ``directory``, ascending."""
    numbers = []
    for name in os.listdir(directory) if os.path.isdir(directory) else []:
        suffix = name[len(FILE_PREFIX):]
        if name.startswith(FILE_PREFIX) and suffix.isdigit():
            numbers.append(int(suffix))
    return sorted(numbers)


def scan_file(data: bytes, offset: int, checked: bool, origin: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """Items in one file's bytes from ``offset``: ``(start, end, payload)``, offsets in
    ``data``, whose first byte is at ``origin`` in the file (the block arithmetic needs it: a
    tail holds the file from where it stands, not from its start).

    An item starts where the previous one ended (a zero-filled block tail before its first
    record belongs to it, as in Pika, whose item offsets are the producer position before the
    write).

    Stops quietly at the end of the data: end of the bytes, a zero header, or anything torn
    or corrupt (bad length, unknown type, fragments out of order, CRC mismatch when
    ``checked``). A caller that needs to know *why* it stopped compares the last end it got
    with the length of the data.
    """
    size = len(data)
    position = offset
    fragments: list[bytes] = []
    item_start = offset
    while True:
        leftover = BLOCK_SIZE - (position + origin) % BLOCK_SIZE
        if leftover < HEADER_SIZE:
            position += leftover
            continue
        if position + HEADER_SIZE > size:
            return
        length = data[position] | data[position + 1] << 8 | data[position + 2] << 16
        record_type = data[position + 7]
        if record_type == 0 and length == 0:
            return
        payload_end = position + HEADER_SIZE + length
        if payload_end > size or length > leftover - HEADER_SIZE:
            return
        payload = data[position + HEADER_SIZE : payload_end]
        if checked and _CHECK.unpack_from(data, position + 3)[0] != record_check(record_type, payload):
            return
        if record_type == BAD:
            position = payload_end
            if not fragments:
                item_start = position
            continue
        if record_type in (FULL, FIRST):
            if fragments:
                return
            fragments = [payload]
        elif record_type in (MIDDLE, LAST) and fragments:
            fragments.append(payload)
        else:
            return
        position = payload_end
        if record_type in (FULL, LAST):
            yield item_start, position, b"".join(fragments)
            fragments = []
            item_start = position


class BinlogReader:
    """Items of one binlog directory, in order, with their start and end positions.

    ``checked`` says whether records carry CRC-32C checks (pypika's files) or timestamps
    (files written by Pika); the writer's manifest marker tells which.
    """

    def __init__(self, directory: str, checked: bool = True) -> None:
        self.directory = directory
        self.checked = checked

    def _read(self, filenum: int) -> bytes | None:
        try:
            with open(file_path(self.directory, filenum), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def items(self, start: Position = Position(0, 0)) -> Iterator[tuple[Position, Position, BinlogItem]]:
        """Items from ``start`` (which should be an item boundary) to the end of the binlog."""
        numbers = [number for number in file_numbers(self.directory) if number >= start.filenum]
        for number in numbers:
            data = self._read(number)
            if data is None:
                return
            offset = start.offset if number == start.filenum else 0
            for item_start, item_end, payload in scan_file(data, offset, self.checked):
                yield Position(number, item_start), Position(number, item_end), BinlogItem.decode(payload)

    def is_boundary(self, position: Position) -> bool:
        """Whether ``position`` falls exactly between two items (or at a file's start or end)."""
        data = self._read(position.filenum)
        if data is None:
            return False
        if position.offset == 0:
            return True
        for _start, end, _payload in scan_file(data, 0, self.checked):
            if end == position.offset:
                return True
            if end > position.offset:
                return False
        return False


