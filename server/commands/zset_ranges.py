"""Score and lex ranges of the sorted-set commands, parsed as Redis' zslParseRange and
zslParseLexRange, and resolved to index ranges of a sorted set's rank cache."""

from __future__ import annotations

from sortedcontainers import SortedList

from pypika_store.errors import CommandError
from pypika_store.types.collection import successor
from pypika_store.types.zsets import score_key

from ..arguments import parse_double


class _BadScoreRange(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR min or max is not a float")


class _BadLexRange(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR min or max not valid string range item")


class ScoreRange:
    """``min max`` of ZRANGEBYSCORE and friends; ``(`` makes a bound exclusive."""

    def __init__(self, low: bytes, high: bytes) -> None:
        self.low, self.low_open = self._bound(low)
        self.high, self.high_open = self._bound(high)

    @staticmethod
    def _bound(arg: bytes) -> tuple[float, bool]:
        exclusive = arg[:1] == b"("
        value = parse_double(arg[1:] if exclusive else arg, _BadScoreRange)
        return value, exclusive

    def bounds(self, entries: SortedList) -> tuple[int, int]:
        """The index range ``[start, stop)`` of the entries within the range."""
        if self.low > self.high or (self.low == self.high and (self.low_open or self.high_open)):
            return 0, 0
        low_key, high_key = score_key(self.low), score_key(self.high)
        start = entries.bisect_left(_after(low_key) if self.low_open else low_key)
        stop = entries.bisect_left(high_key if self.high_open else _after(high_key))
        return start, max(start, stop)


class LexRange:
    """``min max`` of ZRANGEBYLEX and friends: ``[x`` inclusive, ``(x`` exclusive, ``-``/``+``
    the ends. As in Redis, only meaningful when all members have the same score; the
    members are compared after the first member's score."""

    def __init__(self, low: bytes, high: bytes) -> None:
        self.low = self._bound(low)
        self.high = self._bound(high)

    @staticmethod
    def _bound(arg: bytes) -> tuple[str, bytes]:
        if arg in (b"-", b"+"):
            return arg.decode(), b""
        if arg[:1] not in (b"(", b"["):
            raise _BadLexRange()
        return arg[:1].decode(), arg[1:]

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
