"""Bitmap commands, compared reply by reply with a real redis-server."""

from __future__ import annotations

import pytest

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
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_bitmap_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])
