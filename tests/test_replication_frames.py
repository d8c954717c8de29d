"""Replication's pushed messages (replication/frames.py) read back as they were built. (That
replication never imports the server is checked with the other layers in test_imports.py.)"""

from __future__ import annotations

from pypika_store.binlog import Position
import pytest

from pypika_store.replication.frames import PING, BinlogMessage, CorruptFrame, decode_pushed, encode_binlog, frame_check
from pypika_store.replication.link import _ReplyReader


def _read_back(data: bytes) -> object:
    reader = _ReplyReader()
    reader.feed(data)
    return reader.gets()


def test_a_pushed_binlog_item_reads_back_as_built():
    message = BinlogMessage(db=3, start=Position(7, 1234), logic_id=42, term=5, payload=b"\x00item\r\nbytes")
    data = encode_binlog(*message)
    check = frame_check(*message)
    assert data == (b"*8\r\n$6\r\nbinlog\r\n:3\r\n:7\r\n:1234\r\n:42\r\n:5\r\n$12\r\n\x00item\r\nbytes\r\n:%d\r\n"
                    % check)
    assert decode_pushed(_read_back(data)) == message


@pytest.mark.parametrize("index, value", [(3, 1235), (4, 43), (6, b"\x00item\r\nbytez"), (7, 0)])
def test_a_changed_field_or_byte_fails_the_check(index, value):
    fields = _read_back(encode_binlog(3, Position(7, 1234), 42, 5, b"\x00item\r\nbytes"))
    fields[index] = value
    with pytest.raises(CorruptFrame):
        decode_pushed(fields)


def test_a_message_without_its_check_is_refused():
    with pytest.raises(CorruptFrame):
        decode_pushed([b"binlog", 0, 0, 0, 1, 0, b"item"])


def test_a_ping_is_no_binlog_item():
    assert _read_back(PING) == [b"ping"]
    assert decode_pushed([b"ping"]) is None
