"""Hypothesis: random sequences mixing LMPOP/ZMPOP and their blocking forms (a short timeout,
so a call finding nothing answers nil) with the older list and sorted-set commands give the
same replies on redis-server and pypika-store, and the same dataset at the end."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_random_collections import BY_TYPE, COMMON, KEYS, _t

NUMKEYS = st.sampled_from(["1", "2", "3", "0", "x"])
MPOP_COUNTS = st.sampled_from(["1", "2", "5", "0", "-1"])
LIST_ENDS = st.sampled_from(["LEFT", "RIGHT", "left", "MIN"])
ZSET_ENDS = st.sampled_from(["MIN", "MAX", "max", "LEFT"])
SHORT_TIMEOUT = st.just("0.01")


def _multipops(name: str, ends: st.SearchStrategy, blocking: bool) -> list[st.SearchStrategy]:
    """``name [timeout] numkeys key... end [COUNT n]``, numkeys usually matching the keys given."""
    head = (name, SHORT_TIMEOUT) if blocking else (name,)
    return [
        _t(*head, "1", KEYS, ends), _t(*head, "2", KEYS, KEYS, ends),
        _t(*head, "2", KEYS, KEYS, ends, "COUNT", MPOP_COUNTS),
        _t(*head, "3", KEYS, KEYS, KEYS, ends, "COUNT", MPOP_COUNTS), _t(*head, NUMKEYS, KEYS, KEYS, ends),
    ]


MULTIPOPS = [
    *_multipops("LMPOP", LIST_ENDS, False), *_multipops("BLMPOP", LIST_ENDS, True),
    *_multipops("ZMPOP", ZSET_ENDS, False), *_multipops("BZMPOP", ZSET_ENDS, True),
    _t(st.sampled_from(["BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"]), KEYS, KEYS, SHORT_TIMEOUT),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(st.one_of(*MULTIPOPS, *BY_TYPE["list"], *BY_TYPE["zset"], *COMMON), min_size=1, max_size=30))
def test_random_multipop_sequences_match_redis(diff, sequence):
    diff.both("FLUSHALL")
    for command in sequence:
        diff.check(*command)
    diff.check("DEBUG", "DIGEST")


#: SORT in the forms whose order is defined whatever the servers' set iteration order: ALPHA
#: (equal elements are equal bytes), with LIMIT and STORE (which writes a list).
SORTS = [
    _t(st.sampled_from(["SORT", "SORT_RO"]), KEYS, "ALPHA"), _t("SORT", KEYS, "ALPHA", "DESC", "LIMIT", "0", "2"),
    _t("SORT", KEYS, "ALPHA", "STORE", KEYS), _t("SORT", KEYS, "LIMIT", "1", "1", "ALPHA"),
]
BITFIELD_TYPES = st.sampled_from(["u8", "i5", "i16", "u1", "i64", "u63", "i0", "u64"])
BITFIELD_OFFSETS = st.sampled_from(["0", "3", "#1", "#2", "-1", "x"])
BITFIELDS = [
    _t("BITFIELD", KEYS, "SET", BITFIELD_TYPES, BITFIELD_OFFSETS, st.sampled_from(["1", "-1", "300", "x"])),
    _t("BITFIELD", KEYS, "OVERFLOW", st.sampled_from(["WRAP", "SAT", "FAIL", "x"]), "INCRBY", BITFIELD_TYPES,
       BITFIELD_OFFSETS, st.sampled_from(["1", "-100", "1000"])),
    _t("BITFIELD", KEYS, "GET", BITFIELD_TYPES, BITFIELD_OFFSETS, "INCRBY", "u8", "0", "7"),
    _t("BITFIELD_RO", KEYS, "GET", BITFIELD_TYPES, BITFIELD_OFFSETS),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(st.one_of(*MULTIPOPS, *SORTS, *BITFIELDS, *BY_TYPE["list"], *BY_TYPE["zset"],
                                   *BY_TYPE["set"], *COMMON), min_size=1, max_size=30))
def test_random_sequences_of_issue_11s_and_older_commands_match_redis(diff, sequence):
    """The multi-pops, SORT (STORE included) and BITFIELD mixed with the list, set and sorted-set
    commands and the keyspace ones: one dataset, every type on every key."""
    diff.both("FLUSHALL")
    for command in sequence:
        diff.check(*command)
    diff.check("DEBUG", "DIGEST")
