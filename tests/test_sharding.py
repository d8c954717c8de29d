"""Shards behind twemproxy (issue #17, docs/sharding.md): where keys land, replies through the
proxy against redis-server shards behind the same proxy, what the proxy refuses, ejection."""

from __future__ import annotations

import hashlib

import pytest
import redis

from pypika_store.testing import Nutcracker, PikaCluster
from pypika_store.testing.cluster import Backend, Continuum, shard_counts

from .support import (TIME_TOLERANCE, UNORDERED, Differential, RawConnection, RealRedis, require_nutcracker,
                      wait_until)

pytestmark = [pytest.mark.nutcracker, pytest.mark.usefixtures("nutcracker_installed")]


@pytest.fixture(scope="module")
def nutcracker_installed():
    require_nutcracker()


def _keys_on(server) -> set[bytes]:
    return set(server.client().scan_iter(count=1000))


def test_ten_thousand_keys_land_where_ketama_puts_them_and_slaves_follow():
    """3 shards × (master + 1 slave): 10,000 keys written through the proxy are, shard by shard,
    exactly the keys the continuum gives it (ketama's proportions, every shard a fair share),
    read back through the proxy, and each shard's slave ends equal to its master."""
    keys = [f"user:{n}" for n in range(10_000)]
    with PikaCluster(shards=3, slaves=1) as cluster:
        proxy = cluster.client()
        for start in range(0, len(keys), 500):
            pipe = proxy.pipeline(transaction=False)
            for key in keys[start:start + 500]:
                pipe.set(key, key[::-1])
            assert all(pipe.execute())
        expected = [set() for _ in cluster.shards]
        for key in keys:
            expected[cluster.shard_of(key)].add(key.encode())
        assert [len(part) for part in expected] == shard_counts(cluster, keys)
        assert all(len(part) > 2500 for part in expected)
        for index, group in enumerate(cluster.shards):
            assert _keys_on(group.master) == expected[index]
        for start in range(0, len(keys), 1000):
            chunk = keys[start:start + 1000]
            assert proxy.mget(chunk) == [key[::-1].encode() for key in chunk]
        cluster.wait_synced()
        for group in cluster.shards:
            assert (group.slaves[0].client().execute_command("DEBUG", "DIGEST")
                    == group.master.client().execute_command("DEBUG", "DIGEST"))


#: Keys whose hashing has edges: tags (empty, unclosed, two of them), bytes from 0x80 up, empty.
AWKWARD_KEYS = ["{user1}:a", "{user1}:b", "x{}y", "{}", "a{b", "a}b{c}", "p{q}r{s}", "é€ü", "\x80\xff",
                "", "k" * 300]


@pytest.mark.parametrize("hash_name, hash_tag", [("fnv1a_64", "{}"), ("murmur", "{}"), ("md5", None),
                                                ("fnv1a_64", None)])
def test_shard_of_matches_nutcracker_for_each_hash(hash_name, hash_tag):
    """shard_of computes nutcracker's choice for each hash function, with and without a hash tag."""
    keys = [f"{n}:k" for n in range(600)] + AWKWARD_KEYS
    with PikaCluster(shards=3, slaves=0, hash=hash_name, hash_tag=hash_tag) as cluster:
        pipe = cluster.client().pipeline(transaction=False)
        for key in keys:
            pipe.set(key, "v")
        pipe.execute()
        assert cluster.placement() == {key.encode(): cluster.shard_of(key) for key in keys}
        assert len({cluster.shard_of(key) for key in keys}) == 3
        if hash_tag:
            assert cluster.shard_of("{user1}:a") == cluster.shard_of("{user1}:b") == cluster.shard_of("user1")


def test_weights_and_names_shape_the_continuum():
    """A server's share follows its weight; the ring depends on names, not addresses."""
    keys = [f"{n}:k" for n in range(8000)]
    heavy = Continuum(["a", "b"], weights=[3, 1])
    share = sum(heavy.index_of(key) == 0 for key in keys) / len(keys)
    assert 0.68 < share < 0.82
    assert Continuum(["only"]).index_of("anything") == 0
    with PikaCluster(shards=2, slaves=0) as cluster:
        even = [cluster.shard_of(key) for key in keys]
        cluster.proxy.restart([Backend(b.name, b.host, b.port, weight=3 if b.name == "shard0" else 1)
                               for b in cluster.backends()])
        weighted = Continuum(cluster.names, [3, 1])
        pipe = cluster.client().pipeline(transaction=False)
        for key in keys[:2000]:
            pipe.set(key, 1)
        pipe.execute()
        assert cluster.placement() == {key.encode(): weighted.index_of(key) for key in keys[:2000]}
        assert even != [weighted.index_of(key) for key in keys]
        renamed = Nutcracker([Backend(name, "127.0.0.1", 1 + index) for index, name in enumerate(cluster.names)])
        assert [renamed.continuum().index_of(key) for key in keys] == even


