"""The binlog on its own: layout, group commit, rotation, torn tails, CRCs, Pika's files."""

from __future__ import annotations

import os
import struct

import pytest

from pypika_store.binlog import BinlogItem, BinlogReader, BinlogWriter, Position
from pypika_store.binlog.format import BLOCK_SIZE, HEADER_SIZE, ITEM_HEADER_SIZE, decode_command, encode_command, frame
from pypika_store.binlog.reader import file_numbers
from pypika_store.binlog.writer import clamp_file_size, read_manifest


def commands(count: int, size: int = 10) -> list[list[bytes]]:
    return [[b"set", b"key%d" % n, bytes([n % 256]) * size] for n in range(count)]


def read_all(directory: str, start: Position = Position(0, 0)) -> list:
    return list(BinlogReader(directory).items(start))


def test_round_trip_positions_and_logic_ids(tmp_path):
    writer = BinlogWriter(str(tmp_path))
    placed = writer.append(commands(5))
    placed += writer.append(commands(1, size=200_000))  # spans several blocks
    writer.close()
    items = read_all(str(tmp_path))
    assert [(start, end, item.logic_id) for start, end, item in items] == placed
    assert [decode_command(item.content) for _s, _e, item in items] == commands(5) + commands(1, size=200_000)
    assert [item.logic_id for _s, _e, item in items] == [1, 2, 3, 4, 5, 6]
    assert all(Position(item.filenum, item.offset) == start for start, _e, item in items)  # start positions
    assert placed[0][0] == Position(0, 0) and placed[1][0] == placed[0][1]  # items follow each other
    manifest = read_manifest(str(tmp_path))
    assert manifest == (placed[-1][1], 6, 0, True)


@pytest.mark.parametrize("left_in_block", [0, 1, 7, 8, 9, 100])
def test_block_tails(left_in_block):
    payload = b"x" * 50
    offset = BLOCK_SIZE - left_in_block if left_in_block else BLOCK_SIZE
    data = frame(payload, offset, checked=True, now=0)
    if 0 < left_in_block < HEADER_SIZE:
        assert data[:left_in_block] == b"\x00" * left_in_block  # zero-filled tail
    if left_in_block == HEADER_SIZE:
        assert data[0:3] == b"\x00\x00\x00" and data[7] == 2  # an empty FIRST record, as Pika
    padded = b"\x00" * (offset % BLOCK_SIZE) + data
    from pypika_store.binlog.reader import scan_file
    (found,) = list(scan_file(padded, offset % BLOCK_SIZE, checked=True))
    assert found == (offset % BLOCK_SIZE, len(padded), payload)


def test_rotation_checks_size_before_each_append(tmp_path):
    writer = BinlogWriter(str(tmp_path), file_size=1024)
    for _ in range(10):
        writer.append(commands(3, size=100))
    writer.close()
    numbers = file_numbers(str(tmp_path))
    assert len(numbers) > 3
    for number in numbers[:-1]:
        size = os.path.getsize(tmp_path / f"write2file{number}")
        assert size > 1024  # a file rolls only once it is past the limit (by at most one item)
    items = read_all(str(tmp_path))
    assert [item.logic_id for _s, _e, item in items] == list(range(1, 31))
    start = items[17][0]
    assert [item.logic_id for _s, _e, item in read_all(str(tmp_path), start)] == list(range(18, 31))
    assert clamp_file_size(10) == clamp_file_size(2**40) == 100 * 1024 * 1024


def test_every_torn_tail_is_truncated_to_the_last_whole_item(tmp_path):
    directory = str(tmp_path / "good")
    writer = BinlogWriter(directory)
    writer.append(commands(3))
    whole = writer.position.offset
    writer.append(commands(1, size=70_000))
    writer.close()
    data = (tmp_path / "good" / "write2file0").read_bytes()
    for cut in list(range(whole + 1, whole + 40)) + [len(data) - 1, whole + BLOCK_SIZE]:
        torn = tmp_path / f"torn{cut}"
        torn.mkdir()
        (torn / "write2file0").write_bytes(data[:cut])
        writer = BinlogWriter(str(torn))
        assert writer.position == Position(0, whole) and writer.logic_id == 3
        assert os.path.getsize(torn / "write2file0") == whole
        writer.append([[b"set", b"after", b"crash"]])
        writer.close()
        assert [item.logic_id for _s, _e, item in read_all(str(torn))] == [1, 2, 3, 4]


def test_a_flipped_bit_is_detected_not_applied(tmp_path):
    writer = BinlogWriter(str(tmp_path))
    writer.append(commands(3))
    writer.close()
    path = tmp_path / "write2file0"
    data = bytearray(path.read_bytes())
    second_item_payload = len(data) // 3 * 2 - 5
    data[second_item_payload] ^= 0x01
    path.write_bytes(bytes(data))
    assert [item.logic_id for _s, _e, item in read_all(str(tmp_path))] == [1]


def test_reads_a_file_written_by_pika(tmp_path):
    """A file built byte by byte from Pika's layout (timestamps, no CRC) reads unchecked."""
    content = encode_command([b"set", b"k", b"v"])
    item = struct.pack("<HIIQIQI", 1, 1700000000, 0, 1, 0, 0, len(content)) + content
    record = bytes((len(item) & 0xFF, len(item) >> 8 & 0xFF, len(item) >> 16)) + struct.pack("<I", 1700000000) + b"\x01"
    (tmp_path / "write2file0").write_bytes(record + item)
    assert read_all(str(tmp_path)) == []  # checked reading refuses it: the "CRC" is a timestamp
    ((start, end, parsed),) = list(BinlogReader(str(tmp_path), checked=False).items())
    assert (start, end) == (Position(0, 0), Position(0, HEADER_SIZE + ITEM_HEADER_SIZE + len(content)))
    assert parsed == BinlogItem(1700000000, 0, 1, 0, 0, content)


def test_boundaries(tmp_path):
    writer = BinlogWriter(str(tmp_path))
    placed = writer.append(commands(3))
    writer.close()
    reader = BinlogReader(str(tmp_path))
    assert all(reader.is_boundary(start) for start, _end, _id in placed)
    assert reader.is_boundary(placed[-1][1])
    assert not reader.is_boundary(Position(0, placed[1][0].offset + 3))
    assert not reader.is_boundary(Position(7, 0))
