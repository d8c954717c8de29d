"""INCRBYFLOAT arithmetic as Redis does it: in x87 80-bit ``long double``.

Redis parses with strtold, adds in long double and prints with ``%.17Lf`` minus trailing zeros.
The 64-bit mantissa shows in the results (10.5 + 0.1 - 5 + 5e3 prints 5005.60000000000000009),
so to give the same replies the values are kept as exact fractions rounded to 64 significant
bits after every step, and printed from the exact value.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

MANTISSA_BITS = 64
#: The largest finite long double (about 1.19e4932).
_MAX = Fraction((1 << MANTISSA_BITS) - 1) * Fraction(2) ** (16383 - MANTISSA_BITS + 1)


def _round_half_even(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2):
        return floor + 1
    return floor


def to_long_double(value: Fraction) -> Fraction:
    """``value`` rounded to the nearest number with a 64-bit mantissa (round half to even)."""
    if value == 0:
        return Fraction(0)
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    scale = Fraction(2) ** (MANTISSA_BITS - 1 - exponent)
    return sign * Fraction(_round_half_even(magnitude * scale)) / scale


def parse(text: bytes) -> Fraction | float | None:
    """A number as Redis' string2ld reads it (strtold, no surrounding spaces, no NaN).

    Returns the exact rounded value, ``float('inf')``/``-inf`` for infinities (which Redis
    accepts as input), or None when the text is not a number or overflows.
    """
    if not text or len(text) >= 5 * 1024 or text != text.strip() or b"_" in text:
        return None
    try:
        decimal = Decimal(text.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError, ValueError):
        return None
    if decimal.is_nan():
        return None
    if decimal.is_infinite():
        return float(decimal)
    value = to_long_double(Fraction(decimal))
    return value if is_finite(value) else None


def is_finite(value: Fraction) -> bool:
    return abs(value) <= _MAX


def format_human(value: Fraction) -> bytes:
    """``%.17Lf`` of the exact value, trailing zeros (and a bare point) removed."""
    scaled = _round_half_even(abs(value) * 10**17)
    digits = str(scaled).rjust(18, "0")
    text = digits[:-17] + "." + digits[-17:]
    text = text.rstrip("0").rstrip(".")
    if value < 0 and text != "0":
        text = "-" + text
    return text.encode()
