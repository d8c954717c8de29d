"""Generic key commands on every collection type, compared with redis-server, with Redis'
DEBUG DIGEST comparing the whole dataset after each scenario."""

from __future__ import annotations

import pytest

from .support import wait_until

FILL = [
    ("HSET", "h", "f1", "v1", "f2", "v2"), ("RPUSH", "l", "a", "b", "c"), ("SADD", "s", "x", "y"),
    ("ZADD", "z", "1", "m1", "2.5", "m2"), ("SET", "str", "v"), ("PFADD", "hll", "a", "b"),
    ("XADD", "x", "1-1", "f", "v", "g", "w"), ("XADD", "x", "2-0", "f", "v2"),
]

SCENARIOS = {
    "type_and_digest": [*FILL, ("TYPE", "h"), ("TYPE", "l"), ("TYPE", "s"), ("TYPE", "z"), ("TYPE", "hll"),
                        ("DEBUG", "DIGEST-VALUE", "h", "l", "s", "z", "str", "hll", "missing")],
    "rename": [*FILL, ("RENAME", "h", "h2"), ("HGETALL", "h2"), ("EXISTS", "h"), ("RENAME", "l", "z"),
               ("TYPE", "z"), ("LRANGE", "z", "0", "-1"), ("RENAMENX", "s", "str"), ("RENAMENX", "s", "s2"),
               ("SMEMBERS", "s2"), ("RENAME", "z", "z"), ("LRANGE", "z", "0", "-1")],
    "expire_and_persist": [*FILL, ("EXPIRE", "h", "100"), ("TTL", "h"), ("PEXPIRE", "z", "100000"), ("PERSIST", "z"),
                           ("TTL", "z"), ("EXPIRE", "l", "0"), ("EXISTS", "l"), ("RPUSH", "l", "new"),
                           ("LRANGE", "l", "0", "-1"), ("DEL", "h", "s", "missing"), ("EXISTS", "h", "s")],
    "copy_and_move": [*FILL, ("COPY", "h", "hc"), ("HSET", "hc", "f1", "changed"), ("HGET", "h", "f1"),
                      ("HGET", "hc", "f1"), ("COPY", "z", "str"), ("COPY", "z", "str", "REPLACE"), ("ZRANGE", "str", "0", "-1"),
                      ("COPY", "l", "l", "DB", "3"), ("MOVE", "s", "2"), ("EXISTS", "s"), ("SELECT", "2"), ("SMEMBERS", "s"),
                      ("SADD", "s", "z"), ("MOVE", "s", "0"), ("SELECT", "3"), ("LRANGE", "l", "0", "-1"), ("SELECT", "0"),
                      ("SCARD", "s")],
    "overwrite_by_set": [*FILL, ("SET", "h", "now a string"), ("HGET", "h", "f1"), ("GET", "h"), ("SET", "z", "x", "NX"),
                         ("SET", "l", "y", "XX"), ("LLEN", "l"), ("GETDEL", "s"), ("SINTERSTORE", "str", "missing"),
                         ("EXISTS", "str")],
    "scan_type": [*FILL, ("SCAN", "0", "TYPE", "hash"), ("SCAN", "0", "TYPE", "list", "COUNT", "100"),
                  ("SCAN", "0", "TYPE", "zset", "COUNT", "100"), ("SCAN", "0", "TYPE", "string", "COUNT", "100"),
                  ("SCAN", "0", "TYPE", "set", "COUNT", "100"), ("SCAN", "0", "TYPE", "stream", "COUNT", "100")],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_collection_keys_match_redis(diff, name):
    diff.check_all(SCENARIOS[name])
    diff.check("SELECT", "0")
    diff.check("DEBUG", "DIGEST")


def test_delete_of_a_big_collection_is_reclaimed_in_the_background(pika_server, r):
    for start in range(0, 200_000, 10_000):
        r.hset("huge", mapping={f"f{n}": "v" for n in range(start, start + 10_000)})
    assert r.hlen("huge") == 200_000
    assert r.delete("huge") == 1
    assert r.exists("huge") == 0
    wait_until(lambda: r.info("memory")["lazyfree_pending_objects"] == 0, timeout=60, what="the members reclaimed")
    assert r.execute_command("DEBUG", "DIGEST") == b"0" * 40
    engine = pika_server.server.engine
    with engine.env.lmdb.begin() as txn:
        assert txn.stat(engine.keyspaces[0].members_table)["entries"] == 0
