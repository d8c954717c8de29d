"""Stream consumer groups, compared reply by reply with a real redis-server; then blocking
XREADGROUP, the binlog records groups log, a restart and a slave.

Times differ between the two servers by the milliseconds between their calls: unix-ms times
(delivery and seen times) are compared as "some time now", and idle times in whole seconds
(the scenarios set idle times in whole seconds with IDLE, or leave them near 0).
"""

from __future__ import annotations

import pytest

from pypika_store.testing import PikaGroup, PikaServer

from .support import RawConnection, encode_command, wait_until
from .test_binlog_records import logged
from .test_streams import without_rax_nodes, xadds

#: Unix milliseconds from here on are "now" (a delivery or seen time), whatever the millisecond.
_UNIX_MS = 10**12


def _times(reply):
    """Absolute times as one token, so that replies of two servers compare."""
    if type(reply) is int and reply >= _UNIX_MS:
        return "now"
    if isinstance(reply, (list, tuple)):
        return type(reply)(_times(item) for item in reply)
    return reply


def _idle_seconds(reply):
    """XPENDING's extended reply with its idle times in whole seconds."""
    if type(reply) is not list:
        return reply
    return [[*item[:2], item[2] // 1000, item[3]] if type(item) is list and len(item) == 4 else item
            for item in reply]


def _consumer_idle_seconds(reply):
    """XINFO CONSUMERS with idle times in whole seconds (RESP2 flat pairs or RESP3 maps)."""
    if type(reply) is not list:
        return reply
    normalized = []
    for consumer in reply:
        if type(consumer) is list:  # RESP2: name, value, name, value...
            consumer = [value // 1000 if index % 2 and consumer[index - 1] == b"idle" else value
                        for index, value in enumerate(consumer)]
        else:  # RESP3: a map of pairs
            consumer = type(consumer)((name, value // 1000 if name == b"idle" else value) for name, value in consumer)
        normalized.append(consumer)
    return normalized


def _normalize(args: tuple):
    name = str(args[0]).upper()
    sub = str(args[1]).upper() if len(args) > 1 else ""
    if name == "XPENDING":
        return _idle_seconds
    if name == "XINFO" and sub == "CONSUMERS":
        return _consumer_idle_seconds
    if name == "XINFO":
        return lambda reply: _times(without_rax_nodes(reply))
    return None


def check_all(diff, commands: list[tuple]) -> None:
    for args in commands:
        diff.check(*args, normalize=_normalize(args))


SCENARIOS = {
    "xgroup_create": [
        ("XGROUP", "CREATE", "s", "g", "$"), ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        ("EXISTS", "s"), ("TYPE", "s"), ("XGROUP", "CREATE", "s", "g", "$"), ("XGROUP", "CREATE", "s", "g", "0"),
        *xadds("s", 4), ("XGROUP", "CREATE", "s", "g1", "$"), ("XGROUP", "CREATE", "s", "g2", "0"),
        ("XGROUP", "CREATE", "s", "g3", "1-1"), ("XGROUP", "CREATE", "s", "g4", "1", "ENTRIESREAD", "2"),
        ("XGROUP", "CREATE", "s", "g5", "0", "ENTRIESREAD", "-1"), ("XGROUP", "CREATE", "s", "g6", "0", "ENTRIESREAD", "-2"),
        ("XGROUP", "CREATE", "s", "g6", "0", "ENTRIESREAD", "x"), ("XGROUP", "CREATE", "s", "g6", "0", "ENTRIESREAD"),
        ("XGROUP", "CREATE", "s", "g6", "0", "FOO"), ("XGROUP", "CREATE", "s", "g6", "x"),
        ("XGROUP", "CREATE", "s", "g6", "-"), ("XGROUP", "CREATE", "s", "g6", "+"),
        ("XGROUP", "CREATE", "s", "g6", "9", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM"),
        ("XGROUP", "CREATE", "s", "g6", "99-99", "mkstream", "entriesread", "3"), ("XGROUP", "CREATE", "s"),
        ("XGROUP", "CREATE", "missing", "g", "x"), ("XGROUP", "CREATE", "missing", "g", "0", "FOO"),
        ("XGROUP", "CREATE", "new", "g", "x", "MKSTREAM"), ("EXISTS", "new"),
        ("XGROUP", "CREATE", "new", "", "0", "MKSTREAM"), ("XGROUP", "CREATE", "s", "g\x00x", "0"),
        ("XINFO", "GROUPS", "s"), ("XINFO", "GROUPS", "new"), ("XINFO", "STREAM", "s"),
        ("XINFO", "STREAM", "s", "FULL"),
    ],
    "xgroup_other_subcommands": [
        *xadds("s", 4), ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "SETID", "s", "g", "1-1"),
        ("XGROUP", "SETID", "s", "g", "$"), ("XINFO", "GROUPS", "s"), ("XGROUP", "SETID", "s", "g", "-"),
        ("XGROUP", "SETID", "s", "g", "+"), ("XINFO", "GROUPS", "s"), ("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "2"),
        ("XINFO", "GROUPS", "s"), ("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "-3"),
        ("XGROUP", "SETID", "s", "g", "0", "MKSTREAM"), ("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD"),
        ("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "1", "x"), ("XGROUP", "SETID", "s", "g", "x"),
        ("XGROUP", "SETID", "s", "nog", "0"), ("XGROUP", "SETID", "missing", "g", "0"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "alice"), ("XGROUP", "CREATECONSUMER", "s", "g", "alice"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "bob"), ("XGROUP", "CREATECONSUMER", "s", "nog", "bob"),
        ("XGROUP", "CREATECONSUMER", "missing", "g", "bob"), ("XGROUP", "CREATECONSUMER", "s", "g"),
        ("XINFO", "CONSUMERS", "s", "g"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
        ("XGROUP", "DELCONSUMER", "s", "g", "alice"), ("XGROUP", "DELCONSUMER", "s", "g", "alice"),
        ("XGROUP", "DELCONSUMER", "s", "nog", "alice"), ("XGROUP", "DELCONSUMER", "missing", "g", "alice"),
        ("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s"), ("XGROUP", "DESTROY", "s", "g"),
        ("XGROUP", "DESTROY", "s", "g"), ("XGROUP", "DESTROY", "missing", "g"), ("XGROUP", "DESTROY", "s"),
        ("XGROUP", "DESTROY", "s", "g", "x"), ("XINFO", "GROUPS", "s"), ("XGROUP", "CREATE", "s", "g", "0"),
        ("XPENDING", "s", "g"), ("XINFO", "CONSUMERS", "s", "g"), ("XGROUP", "HELP"), ("XGROUP", "HELP", "x"),
        ("XGROUP", "FOO", "s", "g"), ("XGROUP", "FOO"), ("XGROUP",), ("XGROUP", "create", "s", "g2", "$"),
        ("XGROUP", "DESTROY", "s", "g2"),
    ],
    "xreadgroup_and_xack": [
        *xadds("s", 6), ("XGROUP", "CREATE", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "1-0"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"), ("XPENDING", "s", "g"),
        ("XPENDING", "s", "g", "-", "+", "10"), ("XACK", "s", "g", "1-0", "9-9"), ("XACK", "s", "g", "1-0"),
        ("XACK", "s", "nog", "1-0"), ("XACK", "missing", "g", "1-0"), ("XACK", "s", "g", "x"),
        ("XACK", "s", "nog", "x"), ("XPENDING", "s", "g"), ("XDEL", "s", "1-1"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g", "dave", "NOACK", "COUNT", "1", "STREAMS", "s", ">"),
        ("XPENDING", "s", "g"), ("XINFO", "CONSUMERS", "s", "g"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"), ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "10", "STREAMS", "s", ">"), ("XINFO", "STREAM", "s", "FULL"),
        ("XINFO", "STREAM", "s", "FULL", "COUNT", "1"), ("XINFO", "STREAM", "s"),
    ],
    "xreadgroup_errors": [
        *xadds("s", 2), ("SET", "str", "v"), ("XGROUP", "CREATE", "s", "g", "$"), ("XADD", "t", "5-0", "f", "v"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "x"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "-"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "missing", ">"),
        ("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"), ("XREADGROUP", "STREAMS", "s", ">", "x", "y"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "x", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "FOO", "STREAMS", "s", ">"), ("XREADGROUP", "GROUP", "g", "c", "s", ">", "x"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"), ("XREADGROUP", "GROUP", "g"),
        ("XREADGROUP", "GROUP", "g", "c", "NOACK", "NOACK", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "-1", "STREAMS", "s", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
        ("XINFO", "CONSUMERS", "s", "g"), ("XINFO", "CONSUMERS", "s", "nog"), ("XINFO", "CONSUMERS", "str", "g"),
        ("XINFO", "CONSUMERS", "missing", "g"), ("XPENDING", "str", "g"), ("XCLAIM", "str", "g", "c", "0", "1-0"),
        ("XAUTOCLAIM", "str", "g", "c", "0", "0"), ("XACK", "str", "g", "1-0"), ("XGROUP", "CREATE", "str", "g", "$"),
        ("XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"), ("XGROUP", "DESTROY", "str", "g"),
    ],
    "xpending": [
        *xadds("s", 10), ("XGROUP", "CREATE", "s", "g", "0"), ("XPENDING", "s", "g"),
        ("XPENDING", "s", "g", "-", "+", "10"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "COUNT", "4", "STREAMS", "s", ">"), ("XPENDING", "s", "g"),
        ("XPENDING", "s", "g", "-", "+", "10"), ("XPENDING", "s", "g", "-", "+", "2"), ("XPENDING", "s", "g", "2", "3", "10"),
        ("XPENDING", "s", "g", "(1-1", "(3-0", "10"), ("XPENDING", "s", "g", "-", "+", "10", "bob"),
        ("XPENDING", "s", "g", "-", "+", "10", "nobody"), ("XPENDING", "s", "g", "-", "+", "0"),
        ("XPENDING", "s", "g", "-", "+", "-1"), ("XPENDING", "s", "g", "-", "+", "x"), ("XPENDING", "s", "g", "x", "+", "1"),
        ("XPENDING", "s", "g", "-", "x", "1"), ("XPENDING", "s", "g", "-", "+"), ("XPENDING", "s", "g", "-"),
        ("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"), ("XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10"),
        ("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"), ("XPENDING", "s", "g", "IDLE", "5", "-", "+"),
        ("XPENDING", "s", "g", "IDLE", "5", "-"), ("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "alice"),
        ("XPENDING", "s", "g", "-", "+", "10", "alice", "x"), ("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "a", "b"),
        ("XPENDING", "s", "nog"), ("XPENDING", "missing", "g"), ("XPENDING", "missing", "g", "x", "+", "1"),
        ("XPENDING", "s", "g", f"({'18446744073709551615-18446744073709551615'}", "+", "1"),
        ("XPENDING", "s", "g", "-", "(0-0", "1"),
        ("XCLAIM", "s", "g", "carol", "0", "1-0", "IDLE", "5000"), ("XPENDING", "s", "g", "IDLE", "4000", "-", "+", "10"),
        ("XPENDING", "s", "g", "-", "+", "10", "carol"),
    ],
    "xclaim": [
        *xadds("s", 10), ("XGROUP", "CREATE", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", "s", ">"),
        ("XCLAIM", "s", "g", "bob", "0", "1-0"), ("XCLAIM", "s", "g", "bob", "0", "1-0", "JUSTID"),
        ("XCLAIM", "s", "g", "bob", "100000", "1-1"), ("XCLAIM", "s", "g", "bob", "0", "1-1", "2-0", "9-9", "JUSTID"),
        ("XPENDING", "s", "g", "-", "+", "10"), ("XCLAIM", "s", "g", "bob", "0", "3-0", "FORCE"),
        ("XCLAIM", "s", "g", "bob", "0", "4-0", "FORCE", "JUSTID"), ("XCLAIM", "s", "g", "bob", "0", "9-9", "FORCE"),
        ("XPENDING", "s", "g", "-", "+", "10"), ("XCLAIM", "s", "g", "carol", "0", "1-0", "RETRYCOUNT", "7", "IDLE", "3000"),
        ("XCLAIM", "s", "g", "carol", "0", "1-1", "TIME", "1000", "JUSTID"),
        ("XCLAIM", "s", "g", "carol", "0", "2-0", "TIME", "99999999999999", "JUSTID"),
        ("XCLAIM", "s", "g", "carol", "0", "2-1", "IDLE", "-5", "JUSTID"), ("XPENDING", "s", "g", "-", "+", "10"),
        ("XCLAIM", "s", "g", "carol", "0", "2-1", "LASTID", "8-0", "JUSTID"), ("XINFO", "GROUPS", "s"),
        ("XCLAIM", "s", "g", "carol", "0", "2-1", "LASTID", "1-0", "JUSTID"), ("XINFO", "GROUPS", "s"),
        ("XCLAIM", "s", "g", "carol", "x", "1-0"), ("XCLAIM", "s", "g", "carol", "-5", "1-0", "JUSTID"),
        ("XCLAIM", "s", "g", "carol", "0", "1-0", "IDLE", "x"), ("XCLAIM", "s", "g", "carol", "0", "1-0", "TIME", "x"),
        ("XCLAIM", "s", "g", "carol", "0", "1-0", "RETRYCOUNT", "x"), ("XCLAIM", "s", "g", "carol", "0", "1-0", "LASTID", "x"),
        ("XCLAIM", "s", "g", "carol", "0", "1-0", "FOO"), ("XCLAIM", "s", "g", "carol", "0", "foo"),
        ("XCLAIM", "s", "g", "carol", "0", "1-0", "IDLE"), ("XCLAIM", "s", "g", "carol", "0", "1-0", "x", "2-0"),
        ("XCLAIM", "s", "nog", "carol", "x", "1-0"), ("XCLAIM", "missing", "g", "carol", "0", "1-0"),
        ("XCLAIM", "s", "g", "carol", "0", "-"), ("XDEL", "s", "1-0", "3-0"), ("XCLAIM", "s", "g", "dave", "0", "1-0", "3-0", "2-0"),
        ("XPENDING", "s", "g"), ("XINFO", "CONSUMERS", "s", "g"), ("XINFO", "STREAM", "s", "FULL"),
    ],
    "xautoclaim": [
        *xadds("s", 10), ("XGROUP", "CREATE", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"), ("XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "3"),
        ("XAUTOCLAIM", "s", "g", "bob", "0", "2-1", "COUNT", "3", "JUSTID"), ("XAUTOCLAIM", "s", "g", "bob", "100000", "0"),
        ("XAUTOCLAIM", "s", "g", "bob", "0", "(4-0", "COUNT", "2"), ("XAUTOCLAIM", "s", "g", "bob", "0", "-", "COUNT", "100"),
        ("XAUTOCLAIM", "s", "g", "bob", "0", "+"), ("XPENDING", "s", "g", "-", "+", "20"), ("XDEL", "s", "1-1", "2-0", "5-1"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2"), ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "2"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "JUSTID"), ("XPENDING", "s", "g"),
        ("XAUTOCLAIM", "s", "g", "carol", "x", "0"), ("XAUTOCLAIM", "s", "g", "carol", "0", "x"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "(x"), ("XAUTOCLAIM", "s", "g", "carol", "0", f"({'18446744073709551615-18446744073709551615'}"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "0"), ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "x"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "-1"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "9223372036854775807"),
        ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT"), ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "FOO"),
        ("XAUTOCLAIM", "s", "nog", "carol", "0", "0"), ("XAUTOCLAIM", "missing", "g", "carol", "0", "0"),
        ("XAUTOCLAIM", "s", "nog", "carol", "x", "0"), ("XINFO", "CONSUMERS", "s", "g"), ("XINFO", "STREAM", "s", "FULL"),
    ],
    "lag_and_entries_read": [
        ("XGROUP", "CREATE", "s", "g0", "$", "MKSTREAM"), ("XINFO", "GROUPS", "s"), *xadds("s", 6),
        ("XGROUP", "CREATE", "s", "g1", "0"), ("XGROUP", "CREATE", "s", "g2", "$"), ("XGROUP", "CREATE", "s", "g3", "2-0"),
        ("XINFO", "GROUPS", "s"), ("XREADGROUP", "GROUP", "g1", "c", "COUNT", "2", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g3", "c", "COUNT", "1", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
        ("XDEL", "s", "2-0"), ("XINFO", "GROUPS", "s"), ("XREADGROUP", "GROUP", "g1", "c", "COUNT", "1", "STREAMS", "s", ">"),
        ("XINFO", "GROUPS", "s"), ("XREADGROUP", "GROUP", "g0", "c", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
        ("XDEL", "s", "1-0"), ("XINFO", "GROUPS", "s"), ("XTRIM", "s", "MAXLEN", "2"), ("XINFO", "GROUPS", "s"),
        ("XREADGROUP", "GROUP", "g1", "c", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"), ("XADD", "s", "9-0", "f", "v"),
        ("XINFO", "GROUPS", "s"), ("XSETID", "s", "10-0", "ENTRIESADDED", "20"), ("XINFO", "GROUPS", "s"),
        ("XGROUP", "SETID", "s", "g2", "0"), ("XINFO", "GROUPS", "s"), ("XTRIM", "s", "MAXLEN", "0"),
        ("XINFO", "GROUPS", "s"), ("XGROUP", "SETID", "s", "g2", "3-0"), ("XINFO", "GROUPS", "s"),
        ("XINFO", "STREAM", "s", "FULL"), ("XPENDING", "s", "g1"), ("XREADGROUP", "GROUP", "g1", "c", "STREAMS", "s", "0"),
    ],
    "groups_follow_the_key": [
        *xadds("s", 3), ("XGROUP", "CREATE", "s", "g", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
        ("RENAME", "s", "t"), ("XINFO", "GROUPS", "t"), ("XPENDING", "t", "g"), ("COPY", "t", "u"), ("XINFO", "GROUPS", "u"),
        ("XPENDING", "u", "g", "-", "+", "10"), ("DEL", "t"), ("XGROUP", "CREATE", "t", "g", "0", "MKSTREAM"),
        ("XPENDING", "t", "g"), ("XINFO", "STREAM", "u", "FULL"), ("XTRIM", "u", "MAXLEN", "0"), ("XPENDING", "u", "g"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "u", "0"), ("XAUTOCLAIM", "u", "g", "d", "0", "0"),
        ("XPENDING", "u", "g"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_group_scenario_matches_redis(diff, name):
    check_all(diff, SCENARIOS[name])


def test_resp3_replies_match_redis(diff):
    diff.both("HELLO", "3")
    check_all(diff, [
        *xadds("s", 3), ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "t", "g", "0", "MKSTREAM"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", "t", ">", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "t", ">"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
        ("XPENDING", "s", "g"), ("XPENDING", "t", "g"), ("XINFO", "GROUPS", "s"), ("XINFO", "CONSUMERS", "s", "g"),
        ("XINFO", "STREAM", "s", "FULL"), ("XAUTOCLAIM", "s", "g", "d", "0", "0"), ("XGROUP", "HELP"),
    ])
