"""Bitmap commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypika_store.testing import PikaServer

from .support import Differential
from .test_binlog_records import logged

SCENARIOS = {
    "setbit_getbit": [
        ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "0"), ("SETBIT", "b", "100", "1"), ("GET", "b"),
        ("GETBIT", "b", "100"), ("GETBIT", "b", "101"), ("GETBIT", "b", "100000"), ("GETBIT", "missing", "3"),
        ("SETBIT", "b", "-1", "1"), ("SETBIT", "b", "4294967296", "1"), ("SETBIT", "b", "1", "2"),
        ("SETBIT", "b", "1", "x"), ("GETBIT", "b", "x"), ("GETBIT", "b", "-1"), ("SETBIT", "t", "1", "1"),
        ("EXPIRE", "t", "100"), ("SETBIT", "t", "2", "1"), ("TTL", "t"), ("SETBIT", "b", "1", "-0"),
    ],
    "bitcount": [
        ("SET", "k", "foobar"), ("BITCOUNT", "k"), ("BITCOUNT", "k", "0", "0"), ("BITCOUNT", "k", "1", "1"),
        ("BITCOUNT", "k", "1", "1", "BYTE"), ("BITCOUNT", "k", "5", "30", "BIT"), ("BITCOUNT", "k", "-1", "-1"),
        ("BITCOUNT", "k", "-100", "-1"), ("BITCOUNT", "k", "3", "1"), ("BITCOUNT", "k", "0"),
        ("BITCOUNT", "k", "0", "1", "FOO"), ("BITCOUNT", "k", "a", "1"), ("BITCOUNT", "missing"),
        ("BITCOUNT", "missing", "0", "1"), ("BITCOUNT", "k", "0", "-1", "bit"), ("BITCOUNT", "k", "-7", "-3", "BIT"),
        ("BITCOUNT", "k", "0", "1", "BIT", "x"),
    ],
    "bitpos": [
        ("SET", "k", b"\xff\xf0\x00"), ("BITPOS", "k", "0"), ("BITPOS", "k", "1"), ("BITPOS", "k", "1", "1"),
        ("BITPOS", "k", "1", "2"), ("BITPOS", "k", "0", "0", "0"), ("SET", "ones", b"\xff\xff"),
        ("BITPOS", "ones", "0"), ("BITPOS", "ones", "0", "0", "-1"), ("BITPOS", "ones", "0", "1"),
        ("BITPOS", "missing", "0"), ("BITPOS", "missing", "1"), ("BITPOS", "k", "2"), ("BITPOS", "k", "x"),
        ("BITPOS", "k", "1", "7", "15", "BIT"), ("BITPOS", "k", "0", "7", "15", "BIT"), ("BITPOS", "k", "0", "3", "BIT"),
        ("BITPOS", "ones", "0", "3", "BIT"), ("BITPOS", "k", "1", "-1", "-1", "BIT"), ("BITPOS", "k", "1", "5", "2"),
        ("BITPOS", "k", "1", "0", "1", "FOO"), ("SET", "zero", b"\x00\x00"), ("BITPOS", "zero", "1"),
        ("BITPOS", "zero", "0", "1"), ("SET", "e", ""), ("BITPOS", "e", "0"), ("BITPOS", "e", "1"),
        ("BITPOS", "k", "1", "0", "1", "BIT", "extra"),
    ],
    "bitop": [
        ("SET", "a", "foobar"), ("SET", "b", "abcdef"), ("SET", "c", "xy"), ("BITOP", "AND", "d", "a", "b"),
        ("GET", "d"), ("BITOP", "OR", "d", "a", "c"), ("GET", "d"), ("BITOP", "XOR", "d", "a", "b", "c"), ("GET", "d"),
        ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("BITOP", "NOT", "d", "a", "b"), ("BITOP", "FOO", "d", "a"),
        ("BITOP", "AND", "d", "missing1", "missing2"), ("EXISTS", "d"), ("BITOP", "AND", "d", "a", "missing"),
        ("GET", "d"), ("BITOP", "and", "d2", "a"), ("GET", "d2"), ("BITOP", "NOT", "d3", "missing"), ("EXISTS", "d3"),
    ],
    "bitfield_get_set_incrby": [
        ("SET", "k", "ohmytext"), ("BITFIELD", "k", "GET", "u8", "0", "GET", "i8", "#1", "get", "u63", "1", "GET", "i64", "3"),
        ("BITFIELD", "k", "SET", "u8", "#1", "300", "GET", "i8", "#2", "OVERFLOW", "SAT", "INCRBY", "u8", "8", "-1000"),
        ("GET", "k"), ("BITFIELD", "k", "GET", "u8", "1000"), ("BITFIELD", "k", "GET", "i64", "60"),
        ("BITFIELD", "k", "SET", "i64", "0", "-1", "GET", "u63", "1", "GET", "i64", "0"),
        ("BITFIELD", "k", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"),
        ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-9223372036854775808"),
        ("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"),
        ("BITFIELD", "k", "SET", "u1", "3", "1", "GET", "i1", "3", "INCRBY", "u1", "3", "1", "INCRBY", "i1", "3", "1"),
        ("BITFIELD", "k", "SET", "i5", "100", "-16", "INCRBY", "i5", "100", "-1", "GET", "u5", "100"),
        ("BITFIELD", "k", "set", "u4", "0", "-1", "overflow", "sat", "set", "u4", "0", "-1", "overflow", "fail",
         "set", "u4", "0", "16", "get", "u4", "0", "overflow", "wrap", "incrby", "u4", "0", "17"),
        ("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "0", "-200", "SET", "i8", "0", "200", "SET", "u8", "0", "-1"),
        ("GET", "k"), ("BITFIELD", "k"), ("BITFIELD", "k", "OVERFLOW", "FAIL"),
        ("BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i3", "5", "GET", "u16", "#3"),
    ],
    "bitfield_growth_and_expiry": [
        ("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "10"), ("GET", "new"),
        ("BITFIELD", "new2", "SET", "u8", "0", "0"), ("GET", "new2"), ("BITFIELD", "new3", "GET", "u8", "0"),
        ("EXISTS", "new3"), ("BITFIELD", "new4", "GET", "u8", "0", "SET", "i16", "#5", "7"), ("GET", "new4"),
        ("SET", "t", "abc", "EX", "100"), ("BITFIELD", "t", "INCRBY", "u8", "#5", "1"), ("TTL", "t"), ("GET", "t"),
        ("BITFIELD", "int", "SET", "u8", "0", "49"), ("INCR", "int"), ("BITFIELD", "int", "GET", "u8", "0"),
        ("BITFIELD", "k", "GET", "i8", "4294967295"), ("BITFIELD", "k", "GET", "i8", "#536870911"),
    ],
    "bitfield_errors": [
        ("SET", "k", "x"), ("RPUSH", "l", "x"), ("BITFIELD", "l", "GET", "u8", "0"), ("BITFIELD", "l"),
        ("BITFIELD", "l", "SET", "u8", "0", "1"), ("BITFIELD_RO", "l", "GET", "u8", "0"),
        ("BITFIELD", "k", "GET", "u64", "0"), ("BITFIELD", "k", "GET", "i65", "0"), ("BITFIELD", "k", "GET", "U8", "0"),
        ("BITFIELD", "k", "GET", "u0", "0"), ("BITFIELD", "k", "GET", "i0", "0"), ("BITFIELD", "k", "GET", "x8", "0"),
        ("BITFIELD", "k", "GET", "u", "0"), ("BITFIELD", "k", "GET", "u08", "0"), ("BITFIELD", "k", "GET", "u-1", "0"),
        ("BITFIELD", "k", "GET", "i8", "foo"), ("BITFIELD", "k", "GET", "i8", "-1"), ("BITFIELD", "k", "GET", "i8", "#-1"),
        ("BITFIELD", "k", "GET", "i8", "4294967296"), ("BITFIELD", "k", "GET", "u8", "#536870912"),
        ("BITFIELD", "k", "GET", "i8", "#"), ("BITFIELD", "k", "GET", "i8", "1.5"), ("BITFIELD", "k", "GET", "i8", "+1"),
        ("BITFIELD", "k", "SET", "u8", "#9223372036854775807", "1"), ("BITFIELD", "k", "GET", "i64", "#144115188075855872"),
        ("BITFIELD", "k", "SET", "u8", "0", "x"), ("BITFIELD", "k", "SET", "u8", "0", "99999999999999999999"),
        ("BITFIELD", "k", "INCRBY", "u8", "0"), ("BITFIELD", "k", "GET", "u8"), ("BITFIELD", "k", "FOO", "u8", "0"),
        ("BITFIELD", "k", "OVERFLOW"), ("BITFIELD", "k", "OVERFLOW", "bad", "GET", "u8", "0"),
        ("BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "sat", "GET"), ("BITFIELD", "k", "SET", "u8", "0", "65", "GET", "x", "0"),
        ("GET", "k"), ("BITFIELD_RO", "k", "SET", "u8", "0", "1"), ("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"),
        ("BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "0", "1"), ("BITFIELD_RO", "k", "OVERFLOW", "FAIL"),
        ("BITFIELD_RO", "k", "SET", "u64", "0", "1"), ("BITFIELD_RO", "missing", "GET", "i64", "0"), ("BITFIELD",),
        ("BITFIELD_RO",), ("GET", "k"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_bitmap_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


_TYPES = st.builds(lambda signed, bits: f"i{bits}" if signed else f"u{min(bits, 63)}", st.booleans(), st.integers(1, 64))
_OFFSETS = st.one_of(st.integers(0, 80).map(str), st.integers(0, 6).map(lambda n: f"#{n}"))
_NUMBERS = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-300, 300)).map(str)
_BITFIELD_OPS = st.one_of(
    st.tuples(st.just("GET"), _TYPES, _OFFSETS),
    st.tuples(st.sampled_from(["SET", "INCRBY"]), _TYPES, _OFFSETS, _NUMBERS),
    st.tuples(st.just("OVERFLOW"), st.sampled_from(["WRAP", "SAT", "FAIL"])),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=st.one_of(st.none(), st.binary(max_size=12)),
       calls=st.lists(st.lists(_BITFIELD_OPS, max_size=6), min_size=1, max_size=4), read_only=st.booleans())
def test_random_bitfield_calls_match_redis(diff, initial, calls, read_only):
    diff.both("FLUSHALL")
    if initial is not None:
        diff.check("SET", "k", initial)
    for operations in calls:
        arguments = [part for operation in operations for part in operation]
        diff.check("BITFIELD_RO" if read_only else "BITFIELD", "k", *arguments)
    diff.check("GET", "k")


def test_bitfield_writes_replay_from_the_binlog(tmp_path):
    """BITFIELD is logged as the resulting string (TTL kept): a replica replaying the binlog
    ends with the same data."""
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        client.set("t", "abc", ex=1000)
        client.execute_command("BITFIELD", "t", "INCRBY", "u8", "#5", "1", "SET", "i4", "3", "-2")
        client.execute_command("BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "10")
        client.execute_command("BITFIELD", "n", "SET", "u8", "0", "0")  # no change: nothing logged
        client.execute_command("BITFIELD", "w", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-99", "INCRBY", "i64", "0", "-1")
        digest = client.execute_command("DEBUG", "DIGEST")
        expiry = client.expiretime("t")
        records = logged(server)
    assert [argv[1] for argv in records] == [b"t", b"t", b"n", b"w"]
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for argv in records:
            replay.execute_command(*argv)
        assert replay.execute_command("DEBUG", "DIGEST") == digest
        assert replay.expiretime("t") == expiry


def test_bit_offsets_are_bounded_by_proto_max_bulk_len(private_redis, pika_server):
    """Every bit command refuses offsets past proto-max-bulk-len bytes with the offset error,
    and accepts more when it is raised, as Redis 7.0 does."""
    differential = Differential(private_redis.port, pika_server.port)
    try:
        for size in ("1048576", "1073741824", "536870912"):  # the default last
            differential.check("CONFIG", "SET", "proto-max-bulk-len", size)
            for call in [("SETBIT", "k", "8388608", "0"), ("SETBIT", "k", "8388607", "0"), ("GETBIT", "k", "8388608"),
                         ("BITFIELD", "k", "GET", "u8", "8388608"), ("BITFIELD", "k", "GET", "u8", "#1048576"),
                         ("BITFIELD_RO", "k", "GET", "u8", "8388600"), ("GETBIT", "k", "4294967296")]:
                differential.check(*call)
    finally:
        differential.both("CONFIG", "SET", "proto-max-bulk-len", "536870912")
        differential.both("FLUSHALL")
        differential.close()
