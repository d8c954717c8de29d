"""Ranges of a sorted set by rank, score or lex, resolved to index ranges of its rank cache.

The bounds arrive parsed (the server reads ``(1.5``, ``[a``, ``-inf``... as Redis'
zslParseRange and zslParseLexRange do); each range answers :meth:`bounds`, the ascending
``[start, stop)`` slice of the cache's ``score key | member`` entries it covers, so ZRANGE,
ZCOUNT and ZREMRANGEBY* (:meth:`ZsetStore.select`) cost two bisections plus the members they
touch.
"""

from __future__ import annotations

from typing import Union

from sortedcontainers import SortedList

from .collection import successor
from .zsets import score_key


class RankRange:
    """``start stop`` of ZRANGE by index: negatives count from the end; ``reverse`` counts the
    ranks from the highest score (ZREVRANGE)."""

    def __init__(self, start: int, stop: int, reverse: bool = False) -> None:
        self.start, self.stop, self.reverse = start, stop, reverse

    def bounds(self, entries: SortedList) -> tuple[int, int]:
        length = len(entries)
        start, stop = rank_bounds(self.start, self.stop, length)
        return (length - stop, length - start) if self.reverse else (start, stop)


class ScoreRange:
    """``min max`` of ZRANGEBYSCORE and friends; an open bound excludes its score."""

    def __init__(self, low: float, low_open: bool, high: float, high_open: bool) -> None:
        self.low, self.low_open = low, low_open
        self.high, self.high_open = high, high_open

    def bounds(self, entries: SortedList) -> tuple[int, int]:
        if self.low > self.high or (self.low == self.high and (self.low_open or self.high_open)):
            return 0, 0
        low_key, high_key = score_key(self.low), score_key(self.high)
        start = entries.bisect_left(_after(low_key) if self.low_open else low_key)
        stop = entries.bisect_left(high_key if self.high_open else _after(high_key))
        return start, max(start, stop)


#: A lex bound: ``("-", b"")`` and ``("+", b"")`` the ends, ``("[", member)`` inclusive,
#: ``("(", member)`` exclusive.
LexBound = tuple[str, bytes]


class LexRange:
    """``min max`` of ZRANGEBYLEX and friends. As in Redis, only meaningful when all members
    have the same score; the members are compared after the first member's score."""

    def __init__(self, low: LexBound, high: LexBound) -> None:
        self.low, self.high = low, high

    def bounds(self, entries: SortedList) -> tuple[int, int]:
        if not entries:
            return 0, 0
        prefix = entries[0][:8]
        kind, member = self.low
        if kind == "+":
            return 0, 0
        start = 0 if kind == "-" else (entries.bisect_left(prefix + member) if kind == "[" else
                                       entries.bisect_right(prefix + member))
        kind, member = self.high
        if kind == "-":
            return 0, 0
        stop = len(entries) if kind == "+" else (entries.bisect_right(prefix + member) if kind == "[" else
                                                 entries.bisect_left(prefix + member))
        return start, max(start, stop)


ZsetRange = Union[RankRange, ScoreRange, LexRange]


def _after(key: bytes) -> bytes:
    """The smallest entry greater than every entry starting with the 8-byte score key."""
    return successor(key) or b"\xff" * 9


def rank_bounds(start: int, stop: int, length: int) -> tuple[int, int]:
    """ZRANGE's index rules (negatives from the end, clamped) as ``[start, stop)``."""
    if start < 0:
        start += length
    if stop < 0:
        stop += length
    start = max(start, 0)
    stop = min(stop, length - 1)
    return (start, stop + 1) if start <= stop else (0, 0)
