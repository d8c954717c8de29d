"""MULTI / EXEC / DISCARD / WATCH / UNWATCH: replies and errors against a real redis-server,
what breaks a watch (other clients, expiry, flushes, replication), EXEC's binlog records, and
Redis Sentinel's promotion sequence run inside MULTI/EXEC on a slave."""

from __future__ import annotations

import os
import time

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.engine import Engine
from pypika_store.server.watches import WatchRegistry
from pypika_store.testing import PikaGroup, PikaServer, free_port

from .support import Differential, Err, RawConnection, Stat, wait_until

SCENARIOS = {
    "queue_and_exec": [
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("LPUSH", "a", "x"), ("GET", "a"), ("PING",),
        ("ECHO", "e"), ("EXEC",), ("GET", "a"),
    ],
    "empty_and_nested": [("MULTI",), ("MULTI",), ("EXEC",), ("MULTI",), ("MULTI", "x"), ("EXEC",)],
    "queueing_errors_abort": [
        ("MULTI",), ("NOSUCH", "x"), ("SET", "a"), ("GET", "a"), ("EXEC",), ("GET", "a"),
        ("MULTI",), ("CONFIG", "NOSUCH"), ("EXEC",), ("MULTI",), ("CLIENT",), ("EXEC",),
        ("MULTI",), ("SAVE",), ("SHUTDOWN",), ("EXEC",),
    ],
    "without_multi": [("EXEC",), ("DISCARD",), ("DISCARD", "x"), ("EXEC", "x")],
    "exec_refused_ends_the_transaction": [
        ("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",), ("GET", "a"),
    ],
    "discard": [
        ("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a"), ("MULTI",), ("DISCARD", "x"), ("EXEC",),
    ],
    "watch_errors": [("MULTI",), ("WATCH", "a"), ("SET", "a", "1"), ("EXEC",), ("WATCH",), ("UNWATCH", "x"),
                     ("UNWATCH",)],
    "blocking_commands_answer_at_once": [
        ("MULTI",), ("BLPOP", "l", "0"), ("BZPOPMIN", "z", "0"), ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
        ("RPUSH", "l", "a"), ("BLPOP", "l", "0"), ("BLMOVE", "l", "m", "LEFT", "LEFT", "0"), ("WAIT", "0", "0"),
        ("EXEC",),
    ],
    "select_inside": [
        ("MULTI",), ("SELECT", "1"), ("SET", "k", "v"), ("EXEC",), ("GET", "k"), ("SELECT", "0"), ("GET", "k"),
    ],
    "publish_inside": [("MULTI",), ("PUBLISH", "c", "m"), ("PUBSUB", "NUMSUB", "c"), ("EXEC",)],
}


@pytest.mark.redis_server
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_transaction_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


@pytest.fixture
def pairs(real_redis, pika_server):
    """Open connection pairs (redis-server, pypika-store); both servers are flushed around."""
    opened: list[Differential] = []

    def open_pair() -> Differential:
        pair = Differential(real_redis.port, pika_server.port)
        opened.append(pair)
        return pair

    open_pair().both("FLUSHALL")
    yield open_pair
    opened[0].both("FLUSHALL")
    for pair in opened:
        pair.close()


def _sleep() -> None:
    time.sleep(0.15)


