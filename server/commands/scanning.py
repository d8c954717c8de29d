"""SCAN, HSCAN, SSCAN, ZSCAN: cursor and option parsing shared by the four, with Redis' errors."""

from __future__ import annotations

from typing import Callable

from pypika_store.errors import CommandError, SyntaxErrorReply
from pypika_store.glob import compile_glob

from .args import c_string, parse_int


def parse_cursor(arg: bytes) -> int:
    """A cursor read as Redis reads it: strtoul on a C string (an optional sign, a negative
    wraps around, the empty string is 0), refusing a leading space and anything after the
    digits."""
    text = c_string(arg)
    if not text:
        return 0
    sign = text[:1] if text[:1] in (b"-", b"+") else b""
    digits = text[len(sign):]
    if not digits.isdigit() or int(digits) > 2**64 - 1:
        raise CommandError("ERR invalid cursor")
    return -int(digits) % 2**64 if sign == b"-" else int(digits)


def key_matcher(pattern: bytes | None) -> Callable[[bytes], bool] | None:
    """The predicate for KEYS/SCAN MATCH; None when everything matches.

    Like Redis, a lone ``*`` skips matching altogether, which is also what lets it list the
    empty key (the glob matcher itself, as ``stringmatchlen``, never matches an empty subject).
    """
    if pattern is None or pattern == b"*":
        return None
    return compile_glob(pattern)


class ScanOptions:
    """COUNT, MATCH and (for SCAN) TYPE of a scan call, starting at ``argv[first]``."""

    def __init__(self, argv: list[bytes], first: int, allow_type: bool) -> None:
        self.count = 10
        self.pattern: bytes | None = None
        self.type_name: str | None = None
        index = first
        while index < len(argv):
            option = c_string(argv[index]).upper()
            if index + 1 >= len(argv):
                raise SyntaxErrorReply()
            value = argv[index + 1]
            if option == b"COUNT":
                self.count = parse_int(value)
                if self.count < 1:
                    raise SyntaxErrorReply()
            elif option == b"MATCH":
                self.pattern = value
            elif option == b"TYPE" and allow_type:
                self.type_name = c_string(value).lower().decode("latin-1")  # strcasecmp: ASCII only
            else:
                raise SyntaxErrorReply()
            index += 2
        self.matches = key_matcher(self.pattern)

    def match(self, name: bytes) -> bool:
        return self.matches is None or self.matches(name)
