"""Data survives restarts; acknowledged writes survive a crash (SIGKILL) of the server process."""

from __future__ import annotations

import threading

import pytest
import redis

from pypika_store.testing import PikaServer

from .support import wait_until


def test_restart_keeps_everything(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.mset({f"k{n}": f"v{n}" for n in range(500)})
        client.set(b"\x00bin\xff", b"\x00\xff" * 1000)
        client.set("ttl", "v", ex=1000)
        client.execute_command("SELECT", "3")
        client.set("in-db3", "x")
        client.close()
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        assert client.dbsize() == 502
        assert client.mget([f"k{n}" for n in range(500)]) == [f"v{n}".encode() for n in range(500)]
        assert client.get(b"\x00bin\xff") == b"\x00\xff" * 1000
        assert 990 < client.ttl("ttl") <= 1000
        client.execute_command("SELECT", "3")
        assert client.get("in-db3") == b"x"
        client.close()


def _write_until_killed(server: PikaServer, acknowledged: list[int]) -> None:
    """Write keys one by one and in pipelines, recording each acknowledged one, until the
    server dies under us (the write in flight then was not acknowledged)."""
    client = server.client()
    number = 0
    try:
        while True:
            if number % 3:
                client.set(f"key{number}", number)
                acknowledged.append(number)
                number += 1
            else:
                pipe = client.pipeline(transaction=False)
                batch = list(range(number, number + 10))
                for each in batch:
                    pipe.set(f"key{each}", each)
                pipe.execute()
                acknowledged.extend(batch)
                number += 10
    except (redis.ConnectionError, OSError):
        return


@pytest.mark.parametrize("policy, trial", [("always", 0), ("always", 1), ("always", 2), ("everysec", 0), ("no", 0)])
def test_sigkill_during_writes_loses_no_acknowledged_write(tmp_path, policy, trial):
    server = PikaServer(mode="process", data_dir=str(tmp_path), config={"sync-policy": policy}).start()
    acknowledged: list[int] = []
    writer = threading.Thread(target=_write_until_killed, args=(server, acknowledged))
    writer.start()
    wait_until(lambda: len(acknowledged) >= 300 + 250 * trial, timeout=60, what="writes to be acknowledged")
    server.kill()  # while the writer is still writing
    writer.join(60)
    assert not writer.is_alive()
    server.start()
    try:
        client = server.client()
        values = client.mget([f"key{n}" for n in acknowledged])
        missing = [n for n, value in zip(acknowledged, values) if value != str(n).encode()]
        assert not missing, f"{len(missing)} acknowledged writes lost under sync-policy {policy}"
        client.close()
    finally:
        server.stop()