# -- the same replies through the proxy as redis-server shards behind the same proxy -------------

class RedisShards:
    """redis-server shards behind a nutcracker with the same server names as a PikaCluster's."""

    def __init__(self, names: list[str]) -> None:
        self.servers = [RealRedis() for _ in names]
        self.proxy = Nutcracker([Backend(name, "127.0.0.1", server.port) for name, server in zip(names, self.servers)])
        self.proxy.start()

    def stop(self) -> None:
        self.proxy.stop()
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def proxied():
    """A differential pair: pypika-store shards and redis-server shards, each behind nutcracker."""
    with PikaCluster(shards=3, slaves=0) as cluster:
        shards = RedisShards(cluster.names)
        try:
            yield cluster, shards
        finally:
            shards.stop()


@pytest.fixture
def proxy_diff(proxied):
    cluster, shards = proxied
    differential = Differential(shards.proxy.port, cluster.proxy.port)
    yield differential
    differential.close()
    for server in [*shards.servers, *(group.master for group in cluster.shards)]:
        server.client().flushall()


SET_SCRIPT = "return redis.call('SET', KEYS[1], ARGV[1])"

FORWARDED = {
    "strings": [
        ("SET", "s1", "hello"), ("GET", "s1"), ("APPEND", "s1", " world"), ("STRLEN", "s1"),
        ("GETRANGE", "s1", "0", "4"), ("SETRANGE", "s1", "6", "W"), ("INCR", "n"), ("INCRBY", "n", "41"),
        ("DECRBY", "n", "2"), ("INCRBYFLOAT", "f", "1.5"), ("SETNX", "s1", "x"), ("GETSET", "s1", "new"),
        ("MSET", "m1", "a", "m2", "b", "m3", "c"), ("MGET", "m1", "m2", "m3", "nope"), ("GETDEL", "m3"),
        ("SETBIT", "b", "7", "1"), ("GETBIT", "b", "7"), ("BITCOUNT", "b"), ("BITPOS", "b", "1"),
        ("SET", "e", "v", "EX", "100"), ("TTL", "e"), ("GETEX", "e", "PERSIST"), ("PTTL", "e"),
        ("INCR", "s1"), ("SET", "s1"), ("DEL", "s1", "m1", "m2", "nope"), ("EXISTS", "n", "f", "b"),
    ],
    "hashes": [
        ("HSET", "h", "a", "1", "b", "2"), ("HGET", "h", "a"), ("HMGET", "h", "a", "z"), ("HINCRBY", "h", "a", "9"),
        ("HINCRBYFLOAT", "h", "c", "0.5"), ("HLEN", "h"), ("HKEYS", "h"), ("HVALS", "h"), ("HGETALL", "h"),
        ("HEXISTS", "h", "b"), ("HDEL", "h", "b"), ("HSETNX", "h", "a", "x"), ("HSCAN", "h", "0"),
        ("HGET", "n", "a"),
    ],
    "lists": [
        ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LRANGE", "l", "0", "-1"), ("LLEN", "l"),
        ("LINDEX", "l", "2"), ("LINSERT", "l", "BEFORE", "c", "x"), ("LPOS", "l", "x"), ("LSET", "l", "0", "y"),
        ("LREM", "l", "1", "y"), ("LTRIM", "l", "0", "2"), ("LPOP", "l"), ("RPOP", "l", "2"),
        ("RPUSH", "{q}src", "1", "2"), ("RPOPLPUSH", "{q}src", "{q}dst"), ("LMOVE", "{q}src", "{q}dst", "LEFT", "RIGHT"),
        ("LRANGE", "{q}dst", "0", "-1"), ("LPUSHX", "nolist", "a"),
    ],
    "sets": [
        ("SADD", "{s}a", "1", "2", "3"), ("SADD", "{s}b", "2", "3", "4"), ("SCARD", "{s}a"),
        ("SISMEMBER", "{s}a", "2"), ("SMISMEMBER", "{s}a", "1", "9"), ("SINTER", "{s}a", "{s}b"),
        ("SUNION", "{s}a", "{s}b"), ("SDIFF", "{s}a", "{s}b"), ("SINTERSTORE", "{s}c", "{s}a", "{s}b"),
        ("SUNIONSTORE", "{s}d", "{s}a", "{s}b"), ("SMOVE", "{s}a", "{s}b", "1"), ("SMEMBERS", "{s}b"),
        ("SREM", "{s}b", "4"), ("SSCAN", "{s}c", "0"),
    ],
    "zsets": [
        ("ZADD", "{z}a", "1", "one", "2", "two", "3", "three"), ("ZADD", "{z}b", "5", "two"), ("ZCARD", "{z}a"),
        ("ZSCORE", "{z}a", "two"), ("ZMSCORE", "{z}a", "one", "nine"), ("ZINCRBY", "{z}a", "0.5", "one"),
        ("ZRANGE", "{z}a", "0", "-1", "WITHSCORES"), ("ZREVRANGE", "{z}a", "0", "1"), ("ZRANK", "{z}a", "three"),
        ("ZCOUNT", "{z}a", "1", "2"), ("ZRANGEBYSCORE", "{z}a", "(1", "+inf"), ("ZLEXCOUNT", "{z}a", "-", "+"),
        ("ZUNIONSTORE", "{z}u", "2", "{z}a", "{z}b"), ("ZINTERSTORE", "{z}i", "2", "{z}a", "{z}b"),
        ("ZRANGE", "{z}u", "0", "-1", "WITHSCORES"), ("ZRANGESTORE", "{z}r", "{z}a", "0", "1"),
        ("ZPOPMIN", "{z}a"), ("ZPOPMAX", "{z}a"), ("ZREM", "{z}a", "two"), ("ZREMRANGEBYRANK", "{z}u", "0", "0"),
    ],
    "hyperloglog": [
        ("PFADD", "{p}a", "x", "y", "z"), ("PFADD", "{p}b", "z", "w"), ("PFCOUNT", "{p}a"),
        ("PFMERGE", "{p}c", "{p}a", "{p}b"), ("PFCOUNT", "{p}c"), ("PFADD", "{p}a", "x"),
    ],
    "geo": [
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
        ("GEODIST", "g", "Palermo", "Catania", "km"), ("GEOHASH", "g", "Palermo"), ("GEOPOS", "g", "Catania"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "ASC"),
    ],
    "keys": [
        ("SET", "{t}k", "v"), ("EXPIRE", "{t}k", "100"), ("TTL", "{t}k"), ("PERSIST", "{t}k"), ("TYPE", "{t}k"),
        ("PEXPIRE", "{t}k", "100000"), ("PTTL", "{t}k"), ("EXPIREAT", "{t}k", "4102444800"), ("TTL", "{t}k"),
        ("RPUSH", "{t}sort", "3", "1", "2"), ("SORT", "{t}sort"), ("TOUCH", "{t}k"),
        ("UNLINK", "{t}k", "{t}sort"), ("EXISTS", "{t}k"),
    ],
    "scripting": [
        ("EVAL", SET_SCRIPT, "1", "{e}a", "x"),
        ("EVAL", "return {KEYS[1], KEYS[2], redis.call('GET', KEYS[1])}", "2", "{e}a", "{e}b"),
        ("EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", "{e}n", "5"),
        ("EVALSHA", hashlib.sha1(SET_SCRIPT.encode()).hexdigest(), "1", "{e}b", "y"),
        ("EVAL", "return redis.pcall('LPUSH', KEYS[1], 'x')", "1", "{e}a"),
    ],
}


