"""A turn's binlog records through the engine: the ones each command logged, in the order the
commands ran, each DB's in its own binlog, whatever came after them in the turn (a collection
written whole logs the members it had when its command ended)."""

from __future__ import annotations

import os

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.engine import Engine


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=2, binlog_path=str(tmp_path / "binlog"))
    yield engine
    engine.close()


def logged(tmp_path, db: int = 0) -> list[list[bytes]]:
    reader = BinlogReader(os.path.join(tmp_path, "binlog", f"log_db{db}"))
    return [decode_command(item.content) for _start, _end, item in reader.items()]


def test_a_collection_written_whole_logs_the_members_it_had_when_its_command_ended(engine, tmp_path):
    """COPY's records walk the copy as COPY left it, though a later command of the same turn
    adds to it before the records are made."""
    keyspace = engine.keyspaces[0]
    keyspace.sets.add(b"s", [b"a"])
    engine.log_changes()
    keyspace.put_record(b"copy", keyspace.duplicate(keyspace.get_record(b"s"), keyspace))
    engine.log_changes()
    keyspace.sets.add(b"copy", [b"b"])
    engine.log_changes()
    engine.end_turn()
    assert logged(tmp_path) == [[b"sadd", b"s", b"a"], [b"del", b"copy"], [b"sadd", b"copy", b"a"],
                                [b"sadd", b"copy", b"b"]]


def test_a_string_rewritten_in_the_turn_logs_each_state_in_order(engine, tmp_path):
    keyspace = engine.keyspaces[0]
    for value in (b"1", b"2", b"3"):
        keyspace.set_string(b"k", value)
        engine.log_changes()
    keyspace.delete(b"k")
    engine.log_changes()
    engine.end_turn()
    assert logged(tmp_path) == [[b"set", b"k", b"1"], [b"set", b"k", b"2"], [b"set", b"k", b"3"], [b"del", b"k"]]


def test_each_db_gets_its_own_records_from_one_turn(engine, tmp_path):
    first, second = engine.keyspaces
    first.set_string(b"a", b"1")
    engine.log_changes()
    second.set_string(b"b", b"2")
    engine.log_changes()
    first.set_string(b"c", b"3")
    engine.log_changes()
    engine.end_turn()
    assert logged(tmp_path, 0) == [[b"set", b"a", b"1"], [b"set", b"c", b"3"]]
    assert logged(tmp_path, 1) == [[b"set", b"b", b"2"]]


def test_changes_made_while_not_recording_leave_no_record(engine, tmp_path):
    """A slave applies its master's records with recording off: they are not logged again."""
    keyspace = engine.keyspaces[0]
    engine.recording = False
    keyspace.set_string(b"replayed", b"x")
    engine.log_changes()
    engine.recording = True
    keyspace.set_string(b"local", b"y")
    engine.log_changes()
    engine.end_turn()
    assert logged(tmp_path) == [[b"set", b"local", b"y"]]


def test_an_aborted_turn_leaves_no_record(engine, tmp_path):
    keyspace = engine.keyspaces[0]
    keyspace.set_string(b"dropped", b"x")
    engine.log_changes()
    engine.abort_turn()
    keyspace.set_string(b"kept", b"y")
    engine.log_changes()
    engine.end_turn()
    assert logged(tmp_path) == [[b"set", b"kept", b"y"]]
    assert keyspace.get_string(b"dropped") is None
