"""Lazy and active expiry, and TTLs across restarts."""

from __future__ import annotations

from pypika_store.testing import PikaServer

from .support import wait_until


def test_active_expiry_removes_keys_nobody_reads(r):
    r.mset({f"keep{n}": n for n in range(10)})
    for number in range(300):
        r.set(f"temp{number}", 1, px=50)
    wait_until(lambda: r.dbsize() == 10, what="active expiry to delete 300 keys")
    assert r.info("stats")["expired_keys"] >= 300


def test_expired_keys_are_never_returned(r):
    r.set("short", "v", px=20)
    r.set("long", "v", ex=100)
    wait_until(lambda: r.pttl("short") == -2, what="short to expire")
    assert r.get("short") is None
    assert r.exists("short") == 0
    assert r.type("short") == b"none"
    assert r.ttl("short") == -2
    assert r.keys("*") == [b"long"]
    assert r.scan(0, count=100)[1] == [b"long"]
    assert r.randomkey() == b"long"


def test_ttls_survive_a_restart():
    with PikaServer() as server:
        client = server.client()
        client.set("ttl", "v", ex=1000)
        client.set("plain", "v")
        client.set("soon", "v", px=300)
        client.close()
        server.restart()
        client = server.client()
        assert 990 <= client.ttl("ttl") <= 1000
        assert client.ttl("plain") == -1
        wait_until(lambda: client.dbsize() == 2, what="the restored index to expire 'soon'")
        client.close()
