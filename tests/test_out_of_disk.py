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

from pypika_store.binlog import BinlogWriter
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
        db.close()
    finally:
        server.stop()
