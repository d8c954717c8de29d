"""String commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import random

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypika_store import lcs

from .support import wait_until

BIG = b"x" * (1024 * 1024 + 7)
BINARY = bytes(range(256)) + b"\x00\xff\xfe"

SCENARIOS = {
    "get_set_basics": [
        ("GET", "missing"), ("SET", "k", "v"), ("GET", "k"), ("SET", "k", ""), ("GET", "k"),
        ("SET", BINARY, BINARY), ("GET", BINARY), ("SET", "big", BIG), ("GET", "big"), ("STRLEN", "big"),
    ],
    "set_options": [
        ("SET", "k", "1", "NX"), ("SET", "k", "2", "NX"), ("GET", "k"), ("SET", "k", "3", "XX"),
        ("SET", "nokey", "3", "XX"), ("GET", "nokey"), ("SET", "k", "4", "GET"), ("SET", "k", "5", "NX", "GET"),
        ("SET", "k2", "5", "NX", "GET"), ("SET", "k3", "5", "XX", "GET"), ("GET", "k3"),
        ("SET", "k", "6", "ex", "100"), ("TTL", "k"), ("SET", "k", "7", "KEEPTTL"), ("TTL", "k"),
        ("SET", "k", "8"), ("TTL", "k"), ("SET", "k", "9", "PX", "100000", "GET"), ("PTTL", "k"),
        ("SET", "k", "9", "EXAT", "99999999999"), ("TTL", "k"), ("SET", "k", "9", "PXAT", "99999999999000"),
        ("EXPIRETIME", "k"),
    ],
    "set_errors": [
        ("SET", "k", "v", "NX", "XX"), ("SET", "k", "v", "EX", "10", "PX", "10"), ("SET", "k", "v", "EX"),
        ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "-5"), ("SET", "k", "v", "EX", "abc"),
        ("SET", "k", "v", "PX", "1.5"), ("SET", "k", "v", "KEEPTTL", "EX", "5"), ("SET", "k", "v", "EX", "5", "KEEPTTL"),
        ("SET", "k", "v", "GET", "GET"), ("SET", "k", "v", "FOO"), ("SET", "k", "v", "EX", "9223372036854775807"),
        ("SET", "k", "v", "PXAT", "9223372036854775807"), ("SET", "k"), ("GET", "k"),
        ("SET", "k", "v", "EX", "+5"), ("SET", "k", "v", "EX", " 5"), ("SET", "k", "v", "EX", "05"),
    ],
    "setnx_setex_psetex_getset": [
        ("SETNX", "k", "1"), ("SETNX", "k", "2"), ("GET", "k"), ("SETEX", "k", "100", "v"), ("TTL", "k"),
        ("SETEX", "k", "0", "v"), ("SETEX", "k", "-1", "v"), ("SETEX", "k", "x", "v"), ("PSETEX", "k", "100000", "w"),
        ("PTTL", "k"), ("PSETEX", "k", "0", "w"), ("GETSET", "k", "z"), ("TTL", "k"), ("GETSET", "new", "a"),
        ("GET", "new"), ("SETEX", "k", "v"),
    ],
    "getdel_getex": [
        ("SET", "k", "v"), ("GETDEL", "k"), ("GETDEL", "k"), ("EXISTS", "k"), ("SET", "k", "v"),
        ("GETEX", "k"), ("GETEX", "k", "EX", "100"), ("TTL", "k"), ("GETEX", "k", "PERSIST"), ("TTL", "k"),
        ("GETEX", "k", "PX", "50000"), ("GETEX", "k", "EXAT", "99999999999"), ("TTL", "k"),
        ("GETEX", "k", "PXAT", "1"), ("EXISTS", "k"), ("GETEX", "missing", "EX", "10"),
        ("GETEX", "k", "EX", "0"), ("GETEX", "k", "EX", "10", "PX", "10"), ("GETEX", "k", "PERSIST", "EX", "1"),
        ("GETEX", "k", "FOO"), ("GETEX", "k", "EX"), ("SET", "p", "v"), ("GETEX", "p", "PERSIST"), ("TTL", "p"),
    ],
    "mget_mset_msetnx": [
        ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "c"), ("MSET", "a"), ("MSET", "a", "1", "b"),
        ("MSETNX", "c", "3", "d", "4"), ("MSETNX", "d", "5", "e", "6"), ("MGET", "c", "d", "e"),
        ("MSETNX", "x", "1", "x", "2"), ("GET", "x"), ("MSETNX", "a"), ("MGET", "nothing"),
    ],
    "append_strlen": [
        ("APPEND", "k", "abc"), ("APPEND", "k", "def"), ("GET", "k"), ("STRLEN", "k"), ("STRLEN", "missing"),
        ("SET", "t", "v", "EX", "100"), ("APPEND", "t", "w"), ("TTL", "t"), ("APPEND", "k", ""), ("APPEND", "e", ""),
        ("EXISTS", "e"),
    ],
    "getrange_setrange": [
        ("SET", "k", "Hello World"), ("GETRANGE", "k", "0", "4"), ("GETRANGE", "k", "-5", "-1"),
        ("GETRANGE", "k", "-1", "-5"), ("GETRANGE", "k", "5", "100"), ("GETRANGE", "k", "100", "200"),
        ("GETRANGE", "k", "-100", "2"), ("GETRANGE", "k", "3", "2"), ("GETRANGE", "missing", "0", "5"),
        ("GETRANGE", "k", "a", "1"), ("SUBSTR", "k", "0", "2"), ("GETRANGE", "k", "0", "-1"),
        ("SETRANGE", "k", "6", "Redis"), ("GET", "k"), ("SETRANGE", "k", "20", "!"), ("GET", "k"),
        ("SETRANGE", "new", "3", "abc"), ("GET", "new"), ("SETRANGE", "k", "-1", "x"), ("SETRANGE", "k", "x", "x"),
        ("SETRANGE", "none", "5", ""), ("EXISTS", "none"), ("SETRANGE", "k", "0", ""),
        ("SETRANGE", "k", "536870912", "x"), ("SETRANGE", "k", "536870911", "xy"), ("SET", "e", ""),
        ("GETRANGE", "e", "0", "-1"), ("GETRANGE", "e", "-1", "-1"),
    ],
    "counters": [
        ("INCR", "n"), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "10"), ("DECRBY", "n", "3"), ("GET", "n"),
        ("INCRBY", "n", "x"), ("INCRBY", "n", "1.5"), ("SET", "s", "abc"), ("INCR", "s"), ("SET", "sp", " 1"),
        ("INCR", "sp"), ("SET", "max", "9223372036854775807"), ("INCR", "max"), ("SET", "min", "-9223372036854775808"),
        ("DECR", "min"), ("DECRBY", "n", "-9223372036854775808"), ("INCRBY", "n", "9223372036854775808"),
        ("SET", "t", "5", "EX", "100"), ("INCR", "t"), ("TTL", "t"), ("SET", "z", "007"), ("INCR", "z"),
        ("SET", "neg0", "-0"), ("INCR", "neg0"), ("INCRBY", "n", "-0"), ("INCRBY", "n", ""),
    ],
    "incrbyfloat": [
        ("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "-5"),
        ("INCRBYFLOAT", "f", "5.0e3"), ("INCRBYFLOAT", "f", "abc"), ("INCRBYFLOAT", "f", "inf"),
        ("SET", "g", "3"), ("INCRBYFLOAT", "g", "1.5"), ("SET", "h", "1e10"), ("INCRBYFLOAT", "h", "0"),
        ("SET", "bad", "x"), ("INCRBYFLOAT", "bad", "1"), ("INCRBYFLOAT", "f", "nan"), ("INCRBYFLOAT", "f", ""),
        ("SET", "t", "1", "EX", "100"), ("INCRBYFLOAT", "t", "1"), ("TTL", "t"), ("INCRBYFLOAT", "z", "-0.0"),
        ("INCRBYFLOAT", "big", "1e20"), ("INCRBYFLOAT", "tiny", "0.000001"), ("INCRBYFLOAT", "f", " 1"),
    ],
    "pika_only_free_arity": [
        ("GET",), ("SET", "k"), ("MGET",), ("INCR",), ("INCRBY", "k"), ("GETRANGE", "k", "1"), ("APPEND", "k"),
        ("SETNX", "k"), ("GETDEL",), ("GETEX",), ("STRLEN",),
    ],
    "lcs": [
        ("SET", "a", "ohmytext"), ("SET", "b", "mynewtext"), ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"),
        ("LCS", "a", "b", "IDX"), ("LCS", "a", "b", "idx", "WITHMATCHLEN"),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-3"),
        ("LCS", "a", "b", "LEN", "WITHMATCHLEN"), ("LCS", "a", "b", "MINMATCHLEN", "2"), ("LCS", "a", "a", "IDX"),
        ("LCS", "a", "missing"), ("LCS", "missing", "a", "IDX"), ("LCS", "missing", "other", "LEN"),
        ("SET", "bin", BINARY), ("SET", "bin2", BINARY[::-1] + BINARY[:40]), ("LCS", "bin", "bin2"),
        ("LCS", "bin", "bin2", "IDX", "WITHMATCHLEN"), ("SET", "n", "12345"), ("INCR", "n"), ("LCS", "n", "a"),
        ("SET", "rep", "abababab"), ("SET", "rep2", "babaabba"), ("LCS", "rep", "rep2", "IDX", "WITHMATCHLEN"),
        ("LCS", "rep2", "rep", "IDX"), ("LCS", "rep", "rep2"),
    ],
    "lcs_errors": [
        ("SET", "a", "abc"), ("RPUSH", "l", "x"), ("LCS", "a", "b", "LEN", "IDX"), ("LCS", "a", "l"),
        ("LCS", "l", "a", "FOO"), ("LCS", "a", "b", "FOO"), ("LCS", "a", "b", "MINMATCHLEN"),
        ("LCS", "a", "b", "MINMATCHLEN", "x"), ("LCS", "a", "b", "MINMATCHLEN", "1.5", "IDX"), ("LCS", "a"),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN", "99999999999999999999"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_string_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def test_set_px_expires_by_itself(diff):
    diff.check("SET", "k", "v", "PX", "30")
    wait_until(lambda: diff.both("GET", "k") == (None, None), what="both servers to expire k")
    diff.check("EXISTS", "k")


def test_pksetexat_is_set_with_an_absolute_expiry(r):
    assert r.execute_command("PKSETEXAT", "k", "99999999999", "v") == b"OK"
    assert r.expiretime("k") == 99999999999
    assert r.execute_command("PKSETEXAT", "k", "0", "w") == b"OK"
    assert (r.get("k"), r.ttl("k")) == (b"w", -1)
    assert r.execute_command("PKSETEXAT", "k", "1", "old") == b"OK"
    assert r.exists("k") == 0
    with pytest.raises(Exception, match="value is not an integer"):
        r.execute_command("PKSETEXAT", "k", "soon", "v")


def test_redis_py_round_trip(r):
    assert r.set("k", "v", ex=100, nx=True)
    assert r.get("k") == b"v"
    assert r.incrbyfloat("f", 1.25) == 1.25
    assert r.mset({"a": 1, "b": 2}) and r.mget("a", "b", "c") == [b"1", b"2", None]
    assert r.getex("k", persist=True) == b"v" and r.ttl("k") == -1


def test_lcs_idx_is_a_map_in_resp3(diff):
    diff.both("HELLO", "3")
    diff.check("SET", "a", "ohmytext")
    diff.check("SET", "b", "mynewtext")
    diff.check("LCS", "a", "b", "IDX", "WITHMATCHLEN")
    diff.check("LCS", "a", "missing", "IDX")


def test_lcs_of_long_strings_matches_redis(diff):
    rng = random.Random(11)
    first = bytes(rng.choice(b"acgt") for _ in range(3000))
    second = bytes(rng.choice(b"acgt") for _ in range(2000))
    diff.check("SET", "a", first)
    diff.check("SET", "b", second)
    diff.check("LCS", "a", "b")
    diff.check("LCS", "a", "b", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN")


def test_lcs_refuses_a_table_past_its_bound(r):
    """A table of more than lcs.MAX_CELLS entries (or strings longer than MAX_TOTAL_LENGTH
    together) is refused with Redis' out-of-memory text, not computed."""
    side = int(lcs.MAX_CELLS ** 0.5) + 1
    r.set("a", b"a" * side)
    r.set("b", b"b" * side)
    with pytest.raises(redis.ResponseError, match="Insufficient memory, failed allocating transient memory for LCS"):
        r.execute_command("LCS", "a", "b")
    r.set("long", b"x" * lcs.MAX_TOTAL_LENGTH)
    with pytest.raises(redis.ResponseError, match="Insufficient memory"):
        r.execute_command("LCS", "long", "a")
    assert r.execute_command("LCS", "long", "missing") == b""  # trivial: no table
    r.set("huge", b"x" * (lcs.MAX_TOTAL_LENGTH * 2))
    assert r.execute_command("LCS", "huge", "missing", "LEN") == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.binary(max_size=40), second=st.binary(max_size=40), alphabet=st.sampled_from([b"ab", b"abc", b""]),
       min_match=st.integers(0, 3))
def test_lcs_of_random_strings_matches_redis(diff, first, second, alphabet, min_match):
    if alphabet:  # small alphabets give long, tie-rich subsequences
        first, second = (bytes(alphabet[byte % len(alphabet)] for byte in value) for value in (first, second))
    diff.both("MSET", "a", first, "b", second)
    diff.check("LCS", "a", "b")
    diff.check("LCS", "a", "b", "IDX", "MINMATCHLEN", str(min_match), "WITHMATCHLEN")
