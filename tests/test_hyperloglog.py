"""PFADD / PFCOUNT / PFMERGE against redis-server: replies and the stored bytes (GET)."""

from __future__ import annotations

import random

SCENARIO = [
    ("PFADD", "h"), ("GET", "h"), ("PFADD", "h", "a", "b", "c"), ("PFADD", "h", "a"), ("PFCOUNT", "h"), ("GET", "h"),
    ("PFCOUNT", "missing"), ("PFCOUNT", "h", "missing"), ("PFADD", "g", "c", "d", ""), ("PFMERGE", "m", "h", "g"),
    ("GET", "m"), ("PFCOUNT", "m"), ("PFCOUNT", "h", "g"), ("PFMERGE", "new"), ("GET", "new"), ("SET", "s", "plain"),
    ("PFADD", "s", "x"), ("PFCOUNT", "s"), ("PFMERGE", "s", "h"), ("PFMERGE", "m", "s"), ("LPUSH", "l", "x"),
    ("PFADD", "l", "x"), ("PFCOUNT", "l"), ("PFMERGE", "l", "h"), ("PFDEBUG", "ENCODING", "h"),
    ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "ENCODING", "h"), ("GET", "h"), ("PFDEBUG", "TODENSE", "h"),
    ("PFDEBUG", "GETREG", "missing"), ("PFDEBUG", "FOO", "h"), ("PFADD", "t", "x"), ("EXPIRE", "t", "100"),
    ("PFADD", "t", "y"), ("TTL", "t"),
]


def test_hyperloglog_commands_match_redis(diff):
    diff.check_all(SCENARIO)


def test_large_hyperloglogs_match_redis_byte_for_byte(diff):
    rng = random.Random(3)
    for batch in range(20):
        elements = [rng.randbytes(rng.randint(0, 12)) for _ in range(rng.choice([1, 10, 500]))]
        diff.check("PFADD", "big", *elements)
        if batch % 5 == 4:
            diff.check("PFCOUNT", "big")
            diff.check("GET", "big")
    diff.check("PFMERGE", "copy", "big")
    diff.check("GET", "copy")
