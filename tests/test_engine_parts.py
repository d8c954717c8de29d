"""The engine's parts on their own: the turn's transactions, the typed change log and the
records it replays as, the reclaim queue's listeners, and the storage's commit error."""

from __future__ import annotations

from collections import defaultdict

import pytest

from pypika_store.binlog.format import encode_command
from pypika_store.changes import (
    ChangeLog,
    CollectionWritten,
    CommandLogged,
    ExpiryChanged,
    Flushed,
    KeyCovered,
    KeyDeleted,
    ValueWritten,
    records_for,
)
from pypika_store.engine import Engine
from pypika_store.errors import CommitFailed
from pypika_store.locks import DBLock
from pypika_store.storage.environment import Environment, commit
from pypika_store.storage.records import encode_string
from pypika_store.turn import Turn


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=2)
    yield engine
    engine.close()


def test_each_kind_of_change_replays_as_its_record():
    changes = ChangeLog()
    changes.value_written(0, b"plain", encode_string(b"v"))
    changes.value_written(0, b"seconds", encode_string(b"v", 5_000))
    changes.value_written(0, b"millis", encode_string(b"v", 5_001))
    changes.key_deleted(1, b"gone")
    changes.expiry_changed(0, b"ttl", 7)
    changes.expiry_changed(0, b"ttl", 0)
    changes.command_logged(1, b"h", [b"hset", b"h", b"f", b"v"])
    changes.key_covered(1, b"source")
    changes.collection_written(0, b"s", iter([[b"del", b"s"], [b"sadd", b"s", b"m"]]))
    changes.flushed(1)
    assert [type(change) for change in changes] == [
        ValueWritten, ValueWritten, ValueWritten, KeyDeleted, ExpiryChanged, ExpiryChanged, CommandLogged,
        KeyCovered, CollectionWritten, Flushed]
    records = defaultdict(list)
    records_for(changes, records)
    assert records == {
        0: [encode_command([b"set", b"plain", b"v"]), encode_command([b"pksetexat", b"seconds", b"5", b"v"]),
            encode_command([b"set", b"millis", b"v", b"pxat", b"5001"]), [b"pexpireat", b"ttl", b"7"],
            [b"persist", b"ttl"], [b"del", b"s"], [b"sadd", b"s", b"m"]],
        1: [[b"del", b"gone"], [b"hset", b"h", b"f", b"v"], [b"flushdb"]],
    }


def test_a_collection_written_whole_is_read_when_logged(engine):
    """The store hands its rebuild records with the change; they are read after the command."""
    keyspace = engine.keyspaces[0]
    keyspace.sets.add(b"s", [b"a"])
    engine.log_changes()
    record = keyspace.get_record(b"s")
    keyspace.put_record(b"copy", keyspace.duplicate(record, keyspace))
    (change,) = engine.changes
    assert isinstance(change, CollectionWritten) and change.key == b"copy"
    records = defaultdict(list)
    records_for(engine.changes, records)
    assert records == {0: [[b"del", b"copy"], [b"sadd", b"copy", b"a"]]}
    engine.changes.clear()


def test_the_turn_reads_its_snapshot_until_it_writes(tmp_path):
    env = Environment(str(tmp_path / "db"), 1, 1 << 24, "no")
    turn = Turn(env, DBLock())
    starts = []
    turn.on_start = lambda: starts.append(1)
    snapshot = turn.reader()
    assert turn.reader() is snapshot and not turn.dirty
    writer = turn.writer()
    assert turn.reader() is writer and turn.dirty
    assert starts == [1]  # one turn, one start, though it opened two transactions
    writer.put(b"k", b"v", db=env.handles[0].meta)
    turn.commit()
    assert not turn.dirty
    assert turn.reader().get(b"k", db=env.handles[0].meta) == b"v"
    turn.drop_snapshot()
    env.close()


def test_lmdb_refusing_a_commit_is_commit_failed(tmp_path):
    env = Environment(str(tmp_path / "db"), 1, 1 << 24, "no")
    txn = env.begin_write()
    txn.abort()
    with pytest.raises(CommitFailed):
        commit(txn)
    env.close()


class _Listener:
    def __init__(self) -> None:
        self.events: list[object] = []

    def collection_reclaimed(self, object_id: int) -> None:
        self.events.append(object_id)

    def members_table_replaced(self) -> None:
        self.events.append("replaced")


def test_the_reclaim_queue_tells_its_listeners_what_goes(engine):
    listener, other_db = _Listener(), _Listener()
    engine.reclaims.listen(0, listener)
    engine.reclaims.listen(1, other_db)
    keyspace = engine.keyspaces[0]
    keyspace.sets.add(b"s", [b"a"])
    object_id = keyspace.sets.open(b"s").object_id
    keyspace.delete(b"s")
    assert listener.events == [object_id] and engine.pending_reclaims == 1
    keyspace.flush()
    assert listener.events == [object_id, "replaced"] and engine.pending_reclaims == 0
    assert other_db.events == []
    engine.reload_state()
    assert other_db.events == ["replaced"]
    engine.log_changes()
