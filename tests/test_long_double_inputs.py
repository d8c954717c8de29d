"""Numbers as Redis' string2ld (strtold) reads them, for INCRBYFLOAT, HINCRBYFLOAT and blocking
timeouts: hexadecimal numbers and floats, infinities, NaN, spaces, signs, and the edges of the
long double range (overflow and underflow to zero refused, denormals accepted)."""

from __future__ import annotations

import pytest

from pypika_store import long_double

TRICKY = [
    "0x10", "0X1p3", "0x1P-2", "0x.8", "0x1.", "0x1e", "0x1p+3", "0x1p00000000003", "-0x10", "+0x1.8p1",
    "0x", "0X", "0x1p", "0xg", "0x.p1", "0x1p-3x", "0x1p999999999999", "0x0p99999999999",
    "1e-5000", "1e5000", "1e99999999999", "0e-5000", "1e-4940", "3.6e-4951", "1e-4951",
    "0x1p-16445", "0x1p-16446", "0x1p16383", "0x1p16384", "0x1.fffffffffffffffffp16383",
    "1.18973149535723176502e+4932", "1.18973149535723176509e+4932", "1e+4933", "0x1.00000000000000018p0",
    "inf", "-inf", "+inf", "infinity", "INF", "nan", "-nan", " 1", "1 ", "\t1", "+", "-", "+1", ".5", "5.", "1e",
    "1e1e", "1_0", "1\x00x", "\x00", "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_incrbyfloat_reads_numbers_as_redis(diff, text):
    diff.check("INCRBYFLOAT", "k", text)
    diff.check("HINCRBYFLOAT", "h", "f", text)
    diff.check("DEL", "k", "h")
    diff.check("SET", "k", text)
    diff.check("INCRBYFLOAT", "k", "1")


#: Timeouts that either fail or expire within milliseconds (a valid long one would block).
SHORT_OR_INVALID = [text for text in TRICKY if long_double.parse(text.encode()) is None
                    or isinstance(long_double.parse(text.encode()), float)] + [
    "1e-4940", "3.6e-4951", "0x1p-16445", "0x.01", "0x1p-8", "-0x10"]


@pytest.mark.parametrize("text", SHORT_OR_INVALID)
def test_blocking_timeouts_read_numbers_as_redis(diff, text):
    diff.check("BLPOP", "nolist", text)
