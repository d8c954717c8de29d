"""Generic key commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import pytest

from .support import wait_until

SCENARIOS = {
    "del_exists_type_touch": [
        ("SET", "a", "1"), ("SET", "b", "2"), ("EXISTS", "a", "b", "c", "a"), ("TYPE", "a"), ("TYPE", "nope"),
        ("DEL", "a", "c"), ("DEL", "a"), ("UNLINK", "b", "x"), ("EXISTS", "b"), ("SET", "t", "1"),
        ("TOUCH", "t", "t", "u"), ("DEL",), ("EXISTS",), ("TYPE",),
    ],
    "expire_family": [
        ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("TTL", "k"), ("PEXPIRE", "k", "200000"), ("PTTL", "k"),
        ("EXPIREAT", "k", "99999999999"), ("EXPIRETIME", "k"), ("PEXPIREAT", "k", "99999999999123"),
        ("PEXPIRETIME", "k"), ("TTL", "missing"), ("PTTL", "missing"), ("EXPIRETIME", "missing"), ("EXPIRE", "missing", "10"),
        ("PERSIST", "k"), ("PERSIST", "k"), ("TTL", "k"), ("EXPIRETIME", "k"), ("PERSIST", "missing"),
        ("EXPIRE", "k", "abc"), ("EXPIRE", "k", "1.5"), ("EXPIRE", "k", "9223372036854775807"),
        ("PEXPIRE", "k", "9223372036854775807"), ("EXPIREAT", "k", "-9223372036854775808"), ("EXISTS", "k"),
        ("SET", "k", "v"), ("EXPIRE", "k", "0"), ("EXISTS", "k"), ("SET", "k", "v"), ("EXPIRE", "k", "-10"),
        ("EXISTS", "k"), ("SET", "k", "v"), ("PEXPIREAT", "k", "1"), ("EXISTS", "k"),
    ],
    "expire_options": [
        ("SET", "k", "v"), ("EXPIRE", "k", "100", "XX"), ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "200", "NX"),
        ("TTL", "k"), ("EXPIRE", "k", "50", "GT"), ("EXPIRE", "k", "500", "GT"), ("TTL", "k"),
        ("EXPIRE", "k", "600", "LT"), ("EXPIRE", "k", "60", "LT"), ("TTL", "k"), ("EXPIRE", "k", "70", "xx", "gt"),
        ("TTL", "k"), ("EXPIRE", "k", "10", "NX", "XX"), ("EXPIRE", "k", "10", "GT", "LT"),
        ("EXPIRE", "k", "10", "NX", "GT"), ("EXPIRE", "k", "10", "FOO"), ("PERSIST", "k"),
        ("EXPIRE", "k", "10", "GT"), ("EXPIRE", "k", "10", "LT"), ("TTL", "k"), ("PEXPIRE", "k", "10", "BAR", "NX"),
        ("EXPIRE", "missing", "10", "NX"), ("EXPIRE", "k", "x", "FOO"),
    ],
    "rename_family": [
        ("SET", "a", "1"), ("EXPIRE", "a", "100"), ("RENAME", "a", "b"), ("GET", "b"), ("TTL", "b"),
        ("EXISTS", "a"), ("RENAME", "missing", "x"), ("RENAME", "b", "b"), ("RENAMENX", "b", "b"),
        ("SET", "c", "3"), ("RENAMENX", "b", "c"), ("RENAMENX", "b", "d"), ("GET", "d"), ("RENAMENX", "missing", "e"),
        ("RENAME", "d", "c"), ("GET", "c"), ("TTL", "c"),
    ],
    "move_copy": [
        ("SET", "a", "1"), ("MOVE", "a", "1"), ("EXISTS", "a"), ("SELECT", "1"), ("GET", "a"), ("SET", "b", "x"),
        ("SELECT", "0"), ("SET", "b", "y"), ("MOVE", "b", "1"), ("GET", "b"), ("MOVE", "b", "0"),
        ("MOVE", "b", "99"), ("MOVE", "b", "x"), ("MOVE", "missing", "1"), ("SET", "s", "v"), ("EXPIRE", "s", "100"),
        ("COPY", "s", "t"), ("GET", "t"), ("TTL", "t"), ("COPY", "s", "t"), ("COPY", "s", "t", "REPLACE"),
        ("COPY", "s", "s"), ("COPY", "s", "s", "DB", "1"), ("SELECT", "1"), ("GET", "s"), ("SELECT", "0"),
        ("COPY", "missing", "z"), ("COPY", "s", "u", "DB", "99"), ("COPY", "s", "u", "FOO"), ("COPY", "s", "u", "DB"),
        ("SELECT", "1"), ("FLUSHDB",), ("SELECT", "0"),
    ],
    "scan_errors": [
        ("SCAN", "x"), ("SCAN", "-1"), ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "x"),
        ("SCAN", "0", "MATCH"), ("SCAN", "0", "FOO", "bar"), ("SCAN", "18446744073709551616"), ("SCAN",),
        ("SCAN", "0", "COUNT", "-1"), ("KEYS",), ("RANDOMKEY", "x"), ("RANDOMKEY",),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_key_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


PATTERNS = ["*", "a*", "*a", "a?c", "a[bc]*", "a[^b]*", "[a-c]*", "[c-a]*", "a\\*", "*[", "[]", "[^]*", "a[b-]",
            "h*llo", "*\\?*", "[\\]]*", "*z*z*", "?", "??", "[a-]", "\\", "a[", "*[b", "abc"]
NAMES = ["a", "abc", "abd", "ab", "ac", "a*", "b", "c", "hello", "hllo", "heeeello", "z?z", "]x", "a-", "a]", "[",
         "\\", "a[", "zz", "bz", "abc[", "xyz"]


def test_keys_glob_patterns_match_redis(diff):
    for name in NAMES:
        diff.check("SET", name, "1")
    for pattern in PATTERNS:
        diff.check("KEYS", pattern, normalize=sorted)


def _full_scan(connection, *options) -> list[bytes]:
    cursor, seen = b"0", []
    while True:
        cursor, batch = connection.call("SCAN", cursor, *options)
        seen.extend(batch)
        if cursor == b"0":
            return seen


@pytest.mark.parametrize("options", [(), ("COUNT", "3"), ("MATCH", "k1*"), ("COUNT", "7", "MATCH", "*5"),
                                     ("TYPE", "string"), ("TYPE", "hash"), ("COUNT", "1000")])
def test_full_scan_returns_every_key_once(diff, options):
    for number in range(120):
        diff.both("SET", f"k{number}", "v")
    expected = _full_scan(diff.redis, *options)
    actual = _full_scan(diff.pika, *options)
    assert len(actual) == len(set(actual))
    assert sorted(actual) == sorted(expected)


def test_scan_survives_writes_during_the_iteration(r):
    for number in range(200):
        r.set(f"stable{number}", 1)
    cursor, seen = 0, set()
    extra = 0
    while True:
        cursor, batch = r.scan(cursor, count=17)
        seen.update(batch)
        r.set(f"new{extra}", 1)
        r.delete(f"new{extra - 1}")
        extra += 1
        if cursor == 0:
            break
    assert {f"stable{n}".encode() for n in range(200)} <= seen


def test_unknown_scan_cursor_restarts_from_the_beginning(r):
    r.mset({"a": 1, "b": 2})
    cursor, keys = r.scan(123456789, count=100)
    assert cursor == 0 and sorted(keys) == [b"a", b"b"]


def test_randomkey_returns_existing_keys_only(r):
    assert r.randomkey() is None
    r.mset({f"k{n}": n for n in range(50)})
    r.set("gone", 1, px=1)
    wait_until(lambda: r.exists("gone") == 0)
    seen = {r.randomkey() for _ in range(200)}
    assert seen <= {f"k{n}".encode() for n in range(50)} and len(seen) > 1


def test_pathological_pattern_finishes(r):
    """Redis' CVE-2022-36021: a*a*a*...b against long keys must not backtrack exponentially."""
    r.set("a" * 300, 1)
    pattern = "a*" * 60 + "b"
    assert r.keys(pattern) == []
    assert r.scan(0, match=pattern, count=10) == (0, [])


def test_empty_nul_and_long_keys(diff, r):
    for key in ("", "\x00", "\x00abc", "\x01", "a"):
        diff.check("SET", key, f"value of {key!r}")
    for key in ("", "\x00", "\x00abc", "\x01", "a"):
        diff.check("GET", key)
    diff.check("KEYS", "*", normalize=sorted)
    diff.check("DEL", "")
    diff.check("KEYS", "*", normalize=sorted)
    assert r.set("k" * 511, "v") and r.get("k" * 511) == b"v"
    with pytest.raises(Exception, match="key is too long"):
        r.set("k" * 512, "v")
    assert r.get("k" * 512) is None and r.exists("k" * 600) == 0 and r.delete("k" * 600) == 0
