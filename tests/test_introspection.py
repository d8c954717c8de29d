"""COMMAND INFO, GETKEYS, GETKEYSANDFLAGS, LIST FILTERBY and DOCS against redis-server, and the
registry's key specs (Redis 7's begin_search / find_keys) and the legacy range derived from them."""

from __future__ import annotations

import pytest

from pypika_store.server.commands.introspection import acl_categories, describe, key_spec_reply
from pypika_store.server.registry import (TABLE, BeginIndex, CommandSpec, FindKeynum, FindRange, KeySpec,
                                          after_keyword, key_at, keynum, legacy_key_specs, legacy_range)

from .raw_replies import RawReplies

#: Commands whose whole COMMAND INFO entry (key specs and their flags included) is Redis'.
SAME_INFO = ["get", "shutdown", "bgsave", "save", "lastsave", "dbsize", "info", "time", "debug", "zunionstore",
             "zinterstore", "zdiffstore", "zunion", "zinter", "zdiff", "zintercard", "xread", "del", "unlink", "exists",
             "touch", "rename", "renamenx", "copy", "keys", "command|docs", "command|getkeys", "command|list",
             "flushdb", "type", "expire", "pexpireat", "persist", "xtrim", "xlen", "xdel", "xsetid", "swapdb", "scan",
             # bitmaps, geo, hashes, hyperloglog
             "setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro",
             "geoadd", "geopos", "geohash", "geodist", "georadius", "georadius_ro", "georadiusbymember",
             "georadiusbymember_ro", "geosearch", "geosearchstore",
             "hset", "hmset", "hsetnx", "hget", "hmget", "hdel", "hexists", "hlen", "hstrlen", "hgetall", "hkeys",
             "hvals", "hincrby", "hincrbyfloat", "hrandfield", "hscan", "pfadd", "pfcount", "pfmerge", "pfdebug",
             # strings
             "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget", "mset", "msetnx", "append",
             "strlen", "getrange", "substr", "setrange", "lcs", "incr", "decr", "incrby", "decrby", "incrbyfloat",
             # keyspace, streams, transactions, pubsub, server
             "dump", "restore", "object|encoding", "object|freq", "object|idletime", "object|refcount", "object|help",
             "sort", "sort_ro", "xadd", "xrange", "xrevrange", "xinfo|stream", "xinfo|groups", "xinfo|consumers",
             "xinfo|help", "watch", "multi", "exec", "discard", "unwatch", "role", "wait", "publish", "subscribe",
             "pubsub|help", "pubsub|channels", "pubsub|numsub", "pubsub|numpat", "config|get", "config|set",
             "config|help", "cluster|info", "cluster|keyslot", "flushall", "randomkey", "move"]
#: Index of COMMAND INFO's tips (request/response policies for a cluster proxy: we give none).
TIPS = 7


def _without_tips(entry: list) -> list:
    return entry[:TIPS] + entry[TIPS + 1:]


@pytest.mark.parametrize("name", SAME_INFO)
def test_command_info_is_redis(diff, name):
    expected, actual = diff.both("COMMAND", "INFO", name)
    assert _without_tips(actual[0]) == _without_tips(expected[0])


def _comparable(entry: list) -> list:
    """An entry without tips and without its subcommands (COMMAND LIST names each subcommand,
    so each is compared on its own; some belong to open issues, as CLIENT TRACKING)."""
    return _without_tips(entry)[:-1]


#: Where COMMAND INFO differs from Redis on purpose: Pika's SLAVEOF ... FORCE makes the arity -3.
DIFFERENT_INFO = {b"replicaof", b"slaveof"}


def test_every_command_both_servers_know_has_redis_info(diff):
    """Key specs, flags, ACL categories and arity of every command redis-server and we both have
    (tips aside), so a command added or changed anywhere keeps Redis' COMMAND INFO."""
    both = sorted(set(diff.pika.call("COMMAND", "LIST")) & set(diff.redis.call("COMMAND", "LIST")))
    differing = [name for name in both if name not in DIFFERENT_INFO
                 and _comparable(diff.pika.call("COMMAND", "INFO", name)[0])
                 != _comparable(diff.redis.call("COMMAND", "INFO", name)[0])]
    assert len(both) > 250
    assert differing == []


