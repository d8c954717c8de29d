"""Stream commands, compared reply by reply with a real redis-server; generated IDs, blocking
XREAD, and the binlog records streams log.

IDs made by ``*`` come from each server's clock, so the differential scenarios give explicit
IDs (``<ms>-<seq>`` or ``<ms>-*``) and ``*`` is checked on its own. XINFO STREAM is compared
whole except ``radix-tree-nodes``, a count of Redis' radix tree internals that pypika-store only
estimates (it equals Redis' figure for streams of up to one node); ``radix-tree-keys`` (the
nodes) matches while entries are small (Redis also closes nodes at 4096 bytes).
"""

from __future__ import annotations

import threading

import pytest

from pypika_store.testing import PikaServer

from .support import RawConnection, encode_command, wait_until
from .test_binlog_records import logged

BINARY = bytes(range(256))
U64 = "18446744073709551615"


def xadds(key: str, count: int, start_ms: int = 1) -> list[tuple]:
    """``count`` XADDs with explicit IDs, two entries per millisecond."""
    return [("XADD", key, f"{start_ms + n // 2}-{n % 2}", "f", str(n)) for n in range(count)]


def without_fields(reply, *names: bytes):
    """An XINFO STREAM reply (RESP2 flat array) without the values of ``names``."""
    if type(reply) is not list:
        return reply
    return [item for pair in zip(reply[::2], reply[1::2]) if pair[0] not in names for item in pair]


def without_rax_nodes(reply):
    return without_fields(reply, b"radix-tree-nodes")


