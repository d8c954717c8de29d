"""INFO's counters against redis-server 7.0 where both count the same thing (keyspace_hits and
keyspace_misses, command by command), and with their meaning here where Redis' parts differ
(sync_full / sync_partial_* for Pika's full syncs and TrySyncs, repl bytes, buffers, expiry)."""

from __future__ import annotations

import socket

import pytest

from pypika_store.testing import PikaGroup, PikaServer

from .support import wait_until
from .test_config import pair  # noqa: F401  (a private redis-server and pypika-store, reconfigured freely)

#: The keys each lookup case starts with (a string, a list, a set, a hash, a zset, a HyperLogLog).
SETUP = [("SET", "s", "1"), ("RPUSH", "l", "b", "a"), ("SADD", "st", "a", "b"), ("HSET", "h", "f", "v"),
         ("ZADD", "z", "1", "a"), ("PFADD", "hll", "a"), ("SET", "gone", "x", "PX", "1")]

#: One command per case: read commands count every key they look up, store commands their
#: sources, SET ... GET its key; other writes count nothing.
LOOKUP_CASES = [
    ("GET", "s"), ("GET", "nx"), ("MGET", "s", "nx", "s"), ("EXISTS", "s", "nx", "s"), ("TYPE", "s"),
    ("TTL", "nx"), ("PTTL", "s"), ("STRLEN", "s"), ("GETRANGE", "s", "0", "1"), ("DUMP", "nx"),
    ("OBJECT", "ENCODING", "s"), ("TOUCH", "s", "nx"), ("LRANGE", "l", "0", "-1"), ("LLEN", "nx"),
    ("LINDEX", "l", "0"), ("LPOS", "l", "a"), ("HGET", "h", "f"), ("HGETALL", "nx"), ("HEXISTS", "h", "x"),
    ("SMEMBERS", "st"), ("SISMEMBER", "st", "a"), ("SINTER", "st", "nx"), ("SINTERCARD", "1", "st"),
    ("ZSCORE", "z", "a"), ("ZRANGE", "z", "0", "-1"), ("ZCARD", "nx"), ("PFCOUNT", "hll", "nx"),
    ("XRANGE", "nx", "-", "+"), ("GET", "gone"), ("SORT_RO", "l", "ALPHA"), ("LCS", "s", "nx"),
    ("MEMORY", "USAGE", "s"), ("SCAN", "0"), ("KEYS", "*"), ("RANDOMKEY",), ("DBSIZE",),
    ("INCR", "s"), ("SET", "s", "2"), ("SET", "s", "2", "GET"), ("SET", "nx", "2", "GET"), ("GETDEL", "nx"),
    ("GETEX", "s"), ("GETSET", "s", "3"), ("APPEND", "s", "x"), ("SETRANGE", "s", "0", "a"), ("DEL", "s", "nx"),
    ("UNLINK", "nx"), ("EXPIRE", "nx", "10"), ("PERSIST", "s"), ("RENAME", "l", "l2"), ("LPUSH", "nx", "1"),
    ("LPOP", "nx"), ("LMOVE", "l", "l2", "LEFT", "LEFT"), ("RPOPLPUSH", "nx", "l"), ("HSET", "h", "f", "w"),
    ("SADD", "st", "c"), ("SMOVE", "st", "st2", "a"), ("SUNIONSTORE", "d", "st", "nx"),
    ("SINTERSTORE", "d", "st", "nx"), ("SDIFFSTORE", "d", "st", "nx"), ("ZUNIONSTORE", "d", "2", "z", "nx"),
    ("ZINTERSTORE", "d", "1", "z"), ("ZRANGESTORE", "d", "z", "0", "-1"), ("BITOP", "OR", "d", "s", "nx"),
    ("PFMERGE", "hll2", "hll", "nx"), ("COPY", "s", "s9"), ("SORT", "l", "ALPHA", "STORE", "d"),
    ("SETNX", "s", "1"), ("MSETNX", "a", "1", "b", "2"), ("INCRBYFLOAT", "s", "1"), ("LMPOP", "1", "nx", "LEFT"),
    ("ZMPOP", "1", "nx", "MIN"), ("BLPOP", "l", "1"), ("SORT_RO", "l", "BY", "w_*", "GET", "#", "GET", "h*->f"),
    ("SORT", "l", "BY", "nosort", "GET", "x_*"), ("SORT", "l", "BY", "w_*", "GET", "#", "STORE", "l"), ("HMGET", "h", "f", "g"), ("XREAD", "STREAMS", "nx", "0"),
    ("GEORADIUS", "nx", "0", "0", "1", "km"), ("GEOSEARCHSTORE", "d", "nx", "FROMLONLAT", "0", "0", "BYRADIUS", "1",
                                                "km"), ("GETBIT", "s", "0"), ("BITCOUNT", "nx"), ("SRANDMEMBER", "st"),
    ("ZRANK", "z", "a"), ("HRANDFIELD", "h"), ("OBJECT", "FREQ", "s"), ("SUNION", "st", "st", "nx"),
]


