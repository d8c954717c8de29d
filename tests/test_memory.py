"""MEMORY's subcommands: Redis 7.0's reply shapes and errors (compared with redis-server), and
this server's own figures (docs/memory.md)."""

from __future__ import annotations

import pytest

from pypika_store.storage.footprint import NODE_MAX, PAGE_SIZE, entry_bytes

from .raw_replies import RawReplies
from .support import wait_until

STATS_FIELDS = [b"peak.allocated", b"total.allocated", b"startup.allocated", b"replication.backlog", b"clients.slaves",
                b"clients.normal", b"cluster.links", b"aof.buffer", b"lua.caches", b"functions.caches", b"db.0",
                b"overhead.total", b"keys.count", b"keys.bytes-per-key", b"dataset.bytes", b"dataset.percentage",
                b"peak.percentage", b"allocator.allocated", b"allocator.active", b"allocator.resident",
                b"allocator-fragmentation.ratio", b"allocator-fragmentation.bytes", b"allocator-rss.ratio",
                b"allocator-rss.bytes", b"rss-overhead.ratio", b"rss-overhead.bytes", b"fragmentation",
                b"fragmentation.bytes"]


@pytest.mark.parametrize("call", [
    ("USAGE",), ("USAGE", "nokey"), ("USAGE", "k", "SAMPLES"), ("USAGE", "k", "SAMPLES", "-1"),
    ("USAGE", "k", "SAMPLES", "x"), ("USAGE", "k", "SAMPLES", "99999999999999999999"), ("USAGE", "k", "FOO", "1"),
    ("USAGE", "k", "SAMPLES", "5", "FOO"), ("USAGE", "nokey", "SAMPLES", "x"), ("USAGE", "nokey", "samples", "0"),
    ("USAGE", "nokey", "SAMPLES", "3", "SAMPLES", "-2"), ("PURGE",), ("PURGE", "x"), ("STATS", "x"), ("DOCTOR", "x"),
    ("MALLOC-STATS", "x"), ("HELP",), ("HELP", "x"), ("NOSUCH",), ("DOCTOR",),
])
def test_memory_errors_and_fixed_replies_match_redis(diff, call):
    diff.check("MEMORY", *call)


def test_memory_alone_is_an_arity_error(diff):
    diff.check("MEMORY")


def test_usage_of_each_type_is_an_integer_as_in_redis(diff):
    diff.check_all([("SET", "s", "v"), ("HSET", "h", "f", "v"), ("RPUSH", "l", "a", "b"), ("SADD", "t", "m"),
                    ("ZADD", "z", "1", "m"), ("XADD", "x", "1-1", "f", "v")])
    for key in ["s", "h", "l", "t", "z", "x"]:
        for samples in [(), ("SAMPLES", "0"), ("SAMPLES", "1"), ("samples", "9", "SAMPLES", "2")]:
            expected, actual = diff.both("MEMORY", "USAGE", key, *samples)
            assert isinstance(expected, int) and isinstance(actual, int) and actual > 0
    diff.pika.call("PEXPIRE", "s", "1")
    diff.redis.call("PEXPIRE", "s", "1")
    wait_until(lambda: diff.both("PTTL", "s") == (-2, -2), what="s to expire on both servers")
    diff.check("MEMORY", "USAGE", "s")


def test_usage_counts_lmdb_entries(r):
    r.set("k", "v" * 100)
    assert r.memory_usage("k") == entry_bytes(1, 9 + 100)  # the meta record: tag, expiry, value
    r.set("big", "x" * 100_000)
    assert r.memory_usage("big") == entry_bytes(3, 9 + 100_000) > 100_000
    assert entry_bytes(1, NODE_MAX) > PAGE_SIZE > entry_bytes(1, NODE_MAX - 9)


def test_usage_samples_members_and_extrapolates(r):
    r.rpush("l", *[b"x" * 10] * 50)
    exact = r.memory_usage("l", samples=0)
    assert r.memory_usage("l") == r.memory_usage("l", samples=3) == exact  # equal-sized elements
    r.rpush("l", b"y" * 1000)
    assert r.memory_usage("l", samples=0) > r.memory_usage("l", samples=5)
    r.zadd("z", {f"m{n:03}": n for n in range(100)})
    assert r.memory_usage("z") == r.memory_usage("z", samples=0)  # two equal-sized entries per member


def test_stats_has_redis_fields_and_this_servers_figures(r, diff):
    r.set("a", "1")
    r.hset("h", mapping={f"f{n}": "v" for n in range(100)})
    stats = r.memory_stats()
    assert list(stats) == [name.decode() for name in STATS_FIELDS]
    assert stats["keys.count"] == 2 and stats["total.allocated"] <= stats["peak.allocated"]
    assert stats["dataset.bytes"] > 0 and stats["keys.bytes-per-key"] > 0
    assert stats["db.0"] == {"overhead.hashtable.main": stats["overhead.total"], "overhead.hashtable.expires": 0,
                             "overhead.hashtable.slot-to-keys": 0}
    assert stats["fragmentation"] == 1.0
    diff.check("SET", "a", "1")
    expected, actual = diff.both("MEMORY", "STATS")
    assert actual[::2] == expected[::2]


def test_stats_and_doctor_in_resp3_take_redis_types(real_redis, pika_server):
    servers = [RawReplies(real_redis.port), RawReplies(pika_server.port)]
    for server in servers:
        server.call_raw("HELLO", "3")
        server.call_raw("FLUSHALL")
    expected, actual = (server.call_raw("MEMORY", "DOCTOR") for server in servers)
    assert actual == expected
    for server in servers:
        server.call_raw("SET", "k", "v")
    expected, actual = (server.call_raw("MEMORY", "STATS") for server in servers)
    kinds = [line[:1] for line in expected.split(b"\r\n") if line[:1] in b"%:,"]
    assert [line[:1] for line in actual.split(b"\r\n") if line[:1] in b"%:,"] == kinds
    expected, actual = (server.call_raw("MEMORY", "USAGE", "k") for server in servers)
    assert actual[:1] == expected[:1] == b":"
    for server in servers:
        server.call_raw("FLUSHALL")
        server.close()


def test_doctor_with_data_reports_no_issue_or_its_peak(r, monkeypatch):
    """DOCTOR's verdict follows the process' peak against its resident size (the shared server
    runs in this process, whose peak earlier tests may have raised: both are pinned here)."""
    from pypika_store.server.commands import memory
    r.set("k", "v")
    monkeypatch.setattr(memory, "resident_memory", lambda: 100 << 20)
    monkeypatch.setattr(memory, "peak_memory", lambda: 120 << 20)
    assert r.execute_command("MEMORY", "DOCTOR").startswith(b"Hi Sam, I can't find any memory issue")
    monkeypatch.setattr(memory, "peak_memory", lambda: 200 << 20)
    assert b"Peak memory" in r.execute_command("MEMORY", "DOCTOR")
