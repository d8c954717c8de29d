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
