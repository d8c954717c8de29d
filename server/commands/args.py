"""Argument parsing shared by command functions, with Redis' exact error texts."""

from __future__ import annotations

from pypika_store.errors import CommandError, NotIntegerError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def parse_int(arg: bytes, error: type[CommandError] = NotIntegerError) -> int:
    """A signed 64-bit integer written as Redis' string2ll accepts it (no '+', no spaces)."""
    if not arg or len(arg) > 20:
        raise error()
    digits = arg[1:] if arg[:1] == b"-" else arg
    if not digits.isdigit() or (digits[:1] == b"0" and len(digits) > 1) or arg == b"-0":
        raise error()
    value = int(arg)
    if value < INT64_MIN or value > INT64_MAX:
        raise error()
    return value
