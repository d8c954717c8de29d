"""CONFIG GET/SET against redis-server 7.0: every option Redis has, its default, its value
checks and error texts, several options in one call, aliases, and the options with an effect
here (OBJECT ENCODING's thresholds)."""

from __future__ import annotations

import os

import pytest

from pypika_store.config import OPTIONS, Config
from pypika_store.testing import PikaServer

from .support import Differential, RawConnection

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "scripts", "data", "redis-7.0.15-config.txt")

#: Defaults that are Pika's (or the run's) on purpose; docs/configuration.md lists them.
OWN_DEFAULTS = {"port", "bind", "repl-timeout", "dir"}
#: Options whose CONFIG SET differs on purpose: Pika's port and bind cannot change at run time;
#: activedefrag and TLS need an allocator and TLS support this server does not have to refuse.
OWN_SETTERS = {"port", "bind", "activedefrag", "tls-cluster", "tls-replication"}
#: One value of each kind of mistake and of each accepted spelling.
PROBES = ("abc", "-1", "0", "05", "+5", " 5", "", "1.5", "1gb", "1KB", "100k", "99999999999999999999",
          "-99999999999", "18446744073709551616", "yes", "YES", "no", "5%", "101%")


def redis_reference() -> dict[str, str]:
    with open(REFERENCE, encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t", 1) for line in handle if line.strip() and not line.startswith("#")]
    return dict(rows)


@pytest.fixture(scope="module")
def pair(private_redis):
    """A private redis-server and pypika-store: these tests reconfigure both."""
    with PikaServer() as server:
        differential = Differential(private_redis.port, server.port)
        yield differential
        differential.close()


def test_every_redis_option_is_known_with_its_default():
    reference = redis_reference()
    assert len(reference) > 180
    config = Config()
    missing = sorted(set(reference) - set(OPTIONS))
    assert not missing
    wrong = {name: (config.formatted(name), default) for name, default in reference.items()
             if name not in OWN_DEFAULTS and config.formatted(name) != default}
    assert not wrong


def test_config_get_star_lists_redis_names_and_pika_names(pika_server):
    raw = RawConnection(pika_server.port)
    reply = raw.call("CONFIG", "GET", "*")
    raw.close()
    names = {name.decode() for name in reply[::2]}
    assert set(redis_reference()) <= names
    assert {"db-path", "binlog-file-size", "sync-window-size", "write-binlog"} <= names


@pytest.mark.parametrize("name", sorted(set(redis_reference()) - OWN_SETTERS))
def test_config_set_checks_values_as_redis(pair, name):
    """Every Redis option, every kind of bad (and good) value: the same reply, and the same
    value afterwards (restored on both after each accepted probe)."""
    original = pair.redis.call("CONFIG", "GET", name)[1]
    ours_before = pair.pika.call("CONFIG", "GET", name)[1]
    for probe in PROBES:
        expected = pair.check("CONFIG", "SET", name, probe)
        if expected == "OK" or expected == b"OK":
            if name not in OWN_DEFAULTS:
                pair.check("CONFIG", "GET", name)
            pair.redis.call("CONFIG", "SET", name, original)
            pair.pika.call("CONFIG", "SET", name, ours_before)


def test_config_set_special_syntaxes_as_redis(pair):
    cases = [
        ("notify-keyspace-events", ["KEA", "Kx", "g$lshzxetd", "Am", "Amn", "tmd", "zh", "nA", "KEA$", "q", "E"]),
        ("save", ["100 10", "3600 1 300 100", "100", "0 0", "1 -1", " 1 2 ", "a b", ""]),
        ("latency-tracking-info-percentiles", ["50 99 99.9", "1.50 2e1", "50 x", "101", "-1", ""]),
        ("oom-score-adj-values", ["1 2 3", "1 2", "1 2 x", "1 2 3000", "0 200 800"]),
        ("client-output-buffer-limit", ["normal 1 2 3", "replica 1mb 2mb 3", "foo 1 2 3", "normal x 2 3",
                                        "normal 0 0 -1", "normal 1 2", "NORMAL 0 0 0 slave 268435456 67108864 60",
                                        "pubsub 33554432 8388608 60"]),
        ("maxmemory-clients", ["5%", "101%", "-5%", "05%", "1gb", "x", "0"]),
        ("proc-title-template", ["{title} {port}", "{bad}", "x{", "", "{title} {listen-addr} {server-mode}"]),
        ("dir", ["/tmp"]), ("dbfilename", ["x.rdb"]), ("daemonize", ["no"]), ("replicaof", ["no one"]),
    ]
    for name, values in cases:
        for value in values:
            pair.check("CONFIG", "SET", name, value)
            if name not in OWN_DEFAULTS:
                pair.check("CONFIG", "GET", name)


def test_config_set_several_at_once_as_redis(pair):
    pair.check_all([
        ("CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "allkeys-lru"),
        ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "maxmemory-policy"),
        # a bad value anywhere: none is set, the first bad one is named
        ("CONFIG", "SET", "maxmemory", "2mb", "hz", "abc", "timeout", "x"), ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "maxmemory", "2mb", "maxmemory-policy", "bogus"), ("CONFIG", "GET", "maxmemory"),
        # names are checked first, as written: unknown, immutable, duplicate
        ("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"),
        ("CONFIG", "SET", "hz", "5", "HZ", "6"),
        ("CONFIG", "SET", "NOSUCH", "1", "daemonize", "no"),
        ("CONFIG", "SET", "daemonize", "no", "NOSUCH", "1"),
        ("CONFIG", "SET", "DAEMONIZE", "no"),
        ("CONFIG", "SET", "hz", "abc", "nosuch", "1"),
        ("CONFIG", "SET", "HZ", "abc"),
        ("CONFIG", "SET", "maxmemory", "1", "hz"),
        ("CONFIG", "SET", "maxmemory"),
        # an alias and its name are two parameters, as in Redis 7.0
        ("CONFIG", "SET", "slave-priority", "7", "replica-priority", "8"), ("CONFIG", "GET", "slave-priority"),
        ("CONFIG", "SET", "hash-max-ziplist-entries", "5"), ("CONFIG", "GET", "hash-max-listpack-entries"),
        ("CONFIG", "SET", "hash-max-listpack-entries", "512"), ("CONFIG", "GET", "hash-max-ziplist-entries"),
        ("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction", "replica-priority", "100"),
        ("CONFIG", "SET", "hz", "0"), ("CONFIG", "GET", "hz"),
        ("CONFIG", "SET", "hz", "100000"), ("CONFIG", "GET", "hz"), ("CONFIG", "SET", "hz", "10"),
    ])


