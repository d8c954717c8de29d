"""Glob-style pattern matching with Redis' rules, in linear-times-pattern time.

Redis' KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET use ``stringmatchlen``: ``*`` any run, ``?``
any byte, ``[abc]``, ``[^abc]``, ``[a-z]`` classes, ``\\`` escapes. A naive recursive matcher
(and Python's fnmatch, or a regular expression with plain ``.*``) backtracks exponentially on
patterns like ``a*a*a*a*...b`` (Redis' CVE-2022-36021).

Every token other than ``*`` consumes exactly one byte, so a pattern is a run of fixed-width
segments separated by stars, and the leftmost place where each middle segment fits is always
the best one (it leaves the most text for what follows). The pattern is therefore compiled to
a regular expression whose middle segments sit in atomic groups ``(?>.*?segment)``: each is
searched once, left to right, and never revisited, so a match costs at most
``len(text) * len(pattern)`` steps, in C.

Quirks of ``stringmatchlen`` kept on purpose, as the real server shows them:

- an empty subject matches only the empty pattern (``*`` and ``**`` do not match ``""``; KEYS
  and SCAN special-case a lone ``*`` before matching, see ``server/commands/keys.py``);
- ``[a-]`` is a range ending at ``]``, an unterminated class runs to the end of the pattern,
  ``[]`` matches nothing and ``[^]`` any byte;
- range ends compare as signed chars, and escaped class members ignore ``nocase``;
- a trailing ``\\`` is a literal backslash;
- no subject matches a pattern with more than :data:`MAX_STAR_NESTING` stars that are followed
  by something (Redis caps its matcher's recursion there against abusive patterns).
"""

from __future__ import annotations

import functools
import re
from typing import Callable

#: Redis gives up (no match) on patterns needing more nested ``*`` than this.
MAX_STAR_NESTING = 1000

_STAR = None  # the token of a run of stars; every other token is the set of bytes it accepts
_EVERY_BYTE = frozenset(range(256))
_SPECIAL = frozenset(b"*?[\\")


def _lower(byte: int) -> int:
    """C's tolower() in the C locale, which is what Redis uses."""
    return byte + 32 if 65 <= byte <= 90 else byte


@functools.lru_cache(maxsize=512)
def _literal(byte: int, nocase: bool) -> frozenset[int]:
    """The bytes a pattern byte outside a class accepts: itself, and with ``nocase`` its other case."""
    lowered = _lower(byte)
    if nocase and 97 <= lowered <= 122:
        return frozenset((lowered, lowered - 32))
    return frozenset((byte,))


def _comparison_value(byte: int, nocase: bool) -> int:
    """What Redis compares with a class range's ends: a signed ``char``, lowered with ``nocase``."""
    signed = byte - 256 if byte > 127 else byte
    return _lower(signed) if nocase else signed


#: For each comparison value (offset by 128), the bytes that compare as it; by ``nocase``.
_BYTES_COMPARING_AS = {
    nocase: [[byte for byte in range(256) if _comparison_value(byte, nocase) == value] for value in range(-128, 128)]
    for nocase in (False, True)
}


@functools.lru_cache(maxsize=1024)
def _accepted(ranges: tuple[tuple[int, int], ...], escaped: frozenset[int], negated: bool,
              nocase: bool) -> frozenset[int]:
    """The bytes a class accepts.

    As in Redis, range ends are put in order as signed chars (``[\\x00-\\xff]`` accepts only
    those two bytes) and then, with ``nocase``, lowered like the subject byte, so ``[A-C]``
    accepts ``b`` and ``B`` (and ``[Z-a]`` nothing). Escaped members (``[\\A]``) match their byte
    exactly, even with ``nocase``. The ranges are merged first, so a class of any length costs
    one sort of it and at most 256 steps.
    """
    bounds = set()
    for first, last in ranges:
        low, high = sorted((_comparison_value(first, False), _comparison_value(last, False)))
        bounds.add((_lower(low), _lower(high)) if nocase else (low, high))
    comparing_as = _BYTES_COMPARING_AS[nocase]
    members = set(escaped)
    reached = -129  # the highest comparison value already taken
    for low, high in sorted(bounds):
        for value in range(max(low, reached + 1), high + 1):
            members.update(comparing_as[value + 128])
        reached = max(reached, high)
    return frozenset(_EVERY_BYTE - members if negated else members)


