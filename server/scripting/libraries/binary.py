"""Numbers <-> bytes with the C conversions of Redis' x86-64 build, for ``struct``, ``bit`` and
``cmsgpack``'s NaNs.

Lua 5.1 numbers are doubles; the C libraries cast them to fixed-width integers, where out-of-range
and NaN values give what the x86-64 conversion instructions give (the "integer indefinite"
``0x8000000000000000``, or 0 for doubles at and above 2**64 cast to unsigned). These helpers
reproduce those casts so packed bytes are the same as redis-server's. Lua strings arrive and leave
as ``bytes`` (the runtime is binary-safe: see ``install``).
"""

from __future__ import annotations

import ctypes
import struct

_UINT64 = (1 << 64) - 1
_INT64_MIN = -(1 << 63)
_INDEFINITE = 1 << 63


def unsigned_64(number: float) -> int:
    """The low 64 bits of ``(unsigned long long)number`` (``(long long)number`` when negative)."""
    if number != number:
        return _INDEFINITE
    if number < 0:
        return int(number) & _UINT64 if number >= _INT64_MIN else _INDEFINITE
    return int(number) if number < 2.0 ** 64 else 0


def encode_integer(number: float, size: int, little_endian: bool) -> bytes:
    """``size`` bytes of the integer cast of ``number``: bytes past the 8th are zero, as the C
    loop shifting a 64-bit value leaves them."""
    value = unsigned_64(number)
    data = value.to_bytes(8, "little") + bytes(max(size - 8, 0))
    data = data[:size]
    return data if little_endian else data[::-1]


def decode_integer(data: bytes, signed: bool, little_endian: bool) -> float:
    """The number ``data`` holds: only its last 8 significant bytes count (the C code shifts a
    64-bit accumulator), and signed values extend the bit the C mask selects."""
    value = int.from_bytes(data, "little" if little_endian else "big") & _UINT64
    if signed:
        mask = (_UINT64 << ((len(data) * 8 - 1) & 63)) & _UINT64
        if value & mask:
            value |= mask
        if value >= 1 << 63:
            value -= 1 << 64
    return float(value)


def encode_float(number: float, size: int, little_endian: bool) -> bytes:
    """A float (``size`` 4, the C ``(float)`` cast: overflow gives inf) or a double."""
    order = "<" if little_endian else ">"
    if size == 4:
        return struct.pack(order + "f", ctypes.c_float(number).value)
    return struct.pack(order + "d", number)


def decode_float(data: bytes, little_endian: bool) -> float:
    """The float (4 bytes) or double (8 bytes) in ``data``."""
    order = "<" if little_endian else ">"
    return struct.unpack(order + ("f" if len(data) == 4 else "d"), data)[0]


def tobit(number: float) -> int:
    """LuaBitOp's normalisation: add 2**52 + 2**51 and keep the low 32 bits of the double's
    representation, as a signed 32-bit integer (this rounds halves to even and wraps)."""
    bits = struct.unpack("<Q", struct.pack("<d", float(number) + 6755399441055744.0))[0]
    return signed_32(bits)


def signed_32(value: int) -> int:
    """The low 32 bits of ``value`` as a signed 32-bit integer."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value
