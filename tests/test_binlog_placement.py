"""The writer's placement of a turn's items (BinlogWriter.prepare frames the common FULL record
itself, every other case through format.frame_into) gives, byte for byte, the file Pika's
framing of each item gives: around block ends, across rotations, for RESP contents handed over
already encoded and for argv records, and a failed turn leaves the binlog where it stood."""

from __future__ import annotations

import errno
import os

import pytest

from pypika_store.binlog.format import (BLOCK_SIZE, HEADER_SIZE, ITEM_HEADER_SIZE, BinlogItem, Position,
                                        encode_command, frame)
from pypika_store.binlog.reader import file_path
from pypika_store.binlog import writer as writer_module
from pypika_store.binlog.writer import BinlogWriter
from pypika_store.changes import string_state_content
from pypika_store.engine import Engine
from pypika_store.errors import NotCommitted
from pypika_store.storage.records import encode_string

EXEC_TIME = 1_700_000_000


def expected_bytes(commands: list[list[bytes] | bytes], start: Position, first_logic_id: int,
                   file_size: int) -> dict[int, bytes]:
    """Each file's bytes from ``start`` on, built item by item with the reference framing."""
    files: dict[int, list[bytes]] = {}
    filenum, offset = start
    for logic_id, command in enumerate(commands, first_logic_id):
        if offset > file_size:
            filenum, offset = filenum + 1, 0
        content = command if isinstance(command, bytes) else encode_command(command)
        framed = frame(BinlogItem(EXEC_TIME, 0, logic_id, filenum, offset, content).encode(), offset, True, 0)
        files.setdefault(filenum, []).append(framed)
        offset += len(framed)
    return {number: b"".join(pieces) for number, pieces in files.items()}


def written_from(directory: str, start: Position, filenum: int) -> bytes:
    with open(file_path(directory, filenum), "rb") as handle:
        data = handle.read()
    return data[start.offset:] if filenum == start.filenum else data


def set_content(number: int, size: int) -> bytes:
    return string_state_content(b"key:%d" % number, encode_string(b"v" * size))


def item_size(content: bytes) -> int:
    """Bytes an item of ``content`` takes as one FULL record."""
    return HEADER_SIZE + ITEM_HEADER_SIZE + len(content)


@pytest.mark.parametrize("room", [0, 1, 7, 8, 9, 50, 100, 200, 1000])
def test_items_placed_near_a_block_end_are_framed_as_pika_frames_them(tmp_path, room):
    """The batch's first item leaves ``room`` bytes of its block (then, from a second start,
    overflows the block by ``room + 1``), so every case of a block's tail comes up: a FULL
    record ending on the boundary, a zero-filled tail, an empty FIRST record, a split."""
    contents = [set_content(number, 3) for number in range(8)]
    start_offset = 3 * BLOCK_SIZE - item_size(contents[0]) - room
    for offset in (start_offset, start_offset + 2 * room + 1):
        if 0 < offset % BLOCK_SIZE < HEADER_SIZE:
            continue  # no item boundary lies there
        directory = str(tmp_path / f"at{offset}")
        writer = BinlogWriter(directory)
        writer.reset_to(Position(0, offset), 41, 0)
        mixed = [*contents[:4], [b"hset", b"h", b"f", b"x" * 100], *contents[4:], [b"del", b"key:1"]]
        writer.write(writer.prepare(mixed, EXEC_TIME))
        start = Position(0, offset)
        assert written_from(directory, start, 0) == expected_bytes(mixed, start, 42, writer.file_size)[0]
        writer.close()


def test_items_bigger_than_a_block_and_a_rotation_inside_a_batch(tmp_path):
    directory = str(tmp_path)
    writer = BinlogWriter(directory, file_size=1024)
    commands = [set_content(0, 10), set_content(1, 3 * BLOCK_SIZE), set_content(2, 5), [b"lpush", b"l", b"a"],
                set_content(3, 70_000)]
    start = writer.position
    placed = writer.append(commands, exec_time=EXEC_TIME)
    expected = expected_bytes(commands, start, 1, 1024)
    assert len(expected) > 1
    for filenum, data in expected.items():
        assert written_from(directory, start, filenum) == data
    assert placed[-1][1] == writer.position and [item[2] for item in placed] == [1, 2, 3, 4, 5]
    writer.close()


def test_a_turn_that_fails_in_its_second_binlog_leaves_both_where_they_stood(tmp_path, monkeypatch):
    """DB 0's batch is written, DB 1's write fails: both binlogs are cut back to where the
    turn found them (each batch carries that mark), and the next turn goes on from there."""
    engine = Engine(str(tmp_path / "db"), databases=2, binlog_path=str(tmp_path / "log"))
    try:
        for index in (0, 1):
            engine.keyspaces[index].set_string(b"before", b"1")
            engine.log_changes()
        engine.end_turn()
        stood = [(binlog.position, binlog.logic_id, os.path.getsize(file_path(binlog.directory, 0)))
                 for binlog in engine.binlogs]
        for index in (0, 1):
            engine.keyspaces[index].set_string(b"lost", b"2")
            engine.log_changes()
        write_all = writer_module._write_all
        written = []

        def second_binlog_refuses(descriptor: int, data: bytes, offset: int) -> None:
            if descriptor == engine.binlogs[1]._file:
                raise OSError(errno.ENOSPC, "No space left on device")
            written.append(descriptor)
            write_all(descriptor, data, offset)

        monkeypatch.setattr(writer_module, "_write_all", second_binlog_refuses)
        with pytest.raises(NotCommitted):
            engine.end_turn()
        monkeypatch.undo()
        assert written == [engine.binlogs[0]._file]
        assert [(binlog.position, binlog.logic_id, os.path.getsize(file_path(binlog.directory, 0)))
                for binlog in engine.binlogs] == stood
        assert engine.keyspaces[0].get_string(b"lost") is None
        engine.keyspaces[0].set_string(b"after", b"3")
        engine.log_changes()
        engine.end_turn()
        assert engine.binlogs[0].logic_id == stood[0][1] + 1
        assert engine.binlogs[0].position == engine.applied_position(0)[0]
    finally:
        engine.close()
