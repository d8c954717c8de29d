"""Replication's pushed messages (replication/frames.py) read back as they were built. (That
replication never imports the server is checked with the other layers in test_imports.py.)"""

from __future__ import annotations

from pypika_store.binlog import Position
from pypika_store.replication.frames import PING, BinlogMessage, decode_pushed, encode_binlog
from pypika_store.replication.link import _ReplyReader


def _read_back(data: bytes) -> object:
    reader = _ReplyReader()
    reader.feed(data)
    return reader.gets()


def test_a_pushed_binlog_item_reads_back_as_built():
    message = BinlogMessage(db=3, start=Position(7, 1234), logic_id=42, term=5, payload=b"\x00item\r\nbytes")
    data = encode_binlog(*message)
    assert data == (b"*7\r\n$6\r\nbinlog\r\n:3\r\n:7\r\n:1234\r\n:42\r\n:5\r\n$12\r\n\x00item\r\nbytes\r\n")
    assert decode_pushed(_read_back(data)) == message


def test_a_ping_is_no_binlog_item():
    assert _read_back(PING) == [b"ping"]
    assert decode_pushed([b"ping"]) is None
