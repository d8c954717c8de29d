"""Argument parsing shared by command functions, with Redis' exact error texts."""

from __future__ import annotations

from pypika_store.errors import CommandError, NotFloatError, NotIntegerError, NotPositiveError

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


INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def parse_c_int(arg: bytes) -> int:
    """A C ``int`` as Redis' getIntFromObjectOrReply reads it (DB indexes): a 64-bit integer
    first, then the int range, each with its own error text."""
    value = parse_int(arg)
    if not INT32_MIN <= value <= INT32_MAX:
        raise CommandError(f"ERR value is out of range, value must between {INT32_MIN} and {INT32_MAX}")
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
