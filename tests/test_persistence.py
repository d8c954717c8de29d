"""Data survives restarts; acknowledged writes survive a crash (SIGKILL) of the server process."""

from __future__ import annotations

import pytest
from pypika_store.testing import PikaServer
from pypika_store.testing.crash import crash_during_writes


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


@pytest.mark.parametrize("policy, trial", [("always", 0), ("always", 1), ("always", 2), ("everysec", 0), ("no", 0)])
def test_sigkill_during_writes_loses_nothing_and_data_equals_the_binlog(tmp_path, policy, trial):
    result = crash_during_writes(str(tmp_path), policy, after_acks=300 + 250 * trial)
    assert result.acknowledged >= 300
    assert not result.lost, f"{len(result.lost)} acknowledged writes lost under sync-policy {policy}"
    assert result.data_matches_binlog
