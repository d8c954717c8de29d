"""INCRBYFLOAT arithmetic as Redis does it: in x87 80-bit ``long double``.

Redis parses with strtold, adds in long double and prints with ``%.17Lf`` minus trailing zeros.
The 64-bit mantissa shows in the results (10.5 + 0.1 - 5 + 5e3 prints 5005.60000000000000009),
so to give the same replies the values are kept as exact fractions rounded to 64 significant
bits after every step, and printed from the exact value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MANTISSA_BITS = 64
#: The exponent of the smallest normal long double (2^-16382); below it the numbers are
#: denormal, down to 2^-16445, their last bit's weight.
MIN_EXPONENT = -16382
#: The largest finite long double (about 1.19e4932).
_MAX = Fraction((1 << MANTISSA_BITS) - 1) * Fraction(2) ** (16383 - MANTISSA_BITS + 1)


def _round_half_even(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2):
        return floor + 1
    return floor


def to_long_double(value: Fraction) -> Fraction:
    """``value`` rounded to the nearest long double, ignoring overflow (round half to even): a
    64-bit mantissa, or for a denormal as many bits as reach down to 2^-16445 (0 below half
    of that)."""
    if value == 0:
        return Fraction(0)
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    scale = Fraction(2) ** (MANTISSA_BITS - 1 - max(exponent, MIN_EXPONENT))
    return sign * Fraction(_round_half_even(magnitude * scale)) / scale


#: A hexadecimal number as strtold reads it: ``0x``, hex digits with an optional point (one
#: digit at least), an optional binary exponent ``p``.
_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?)([0-9]+))?")
#: Binary and decimal exponents past which a nonzero number surely overflows or rounds to 0.
_BINARY_RANGE = (MIN_EXPONENT - MANTISSA_BITS - 2, 16384 + 1)
_DECIMAL_RANGE = (-4952, 4933)


def _exact(text: str) -> Fraction | float | None:
    """The exact value of a decimal or hexadecimal number; an infinity as a float; None when it
    is not a number strtold reads whole (NaN included) or lies far outside the long doubles
    (rather than computing a huge power of ten or two)."""
    hexadecimal = _HEX.fullmatch(text.encode())
    if hexadecimal is not None:
        sign, whole, fraction, exponent_sign, exponent_digits = hexadecimal.groups()
        fraction = fraction or b""
        if not whole and not fraction:
            return None
        mantissa = int(whole + fraction, 16)
        if not mantissa:
            return Fraction(0)
        digits = (exponent_digits or b"0").lstrip(b"0")
        exponent = (int(digits or b"0") if len(digits) <= 7 else 10**7) * (-1 if exponent_sign == b"-" else 1)
        exponent -= 4 * len(fraction)
        if not _BINARY_RANGE[0] <= exponent + mantissa.bit_length() <= _BINARY_RANGE[1]:
            return None
        return (-1 if sign == b"-" else 1) * mantissa * Fraction(2) ** exponent
    try:
        decimal = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if decimal.is_nan():
        return None
    if decimal.is_infinite():
        return float(decimal)
    if decimal.is_zero():
        return Fraction(0)
    if not _DECIMAL_RANGE[0] <= decimal.adjusted() <= _DECIMAL_RANGE[1]:
        return None
    return Fraction(decimal)


def parse(text: bytes) -> Fraction | float | None:
    """A number as Redis' string2ld reads it (strtold, decimal or hexadecimal, no surrounding
    spaces, no NaN, refused when it overflows or underflows to zero).

    Returns the exact rounded value, ``float('inf')``/``-inf`` for infinities (which Redis
    accepts as input), or None when the text is not a number or out of range (a denormal, as
    ``1e-4940``, is accepted: strtold reports ERANGE but a nonzero value).
    """
    if not text or len(text) >= 5 * 1024 or text != text.strip() or b"_" in text:
        return None
    try:
        exact = _exact(text.decode("ascii"))
    except UnicodeDecodeError:
        return None
    if exact is None or isinstance(exact, float):
        return exact
    value = to_long_double(exact)
    if (value == 0 and exact != 0) or not is_finite(value):
        return None
    return value


def is_finite(value: Fraction) -> bool:
    return abs(value) <= _MAX


def format_human(value: Fraction) -> bytes:
    """``%.17Lf`` of the exact value, trailing zeros (and a bare point) removed."""
    scaled = _round_half_even(abs(value) * 10**17)
    digits = format(Decimal(scaled), "f").rjust(18, "0")  # no int-to-str digit limit (values reach 1e4932)
    text = digits[:-17] + "." + digits[-17:]
    text = text.rstrip("0").rstrip(".")
    if value < 0 and text != "0":
        text = "-" + text
    return text.encode()
