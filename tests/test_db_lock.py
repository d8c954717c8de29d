"""The DB lock's handed-over exclusive sections, its timed waits and holds in INFO, and a
bgsave's worker thread and folder swap (issue #16: bgsave must not stall the event loop)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from pypika_store.engine import Engine
from pypika_store.locks import SAMPLE_SIZE, DBLock, DurationSample
from pypika_store.snapshot import read_info, take_snapshot
from pypika_store.testing import PikaServer

from .support import wait_until


def test_a_duration_sample_keeps_the_latest_and_counts_all():
    sample = DurationSample()
    assert sample.percentiles_us(0.5, 0.99) == [0, 0]
    for number in range(3 * SAMPLE_SIZE):
        sample.add(number / 1_000_000)  # number µs
    assert len(sample) == SAMPLE_SIZE and sample.count == 3 * SAMPLE_SIZE
    oldest_kept = 2 * SAMPLE_SIZE
    assert sample.percentiles_us(0.0, 0.5, 0.999) == [oldest_kept, oldest_kept + SAMPLE_SIZE // 2,
                                                      oldest_kept + int(SAMPLE_SIZE * 0.999)]


def test_a_free_lock_runs_the_section_in_the_caller():
    lock = DBLock()
    assert lock.run_exclusive(threading.current_thread) is threading.current_thread()
    assert lock.exclusive_waits.count == lock.exclusive_holds.count == 1
    assert lock.shared_waits.count == 0


def test_the_turn_in_progress_runs_a_waiting_section_as_it_releases():
    lock = DBLock()
    lock.acquire_shared()  # a turn in progress, on this (the loop's) thread
    outcome = {}

    def bgsave() -> None:
        outcome["ran in"] = lock.run_exclusive(threading.current_thread)

    saver = threading.Thread(target=bgsave)
    saver.start()
    wait_until(lambda: lock._handovers, what="the section to be handed over")
    assert "ran in" not in outcome  # nothing runs while the turn holds the lock
    lock.release_shared()
    saver.join()
    assert outcome["ran in"] is threading.current_thread()  # the releasing turn ran it
    assert lock.exclusive_waits.count == 1 and lock.shared_waits.count == 0
    lock.acquire_shared()  # the next turn finds the lock free
    lock.release_shared()


def test_a_section_error_reaches_its_caller_and_frees_the_lock():
    lock = DBLock()
    lock.acquire_shared()
    errors = []

    def failing() -> None:
        raise OSError("no room")

    def bgsave() -> None:
        try:
            lock.run_exclusive(failing)
        except OSError as exc:
            errors.append(exc)

    saver = threading.Thread(target=bgsave)
    saver.start()
    wait_until(lambda: lock._handovers, what="the section to be handed over")
    lock.release_shared()
    saver.join()
    assert [str(error) for error in errors] == ["no room"]
    assert lock.run_exclusive(lambda: "free again") == "free again"


def _in_acquire_shared(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident)  # type: ignore[arg-type]
    return frame is not None and frame.f_code is DBLock.acquire_shared.__code__


def test_a_turn_that_finds_a_section_running_waits_and_is_counted():
    lock = DBLock()
    running, finish = threading.Event(), threading.Event()

    def section() -> None:
        running.set()
        finish.wait()

    saver = threading.Thread(target=lock.run_exclusive, args=(section,))
    saver.start()
    running.wait()
    turn = threading.Thread(target=lock.acquire_shared)
    turn.start()
    wait_until(lambda: _in_acquire_shared(turn), what="the turn to wait for the section")
    finish.set()
    turn.join()
    saver.join()
    assert lock.shared_waits.count == 1 and lock.shared_waits[0] > 0


def _write_load(server: PikaServer, stop: threading.Event) -> None:
    client = server.client()
    number = 0
    while not stop.is_set():
        pipe = client.pipeline(transaction=False)
        for _ in range(50):
            pipe.set(f"key:{number % 500}", number)
            number += 1
        pipe.execute()
    client.close()


def test_info_shows_the_lock_percentiles_and_one_worker_serves_every_bgsave(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        stop = threading.Event()
        writers = [threading.Thread(target=_write_load, args=(server, stop)) for _ in range(2)]
        for writer in writers:
            writer.start()
        client = server.client()
        workers = set()
        try:
            for _ in range(10):
                client.bgsave()
                workers.add(server.server.bgsave._worker)
                wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=30)
        finally:
            stop.set()
            for writer in writers:
                writer.join()
        info = client.info("persistence")
        (worker,) = workers
        for name in ("bgsave_lock_hold", "bgsave_lock_wait", "turn_lock_wait"):
            p50, p99, p999 = (info[f"{name}_{label}_us"] for label in ("p50", "p99", "p999"))
            assert 0 <= p50 <= p99 <= p999, name
        assert server.server.engine.lock.exclusive_holds.count == 10
        assert 0 < info["bgsave_lock_hold_p999_us"] < 100_000
        assert info["turn_lock_waits"] == server.server.engine.lock.shared_waits.count
        assert info["bgsave_offset_mismatches"] == 0
    assert not worker.is_alive()  # stopped with the server


@pytest.fixture
def engine(tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=4, binlog_path=str(tmp_path / "log"))
    yield engine
    engine.close()


def _write(engine: Engine, key: bytes, value: bytes) -> None:
    engine.keyspaces[0].set_string(key, value)
    engine.log_changes()
    engine.end_turn()


def test_a_new_snapshot_replaces_the_days_one_and_leaves_no_staging(engine, tmp_path):
    folder = str(tmp_path / "dump" / "20261201")
    _write(engine, b"k", b"first")
    take_snapshot(engine, folder, "127.0.0.1", 9221)
    _write(engine, b"k", b"second")
    snapshot = take_snapshot(engine, folder, "127.0.0.1", 9221)
    assert sorted(os.listdir(tmp_path / "dump")) == ["20261201"]
    assert sorted(os.listdir(folder)) == ["db0", "db1", "db2", "db3", "lmdb"]
    assert read_info(folder, 0)[2] == 2 and snapshot.positions[0].consistent
    copy = Engine(os.path.join(folder, "lmdb"), databases=4)  # leaves a lock.mdb in the snapshot
    assert copy.keyspaces[0].get_string(b"k") == b"second"
    copy.close()
    take_snapshot(engine, folder, "127.0.0.1", 9221)  # replaces a folder holding more than a snapshot
    assert sorted(os.listdir(os.path.join(folder, "lmdb"))) == ["data.mdb"]


def test_leftovers_of_a_save_cut_short_are_removed(engine, tmp_path):
    folder = str(tmp_path / "dump" / "20261201")
    for leftover in (folder + ".tmp", folder + ".old"):
        os.makedirs(os.path.join(leftover, "db0"))
    _write(engine, b"k", b"v")
    take_snapshot(engine, folder, "127.0.0.1", 9221)
    assert sorted(os.listdir(tmp_path / "dump")) == ["20261201"]
