"""``bit``: LuaBitOp's 32-bit operations on Lua 5.1's doubles.

Every argument is normalised as LuaBitOp does (:func:`binary.tobit`: round half to even, keep the
low 32 bits) and every result is a signed 32-bit number. Arguments are checked in LuaBitOp's order
(the first, then the last down to the second) with its "number expected" errors; strings that Lua
converts to numbers are accepted. The arithmetic runs in Python, the checks in Lua.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from .binary import signed_32, tobit

LUA_SOURCE = r"""
local support, tobit, band, bor, bxor, bnot, shift, rotate, bswap, tohex = ...
local select, tonumber, type, unpack = select, tonumber, type, unpack
local typeerror = support.typeerror

-- An argument as a number, or LuaBitOp's error for it.
local function bitarg(count, index, value)
  if type(value) == "number" then return value end
  local number = type(value) == "string" and tonumber(value)
  if not number then typeerror(count, index, value, "number") end
  return number
end

local function unary(operation)
  return function(...)
    return operation(bitarg(select("#", ...), 1, (...)))
  end
end

-- band/bor/bxor take any number of arguments, checked first, then last to second.
local function fold(operation)
  return function(...)
    local count = select("#", ...)
    local first = bitarg(count, 1, (...))
    if count == 2 then return operation(first, bitarg(count, 2, select(2, ...))) end
    local numbers = {...}
    for index = count, 2, -1 do numbers[index] = bitarg(count, index, numbers[index]) end
    numbers[1] = first
    return operation(unpack(numbers, 1, count))
  end
end

local function binary(operation, kind)
  return function(...)
    local count = select("#", ...)
    local value, amount = ...
    value = bitarg(count, 1, value)
    return operation(kind, value, bitarg(count, 2, amount))
  end
end

local bit = {}
support.export(bit, "tobit", unary(tobit))
support.export(bit, "bnot", unary(bnot))
support.export(bit, "bswap", unary(bswap))
support.export(bit, "band", fold(band))
support.export(bit, "bor", fold(bor))
support.export(bit, "bxor", fold(bxor))
support.export(bit, "lshift", binary(shift, "lshift"))
support.export(bit, "rshift", binary(shift, "rshift"))
support.export(bit, "arshift", binary(shift, "arshift"))
support.export(bit, "rol", binary(rotate, "rol"))
support.export(bit, "ror", binary(rotate, "ror"))
support.export(bit, "tohex", function(...)
  local count = select("#", ...)
  local value, digits = ...
  value = bitarg(count, 1, value)
  if count < 2 then return tohex(value, 8) end
  return tohex(value, bitarg(count, 2, digits))
end)
return bit
"""


def _band(*numbers: float) -> int:
    return signed_32(reduce(lambda acc, number: acc & tobit(number), numbers, -1))


def _bor(*numbers: float) -> int:
    return signed_32(reduce(lambda acc, number: acc | tobit(number), numbers, 0))


def _bxor(*numbers: float) -> int:
    return signed_32(reduce(lambda acc, number: acc ^ tobit(number), numbers, 0))


def _bnot(number: float) -> int:
    return signed_32(~tobit(number))


def _shift(kind: bytes, number: float, amount: float) -> int:
    value, count = tobit(number), tobit(amount) & 31
    if kind == b"lshift":
        return signed_32(value << count)
    if kind == b"rshift":
        return signed_32((value & 0xFFFFFFFF) >> count)
    return signed_32(value >> count)


def _rotate(kind: bytes, number: float, amount: float) -> int:
    value, count = tobit(number) & 0xFFFFFFFF, tobit(amount) & 31
    if kind == b"ror":
        count = (32 - count) & 31
    return signed_32((value << count) | (value >> (32 - count)))


def _bswap(number: float) -> int:
    return signed_32(int.from_bytes((tobit(number) & 0xFFFFFFFF).to_bytes(4, "little"), "big"))


def _tohex(number: float, digits: float) -> bytes:
    """LuaBitOp's tohex: a negative count means upper case; at most 8 digits (the count -2**31,
    whose negation overflows in C, gives 8 upper-case digits as redis-server's build does)."""
    count = tobit(digits)
    alphabet = "0123456789abcdef"
    if count < 0:
        count, alphabet = (8 if count == -(1 << 31) else -count), alphabet.upper()
    count = min(count, 8)
    value = tobit(number) & 0xFFFFFFFF
    text = "".join(alphabet[(value >> (4 * place)) & 15] for place in reversed(range(count)))
    return text.encode("ascii")


def install(runtime: Any, support: Any) -> Any:
    """The ``bit`` table, its functions checking in Lua and computing with the helpers above."""
    return runtime.execute(LUA_SOURCE, support, tobit, _band, _bor, _bxor, _bnot, _shift, _rotate,
                           _bswap, _tohex, name="=bit")
