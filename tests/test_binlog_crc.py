"""Where the binlog's CRC-32C runs (pypika_store/checksums.py's choice, tests/test_checksums.py), and
the engine's fast paths on the write and read path giving the same data and binlog."""

from __future__ import annotations

import importlib.util
import logging

from pypika_store import checksums
from pypika_store.binlog import format as binlog_format
from pypika_store.binlog.writer import BinlogWriter
from pypika_store.engine import Engine
from pypika_store.testing import PikaServer

from .test_binlog_records import logged


def test_info_says_where_the_crc_runs(tmp_path):
    assert importlib.util.find_spec("crcmod._crcfunext") is not None  # the project installs it
    assert checksums.IMPLEMENTATION in ("hardware", "c")
    with PikaServer(data_dir=str(tmp_path)) as server:
        assert server.client().info("data")["binlog_crc_implementation"] == checksums.IMPLEMENTATION


def test_the_engine_warns_once_at_start_when_the_crc_runs_in_python(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(binlog_format, "CRC_IMPLEMENTATION", "python")
    with caplog.at_level(logging.WARNING, logger="pypika_store.engine"):
        Engine(str(tmp_path / "db"), databases=2, binlog_path=str(tmp_path / "log")).close()
        Engine(str(tmp_path / "plain"), databases=2).close()  # no binlog: nothing to warn about
    warnings = [record.getMessage() for record in caplog.records if "pure Python" in record.getMessage()]
    assert len(warnings) == 1 and "crcmod._crcfunext" in warnings[0] and "crc32c" in warnings[0]


def test_a_batch_crossing_a_rotation_and_a_block_reads_back_whole(tmp_path):
    """prepare's pieces, joined once per file, give the items Pika's framing gives: an item
    split over a block boundary, a rotation inside a turn."""
    writer = BinlogWriter(str(tmp_path), file_size=1024)
    commands = [[b"set", b"k%d" % number, b"v" * (number * 9000)] for number in range(10)]
    placed = writer.append(commands, exec_time=7)
    assert len({start.filenum for start, _end, _logic_id in placed}) > 1
    assert [logic_id for _start, _end, logic_id in placed] == list(range(1, 11))
    writer.close()
    reopened = BinlogWriter(str(tmp_path), file_size=1024)
    assert reopened.position == placed[-1][1] and reopened.logic_id == 10
    reopened.close()


def test_collection_writes_keep_their_ttl_and_replay_after_a_restart(tmp_path):
    """A stored collection's meta is rewritten with one put: its expiry, its count and the
    binlog records stay those of the full write."""
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.rpush("list", "a", "b")
        client.pexpireat("list", 4102444800000)
        client.lpush("list", "z")
        client.zadd("zset", {"m": 1})
        client.zadd("zset", {"m": 2, "n": 3})
        client.hset("hash", "f", "1")
        client.hset("hash", "f", "2")
        assert logged(server)[-4:] == [[b"zadd", b"zset", b"1.0", b"m"], [b"zadd", b"zset", b"2.0", b"m", b"3.0", b"n"],
                                       [b"hset", b"hash", b"f", b"1"], [b"hset", b"hash", b"f", b"2"]]
        digest = client.execute_command("DEBUG", "DIGEST")
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        assert client.lrange("list", 0, -1) == [b"z", b"a", b"b"]
        assert client.pexpiretime("list") == 4102444800000
        assert client.zrange("zset", 0, -1, withscores=True) == [(b"m", 2.0), (b"n", 3.0)]
        assert client.hgetall("hash") == {b"f": b"2"}
        assert client.execute_command("DEBUG", "DIGEST") == digest


def test_lrange_walks_only_its_own_list(tmp_path):
    """The cursor walk of a range stops at the list's end, never in the next collection's
    members (the object ids are adjacent)."""
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.rpush("first", *[f"a{n}" for n in range(5)])
        client.rpush("second", *[f"b{n}" for n in range(5)])
        client.lpop("first", 2)
        assert client.lrange("first", 0, 100) == [b"a2", b"a3", b"a4"]
        assert client.lrange("first", -2, -1) == [b"a3", b"a4"]
        assert client.lrange("second", 3, 10) == [b"b3", b"b4"]
        assert client.lrange("second", 4, 2) == []
