"""Generic key commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import random

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
        # strtoul on a C string: no leading space, nothing after the digits, "" is 0.
        ("SCAN", " 0"), ("SCAN", "0 "), ("SCAN", "\t0"), ("SCAN", "-"), ("SCAN", "+"), ("SCAN", "0x"),
        ("SCAN", "-18446744073709551616"), ("SET", "k", "v"), ("SCAN", ""), ("SCAN", "+0"), ("SCAN", "-0"),
        ("SCAN", "00"), ("SCAN", "0\x00junk"), ("SCAN", "0", "COUNT", "9223372036854775808"),
        ("SCAN", "0", "count", "5", "match"), ("SCAN", "0", "TYPE", "STRING"), ("SCAN", "0", "TYPE", "nosuchtype"),
        ("SCAN", "0", "COUNT", "1", "COUNT", "0"), ("SCAN", "0", "MATCH", "x", "MATCH", "k"),
        ("SCAN", "0", "TYPE", "hash", "TYPE", "string"), ("SCAN", "0", "COUNT\x00x", "5"), ("KEYS", "*", "x"),
    ],
    "c_string_options": [
        ("SET", "k", "v"), ("EXPIRE", "k", "100", "NX\x00junk"), ("TTL", "k"), ("EXPIRE", "k", "10", "a\x00b"),
        ("EXPIRE", "k", "10", "\xff"), ("EXPIRE", "k", "10", "a\r\nb"), ("COPY", "k", "c", "REPLACE\x00"),
        ("GET", "c"),
    ],
    "db_index_arguments": [
        ("SET", "s", "v"), ("MOVE", "s", "4294967296"), ("MOVE", "s", "2147483648"), ("MOVE", "s", "-2147483649"),
        ("MOVE", "s", "-1"), ("MOVE", "s", " 1"), ("MOVE", "s", "16"), ("MOVE", "missing", "99"),
        ("MOVE", "missing", "0"), ("COPY", "s", "u", "DB", "x"), ("COPY", "s", "u", "DB", "-1"),
        ("COPY", "s", "u", "DB", "4294967296"), ("COPY", "s", "u", "DB", "1", "DB", "0"), ("GET", "u"),
        ("COPY", "s", "s", "DB", "1", "DB", "0"), ("COPY", "missing", "missing"), ("COPY", "s", "u", "REPLACE", "FOO"),
        ("COPY", "s", "u", "replace", "db", "0"), ("COPY", "s", "s", "DB", "0"),
    ],
    "expire_edges": [
        ("SET", "s", "v"), ("EXPIRE", "s", "9223372036854775"), ("EXPIRE", "s", "9223372036854776"),
        ("EXPIRE", "s", "-9223372036854775"), ("EXISTS", "s"), ("SET", "s", "v"), ("EXPIRE", "s", "-9223372036854776"),
        ("PEXPIRE", "s", "9223372036854775807"), ("PEXPIREAT", "s", "9223372036854775807"), ("PEXPIRETIME", "s"),
        ("EXPIRETIME", "s"), ("EXPIREAT", "s", "9223372036854775"), ("EXPIRETIME", "s"), ("PEXPIRETIME", "s"),
        ("EXPIRE", "s", "100", "GT"), ("EXPIRE", "s", "-1", "LT"), ("EXISTS", "s"),
        ("SET", "s", "v"), ("EXPIRE", "s", "-1", "GT"), ("EXPIRE", "s", "-1", "LT"), ("EXISTS", "s"),
        ("SET", "s", "v"), ("EXPIRE", "s", "-1", "XX"), ("EXPIRE", "s", "-1", "NX"), ("EXISTS", "s"),
        ("SET", "s", "v"), ("EXPIRE", "s", "10", "NX", "NX"), ("EXPIRE", "s", "5", "GT", "XX"), ("EXPIRE", "s", "20", "XX", "GT"), ("TTL", "s"),
        ("EXPIRE", "s", "+10"), ("EXPIRE", "s", " 10"), ("EXPIRE", "s", "010"), ("EXPIRE", "s", ""),
        ("TTL", "s", "x"), ("PERSIST",), ("EXPIRE", "s"), ("PEXPIREAT", "s", "0"), ("EXISTS", "s"),
    ],
    "rename_edges": [
        ("RENAME", "s"), ("RENAMENX", "missing", "missing"), ("RENAME", "missing", "missing"), ("SET", "", "e"),
        ("RENAME", "", "x"), ("GET", "x"), ("RENAME", "x", ""), ("GET", ""), ("SET", "t", "1"), ("PEXPIRE", "t", "100000"),
        ("SET", "u", "2"), ("RENAME", "u", "t"), ("TTL", "t"), ("GET", "t"), ("RENAMENX", "t", ""), ("GET", "t"),
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


def _random_bytes(rng: random.Random, alphabet: bytes, longest: int) -> bytes:
    return bytes(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))


def test_random_glob_patterns_match_redis(diff):
    """Many random patterns over glob syntax, case, NUL, newline and high bytes, seeded."""
    rng = random.Random(20221)
    names = {_random_bytes(rng, b"aAbBz[]\\-^*?\n\x00\xff", 10) for _ in range(300)}
    for name in names:
        diff.both("SET", name, "1")
    for _ in range(400):
        pattern = _random_bytes(rng, b"aAbBz***?[]^-\\\n\x00\xff", 12)
        diff.check("KEYS", pattern, normalize=sorted)


def test_empty_key_matches_only_a_lone_star_and_the_empty_pattern(diff):
    diff.check("SET", "", "v")
    diff.check("SET", "x", "v")
    for pattern in ("*", "**", "", "?*", "*\\"):
        diff.check("KEYS", pattern, normalize=sorted)
        diff.check("SCAN", "0", "MATCH", pattern, normalize=lambda reply: (reply[0], sorted(reply[1])))


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
    pattern = "a*" * 1000 + "b"
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
    assert r.get("k" * 512) is None and r.exists("k" * 600) == 0 and r.delete("k" * 600) == 0
