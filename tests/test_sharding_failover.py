"""Failover and resharding behind twemproxy (issue #17, docs/sharding.md): the proxy repointed
on Sentinel's +switch-master, and keys moved when a shard joins the ring."""

from __future__ import annotations

import pytest
import redis

from pypika_store.testing import PikaCluster

from .support import require_nutcracker


pytestmark = pytest.mark.nutcracker


@pytest.fixture(autouse=True)
def nutcracker_installed():
    require_nutcracker()


def test_a_shard_failover_driven_by_sentinel_loses_no_acknowledged_write():
    """3 shards × (master + 1 slave), each watched by a real Sentinel. Writes through the proxy
    acknowledged by WAIT (asked of the shard's master: WAIT waits for the master's position);
    the master is killed; Sentinel promotes the slave, the follower rewrites the proxy's config
    and restarts it; every acknowledged write is read back through the proxy, the other shards
    never lost a key, and the shard takes writes again on its new master."""
    with PikaCluster(shards=3, slaves=1, mode="process", sentinels=1) as cluster, \
            cluster.follow_sentinels() as follower:
        proxy = cluster.client(socket_timeout=5)
        victim = 1
        group = cluster.shards[victim]
        old_master, slave = group.master, group.slaves[0]
        keys = [f"order:{n}" for n in range(600)]
        acknowledged: list[str] = []
        for start in range(0, len(keys), 100):
            batch = keys[start:start + 100]
            pipe = proxy.pipeline(transaction=False)
            for key in batch:
                pipe.set(key, key)
            pipe.execute()
            assert old_master.client().execute_command("WAIT", 1, 5000) == 1
            acknowledged += batch
        assert any(cluster.shard_of(key) == victim for key in acknowledged)

        old_master.kill()
        [(shard, host, port)] = follower.wait_for_switch(1, timeout=60)
        assert (shard, port) == (victim, slave.port) and cluster.shards[victim].master is slave

        assert proxy.mget(acknowledged) == [key.encode() for key in acknowledged]
        fresh = [f"after:{n}" for n in range(300) if cluster.shard_of(f"after:{n}") == victim]
        for key in fresh:
            assert proxy.set(key, "new")
        assert all(slave.client().get(key) == b"new" for key in fresh)
        assert follower.switches == [(victim, host, slave.port)]


def test_resharding_moves_the_keys_a_new_shard_takes():
    """Two shards, then a third: the keys the new ring gives it move there with SLOTSMGRTTAGONE
    (values, types, TTLs and hash-tag groups intact), nothing else moves, and through the
    restarted proxy every key reads as before, each on the shard the ring names."""
    with PikaCluster(shards=2, slaves=0, config={"slotmigrate": "yes"}) as cluster:
        proxy = cluster.client()
        pipe = proxy.pipeline(transaction=False)
        for n in range(1500):
            pipe.set(f"{n}:s", n)
        for n in range(100):
            pipe.hset(f"{{user{n}}}:profile", mapping={"name": f"u{n}"})
            pipe.rpush(f"{{user{n}}}:events", "a", "b")
            pipe.set(f"{n}:ttl", "x", ex=1000)
        pipe.execute()
        before = cluster.placement()

        cluster.add_shard()
        moved = cluster.reshard()

        after = cluster.placement()
        assert after.keys() == before.keys()
        assert after == {key: cluster.shard_of(key) for key in before}
        changed = [key for key in before if before[key] != after[key]]
        assert moved == len(changed) > 0 and all(after[key] == 2 for key in changed)
        assert proxy.mget([f"{n}:s" for n in range(1500)]) == [str(n).encode() for n in range(1500)]
        for n in range(100):
            assert proxy.hgetall(f"{{user{n}}}:profile") == {b"name": f"u{n}".encode()}
            assert proxy.lrange(f"{{user{n}}}:events", 0, -1) == [b"a", b"b"]
            assert 0 < proxy.ttl(f"{n}:ttl") <= 1000
        assert cluster.misplaced() == {}


def test_redis_auth_is_the_proxy_s_and_every_shard_s_password():
    """With a password the proxy asks clients for it (redis_auth) and logs in to every shard."""
    with PikaCluster(shards=2, slaves=0, password="s3cret") as cluster:
        assert "redis_auth: s3cret" in cluster.proxy.config_text()
        with pytest.raises(redis.AuthenticationError):
            cluster.client(password=None).get("k")
        proxy = cluster.client()
        keys = [f"{n}:k" for n in range(200)]
        for key in keys:
            proxy.set(key, key)
        assert cluster.placement() == {key.encode(): cluster.shard_of(key) for key in keys}
        assert proxy.mget(keys) == [key.encode() for key in keys]
