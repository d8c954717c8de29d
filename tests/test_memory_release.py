"""Memory a big value took is given back once it is gone (the server's resident size, read
from /proc, returns near where it was: heap and LMDB's mapped pages both)."""

from __future__ import annotations

import os
import sys

import pytest

from pypika_store.testing import PikaServer

from .support import wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")

VALUE = 48 * 1024 * 1024
#: What the process may keep above its size before the value (caches, the allocator's slack).
SLACK = 16 * 1024 * 1024


def status(pid: int, *names: str) -> int:
    """The sum of fields of /proc/<pid>/status, in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as lines:
        fields = dict(line.split(":", 1) for line in lines)
    return sum(int(fields[name].split()[0]) * 1024 for name in names)


def resident(pid: int) -> int:
    """Resident bytes: the heap (RssAnon) and mapped files, LMDB's data file among them (RssFile)."""
    return status(pid, "RssAnon", "RssFile")


def peak(pid: int) -> int:
    """The most the process was ever resident (VmHWM)."""
    return status(pid, "VmHWM")


@pytest.mark.parametrize("use_hiredis", ["yes", "no"])
def test_a_big_value_read_and_deleted_leaves_no_memory_behind(use_hiredis):
    with PikaServer(mode="process", config={"use-hiredis": use_hiredis}) as server:
        client = server.client()
        client.set(b"small", b"1")
        before = resident(server.pid)
        client.set(b"big", os.urandom(VALUE))
        assert len(client.get(b"big")) == VALUE
        assert peak(server.pid) > before + VALUE // 2  # the value did take memory
        assert client.delete(b"big") == 1
        wait_until(lambda: resident(server.pid) < before + SLACK, what="the memory to be given back")
        client.close()


def test_a_client_that_goes_mid_request_leaves_no_memory_behind():
    with PikaServer(mode="process") as server:
        client = server.client()
        client.ping()
        before = resident(server.pid)
        connection = client.connection_pool.get_connection()
        connection.send_packed_command([b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * VALUE),
                                        os.urandom(VALUE)])
        wait_until(lambda: peak(server.pid) > before + VALUE // 2, what="the request to arrive")
        connection.disconnect()
        wait_until(lambda: resident(server.pid) < before + SLACK, what="the memory to be given back")
        assert client.exists(b"k") == 0
        client.close()