def _lookups(differential) -> tuple[tuple[int, int], ...]:
    """Each server's (keyspace_hits, keyspace_misses)."""
    counted = []
    for text in differential.both("INFO", "stats"):
        fields = dict(line.split(":", 1) for line in text.decode().split("\r\n") if ":" in line)
        counted.append((int(fields["keyspace_hits"]), int(fields["keyspace_misses"])))
    return tuple(counted)


@pytest.mark.parametrize("call", LOOKUP_CASES, ids=" ".join)
def test_keyspace_hits_and_misses_count_as_redis(pair, call):
    pair.both("FLUSHALL")
    for setup in SETUP:
        pair.both(*setup)
    wait_until(lambda: pair.both("EXISTS", "gone") == (0, 0), what="the short-lived key to expire")
    pair.both("CONFIG", "RESETSTAT")
    pair.both(*call)
    expected, actual = _lookups(pair)
    assert actual == expected


def test_lookups_inside_multi_count_once_each(pair):
    pair.both("FLUSHALL")
    pair.both("SET", "k", "v")
    pair.both("CONFIG", "RESETSTAT")
    for command in (("MULTI",), ("GET", "k"), ("GET", "nx"), ("SET", "k", "w"), ("EXEC",)):
        pair.both(*command)
    expected, actual = _lookups(pair)
    assert actual == expected == (1, 1)


def test_resetstat_zeroes_the_new_counters(pika_server):
    client = pika_server.client()
    client.config_resetstat()
    client.get("nx")
    client.set("k", "v")
    client.get("k")
    stats = client.info("stats")
    assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (1, 1)
    assert stats["total_reads_processed"] >= 3 and stats["total_writes_processed"] >= 3
    client.config_resetstat()
    stats = client.info("stats")
    assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (0, 0)
    assert 1 <= stats["total_reads_processed"] <= 2  # this INFO's own read (and a fixture's flush)
    client.flushall()
    client.close()


def test_active_expiry_cycle_is_timed_and_its_cap_counted():
    """The cron deletes at most one batch of due keys per DB per run: a run that stops at it
    counts in expired_time_cap_reached_count."""
    with PikaServer() as server:
        client = server.client()
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        with client.pipeline(transaction=False) as pipe:
            for index in range(1000):
                pipe.set(f"k{index}", "v", px=1)
            pipe.execute()
        client.execute_command("DEBUG", "SLEEP", "0.01")  # every key is due
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        wait_until(lambda: client.info("stats")["expired_keys"] == 1000, what="the active expiry")
        stats = client.info("stats")
        assert stats["expired_time_cap_reached_count"] >= 1000 // 200 - 1
        assert server.server.stats.expire_cycle_ns > 0  # INFO shows it in whole milliseconds
        assert stats["expire_cycle_cpu_milliseconds"] <= server.server.stats.expire_cycle_ns // 1_000_000
        client.close()


def test_recent_max_buffers_see_a_partial_command_and_an_unread_reply():
    with PikaServer(mode="process") as server:  # its buffers' memory is not this process' (MEMORY DOCTOR's peak)
        client = server.client()
        # An 8 MB value from a small command: the SET of one arrived in pieces on a loaded
        # machine, and a sample of its input buffer then counted as the recent maximum.
        client.setrange("big", 8_000_000 - 1, "x")
        writer = socket.create_connection(("127.0.0.1", server.port))
        writer.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + b"y" * 60_000)  # not complete
        reader = socket.create_connection(("127.0.0.1", server.port))
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 4)  # never read
        info = wait_until(lambda: (lambda clients: clients if clients["client_recent_max_input_buffer"] >= 60_000
                                   and clients["client_recent_max_output_buffer"] > 1_000_000 else None)(
            client.info("clients")), what="the buffers sampled")
        assert info["client_recent_max_input_buffer"] < 100_000
        writer.close()
        reader.close()
        client.close()