#: WATCH cases: (set-up by another client, keys watched, what happens before MULTI: commands of
#: another client or a pause). EXEC answers null when the watch broke.
WATCH_CASES = {
    "other_client_writes": ([("SET", "k", "v")], ["k"], [("SET", "k", "w")]),
    "same_value_rewritten": ([("SET", "k", "v")], ["k"], [("SET", "k", "v")]),
    "other_key_written": ([("SET", "k", "v")], ["k"], [("SET", "j", "v")]),
    "several_keys_one_written": ([], ["a", "b", "c"], [("SET", "b", "1")]),
    "missing_key_created": ([], ["k"], [("LPUSH", "k", "a")]),
    "del_of_missing_key": ([], ["k"], [("DEL", "k")]),
    "noop_set_writes": ([("SADD", "k", "a")], ["k"], [("SADD", "k", "a"), ("SREM", "k", "b")]),
    "member_added": ([("SADD", "k", "a")], ["k"], [("SADD", "k", "b")]),
    "hash_field_set": ([("HSET", "k", "f", "1")], ["k"], [("HINCRBY", "k", "f", "1")]),
    "expire_set": ([("SET", "k", "v")], ["k"], [("EXPIRE", "k", "100")]),
    "persist_without_ttl": ([("SET", "k", "v")], ["k"], [("PERSIST", "k")]),
    "renamed_away_string": ([("SET", "k", "v")], ["k"], [("RENAME", "k", "j")]),
    "renamed_away_collection": ([("RPUSH", "k", "a")], ["k"], [("RENAME", "k", "j")]),
    "renamed_onto": ([("RPUSH", "j", "a")], ["k"], [("RENAME", "j", "k")]),
    "moved_to_other_db": ([("SET", "k", "v")], ["k"], [("MOVE", "k", "1")]),
    "flushall_existing": ([("SET", "k", "v")], ["k"], [("FLUSHALL",)]),
    "flushall_missing": ([("SET", "j", "v")], ["k"], [("FLUSHALL",)]),
    "flushdb_other_db": ([("SET", "k", "v")], ["k"], [("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0")]),
    "write_in_other_db": ([("SET", "k", "v")], ["k"], [("SELECT", "1"), ("SET", "k", "w"), ("SELECT", "0")]),
    "live_key_expires": ([("SET", "k", "v", "PX", "100")], ["k"], ["sleep"]),
    "expired_key_nothing_happens": ([("SET", "k", "v", "PX", "50"), "sleep"], ["k"], []),
    "expired_key_read": ([("SET", "k", "v", "PX", "50"), "sleep"], ["k"], [("GET", "k")]),
    "expired_key_deleted": ([("SET", "k", "v", "PX", "50"), "sleep"], ["k"], [("DEL", "k")]),
    "expired_key_flushed": ([("SET", "k", "v", "PX", "50"), "sleep"], ["k"], [("FLUSHALL",)]),
    "expired_key_written": ([("SET", "k", "v", "PX", "50"), "sleep"], ["k"], [("SET", "k", "w")]),
    "expired_key_deleted_then_written": ([("SET", "k", "v", "PX", "50"), "sleep"], ["k"],
                                         [("DEL", "k"), ("SET", "k", "w")]),
}


def _run(pair: Differential, steps: list) -> None:
    for step in steps:
        if step == "sleep":
            _sleep()
        else:
            pair.both(*step)


@pytest.mark.redis_server
@pytest.mark.parametrize("name", sorted(WATCH_CASES))
def test_watch_case_matches_redis(pairs, name):
    setup, keys, between = WATCH_CASES[name]
    watcher, other = pairs(), pairs()
    _run(other, setup)
    watcher.check("WATCH", *keys)
    _run(other, between)
    watcher.check("MULTI")
    watcher.check("SET", "result", "1")
    watcher.check("EXEC")
    watcher.check("GET", "result")