@pytest.mark.parametrize("family", sorted(FORWARDED))
def test_forwarded_commands_answer_as_redis_server_shards_do(proxy_diff, family):
    """Every family twemproxy forwards gives the same raw replies through the proxy as
    redis-server shards behind the same proxy (same server names, so the same shards)."""
    proxy_diff.check_all(FORWARDED[family])


@pytest.fixture(scope="module")
def one_shard():
    with PikaCluster(shards=1, slaves=0) as cluster:
        yield cluster


def _replies(port: int, commands: list[tuple]) -> list:
    """Each command's raw reply, normalised where Redis leaves the order open."""
    connection = RawConnection(port)
    try:
        replies = []
        for args in commands:
            reply = connection.call(*args)
            normalize = UNORDERED.get(args[0].upper())
            replies.append(normalize(reply) if normalize else reply)
        return replies
    finally:
        connection.close()


def _same_replies(commands: list[tuple], expected: list, actual: list) -> bool:
    """Equal, but for TTLs read a moment apart (within support.TIME_TOLERANCE)."""
    def same(args: tuple, first: object, second: object) -> bool:
        tolerance = TIME_TOLERANCE.get(args[0].upper())
        if tolerance is not None and type(first) is int and type(second) is int and min(first, second) >= 0:
            return abs(first - second) <= tolerance
        return first == second and type(first) is type(second)

    return len(expected) == len(actual) and all(map(same, commands, expected, actual))