def _parse_class(pattern: bytes, index: int, nocase: bool) -> tuple[frozenset[int], int]:
    """Parse ``[...]`` starting just after ``[``; returns (accepted bytes, index after it)."""
    end = len(pattern)
    negated = index < end and pattern[index] == 0x5E  # ^
    if negated:
        index += 1
    ranges: list[tuple[int, int]] = []
    escaped: set[int] = set()
    while index < end:
        char = pattern[index]
        if char == 0x5C and end - index >= 2:  # backslash: the next byte, literally
            index += 1
            escaped.add(pattern[index])
        elif char == 0x5D:  # ]
            return _accepted(tuple(ranges), frozenset(escaped), negated, nocase), index + 1
        elif end - index >= 3 and pattern[index + 1] == 0x2D:  # a-z (ends in either order)
            ranges.append((char, pattern[index + 2]))
            index += 2
        else:
            ranges.append((char, char))
        index += 1
    return _accepted(tuple(ranges), frozenset(escaped), negated, nocase), end


def _tokens(pattern: bytes, nocase: bool) -> list[frozenset[int] | None]:
    """The pattern as tokens: ``_STAR`` for a run of stars, else the set of bytes accepted.

    Equal classes share one set, so a long pattern of classes costs memory for its distinct ones.
    """
    tokens: list[frozenset[int] | None] = []
    classes: dict[frozenset[int], frozenset[int]] = {}
    index, end = 0, len(pattern)
    while index < end:
        char = pattern[index]
        index += 1
        if char == 0x2A:  # *
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
        elif char == 0x3F:  # ?
            tokens.append(_EVERY_BYTE)
        elif char == 0x5B:  # [
            accepted, index = _parse_class(pattern, index, nocase)
            tokens.append(classes.setdefault(accepted, accepted))
        else:
            if char == 0x5C and index < end:  # backslash escape (a trailing one is literal)
                char = pattern[index]
                index += 1
            tokens.append(_literal(char, nocase))
    return tokens


def _byte_class(accepted: frozenset[int]) -> bytes:
    """A regular expression matching exactly one byte of ``accepted``."""
    if not accepted:
        return b"(?!)"
    if accepted == _EVERY_BYTE:
        return b"."
    if len(accepted) == 1:
        return re.escape(bytes(accepted))
    parts, members = [], sorted(accepted)
    start = previous = members[0]
    for byte in members[1:] + [-1]:
        if byte != previous + 1:
            parts.append(b"\\x%02x-\\x%02x" % (start, previous))
            start = byte
        previous = byte
    return b"[" + b"".join(parts) + b"]"


def _regex(tokens: list[frozenset[int] | None]) -> bytes:
    """The tokens as a non-backtracking regular expression (see the module docstring)."""
    pieces: list[list[bytes]] = [[]]
    written: dict[frozenset[int], bytes] = {}
    for token in tokens:
        if token is _STAR:
            pieces.append([])
        else:
            if token not in written:
                written[token] = _byte_class(token)
            pieces[-1].append(written[token])
    segments = [b"".join(segment) for segment in pieces]
    if len(segments) == 1:
        return segments[0] + b"\\Z"
    head, *middle, tail = segments
    middle_regex = b"".join(b"(?>.*?" + segment + b")" for segment in middle)
    return head + middle_regex + (b".*" + tail + b"\\Z" if tail else b"")


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate that tells whether a subject matches ``pattern`` (compile once, match many).

    The regular expression is built on the first subject long enough to match (every token
    but ``*`` takes a byte): Python compiles a regex at some microseconds per token, so a huge
    pattern costs that only when a subject of comparable size comes to be matched.
    """
    if not _SPECIAL.intersection(pattern):
        if nocase:
            folded = pattern.lower()  # bytes.lower() folds ASCII only, as tolower() does
            return lambda text: text.lower() == folded
        return lambda text: text == pattern
    tokens = _tokens(pattern, nocase)
    if tokens[:-1].count(_STAR) > MAX_STAR_NESTING:
        return lambda text: False
    shortest = max(len(tokens) - tokens.count(_STAR), 1)  # and an empty subject never matches
    match: Callable | None = None

    def matches(text: bytes) -> bool:
        nonlocal match
        if len(text) < shortest:
            return False
        if match is None:
            match = re.compile(_regex(tokens), re.DOTALL).match
        return match(text) is not None

    return matches


def glob_match(pattern: bytes, text: bytes, nocase: bool = False) -> bool:
    """Whether ``text`` matches the Redis glob ``pattern``."""
    return compile_glob(pattern, nocase)(text)
