"""What each write logs (deterministic records), and recovery from the binlog."""

from __future__ import annotations

import os

import pytest

from pypika_store.binlog import BinlogReader, BinlogWriter
from pypika_store.binlog.format import decode_command
from pypika_store.testing import PikaServer


@pytest.fixture
def server(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        yield server


def logged(server, db: int = 0) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", f"log_db{db}")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


def test_each_write_logs_its_deterministic_effect(server):
    client = server.client()
    client.set("plain", "v")
    client.set("ex", "v", exat=4102444800)
    client.set("px", "v", px=100500)
    client.incr("counter")
    client.incrby("counter", 5)
    client.append("plain", "w")
    client.mset({"m1": "1", "m2": "2"})
    client.expire("plain", 50)
    client.persist("plain")
    client.delete("m1", "m2", "missing")
    client.setnx("plain", "not applied")   # no-op: logs nothing
    client.delete("missing")               # no-op: logs nothing
    client.rename("counter", "renamed")
    records = logged(server)
    px_at = records[2][4]
    assert records == [
        [b"set", b"plain", b"v"],
        [b"pksetexat", b"ex", b"4102444800", b"v"],
        [b"set", b"px", b"v", b"pxat", px_at],
        [b"set", b"counter", b"1"],
        [b"set", b"counter", b"6"],
        [b"set", b"plain", b"vw"],
        [b"set", b"m1", b"1"],
        [b"set", b"m2", b"2"],
        [b"pexpireat", b"plain", records[8][2]],
        [b"persist", b"plain"],
        [b"del", b"m1"],
        [b"del", b"m2"],
        [b"set", b"renamed", b"6"],
        [b"del", b"counter"],
    ]
    assert int(px_at) % 1000 != 0  # millisecond expiries stay exact: SET ... PXAT


def test_flushall_logs_flushdb_per_db_and_move_logs_both_dbs(server):
    client = server.client()
    client.set("a", "1")
    client.execute_command("SELECT", "2")
    client.set("b", "2")
    client.execute_command("MOVE", "b", "0")
    client.flushall()
    assert logged(server, 0)[-2:] == [[b"set", b"b", b"2"], [b"flushdb"]]
    assert logged(server, 2) == [[b"set", b"b", b"2"], [b"del", b"b"], [b"flushdb"]]


def test_active_expiry_logs_a_delete(server):
    client = server.client()
    client.set("short", "v", px=10)
    from .support import wait_until
    wait_until(lambda: [b"del", b"short"] in logged(server), what="the expiry to be logged")


def test_data_equals_a_replay_of_the_binlog(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        for number in range(300):
            client.set(f"k{number % 37}", number, ex=1000 if number % 3 else None)
            if number % 5 == 0:
                client.incr(f"n{number % 7}")
            if number % 11 == 0:
                client.delete(f"k{number % 13}")
        original = {key: (client.get(key), client.expiretime(key)) for key in client.keys("*")}
        records = logged(server)
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for argv in records:
            replay.execute_command(*argv)
        assert {key: (replay.get(key), replay.expiretime(key)) for key in replay.keys("*")} == original


def test_items_the_data_lacks_are_replayed_at_start(tmp_path):
    """A crash after the binlog write and before the LMDB commit: the restart applies them."""
    with PikaServer(data_dir=str(tmp_path)) as server:
        server.client().set("before", "1")
    writer = BinlogWriter(str(tmp_path / "log" / "log_db0"))
    writer.append([[b"set", b"lost", b"in-crash"], [b"del", b"before"]])
    writer.close()
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        assert client.get("lost") == b"in-crash" and client.exists("before") == 0
        client.set("after", "1")
    with PikaServer(data_dir=str(tmp_path)) as server:  # nothing is replayed twice
        client = server.client()
        assert sorted(client.keys("*")) == [b"after", b"lost"]
    assert [argv[1] for argv in logged(server)] == [b"before", b"lost", b"before", b"after"]


def test_write_binlog_no_writes_no_binlog(tmp_path):
    with PikaServer(data_dir=str(tmp_path), config={"write-binlog": "no"}) as server:
        server.client().set("k", "v")
    assert not os.path.exists(tmp_path / "log" / "log_db0")


def test_info_reports_binlog_positions(server):
    client = server.client()
    client.set("k", "v")
    client.set("k2", "v2")
    replication = client.info("replication")
    filenum, offset = replication["db0"]["binlog_offset"].split()
    assert filenum == "0" and int(offset) > 0 and replication["db0"]["safety_purge"] == "none"
    assert replication["slave_repl_offset"] == replication["master_repl_offset"] == int(offset)
    assert client.info("data")["log_size"] == int(offset)


def test_dump_tool_prints_each_item(server):
    import subprocess
    import sys

    client = server.client()
    client.set("k", "hello world")
    client.delete("k")
    directory = os.path.join(server.data_dir, "log", "log_db0")
    result = subprocess.run([sys.executable, "-m", "pypika_store.binlog.dump", directory],
                            capture_output=True, text=True, check=True, timeout=60)
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and "# 2 items" in result.stderr
    assert lines[0].startswith("0:0 logic_id=1 term=0 time=") and lines[0].endswith("set k b'hello world'")
    assert lines[1].split(" ", 1)[1].startswith("logic_id=2") and lines[1].endswith("del k")
