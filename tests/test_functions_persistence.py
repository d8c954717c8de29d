"""Functions are data: their records in DB 0's binlog, FCALL's writes logged as effects, the
libraries kept across a restart, on a slave (incremental and full sync, which replaces the
slave's own), and in MULTI."""

from __future__ import annotations

import os

import pytest
import redis

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.engine import Engine
from pypika_store.errors import CommitFailed
from pypika_store.testing import PikaGroup, PikaServer

from .support import wait_until

COUNTER = ("#!lua name=counter\n"
           "redis.register_function('bump', function(keys, args) "
           "redis.call('incrby', keys[1], args[1]) return redis.call('get', keys[1]) end)\n"
           "redis.register_function{function_name='peek', callback=function(keys) "
           "return redis.call('get', keys[1]) end, flags={'no-writes'}}")
RANDOM = ("#!lua name=random\n"
          "redis.register_function('pop', function(keys) return redis.call('spop', keys[1]) end)")


def _logged(server, db: int = 0) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", f"log_db{db}")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


def _libraries(client) -> list:
    return sorted(client.function_list(withcode=True), key=lambda entry: entry[1])


def test_changes_are_logged_as_their_own_records(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.function_load(COUNTER)
        client.function_load(COUNTER, replace=True)
        assert client.fcall("bump", 1, "k", 5) == b"5"
        client.select(3)
        assert client.fcall("bump", 1, "k3", 2) == b"2"
        client.function_delete("counter")
        client.function_restore(client.function_dump(), "FLUSH")
        client.function_load(RANDOM)
        client.function_flush()
        assert _logged(server) == [
            [b"function", b"load", b"replace", COUNTER.encode()],
            [b"function", b"load", b"replace", COUNTER.encode()],
            [b"set", b"k", b"5"],
            [b"function", b"delete", b"counter"],
            [b"function", b"flush", b"sync"],
            [b"function", b"load", b"replace", RANDOM.encode()],
            [b"function", b"flush", b"sync"],
        ]
        assert _logged(server, 3) == [[b"set", b"k3", b"2"]]


def test_libraries_survive_a_restart(tmp_path):
    server = PikaServer(data_dir=str(tmp_path)).start()
    try:
        client = server.client()
        client.function_load(COUNTER)
        client.function_load(RANDOM)
        client.function_delete("random")
        client.fcall("bump", 1, "k", 3)
        before = _libraries(client)
        server.restart()
        client = server.client()
        assert _libraries(client) == before
        assert client.fcall("bump", 1, "k", 4) == b"7"
        assert client.function_stats()[b"engines"] == {b"LUA": {b"libraries_count": 1, b"functions_count": 2}}
        assert client.script_flush() and client.fcall_ro("peek", 1, "k") == b"7"  # SCRIPT FLUSH keeps them
    finally:
        server.stop()


def test_a_slave_follows_the_libraries():
    with PikaGroup(slaves=1) as group:
        master, slave = group.master.client(), group.slaves[0].client()
        master.function_load(COUNTER)
        master.function_load(RANDOM)
        master.sadd("s", *"abcdefgh")
        popped = {master.fcall("pop", 1, "s") for _ in range(3)}
        master.fcall("bump", 1, "k", 5)
        master.function_delete("random")
        master.function_load(COUNTER.replace("incrby", "decrby"), replace=True)
        master.fcall("bump", 1, "k", 1)
        group.wait_synced()
        assert master.function_dump() == slave.function_dump()
        assert slave.smembers("s") == master.smembers("s") and not popped & slave.smembers("s")
        assert slave.fcall_ro("peek", 1, "k") == b"4"
        assert slave.fcall("peek", 1, "k") == b"4"
        for call in (("FCALL", "bump", "1", "k", "1"), ("FCALL_RO", "bump", "1", "k", "1"), ("FCALL", "bump", "x")):
            with pytest.raises(redis.ReadOnlyError):  # a function that may write, as a write command
                slave.execute_command(*call)
        with pytest.raises(redis.ReadOnlyError):
            slave.function_load(RANDOM)
        master.function_flush()
        wait_until(lambda: slave.function_list() == [], timeout=30, what="the slave to flush its libraries")


def test_a_full_sync_brings_the_master_libraries(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "master")) as master_server, \
            PikaServer(data_dir=str(tmp_path / "slave")) as slave_server:
        master, slave = master_server.client(), slave_server.client()
        master.function_load(COUNTER)
        master.fcall("bump", 1, "k", 2)
        slave.function_load(RANDOM)  # the slave's own: a full sync replaces them
        assert slave.slaveof("127.0.0.1", master_server.port)
        wait_until(lambda: slave.info("replication")["master_link_status"] == "up", timeout=30,
                   what="the link up")
        assert slave.info("replication")["repl_full_syncs"] >= 1
        wait_until(lambda: slave.function_dump() == master.function_dump(), timeout=30,
                   what="the master's libraries on the slave")
        assert slave.fcall_ro("peek", 1, "k") == b"2"
        with pytest.raises(redis.ResponseError, match="Function not found"):
            slave.fcall("pop", 1, "s")
        master.function_load(RANDOM)
        wait_until(lambda: _libraries(slave) == _libraries(master), timeout=30, what="the incremental load")
        slave_server.restart()
        slave = slave_server.client()
        assert _libraries(slave) == _libraries(master)