WATCHER_SEQUENCES = {
    "own_write_before_multi": [("SET", "k", "v"), ("WATCH", "k"), ("SET", "k", "w"), ("MULTI",), ("EXEC",)],
    "own_write_inside_multi": [("SET", "k", "v"), ("WATCH", "k"), ("MULTI",), ("SET", "k", "w"), ("EXEC",)],
    "unwatch_forgets": [("WATCH", "k"), ("SET", "k", "w"), ("UNWATCH",), ("MULTI",), ("EXEC",)],
    "failed_exec_forgets": [("WATCH", "k"), ("SET", "k", "w"), ("MULTI",), ("GET", "k"), ("EXEC",),
                            ("MULTI",), ("EXEC",)],
    "discard_forgets": [("WATCH", "k"), ("SET", "k", "w"), ("MULTI",), ("DISCARD",), ("MULTI",), ("EXEC",)],
    "watch_after_broken_stays_broken": [("WATCH", "k"), ("SET", "k", "w"), ("WATCH", "j"), ("MULTI",), ("EXEC",)],
    "aborted_exec_forgets": [("WATCH", "k"), ("MULTI",), ("NOSUCH",), ("EXEC",), ("SET", "k", "x"),
                             ("MULTI",), ("EXEC",)],
    "watch_in_db1": [("SELECT", "1"), ("WATCH", "k"), ("SELECT", "0"), ("SET", "k", "v"), ("MULTI",), ("EXEC",),
                     ("SELECT", "1"), ("WATCH", "k"), ("SET", "k", "v"), ("SELECT", "0"), ("MULTI",), ("EXEC",)],
}


@pytest.mark.redis_server
@pytest.mark.parametrize("name", sorted(WATCHER_SEQUENCES))
def test_watcher_sequence_matches_redis(diff, name):
    diff.check_all(WATCHER_SEQUENCES[name])


@pytest.mark.redis_server
def test_exec_runs_its_queue_before_blocked_clients_are_served(pairs, real_redis, pika_server):
    """Nothing interleaves with EXEC: RPUSH then LPOP inside it leave nothing for a client
    blocked on the list, which is served only by a later push."""
    blocked, runner = pairs(), pairs()
    for connection in (blocked.redis, blocked.pika):
        connection.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
    for port in (real_redis.port, pika_server.port):
        probe = RawConnection(port)
        wait_until(lambda: b"blocked_clients:1" in probe.call("INFO", "clients"), what="the client to block")
        probe.close()
    runner.check("MULTI")
    runner.check("RPUSH", "q", "x")
    runner.check("LPOP", "q")
    assert runner.check("EXEC") == [1, b"x"]
    runner.check("RPUSH", "q", "y")
    assert blocked.redis.read_reply() == blocked.pika.read_reply() == [b"q", b"y"]


@pytest.mark.redis_server
def test_client_list_shows_the_transaction(pairs):
    client, admin = pairs(), pairs()
    ids = {"redis": client.redis.call("CLIENT", "ID"), "pika": client.pika.call("CLIENT", "ID")}
    client.check("MULTI")
    client.check("SET", "a", "1")
    client.check("GET", "a")
    fields = {}
    for side in ("redis", "pika"):
        line = getattr(admin, side).call("CLIENT", "LIST", "ID", ids[side]).decode()
        fields[side] = {key: value for key, value in (item.split("=", 1) for item in line.split())
                        if key in ("flags", "multi", "cmd")}
    assert fields["pika"] == fields["redis"] == {"flags": "x", "multi": "2", "cmd": "get"}
    client.check("DISCARD")


def test_a_watched_key_expiring_unread_breaks_the_watch(tmp_path):
    """Lazy expiry deletes nothing: EXEC itself sees that a key alive at WATCH has expired."""
    engine = Engine(str(tmp_path / "db"), databases=2)
    keyspace = engine.keyspaces[0]
    now = [1_000_000]
    engine.now_ms = lambda: now[0]
    keyspace.set_string(b"ttl", b"v", expire_at_ms=now[0] + 100)
    keyspace.set_string(b"plain", b"v")
    engine.log_changes()
    watches = WatchRegistry(engine)
    ttl_watcher, plain_watcher = object(), object()
    watches.watch(ttl_watcher, keyspace, [b"ttl"])  # type: ignore[arg-type]
    watches.watch(plain_watcher, keyspace, [b"plain"])  # type: ignore[arg-type]
    assert engine.on_changes is not None
    now[0] += 100
    assert watches.broken(ttl_watcher) and not watches.broken(plain_watcher)  # type: ignore[arg-type]
    watches.unwatch(ttl_watcher)  # type: ignore[arg-type]
    watches.unwatch(plain_watcher)  # type: ignore[arg-type]
    assert engine.on_changes is None  # nothing watched: writes pay nothing
    engine.close()