def test_sync_counters_and_repl_bytes_on_master_and_slave(tmp_path):
    """A slave's first sync is a full one (sync_full); reconnecting from its position streams on
    (sync_partial_ok); a TrySync the master refuses counts in sync_partial_err, then the full
    sync it leads to in sync_full."""
    with PikaGroup(slaves=1) as group:
        master, slave = group.master.client(), group.slaves[0].client()
        master.set("k", "v")
        group.wait_synced()
        stats = master.info("stats")
        assert (stats["sync_full"], stats["sync_partial_ok"], stats["sync_partial_err"]) == (1, 0, 0)
        assert stats["total_net_repl_output_bytes"] > 0
        assert slave.info("stats")["total_net_repl_input_bytes"] > 0
        with master.pipeline(transaction=False) as pipe:  # traffic for the rates (a window of 1.6 s)
            for index in range(2000):
                pipe.set(f"rate{index}", "x" * 100)
            pipe.execute()
        wait_until(lambda: float(master.info("stats")["instantaneous_output_repl_kbps"]) > 0
                   and float(slave.info("stats")["instantaneous_input_repl_kbps"]) > 0, what="the repl rates")
        # What the master wrote to its slave (snapshot, items, pings, replies) is what the slave read.
        wait_until(lambda: master.info("stats")["total_net_repl_output_bytes"]
                   == slave.info("stats")["total_net_repl_input_bytes"], what="both ends to agree")
        master.client_kill_filter(_type="slave")
        wait_until(lambda: master.info("stats")["sync_partial_ok"] == 1, what="the slave to stream on")
        stats = master.info("stats")
        assert (stats["sync_full"], stats["sync_partial_err"]) == (1, 0)
        # The slave is told its position is past the master's end: TrySync refused, then a full sync.
        slave.execute_command("SLAVEOF", "NO", "ONE")
        slave.set("only-on-the-slave", "1")
        slave.execute_command("SLAVEOF", "127.0.0.1", group.master.port)
        wait_until(lambda: master.info("stats")["sync_full"] == 2, what="the second full sync")
        assert master.info("stats")["sync_partial_err"] == 1
        master.close()
        slave.close()


def test_slave_counts_errors_of_replicated_commands_as_unexpected():
    with PikaGroup(slaves=1) as group:
        master, slave = group.master.client(), group.slaves[0].client()
        master.lpush("l", "x")
        group.wait_synced()
        slave_server = group.slaves[0].server
        slave_server.loop.call_soon_threadsafe(slave_server.apply_replicated, 0, [b"INCR", b"l"])
        wait_until(lambda: slave.info("stats")["unexpected_error_replies"] == 1, what="the error counted")
        assert master.info("stats")["unexpected_error_replies"] == 0
        master.close()
        slave.close()


def test_persistence_counts_changes_and_bgsaves_as_redis_names_them():
    """rdb_changes_since_last_save counts write commands (their binlog items) since the last
    snapshot; rdb_saves the BGSAVEs started; rdb_last_bgsave_time_sec the last one's length."""
    with PikaServer() as server:
        client = server.client()
        persistence = client.info("persistence")
        assert (persistence["rdb_changes_since_last_save"], persistence["rdb_saves"]) == (0, 0)
        assert persistence["rdb_last_bgsave_time_sec"] == persistence["rdb_current_bgsave_time_sec"] == -1
        client.set("a", "1")
        client.incr("n")
        client.get("a")
        assert client.info("persistence")["rdb_changes_since_last_save"] == 2
        client.bgsave()
        wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, what="the bgsave")
        persistence = client.info("persistence")
        assert (persistence["rdb_changes_since_last_save"], persistence["rdb_saves"]) == (0, 1)
        assert persistence["rdb_last_bgsave_time_sec"] == 0 and persistence["rdb_current_bgsave_time_sec"] == -1
        client.delete("a")
        assert client.info("persistence")["rdb_changes_since_last_save"] == 1
        client.close()


def test_clients_in_timeout_table_counts_blocked_clients_with_a_timeout(pika_server):
    client = pika_server.client()
    forever, bounded = socket.create_connection(("127.0.0.1", pika_server.port)), \
        socket.create_connection(("127.0.0.1", pika_server.port))
    forever.sendall(b"BLPOP nothing 0\r\n")
    bounded.sendall(b"BLPOP nothing 100\r\n")
    wait_until(lambda: client.info("clients")["blocked_clients"] == 2, what="both clients to block")
    assert client.info("clients")["clients_in_timeout_table"] == 1
    forever.close()
    bounded.close()
    client.close()


def test_lazyfreed_objects_counts_collections_reclaimed_in_the_background():
    with PikaServer() as server:
        client = server.client()
        for name in ("h1", "h2"):
            client.hset(name, mapping={f"f{n}": "v" for n in range(100)})
        assert client.delete("h1", "h2") == 2
        wait_until(lambda: client.info("memory")["lazyfree_pending_objects"] == 0, what="the members reclaimed")
        assert client.info("memory")["lazyfreed_objects"] == 2
        client.close()


def test_client_memory_is_the_bytes_in_their_buffers():
    with PikaServer() as server:
        client = server.client()
        writer = socket.create_connection(("127.0.0.1", server.port))
        writer.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + b"y" * 50_000)  # not complete
        wait_until(lambda: client.info("memory")["mem_clients_normal"] >= 50_000, what="the partial command")
        assert client.info("memory")["mem_clients_slaves"] == 0
        writer.close()
        client.close()
