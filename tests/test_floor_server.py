"""benchmarks/floor_server.py does the work it is measured for: at each level it answers what
redis-benchmark's set, get, incr and lpush tests read as redis-server does, and at ``binlog`` it
writes the items pypika-store's binlog reader reads back, byte for byte what pypika-store's
encoder makes."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from typing import Iterator

import lmdb
import pytest

from benchmarks.floor_server import LEVELS
from pypika_store.binlog import BinlogItem, BinlogReader
from pypika_store.binlog.format import decode_command, encode_command, frame
from pypika_store.binlog.reader import file_path
from pypika_store.testing import free_port

from .support import Differential, RawConnection, wait_until

FLOOR_SERVER = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "floor_server.py"


class FloorServer:
    """benchmarks/floor_server.py at one level, on a free port and in a temporary folder."""

    def __init__(self, level: str) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="floor-")
        self.binlog_dir = os.path.join(self.dir, "log", "log_db0")
        self.process = subprocess.Popen(
            [sys.executable, str(FLOOR_SERVER), "--port", str(self.port), "--dir", self.dir, "--level", level],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def answers() -> bool:
            try:
                probe = RawConnection(self.port)
            except OSError:
                return False
            pong = probe.call("PING")
            probe.close()
            return pong == "PONG"

        wait_until(answers, what="the floor server to answer PING")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(params=LEVELS)
def floor(request) -> Iterator[FloorServer]:
    server = FloorServer(request.param)
    yield server
    server.stop()


@pytest.fixture
def floor_diff(real_redis, floor) -> Iterator[Differential]:
    differential = Differential(real_redis.port, floor.port)
    differential.redis.call("FLUSHALL")
    yield differential
    differential.redis.call("FLUSHALL")
    differential.close()


def test_answers_redis_benchmarks_commands_as_redis_server(floor_diff) -> None:
    floor_diff.check_all([
        ("GET", "key:__rand_int__"),
        ("SET", "key:__rand_int__", "xxx"),
        ("GET", "key:__rand_int__"),
        ("SET", "key:__rand_int__", "yyyy"),
        ("GET", "key:__rand_int__"),
        ("INCR", "counter:__rand_int__"),
        ("INCR", "counter:__rand_int__"),
        ("GET", "counter:__rand_int__"),
        ("LPUSH", "mylist", "xxx"),
        ("LPUSH", "mylist", "a", "b", "c"),
        ("incr", "key:__rand_int__"),
        ("get", "mylist"),
        ("INCR", "mylist"),
        ("LPUSH", "key:__rand_int__", "x"),
        ("SET", "mylist", "7"),
        ("INCR", "mylist"),
        ("LPUSH", "mylist", "x"),
        ("SET", "big", str(2**63 - 1)),
        ("INCR", "big"),
        ("SET", "big", str(2**63)),
        ("INCR", "big"),
    ])


def test_a_pipeline_gets_its_replies_in_order(floor_diff) -> None:
    """redis-benchmark -P 16: the replies of one read come back together, in order."""
    commands = [("SET", "key", "xxx"), ("GET", "key"), ("INCR", "counter"), ("LPUSH", "mylist", "xxx")] * 4
    assert floor_diff.redis.pipeline(commands) == floor_diff.pika.pipeline(commands)


def test_the_binlog_holds_one_item_per_write_as_pypika_store_writes_it() -> None:
    server = FloorServer("binlog")
    try:
        connection = RawConnection(server.port)
        assert connection.pipeline([("SET", "key", "xxx"), ("GET", "key"), ("INCR", "counter"), ("INCR", "counter"),
                                    ("LPUSH", "mylist", "a", "b")]) == ["OK", b"xxx", 1, 2, 2]
        connection.close()
        items = list(BinlogReader(server.binlog_dir).items())
        assert [decode_command(item.content) for _start, _end, item in items] == [
            [b"set", b"key", b"xxx"], [b"set", b"counter", b"1"], [b"set", b"counter", b"2"],
            [b"LPUSH", b"mylist", b"a", b"b"]]
        assert [item.logic_id for _start, _end, item in items] == [1, 2, 3, 4]
        _start, end, first = items[0]
        expected = frame(BinlogItem(first.exec_time, 0, 1, 0, 0, encode_command([b"set", b"key", b"xxx"])).encode(),
                         0, True, first.exec_time)
        with open(file_path(server.binlog_dir, 0), "rb") as handle:
            assert handle.read(end.offset) == expected
    finally:
        server.stop()


@pytest.mark.parametrize("level", ["lmdb", "binlog"])
def test_writes_are_committed_to_lmdb_before_their_replies(level: str) -> None:
    """Another LMDB reader sees a write as soon as its reply has come back."""
    server = FloorServer(level)
    try:
        connection = RawConnection(server.port)
        assert connection.pipeline([("SET", "key", "xxx"), ("LPUSH", "mylist", "a", "b")]) == ["OK", 2]
        environment = lmdb.open(os.path.join(server.dir, "db"), max_dbs=2, readonly=True)
        with environment.begin() as txn:
            assert txn.get(b"key", db=environment.open_db(b"meta", txn=txn)) == b"sxxx"
            assert [value for _key, value in txn.cursor(db=environment.open_db(b"members", txn=txn))] == [b"b", b"a"]
        environment.close()
        connection.close()
    finally:
        server.stop()
