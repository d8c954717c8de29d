"""MIGRATE and RESTORE-ASKING: keys moved between pypika-store servers (every option, the
connection cache, a slow target, slaves and the binlog), the replies and errors of
redis-server 7.0.15 for the same calls, and resharding a PikaCluster with MIGRATE."""

from __future__ import annotations

import os
import socket
import time

import pytest
import redis

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.server import slot_migration
from pypika_store.testing import PikaCluster, PikaGroup, PikaServer
from pypika_store.testing.embedded import free_port

from .support import Err, RawConnection, encode_command, require_nutcracker, wait_until

LOCAL = "127.0.0.1"


@pytest.fixture(scope="module")
def target_server():
    with PikaServer(config={"enable-chaos-command": "yes"}) as server:
        yield server


@pytest.fixture
def target(target_server):
    """A client of the target pypika-store (every DB flushed before the test)."""
    client = target_server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers (a hung target)."""
    listener = socket.socket()
    listener.bind((LOCAL, 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def _migrate(client: redis.Redis, port: int, *args: object) -> object:
    return client.execute_command("MIGRATE", LOCAL, port, *args)


def _fill(client: redis.Redis, tag: str = "") -> list[str]:
    """A key of every type (the list one with a TTL); their names."""
    client.set(f"s{tag}", "text")
    client.hset(f"h{tag}", mapping={"f": "1", "g": "2"})
    client.rpush(f"l{tag}", "a", "b", "c")
    client.pexpire(f"l{tag}", 600_000)
    client.sadd(f"set{tag}", "x", "y")
    client.zadd(f"z{tag}", {"m": 1.5, "n": 2})
    client.xadd(f"x{tag}", {"f": "v"}, id="1-1")
    return [f"s{tag}", f"h{tag}", f"l{tag}", f"set{tag}", f"z{tag}", f"x{tag}"]


def _digest(client: redis.Redis) -> bytes:
    return client.execute_command("DEBUG", "DIGEST")


# -- between two pypika-store servers ---------------------------------------------------------


def test_a_key_moves_with_its_ttl_and_leaves_the_source(r, target, target_server):
    r.set("k", "v", px=100_000)
    assert _migrate(r, target_server.port, "k", 0, 1000) == b"OK"
    assert r.exists("k") == 0
    assert target.get("k") == b"v" and 90_000 < target.pttl("k") <= 100_000
    assert _migrate(r, target_server.port, "k", 0, 1000) == b"NOKEY"


def test_keys_form_moves_every_existing_key_of_every_type(r, target, target_server):
    names = _fill(r)
    before = _digest(r)
    assert _migrate(r, target_server.port, "", 0, 1000, "KEYS", *names, "missing") == b"OK"
    assert r.dbsize() == 0
    assert _digest(target) == before
    assert _migrate(r, target_server.port, "", 0, 1000, "KEYS", "missing", "gone") == b"NOKEY"


def test_copy_keeps_the_source_and_replace_overwrites_the_target(r, target, target_server):
    r.set("k", "new")
    target.set("k", "old")
    with pytest.raises(redis.ResponseError,
                       match="^Target instance replied with error: BUSYKEY Target key name already exists.$"):
        _migrate(r, target_server.port, "k", 0, 1000, "COPY")
    assert target.get("k") == b"old" and r.get("k") == b"new"
    assert _migrate(r, target_server.port, "k", 0, 1000, "COPY", "REPLACE") == b"OK"
    assert target.get("k") == b"new" and r.get("k") == b"new"
    target.set("k", "old")
    assert _migrate(r, target_server.port, "k", 0, 1000, "REPLACE") == b"OK"
    assert target.get("k") == b"new" and r.exists("k") == 0


def test_a_busy_key_stays_and_the_others_move(r, target, target_server):
    """Redis reports the first error and deletes every key the target did restore."""
    r.mset({"a": 1, "b": 2, "c": 3})
    target.set("b", "there")
    with pytest.raises(redis.ResponseError, match="BUSYKEY"):
        _migrate(r, target_server.port, "", 0, 1000, "KEYS", "a", "b", "c")
    assert sorted(r.keys()) == [b"b"]
    assert target.mget("a", "b", "c") == [b"1", b"there", b"3"]


def test_destination_db_follows_each_call_on_the_cached_connection(r, target, target_server):
    for db, key in ((3, "a"), (0, "b"), (3, "c"), (3, "d")):
        r.set(key, db)
        assert _migrate(r, target_server.port, key, db, 1000) == b"OK"
    three, zero = target_server.client(db=3), target_server.client()
    try:
        assert sorted(three.keys()) == [b"a", b"c", b"d"] and zero.keys() == [b"b"]
    finally:
        three.close()
        zero.close()
    r.set("a", 1)
    with pytest.raises(redis.ResponseError, match="^Target instance replied with error: ERR DB index is out of range$"):
        _migrate(r, target_server.port, "a", 99, 1000)
    assert r.get("a") == b"1"


def test_auth_and_auth2_log_in_to_a_protected_target(r):
    with PikaServer(password="s3cret") as protected:
        admin = protected.client()
        admin.execute_command("ACL", "SETUSER", "mover", "on", ">m0ve", "~*", "+@all")
        r.mset({"a": 1, "b": 2, "c": 3})
        with pytest.raises(redis.ResponseError, match="^Target instance replied with error: NOAUTH"):
            _migrate(r, protected.port, "a", 0, 1000)
        with pytest.raises(redis.ResponseError, match="^Target instance replied with error: WRONGPASS"):
            _migrate(r, protected.port, "a", 0, 1000, "AUTH", "wrong")
        assert r.exists("a") == 1
        assert _migrate(r, protected.port, "a", 0, 1000, "AUTH", "s3cret") == b"OK"
        assert _migrate(r, protected.port, "", 0, 1000, "AUTH2", "mover", "m0ve", "KEYS", "b", "c") == b"OK"
        assert admin.mget("a", "b", "c") == [b"1", b"2", b"3"] and r.dbsize() == 0


def test_a_silent_target_times_out_while_other_clients_are_served(r, pika_server, silent_port):
    r.set("k", "v")
    migrating = RawConnection(pika_server.port)
    try:
        started = time.monotonic()
        _send_migrate(migrating, silent_port, "k", 0)
        other = pika_server.client()
        assert other.ping() and other.get("k") == b"v"
        assert time.monotonic() - started < 0.9  # served while MIGRATE waits (timeout 0: 1000 ms)
        assert migrating.read_reply() == Err("IOERR error or timeout reading to target instance")
        assert 0.9 <= time.monotonic() - started < 5
    finally:
        migrating.close()
    assert r.get("k") == b"v"


def _send_migrate(connection: RawConnection, port: int, key: str, timeout_ms: int) -> None:
    """MIGRATE sent without waiting for its reply."""
    connection.send_raw(encode_command(("MIGRATE", LOCAL, port, key, 0, timeout_ms)))


def _held_restores(server: PikaServer) -> int:
    """How many RESTOREs the target's one command fault holds now."""
    fault = next(entry for entry in server.chaos_list() if entry["kind"] == "fault")
    return int(fault["held-clients"])