def test_a_replicated_write_breaks_a_watch_on_the_slave():
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        master.set("k", "v")
        group.wait_synced()
        on_slave = RawConnection(group.slaves[0].port)
        for expected in ([b"v"], None):
            assert on_slave.call("WATCH", "k") == "OK"
            if expected is None:
                master.set("k", "v2")
                group.wait_synced()
            assert on_slave.call("MULTI") == "OK"
            assert on_slave.call("GET", "k") == "QUEUED"
            assert on_slave.call("EXEC") == expected
        on_slave.close()


def _logged(server: PikaServer, db: int = 0) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", f"log_db{db}")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


EXEC_WRITES = [
    ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("DEL", "missing"), ("HSET", "h", "f", "v", "g", "w"),
    ("RPUSH", "l", "x", "y"), ("LPOP", "l"), ("EXPIREAT", "a", "4102444800"), ("SADD", "s", "m"),
    ("INCR", "h"), ("RENAME", "l", "l2"), ("SELECT", "1"), ("SET", "in-db1", "v"), ("SELECT", "0"), ("DEL", "h"),
]


def test_exec_logs_what_its_commands_would_log_one_by_one(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "multi")) as in_multi, \
            PikaServer(data_dir=str(tmp_path / "plain")) as one_by_one:
        transaction = RawConnection(in_multi.port)
        assert transaction.call("MULTI") == "OK"
        assert all(transaction.call(*command) == "QUEUED" for command in EXEC_WRITES)
        replies = transaction.call("EXEC")
        plain = RawConnection(one_by_one.port)
        assert replies == [plain.call(*command) for command in EXEC_WRITES]
        assert isinstance(replies[9], Err)  # INCR of a hash: an error element, the rest ran
        assert _logged(in_multi) == _logged(one_by_one)
        assert _logged(in_multi, 1) == _logged(one_by_one, 1) == [[b"set", b"in-db1", b"v"]]
        assert [record[0] for record in _logged(in_multi)][:2] == [b"set", b"set"]  # INCR logged as its value
        transaction.close()
        plain.close()


@pytest.fixture
def read_only_pair(real_redis):
    """redis-server made a read-only replica (of a master that is not there) and a pypika-store
    slave, side by side."""
    probe = RawConnection(real_redis.port)
    probe.call("FLUSHALL")
    probe.call("SET", "k", "v")
    with PikaGroup(slaves=1) as group:
        group.master.client().set("k", "v")
        group.wait_synced()
        assert probe.call("REPLICAOF", "127.0.0.1", free_port()) == "OK"
        pair = Differential(real_redis.port, group.slaves[0].port)
        try:
            yield pair
        finally:
            pair.close()
            probe.call("REPLICAOF", "NO", "ONE")
            probe.call("FLUSHALL")
            probe.close()


@pytest.mark.redis_server
def test_transactions_on_a_read_only_slave_match_redis(read_only_pair):
    read_only_pair.check_all([
        ("MULTI",), ("GET", "k"), ("PUBLISH", "c", "m"), ("EXEC",),          # reads run
        ("MULTI",), ("GET", "k"), ("SET", "k", "w"), ("EXEC",),              # a write is refused when queued
        ("GET", "k"), ("WATCH", "k"), ("MULTI",), ("EXEC",),
    ])


