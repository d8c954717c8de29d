"""SORT and SORT_RO over a list, set or sorted set, as Redis 7.0's sortCommandGeneric does it.

The elements are sorted as numbers (each read as C's strtod reads it) or, with ALPHA, as
strings; BY sorts them by other keys' values instead (``*`` in the pattern is replaced by the
element, ``->field`` reads a hash field), BY without ``*`` does not sort at all; LIMIT takes a
window; GET replaces each element by values looked up the same way (``#``: the element). This
module returns the resulting values; the command replies with them or stores them as a list.

Order of ties: Redis sorts with the C library's qsort (glibc's is a merge sort: stable), but
with BY and a LIMIT that does not take every element with its own partial quicksort
(pqsort.c, Bentley and McIlroy's, sorting only the part the window needs), which is not
stable: elements whose BY values tie under ALPHA (equal values, or both missing) come out in
the order that algorithm leaves them. :func:`partial_quicksort` is the same algorithm step for
step, so ties come out as Redis gives them. Numeric sorts break ties by comparing the elements
(binary), and ALPHA without BY compares the elements: only identical elements tie there.

Collation: Redis compares ALPHA strings with strcoll() when it does not STORE (binary
comparison when it does). Under the C (or C.UTF-8) locale strcoll is strcmp: byte order of the
strings up to their first NUL byte, which is what this module does in both locales' stead.
"""

from __future__ import annotations

import re
import sys
from typing import Callable, Iterable, NamedTuple

from .errors import SortScoreError, WrongTypeError
from .keyspace import Keyspace

_SORTABLE_TYPES = ("list", "set", "zset")
_DECIMAL = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HEXADECIMAL = re.compile(rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?")
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)
_C_SPACES = b" \t\n\v\f\r"


class SortOptions(NamedTuple):
    by: bytes | None = None
    #: ``(offset, count)`` as given (a negative offset is 0, a negative count: all).
    limit: tuple[int, int] | None = None
    gets: tuple[bytes, ...] = ()
    descending: bool = False
    alpha: bool = False
    storing: bool = False


def _c_string(value: bytes) -> bytes:
    """``value`` as a C string function sees it: up to its first NUL byte."""
    nul = value.find(0)
    return value if nul < 0 else value[:nul]


def strtod_score(value: bytes) -> float | None:
    """``value`` as Redis' SORT reads a score: C's strtod over the whole C string (leading
    spaces skipped, hex and infinities accepted, the empty string is 0); None when strtod
    would stop early, overflow, underflow (subnormals included) or read a NaN."""
    text = _c_string(value)
    if not text:
        return 0.0
    text = text.lstrip(_C_SPACES)
    if _INFINITY.fullmatch(text):
        return float("-inf") if text[:1] == b"-" else float("inf")
    if _DECIMAL.fullmatch(text):
        score = float(text)
    elif _HEXADECIMAL.fullmatch(text):
        sign = -1.0 if text[:1] == b"-" else 1.0
        try:
            score = sign * float.fromhex(text.lstrip(b"+-").decode())
        except OverflowError:
            return None
    else:
        return None
    if score in (float("inf"), float("-inf")) or (abs(score) < sys.float_info.min and score != 0):
        return None
    if score == 0 and any(digit in b"123456789abcdefABCDEF" for digit in _mantissa(text)):
        return None  # underflowed to zero
    return score


def _mantissa(text: bytes) -> bytes:
    lowered = text.lower()
    if b"x" in lowered:
        return lowered.split(b"x", 1)[1].split(b"p", 1)[0]
    return lowered.split(b"e", 1)[0]


