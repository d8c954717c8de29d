"""Argument parsing shared by command functions, with Redis' exact error texts."""

from __future__ import annotations

import math
from decimal import Decimal

from pypika_store.errors import CommandError, NotFloatError, NotIntegerError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def parse_int(arg: bytes, error: type[CommandError] = NotIntegerError) -> int:
    """A signed 64-bit integer written as Redis' string2ll accepts it (no '+', no spaces)."""
    if not arg or len(arg) > 20:
        raise error()
    digits = arg[1:] if arg[:1] == b"-" else arg
    if not digits.isdigit() or (digits[:1] == b"0" and len(digits) > 1) or digits == b"-0":
        raise error()
    value = int(arg)
    if value < INT64_MIN or value > INT64_MAX:
        raise error()
    return value


def parse_float(arg: bytes) -> float:
    """A finite or infinite double as Redis' strtold-based parsing accepts it; never NaN."""
    text = arg.decode("ascii", "replace")
    if not text or text != text.strip():
        raise NotFloatError()
    try:
        value = float(text)
    except ValueError:
        raise NotFloatError() from None
    if math.isnan(value) or "_" in text:
        raise NotFloatError()
    return value


def format_float(value: float) -> bytes:
    """A double as Redis prints INCRBYFLOAT results: shortest exact digits, never an exponent.

    Redis formats a long double with ``%.17Lf`` and strips trailing zeros; the extra precision
    makes that print the short decimal a user expects (10.6, not 10.59999999999999964), which
    Python's shortest repr gives directly.
    """
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (text if text != "-0" else "0").encode()