def test_function_load_in_multi(r):
    pipe = r.pipeline()
    pipe.function_load(COUNTER)
    pipe.fcall("bump", 1, "k", 1)
    pipe.function_load(COUNTER)
    results = pipe.execute(raise_on_error=False)
    assert results[:2] == [b"counter", b"1"]
    assert "already exists" in str(results[2])
    r.function_flush()


def test_info_counts_the_libraries(r):
    memory = r.info("memory")
    assert (memory["number_of_functions"], memory["number_of_libraries"], memory["used_memory_functions"]) == (0, 0, 0)
    r.function_load(COUNTER)
    memory = r.info("memory")
    assert (memory["number_of_functions"], memory["number_of_libraries"]) == (2, 1)
    assert memory["used_memory_functions"] == len(COUNTER)
    assert memory["used_memory_vm_functions"] > 0
    assert memory["used_memory_vm_total"] == memory["used_memory_vm_eval"] + memory["used_memory_vm_functions"]
    assert memory["used_memory_scripts"] == memory["used_memory_scripts_eval"] + len(COUNTER)
    r.function_flush()
    assert r.info("memory")["number_of_functions"] == 0


def test_a_restart_replays_the_records_the_data_lacks(tmp_path):
    """The data rolled back to before a FUNCTION LOAD and an FCALL (as a crash between the binlog
    write and the commit leaves it): the restart's replay loads the library and applies the
    FCALL's effect again."""
    server = PikaServer(data_dir=str(tmp_path)).start()
    try:
        server.client().set("marker", "1")
        server.stop()
        engine = Engine(str(tmp_path / "db"), databases=16)
        before = engine.applied_position(0)
        engine.close()
        server.start()
        client = server.client()
        client.function_load(COUNTER)
        assert client.fcall("bump", 1, "k", 5) == b"5"
        expected = _libraries(client)
        server.stop()
        engine = Engine(str(tmp_path / "db"), databases=16)
        engine.functions.delete(b"counter")
        engine.keyspaces[0].delete(b"k")
        engine.set_applied_position(0, *before)
        engine.close()
        server.start()
        client = server.client()
        assert _libraries(client) == expected
        assert client.get("k") == b"5"
    finally:
        server.stop()


def test_a_bgsave_snapshot_holds_the_libraries(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.function_load(COUNTER)
        client.function_load(RANDOM)
        assert client.save()
        dump = os.path.join(server.data_dir, "dump")
        (folder,) = [os.path.join(dump, name) for name in os.listdir(dump)]
        copy = Engine(os.path.join(folder, "lmdb"), databases=16)
        try:
            assert copy.functions.codes() == {b"counter": COUNTER.encode(), b"random": RANDOM.encode()}
        finally:
            copy.close()


def test_a_failed_commit_drops_the_library_change(tmp_path, monkeypatch):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.function_load(COUNTER)
        turn = server.server.engine.turn
        real_commit = turn.commit

        def refuse(before_commit=None):
            monkeypatch.setattr(turn, "commit", real_commit)
            turn.abort()
            raise CommitFailed("refused by the test")

        monkeypatch.setattr(turn, "commit", refuse)
        with pytest.raises(redis.ResponseError, match="The write was not applied"):
            client.function_load(RANDOM)
        assert [entry[1] for entry in client.function_list()] == [b"counter"]
        with pytest.raises(redis.ResponseError, match="Function not found"):
            client.fcall("pop", 1, "s")
        assert client.fcall("bump", 1, "k", 1) == b"1"