def as_dict(reply):
    return dict(zip(reply[::2], reply[1::2])) if isinstance(reply, list) else reply


def test_config_get_patterns_and_exact_names_as_redis(pair):
    for args in [("HZ",), ("hz", "hz"), ("MAXmem*",), ("hash-max-*",), ("*listpack*", "hz"), ("*-ziplist-*",),
                 ("slave*",), ("replica*",), ("nosuch",), ("nosuch*",), ("zset-max-?istpack-value",),
                 ("[hz]z",), ("notify-keyspace-events",), ("client-output-buffer-limit",)]:
        pair.check("CONFIG", "GET", *args, normalize=as_dict)


@pytest.mark.parametrize("kind, option, writes", [
    ("hash", "hash-max-listpack-entries", [("HSET", "k", "a", "1", "b", "2", "c", "3")]),
    ("hash", "hash-max-listpack-value", [("HSET", "k", "a", "x" * 10)]),
    ("zset", "zset-max-listpack-entries", [("ZADD", "k", "1", "a", "2", "b", "3", "c")]),
    ("zset", "zset-max-listpack-value", [("ZADD", "k", "1", "x" * 10)]),
    ("set", "set-max-intset-entries", [("SADD", "k", "1", "2", "3")]),
])
def test_encoding_thresholds_drive_object_encoding(pair, kind, option, writes):
    for limit in ("2", "5", "0"):
        pair.check("CONFIG", "SET", option, limit)
        pair.both("DEL", "k")
        pair.check_all(writes)
        pair.check("OBJECT", "ENCODING", "k")
    default = redis_reference()[option]
    pair.check("CONFIG", "SET", option, default)
    pair.both("DEL", "k")


def test_startup_values_reach_object_encoding(tmp_path):
    with PikaServer(config={"hash-max-ziplist-entries": "1"}) as server:
        client = server.client()
        client.hset("h", mapping={"a": 1, "b": 2})
        assert client.object("encoding", "h") == b"hashtable"
        assert client.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "1"}
        client.close()


def test_config_rewrite_keeps_redis_options(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("port 0\nmaxmemory 1gb\n")
    config = Config(str(conf))
    assert config.formatted("maxmemory") == str(1024**3)
    config.set("maxmemory-policy", "allkeys-lru")
    config.set("client-output-buffer-limit", "pubsub 1 2 3")
    config.rewrite()
    reread = Config(str(conf))
    assert reread.formatted("maxmemory-policy") == "allkeys-lru"
    assert reread.formatted("client-output-buffer-limit") == "normal 0 0 0 slave 268435456 67108864 60 pubsub 1 2 3"


def test_config_get_in_resp3_is_a_map_as_redis(pair):
    pair.both("HELLO", "3")
    try:
        pair.check("CONFIG", "GET", "maxmemory")
        pair.check("CONFIG", "GET", "nosuch")
        pair.check("CONFIG", "SET", "hz", "abc")
    finally:
        pair.both("HELLO", "2")
