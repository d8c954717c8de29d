"""Glob-style pattern matching with Redis' rules, in linear-times-pattern time.

Redis' KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET use ``stringmatchlen``: ``*`` any run, ``?``
any byte, ``[abc]``, ``[^abc]``, ``[a-z]`` classes, ``\\`` escapes. A naive recursive matcher
(and Python's fnmatch/re) backtracks exponentially on patterns like ``a*a*a*a*...b`` (Redis'
CVE-2022-36021). Here every token other than ``*`` consumes exactly one byte, so on a mismatch
it is enough to retry from the most recent star, one byte further: at most
``len(text) * len(pattern)`` steps, whatever the pattern.
"""

from __future__ import annotations

from typing import Callable

_STAR = "*"
_ANY = "?"


def _lower(byte: int) -> int:
    return byte + 32 if 65 <= byte <= 90 else byte


def _parse_class(pattern: bytes, index: int, nocase: bool) -> tuple[tuple[bool, frozenset[int]], int]:
    """Parse ``[...]`` starting after ``[``; returns ((negated, bytes), index after the class).

    Follows stringmatchlen exactly, quirks included: ``a-]`` is a range ending at ``]``, and an
    unterminated class runs to the end of the pattern.
    """
    end = len(pattern)
    negated = index < end and pattern[index] == 0x5E  # ^
    if negated:
        index += 1
    members: set[int] = set()
    while index < end:
        char = pattern[index]
        if char == 0x5C and end - index >= 2:  # backslash escape
            index += 1
            members.add(pattern[index])
        elif char == 0x5D:  # ]
            return (negated, frozenset(members)), index + 1
        elif end - index >= 3 and pattern[index + 1] == 0x2D:  # a-z
            low, high = pattern[index], pattern[index + 2]
            if low > high:
                low, high = high, low
            if nocase:
                low, high = _lower(low), _lower(high)
            members.update(range(low, high + 1))
            index += 2
        else:
            members.add(char)
        index += 1
    return (negated, frozenset(members)), end


def _tokens(pattern: bytes, nocase: bool) -> list:
    """The pattern as a list of tokens: "*", "?", a byte value, or a (negated, bytes) class."""
    tokens: list = []
    index, end = 0, len(pattern)
    while index < end:
        char = pattern[index]
        if char == 0x2A:  # *
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
            index += 1
        elif char == 0x3F:  # ?
            tokens.append(_ANY)
            index += 1
        elif char == 0x5B:  # [
            token, index = _parse_class(pattern, index + 1, nocase)
            tokens.append(token)
        else:
            if char == 0x5C and end - index >= 2:
                index += 1
                char = pattern[index]
            tokens.append(_lower(char) if nocase else char)
            index += 1
    return tokens


def _token_matches(token, byte: int) -> bool:
    if token is _ANY:
        return True
    if type(token) is int:
        return token == byte
    negated, members = token
    return (byte in members) != negated


def compile_glob(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A predicate that tells whether a subject matches ``pattern`` (compile once, match many)."""
    if pattern == b"*":
        return lambda text: True
    if not any(char in b"*?[\\" for char in pattern):
        if nocase:
            folded = pattern.lower()
            return lambda text: text.lower() == folded
        return lambda text: text == pattern
    tokens = _tokens(pattern, nocase)

    def matches(text: bytes) -> bool:
        if nocase:
            text = text.lower()
        token_index = text_index = 0
        star_token = -1          # token index just after the last star seen
        star_text = 0            # where in the text that star's run currently ends
        count, length = len(tokens), len(text)
        while text_index < length:
            if token_index < count:
                token = tokens[token_index]
                if token is _STAR:
                    token_index += 1
                    star_token, star_text = token_index, text_index
                    continue
                if _token_matches(token, text[text_index]):
                    token_index += 1
                    text_index += 1
                    continue
            if star_token < 0:
                return False
            star_text += 1       # let the last star swallow one more byte and retry
            token_index, text_index = star_token, star_text
        while token_index < count and tokens[token_index] is _STAR:
            token_index += 1
        return token_index == count

    return matches


def glob_match(pattern: bytes, text: bytes, nocase: bool = False) -> bool:
    """Whether ``text`` matches the Redis glob ``pattern``."""
    return compile_glob(pattern, nocase)(text)
