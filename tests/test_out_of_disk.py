"""Out of disk: an error reply means nothing happened, and nothing acknowledged is lost.

The data (LMDB) and the binlog live on a small tmpfs the test mounts (the machine must let it
mount one: root or CAP_SYS_ADMIN; otherwise these tests are skipped, saying why), the server
runs as a child process under ``sync-policy always``, and the test fills the filesystem with a
file of its own until the kernel answers ENOSPC. Writes that need space then get a MISCONF
error and must leave no trace, neither in LMDB nor in the binlog, so not after a restart
either; reads go on working on every connection; the server stops on SIGTERM and starts on
the full disk; once the filler is deleted, writes work again.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
import redis

from pypika_store.binlog import BinlogReader, BinlogWriter
from pypika_store.binlog.format import decode_command
from pypika_store.binlog.reader import file_numbers, file_path
from pypika_store.testing import PikaServer

from .support import wait_until

#: Size of the filesystem the data and binlog live on.
DISK_SIZE = "24m"
#: A write this big always needs fresh pages, in LMDB and in the binlog.
BIG = 200 * 1024
#: Keys DEL and MSET are given: long names, so that the binlog records of one command span
#: several pages (a short record could still fit in the binlog file's last, half-used page).
MANY_KEYS = [b"k%03d-" % index + b"x" * 300 for index in range(100)]


@pytest.fixture
def small_disk() -> Iterator[str]:
    """A tmpfs of :data:`DISK_SIZE` mounted for this test, unmounted afterwards."""
    mount_point = tempfile.mkdtemp(prefix="pypika-small-disk-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", mount_point],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        os.rmdir(mount_point)
        pytest.skip(f"cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", mount_point], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mount_point], capture_output=True)
        os.rmdir(mount_point)


def fill(folder: str) -> str:
    """Fill the filesystem of ``folder`` to the last page; the filler file's path."""
    path = os.path.join(folder, "filler")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for chunk in (1024 * 1024, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(descriptor, block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(descriptor)
    return path


def start_on(disk: str, data_dir: str, **config: str) -> PikaServer:
    """A server process whose LMDB data and binlog are on ``disk`` (its log file is not: the
    fixture reads it to learn the server is up)."""
    settings = {"db-path": os.path.join(disk, "db"), "log-path": os.path.join(disk, "log"),
                "sync-policy": "always", **config}
    return PikaServer(mode="process", data_dir=data_dir, config=settings).start()


def stop_by_sigterm(server: PikaServer) -> None:
    """SIGTERM, and the process must exit by itself, cleanly."""
    process = server._process
    assert process is not None
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    server.stop()  # reaps the rest; the data folder is the caller's


def client_of(server: PikaServer) -> redis.Redis:
    return server.client(socket_timeout=15)


def assert_misconf(call, *args) -> str:
    with pytest.raises(redis.ResponseError) as refused:
        call(*args)
    message = str(refused.value)
    assert message.startswith("MISCONF "), message
    return message


def test_a_full_disk_refuses_writes_leaves_no_trace_and_recovers(small_disk, tmp_path):
    server = start_on(small_disk, str(tmp_path))
    try:
        db = client_of(server)
        acknowledged = {b"ack%d" % index: os.urandom(BIG) for index in range(3)}
        for key, value in acknowledged.items():
            assert db.set(key, value)
        db.mset({key: b"kept" for key in MANY_KEYS})
        filler = fill(small_disk)

        # A write that needs space is refused with MISCONF, on this connection ...
        message = assert_misconf(db.set, b"refused", os.urandom(BIG))
        assert "No space left on device" in message
        # ... which stays open and keeps answering reads.
        assert db.ping()
        assert db.get(b"ack0") == acknowledged[b"ack0"]
        assert db.get(b"refused") is None
        # A multi-key command is all or nothing.
        assert_misconf(db.delete, *MANY_KEYS)
        assert db.exists(*MANY_KEYS) == len(MANY_KEYS)
        assert_misconf(db.mset, {b"m%d" % index: os.urandom(4096) for index in range(50)})
        assert db.exists(*[b"m%d" % index for index in range(50)]) == 0
        # A pipeline: what did not touch the data keeps its reply; what read the failed
        # turn's data gets the error too (it may have seen the write that was not applied).
        # The GET is in the SET's turn only when the big request arrived in one read; in a
        # later turn it reads the committed data. Either way it never sees the refused write.
        pipeline = db.pipeline(transaction=False)
        pipeline.ping().set(b"refused", os.urandom(BIG)).get(b"ack0")
        ping, refused_set, read_after = pipeline.execute(raise_on_error=False)
        assert ping is True
        assert str(refused_set).startswith("MISCONF ")
        assert str(read_after).startswith("MISCONF ") or read_after == acknowledged[b"ack0"]
        # A fresh connection reads, and its write gets the error instead of hanging.
        fresh = client_of(server)
        assert fresh.get(b"ack1") == acknowledged[b"ack1"]
        assert_misconf(fresh.set, b"refused2", os.urandom(BIG))
        fresh.close()
        db.close()
        stop_by_sigterm(server)

        # It starts on the still-full disk, with exactly the acknowledged writes.
        fill(small_disk)
        server = start_on(small_disk, str(tmp_path))
        db = client_of(server)
        assert db.mget(list(acknowledged)) == list(acknowledged.values())
        assert db.exists(b"refused", b"refused2", *[b"m%d" % index for index in range(50)]) == 0
        assert db.exists(*MANY_KEYS) == len(MANY_KEYS)
        assert_misconf(db.set, b"refused3", os.urandom(BIG))

        # Space is back: writes work again, and last.
        os.unlink(filler)
        assert db.set(b"after", b"v" * BIG)
        assert db.delete(*MANY_KEYS) == len(MANY_KEYS)
        db.close()
        stop_by_sigterm(server)
        server = start_on(small_disk, str(tmp_path))
        db = client_of(server)
        assert db.get(b"after") == b"v" * BIG
        assert db.exists(b"refused", b"refused2", b"refused3", *MANY_KEYS) == 0
        # SHUTDOWN works on a full disk too.
        fill(small_disk)
        with pytest.raises(redis.ConnectionError):
            db.execute_command("SHUTDOWN")
        assert server._process.wait(15) == 0
        db.close()
    finally:
        server.stop()


def binlog_bytes(log_path: str) -> int:
    directory = os.path.join(log_path, "log_db0")
    return sum(os.path.getsize(file_path(directory, number)) for number in file_numbers(directory))


def test_a_commit_lmdb_refuses_cuts_the_binlog_back(small_disk, tmp_path):
    """The binlog (on another, roomy filesystem) takes the turn, then LMDB cannot: the items
    written for the turn are cut off again, so a restart does not replay them."""
    log_path = str(tmp_path / "binlog")
    server = start_on(small_disk, str(tmp_path), **{"log-path": log_path})
    try:
        db = client_of(server)
        assert db.set(b"ack", b"a" * BIG)
        fill(small_disk)
        written = binlog_bytes(log_path)
        message = assert_misconf(db.set, b"refused", os.urandom(BIG))
        assert message.startswith("MISCONF Errors writing to the data files: No space left on device"), message
        assert_misconf(db.delete, b"ack")  # LMDB needs new pages for a delete too
        assert binlog_bytes(log_path) == written
        db.close()
        stop_by_sigterm(server)
        server = start_on(small_disk, str(tmp_path), **{"log-path": log_path})
        db = client_of(server)
        assert db.get(b"ack") == b"a" * BIG and db.exists(b"refused") == 0
        db.close()
    finally:
        server.stop()


def test_a_start_up_replay_that_cannot_write_leaves_the_server_read_only_until_space_is_back(small_disk, tmp_path):
    server = start_on(small_disk, str(tmp_path))
    try:
        assert client_of(server).set(b"before", b"1")
        stop_by_sigterm(server)
        # Items the data does not include, as a crash between the binlog write and the LMDB
        # commit leaves them; replaying them needs more pages than the full disk has.
        writer = BinlogWriter(os.path.join(small_disk, "log", "log_db0"))
        values = {b"replayed%d" % index: os.urandom(1024 * 1024) for index in range(4)}
        writer.append([[b"set", key, value] for key, value in values.items()])
        writer.sync()
        writer.close()
        filler = fill(small_disk)

        server = start_on(small_disk, str(tmp_path))
        db = client_of(server)
        assert db.ping() and db.get(b"before") == b"1"
        message = assert_misconf(db.set, b"small", b"1")
        assert "binlog replay" in message and "No space left on device" in message, message
        assert db.exists(b"small") == 0

        os.unlink(filler)
        wait_until(lambda: db.exists(*values) == len(values), what="the replay to complete")
        assert db.mget(list(values)) == list(values.values())
        assert db.set(b"small", b"1")
        db.close()
        stop_by_sigterm(server)
        server = start_on(small_disk, str(tmp_path))
        db = client_of(server)
        assert db.mget([b"before", b"small", *values]) == [b"1", b"1", *values.values()]
        db.close()
    finally:
        server.stop()


def test_the_lmdb_map_grows_by_itself(tmp_path):
    """``lmdb-map-size`` is where the map starts, not a ceiling."""
    config = {"lmdb-map-size": 1024 * 1024}
    with PikaServer(data_dir=str(tmp_path / "server"), config=config) as server:
        db = server.client()
        values = {b"k%d" % index: os.urandom(100 * 1024) for index in range(30)}
        for key, value in values.items():
            assert db.set(key, value)
        big = os.urandom(8 * 1024 * 1024)
        assert db.set(b"big", big)  # one request bigger than the map: grown for it first
        env = server.server.engine.env
        map_size = env.map_size()
        assert map_size > 11 * 1024 * 1024
        # A small request that writes more than the whole map: its turn is refused and leaves
        # nothing, the map grows, and the same command succeeds when sent again.
        with pytest.raises(redis.ResponseError, match="^MISCONF The data map was full"):
            db.setrange(b"huge", map_size, b"x")
        assert db.exists(b"huge") == 0
        assert db.setrange(b"huge", map_size, b"x") == map_size + 1
        assert env.map_size() > map_size
        db.close()
    with PikaServer(data_dir=str(tmp_path / "server"), config=config) as server:
        db = server.client()
        assert db.mget(list(values)) == list(values.values())
        assert db.get(b"big") == big and db.strlen(b"huge") == map_size + 1
        assert db.set(b"after", os.urandom(2 * 1024 * 1024))
        db.close()


def disk_with_room(real_pwrite, room: int):
    """A pwrite on a disk with ``room`` bytes left: it writes what fits, then fails ENOSPC."""

    def pwrite(descriptor: int, data, offset: int) -> int:
        nonlocal room
        if not room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_pwrite(descriptor, bytes(data[:room]), offset)
        room -= written
        return written

    return pwrite


@pytest.mark.parametrize("file_size, room", [(1024 * 1024, 1000), (1024, 1500)],
                         ids=["inside a file", "after a rotation"])
def test_a_binlog_write_that_fails_part_way_is_cut_back(tmp_path, monkeypatch, file_size, room):
    directory = str(tmp_path)
    writer = BinlogWriter(directory, file_size)
    writer.append([[b"set", b"a", b"1"]])
    before = writer.mark()
    batch = writer.prepare([[b"set", b"b%d" % index, b"x" * 600] for index in range(4)])
    assert len({start.filenum for start, _end, _logic_id in batch.placed}) == (2 if file_size == 1024 else 1)
    with monkeypatch.context() as patched:
        patched.setattr(os, "pwrite", disk_with_room(os.pwrite, room))
        with pytest.raises(OSError):
            writer.write(batch)
    assert writer.mark() == before
    assert file_numbers(directory) == [before.position.filenum]
    assert os.path.getsize(file_path(directory, before.position.filenum)) == before.position.offset
    (start, _end, logic_id), = writer.append([[b"set", b"c", b"3"]])
    assert (start, logic_id) == (before.position, before.logic_id + 1)
    writer.close()
    reopened = BinlogWriter(directory, file_size)
    assert reopened.position == writer.position and reopened.logic_id == before.logic_id + 1
    reopened.close()
    commands = [decode_command(item.content) for _start, _end, item in BinlogReader(directory).items()]
    assert commands == [[b"set", b"a", b"1"], [b"set", b"c", b"3"]]
