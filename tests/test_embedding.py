"""The embedding API: PikaServer in a thread or a process."""

from __future__ import annotations

import os
import threading

import pytest
import redis

from pypika_store.testing import PikaServer


def _listening_inodes(port: int) -> set[str]:
    """The inodes of the sockets listening on 127.0.0.1:``port`` (/proc/net/tcp's state 0A)."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return {row[9] for row in rows if row[1] == f"0100007F:{port:04X}" and row[3] == "0A"}


def _socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process ``pid`` holds open (none once it has exited)."""
    inodes = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return inodes
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` listens on ``port``. Asked of the kernel rather than by connecting:
    on a shared machine any other process may take the freed port at once (a connect would reach
    it; redis-py 8 even retries a refused connect for seconds)."""
    return bool(_listening_inodes(port) & _socket_inodes(pid))


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_start_use_stop(mode):
    with PikaServer(mode=mode) as server:
        assert server.port > 0 and server.url == f"redis://127.0.0.1:{server.port}/0"
        pid = server.pid or os.getpid()
        assert _listens(pid, server.port)
        client = server.client()
        assert client.set("k", "v") and client.get("k") == b"v"
        assert redis.Redis.from_url(server.url).get("k") == b"v"
        data_dir = server.data_dir
        client.close()
    assert not os.path.exists(data_dir)  # a temporary folder is removed on stop
    assert not _listens(pid, server.port)  # the listener is closed (a process' with it)


def test_several_servers_at_once_never_clash():
    servers = []
    errors = []

    def start() -> None:
        try:
            servers.append(PikaServer().start())
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors and len({server.port for server in servers}) == 4
        for number, server in enumerate(servers):
            server.client().set("who", number)
        assert [server.client().get("who") for server in servers] == [str(n).encode() for n in range(4)]
    finally:
        for server in servers:
            server.stop()


def test_password_and_restart_keep_data(tmp_path):
    server = PikaServer(password="pw", data_dir=str(tmp_path)).start()
    try:
        assert server.url.startswith("redis://:pw@")
        server.client().set("kept", "yes")
        port = server.port
        server.restart()
        assert server.port == port and server.client().get("kept") == b"yes"
    finally:
        server.stop()
    assert os.path.isdir(tmp_path)  # a folder the caller gave is the caller's


def test_kill_needs_process_mode():
    with PikaServer() as server:
        with pytest.raises(RuntimeError, match="process"):
            server.kill()