@pytest.mark.redis_server
def test_exec_of_writes_on_a_node_that_turned_slave_matches_redis(real_redis, tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        pair, admin = Differential(real_redis.port, server.port), Differential(real_redis.port, server.port)
        try:
            pair.check("MULTI")
            pair.check("SET", "turned", "slave")
            pair.check("GET", "turned")
            nowhere = free_port()
            admin.check("SLAVEOF", "127.0.0.1", nowhere)
            assert pair.check("EXEC") == Err("EXECABORT Transaction discarded because of: "
                                             "READONLY You can't write against a read only replica.")
            pair.check("EXEC")
        finally:
            admin.both("SLAVEOF", "NO", "ONE")
            admin.both("DEL", "turned")
            pair.close()
            admin.close()


def _role(server: PikaServer) -> dict:
    return server.client().info("replication")


def _link_up(slave: PikaServer, master: PikaServer) -> bool:
    info = _role(slave)
    return info.get("master_port") == master.port and info.get("master_link_status") == "up"


def _sentinel_sequence(connection: RawConnection, slaveof: tuple) -> list:
    """What Redis Sentinel sends to promote (SLAVEOF NO ONE) or re-point (SLAVEOF host port)
    an instance: four commands in one transaction; every one must be queued."""
    assert connection.call("MULTI") == "OK"
    for command in [("SLAVEOF", *slaveof), ("CONFIG", "REWRITE"), ("CLIENT", "KILL", "TYPE", "normal"),
                    ("CLIENT", "KILL", "TYPE", "pubsub")]:
        assert connection.call(*command) == "QUEUED"
    return connection.call("EXEC")


def _normal_clients(connection: RawConnection) -> int:
    return len(connection.call("CLIENT", "LIST", "TYPE", "normal").splitlines())


def _disconnected(connection: RawConnection) -> bool:
    try:
        connection.read_reply()
    except (ConnectionError, OSError):
        return True
    return False


def test_sentinel_promotion_and_repointing_inside_multi_exec(tmp_path):
    configs = {name: tmp_path / f"{name}.conf" for name in ("s1", "s2")}
    for path in configs.values():
        path.write_text("# written by the test\n")
    with PikaServer(data_dir=str(tmp_path / "m")) as master, \
            PikaServer(data_dir=str(tmp_path / "s1"), config_file=str(configs["s1"])) as s1, \
            PikaServer(data_dir=str(tmp_path / "s2"), config_file=str(configs["s2"])) as s2:
        master.client().set("k", "v")
        for slave in (s1, s2):
            slave.client().slaveof("127.0.0.1", master.port)
            wait_until(lambda slave=slave: _link_up(slave, master), timeout=30, what="the slave to sync")
        # Promote s1, as Sentinel does, with a subscriber and an idle client connected.
        subscriber, idle, caller = (RawConnection(s1.port) for _ in range(3))
        subscriber.call("SUBSCRIBE", "__sentinel__:hello")
        others = _normal_clients(caller) - 1
        assert _sentinel_sequence(caller, ("NO", "ONE")) == [Stat("OK"), Stat("OK"), others, 1]
        assert caller.call("PING") == "PONG"  # the caller is spared (SKIPME yes)
        assert _disconnected(subscriber) and _disconnected(idle)
        assert _role(s1)["role"] == "master"
        assert "slaveof" not in configs["s1"].read_text()
        assert _link_up(s2, master)  # the other slave's link is untouched
        # The same kills on a master spare its slaves' replication links (clients of kind slave).
        on_master = RawConnection(master.port)
        assert on_master.call("MULTI") == "OK"
        on_master.call("CLIENT", "KILL", "TYPE", "normal")
        on_master.call("CLIENT", "KILL", "TYPE", "pubsub")
        assert len(on_master.call("EXEC")) == 2
        master.client().set("after", "kills")
        wait_until(lambda: s2.client().get("after") == b"kills", timeout=30, what="replication to s2")
        assert _link_up(s2, master)
        # Re-point s2 to the new master.
        caller2 = RawConnection(s2.port)
        replies = _sentinel_sequence(caller2, ("127.0.0.1", s1.port))
        assert replies[:2] == [Stat("OK"), Stat("OK")] and replies[3] == 0
        assert caller2.call("PING") == "PONG"
        assert _role(s2)["role"] == "slave" and _role(s2)["master_port"] == s1.port
        assert f"{s1.port}" in configs["s2"].read_text()
        wait_until(lambda: _link_up(s2, s1), timeout=30, what="s2 to follow the promoted s1")
        for connection in (caller, caller2, on_master):
            connection.close()
