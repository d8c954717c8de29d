"""A slave logging in to an ACL-protected master with ``masteruser`` + ``masterauth``: the
PIKAREPL commands need the user's permission, a user without it is refused and logged."""

from __future__ import annotations

from pypika_store.testing import PikaServer

from .support import wait_until

_USERS = ("user default on >adminpass ~* &* +@all\n"
          "user repl on >replpass +pikarepl +ping\n"
          "user reader on >readpass ~* +@read\n")


def _converged(master, slave) -> bool:
    return master.execute_command("DEBUG", "DIGEST") == slave.execute_command("DEBUG", "DIGEST")


def _master(tmp_path) -> PikaServer:
    users = tmp_path / "users.acl"
    users.write_text(_USERS)
    return PikaServer(password="adminpass", config={"aclfile": str(users)})


def test_slave_syncs_as_its_acl_user(tmp_path):
    with _master(tmp_path) as master, PikaServer(config={"masteruser": "repl", "masterauth": "replpass"}) as slave:
        m, s = master.client(), slave.client()
        m.set("before", "1")
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link up")
        m.rpush("after", "a", "b")
        wait_until(lambda: _converged(m, s), timeout=30, what="the slave to converge")
        assert s.get("before") == b"1"
        assert [entry["username"] for entry in m.acl_log()] == []


def test_a_user_without_pikarepl_is_refused(tmp_path):
    with _master(tmp_path) as master, PikaServer(config={"masteruser": "reader", "masterauth": "readpass"}) as slave:
        m, s = master.client(), slave.client()
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: any(entry["object"] == "pikarepl|meta" for entry in m.acl_log()), timeout=30,
                   what="the master to log the refused PIKAREPL META")
        entry = next(entry for entry in m.acl_log() if entry["object"] == "pikarepl|meta")
        assert (entry["reason"], entry["username"]) == ("command", "reader")
        assert s.info("replication")["master_link_status"] == "down"