@pytest.mark.parametrize("family", sorted(FORWARDED))
def test_the_proxy_changes_no_reply_of_pypika_store(one_shard, family):
    """A family's commands directly on a shard, then (flushed) through the proxy in front of it:
    the same replies, so the proxy neither refuses nor rewrites any of them."""
    master = one_shard.shards[0].master
    direct = _replies(master.port, FORWARDED[family])
    master.client().flushall()
    proxied_replies = _replies(one_shard.proxy.port, FORWARDED[family])
    assert _same_replies(FORWARDED[family], direct, proxied_replies), (direct, proxied_replies)
    master.client().flushall()


def test_keys_go_to_the_same_shards_as_redis_servers_do(proxied):
    """Keys and hash tags land on the same-named shard behind both proxies."""
    cluster, shards = proxied
    names = [f"{{tag{n % 7}}}:{n}" for n in range(300)] + [f"plain{n}" for n in range(300)]
    for proxy in (cluster.client(), shards.proxy.client()):
        for name in names:
            proxy.set(name, 1)
    for index, group in enumerate(cluster.shards):
        assert _keys_on(group.master) == set(shards.servers[index].client().scan_iter(count=1000))
    for server in [*shards.servers, *(group.master for group in cluster.shards)]:
        server.client().flushall()


#: Commands twemproxy does not forward: it closes the client's connection (docs/sharding.md).
REFUSED = [("MULTI",), ("WATCH", "k"), ("SUBSCRIBE", "c"), ("PUBLISH", "c", "m"), ("BLPOP", "l", "1"),
           ("BRPOP", "l", "1"), ("BZPOPMIN", "z", "1"), ("KEYS", "*"), ("SCAN", "0"), ("RENAME", "a", "b"),
           ("MSETNX", "a", "1"), ("SELECT", "0"), ("FLUSHALL",), ("INFO",), ("WAIT", "1", "0"),
           ("SCRIPT", "LOAD", "return 1"), ("EVAL", "return 1", "0"), ("XADD", "s", "*", "f", "v"),
           ("SLOTSHASHKEY", "a"), ("PKSETEXAT", "a", "1", "v"), ("HELLO", "3"), ("ECHO", "a"), ("DBSIZE",),
           ("RANDOMKEY",), ("BITOP", "AND", "a", "b"), ("BLMOVE", "a", "b", "LEFT", "LEFT", "0"),
           ("CLIENT", "LIST"), ("XREAD", "STREAMS", "s", "0")]


@pytest.mark.parametrize("args", REFUSED, ids=lambda args: " ".join(args[:1]))
def test_the_proxy_refuses_what_it_does_not_forward(proxied, args):
    cluster, shards = proxied
    for port in (cluster.proxy.port, shards.proxy.port):
        connection = RawConnection(port, timeout=5)
        try:
            with pytest.raises((ConnectionError, OSError)):
                connection.call(*args)
        finally:
            connection.close()


# -- a shard down behind auto_eject_hosts ---------------------------------------------------------

def test_auto_eject_hosts_drops_a_dead_shard_and_serves_the_others():
    """A shard's master killed: the proxy ejects it, the other shards' keys are still served,
    the dead shard's keys are gone from the proxy's view (reads miss) and new writes of them
    land where the ring of the live shards puts them."""
    with PikaCluster(shards=3, slaves=0, mode="process", auto_eject_hosts=True, server_failure_limit=1,
                     server_retry_timeout_ms=60_000) as cluster:
        proxy = cluster.client(socket_timeout=5)
        keys = [f"k{n}" for n in range(300)]
        for key in keys:
            proxy.set(key, key)
        dead = 1
        lost = [key for key in keys if cluster.shard_of(key) == dead]
        kept = [key for key in keys if cluster.shard_of(key) != dead]
        cluster.shards[dead].master.kill()

        def ejected() -> bool:
            try:
                return proxy.get(lost[0]) is None
            except redis.ResponseError:  # the proxy's error for the dead server, before it ejects it
                return False

        wait_until(ejected, timeout=30, what="the proxy to eject the dead shard")
        assert proxy.mget(kept) == [key.encode() for key in kept]
        assert proxy.mget(lost) == [None] * len(lost)
        live = [0, 2]
        for key in lost:
            proxy.set(key, "again")
        placement = cluster.placement()
        assert all(placement[key.encode()] == cluster.shard_of(key, live=live) for key in lost)


def test_the_plugin_fixture_is_a_started_cluster(pika_cluster):
    """``pika_cluster``: three shards of a master and a slave behind a serving proxy."""
    assert [len(group.slaves) for group in pika_cluster.shards] == [1, 1, 1]
    proxy = pika_cluster.client()
    proxy.set("{fixture}:k", "v")
    shard = pika_cluster.shards[pika_cluster.shard_of("{fixture}:k")]
    assert shard.master.client().get("{fixture}:k") == b"v"
    shard.wait_synced()
    assert shard.slaves[0].client().get("{fixture}:k") == b"v"