SCENARIOS = {
    "add_and_range": [
        ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-1", "a", "2"), ("XADD", "s", "1", "a", "2"),
        ("XADD", "s", "0-5", "a", "2"), ("XADD", "s", "1-*", "b", "2"), ("XADD", "s", "3-*", "c", "3", "d", "4"),
        ("XADD", "s", "3", "e", "5"), ("XADD", "s", "5-0", "", ""), ("XADD", "s", "6-0", BINARY, BINARY),
        ("XLEN", "s"), ("XLEN", "missing"), ("XRANGE", "s", "-", "+"), ("XREVRANGE", "s", "+", "-"),
        ("XRANGE", "s", "1", "1"), ("XRANGE", "s", "1", "3"), ("XRANGE", "s", "3", "1"), ("XRANGE", "s", "2", "4"),
        ("XRANGE", "s", "-", "+", "COUNT", "2"), ("XREVRANGE", "s", "+", "-", "COUNT", "2"),
        ("XRANGE", "s", "-", "+", "COUNT", "0"), ("XRANGE", "s", "-", "+", "COUNT", "-3"),
        ("XRANGE", "s", "-", "+", "COUNT", "1", "COUNT", "3"), ("XRANGE", "s", "-", "+", "count", "x"),
        ("XRANGE", "s", "-", "+", "COUNT"), ("XRANGE", "s", "-", "+", "LIMIT", "1"),
        ("XRANGE", "missing", "-", "+"), ("XRANGE", "missing", "-", "+", "COUNT", "0"),
        ("XREVRANGE", "s", "3", "1-1"), ("XREVRANGE", "s", "1", "3"),
    ],
    "exclusive_ranges": [
        *xadds("s", 6), ("XRANGE", "s", "(1-0", "+"), ("XRANGE", "s", "(1-1", "(3-0"), ("XRANGE", "s", "(1", "(3"),
        ("XREVRANGE", "s", "(3-1", "(1-0"), ("XREVRANGE", "s", "(3", "-"), ("XRANGE", "s", "(-", "+"),
        ("XRANGE", "s", "-", "(+"), ("XRANGE", "s", "(", "+"), ("XRANGE", "s", "((1", "+"),
        ("XRANGE", "s", f"({U64}-{U64}", "+"), ("XRANGE", "s", "-", "(0-0"), ("XRANGE", "s", "-", "(0"),
        ("XRANGE", "s", f"({U64}", "+"), ("XRANGE", "s", "(2-1", "(2-1"), ("XRANGE", "s", "(2-0", "(2-1"),
    ],
    "invalid_ids": [
        ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "abc", "a", "1"), ("XADD", "s", "1-x", "a", "1"),
        ("XADD", "s", "-1", "a", "1"), ("XADD", "s", "1-", "a", "1"), ("XADD", "s", "-", "a", "1"),
        ("XADD", "s", "+", "a", "1"), ("XADD", "s", "18446744073709551616-0", "a", "1"), ("XADD", "s", "", "a", "1"),
        ("XADD", "s", "1-2-3", "a", "1"), ("XADD", "s", "*-1", "a", "1"), ("XADD", "s", "2-**", "a", "1"),
        ("XADD", "s", "0-0", "a", "1"), ("XADD", "new", "0-0", "a", "1"), ("XADD", "new", "0", "a", "1"),
        ("EXISTS", "new"), ("XADD", "new", "0-*", "a", "1"), ("XADD", "s", "+5", "a", "1"),
        ("XADD", "s", "007-1", "a", "1"), ("XADD", "s", " 8", "a", "1"), ("XADD", "s", "9-+3", "a", "1"),
        ("XADD", "s", "10- -1", "a", "1"), ("XADD", "s", "1" * 128, "a", "1"), ("XADD", "s", "11\x00junk", "a", "1"),
        ("XRANGE", "s", "-", "+"), ("XRANGE", "s", "x", "+"), ("XRANGE", "s", "-", "1-x"),
        ("XDEL", "s", "x"), ("XDEL", "s", "-"), ("XTRIM", "s", "MINID", "+"), ("XREAD", "STREAMS", "s", "-"),
    ],
    "add_arity_and_options": [
        ("XADD", "s", "*", "a"), ("XADD", "s", "1-1", "a", "1", "b"), ("XADD", "s", "MAXLEN", "2", "a"),
        ("XADD", "s", "MAXLEN", "2", "*"), ("XADD", "s", "MAXLEN", "2", "*", "a"), ("XADD", "s", "MAXLEN"),
        ("XADD", "s", "NOMKSTREAM", "*", "a"), ("XADD", "s", "MAXLEN", "x", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "-1", "*", "a", "1"), ("XADD", "s", "MAXLEN", "~", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "1"),
        ("XADD", "s", "MINID", "1", "MAXLEN", "1", "*", "a", "1"), ("XADD", "s", "LIMIT", "5", "*", "a", "1"),
        ("XADD", "s", "LIMIT", "0", "*", "a", "1"), ("XADD", "s", "MAXLEN", "5", "LIMIT", "5", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "*", "a", "1"),
        ("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "x", "*", "a", "1"), ("EXISTS", "s"),
    ],
    "nomkstream": [
        ("XADD", "s", "NOMKSTREAM", "1-1", "a", "1"), ("EXISTS", "s"), ("XADD", "s", "nomkstream", "*", "a", "1"),
        ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "NOMKSTREAM", "2-1", "a", "2"),
        ("XADD", "s", "NOMKSTREAM", "MAXLEN", "1", "3-1", "a", "3"), ("XRANGE", "s", "-", "+"),
        ("XADD", "s", "NOMKSTREAM", "NOMKSTREAM", "4-1", "a", "4"), ("XLEN", "s"),
    ],
    "exact_trimming": [
        *xadds("s", 10), ("XADD", "s", "MAXLEN", "5", "6-0", "f", "x"), ("XRANGE", "s", "-", "+"),
        ("XADD", "s", "MAXLEN", "=", "3", "6-1", "f", "y"), ("XRANGE", "s", "-", "+"),
        ("XADD", "s", "MINID", "6", "7-0", "f", "z"), ("XRANGE", "s", "-", "+"), ("XTRIM", "s", "MAXLEN", "10"),
        ("XTRIM", "s", "MAXLEN", "2"), ("XTRIM", "s", "MINID", "=", "7-0"), ("XTRIM", "s", "MINID", "7"),
        ("XRANGE", "s", "-", "+"), ("XADD", "s", "MAXLEN", "0", "8-0", "f", "gone"), ("XLEN", "s"),
        ("EXISTS", "s"), ("XRANGE", "s", "-", "+"), ("XTRIM", "missing", "MAXLEN", "0"),
    ],
    "trim_errors": [
        ("XADD", "s", "1-1", "a", "1"), ("XTRIM", "s"), ("XTRIM", "s", "MAXLEN"), ("XTRIM", "s", "LIMIT", "5"),
        ("XTRIM", "s", "LIMIT", "0"), ("XTRIM", "s", "MAXLEN", "1", "LIMIT", "5"),
        ("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "-5"), ("XTRIM", "s", "MAXLEN", "1", "MINID", "1"),
        ("XTRIM", "s", "MAXLEN", "-1"), ("XTRIM", "s", "MAXLEN", "x"), ("XTRIM", "s", "MINID", "x"),
        ("XTRIM", "s", "FOO", "1"), ("XTRIM", "s", "MAXLEN", "1", "FOO"), ("XTRIM", "s", "NOMKSTREAM", "MAXLEN", "1"),
        ("XTRIM", "s", "MAXLEN", "~"), ("XTRIM", "missing", "MAXLEN", "x"), ("XTRIM", "missing", "FOO"),
        ("XTRIM", "s", "LIMIT", "10", "MAXLEN", "~", "0"), ("XLEN", "s"),
    ],
    "approximate_trimming": [
        *xadds("s", 250), ("XTRIM", "s", "MAXLEN", "~", "240"), ("XTRIM", "s", "MAXLEN", "~", "150"),
        ("XLEN", "s"), ("XTRIM", "s", "MINID", "~", "60"), ("XTRIM", "s", "MINID", "~", "110"), ("XLEN", "s"),
        ("XRANGE", "s", "-", "-"), *xadds("s", 150, start_ms=200), ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "150"),
        ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "99"), ("XLEN", "s"), ("XRANGE", "s", "-", "+", "COUNT", "1"),
        ("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "100", "300-0", "f", "v"), ("XLEN", "s"),
        ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0"), ("XLEN", "s"),
    ],
    "approximate_trimming_and_deletions": [
        *xadds("s", 230), ("XDEL", "s", *(f"{ms}-{seq}" for ms in range(40, 51) for seq in (0, 1))),
        ("XTRIM", "s", "MINID", "~", "45"), ("XTRIM", "s", "MINID", "~", "51"),
        ("XDEL", "s", *(f"{ms}-{seq}" for ms in range(60, 101) for seq in (0, 1))),
        ("XTRIM", "s", "MINID", "~", "80"), ("XTRIM", "s", "MINID", "~", "101"), ("XRANGE", "s", "-", "-"),
        ("XDEL", "s", *(f"{ms}-{seq}" for ms in range(101, 112) for seq in (0, 1))), ("XLEN", "s"),
        ("XTRIM", "s", "MAXLEN", "~", "70"), ("XTRIM", "s", "MAXLEN", "~", "5"), ("XLEN", "s"),
        ("XDEL", "s", *(f"{ms}-{seq}" for ms in range(101, 116) for seq in (0, 1))), ("XLEN", "s"),
        ("XADD", "s", "200-0", "f", "v"), ("XTRIM", "s", "MAXLEN", "~", "1"), ("XLEN", "s"),
    ],
    "hollow_nodes": [  # an exact trim deletes a node's entries but its deleted edge: Redis keeps the node
        *xadds("s", 240), ("XDEL", "s", *(f"{ms}-{seq}" for ms in range(48, 51) for seq in (0, 1))),
        ("XTRIM", "s", "MINID", "=", "49"), ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "~", "200"),
        ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MINID", "50-1"), ("XINFO", "STREAM", "s"),
        ("XTRIM", "s", "MINID", "~", "50-2"), ("XINFO", "STREAM", "s"), *xadds("t", 59),
        ("XDEL", "t", "29-0", "30-0"), ("XTRIM", "t", "MINID", "30"), ("XINFO", "STREAM", "t"),
        *xadds("t", 60, start_ms=40), ("XINFO", "STREAM", "t"), ("XTRIM", "t", "MAXLEN", "~", "10"),
        ("XLEN", "t"), ("XINFO", "STREAM", "t"),
    ],
    "xdel": [
        *xadds("s", 6), ("XDEL", "s", "1-0", "2-1", "9-9"), ("XDEL", "s", "1-0"), ("XDEL", "s", "1-1", "1-1"),
        ("XDEL", "s", "2-0", "x"), ("XLEN", "s"), ("XDEL", "missing", "1-0"), ("XDEL", "missing", "x"),
        ("XDEL", "s", "3"), ("XDEL", "s", "3-1", "2-0", "3-0"), ("XLEN", "s"), ("EXISTS", "s"), ("TYPE", "s"),
        ("XRANGE", "s", "-", "+"), ("XDEL", "s"), ("XADD", "s", "3-1", "f", "v"), ("XADD", "s", "4-0", "f", "v"),
    ],
    "xsetid": [
        ("XSETID", "missing", "1-1"), ("XSETID", "missing", "x"), ("XADD", "s", "5-5", "f", "v"),
        ("XSETID", "s", "5-4"), ("XSETID", "s", "5-5"), ("XSETID", "s", "7"), ("XADD", "s", "7-0", "f", "v"),
        ("XADD", "s", "7-*", "f", "v"), ("XSETID", "s", "8-0", "ENTRIESADDED", "1"),
        ("XSETID", "s", "8-0", "ENTRIESADDED", "-1"), ("XSETID", "s", "8-0", "ENTRIESADDED", "x"),
        ("XSETID", "s", "8-0", "ENTRIESADDED", "10", "MAXDELETEDID", "9-0"),
        ("XSETID", "s", "9-0", "ENTRIESADDED", "10", "MAXDELETEDID", "9-0"), ("XSETID", "s", "9-0", "FOO", "1"),
        ("XSETID", "s", "9-0", "ENTRIESADDED"), ("XSETID", "s", "-"), ("XSETID", "s", "+"),
        ("XSETID", "s", "10-0", "MAXDELETEDID", "0-0"), ("XSETID", "s", "10-0", "maxdeletedid", "x"),
        ("XDEL", "s", "5-5", "7-1", "7-0"), ("XSETID", "s", "6-0"), ("XADD", "s", "6-*", "f", "v"),
        ("XSETID", "s", "0-0"), ("XDEL", "s", "6-0"), ("XSETID", "s", "0-0"), ("XADD", "s", "*", "f")
    ],
    "exhausted_ids": [
        ("XADD", "s", f"5-{U64}", "f", "v"), ("XADD", "s", "5-*", "f", "v"), ("XADD", "s", "6-*", "f", "v"),
        ("XADD", "s", f"{U64}-{U64}", "f", "v"), ("XADD", "s", "*", "f", "v"), ("XADD", "s", f"{U64}-*", "f", "v"),
        ("XRANGE", "s", f"{U64}", "+"), ("XRANGE", "s", "-", "(6"), ("XLEN", "s"),
    ],
    "xread": [
        *xadds("a", 4), *xadds("b", 2, start_ms=10), ("XREAD", "STREAMS", "a", "0"),
        ("XREAD", "COUNT", "1", "STREAMS", "a", "b", "1-0", "0"), ("XREAD", "STREAMS", "a", "b", "$", "$"),
        ("XREAD", "STREAMS", "a", "b", "2-1", "10"), ("XREAD", "STREAMS", "a", "missing", "1", "0"),
        ("XREAD", "STREAMS", "missing", "0"), ("XREAD", "STREAMS", "missing", "$"),
        ("XREAD", "BLOCK", "100", "STREAMS", "b", "0"), ("XREAD", "streams", "a", "a", "2", "1"),
        ("XREAD", "COUNT", "0", "STREAMS", "a", "1-1"), ("XREAD", "COUNT", "-5", "STREAMS", "a", "1-1"),
        ("XREAD", "STREAMS", "a", "1", "b"), ("XREAD", "STREAMS"), ("XREAD", "COUNT", "1", "a", "0"),
        ("XREAD", "COUNT", "x", "STREAMS", "a", "0"), ("XREAD", "BLOCK", "x", "STREAMS", "a", "0"),
        ("XREAD", "BLOCK", "-1", "STREAMS", "a", "0"), ("XREAD", "BLOCK", "1.5", "STREAMS", "a", "0"),
        ("XREAD", "STREAMS", "a", ">"), ("XREAD", "STREAMS", "a", "-"), ("XREAD", "STREAMS", "a", "+"),
        ("XREAD", "STREAMS", "a", "x"), ("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"),
        ("XREAD", "NOACK", "STREAMS", "a", "0"), ("XREAD", "FOO", "STREAMS", "a", "0"),
        ("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "a", f"{U64}-{U64}", "0"),
        ("XREAD", "STREAMS", "a", f"{U64}-{U64}"), ("XREAD", "STREAMS", "a", "$\x00junk"),
    ],
    "wrongtype": [
        ("SET", "str", "v"), ("XADD", "str", "1-1", "a", "1"), ("XADD", "str", "NOMKSTREAM", "1-1", "a", "1"),
        ("XLEN", "str"), ("XRANGE", "str", "-", "+"), ("XRANGE", "str", "x", "+"), ("XREVRANGE", "str", "+", "-"),
        ("XDEL", "str", "1-1"), ("XDEL", "str", "x"), ("XTRIM", "str", "MAXLEN", "0"), ("XSETID", "str", "1-1"),
        ("XINFO", "STREAM", "str"), ("XINFO", "GROUPS", "str"), ("XREAD", "STREAMS", "str", "0"),
        ("XADD", "s", "1-1", "a", "1"), ("XREAD", "STREAMS", "s", "str", "0", "0"),
        ("XREAD", "STREAMS", "s", "str", "x", "0"), ("XREAD", "STREAMS", "str", "s", "0", "x"),
        ("GET", "s"), ("LPUSH", "s", "x"), ("HSET", "s", "f", "v"), ("TYPE", "s"), ("SET", "s", "v"), ("TYPE", "s"),
    ],
    "xinfo": [
        ("XINFO", "STREAM", "missing"), ("XINFO", "STREAM", "missing", "FOO"), ("XINFO", "HELP"),
        ("xinfo", "help"), ("XINFO", "HELP", "x"), ("XINFO", "FOO"), ("XINFO", "FOO", "s"), ("XINFO",),
        ("XINFO", "STREAM"), ("XINFO", "GROUPS"), ("XINFO", "GROUPS", "missing"), ("XINFO", "CONSUMERS", "s"),
        ("XINFO", "CONSUMERS", "missing", "g"), *xadds("s", 5), ("XINFO", "STREAM", "s"),
        ("XINFO", "STREAM", "s", "FULL"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "2"),
        ("XINFO", "STREAM", "s", "full", "count", "0"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "-1"),
        ("XINFO", "STREAM", "s", "FULL", "COUNT", "x"), ("XINFO", "STREAM", "s", "FULL", "x", "1"),
        ("XINFO", "stream", "s", "FOO"), ("XINFO", "STREAM", "s", "FULL", "COUNT"),
        ("XINFO", "GROUPS", "s"), ("XINFO", "CONSUMERS", "s", "g"), ("XDEL", "s", "1-0", "3-0"),
        ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "0"), ("XINFO", "STREAM", "s"),
        ("XINFO", "STREAM", "s", "FULL"), ("XSETID", "s", "1-0"), ("XINFO", "STREAM", "s"),
        *xadds("big", 230), ("XINFO", "STREAM", "big"), ("XTRIM", "big", "MAXLEN", "~", "120"),
        ("XINFO", "STREAM", "big"), ("XDEL", "big", *(f"{ms}-{seq}" for ms in range(51, 101) for seq in (0, 1))),
        ("XINFO", "STREAM", "big"), ("XDEL", "big", *(f"{ms}-{seq}" for ms in range(101, 116) for seq in (0, 1))),
        ("XINFO", "STREAM", "big"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_stream_scenario_matches_redis(diff, name):
    for args in SCENARIOS[name]:
        diff.check(*args, normalize=without_rax_nodes if args[0].upper() == "XINFO" else None)


def test_resp3_replies_match_redis(diff):
    diff.both("HELLO", "3")
    diff.check_all([
        ("XADD", "s", "1-1", "a", "1"), ("XADD", "t", "2-1", "b", "2"), ("XADD", "u", "NOMKSTREAM", "1-1", "a", "1"),
        ("XREAD", "STREAMS", "s", "t", "u", "0", "0", "0"), ("XREAD", "STREAMS", "u", "0"),
        ("XREAD", "BLOCK", "10", "STREAMS", "u", "0"), ("XRANGE", "s", "-", "+", "COUNT", "0"),
        ("XINFO", "STREAM", "s", "FULL"),
    ])


# -- generated IDs ------------------------------------------------------------------------------------


def _ms(entry_id: bytes) -> int:
    return int(entry_id.split(b"-")[0])


def test_star_ids_follow_the_clock_and_never_go_back(r):
    before = int(r.time()[0]) * 1000
    ids = [r.xadd("s", {"n": n}) for n in range(50)]
    parsed = [tuple(map(int, entry_id.split(b"-"))) for entry_id in ids]
    assert parsed == sorted(set(parsed))
    assert abs(_ms(ids[0]) - before) < 5000
    future = _ms(ids[-1]) + 10**9
    assert r.xadd("s", {"n": "x"}, id=f"{future}-7") == b"%d-7" % future
    assert r.xadd("s", {"n": "y"}) == b"%d-8" % future  # the clock is behind the last ID
    assert r.xadd("s", {"n": "z"}, id=f"{future}-*") == b"%d-9" % future
    assert r.xadd("s", {"n": "w"}, id=f"{future + 1}-*") == b"%d-0" % (future + 1)
    assert r.xlen("s") == 54


def test_ms_star_ids_count_up_within_a_millisecond(r):
    assert [r.xadd("s", {"f": "v"}, id="7-*") for _ in range(3)] == [b"7-0", b"7-1", b"7-2"]
    assert r.xadd("new", {"f": "v"}, id="0-*") == b"0-1"


# -- blocking XREAD -----------------------------------------------------------------------------------


def _send_xread(connection: RawConnection, *args: str) -> None:
    """Send ``XREAD args`` without waiting for the reply (it blocks)."""
    connection.send_raw(encode_command(("XREAD", *args)))


def _blocked(server, count: int) -> None:
    wait_until(lambda: int(server.client().info("clients")["blocked_clients"]) == count,
               what=f"{count} blocked clients")


def test_blocked_xread_gets_only_entries_added_after_it_blocked(pika_server, r):
    r.xadd("s", {"old": "1"}, id="1-0")
    waiter = RawConnection(pika_server.port)
    _send_xread(waiter, "BLOCK", "0", "STREAMS", "s", "$")
    _blocked(pika_server, 1)
    r.xadd("other", {"x": "1"}, id="1-0")  # another key: still blocked
    r.xadd("s", {"new": "2"}, id="2-0")
    assert waiter.read_reply() == [[b"s", [[b"2-0", [b"new", b"2"]]]]]
    assert waiter.call("PING") == "PONG"
    waiter.close()


def test_xread_block_times_out_with_a_null_array(pika_server):
    waiter = RawConnection(pika_server.port)
    assert waiter.call("XREAD", "BLOCK", "50", "STREAMS", "missing", "$") is None
    waiter.close()


def test_every_blocked_reader_gets_a_try(pika_server, r):
    """XREAD takes nothing from the stream: a reader waiting for later IDs does not keep the
    readers behind it waiting."""
    far, near = RawConnection(pika_server.port), RawConnection(pika_server.port)
    _send_xread(far, "BLOCK", "0", "STREAMS", "s", "90-0")
    _blocked(pika_server, 1)
    _send_xread(near, "BLOCK", "0", "STREAMS", "t", "s", "$", "0")
    _blocked(pika_server, 2)
    r.xadd("s", {"f": "1"}, id="5-0")
    assert near.read_reply() == [[b"s", [[b"5-0", [b"f", b"1"]]]]]
    _blocked(pika_server, 1)
    r.xadd("s", {"f": "2"}, id="95-0")
    assert far.read_reply() == [[b"s", [[b"95-0", [b"f", b"2"]]]]]
    for connection in (far, near):
        connection.close()


def test_blocked_readers_are_all_served_by_one_entry(pika_server, r):
    readers = [RawConnection(pika_server.port) for _ in range(3)]
    replies: dict[int, object] = {}
    threads = []
    for index, reader in enumerate(readers):
        _send_xread(reader, "BLOCK", "5000", "STREAMS", "q", "$")
        _blocked(pika_server, index + 1)
        thread = threading.Thread(target=lambda n=index: replies.__setitem__(n, readers[n].read_reply()))
        thread.start()
        threads.append(thread)
    r.xadd("q", {"job": "1"}, id="3-3")
    for thread in threads:
        thread.join(5)
    assert replies == {n: [[b"q", [[b"3-3", [b"job", b"1"]]]]] for n in range(3)}
    for reader in readers:
        reader.close()


# -- the binlog ---------------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "primary")) as server:
        yield server


def test_stream_writes_log_deterministic_records(server):
    client = server.client()
    generated = client.xadd("g", {"f": "v"})
    for n in range(1, 151):
        client.xadd("s", {"n": n}, id=f"{10 + n}-0")
    client.xadd("s", {"last": "1"}, id="500-*", maxlen=50, approximate=True)
    client.xdel("s", "120-0", "999-0")
    client.xdel("s", "999-0")                       # deletes nothing: logs nothing
    client.xtrim("s", minid="120", approximate=False)
    client.xtrim("s", maxlen=1000)                  # trims nothing: logs nothing
    client.execute_command("XSETID", "s", "600-0", "ENTRIESADDED", "200", "MAXDELETEDID", "599-0")
    client.xadd("e", {"f": "v"}, id="1-1")
    client.xtrim("e", maxlen=0)
    records = logged(server)
    assert records[0] == [b"xadd", b"g", generated, b"f", b"v"]
    assert records[1] == [b"xadd", b"s", b"11-0", b"n", b"1"]
    assert records[151:] == [
        [b"xadd", b"s", b"500-0", b"last", b"1"],
        [b"xtrim", b"s", b"minid", b"=", b"111-0"],   # '~' took the first node: 100 entries
        [b"xdel", b"s", b"120-0"],
        [b"xtrim", b"s", b"minid", b"=", b"121-0"],
        [b"xsetid", b"s", b"600-0", b"entriesadded", b"200", b"maxdeletedid", b"599-0"],
        [b"xadd", b"e", b"1-1", b"f", b"v"],
        [b"xtrim", b"e", b"maxlen", b"=", b"0"],
    ]


def _streams(server, keys: list[str]) -> dict[str, list]:
    """XINFO STREAM FULL (all entries) of each key, as the server sends it."""
    connection = RawConnection(server.port)
    found = {key: connection.call("XINFO", "STREAM", key, "FULL", "COUNT", "0") for key in keys}
    connection.close()
    return found


def test_streams_equal_a_replay_of_the_binlog_and_survive_a_restart(tmp_path):
    """Approximate trims, deletions, XSETID, and streams written out whole (COPY logs the
    copy's entries and an XSETID, also for an empty stream or one whose last ID was lowered
    below its largest deleted ID) replay to the same streams."""
    keys = ["s", "copied", "emptied", "lowered", "copied-emptied", "copied-lowered"]
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        for n in range(400):
            client.xadd("s", {"n": n, "pad": "x" * (n % 7)}, id=f"{n // 3 + 1}-*",
                        maxlen=300 if n % 50 == 49 else None, approximate=n % 100 == 49)
            if n % 9 == 0:
                client.xdel("s", f"{n // 4 + 1}-0", f"{n // 5 + 1}-1")
        client.xtrim("s", minid="90", approximate=True)
        client.xtrim("s", minid="100-1")
        for n in range(120):
            client.xadd("tmp", {"n": n}, id=f"{n + 1}-0")
        client.xdel("tmp", *(f"{n}-0" for n in range(30, 60)))
        client.execute_command("XSETID", "tmp", "500-0", "ENTRIESADDED", "900", "MAXDELETEDID", "400-0")
        client.copy("tmp", "copied")
        client.xadd("emptied", {"f": "v"}, id="3-3")
        client.xdel("emptied", "3-3")
        client.xadd("lowered", {"f": "v"}, id="9-0")
        client.xdel("lowered", "9-0")
        client.execute_command("XSETID", "lowered", "5-0")
        client.copy("emptied", "copied-emptied")
        client.copy("lowered", "copied-lowered")
        original = _streams(server, keys)
        records = logged(server)
    with PikaServer(data_dir=str(tmp_path / "a")) as restarted:
        assert _streams(restarted, keys) == original
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for argv in records:
            replay.execute_command(*argv)
        replayed = _streams(replica, keys)
    assert [b"xadd", b"copied-emptied", b"maxlen", b"0", b"0-1", b"", b""] in records
    for key in ("s", "emptied", "lowered"):  # the same commands: the same nodes too
        assert replayed[key] == original[key]
    for key in keys:  # a stream written out whole is compacted: its nodes may differ
        assert without_fields(replayed[key], b"radix-tree-keys", b"radix-tree-nodes") == \
            without_fields(original[key], b"radix-tree-keys", b"radix-tree-nodes")
    summary = {key: dict(zip(info[::2], info[1::2])) for key, info in original.items()}
    assert (summary["copied"][b"length"], summary["copied"][b"entries-added"]) == (90, 900)
    assert [summary["copied-emptied"][name] for name in (b"length", b"last-generated-id", b"max-deleted-entry-id")] \
        == [0, b"3-3", b"3-3"]
    assert [summary["copied-lowered"][name] for name in (b"last-generated-id", b"max-deleted-entry-id")] \
        == [b"5-0", b"9-0"]
