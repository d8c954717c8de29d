"""A string's state record is formatted straight into its RESP content (changes.string_state_content,
the fast path of every SET and INCR): its bytes must be exactly what the generic encoder makes of
the record's argv, whatever the key, the value and the expiry."""

from __future__ import annotations

import os

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command, encode_command
from pypika_store.changes import string_state_content, string_state_record
from pypika_store.engine import Engine
from pypika_store.storage.records import encode_string

KEYS = [b"k", b"", b"key:000000000001", b"\x00\r\n$3\r\n*2", b"\xff" * 300, b"long" * 1100]
VALUES = [b"xxx", b"", b"0", b"-9223372036854775808", b"18446744073709551615", b"3.0000000000000000001",
          b"\r\n", b"\x00\x01\xfe\xff" * 8, b"v" * 4095, b"v" * 4096, b"v" * 70_000]
EXPIRIES = [0, 1, 999, 1000, 5_000, 5_001, 1_764_600_000_000, 2**63 - 1]


@pytest.mark.parametrize("expire_at_ms", EXPIRIES)
@pytest.mark.parametrize("value", VALUES, ids=lambda value: f"{len(value)}b")
@pytest.mark.parametrize("key", KEYS, ids=lambda key: f"{len(key)}b")
def test_the_content_is_the_generic_encoding_of_the_state_record(key, value, expire_at_ms):
    record = encode_string(value, expire_at_ms)
    assert string_state_content(key, record) == encode_command(string_state_record(key, record))


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=1, binlog_path=str(tmp_path / "binlog"))
    yield engine
    engine.close()


def logged(engine: Engine, tmp_path) -> list[bytes]:
    return [item.content for _start, _end, item in BinlogReader(os.path.join(tmp_path, "binlog", "log_db0")).items()]


def test_the_binlog_holds_the_generic_encoding_of_sets_and_incrs(engine, tmp_path):
    """Through the engine, as SET (with and without an expiry) and INCR's result log them, in
    one turn and over several: each item's content decodes to the state record and is exactly
    that record's generic encoding."""
    keyspace = engine.keyspaces[0]
    expected = []
    for index, (key, value, expire_at_ms) in enumerate(
            [(b"plain", b"xxx", 0), (b"bin\r\n", b"\x00\r\n\xff", 0), (b"long", b"v" * 70_000, 0),
             (b"seconds", b"v", 4_102_444_800_000), (b"millis", b"v", 4_102_444_800_001)]):
        keyspace.set_string(key, value, expire_at_ms)
        engine.log_changes()
        expected.append(string_state_record(key, encode_string(value, expire_at_ms)))
        if index % 2:
            engine.end_turn()
    for result in (b"1", b"2", b"-1", b"9223372036854775807"):  # INCR logs the value it produced
        keyspace.set_string(b"counter", result)
        engine.log_changes()
        expected.append([b"set", b"counter", result])
    engine.end_turn()
    contents = logged(engine, tmp_path)
    assert [decode_command(content) for content in contents] == expected
    assert contents == [encode_command(argv) for argv in expected]
