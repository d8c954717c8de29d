"""COMMAND GETKEYSANDFLAGS for the commands whose key flags vary with their arguments (SET's
GET, BITFIELD's subcommands) or whose keys no spec finds (SORT's STORE): their own finders
give each key with Redis' flags."""

from __future__ import annotations

import pytest

CALLS = [
    ("SET", "k", "v"), ("SET", "k", "v", "GET"), ("SET", "k", "v", "EX", "10", "get"), ("SET", "k", "v", "GETX"),
    ("SET", "k", "v", "NX", "KEEPTTL"), ("SET", "k", "GET", "v"),
    ("BITFIELD", "k"), ("BITFIELD", "k", "GET", "u8", "0"), ("BITFIELD", "k", "get", "u8", "0", "GET", "i4", "#1"),
    ("BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0", "1"), ("BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", "0"),
    ("BITFIELD", "k", "INCRBY", "u8", "0", "1"), ("BITFIELD", "k", "GET", "u8"), ("BITFIELD", "k", "OVERFLOW"),
    ("BITFIELD", "k", "bogus"), ("BITFIELD", "k", "SET", "u8", "0"), ("BITFIELD_RO", "k", "GET", "u8", "0"),
    ("SORT", "k"), ("SORT", "k", "STORE", "d"), ("SORT", "k", "BY", "x", "STORE", "d"),
    ("SORT", "k", "LIMIT", "0", "1", "STORE", "d", "STORE", "e"), ("SORT", "k", "GET", "STORE", "STORE", "d"),
    ("SORT", "k", "STORE"), ("SORT", "k", "by", "store", "store", "d", "ALPHA"), ("SORT_RO", "k", "BY", "x"),
]


@pytest.mark.parametrize("call", CALLS, ids=" ".join)
def test_keys_and_their_flags_are_redis(diff, call):
    diff.check("COMMAND", "GETKEYSANDFLAGS", *call)
    diff.check("COMMAND", "GETKEYS", *call)


@pytest.mark.parametrize("name", ["SET", "BITFIELD", "SORT", "SORT_RO", "BITFIELD_RO"])
def test_a_finder_makes_no_key_movable_that_the_specs_do_not(diff, name):
    """Redis derives ``movablekeys`` from the key specs alone: SET and BITFIELD have a finder
    for their flags, yet their one key does not move."""
    diff.check("COMMAND", "INFO", name)