def test_a_key_written_while_its_restore_is_in_flight_is_kept(r, pika_server, target, target_server):
    """The target acknowledges a value the source no longer holds: the newer one stays here."""
    r.set("k", "first")
    migrating = RawConnection(pika_server.port)
    try:
        with target_server.fault(command="restore", hang=True):
            _send_migrate(migrating, target_server.port, "k", 5000)
            wait_until(lambda: _held_restores(target_server) == 1, what="the RESTORE to be held")
            r.set("k", "second")
        assert migrating.read_reply() == "OK"
    finally:
        migrating.close()
    assert target.get("k") == b"first" and r.get("k") == b"second"


def test_a_hung_target_times_out_and_the_key_stays(r, target, target_server):
    """The timed-out RESTORE may still land (Redis' case too): the key stays here, and the
    next MIGRATE opens a new connection."""
    r.set("k", "v")
    with target_server.fault(command="restore", hang=True):
        with pytest.raises(redis.ResponseError, match="^IOERR error or timeout reading to target instance$"):
            _migrate(r, target_server.port, "k", 0, 200)
        assert r.get("k") == b"v"
    assert _migrate(r, target_server.port, "k", 0, 1000, "REPLACE") == b"OK"
    assert target.get("k") == b"v" and r.exists("k") == 0


