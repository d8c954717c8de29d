"""bgsave: snapshots paired with their exact binlog offsets, and the lock-scope trade-off."""

from __future__ import annotations

import os
import threading

import pytest
import redis

from pypika_store.binlog import Position
from pypika_store.engine import Engine
from pypika_store.snapshot import read_info
from pypika_store.testing import PikaServer

from .support import wait_until


def snapshot_folders(server) -> list[str]:
    dump = os.path.join(server.data_dir, "dump")
    return [os.path.join(dump, name) for name in os.listdir(dump)] if os.path.isdir(dump) else []


def test_bgsave_save_lastsave(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.set("k", "v")
        before = client.lastsave()
        assert client.bgsave()  # +Background saving started
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0 and snapshot_folders(server))
        (folder,) = snapshot_folders(server)
        position, term, logic_id = read_info(folder, 0)
        assert logic_id == 1 and position.filenum == 0 and position.offset > 0 and term == 0
        info_lines = open(os.path.join(folder, "db0", "info")).read().splitlines()
        assert info_lines[0].endswith("s") and info_lines[1:3] == ["127.0.0.1", str(server.port)]
        copy = Engine(os.path.join(folder, "lmdb"), databases=16)
        assert copy.keyspaces[0].get_string(b"k") == b"v"
        assert copy.applied_position(0) == (position, logic_id)
        copy.close()
        client.set("k2", "v2")
        assert client.save() and client.lastsave() >= before
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"


def _hammer(server, stop: threading.Event) -> None:
    client = server.client()
    number = 0
    while not stop.is_set():
        pipe = client.pipeline(transaction=False)
        for _ in range(20):
            pipe.incr(f"counter{number % 50}")
            number += 1
        try:
            pipe.execute()
        except redis.ConnectionError:
            return


def _bgsave_trials(scope: str, trials: int, tmp_path) -> int:
    """Run BGSAVEs under a concurrent write load; return how many mismatched their data."""
    with PikaServer(data_dir=str(tmp_path / scope), config={"bgsave-lock-scope": scope}) as server:
        stop = threading.Event()
        writers = [threading.Thread(target=_hammer, args=(server, stop)) for _ in range(3)]
        for writer in writers:
            writer.start()
        client = server.client()
        try:
            for trial in range(trials):
                client.execute_command("BGSAVE")
                wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=30)
            info = client.info("persistence")
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        assert info["bgsave_lock_hold_p99_us"] < 100_000
        return info["bgsave_offset_mismatches"]


def test_default_scope_never_mismatches(tmp_path):
    assert _bgsave_trials("command+binlog", 60, tmp_path) == 0


def test_command_scope_reproduces_pikas_bug(tmp_path):
    """With the lock around the command only, some snapshot records an offset behind its data."""
    assert _bgsave_trials("command", 60, tmp_path) > 0


def test_concurrent_bgsaves_coalesce_and_old_dumps_expire(tmp_path):
    with PikaServer(data_dir=str(tmp_path), config={"dump-expire": 3}) as server:
        old = os.path.join(server.data_dir, "dump", "20000101")
        os.makedirs(old)
        client = server.client()
        client.set("k", "v")
        assert client.bgsave() and client.bgsave()  # the second joins the first
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0 and not os.path.exists(old))
        assert len(snapshot_folders(server)) == 1


def test_shutdown_waits_for_a_bgsave_in_progress(tmp_path):
    server = PikaServer(mode="process", data_dir=str(tmp_path))
    server.start()
    client = server.client()
    client.mset({f"k{n}": "x" * 1000 for n in range(5000)})
    client.bgsave()
    client.shutdown()  # redis-py treats the closed connection as success
    server.stop()  # the process exits by itself; stop() reaps it
    with PikaServer(data_dir=str(tmp_path)) as again:
        assert again.client().dbsize() == 5000
        (folder,) = snapshot_folders(again)
        assert read_info(folder, 0)[2] == 5000  # the snapshot finished: logic_id of the last MSET record


def test_lock_scope_changes_at_run_time(r):
    assert r.info("persistence")["bgsave_lock_scope"] == "command+binlog"
    r.config_set("bgsave-lock-scope", "command")
    try:
        assert r.info("persistence")["bgsave_lock_scope"] == "command"
        r.set("k", "v")  # writes still work, their binlog written after the lock
        assert r.get("k") == b"v"
    finally:
        r.config_set("bgsave-lock-scope", "command+binlog")