@pytest.mark.parametrize("call", [
    ("ZUNIONSTORE", "dst", "2", "a", "b"),
    ("ZINTERSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"),
    ("ZUNIONSTORE", "dst", "0", "a"),
    ("ZUNIONSTORE", "dst", "3", "a", "b"),
    ("ZUNIONSTORE", "dst", "x", "a"),
    ("ZDIFF", "2", "a", "b", "WITHSCORES"),
    ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
    ("XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"),
    ("XREAD", "STREAMS", "a", "b", "0"),
    ("XREAD", "COUNT", "1", "BLOCK", "0", "x"),
    ("DEL", "a", "b", "c"),
    ("RENAME", "a", "b"),
    ("GET", "a"),
    ("GET",),
    ("PING",),
    ("NOSUCH", "a"),
    ("OBJECT", "NOSUCH", "k"),
    ("XINFO", "STREAM", "s"),
    ("GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d", "STOREDIST", "e"),
    ("GEORADIUS", "k", "0", "0", "1", "km", "STORE"),
    ("GEORADIUSBYMEMBER", "k", "m", "1", "km", "store", "d"),
    ("GEORADIUSBYMEMBER", "k", "STORE", "1", "km"),
    ("GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
    ("BITOP", "AND", "d", "a", "b"),
    ("PFMERGE", "d", "a", "b"),
    ("PFCOUNT", "a", "b"),
    ("MSETNX", "a", "1", "b", "2"),
    ("SORT_RO", "k", "BY", "w", "GET", "x"),
    ("WATCH", "a", "b"),
])
def test_getkeys_and_flags_are_redis(diff, call):
    diff.check("COMMAND", "GETKEYS", *call)
    diff.check("COMMAND", "GETKEYSANDFLAGS", *call)


@pytest.mark.parametrize("call", [("MSET", "a", "1", "b", "2"), ("GET", "a", "b"), ("OBJECT", "ENCODING", "k"),
                                  ("BLPOP", "a", "b", "0"), ("SINTERSTORE", "d", "a", "b")])
def test_getkeys_of_legacy_ranges_are_redis(diff, call):
    """Commands declaring ``(first, last, step)``: their keys are Redis' (their key-spec flags
    are derived from the command's flags, so GETKEYSANDFLAGS may differ)."""
    diff.check("COMMAND", "GETKEYS", *call)


@pytest.mark.parametrize("call", [
    ("SORT", "k"), ("SORT", "k", "STORE", "d"), ("SORT", "k", "LIMIT", "0", "STORE", "x", "STORE", "d"),
    ("SORT", "k", "STORE"), ("SORT", "k", "GET", "STORE", "x"), ("SORT", "k", "store", "a", "store"),
    ("SORT", "k", "LIMIT", "STORE", "d"), ("SORT", "k", "BY", "w", "GET", "#", "DESC", "ALPHA", "STORE", "d"),
])
def test_sort_finds_its_keys_as_redis(diff, call):
    """SORT's own key finder: the sorted key and the last STORE's destination, skipping the
    arguments of LIMIT, BY and GET (GETKEYSANDFLAGS differs: its keys carry no flags)."""
    diff.check("COMMAND", "GETKEYS", *call)


def test_command_getkeys_arity(diff):
    diff.check("COMMAND", "GETKEYS")
    diff.check("COMMAND", "GETKEYSANDFLAGS")


def test_command_list_filters(diff):
    both = set(diff.pika.call("COMMAND", "LIST")) & set(diff.redis.call("COMMAND", "LIST"))
    for category in ("hyperloglog", "string", "keyspace", "sortedset", "fast", "slow", "write", "blocking", "nosuch"):
        expected, actual = diff.both("COMMAND", "LIST", "FILTERBY", "ACLCAT", category)
        assert sorted(set(actual) & both) == sorted(set(expected) & both), category
    for pattern in ("z*store", "COMMAND*", "x?ead"):
        expected, actual = diff.both("COMMAND", "LIST", "FILTERBY", "PATTERN", pattern)
        assert sorted(set(actual) & both) == sorted(set(expected) & both), pattern
    diff.check("COMMAND", "LIST", "FILTERBY", "MODULE", "json")
    for call in [("FILTERBY",), ("FILTERBY", "PATTERN"), ("FILTERBY", "NOSUCH", "x"), ("ALL", "PATTERN", "x"),
                 ("FILTERBY", "PATTERN", "x", "y")]:
        diff.check("COMMAND", "LIST", *call)


def test_command_docs_gives_what_the_spec_declares(diff):
    _, docs = diff.both("COMMAND", "DOCS", "command|getkeys", "nosuch", "zunionstore")
    assert docs[0] == b"command|getkeys"
    fields = dict(zip(docs[1][::2], docs[1][1::2]))
    assert fields[b"since"] == b"2.8.13" and fields[b"group"] == b"server"
    assert b"arguments" not in fields  # Redis 7.0 documents none for GETKEYS (tests/test_command_docs.py: the rest)
    assert docs[2] == b"zunionstore" and dict(zip(docs[3][::2], docs[3][1::2]))[b"group"] == b"sorted-set"
    (_, command_docs) = diff.pika.call("COMMAND", "DOCS", "command")
    subcommands = dict(zip(command_docs[::2], command_docs[1::2]))[b"subcommands"]
    assert b"command|count" in subcommands[::2]
    expected, actual = diff.both("COMMAND", "DOCS", "keys")
    assert dict(zip(actual[1][::2], actual[1][1::2]))[b"group"] == b"generic"


def test_command_info_and_getkeysandflags_in_resp3(real_redis, pika_server):
    servers = [RawReplies(real_redis.port), RawReplies(pika_server.port)]
    for server in servers:
        server.call_raw("HELLO", "3")
    for call in [("COMMAND", "INFO", "get", "zunionstore", "xread"), ("COMMAND", "GETKEYSANDFLAGS", "RENAME", "a", "b"),
                 ("COMMAND", "DOCS", "command|list")]:
        expected, actual = (server.call_raw(*call) for server in servers)
        if call[1] == "DOCS":
            expected, actual = expected[expected.index(b"since"):], actual[actual.index(b"since"):]
        assert actual == expected, call
    for server in servers:
        server.close()


def test_legacy_keys_become_one_range_spec():
    (spec,) = legacy_key_specs((1, -1, 2), frozenset({"write"}))
    assert spec == KeySpec(BeginIndex(1), FindRange(-1, 2, 0), ("RW", "access", "update"))
    assert legacy_range([spec]) == ((1, -1, 2), False)
    assert legacy_key_specs((0, 0, 0), frozenset()) == ()
    assert legacy_range(legacy_key_specs((2, 4, 1), frozenset({"readonly"}))) == ((2, 4, 1), False)


def test_legacy_range_as_redis_derives_it():
    assert legacy_range([key_at(1, "RW"), key_at(2, "OW")]) == ((1, 2, 1), False)  # RENAME
    assert legacy_range([key_at(1, "OW"), keynum(2, "RO")]) == ((1, 1, 1), True)  # ZUNIONSTORE
    assert legacy_range([keynum(1, "RO")]) == ((0, 0, 0), True)  # ZUNION
    assert legacy_range([after_keyword("STREAMS", "RO", limit=2)]) == ((0, 0, 0), True)  # XREAD
    assert legacy_range([key_at(1, "OW"), KeySpec(BeginIndex(2), FindRange(-1), ())]) == ((1, -1, 1), False)  # BITOP
    assert legacy_range([key_at(1, "RW"), key_at(3, "RW")]) == ((1, 1, 1), True)  # not consecutive


def test_a_spec_with_movable_keys_is_flagged():
    spec = CommandSpec(name="x", handler=None, arity=-3, flags=frozenset({"readonly"}),
                       key_specs=(KeySpec(BeginIndex(1), FindKeynum(0, 1, 1), ("RO",)),))
    assert "movablekeys" in spec.flags and (spec.first_key, spec.last_key, spec.key_step) == (0, 0, 0)
    assert spec.keys_and_flags([b"x", b"2", b"a", b"b"]) == [(b"a", ("RO",)), (b"b", ("RO",))]
    assert spec.keys_and_flags([b"x", b"-1", b"a"]) is None


def test_every_command_has_redis_style_acl_categories():
    for spec in TABLE.all_specs():
        categories = acl_categories(spec)
        assert ("fast" in categories) != ("slow" in categories), spec.full_name


def test_a_command_may_find_its_own_keys_as_sorts_store():
    """SORT's STORE key can be anywhere: an "unknown" spec says so, and the command's own
    finder (Redis' getkeys_proc) gives the keys."""

    def sort_keys(argv: list[bytes]) -> list[tuple[bytes, tuple[str, ...]]]:
        upper = [arg.upper() for arg in argv]
        store = [(argv[upper.index(b"STORE") + 1], ("OW",))] if b"STORE" in upper[2:-1] else []
        return [(argv[1], ("RO",))] + store

    spec = CommandSpec(name="sortlike", handler=None, arity=-2, flags=frozenset({"write"}), getkeys=sort_keys,
                       key_specs=(key_at(1, "RO access"), KeySpec(None, None, ("OW", "update"), notes="STORE")))
    assert "movablekeys" in spec.flags and (spec.first_key, spec.last_key, spec.key_step) == (1, 1, 1)
    assert spec.keys_and_flags([b"sortlike", b"k", b"LIMIT", b"0", b"1", b"store", b"d"]) == [(b"k", ("RO",)), (b"d", ("OW",))]
    encoded = key_spec_reply(spec.key_specs[1])
    assert encoded[0] == (b"notes", b"STORE") and encoded[2][1][0] == (b"type", b"unknown")


def test_subcommands_are_an_array_and_none_an_empty_set_in_resp3():
    """Redis 7.0 replies an empty set (``~0``) for a command without subcommands, an array
    of their entries otherwise."""
    from pypika_store.server.resp.replies import encode3

    assert encode3(describe(TABLE.get(b"get"))).endswith(b"~0\r\n")
    assert b"~0\r\n*7\r\n*10\r\n" in encode3(describe(TABLE.get(b"command")))
