"""The type stores' hot writes log their records as RESP content they encode themselves
(RecordCommand): the content must be what the binlog's generic encoder makes of the argv, and
a write that leaves a collection's count alone must leave its meta record as it was."""

from __future__ import annotations

import pytest

from pypika_store.binlog.format import encode_command
from pypika_store.engine import Engine
from pypika_store.types.collection import RecordCommand
from pypika_store.types.zsets import ZaddFlags


@pytest.mark.parametrize("arguments", [
    [b"v"], [b""], [b"f", b"v"], [b"x" * 4095], [b"x" * 4096], [b"m%d" % n for n in range(61)],
    [b"m%d" % n for n in range(62)], [b"m%d" % n for n in range(200)],
])
@pytest.mark.parametrize("key", [b"k", b"", b"\x00key", b"k" * 4096])
def test_a_record_is_encoded_as_the_binlog_encodes_its_argv(key, arguments):
    assert RecordCommand(b"hset").content(key, arguments) == encode_command([b"hset", key, *arguments])


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=1)
    yield engine
    engine.close()


def _logged(engine) -> list[bytes]:
    records = [change.argv for change in engine.changes]
    engine.changes.clear()
    return records


def test_each_hot_write_logs_the_content_of_its_member_level_command(engine):
    keyspace = engine.keyspaces[0]
    keyspace.lists.push(b"l", [b"a", b"b"], True)
    keyspace.lists.push(b"l", [b"c"], False)
    keyspace.hashes.set_fields(b"h", [(b"f", b"1"), (b"g", b"2")])
    keyspace.hashes.set_fields(b"h", [(b"f", b"3")], only_new=True)  # there: nothing logged
    keyspace.sets.add(b"s", [b"m", b"n", b"m"])
    keyspace.sets.add(b"s", [b"m"])  # there: nothing logged
    keyspace.zsets.add(b"z", [(1.5, b"m")], ZaddFlags())
    assert _logged(engine) == [encode_command(argv) for argv in (
        [b"lpush", b"l", b"a", b"b"], [b"rpush", b"l", b"c"], [b"hset", b"h", b"f", b"1", b"g", b"2"],
        [b"sadd", b"s", b"m", b"n"], [b"zadd", b"z", b"1.5", b"m"])]
    assert keyspace.lists.range(keyspace.lists.open(b"l"), 0, 2) == [b"b", b"a", b"c"]


def test_a_write_that_keeps_the_count_keeps_the_meta_record(engine):
    keyspace = engine.keyspaces[0]
    keyspace.hashes.set_fields(b"h", [(b"f", b"1")])
    keyspace.zsets.add(b"z", [(1.0, b"m")], ZaddFlags())
    metas = {key: keyspace.get_raw(key) for key in (b"h", b"z")}
    engine.changes.clear()
    assert keyspace.hashes.set_fields(b"h", [(b"f", b"2")]) == 0
    assert keyspace.zsets.add(b"z", [(2.0, b"m")], ZaddFlags()) == 0
    assert _logged(engine) == [encode_command([b"hset", b"h", b"f", b"2"]), encode_command([b"zadd", b"z", b"2.0", b"m"])]
    assert {key: keyspace.get_raw(key) for key in metas} == metas
    assert keyspace.hashes.get_field(b"h", b"f") == b"2" and keyspace.hashes.length(b"h") == 1
    assert keyspace.zsets.score(keyspace.zsets.open(b"z"), b"m") == 2.0


def test_a_member_added_again_writes_nothing(engine):
    """SADD of a member, HSETNX of a field, there already: the put that must not overwrite
    finds it, keeps its value, and nothing is logged."""
    keyspace = engine.keyspaces[0]
    keyspace.sets.add(b"s", [b"m"])
    keyspace.hashes.set_fields(b"h", [(b"f", b"1")])
    engine.log_changes()
    engine.end_turn()
    assert keyspace.sets.add(b"s", [b"m"]) == 0
    assert keyspace.hashes.set_fields(b"h", [(b"f", b"2")], only_new=True) == 0
    assert not engine.changes
    assert keyspace.hashes.get_field(b"h", b"f") == b"1" and keyspace.sets.cardinality(b"s") == 1
