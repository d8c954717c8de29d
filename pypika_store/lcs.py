"""The longest common subsequence of two strings (LCS), as Redis 7.0 computes and reports it.

Redis fills the whole (len(a)+1) x (len(b)+1) table of prefix LCS lengths, then walks it back
from the end to build the subsequence and its matching ranges; which of several equally long
subsequences it reports depends on that walk's tie-breaking, so this module keeps Redis' walk
exactly. The table itself is kept compactly: a row per byte of the longer string, each the
bit-parallel LCS vector (Allison-Dix / Hyyrö) over the shorter string, from which any table
entry is a popcount. That is len(a) * len(b) / 8 bytes instead of Redis' 4 bytes per entry, and
word-parallel to fill; :data:`MAX_CELLS` and :data:`MAX_TOTAL_LENGTH` bound the work so one
call cannot stall the server's other clients.
"""

from __future__ import annotations

from typing import NamedTuple

#: The largest len(a) * len(b) accepted: 64 MiB of table rows, about 0.15 s to fill and walk.
MAX_CELLS = 2**29
#: The largest len(a) + len(b) accepted: the walk back takes up to that many steps, and each
#: row costs a Python int (about 0.2 s and 60 MiB at this bound).
MAX_TOTAL_LENGTH = 2**20


def within_limits(first: bytes, second: bytes) -> bool:
    """Whether the LCS of these strings is within the bounds (with an empty one it is trivial)."""
    if not first or not second:
        return True
    return len(first) * len(second) <= MAX_CELLS and len(first) + len(second) <= MAX_TOTAL_LENGTH


class Match(NamedTuple):
    """One run of consecutive matching bytes: inclusive ranges in each string."""

    first_start: int
    first_end: int
    second_start: int
    second_end: int

    @property
    def length(self) -> int:
        return self.first_end - self.first_start + 1


class LcsTable:
    """The prefix-LCS lengths of two strings: ``length(i, j)`` is the LCS of ``a[:i]`` and
    ``b[:j]``."""

    def __init__(self, first: bytes, second: bytes) -> None:
        # Rows over the longer string, bit vectors over the shorter one.
        self._swapped = len(first) < len(second)
        rows_over, columns_over = (second, first) if self._swapped else (first, second)
        width = len(columns_over)
        all_ones = (1 << width) - 1
        positions: dict[int, int] = {}
        for index, byte in enumerate(columns_over):
            positions[byte] = positions.get(byte, 0) | (1 << index)
        vector = all_ones
        rows = [vector]
        for byte in rows_over:
            matches = vector & positions.get(byte, 0)
            vector = ((vector + matches) | (vector - matches)) & all_ones
            rows.append(vector)
        self._rows = rows

    def length(self, i: int, j: int) -> int:
        row, column = (j, i) if self._swapped else (i, j)
        # The LCS is the number of zero bits among the row's lowest ``column`` bits.
        return column - (self._rows[row] & ((1 << column) - 1)).bit_count()


class LcsResult(NamedTuple):
    subsequence: bytes
    length: int
    #: The matching runs, last first (Redis' order), of at least the minimum length asked.
    matches: list[Match]


def longest_common_subsequence(first: bytes, second: bytes, min_match_length: int = 0) -> LcsResult:
    """Redis' lcsCommand walk: from the end, take a byte when both strings end with it, else
    drop the last byte of the string whose shorter prefix keeps the longer LCS (``b``'s on a
    tie); a run of matches ends at each drop, or at the start of either string."""
    if not first or not second:
        return LcsResult(b"", 0, [])
    table = LcsTable(first, second)
    total = table.length(len(first), len(second))
    picked = bytearray()
    matches: list[Match] = []
    run: list[int] | None = None  # [first_start, first_end, second_start, second_end]
    i, j = len(first), len(second)
    while i > 0 and j > 0:
        end_run = False
        if first[i - 1] == second[j - 1]:
            picked.append(first[i - 1])
            if run is None:
                run = [i - 1, i - 1, j - 1, j - 1]
            else:
                run[0], run[2] = i - 1, j - 1
            end_run = run[0] == 0 or run[2] == 0
            i -= 1
            j -= 1
        else:
            if table.length(i - 1, j) > table.length(i, j - 1):
                i -= 1
            else:
                j -= 1
            end_run = run is not None
        if end_run and run is not None:
            match = Match(*run)
            if match.length >= min_match_length:
                matches.append(match)
            run = None
    picked.reverse()
    return LcsResult(bytes(picked), total, matches)
