"""DEBUG's subcommands against redis-server: OBJECT, PROTOCOL (RESP2 and RESP3), RELOAD,
SET-ACTIVE-EXPIRE, CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-TEST."""

from __future__ import annotations

import re
import time

import pytest

from .raw_replies import RawReplies
from .support import RawConnection, Stat, wait_until

PROTOCOL_TYPES = "string integer double bignum null array set map attrib push verbatim true false nosuch".split()


@pytest.mark.parametrize("kind", PROTOCOL_TYPES)
def test_protocol_test_values_in_resp2(diff, kind):
    diff.check("DEBUG", "PROTOCOL", kind)


def test_protocol_test_values_in_resp3(real_redis, pika_server):
    servers = [RawReplies(real_redis.port), RawReplies(pika_server.port)]
    for server in servers:
        server.call_raw("HELLO", "3")
    for kind in PROTOCOL_TYPES:
        expected, actual = (server.call_raw("DEBUG", "PROTOCOL", kind) for server in servers)
        if kind == "push":  # the push comes first, then the reply
            expected, actual = expected + servers[0].raw_reply(), actual + servers[1].raw_reply()
        assert actual == expected, kind
    for server in servers:
        server.close()


@pytest.mark.parametrize("call", [
    ("DEBUG", "OBJECT", "nosuch"), ("DEBUG", "OBJECT"), ("DEBUG", "OBJECT", "k", "x"), ("DEBUG", "PROTOCOL"),
    ("DEBUG", "CHANGE-REPL-ID", "x"), ("DEBUG", "RELOAD", "x"),
    ("DEBUG", "SET-ACTIVE-EXPIRE"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1k"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "-1"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD"),
    ("DEBUG", "STRINGMATCH-TEST", "x"),
])
def test_debug_replies_and_errors_are_redis(diff, call):
    diff.check(*call)


def test_stringmatch_test_answers_as_redis(pika_server):
    """DEBUG STRINGMATCH-TEST's reply, as redis-server 7.0 gives it. Not asked of the shared
    redis-server: its fuzz run takes seconds, forty on a loaded machine (past the raw
    connection's timeout, and holding that server from the tests after), and once crashed it."""
    raw = RawConnection(pika_server.port)
    try:
        assert raw.call("DEBUG", "STRINGMATCH-TEST") == Stat("Apparently Redis did not crash: test passed")
    finally:
        raw.close()


def test_debug_object_describes_the_value(diff):
    for setup in [("SET", "s", "hello"), ("SET", "n", "123"), ("RPUSH", "l", "a", "b"), ("HSET", "h", "f", "v"),
                  ("SADD", "i", "1", "2"), ("ZADD", "z", "1", "m")]:
        diff.both(*setup)
        expected, actual = diff.both("DEBUG", "OBJECT", setup[1])
        fields = dict(field.split(":", 1) for field in actual.split(" ")[1:])
        assert fields["encoding"] == re.search(r"encoding:(\S+)", expected).group(1)
        assert int(fields["serializedlength"]) > 0 and fields["refcount"] == "1"
        assert fields["lru_seconds_idle"] == "0"


def test_reload_keeps_the_data_and_its_expiry(r):
    r.set("k", "v", ex=100)
    r.zadd("z", {"a": 1, "b": 2})
    digest = r.execute_command("DEBUG", "DIGEST")
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert r.execute_command("DEBUG", "RELOAD", "nosave", "merge", "NOFLUSH") == b"OK"
    assert r.execute_command("DEBUG", "DIGEST") == digest
    assert 0 < r.ttl("k") <= 100 and r.zrank("z", "b") == 1


def test_change_repl_id_gives_a_new_replication_id(r):
    before = r.info("replication")["master_replid"]
    assert r.execute_command("DEBUG", "CHANGE-REPL-ID") == b"OK"
    after = r.info("replication")["master_replid"]
    assert after != before and len(after) == 40


def test_set_active_expire_turns_the_expiry_cycle_off_and_on(r, pika_server):
    r.config_set("hz", 100)
    try:
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
        expired_before = r.info("stats")["expired_keys"]
        r.set("brief", 1, px=1)
        time.sleep(0.2)  # twenty cron cycles at hz 100: none may expire the key
        assert r.info("stats")["expired_keys"] == expired_before
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"OK"
        wait_until(lambda: r.info("stats")["expired_keys"] > expired_before, what="the cycle to expire the key")
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        r.config_set("hz", 10)


def test_debug_help_lists_the_subcommands(r):
    lines = [line.decode() if isinstance(line, bytes) else line for line in r.execute_command("DEBUG", "HELP")]
    for name in ("CHANGE-REPL-ID", "OBJECT <key>", "PROTOCOL <type>", "RELOAD [option ...]", "SET-ACTIVE-EXPIRE <0|1>",
                 "QUICKLIST-PACKED-THRESHOLD <size>", "STRINGMATCH-TEST", "SLEEP <seconds>", "HELP"):
        assert name in lines, name
