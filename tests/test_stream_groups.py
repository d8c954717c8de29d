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


SCENARIOS["edge_cases"] = [
    *xadds("s", 6), ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "\xff\x00bin", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", "s", ">", ">"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s", ">", "0"),
    ("XREADGROUP", "GROUP", "g", "d", "COUNT", "1", "STREAMS", "s", "18446744073709551615-18446744073709551615"),
    ("XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">\x00junk"), ("XACK", "s", "g", "1-0", "1-0", "1-1"),
    ("XCLAIM", "s", "g", "e", "0", "2-0", "2-0", "JUSTID"), ("XCLAIM", "s", "g", "e", "0", "2-0", "JUSTID", "JUSTID"),
    ("XREADGROUP", "GROUP", "\xff\x00bin", "\x00c", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
    ("XINFO", "CONSUMERS", "s", "\xff\x00bin"), ("XPENDING", "s", "\xff\x00bin"),
    ("XGROUP", "DELCONSUMER", "s", "\xff\x00bin", "\x00c"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "2"),
    ("XINFO", "STREAM", "s", "FULL", "COUNT", "0"), ("MULTI",), ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
    ("XADD", "s", "9-0", "f", "v"), ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"), ("EXEC",),
]


def _watched(*commands: tuple) -> list[tuple]:
    """WATCH s, the commands, then an empty transaction: does EXEC run (the watch held)?"""
    return [("WATCH", "s"), *commands, ("MULTI",), ("PING",), ("EXEC",)]


SCENARIOS["watches"] = [  # Redis' group commands touch no watched key; MKSTREAM, XADD... do
    *_watched(("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")), *_watched(("XADD", "s", "1-0", "f", "v")),
    *_watched(("XGROUP", "CREATE", "s", "h", "0")), *_watched(("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")),
    *_watched(("XREADGROUP", "GROUP", "h", "c", "STREAMS", "s", ">")), *_watched(("XACK", "s", "h", "1-0")),
    *_watched(("XCLAIM", "s", "h", "d", "0", "1-0", "FORCE")), *_watched(("XAUTOCLAIM", "s", "h", "e", "0", "0")),
    *_watched(("XGROUP", "SETID", "s", "h", "0")), *_watched(("XGROUP", "CREATECONSUMER", "s", "h", "f")),
    *_watched(("XGROUP", "DELCONSUMER", "s", "h", "f")), *_watched(("XGROUP", "DESTROY", "s", "h")),
    *_watched(("XDEL", "s", "1-0")),
]


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


# -- blocking XREADGROUP --------------------------------------------------------------------------------


def _send(connection: RawConnection, *args: str) -> None:
    """Send a command without waiting for its reply (it blocks)."""
    connection.send_raw(encode_command(args))


def _raw(server, *args):
    """One command's reply as the server sent it (redis-py reshapes the group replies)."""
    connection = RawConnection(server.port)
    try:
        return connection.call(*args)
    finally:
        connection.close()


def _blocked(server, count: int) -> None:
    wait_until(lambda: int(server.client().info("clients")["blocked_clients"]) == count,
               what=f"{count} blocked clients")


@pytest.fixture
def blocking_server():
    with PikaServer() as server:
        yield server


def test_blocked_consumers_of_a_group_are_served_in_the_order_they_blocked(blocking_server):
    server = blocking_server
    client = server.client()
    client.xgroup_create("s", "g", id="$", mkstream=True)
    client.xgroup_create("s", "other", id="$")
    first, second, outsider = (RawConnection(server.port) for _ in range(3))
    _send(first, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
    _blocked(server, 1)
    _send(second, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
    _blocked(server, 2)
    _send(outsider, "XREADGROUP", "GROUP", "other", "carol", "BLOCK", "0", "STREAMS", "s", ">")
    _blocked(server, 3)
    assert _raw(server, "XINFO", "CONSUMERS", "s", "g") == []  # blocking created no consumer
    client.xadd("s", {"job": "1"}, id="1-0")
    assert first.read_reply() == [[b"s", [[b"1-0", [b"job", b"1"]]]]]
    assert outsider.read_reply() == [[b"s", [[b"1-0", [b"job", b"1"]]]]]  # another group gets it too
    _blocked(server, 1)  # bob's group delivered 1-0 to alice already
    client.xadd("s", {"job": "2"}, id="2-0")
    assert second.read_reply() == [[b"s", [[b"2-0", [b"job", b"2"]]]]]
    pending = _raw(server, "XPENDING", "s", "g", "-", "+", "10")
    assert [(entry[0], entry[1], entry[3]) for entry in pending] == [(b"1-0", b"alice", 1), (b"2-0", b"bob", 1)]
    for connection in (first, second, outsider):
        connection.close()


def test_a_blocked_consumer_fails_when_its_group_or_stream_goes(blocking_server):
    server = blocking_server
    client = server.client()
    for key in ("a", "b", "c"):
        client.xgroup_create(key, "g", id="$", mkstream=True)
    waiters = {key: RawConnection(server.port) for key in ("a", "b", "c")}
    for count, (key, connection) in enumerate(waiters.items(), 1):
        _send(connection, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", key, ">")
        _blocked(server, count)
    client.xgroup_destroy("a", "g")
    assert waiters["a"].read_reply() == "NOGROUP the consumer group this client was blocked on no longer exists"
    client.delete("b")
    assert waiters["b"].read_reply() == "UNBLOCKED the stream key no longer exists"
    client.set("c", "now a string")
    assert waiters["c"].read_reply() == "UNBLOCKED the stream key no longer exists"
    _blocked(server, 0)
    for connection in waiters.values():
        assert connection.call("PING") == "PONG"
        connection.close()


def test_a_blocked_consumer_fails_when_its_db_is_flushed_or_swapped(blocking_server):
    server = blocking_server
    client = server.client()
    waiters = []
    for count, (db, key) in enumerate(((0, "a"), (1, "b"), (2, "c")), 1):
        connection = RawConnection(server.port)
        connection.call("SELECT", db)
        connection.call("XGROUP", "CREATE", key, "g", "$", "MKSTREAM")
        _send(connection, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", key, ">")
        _blocked(server, count)
        waiters.append(connection)
    client.flushdb()
    assert waiters[0].read_reply() == "UNBLOCKED the stream key no longer exists"
    client.swapdb(1, 3)
    assert waiters[1].read_reply() == "UNBLOCKED the stream key no longer exists"
    client.flushall()
    assert waiters[2].read_reply() == "UNBLOCKED the stream key no longer exists"
    for connection in waiters:
        connection.close()


def test_blocked_xreadgroup_times_out_with_a_null_array_and_noack_leaves_nothing_pending(blocking_server):
    server = blocking_server
    client = server.client()
    client.xgroup_create("s", "g", id="$", mkstream=True)
    waiter = RawConnection(server.port)
    assert waiter.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">") is None
    _send(waiter, "XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
    _blocked(server, 1)
    client.xadd("s", {"f": "v"}, id="3-0")
    assert waiter.read_reply() == [[b"s", [[b"3-0", [b"f", b"v"]]]]]
    assert _raw(server, "XPENDING", "s", "g")[0] == 0
    assert _raw(server, "XINFO", "GROUPS", "s")[0][7] == b"3-0"
    waiter.close()


# -- the binlog, a restart, a slave ---------------------------------------------------------------------


def test_group_writes_log_the_state_they_leave(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "logged")) as server:
        client = server.client()
        for n in range(1, 5):
            client.xadd("s", {"n": n}, id=f"{n}-0")
        client.xgroup_create("s", "g", id="$")
        client.xgroup_create("new", "g", id="$", mkstream=True)
        client.xgroup_setid("s", "g", id="1-0")
        before_blocking = len(logged(server))
        waiter = RawConnection(server.port)
        _send(waiter, "XREADGROUP", "GROUP", "g", "blocked", "BLOCK", "0", "STREAMS", "new", ">")
        _blocked(server, 1)
        assert len(logged(server)) == before_blocking             # a blocked XREADGROUP logs nothing...
        _raw(server, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
        _raw(server, "XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">")
        _raw(server, "XACK", "s", "g", "2-0", "9-0")
        _raw(server, "XACK", "s", "g", "9-0")                    # acknowledges nothing: logs nothing
        _raw(server, "XCLAIM", "s", "g", "carol", "0", "3-0", "TIME", "1234", "RETRYCOUNT", "5", "JUSTID")
        client.xdel("s", "3-0")
        _raw(server, "XAUTOCLAIM", "s", "g", "dave", "0", "0")   # 3-0 is gone: it leaves the PEL
        _raw(server, "XGROUP", "DELCONSUMER", "s", "g", "bob")
        _raw(server, "XGROUP", "DESTROY", "s", "g")
        client.xadd("new", {"f": "v"}, id="7-0")
        assert waiter.read_reply() == [[b"new", [[b"7-0", [b"f", b"v"]]]]]
        waiter.close()
        records = logged(server)
        assert records[4:7] == [
            [b"xgroup", b"create", b"s", b"g", b"4-0", b"entriesread", b"-1"],
            [b"xgroup", b"create", b"new", b"g", b"0-0", b"mkstream", b"entriesread", b"-1"],
            [b"xgroup", b"setid", b"s", b"g", b"1-0", b"entriesread", b"-1"],
        ]
        times = [record[7] for record in records if record[0] == b"xclaim"]
        assert records[7:] == [
            [b"xgroup", b"createconsumer", b"s", b"g", b"alice"],
            [b"xclaim", b"s", b"g", b"alice", b"0", b"2-0", b"TIME", times[0], b"RETRYCOUNT", b"1", b"FORCE", b"JUSTID"],
            [b"xclaim", b"s", b"g", b"alice", b"0", b"3-0", b"TIME", times[1], b"RETRYCOUNT", b"1", b"FORCE", b"JUSTID"],
            [b"xgroup", b"setid", b"s", b"g", b"3-0", b"entriesread", b"-1"],  # 3-0 is mid-stream: not known
            [b"xgroup", b"createconsumer", b"s", b"g", b"bob"],
            [b"xgroup", b"setid", b"s", b"g", b"4-0", b"entriesread", b"4"],
            [b"xack", b"s", b"g", b"2-0"],
            [b"xgroup", b"createconsumer", b"s", b"g", b"carol"],
            [b"xclaim", b"s", b"g", b"carol", b"0", b"3-0", b"TIME", b"1234", b"RETRYCOUNT", b"5", b"FORCE", b"JUSTID"],
            [b"xdel", b"s", b"3-0"],
            [b"xclaim", b"s", b"g", b"carol", b"0", b"3-0", b"TIME", b"1234", b"RETRYCOUNT", b"5", b"FORCE", b"JUSTID"],
            [b"xgroup", b"delconsumer", b"s", b"g", b"bob"],
            [b"xgroup", b"destroy", b"s", b"g"],
            [b"xadd", b"new", b"7-0", b"f", b"v"],              # ...until it is served
            [b"xgroup", b"createconsumer", b"new", b"g", b"blocked"],
            [b"xclaim", b"new", b"g", b"blocked", b"0", b"7-0", b"TIME", times[4], b"RETRYCOUNT", b"1", b"FORCE",
             b"JUSTID"],
            [b"xgroup", b"setid", b"new", b"g", b"7-0", b"entriesread", b"1"],
        ]
        assert all(abs(int(time) - int(times[0])) < 60_000 for time in (times[1], times[4]))


GROUP_KEYS = ["s", "t", "copied"]


def _group_workload(server) -> None:
    """Groups with consumers, pending entries delivered, redelivered, claimed, acknowledged,
    entries deleted under the PEL, a consumer and a group deleted, a stream copied."""
    connection = RawConnection(server.port)
    commands = [
        *xadds("s", 30), ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "h", "$"),
        ("XGROUP", "CREATE", "s", "gone", "0"), ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "COUNT", "5", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "carol", "NOACK", "COUNT", "3", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "4", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "gone", "x", "STREAMS", "s", ">"), ("XACK", "s", "g", "1-0", "2-1", "3-0"),
        ("XCLAIM", "s", "g", "dave", "0", "4-0", "5-0", "IDLE", "60000"),
        ("XCLAIM", "s", "g", "erin", "0", "14-1", "FORCE", "RETRYCOUNT", "9", "JUSTID"),
        ("XDEL", "s", "6-0", "8-1"), ("XAUTOCLAIM", "s", "g", "frank", "0", "6-0", "COUNT", "4"),
        ("XGROUP", "CREATECONSUMER", "s", "h", "idle"), ("XGROUP", "DELCONSUMER", "s", "g", "bob"),
        ("XGROUP", "DESTROY", "s", "gone"), ("XGROUP", "SETID", "s", "h", "20-0", "ENTRIESREAD", "39"),
        ("XTRIM", "s", "MINID", "2"), ("XADD", "t", "1-0", "f", "v"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "t", ">"),
        ("COPY", "s", "copied"),
    ]
    for args in commands:
        reply = connection.call(*args)
        assert not isinstance(reply, str) or reply in ("OK",), (args, reply)
    connection.close()


def _group_state(server, keys: list[str] = GROUP_KEYS, seen_times: bool = True) -> dict:
    """XINFO STREAM FULL (whole PELs) of each key; without the consumers' seen times unless
    ``seen_times`` (a replay sees the consumers when it replays)."""
    state = {key: _raw(server, "XINFO", "STREAM", key, "FULL", "COUNT", "0") for key in keys}
    return state if seen_times else _without_seen_times(state)


def _without_seen_times(reply):
    if isinstance(reply, dict):
        return {key: _without_seen_times(value) for key, value in reply.items()}
    if type(reply) is not list:
        return reply
    return [None if index and reply[index - 1] == b"seen-time" else _without_seen_times(item)
            for index, item in enumerate(reply)]


def test_groups_survive_a_restart_and_equal_a_replay_of_the_binlog(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        _group_workload(server)
        original = _group_state(server)
        records = logged(server)
    assert original["s"][-1][0][1] == b"g" and len(original["copied"][-1]) == 2  # groups g and h, copied too
    with PikaServer(data_dir=str(tmp_path / "a")) as restarted:
        assert _group_state(restarted) == original
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = RawConnection(replica.port)
        for argv in records:
            replay.call(*argv)
        replayed = _group_state(replica, seen_times=False)
        replay.close()
    with PikaServer(data_dir=str(tmp_path / "c"), config={"write-binlog": "no"}) as replica:
        replay = RawConnection(replica.port)
        for argv in records:  # each record twice: the second finds the state it sets
            replay.call(*argv)
            replay.call(*argv)
        twice = _group_state(replica, seen_times=False)
        replay.close()
    expected = _without_seen_times(original)
    assert replayed == expected
    assert twice == expected


def test_a_slave_has_the_masters_groups_after_full_and_incremental_sync_and_after_failover(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "master")) as master, \
            PikaServer(data_dir=str(tmp_path / "slave")) as slave:
        _group_workload(master)
        group = PikaGroup.__new__(PikaGroup)  # the pair, for its wait_synced
        group.master, group.slaves = master, [slave]
        slave.client().slaveof("127.0.0.1", master.port)
        group.wait_synced()
        assert slave.client().info("replication")["repl_full_syncs"] == 1
        assert _group_state(slave) == _group_state(master)  # the snapshot: seen times too
        _raw(master, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
        _raw(master, "XCLAIM", "s", "g", "grace", "0", "10-0", "IDLE", "30000")
        _raw(master, "XACK", "s", "g", "7-0")
        _raw(master, "XGROUP", "CREATE", "t", "late", "0")
        _raw(master, "XREADGROUP", "GROUP", "late", "c", "STREAMS", "t", ">")
        group.wait_synced()
        acknowledged = _group_state(master, seen_times=False)
        assert _group_state(slave, seen_times=False) == acknowledged
        master_pending = _raw(master, "XPENDING", "s", "g", "-", "+", "100")
        master.stop()
        promoted = slave.client()
        promoted.slaveof()  # SLAVEOF NO ONE
        assert _group_state(slave, seen_times=False) == acknowledged
        pending = _raw(slave, "XPENDING", "s", "g", "-", "+", "100")
        assert [entry[:2] + entry[3:] for entry in pending] == [entry[:2] + entry[3:] for entry in master_pending]
        for mine, theirs in zip(pending, master_pending):  # the delivery times came along: idle times go on
            assert 0 <= mine[2] - theirs[2] < 30_000
        assert _raw(slave, "XINFO", "GROUPS", "s") == _raw(slave, "XINFO", "GROUPS", "s")
        claimed = _raw(slave, "XAUTOCLAIM", "s", "g", "new-owner", "25000", "0", "JUSTID")
        assert b"10-0" in claimed[1]  # grace's entry, idle since 30 s before the failover