def lookup(keyspace: Keyspace, pattern: bytes, element: bytes) -> bytes | None:
    """Redis' lookupKeyByPattern: ``#`` is the element itself; otherwise the first ``*`` is
    replaced by the element to name a string key, or with ``->field`` a hash field. None when
    there is no ``*``, no such key, or a key of another type."""
    if _c_string(pattern) == b"#":
        return element
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = pattern[arrow + 2 :] if arrow >= 0 and arrow + 2 < len(pattern) else None
    key = pattern[:star] + element + pattern[star + 1 : arrow if field is not None else len(pattern)]
    record = keyspace.get_record(key)
    if record is None:
        return None
    if field is None:
        return record.body if record.type_name == "string" else None
    if record.type_name != "hash":
        return None
    hashes = keyspace.hashes
    return hashes.read_member(hashes.opened(key, record), field)


def _elements(keyspace: Keyspace, key: bytes) -> tuple[str, list[bytes]]:
    """The type of ``key`` and its elements in their own order (a zset's: by score)."""
    record = keyspace.get_record(key)
    if record is None:
        return "list", []
    kind = record.type_name
    if kind not in _SORTABLE_TYPES:
        raise WrongTypeError()
    collection = keyspace.stores[record.tag].opened(key, record)  # one lookup, as Redis counts
    if kind == "set":
        return kind, [member for member, _ in keyspace.sets.iter_members(collection)]
    if kind == "list":
        return kind, list(keyspace.lists.iter_elements(collection))
    return kind, [member for member, _ in keyspace.zsets.iter_scores(collection)]


def _window(length: int, limit: tuple[int, int] | None) -> tuple[int, int]:
    """The first and last positions LIMIT selects, clamped as Redis clamps them (an empty
    window is ``(length - 1, length - 2)``)."""
    if limit is None:
        return 0, length - 1
    offset, count = limit
    start = min(max(offset, 0), length)
    count = min(max(count, -1), length)
    end = length - 1 if count < 0 else start + count - 1
    if start >= length:
        return length - 1, length - 2
    return start, min(end, length - 1)


#: A three-way comparison of two positions of the sorted vector (negative, 0, positive).
Compare = Callable[[int, int], int]


def partial_quicksort(vector: list, compare: Compare, first: int, last: int) -> None:
    """Order ``vector`` in place so that positions ``first`` to ``last`` hold what a sort
    would put there, as Redis' pqsort does it step for step (its order of ties is this
    algorithm's, not a stable sort's): ``compare(a, b)`` compares two items."""
    _partial_quicksort(vector, 0, len(vector), compare, first, last)


def _median_of_three(vector: list, a: int, b: int, c: int, compare: Compare) -> int:
    if compare(vector[a], vector[b]) < 0:
        return b if compare(vector[b], vector[c]) < 0 else (c if compare(vector[a], vector[c]) < 0 else a)
    return b if compare(vector[b], vector[c]) > 0 else (a if compare(vector[a], vector[c]) < 0 else c)


def _swap_runs(vector: list, a: int, b: int, count: int) -> None:
    """Exchange ``vector[a:a+count]`` and ``vector[b:b+count]`` item by item (pqsort's vecswap)."""
    for offset in range(count):
        vector[a + offset], vector[b + offset] = vector[b + offset], vector[a + offset]