def _migration_connections(client: redis.Redis) -> list[dict]:
    """The target's clients but the test's own."""
    return [entry for entry in client.client_list() if entry["id"] != str(client.client_id())]


def test_the_cached_connection_is_reused_then_closed_when_idle(r, monkeypatch):
    monkeypatch.setattr(slot_migration, "TARGET_IDLE_SECONDS", 0.5)
    with PikaServer() as fresh:
        watching = fresh.client()
        for db, key in ((0, "a"), (1, "b"), (0, "c")):
            r.set(key, 1)
            assert _migrate(r, fresh.port, key, db, 1000) == b"OK"
        assert len(_migration_connections(watching)) == 1
        wait_until(lambda: not _migration_connections(watching), timeout=5, what="the idle connection to close")


def test_a_connection_the_target_closed_is_reopened_once(r):
    """Redis tries again on a new connection when the cached one fails before any reply."""
    with PikaServer() as fresh:
        watching = fresh.client()
        r.mset({"a": 1, "b": 2})
        assert _migrate(r, fresh.port, "a", 0, 1000) == b"OK"
        cached = _migration_connections(watching)
        assert len(cached) == 1
        watching.client_kill_filter(_id=cached[0]["id"])
        assert _migrate(r, fresh.port, "b", 0, 1000) == b"OK"
        assert watching.mget("a", "b") == [b"1", b"2"]
        assert [entry["id"] for entry in _migration_connections(watching)] != [cached[0]["id"]]


def test_migrate_inside_multi_is_refused_when_it_would_wait(r, target_server):
    r.set("k", "v")
    pipe = r.pipeline(transaction=True)
    pipe.execute_command("MIGRATE", LOCAL, target_server.port, "k", 0, 1000)
    pipe.execute_command("MIGRATE", LOCAL, target_server.port, "missing", 0, 1000)
    replies = pipe.execute(raise_on_error=False)
    assert isinstance(replies[0], redis.ResponseError) and "not allowed inside MULTI" in str(replies[0])
    assert replies[1] == b"NOKEY"
    assert r.get("k") == b"v"


def test_the_slave_of_the_source_ends_without_the_moved_keys(target, target_server):
    with PikaGroup(slaves=1) as group:
        source, slave = group.master.client(), group.slaves[0].client()
        names = _fill(source, "{m}")
        source.set("stays", 1)
        group.wait_synced()
        assert _migrate(source, target_server.port, "", 0, 1000, "KEYS", *names) == b"OK"
        wait_until(lambda: slave.keys() == [b"stays"], timeout=30, what="the slave to delete the moved keys")
        group.wait_synced()
        assert _digest(slave) == _digest(source)
        assert target.dbsize() == len(names)


def _binlog(server: PikaServer, db: int) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", f"log_db{db}")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


def test_the_delete_is_binlogged_and_replays(tmp_path, target, target_server):
    with PikaServer(data_dir=str(tmp_path / "source")) as source:
        client = source.client()
        client.mset({"a": 1, "b": 2, "c": 3})
        assert _migrate(client, target_server.port, "", 0, 1000, "KEYS", "a", "b") == b"OK"
        assert _migrate(client, target_server.port, "c", 0, 1000, "COPY") == b"OK"
        records = _binlog(source, 0)
        assert [record for record in records if record[0].lower() == b"del"] == [[b"del", b"a"], [b"del", b"b"]]
        digest = _digest(client)
        source.restart()
        assert source.client().keys() == [b"c"]
    with PikaServer(data_dir=str(tmp_path / "replay"), config={"write-binlog": "no"}) as replay:
        replaying = replay.client()
        for argv in records:
            replaying.execute_command(*argv)
        assert _digest(replaying) == digest


def test_restore_asking_is_restore(r, target):
    r.set("k", "v", px=50_000)
    payload = r.dump("k")
    assert target.execute_command("RESTORE-ASKING", "k", 0, payload) == b"OK"
    with pytest.raises(redis.ResponseError, match="^BUSYKEY"):
        target.execute_command("RESTORE-ASKING", "k", 0, payload)
    assert target.execute_command("RESTORE-ASKING", "k", 5000, payload, "REPLACE") == b"OK"
    assert target.get("k") == b"v" and 0 < target.pttl("k") <= 5000


