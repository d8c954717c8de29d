"""Reading a command's arguments: one cursor over ``argv`` and the number formats Redis accepts.

Every command parses its options through :class:`Arguments` (in the spirit of Kvrocks'
``CommandParser``): take the next argument as an int, a float, a keyword or a flag, each failing
with Redis' own error text (from :mod:`pypika_store.errors`). A command never writes its own
option loop over indexes::

    args = Arguments(argv, 3)
    while args:
        match args.keyword():
            case b"COUNT":
                count = args.take_int()
            case b"MATCH":
                pattern = args.take()
            case _:
                raise SyntaxErrorReply()
"""

from __future__ import annotations

import math
import time
from typing import Callable

from pypika_store import long_double
from pypika_store.errors import (
    CommandError,
    NotFloatError,
    NotIntegerError,
    NotPositiveError,
    SyntaxErrorReply,
    InvalidCursorError,
    TimeoutNegativeError,
    TimeoutNotFloatError,
    out_of_range,
)
from pypika_store.glob import compile_glob

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
LONG_MAX = INT64_MAX


# -- number formats ------------------------------------------------------------------------------


def parse_int(arg: bytes, error: type[CommandError] = NotIntegerError) -> int:
    """A signed 64-bit integer written as Redis' string2ll accepts it (no '+', no spaces)."""
    if arg.isdigit() and len(arg) < 19 and (arg[0] != 0x30 or len(arg) == 1):  # the common case: in range
        return int(arg)
    if not arg or len(arg) > 20:
        raise error()
    digits = arg[1:] if arg[:1] == b"-" else arg
    if not digits.isdigit() or (digits[:1] == b"0" and len(digits) > 1) or arg == b"-0":
        raise error()
    value = int(arg)
    if value < INT64_MIN or value > INT64_MAX:
        raise error()
    return value


def parse_c_int(arg: bytes) -> int:
    """A C ``int`` as Redis' getIntFromObjectOrReply reads it (DB indexes): a 64-bit integer
    first, then the int range, each with its own error text."""
    value = parse_int(arg)
    if not INT32_MIN <= value <= INT32_MAX:
        raise out_of_range(INT32_MIN, INT32_MAX)
    return value


def c_string(arg: bytes) -> bytes:
    """An argument as C string functions see it (strcasecmp on options, strtoul, ``%s`` in an
    error): up to its first NUL byte, so ``NX\\0junk`` is the option NX, as in Redis."""
    nul = arg.find(0)
    return arg if nul < 0 else arg[:nul]


_INFINITIES = {b"inf": float("inf"), b"+inf": float("inf"), b"-inf": float("-inf"),
               b"infinity": float("inf"), b"+infinity": float("inf"), b"-infinity": float("-inf")}


def parse_double(arg: bytes, error: type[CommandError] = NotFloatError) -> float:
    """A double as Redis' getDoubleFromObject reads it (strtod over the whole argument, no
    leading space, no NaN, no overflow to infinity or underflow to zero)."""
    if arg.isdigit() and len(arg) < 16:  # the common case (ZADD's scores): exact, in range
        return float(arg)
    if not arg or arg[:1].isspace() or len(arg) > 256:
        raise error()
    lowered = arg.lower()
    if lowered in _INFINITIES:
        return _INFINITIES[lowered]
    text = lowered.decode("latin-1")
    try:
        if text.lstrip("+-").startswith("0x"):
            value = float.fromhex(text)
        elif "_" in text or text != text.strip() or "n" in text:  # Python's extensions, nan/inf
            raise ValueError(text)
        else:
            value = float(text)
    except ValueError:
        raise error() from None
    if value in (float("inf"), float("-inf")):
        raise error()  # overflow (strtod's ERANGE)
    if value == 0 and any(digit in "123456789" for digit in text.split("e")[0]):
        raise error()  # underflow to zero (strtod's ERANGE)
    return value


def parse_count(arg: bytes) -> int:
    """The count of LPOP/SPOP/ZPOPMIN...: a 64-bit integer, not negative ("must be positive"
    is Redis' text for both a bad number and a negative one)."""
    count = parse_int(arg, NotPositiveError)
    if count < 0:
        raise NotPositiveError()
    return count


def parse_timeout(arg: bytes) -> float:
    """A blocking command's timeout in seconds (0: forever), as Redis 7.0's
    getTimeoutFromObjectOrReply reads it: a long double of seconds, times 1000 in long double,
    rounded up to whole milliseconds (so any positive fraction waits at least 1 ms, and a
    negative one above -1 ms is 0: forever) and converted to a long long unchecked.

    On x86 that conversion makes anything out of range, infinities included, LLONG_MIN: "timeout
    is negative". A deadline past the long long clock (now plus the timeout, in milliseconds)
    wraps around in Redis and never comes: forever too.
    """
    value = long_double.parse(arg)
    if value is None:
        raise TimeoutNotFloatError()
    if isinstance(value, float):  # an infinity
        raise TimeoutNegativeError()
    millis = math.ceil(long_double.to_long_double(value * 1000))
    if millis < 0 or millis > INT64_MAX:
        raise TimeoutNegativeError()
    if millis + int(time.time() * 1000) > INT64_MAX:
        return 0.0
    return millis / 1000