def _partial_quicksort(vector: list, low: int, size: int, compare: Compare, first: int, last: int) -> None:
    """Sort ``vector[low:low+size]`` as far as the window ``first..last`` needs: Bentley and
    McIlroy's three-way partition (the pivot's equals gathered at both ends, then swapped to
    the middle); a part is sorted only when the window reaches into it."""
    while True:
        if size < 7:  # insertion sort
            for position in range(low + 1, low + size):
                while position > low and compare(vector[position - 1], vector[position]) > 0:
                    vector[position], vector[position - 1] = vector[position - 1], vector[position]
                    position -= 1
            return
        middle = low + size // 2
        if size > 7:
            left, right = low, low + size - 1
            if size > 40:  # Tukey's ninther
                step = size // 8
                left = _median_of_three(vector, left, left + step, left + 2 * step, compare)
                middle = _median_of_three(vector, middle - step, middle, middle + step, compare)
                right = _median_of_three(vector, right - 2 * step, right - step, right, compare)
            middle = _median_of_three(vector, left, middle, right, compare)
        vector[low], vector[middle] = vector[middle], vector[low]
        equal_low = below = low + 1
        above = equal_high = low + size - 1
        while True:
            while below <= above and (order := compare(vector[below], vector[low])) <= 0:
                if order == 0:
                    vector[equal_low], vector[below] = vector[below], vector[equal_low]
                    equal_low += 1
                below += 1
            while below <= above and (order := compare(vector[above], vector[low])) >= 0:
                if order == 0:
                    vector[above], vector[equal_high] = vector[equal_high], vector[above]
                    equal_high -= 1
                above -= 1
            if below > above:
                break
            vector[below], vector[above] = vector[above], vector[below]
            below += 1
            above -= 1
        end = low + size
        count = min(equal_low - low, below - equal_low)
        _swap_runs(vector, low, below - count, count)
        count = min(equal_high - above, end - equal_high - 1)
        _swap_runs(vector, below, end - count, count)
        smaller = below - equal_low
        if smaller > 1 and _reaches(low, smaller, first, last):
            _partial_quicksort(vector, low, smaller, compare, first, last)
        larger = equal_high - above
        if larger <= 1:
            return
        low, size = end - larger, larger  # the second part: iterate rather than recurse
        if not _reaches(low, size, first, last):
            return


def _reaches(low: int, size: int, first: int, last: int) -> bool:
    """Whether the window ``first..last`` is not wholly before or wholly after the part."""
    return not ((first < low and last < low) or (first >= low + size and last >= low + size))


def _sorted(keyspace: Keyspace, elements: list[bytes], options: SortOptions,
            window: tuple[int, int]) -> list[bytes]:
    """``elements`` ordered as sortCompare orders them: Python's sort is stable, like the merge
    sort glibc's qsort uses; with BY and a window that leaves elements out, Redis' partial
    quicksort instead, for its order of ties."""
    by = options.by
    if options.alpha:
        if by is None:
            keys: list[object] = [element if options.storing else _c_string(element) for element in elements]
        else:
            values = [lookup(keyspace, by, element) for element in elements]
            keys = [(0, b"") if value is None else (1, value if options.storing else _c_string(value))
                    for value in values]
    else:
        keys = []
        for element in elements:
            value = element if by is None else lookup(keyspace, by, element)
            score = 0.0 if value is None else strtod_score(value)
            if score is None:
                raise SortScoreError()
            keys.append((score, element))  # equal scores: compared as binary strings
    if by is not None and window != (0, len(elements) - 1):
        sign = -1 if options.descending else 1

        def compare(left: int, right: int) -> int:
            first_key, second_key = keys[left], keys[right]
            return sign * ((first_key > second_key) - (first_key < second_key))  # type: ignore[operator]

        order = list(range(len(elements)))
        partial_quicksort(order, compare, *window)
    else:
        order = sorted(range(len(elements)), key=keys.__getitem__, reverse=options.descending)
    return [elements[index] for index in order]


def sort(keyspace: Keyspace, key: bytes, options: SortOptions) -> list[bytes | None]:
    """SORT's result: the selected elements, or for each of them the values its GET patterns
    name (None where nothing is found)."""
    kind, elements = _elements(keyspace, key)
    sorting = options.by is None or b"*" in options.by
    if not sorting and kind == "set" and options.storing:
        # A stored result must not depend on the set's internal order: Redis sorts it ALPHA.
        options, sorting = options._replace(by=None, alpha=True), True
    first, last = window = _window(len(elements), options.limit)
    if sorting:
        elements = _sorted(keyspace, elements, options, window)
    elif options.descending and kind != "set":
        elements.reverse()  # a list or zset left unsorted is read from its end
    selected = elements[first:last + 1] if last >= first else []
    if options.gets:
        return [lookup(keyspace, pattern, element) for element in selected for pattern in options.gets]
    return [*selected]


def stored_values(values: Iterable[bytes | None]) -> list[bytes]:
    """SORT ... STORE's list: a GET that found nothing stores the empty string."""
    return [b"" if value is None else value for value in values]