# -- against redis-server ----------------------------------------------------------------------


@pytest.fixture
def redis_target(private_redis):
    client = private_redis.client()
    client.flushall()
    yield private_redis
    client.close()


def _check_both(diff, redis_port: int, pika_port: int, *args: object) -> object:
    """MIGRATE from redis-server to ``redis_port`` and from pypika-store to ``pika_port`` with
    the same arguments: the same raw reply."""
    expected = diff.redis.call("MIGRATE", LOCAL, redis_port, *args)
    actual = diff.pika.call("MIGRATE", LOCAL, pika_port, *args)
    assert actual == expected and type(actual) is type(expected), (
        f"{args!r}: redis-server said {expected!r}, pypika-store said {actual!r}")
    return actual


@pytest.mark.parametrize("call", [
    ("k", "0", "1000"),
    ("", "0", "1000", "KEYS", "a", "b"),
    ("", "0", "1000", "KEYS"),
    ("k", "0", "1000", "KEYS", "a"),
    ("k", "0", "1000", "COPY", "NOSUCH"),
    ("k", "0", "1000", "AUTH"),
    ("k", "0", "1000", "AUTH2", "user"),
    ("k", "0", "1000", "KEYS", "a", "NOSUCH"),
    ("k", "x", "1000"),
    ("k", "0", "1.5"),
    ("k", "0", "x", "COPY", "REPLACE"),
    ("k", "99999999999999999999", "1000"),
])
def test_argument_errors_and_nokey_are_redis(diff, call):
    diff.check("MIGRATE", LOCAL, "1", *call)


@pytest.mark.parametrize("host, port", [
    ("nonexistent.invalid", "6379"),  # does not resolve
    (LOCAL, "refused"),               # nothing listens
    (LOCAL, "abc"),                   # atoi: port 0
    (LOCAL, "70000"),                 # 4464: nothing listens
    (LOCAL, "-1"),                    # the resolver refuses a negative port
    (LOCAL, "4294967295"),            # atoi's C int: -1
    (LOCAL, "99999999999"),
])
def test_unreachable_targets_are_redis(diff, host, port):
    port = str(free_port()) if port == "refused" else port
    diff.both("SET", "k", "v")
    diff.check("MIGRATE", host, port, "k", "0", "200")
    assert diff.both("GET", "k") == (b"v", b"v")


def test_the_port_is_read_as_redis_reads_it(diff, redis_target, target, target_server):
    """atoi, then 16 bits: the same target through another spelling of its port."""
    diff.both("SET", "k", "v")
    for spelling in (" {}", "+{}", "{}abc"):
        _check_both(diff, spelling.format(redis_target.port), spelling.format(target_server.port),
                    "k", "0", "1000", "COPY", "REPLACE")
    wrapped = str(65536 + target_server.port)
    assert diff.pika.call("MIGRATE", LOCAL, wrapped, "k", "0", "1000", "REPLACE") == "OK"


def test_a_silent_target_is_redis(diff, silent_port):
    diff.both("SET", "k", "v")
    diff.check("MIGRATE", LOCAL, str(silent_port), "k", "0", "200")


@pytest.mark.parametrize("options", [("AUTH", "pw"), ("AUTH2", "user", "pw")])
def test_errors_of_the_target_are_redis(diff, redis_target, target, target_server, options):
    """A refused AUTH keeps the key here, though the target (which needs no password) restored it."""
    diff.both("SET", "k", "v")
    assert str(_check_both(diff, redis_target.port, target_server.port, "k", "0", "1000", *options)).startswith(
        "ERR Target instance replied with error: ")
    _check_both(diff, redis_target.port, target_server.port, "k", "16", "1000")
    _check_both(diff, redis_target.port, target_server.port, "k", "0", "1000")
    assert _check_both(diff, redis_target.port, target_server.port, "k", "0", "1000", "COPY", "REPLACE") == "OK"
    assert _check_both(diff, redis_target.port, target_server.port, "k", "0", "1000", "REPLACE") == "OK"
    assert diff.both("EXISTS", "k") == (0, 0)


