"""BITFIELD OVERFLOW SAT of a SET far below a signed type, as redis-server answers it: Redis'
check computes the type's maximum minus the value in 64 bits, which wraps, and saturates at
the maximum (a value just below the type saturates at its minimum; i64 never wraps)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("bits", [2, 8, 55, 63, 64])
@pytest.mark.parametrize("value", [-9205357638345293825, -(2**63), -(2**62), -5])
@pytest.mark.parametrize("mode", ["SAT", "WRAP", "FAIL"])
def test_set_below_a_signed_type_as_redis(diff, bits, value, mode):
    diff.check("BITFIELD", "k", "OVERFLOW", mode, "SET", f"i{bits}", "0", str(value), "GET", f"i{bits}", "0")
    diff.check("GET", "k")