def random_count(arg: bytes, with_values: bool = False) -> int:
    """The count of SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: within ±LONG_MAX, and a negative
    count with values must not overflow when doubled (Redis' checks and texts)."""
    count = parse_int(arg)
    if count < -LONG_MAX:
        raise out_of_range(-LONG_MAX, LONG_MAX)
    if with_values and count < -(LONG_MAX // 2):
        raise out_of_range()
    return count


def parse_cursor(arg: bytes) -> int:
    """A SCAN cursor read as Redis reads it: strtoul on a C string (an optional sign, a negative
    wraps around, the empty string is 0), refusing a leading space and anything after the
    digits."""
    text = c_string(arg)
    if not text:
        return 0
    sign = text[:1] if text[:1] in (b"-", b"+") else b""
    digits = text[len(sign):]
    if not digits.isdigit() or int(digits) > 2**64 - 1:
        raise InvalidCursorError()
    return -int(digits) % 2**64 if sign == b"-" else int(digits)


def key_matcher(pattern: bytes | None) -> Callable[[bytes], bool] | None:
    """The predicate for KEYS/SCAN MATCH; None when everything matches.

    Like Redis, a lone ``*`` skips matching altogether, which is also what lets it list the
    empty key (the glob matcher itself, as ``stringmatchlen``, never matches an empty subject).
    """
    if pattern is None or pattern == b"*":
        return None
    return compile_glob(pattern)


# -- the cursor ----------------------------------------------------------------------------------


class Arguments:
    """A cursor over ``argv[start:]``: each ``take_*`` consumes one argument (or fails with
    Redis' error), :meth:`keyword` and :meth:`flag` read options case-insensitively.

    Options are compared as C's strcasecmp sees them (up to a NUL byte), as Redis does.
    """

    __slots__ = ("argv", "index")

    def __init__(self, argv: list[bytes], start: int = 1) -> None:
        self.argv = argv
        self.index = start

    def __bool__(self) -> bool:
        return self.index < len(self.argv)

    def remaining(self) -> int:
        """How many arguments are left."""
        return len(self.argv) - self.index

    def peek(self) -> bytes | None:
        """The next argument, not consumed; None at the end."""
        return self.argv[self.index] if self.index < len(self.argv) else None

    def take(self) -> bytes:
        """The next argument; ``ERR syntax error`` when there is none (an option missing its
        value)."""
        if self.index >= len(self.argv):
            raise SyntaxErrorReply()
        arg = self.argv[self.index]
        self.index += 1
        return arg

    def take_int(self, error: type[CommandError] = NotIntegerError) -> int:
        return parse_int(self.take(), error)

    def take_double(self, error: type[CommandError] = NotFloatError) -> float:
        return parse_double(self.take(), error)

    def take_count(self) -> int:
        return parse_count(self.take())

    def keyword(self) -> bytes:
        """The next argument as an upper-case option name (consumed)."""
        return c_string(self.take()).upper()

    def flag(self, name: bytes) -> bool:
        """Consume the next argument if it is the option ``name`` (upper case); whether it was."""
        arg = self.peek()
        if arg is not None and c_string(arg).upper() == name:
            self.index += 1
            return True
        return False

    def one_of(self, *names: bytes) -> bytes | None:
        """Consume the next argument if it is one of the options ``names``; which one."""
        arg = self.peek()
        if arg is None:
            return None
        upper = c_string(arg).upper()
        if upper in names:
            self.index += 1
            return upper
        return None

    def rest(self) -> list[bytes]:
        """Every argument left (consumed)."""
        rest = self.argv[self.index:]
        self.index = len(self.argv)
        return rest

    def expect_end(self) -> None:
        """``ERR syntax error`` when arguments are left over."""
        if self.index < len(self.argv):
            raise SyntaxErrorReply()


class ScanOptions:
    """COUNT, MATCH and (for SCAN) TYPE of a scan call, starting at ``argv[first]``."""

    def __init__(self, argv: list[bytes], first: int, allow_type: bool) -> None:
        self.count = 10
        self.pattern: bytes | None = None
        self.type_name: str | None = None
        args = Arguments(argv, first)
        while args:
            option = args.keyword()
            if args.peek() is None:
                raise SyntaxErrorReply()
            if option == b"COUNT":
                self.count = args.take_int()
                if self.count < 1:
                    raise SyntaxErrorReply()
            elif option == b"MATCH":
                self.pattern = args.take()
            elif option == b"TYPE" and allow_type:
                self.type_name = c_string(args.take()).lower().decode("latin-1")  # strcasecmp: ASCII only
            else:
                raise SyntaxErrorReply()
        self.matches = key_matcher(self.pattern)

    def match(self, name: bytes) -> bool:
        return self.matches is None or self.matches(name)
