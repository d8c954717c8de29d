"""Hypothesis: random sequences of string and key commands give the same replies on both servers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = st.sampled_from(["a", "b", "c", "", "\x00k", "long" * 20])
VALUES = st.one_of(st.sampled_from(["0", "1", "-1", "10", "9223372036854775807", "1.5", "abc", ""]),
                   st.binary(max_size=20))
INTS = st.one_of(st.integers(-5, 20), st.sampled_from([2**63 - 1, -(2**63), 2**63])).map(str)
PATTERNS = st.sampled_from(["*", "a*", "?", "[ab]", "*\x00*", "[^a]*"])

COMMANDS = st.one_of(
    st.tuples(st.just("SET"), KEYS, VALUES),
    st.tuples(st.just("SET"), KEYS, VALUES, st.sampled_from(["NX", "XX", "GET", "KEEPTTL"])),
    st.tuples(st.just("SET"), KEYS, VALUES, st.sampled_from(["EX", "PX"]), st.sampled_from(["100", "0", "x"])),
    st.tuples(st.sampled_from(["GET", "STRLEN", "INCR", "DECR", "GETDEL", "TYPE", "EXISTS", "DEL", "PERSIST"]), KEYS),
    st.tuples(st.sampled_from(["INCRBY", "DECRBY"]), KEYS, INTS),
    st.tuples(st.just("INCRBYFLOAT"), KEYS, st.sampled_from(["1.5", "-0.25", "1e3", "x", "3"])),
    st.tuples(st.sampled_from(["APPEND", "GETSET", "SETNX"]), KEYS, VALUES),
    st.tuples(st.just("GETRANGE"), KEYS, INTS, INTS),
    st.tuples(st.just("SETRANGE"), KEYS, st.integers(0, 40).map(str), VALUES),
    st.tuples(st.just("MSET"), KEYS, VALUES, KEYS, VALUES),
    st.tuples(st.sampled_from(["MSETNX"]), KEYS, VALUES, KEYS, VALUES),
    st.tuples(st.just("MGET"), KEYS, KEYS, KEYS),
    st.tuples(st.sampled_from(["RENAME", "RENAMENX", "COPY"]), KEYS, KEYS),
    st.tuples(st.sampled_from(["EXPIRE", "PEXPIRE"]), KEYS, st.sampled_from(["100", "-1", "x"]),
              st.sampled_from(["NX", "XX"])),
    # GT and LT compare the new expiry with the current one: with relative times the answer
    # depends on whether a millisecond passed between two commands, so they get fixed instants
    # (2100-01-01 in seconds and in milliseconds: the same instant, a tie on both servers).
    st.tuples(st.sampled_from(["EXPIREAT", "PEXPIREAT"]), KEYS, st.sampled_from(["4102444800", "4102444800000", "1", "x"]),
              st.sampled_from(["NX", "XX", "GT", "LT"])),
    st.tuples(st.just("SETBIT"), KEYS, st.integers(0, 64).map(str), st.sampled_from(["0", "1"])),
    st.tuples(st.sampled_from(["GETBIT"]), KEYS, st.integers(0, 64).map(str)),
    st.tuples(st.just("BITCOUNT"), KEYS),
    st.tuples(st.just("BITOP"), st.sampled_from(["AND", "OR", "XOR"]), KEYS, KEYS, KEYS),
    st.tuples(st.just("KEYS"), PATTERNS),
)


def _sorted_if_list(reply):
    return sorted(reply) if isinstance(reply, list) else reply


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(COMMANDS, min_size=1, max_size=25))
def test_random_sequences_match_redis(diff, sequence):
    diff.both("FLUSHALL")
    for command in sequence:
        diff.check(*command, normalize=_sorted_if_list if command[0] == "KEYS" else None)
        if command[0] in ("SET", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
            diff.check("TTL", command[1])
