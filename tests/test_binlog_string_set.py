"""A plain SET's record is the change it notes (changes.StringSet, ``(db, key, value)``): the
writer builds its ``set key value`` item from it in one join. The bytes must be the ones the
same command's RESP content gives, byte for byte with Pika's framing, whatever the key's and
value's sizes (past the header tables too) and wherever the item falls in its block; and only a
string without an expiry is noted that way."""

from __future__ import annotations

import os

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import BLOCK_SIZE, Position, decode_command
from pypika_store.binlog.writer import BinlogWriter
from pypika_store.changes import ChangeLog, StringSet, ValueWritten
from pypika_store.engine import Engine

from .test_binlog_placement import EXEC_TIME, expected_bytes, written_from


def string_sets(pairs: list[tuple[bytes, bytes]]) -> list[StringSet]:
    changes = ChangeLog()
    for key, value in pairs:
        changes.string_set(0, key, value)
    return list(changes)


@pytest.mark.parametrize("offset", [0, BLOCK_SIZE - 40, BLOCK_SIZE - 60, 2 * BLOCK_SIZE - 100])
def test_a_plain_set_record_is_framed_as_its_resp_content(tmp_path, offset):
    """Keys and values of the header tables' last sizes and past them (4 KiB), one bigger than
    a block, around a block end; each item as Pika frames ``set key value``."""
    pairs = [(b"k", b"v"), (b"key:%012d" % 7, b"xxx"), (b"k" * 4095, b"v" * 4095), (b"k" * 4096, b"v"),
             (b"k", b"v" * 4096), (b"", b""), (b"big", b"b" * (BLOCK_SIZE + 10)), (b"last", b"1")]
    directory = str(tmp_path / "log")
    writer = BinlogWriter(directory)
    writer.reset_to(Position(0, offset), 9, 0)
    records = [*string_sets(pairs[:3]), [b"del", b"x"], *string_sets(pairs[3:])]
    writer.write(writer.prepare(records, EXEC_TIME))
    start = Position(0, offset)
    commands = [record if isinstance(record, list) else [b"set", record.key, record.value] for record in records]
    assert written_from(directory, start, 0) == expected_bytes(commands, start, 10, writer.file_size)[0]
    assert [decode_command(item.content) for _start, _end, item in BinlogReader(directory).items(start)] == commands
    writer.close()


def test_a_plain_set_record_crosses_a_rotation(tmp_path):
    directory = str(tmp_path / "log")
    writer = BinlogWriter(directory, file_size=1024)
    start = writer.position
    records = string_sets([(b"k%d" % number, b"v" * 300) for number in range(6)])
    placed = writer.append(records, exec_time=EXEC_TIME)
    expected = expected_bytes([[b"set", record.key, record.value] for record in records], start, 1, 1024)
    assert len(expected) > 1 and len({start.filenum for start, _end, _logic_id in placed}) == len(expected)
    for filenum, data in expected.items():
        assert written_from(directory, start, filenum) == data
    writer.close()


def test_only_a_string_without_an_expiry_is_noted_as_its_value(tmp_path):
    """SET and INCR of a key without a TTL note StringSet; with one, the meta record (logged
    with its absolute expiry)."""
    engine = Engine(str(tmp_path / "db"), binlog_path=str(tmp_path / "binlog"))
    keyspace = engine.keyspaces[0]
    kinds = []
    for key, expire_at in ((b"plain", 0), (b"timed", 4_000_000_000_000)):
        keyspace.set_string(key, b"1", expire_at)
        keyspace.rewrite_string(key, b"2", expire_at, b"incrby")
        kinds += [type(change) for change in engine.changes]
        engine.log_changes()
    engine.end_turn()
    assert kinds == [StringSet, StringSet, ValueWritten, ValueWritten]
    reader = BinlogReader(os.path.join(tmp_path, "binlog", "log_db0"))
    assert [decode_command(item.content) for _start, _end, item in reader.items()] == [
        [b"set", b"plain", b"1"], [b"set", b"plain", b"2"], [b"pksetexat", b"timed", b"4000000000", b"1"],
        [b"pksetexat", b"timed", b"4000000000", b"2"]]
    engine.close()
