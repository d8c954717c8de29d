"""SORT and SORT_RO, compared reply by reply with a real redis-server; STORE's binlog replay."""

from __future__ import annotations

import random
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypika_store import sort as sorting
from pypika_store.testing import PikaServer

from .support import wait_until
from .test_binlog_records import logged

WEIGHTS = [("SET", "w_3", "30"), ("SET", "w_1", "10"), ("SET", "w_2", "-5"), ("SET", "w_10", "x"),
           ("HSET", "h_3", "f", "z"), ("HSET", "h_1", "f", "a"), ("HSET", "h_2", "f", "m", "g", "2"),
           ("HSET", "h_10", "g", "1"), ("RPUSH", "w_-1", "not a string")]

SCENARIOS = {
    "numeric_and_alpha": [
        ("RPUSH", "l", "3", "1", "2", "10", "-1", "1.5", "1"), ("SORT", "l"), ("SORT", "l", "DESC"), ("SORT", "l", "ASC"),
        ("SORT", "l", "ALPHA"), ("SORT", "l", "alpha", "desc"), ("SORT", "l", "DESC", "ASC"), ("SORT_RO", "l", "ALPHA"),
        ("RPUSH", "ties", "01", "1", "1.0", "+1", " 1", "0x1", "-0", "0", ""), ("SORT", "ties"), ("SORT", "ties", "DESC"),
        ("RPUSH", "bin", "b\x00z", "b\x00a", "b", "a\x00", "\xff", "\x80a", "a"), ("SORT", "bin", "ALPHA"),
        ("SORT", "bin", "ALPHA", "DESC"), ("SORT", "bin", "ALPHA", "STORE", "out"), ("LRANGE", "out", "0", "-1"),
        ("RPUSH", "nul", "1\x00junk", "0"), ("SORT", "nul"),
    ],
    "scores_as_strtod_reads_them": [
        ("RPUSH", "ok", "inf", "-inf", "infinity", "0x10", "0x1p3", "1e308", ".5", "5.", "-0", "+3",
         "2.2250738585072014e-308", " \t7", "0X.8"), ("SORT", "ok"), ("SORT", "ok", "DESC"),
        *[step for bad in ("1e309", "1e-310", "1e-400", "nan", "1 ", "1e", "0x", "abc", "  ", "1_0", "--1", "0x1p")
          for step in (("DEL", "bad"), ("RPUSH", "bad", "1", bad), ("SORT", "bad"), ("SORT", "bad", "ALPHA"))],
        ("RPUSH", "bad2", "x"), ("SORT", "bad2", "BY", "nosort"), ("SORT", "bad2", "STORE", "out"), ("EXISTS", "out"),
    ],
    "by_and_get_patterns": [
        *WEIGHTS, ("RPUSH", "l", "3", "1", "2", "10", "-1"), ("SORT", "l", "BY", "w_*"), ("SORT", "l", "BY", "w_*", "DESC"),
        ("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "h_*->f", "GET", "h_*->g", "GET", "nostar"),
        ("SORT", "l", "BY", "h_*->f", "ALPHA", "GET", "h_*->f"), ("SORT", "l", "BY", "h_*->f", "ALPHA", "DESC"),
        ("SORT", "l", "BY", "h_*->g"), ("SORT", "l", "BY", "h_*->g", "DESC", "GET", "#", "GET", "h_*->g"),
        ("SORT", "l", "BY", "w_*", "ALPHA"), ("SORT", "l", "BY", "w_*->"), ("SORT", "l", "BY", "*->f", "ALPHA"),
        ("SORT", "l", "BY", "h_*->f", "GET", "w_*->f"), ("SORT", "l", "GET", "#", "GET", "#"),
        ("SORT", "l", "BY", "nosort", "GET", "w_*"), ("SORT", "l", "BY", "#", "GET", "h_*->f"),
        ("SORT", "l", "BY", "w_*", "BY", "nosort"), ("SORT", "l", "GET", "*"), ("SET", "3", "three"), ("SORT", "l", "GET", "*"),
        ("SORT", "l", "BY", "w_*", "LIMIT", "1", "2", "GET", "#", "GET", "w_*"), ("SORT", "l", "BY", "w*", "ALPHA"),
        ("SORT", "l", "GET", "w_*_suffix"), ("SET", "w_1_suffix", "s"), ("SORT", "l", "GET", "w_*_suffix"),
        ("SORT", "l", "BY", "h_*->f", "LIMIT", "0", "3", "ALPHA"),
    ],
    "limit": [
        ("RPUSH", "l", "5", "4", "3", "2", "1"), ("SORT", "l", "LIMIT", "0", "2"), ("SORT", "l", "LIMIT", "1", "-1"),
        ("SORT", "l", "LIMIT", "-3", "2"), ("SORT", "l", "LIMIT", "4", "10"), ("SORT", "l", "LIMIT", "5", "1"),
        ("SORT", "l", "LIMIT", "0", "0"), ("SORT", "l", "LIMIT", "2", "9223372036854775807"),
        ("SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"), ("SORT", "l", "LIMIT", "-9223372036854775808", "2"),
        ("SORT", "l", "LIMIT", "0", "2", "LIMIT", "3", "1"), ("SORT", "l", "DESC", "LIMIT", "1", "2"),
        ("SORT", "l", "BY", "nosort", "LIMIT", "1", "2"), ("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"),
        ("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "3", "100"), ("SORT", "l", "BY", "nosort", "LIMIT", "7", "1"),
        ("SORT", "l", "BY", "nosort", "LIMIT", "0", "0"), ("SORT", "l", "BY", "nosort", "LIMIT", "2", "9223372036854775807"),
        ("SORT", "l", "LIMIT", "1", "2", "STORE", "out"), ("LRANGE", "out", "0", "-1"), ("SORT", "missing", "LIMIT", "0", "1"),
        ("SORT", "missing", "LIMIT", "-1", "-1"),
    ],
    "sets_and_zsets": [
        ("SADD", "s", "5", "3", "10", "-2"), ("SORT", "s"), ("SORT", "s", "DESC", "LIMIT", "1", "2"), ("SORT", "s", "ALPHA"),
        ("SORT", "s", "BY", "nosort", "STORE", "out"), ("LRANGE", "out", "0", "-1"), ("SADD", "sa", "b", "a", "c"),
        ("SORT", "sa"), ("SORT", "sa", "ALPHA", "DESC"), ("SORT", "sa", "BY", "nosort", "DESC", "STORE", "out"),
        ("LRANGE", "out", "0", "-1"), ("SORT", "sa", "BY", "nosort", "GET", "#", "LIMIT", "0", "1", "STORE", "out"),
        ("LRANGE", "out", "0", "-1"), ("ZADD", "z", "1", "c", "2", "b", "3", "a", "3", "10"), ("SORT", "z", "ALPHA"),
        ("SORT", "z"), ("SORT", "z", "BY", "nosort"), ("SORT", "z", "BY", "nosort", "DESC"),
        ("SORT", "z", "BY", "nosort", "LIMIT", "1", "2"), ("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"),
        ("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "3", "5"), ("SORT", "z", "BY", "nosort", "LIMIT", "9", "1"),
        ("SORT", "z", "BY", "nosort", "STORE", "out"), ("LRANGE", "out", "0", "-1"), ("ZADD", "zn", "5", "1", "1", "5"),
        ("SORT", "zn"), ("SORT_RO", "zn", "BY", "nosort", "DESC", "GET", "#"),
    ],
    "store": [
        ("RPUSH", "l", "3", "1", "2"), ("SET", "out", "string"), ("EXPIRE", "out", "100"), ("SORT", "l", "STORE", "out"),
        ("TYPE", "out"), ("TTL", "out"), ("LRANGE", "out", "0", "-1"), ("SORT", "l", "DESC", "STORE", "l"),
        ("LRANGE", "l", "0", "-1"), ("SORT", "l", "GET", "w_*", "GET", "#", "STORE", "out"), ("LRANGE", "out", "0", "-1"),
        ("SORT", "missing", "STORE", "out"), ("EXISTS", "out"), ("SORT", "missing", "STORE", "out"),
        ("SORT", "l", "LIMIT", "0", "0", "STORE", "l"), ("EXISTS", "l"), ("RPUSH", "l", "1"),
        ("SORT", "l", "STORE", "a", "STORE", "b"), ("EXISTS", "a"), ("LRANGE", "b", "0", "-1"),
        ("SADD", "s", "x"), ("SORT", "s", "STORE", "out"), ("EXISTS", "out"), ("SORT", "s", "STORE", "s"), ("TYPE", "s"),
    ],
    "errors": [
        ("SET", "str", "x"), ("HSET", "h", "f", "v"), ("RPUSH", "l", "1", "a"), ("SORT", "str"), ("SORT", "h"),
        ("SORT_RO", "str"), ("SORT", "str", "FOO"), ("SORT", "l"), ("SORT", "l", "LIMIT", "1"), ("SORT", "l", "LIMIT", "x", "1"),
        ("SORT", "l", "LIMIT", "1", "1.5"), ("SORT", "l", "LIMIT", "1", "99999999999999999999"), ("SORT", "l", "BY"),
        ("SORT", "l", "GET"), ("SORT", "l", "STORE"), ("SORT", "l", "FOO"), ("SORT_RO", "l", "STORE", "x"),
        ("SORT_RO", "l", "ALPHA", "STORE"), ("SORT", "l", "ALPHA", "FOO", "LIMIT", "x"), ("SORT", "str", "LIMIT", "x", "1"),
        ("SORT", "l", "STORE", "out"), ("EXISTS", "out"), ("SORT",), ("SORT_RO",), ("SORT", "l", "ALPHA", "LIMIT", "0"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sort_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def _as_multiset(reply):
    """A reply compared without its order (an error as it is)."""
    return sorted(reply, key=repr) if type(reply) is list else reply


def test_sort_of_a_set_left_unsorted_returns_every_member(diff):
    """BY nosort on a set without STORE answers in the set's internal order, which Redis does
    not define: compared as a multiset."""
    diff.check("SADD", "s", "b", "a", "c", "1")
    diff.check("SORT", "s", "BY", "nosort", normalize=_as_multiset)
    diff.check("SORT_RO", "s", "BY", "nosort", "DESC", normalize=_as_multiset)
    diff.check("SORT", "s", "BY", "nosort", "GET", "#", "GET", "missing_*", normalize=_as_multiset)


def test_resp3_replies_match_redis(diff):
    diff.both("HELLO", "3")
    diff.check("RPUSH", "l", "2", "1")
    diff.check("SORT", "l", "GET", "#", "GET", "missing_*")
    diff.check("SORT", "l", "STORE", "out")


def test_strtod_scores():
    assert sorting.strtod_score(b"") == 0.0
    assert sorting.strtod_score(b" \n-0x1.8p1") == -3.0
    assert sorting.strtod_score(b"7\x00junk") == 7.0
    assert sorting.strtod_score(b"-Infinity") == float("-inf")
    for bad in (b"nan", b"1e400", b"4e-320", b"1e-400", b"0x1p-1080", b"1.5 ", b"0x"):
        assert sorting.strtod_score(bad) is None, bad


def test_sort_store_wakes_a_blocked_client(r, pika_server):
    r.rpush("source", "2", "1")
    blocked = pika_server.client()
    popped: list = []
    waiter = threading.Thread(target=lambda: popped.append(blocked.blpop(["out"], timeout=10)))
    waiter.start()
    try:
        wait_until(lambda: any(entry["cmd"] == "blpop" for entry in r.client_list()), what="BLPOP to block")
        assert r.sort("source", store="out") == 2
    finally:
        waiter.join(15)
        blocked.close()
    assert popped == [(b"out", b"1")]


def test_sort_store_replays_from_the_binlog(tmp_path):
    """SORT ... STORE is logged as the whole list it made (or a DEL when empty)."""
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        client.rpush("l", "3", "1", "2")
        client.sadd("s", "b", "a")
        client.set("out", "old", ex=1000)
        client.sort("l", store="out")
        client.sort("s", by="nosort", store="out2")
        client.sort("l", by="w_*", get=["#", "w_*"], store="out3")
        client.sort("missing", store="out2")
        digest = client.execute_command("DEBUG", "DIGEST")
        records = logged(server)
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for argv in records:
            replay.execute_command(*argv)
        assert replay.execute_command("DEBUG", "DIGEST") == digest
        assert replay.lrange("out3", 0, -1) == [b"1", b"", b"2", b"", b"3", b""]  # missing weights: 0
        assert replay.ttl("out") == -1 and not replay.exists("out2")


# -- random collections ------------------------------------------------------------------------

ELEMENTS = st.sampled_from(["1", "2", "3", "10", "-1", "1.5", "a", "b", "", "inf", "0x10"])


@st.composite
def sort_calls(draw):
    """A collection of up to 6 elements (so that Redis' partial quicksort, which is not stable
    from 7 elements on, never decides the order of ties), weights for some, and one SORT."""
    kind = draw(st.sampled_from(["list", "set", "zset"]))
    elements = draw(st.lists(ELEMENTS, max_size=6, unique=kind != "list"))
    setup = []
    if elements:
        if kind == "list":
            setup.append(("RPUSH", "k", *elements))
        elif kind == "set":
            setup.append(("SADD", "k", *elements))
        else:
            scores = draw(st.lists(st.integers(-2, 2).map(str), min_size=len(elements), max_size=len(elements)))
            setup.append(("ZADD", "k", *(part for pair in zip(scores, elements) for part in pair)))
    for element in draw(st.lists(ELEMENTS, max_size=6)):
        setup.append(("SET", f"w_{element}", draw(ELEMENTS)))
    for element in draw(st.lists(ELEMENTS, max_size=6)):
        setup.append(("HSET", f"h_{element}", "f", draw(ELEMENTS)))
    by = draw(st.sampled_from([None, "w_*", "h_*->f", "nosort"]))
    alpha, store, descending = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    # Orders Redis leaves undefined: a set left unsorted (without STORE), and ALPHA ties of BY
    # values on a set or zset (whose input order differs): compared as multisets, unlimited.
    undefined = kind != "list" and ((by == "nosort" and not store) or (alpha and by in ("w_*", "h_*->f")))
    options: list[str] = ["BY", by] if by else []
    limit = None if undefined else draw(st.one_of(st.none(), st.tuples(st.integers(-1, 7), st.integers(-1, 7))))
    if limit:
        options += ["LIMIT", str(limit[0]), str(limit[1])]
    for pattern in draw(st.lists(st.sampled_from(["#", "w_*", "h_*->f"]), max_size=2)):
        options += ["GET", pattern]
    options += ["DESC"] * descending + ["ALPHA"] * alpha + ["STORE", "dst"] * store
    return setup, options, undefined, store


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=sort_calls())
def test_random_sorts_match_redis(diff, call):
    setup, options, undefined, store = call
    diff.both("FLUSHALL")
    diff.check_all(setup)
    normalize = _as_multiset if undefined else None
    diff.check("SORT", "k", *options, normalize=None if store else normalize)
    if store:
        diff.check("LRANGE", "dst", "0", "-1", normalize=normalize)
    else:
        diff.check("SORT_RO", "k", *options, normalize=normalize)


# -- ties under BY and LIMIT: Redis' partial quicksort --------------------------------------------

def _tie_case(seed: int) -> tuple[list[tuple], list[str]]:
    """A list of distinct elements (up to 60: every branch of the partial quicksort, its
    insertion sort, median of three and ninther) whose BY values tie a lot (two values, or
    missing), and a SORT with a LIMIT."""
    rng = random.Random(seed)
    size = rng.choice([5, 7, 8, 12, 30, 41, 60])
    elements = [f"e{index:02d}" for index in rng.sample(range(100), size)]
    weights = {f"w_{element}": rng.choice(["a", "b", "1", "2"]) for element in elements if rng.random() < 0.8}
    setup = [("RPUSH", "k", *elements)] + ([("MSET", *(part for pair in weights.items() for part in pair))]
                                          if weights else [])
    options = ["BY", "w_*", "LIMIT", str(rng.randint(-1, size)), str(rng.choice([-1, 0, 1, 3, size // 2, size]))]
    options += ["ALPHA"] * (rng.random() < 0.7) + ["DESC"] * (rng.random() < 0.5)
    options += ["GET", "#", "GET", "w_*"] * (rng.random() < 0.3) + ["STORE", "dst"] * (rng.random() < 0.3)
    return setup, options


@pytest.mark.parametrize("seed", range(150))
def test_ties_under_by_and_limit_come_out_as_redis_orders_them(diff, seed):
    setup, options = _tie_case(seed)
    diff.check_all(setup)
    diff.check("SORT", "k", *options)
    if "STORE" in options:
        diff.check("LRANGE", "dst", "0", "-1")
    else:
        diff.check("SORT_RO", "k", *options)


def test_partial_quicksort_sorts_the_window_whatever_the_ties():
    rng = random.Random(7)
    for _ in range(300):
        values = [rng.randint(0, 5) for _ in range(rng.randint(0, 70))]
        first = rng.randint(0, max(len(values) - 1, 0))
        last = rng.randint(first - 1, len(values) - 1) if values else -1
        order = list(range(len(values)))
        sorting.partial_quicksort(order, lambda a, b: (values[a] > values[b]) - (values[a] < values[b]), first, last)
        assert sorted(order) == list(range(len(values)))
        assert [values[index] for index in order[first:last + 1]] == sorted(values)[first:last + 1]
