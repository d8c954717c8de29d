"""Hypothesis: random sequences of consumer-group commands interleaved with XADD, XDEL and
XTRIM give the same replies, groups and digests on both servers (times normalized as in
test_stream_groups.py; idle thresholds are 0 or far away, so no reply depends on the clock)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_stream_groups import check_all

KEYS = st.sampled_from(["s", "t"])
GROUPS = st.sampled_from(["g", "h"])
CONSUMERS = st.sampled_from(["alice", "bob", "carol"])
IDS = st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(0, 12), st.integers(0, 2))
POSITIONS = st.one_of(IDS, st.just("$"), st.just("0"))
COUNTS = st.integers(-1, 5).map(str)
MIN_IDLE = st.sampled_from(["0", "100000"])

COMMANDS = st.one_of(
    st.tuples(st.just("XADD"), KEYS, st.builds(lambda ms: f"{ms}-*", st.integers(1, 12)), st.just("f"), st.just("v")),
    st.tuples(st.just("XADD"), KEYS, st.just("MAXLEN"), st.integers(0, 6).map(str),
              st.builds(lambda ms: f"{ms}-*", st.integers(1, 12)), st.just("f"), st.just("v")),
    st.tuples(st.just("XDEL"), KEYS, IDS, IDS),
    st.tuples(st.just("XTRIM"), KEYS, st.sampled_from(["MAXLEN", "MINID"]), st.sampled_from(["=", "~"]),
              st.sampled_from(["0", "2", "5", "4-0"])),
    st.tuples(st.just("XSETID"), KEYS, st.sampled_from(["20-0", "13-0"])),
    st.tuples(st.just("XGROUP"), st.just("CREATE"), KEYS, GROUPS, POSITIONS),
    st.tuples(st.just("XGROUP"), st.just("CREATE"), KEYS, GROUPS, POSITIONS, st.just("MKSTREAM")),
    st.tuples(st.just("XGROUP"), st.just("CREATE"), KEYS, GROUPS, POSITIONS, st.just("ENTRIESREAD"), COUNTS),
    st.tuples(st.just("XGROUP"), st.just("SETID"), KEYS, GROUPS, POSITIONS),
    st.tuples(st.just("XGROUP"), st.just("SETID"), KEYS, GROUPS, POSITIONS, st.just("ENTRIESREAD"), COUNTS),
    st.tuples(st.just("XGROUP"), st.sampled_from(["CREATECONSUMER", "DELCONSUMER"]), KEYS, GROUPS, CONSUMERS),
    st.tuples(st.just("XGROUP"), st.just("DESTROY"), KEYS, GROUPS),
    st.tuples(st.just("XREADGROUP"), st.just("GROUP"), GROUPS, CONSUMERS, st.just("COUNT"), COUNTS,
              st.just("STREAMS"), KEYS, st.sampled_from([">", ">", "0", "3-0"])),
    st.tuples(st.just("XREADGROUP"), st.just("GROUP"), GROUPS, CONSUMERS, st.just("NOACK"),
              st.just("STREAMS"), KEYS, st.just(">")),
    st.tuples(st.just("XACK"), KEYS, GROUPS, IDS, IDS),
    st.tuples(st.just("XCLAIM"), KEYS, GROUPS, CONSUMERS, MIN_IDLE, IDS, IDS,
              st.sampled_from(["JUSTID", "FORCE", "RETRYCOUNT", "LASTID"]), st.sampled_from(["3", "5-0", "JUSTID"])),
    st.tuples(st.just("XAUTOCLAIM"), KEYS, GROUPS, CONSUMERS, MIN_IDLE, st.sampled_from(["0", "3-0", "(2-0"]),
              st.just("COUNT"), st.integers(1, 4).map(str)),
    st.tuples(st.just("XAUTOCLAIM"), KEYS, GROUPS, CONSUMERS, MIN_IDLE, st.just("0"), st.just("JUSTID")),
    st.tuples(st.just("XPENDING"), KEYS, GROUPS),
    st.tuples(st.just("XPENDING"), KEYS, GROUPS, st.just("-"), st.just("+"), COUNTS),
    st.tuples(st.just("XPENDING"), KEYS, GROUPS, st.just("-"), st.just("+"), st.just("10"), CONSUMERS),
    st.tuples(st.just("XINFO"), st.just("GROUPS"), KEYS),
    st.tuples(st.just("XINFO"), st.just("CONSUMERS"), KEYS, GROUPS),
)


#: Every sequence starts from streams with entries and a group on each, so most commands act.
SETUP = [*(("XADD", key, f"{ms}-{seq}", "f", "v") for key in ("s", "t") for ms in (1, 2, 3) for seq in (0, 1)),
         ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "t", "h", "0")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(COMMANDS, min_size=1, max_size=30))
def test_random_group_sequences_match_redis(diff, sequence):
    diff.both("FLUSHALL")
    check_all(diff, SETUP)
    check_all(diff, sequence)
    check_all(diff, [("XINFO", "STREAM", key, "FULL", "COUNT", "0") for key in ("s", "t")])
    diff.check("DEBUG", "DIGEST")