def test_pypika_payloads_are_refused_by_redis_server_and_the_other_way(diff, redis_target, target, target_server):
    """Our DUMP payload is our own format, not RDB: the target's RESTORE refuses each other's."""
    diff.both("SET", "k", "v")
    refused = Err("ERR Target instance replied with error: ERR DUMP payload version or checksum are wrong")
    assert diff.pika.call("MIGRATE", LOCAL, redis_target.port, "k", "0", "1000") == refused
    assert diff.redis.call("MIGRATE", LOCAL, target_server.port, "k", "0", "1000") == refused
    assert diff.both("GET", "k") == (b"v", b"v")


@pytest.mark.parametrize("call", [
    ("MIGRATE", "h", "1", "k", "0", "1"),
    ("MIGRATE", "h", "1", "", "0", "1"),
    ("MIGRATE", "h", "1", "", "0", "1", "KEYS", "a", "b"),
    ("MIGRATE", "h", "1", "", "0", "1", "COPY", "AUTH", "keys", "KEYS", "a"),
    ("MIGRATE", "h", "1", "", "0", "1", "AUTH2", "keys", "keys", "KEYS", "a"),
    ("MIGRATE", "h", "1", "k", "0", "1", "KEYS", "a"),
    ("MIGRATE", "h", "1", "", "0", "1", "KEYS"),
    ("MIGRATE", "h", "1", "", "0", "1", "AUTH", "keys", "KEYS"),
    ("MIGRATE", "h", "1", "", "0", "1", "AUTH", "keys", "x"),
    ("MIGRATE", "keys", "1", "k", "0", "1", "x"),
    ("MIGRATE", "h", "1", "", "0", "1", "KEYS", "a", "KEYS"),
    ("MIGRATE", "h", "1", "k", "0"),
    ("RESTORE-ASKING", "k", "0", "payload"),
])
def test_getkeys_are_redis(diff, call):
    diff.check("COMMAND", "GETKEYS", *call)
    diff.check("COMMAND", "GETKEYSANDFLAGS", *call)


@pytest.mark.parametrize("name", ["migrate", "restore-asking"])
def test_command_info_is_redis_tips_aside(diff, name):
    """COMMAND INFO's tips (MIGRATE's nondeterministic_output) are not given by any command here."""
    expected, actual = diff.both("COMMAND", "INFO", name)
    tips = 7
    assert actual[0][:tips] + actual[0][tips + 1:] == expected[0][:tips] + expected[0][tips + 1:]


# -- resharding a PikaCluster ------------------------------------------------------------------


def _move_misplaced_with_migrate(cluster: PikaCluster) -> int:
    """docs/sharding.md's procedure, step 2 (and 4): each source master sends every key the
    ring gives another shard to that shard's master, in one MIGRATE ... KEYS per pair."""
    moved = 0
    for (source, owner), keys in cluster.misplaced().items():
        destination = cluster.shards[owner].master
        reply = cluster.shards[source].master.client().execute_command(
            "MIGRATE", destination.host, destination.port, "", 0, 5000, "REPLACE", "KEYS", *keys)
        assert reply == b"OK"
        moved += len(keys)
    return moved


@pytest.mark.nutcracker
def test_resharding_with_migrate_serves_the_moved_keys_from_the_new_shard():
    require_nutcracker()
    with PikaCluster(shards=2, slaves=1) as cluster:
        proxy = cluster.client()
        values = {f"user:{n}": str(n) for n in range(300)}
        values.update({f"{{team{n}}}:{field}": field for n in range(30) for field in ("name", "size")})
        proxy.mset(values)
        proxy.expire("user:7", 600)
        cluster.wait_synced()

        new = cluster.add_shard()
        assert _move_misplaced_with_migrate(cluster) > 0
        late = next(f"late:{n}" for n in range(1000) if cluster.shard_of(f"late:{n}") == 2)
        values[late] = "written to its old owner before the proxy restarts"
        cluster.shards[cluster.shard_of(late, live=[0, 1])].master.client().set(late, values[late])
        cluster.proxy.restart(cluster.backends())
        cluster.wait_served()
        proxy = cluster.client()
        assert _move_misplaced_with_migrate(cluster) == 1

        placement = cluster.placement()
        on_new = [key for key, shard in placement.items() if shard == 2]
        assert on_new and all(cluster.shard_of(key) == shard for key, shard in placement.items())
        assert set(on_new) <= set(new.master.client().keys())
        for n in range(30):  # a tag's keys share a shard, before and after
            assert placement[f"{{team{n}}}:name".encode()] == placement[f"{{team{n}}}:size".encode()]
        assert proxy.mget(list(values)) == [value.encode() for value in values.values()]
        assert 0 < proxy.ttl("user:7") <= 600
        cluster.wait_synced()
        for group in cluster.shards:
            assert _digest(group.slaves[0].client()) == _digest(group.master.client())


