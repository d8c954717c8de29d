"""SWAPDB: Redis' replies and errors, the swap itself, blocked clients woken, WATCH broken as
Redis breaks it, and the swap's records in both DBs' binlogs replaying (after a restart, and
on a slave) to the same data."""

from __future__ import annotations

import threading

import pytest
import redis

from pypika_store.testing import PikaGroup, PikaServer

from .support import wait_until


@pytest.mark.parametrize("call", [
    ("SWAPDB", "0", "1"), ("SWAPDB", "3", "3"), ("SWAPDB", "x", "1"), ("SWAPDB", "0", "x"), ("SWAPDB", "0", "16"),
    ("SWAPDB", "-1", "0"), ("SWAPDB", "4294967296", "0"), ("SWAPDB", "0"), ("SWAPDB", "1", "2", "3"),
])
def test_swapdb_replies_as_redis(diff, call):
    diff.check(*call)


def _fill(client: redis.Redis, tag: str) -> None:
    client.set(f"s-{tag}", tag)
    client.set("common", tag, ex=1000)
    client.rpush(f"l-{tag}", "a", "b")
    client.hset(f"h-{tag}", mapping={"f": tag})
    client.zadd(f"z-{tag}", {"m": 1, "n": 2})
    client.sadd(f"set-{tag}", "x", "y")
    client.xadd(f"x-{tag}", {"f": tag}, id="1-1")


def test_swapdb_exchanges_every_type_and_expiry(diff):
    pika = diff.pika
    diff.both("SELECT", "1")
    for server_call in (diff.redis.call, pika.call):
        for call in [("SET", "s", "one"), ("RPUSH", "l", "a", "b"), ("ZADD", "z", "1", "m"), ("SET", "t", "v", "EX", "1000")]:
            server_call(*call)
    diff.both("SELECT", "0")
    diff.both("HSET", "h", "f", "zero")
    diff.check("SWAPDB", "0", "1")
    for call in [("KEYS", "*"), ("GET", "s"), ("LRANGE", "l", "0", "-1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
                 ("TTL", "t"), ("DBSIZE",), ("HGET", "h", "f")]:
        diff.check(*call)
    diff.both("SELECT", "1")
    diff.check("HGETALL", "h")
    diff.check("DBSIZE")
    diff.check("SWAPDB", "1", "0")
    diff.check("DBSIZE")
    diff.check("ZRANK", "z", "m")
    diff.both("SELECT", "0")


def test_swapdb_wakes_a_client_blocked_on_a_key_that_now_exists(pika_server, r):
    r.select(1)
    r.rpush("queue", "job")
    r.select(0)
    waiter = pika_server.client()
    result = []
    thread = threading.Thread(target=lambda: result.append(waiter.blpop("queue", timeout=10)))
    thread.start()
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, what="the client to block")
    assert r.swapdb(0, 1)
    thread.join(10)
    assert result == [(b"queue", b"job")]


@pytest.mark.parametrize("watched_db, key_in, broken", [(0, 0, True), (0, 1, True), (1, 0, True), (0, None, False)])
def test_swapdb_breaks_watches_on_keys_of_either_db(pika_server, r, watched_db, key_in, broken):
    if key_in is not None:
        r.select(key_in)
        r.set("w", "1")
    watcher = pika_server.client()
    watcher.select(watched_db)
    pipe = watcher.pipeline()
    pipe.watch("w")
    pipe.multi()
    pipe.set("done", "1")
    r.select(0)
    r.swapdb(0, 1)
    if broken:
        with pytest.raises(redis.WatchError):
            pipe.execute()
    else:
        assert pipe.execute() == [True]
    r.select(1)
    r.flushdb()
    r.select(0)


def test_a_restart_replays_the_swap_from_both_binlogs(tmp_path):
    data = str(tmp_path / "node")
    with PikaServer(data_dir=data) as server:
        client = server.client()
        _fill(client, "zero")
        client.select(3)
        _fill(client, "three")
        client.swapdb(0, 3)
        client.select(0)
        client.set("after", "swap")
        digest = client.execute_command("DEBUG", "DIGEST")
    with PikaServer(data_dir=str(tmp_path / "replay"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        from .test_binlog_records import logged  # noqa: PLC0415  (the binlog reader of those tests)

        for db in (0, 3):
            replay.select(db)
            for argv in logged(server, db):
                replay.execute_command(*argv)
        assert replay.execute_command("DEBUG", "DIGEST") == digest
    with PikaServer(data_dir=data) as restarted:
        assert restarted.client().execute_command("DEBUG", "DIGEST") == digest


def test_a_slave_swaps_too():
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        _fill(master, "zero")
        master.select(5)
        _fill(master, "five")
        group.wait_synced()
        master.swapdb(5, 0)
        master.hset("h-zero", "g", "after")
        group.wait_synced()
        slave = group.slaves[0].client()
        wait_until(lambda: slave.execute_command("DEBUG", "DIGEST") == master.execute_command("DEBUG", "DIGEST"),
                   timeout=30, what="the slave to swap too")
        slave.select(5)
        assert slave.hget("h-zero", "g") == b"after" and slave.get("s-zero") == b"zero"
