"""Real Redis Sentinels watching an ACL-protected pypika-store group: they log in with
``auth-user``/``auth-pass`` as a user with only the commands Sentinel needs, the slaves sync
with ``masteruser``/``masterauth``, and a failover works through those permissions alone."""

from __future__ import annotations

import os

import pytest

from pypika_store.testing import PikaGroup, SentinelGroup

from .support import wait_until

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/bin/redis-sentinel") and not os.environ.get("PYPIKA_REQUIRE_REDIS"),
    reason="redis-sentinel is not installed")

#: The users of the group: Sentinel's (the commands Redis' documentation lists for it) and the slaves'.
USERS = ("user default on >adminpass ~* &* +@all\n"
         "user sentinel on >sentinelpass allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite "
         "+role +publish +info +client|setname +client|kill +script|kill\n"
         "user repl on >replpass +pikarepl +ping\n")


def test_failover_with_acl_users(tmp_path):
    users = tmp_path / "users.acl"
    users.write_text(USERS)
    config = {"aclfile": str(users), "masteruser": "repl", "masterauth": "replpass"}
    with PikaGroup(slaves=2, mode="process", config=config, password="adminpass") as group:
        group.wait_synced()
        with SentinelGroup(group.master, password="sentinelpass", user="sentinel") as sentinels:
            sentinels.wait_for_replicas(2)
            group.master.client().set("before", "1")
            group.wait_synced()
            clients = group.master.client().client_list()
            assert any(client["user"] == "sentinel" for client in clients)
            group.master.kill()
            host, port = sentinels.wait_for_failover(old=group.master.port)
            promoted = next(slave for slave in group.slaves if slave.port == port)
            other = next(slave for slave in group.slaves if slave.port != port)
            wait_until(lambda: promoted.client().info("replication")["role"] == "master", timeout=30,
                       what="the promoted slave to be master")
            promoted.client().set("after", "2")
            wait_until(lambda: other.client().get("after") == b"2", timeout=60,
                       what="the other slave to follow the new master as user repl")
            assert [entry for entry in promoted.client().acl_log() if entry["username"] == "sentinel"] == []