@pytest.mark.parametrize("call", [
    ("k", "x", "1000", "AUTH", "secret"),
    ("k", "x", "1000", "COPY", "AUTH2", "user", "secret", "REPLACE"),
    ("k", "x", "1000", "AUTH2", "user"),
    ("", "x", "1000", "AUTH", "secret", "KEYS", "AUTH", "k"),
])
def test_passwords_are_redacted_in_the_slow_log_and_monitor(real_redis, pika_server, call):
    """As Redis' redactClientCommandArgument, as far as MIGRATE's parsing reached."""
    expected = []
    for port in (real_redis.port, pika_server.port):
        monitor, connection = RawConnection(port), RawConnection(port)
        try:
            assert monitor.call("MONITOR") == "OK"
            connection.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
            connection.call("SLOWLOG", "RESET")
            connection.call("MIGRATE", LOCAL, "1", *call)
            logged = [entry[3] for entry in connection.call("SLOWLOG", "GET", "10") if entry[3][0] == b"MIGRATE"]
            connection.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            line = next(line for line in (str(monitor.read_reply()) for _ in range(4)) if '"MIGRATE"' in line)
            expected.append((logged, line.split("] ", 1)[1]))
        finally:
            monitor.close()
            connection.close()
    assert expected[1] == expected[0]
    assert b"secret" not in expected[0][0][0]


def test_a_migration_to_this_very_server_and_db_moves_nothing(r, pika_server):
    """Redis waits for its own reply until the timeout; here the same answer comes at once
    (REPLACE would otherwise restore the key over itself, then delete it). Another DB of this
    server is a target like any other."""
    r.set("k", "v")
    for host in (LOCAL, "localhost"):
        with pytest.raises(redis.ResponseError, match="^IOERR error or timeout reading to target instance$"):
            r.execute_command("MIGRATE", host, pika_server.port, "k", 0, 1000, "REPLACE")
    assert r.get("k") == b"v"
    assert _migrate(r, pika_server.port, "k", 4, 1000) == b"OK"
    assert r.exists("k") == 0
    r.select(4)
    assert r.get("k") == b"v"


def test_slotsmgrt_keeps_pikas_texts_and_shares_the_connection_cache(target_server):
    """The neutral failures of the target connection, worded by SLOTSMGRTTAGONE as Pika words
    them; MIGRATE then uses the connection SLOTSMGRTTAGONE opened."""
    with PikaServer(config={"slotmigrate": "yes"}) as source, PikaServer() as fresh:
        client = source.client()
        client.mset({"a": 1, "b": 2, "c": 3})
        faulty = (LOCAL, target_server.port, 300)
        with target_server.fault(command="set", error="ERR refused by the test"):
            with pytest.raises(redis.ResponseError,
                               match="^something wrong with slots migrate, reply: ERR refused by the test$"):
                client.execute_command("SLOTSMGRTTAGONE", *faulty, "a")
        with target_server.fault(command="set", hang=True):
            with pytest.raises(redis.ResponseError, match="^Connect slots target, Recv error: TimeoutError$"):
                client.execute_command("SLOTSMGRTTAGONE", *faulty, "a")
        watching = fresh.client()
        assert client.execute_command("SLOTSMGRTTAGONE", LOCAL, fresh.port, 1000, "b") == 1
        assert _migrate(client, fresh.port, "c", 0, 1000) == b"OK"
        assert len(_migration_connections(watching)) == 1
        assert watching.mget("b", "c") == [b"2", b"3"] and client.keys() == [b"a"]
