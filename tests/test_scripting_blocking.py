"""Blocking commands called from a script, against redis-server 7.0.15, raw replies compared byte
for byte: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX and WAIT are refused ("not allowed
from script"), BLMPOP and BZMPOP answer at once (as in MULTI), XREAD and XREADGROUP refuse their
BLOCK option (after the options before it were checked, as Redis parses them)."""

from __future__ import annotations

import pytest

from .scripting_support import ExactDifferential
from .support import require_redis_server

pytestmark = pytest.mark.redis_server


@pytest.fixture
def exact(real_redis, pika_server):
    require_redis_server()
    differential = ExactDifferential(real_redis.port, pika_server.port)
    differential.both("FLUSHALL")
    yield differential
    differential.both("FLUSHALL")
    differential.close()


def _call(*args: object) -> tuple[str, ...]:
    """EVAL of a script that returns ``redis.call(args...)``."""
    quoted = ", ".join(repr(str(arg)) for arg in args)
    return ("EVAL", f"return redis.call({quoted})", "0")


REFUSED = [
    ("blpop", "l", 0), ("brpop", "l", 1), ("brpoplpush", "l", "m", 0), ("blmove", "l", "m", "left", "left", 0),
    ("bzpopmin", "z", 0), ("bzpopmax", "z", 0), ("wait", 0, 0),
]

#: Answer at once, with data or without, and their argument errors.
AT_ONCE = [
    ("blmpop", 0, 1, "l", "left"), ("blmpop", 5, 1, "l", "right", "count", 2), ("bzmpop", 0, 1, "z", "min"),
    ("bzmpop", 3, 1, "z", "max", "count", 5), ("blmpop", "x", 1, "l", "left"), ("blmpop", -1, 1, "l", "left"),
]

STREAM_READS = [
    ("xread", "block", 0, "streams", "s", "0"), ("XREAD", "Block", 0, "streams", "s", "$"),
    ("xread", "count", 1, "block", "x", "streams", "s", "0"), ("xread", "block", 0, "streams"),
    ("xread", "count", "x", "block", 0, "streams", "s", "0"), ("xread", "count", 1, "streams", "s", "0"),
    ("xread", "streams", "block", "0"),
    ("xreadgroup", "group", "g", "c", "block", 0, "streams", "s", ">"),
    ("xreadgroup", "group", "g", "c", "count", 1, "streams", "s", ">"),
    ("xreadgroup", "group", "g", "c", "block", 0, "streams", "missing", ">"),
]


@pytest.mark.parametrize("args", REFUSED, ids=lambda args: args[0])
def test_blocking_commands_refused_from_scripts(exact, args):
    exact.check(*_call(*args))
    exact.both("RPUSH", "l", "a")
    exact.both("ZADD", "z", 1, "a")
    exact.check(*_call(*args))  # refused before looking at the data


@pytest.mark.parametrize("args", AT_ONCE, ids=lambda args: " ".join(map(str, args)))
def test_multi_key_pops_answer_at_once_in_scripts(exact, args):
    exact.check(*_call(*args))
    exact.both("RPUSH", "l", "a", "b", "c")
    exact.both("ZADD", "z", 1, "a", 2, "b", 3, "c")
    exact.check(*_call(*args))
    exact.check("LRANGE", "l", 0, -1)
    exact.check("ZRANGE", "z", 0, -1, "WITHSCORES")


@pytest.mark.parametrize("args", STREAM_READS, ids=lambda args: " ".join(map(str, args)))
def test_stream_reads_refuse_block_in_scripts(exact, args):
    exact.check(*_call(*args))
    exact.both("XADD", "s", "1-1", "f", "v")
    exact.both("XGROUP", "CREATE", "s", "g", "0")
    exact.check(*_call(*args))


def test_block_outside_scripts_still_answers(exact):
    exact.both("XADD", "s", "1-1", "f", "v")
    exact.check("XREAD", "BLOCK", 0, "STREAMS", "s", "0")
    exact.check("EVAL", "return redis.pcall('xread', 'block', 0, 'streams', 's', '0')['err']", "0")


@pytest.mark.parametrize("command", ["ZPOPMAX", "ZPOPMIN"])
def test_popping_more_than_a_sorted_set_holds(exact, command):
    """The highest members when COUNT is over the size: all of them (it was found here)."""
    exact.both("ZADD", "z", 1, "a", 2, "b", 3, "c")
    exact.check(command, "z", 5)
    exact.check("EXISTS", "z")
