"""BinlogTail: a master's pump following its binlog, from the file or from the batch just written."""

from __future__ import annotations

import random

from pypika_store.binlog import BinlogWriter, Position
from pypika_store.binlog.format import BLOCK_SIZE
from pypika_store.binlog.tail import BinlogTail
from pypika_store.binlog.writer import LATEST_BATCH_LIMIT


def turn_commands(rng: random.Random, turn: int) -> list[list[bytes]]:
    """One turn's writes: values from a few bytes to more than a block, so items cross blocks."""
    return [[b"SET", b"k%d:%d" % (turn, index), b"v" * rng.choice((3, 700, BLOCK_SIZE + 100))]
            for index in range(rng.randint(1, 40))]


def test_a_tail_given_the_latest_batch_reads_what_the_file_holds(tmp_path):
    """Across block boundaries and file rotations, with limits that cut batches in the middle
    and turns the tail skips, the items taken from the writer's batch are the file's."""
    rng = random.Random(16)
    writer = BinlogWriter(str(tmp_path), file_size=1024 * 1024)
    from_file = BinlogTail(str(tmp_path), Position(0, 0))
    from_batch = BinlogTail(str(tmp_path), Position(0, 0))
    expected, got = [], []
    for turn in range(120):
        writer.append(turn_commands(rng, turn))
        expected += from_file.read(10_000)
        if rng.random() < 0.2:
            continue  # the pump skipped this turn (a full window): the next read needs the file
        while items := from_batch.read(rng.randint(1, 30), writer.latest_batch):
            got += items
    got += from_batch.read(10_000, writer.latest_batch)
    assert writer.position.filenum >= 2  # the test crossed rotations
    assert got == expected
    assert from_batch.position == from_file.position == writer.position


def test_a_tail_at_the_latest_batch_does_not_read_the_file(tmp_path):
    """The bytes just written are not read back: with them wiped from the file, a tail given
    the batch still sends the item, one reading the file finds nothing."""
    writer = BinlogWriter(str(tmp_path))
    start = writer.position
    (_start, end, _logic_id), = writer.append([[b"SET", b"a", b"1"]])
    with open(tmp_path / "write2file0", "r+b") as handle:
        handle.seek(start.offset)
        handle.write(b"\0" * (end.offset - start.offset))
    assert BinlogTail(str(tmp_path), start).read(10) == []
    (_start, _end, payload), = BinlogTail(str(tmp_path), start).read(10, writer.latest_batch)
    assert payload.endswith(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")


def test_a_rewound_batch_is_not_sent(tmp_path):
    writer = BinlogWriter(str(tmp_path))
    tail = BinlogTail(str(tmp_path), writer.position)
    mark = writer.mark()
    writer.append([[b"SET", b"a", b"1"]])
    writer.rewind(mark)
    assert writer.latest_batch is None
    assert tail.read(10, writer.latest_batch) == []


def test_a_big_batch_is_not_kept_but_read_from_the_file(tmp_path):
    writer = BinlogWriter(str(tmp_path))
    tail = BinlogTail(str(tmp_path), writer.position)
    big = b"v" * (LATEST_BATCH_LIMIT + 1)
    writer.append([[b"SET", b"big", big]])
    assert writer.latest_batch is None
    (_start, end, payload), = tail.read(10, writer.latest_batch)
    assert payload.endswith(big + b"\r\n") and end == writer.position
