"""``cmsgpack``: lua-cmsgpack 0.4.0 as Redis 7.0 builds it, in Lua.

``pack(...)`` concatenates the encodings of its arguments: numbers equal to a 64-bit integer use
the smallest integer type, other numbers a float32 when ``(float)n == n`` else a float64;
strings use the str types (never bin); a table is an array when its keys are exactly 1..n, else a
map in ``next`` order; tables nested deeper than 16 levels, functions, userdata and threads
encode as nil. ``unpack`` decodes every value (no bin or ext types: "Bad data format in input."),
``unpack_one(s [, offset])`` and ``unpack_limit(s, limit [, offset])`` return the next offset
(-1 at the end) before the values.
"""

from __future__ import annotations

from typing import Any

from .binary import decode_float, encode_float

LUA_SOURCE = r"""
local support, encode_nan, decode_nan = ...
local byte, char, format, sub = string.byte, string.char, string.format, string.sub
local concat = table.concat
local floor, frexp, huge, ldexp = math.floor, math.frexp, math.huge, math.ldexp
local error, next, pcall, rawget, select, type, unpack = error, next, pcall, rawget, select, type, unpack

local MAX_NESTING, STACK_LIMIT, INT_MAX = 16, 8000, 2147483647

-- Encoding ------------------------------------------------------------------------------------

-- MessagePack's big-endian numbers, computed exactly with doubles (NaN, whose sign and payload
-- Lua cannot see, goes to the Python helpers).
local function word_bytes(word)
  return char(floor(word / 16777216), floor(word / 65536) % 256, floor(word / 256) % 256, word % 256)
end

-- `code` and the two's complement `size`-byte form of the integer `value`.
local function integer_bytes(code, value, size)
  if size == 2 then
    if value < 0 then value = value + 65536 end
    return char(code, floor(value / 256), value % 256)
  end
  if size == 4 then
    if value < 0 then value = value + 4294967296 end
    return char(code) .. word_bytes(value)
  end
  local high = floor(value / 4294967296)
  local low = value - high * 4294967296
  if high < 0 then high = high + 4294967296 end
  return char(code) .. word_bytes(high) .. word_bytes(low)
end

-- The sign bit of a number that is not NaN, and its magnitude.
local function split_sign(number)
  if number < 0 or (number == 0 and 1 / number < 0) then return 2147483648, -number end
  return 0, number
end

-- IEEE 754 bytes of a float (`fraction_bits` 23, `bias` 127) or double (52, 1023), big endian.
local function ieee_bytes(number, fraction_bits, bias)
  local sign, magnitude = split_sign(number)
  local fraction, biased
  if magnitude == huge then
    fraction, biased = 0, 2 * bias + 1
  elseif magnitude == 0 then
    fraction, biased = 0, 0
  else
    local mantissa, exponent = frexp(magnitude)
    biased = exponent + bias - 1
    if biased <= 0 then
      fraction, biased = ldexp(magnitude, bias + fraction_bits - 1), 0
    else
      fraction = (mantissa * 2 - 1) * 2 ^ fraction_bits
    end
  end
  if fraction_bits == 23 then return word_bytes(sign + biased * 8388608 + fraction) end
  local high = floor(fraction / 4294967296)
  return word_bytes(sign + biased * 1048576 + high) .. word_bytes(fraction - high * 4294967296)
end

-- Whether C's (float)number == number: the number fits a float's exponent range and 24 bits.
local function is_float32(number)
  if number ~= number then return false end
  local _, magnitude = split_sign(number)
  if magnitude == huge or magnitude == 0 then return true end
  local mantissa, exponent = frexp(magnitude)
  if exponent > 128 then return false end
  local scaled = exponent >= -125 and mantissa * 16777216 or ldexp(magnitude, 149)
  return scaled == floor(scaled)
end

-- lua-cmsgpack's choice: the smallest integer type for numbers equal to a 64-bit integer, else
-- a float when (float)n == n, else a double.
local function encode_number(number)
  if number == number and number >= -2^63 and number < 2^63 and floor(number) == number then
    if number >= 0 then
      if number <= 127 then return char(number) end
      if number <= 0xff then return char(0xcc, number) end
      if number <= 0xffff then return integer_bytes(0xcd, number, 2) end
      if number <= 0xffffffff then return integer_bytes(0xce, number, 4) end
      return integer_bytes(0xcf, number, 8)
    end
    if number >= -32 then return char(number + 256) end
    if number >= -128 then return char(0xd0, number + 256) end
    if number >= -32768 then return integer_bytes(0xd1, number, 2) end
    if number >= -2147483648 then return integer_bytes(0xd2, number, 4) end
    return integer_bytes(0xd3, number, 8)
  end
  if is_float32(number) then return char(0xca) .. ieee_bytes(number, 23, 127) end
  if number ~= number then return char(0xcb) .. encode_nan(number) end
  return char(0xcb) .. ieee_bytes(number, 52, 1023)
end

local function sized_header(count, fixed, fixed_limit, code16, code32)
  if count <= fixed_limit then return char(fixed + count) end
  if count <= 0xffff then return integer_bytes(code16, count, 2) end
  return integer_bytes(code32, count, 4)
end

local function encode_string(text)
  local length = #text
  if length < 32 then return char(0xa0 + length) .. text end
  if length <= 0xff then return char(0xd9, length) .. text end
  if length <= 0xffff then return integer_bytes(0xda, length, 2) .. text end
  return integer_bytes(0xdb, length, 4) .. text
end

-- lua-cmsgpack's array test: the keys are exactly the integers 1..n.
local function is_array(value)
  local count, max = 0, 0
  for key in next, value do
    if type(key) ~= "number" or key <= 0 or key >= 2^31 or floor(key) ~= key then return false end
    if key > max then max = key end
    count = count + 1
  end
  return max == count
end

local encode_value

local function encode_table(value, level, pieces, n)
  if is_array(value) then
    local length = #value
    n = n + 1
    pieces[n] = sized_header(length, 0x90, 15, 0xdc, 0xdd)
    for index = 1, length do n = encode_value(rawget(value, index), level + 1, pieces, n) end
    return n
  end
  local count = 0
  for _ in next, value do count = count + 1 end
  n = n + 1
  pieces[n] = sized_header(count, 0x80, 15, 0xde, 0xdf)
  for key, item in next, value do
    n = encode_value(key, level + 1, pieces, n)
    n = encode_value(item, level + 1, pieces, n)
  end
  return n
end

function encode_value(value, level, pieces, n)
  local kind = type(value)
  if kind == "table" and level < MAX_NESTING then return encode_table(value, level, pieces, n) end
  n = n + 1
  if kind == "string" then
    pieces[n] = encode_string(value)
  elseif kind == "number" then
    pieces[n] = encode_number(value)
  elseif kind == "boolean" then
    pieces[n] = value and "\195" or "\194"
  else
    pieces[n] = "\192"
  end
  return n
end

local function pack(...)
  local count = select("#", ...)
  if count == 0 then support.argerror(0, "MessagePack pack needs input.") end
  if count * 2 > STACK_LIMIT then support.argerror(0, "Too many arguments for MessagePack pack.") end
  local args, pieces, n = {...}, {}, 0
  for index = 1, count do
    if count + index + 1 > STACK_LIMIT then support.error("stack overflow (in function mp_check)") end
    n = encode_value(args[index], 0, pieces, n)
  end
  return concat(pieces, "", 1, n)
end

-- Decoding ------------------------------------------------------------------------------------

-- Raised inside the decoder, reported by unpack like the C cursor's error flags.
local MISSING, BAD_FORMAT = {"Missing bytes in input."}, {"Bad data format in input."}
local TOO_DEEP = {"stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"}
local ARRAY_TOO_DEEP = {"stack overflow (in function mp_decode_to_lua_array)"}

local decode_value

local function need(data, position, count)
  if position + count - 1 > #data then error(MISSING, 0) end
end

-- The big-endian unsigned integer of `size` (1, 2, 4 or 8) bytes at `position`.
local function read_unsigned(data, position, size)
  need(data, position, size)
  if size == 1 then return byte(data, position) end
  if size == 2 then
    local b1, b2 = byte(data, position, position + 1)
    return b1 * 256 + b2
  end
  local b1, b2, b3, b4 = byte(data, position, position + 3)
  local high = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
  if size == 4 then return high end
  return high * 4294967296 + read_unsigned(data, position + 4, 4)
end

-- The same bytes as a two's complement integer (one rounding to a double, as the C cast).
local function read_signed(data, position, size)
  if size < 8 then
    local value = read_unsigned(data, position, size)
    local range = 2 ^ (8 * size)
    return value >= range / 2 and value - range or value
  end
  local high, low = read_unsigned(data, position, 4), read_unsigned(data, position + 4, 4)
  if high >= 2147483648 then high = high - 4294967296 end
  return high * 4294967296 + low
end

-- The float (4 bytes) or double (8 bytes) at `position`.
local function read_float(data, position, size)
  local fraction_bits, bias = 23, 127
  local high, fraction = read_unsigned(data, position, 4), 0
  if size == 8 then
    fraction_bits, bias = 52, 1023
    fraction = read_unsigned(data, position + 4, 4)
  end
  local sign = high >= 2147483648 and -1 or 1
  if sign < 0 then high = high - 2147483648 end
  local unit = 2 ^ (fraction_bits - (size == 8 and 32 or 0))
  local biased = floor(high / unit)
  fraction = (high % unit) * (size == 8 and 4294967296 or 1) + fraction
  if biased == 2 * bias + 1 then
    if fraction == 0 then return sign * huge end
    return decode_nan(sub(data, position, position + size - 1))
  end
  if biased == 0 then return sign * ldexp(fraction, 1 - bias - fraction_bits) end
  return sign * ldexp(fraction + 2 ^ fraction_bits, biased - bias - fraction_bits)
end

local function decode_string(data, position, header_size)
  local length = read_unsigned(data, position + 1, header_size)
  local start = position + 1 + header_size
  need(data, start, length)
  return sub(data, start, start + length - 1), start + length
end

local function decode_array(data, position, header_size, count, slots)
  if header_size > 0 then count = read_unsigned(data, position + 1, header_size) end
  if slots + 2 > STACK_LIMIT then error(ARRAY_TOO_DEEP, 0) end
  position = position + 1 + header_size
  local result = {}
  for index = 1, count do
    result[index], position = decode_value(data, position, slots + 2)
  end
  return result, position
end

local function decode_map(data, position, header_size, count, slots)
  if header_size > 0 then count = read_unsigned(data, position + 1, header_size) end
  position = position + 1 + header_size
  local result = {}
  for _ = 1, count do
    local key, value
    key, position = decode_value(data, position, slots + 1)
    value, position = decode_value(data, position, slots + 2)
    if key == nil then error("table index is nil", 0) end
    if key ~= key then error("table index is NaN", 0) end
    result[key] = value
  end
  return result, position
end

local function fixed_number(data, position, size, signed)
  need(data, position, size + 1)
  local read = signed and read_signed or read_unsigned
  return read(data, position + 1, size), position + size + 1
end

local STRING_HEADERS = {[0xd9] = 1, [0xda] = 2, [0xdb] = 4}
local INTEGER_TYPES = {[0xcc] = {1, false}, [0xcd] = {2, false}, [0xce] = {4, false},
                       [0xcf] = {8, true}, [0xd0] = {1, true}, [0xd1] = {2, true},
                       [0xd2] = {4, true}, [0xd3] = {8, true}}

-- The value at `position` and the position after it; `slots` counts the C decoder's stack use.
function decode_value(data, position, slots)
  need(data, position, 1)
  if slots + 1 > STACK_LIMIT then error(TOO_DEEP, 0) end
  local code = byte(data, position)
  if code <= 0x7f then return code, position + 1 end
  if code >= 0xe0 then return code - 256, position + 1 end
  if code >= 0xa0 and code <= 0xbf then
    local length = code - 0xa0
    need(data, position + 1, length)
    return sub(data, position + 1, position + length), position + 1 + length
  end
  if code >= 0x90 and code <= 0x9f then return decode_array(data, position, 0, code - 0x90, slots) end
  if code <= 0x8f then return decode_map(data, position, 0, code - 0x80, slots) end
  if code == 0xc0 then return nil, position + 1 end
  if code == 0xc2 then return false, position + 1 end
  if code == 0xc3 then return true, position + 1 end
  local integer = INTEGER_TYPES[code]
  if integer then return fixed_number(data, position, integer[1], integer[2]) end
  if code == 0xca or code == 0xcb then
    local size = code == 0xca and 4 or 8
    need(data, position, size + 1)
    return read_float(data, position + 1, size), position + size + 1
  end
  local header = STRING_HEADERS[code]
  if header then return decode_string(data, position, header) end
  if code == 0xdc or code == 0xdd then
    return decode_array(data, position, code == 0xdc and 2 or 4, 0, slots)
  end
  if code == 0xde or code == 0xdf then
    return decode_map(data, position, code == 0xde and 2 or 4, 0, slots)
  end
  error(BAD_FORMAT, 0)
end

-- lua-cmsgpack's mp_unpack_full: `limit` values (all when limit and offset are 0) from the
-- 0-based `offset`; `stack_base` is how many arguments stay on the C stack.
local function unpack_values(data, limit, offset, stack_base)
  local length = #data
  if offset < 0 or limit < 0 then
    support.error(format("Invalid request to unpack with offset of %d and limit of %d.", offset, length))
  end
  if offset > length then
    support.error(format("Start offset %d greater than input length %d.", offset, length))
  end
  local decode_all = limit == 0 and offset == 0
  if decode_all then limit = INT_MAX end
  local results, count, position = {}, 0, offset + 1
  while position <= length and count < limit do
    local ok, value, after = pcall(decode_value, data, position, stack_base + count)
    if not ok then
      -- The C cursor's errors carry the caller's position; a bad map key is Lua's own error.
      if type(value) == "table" then support.error(value[1]) end
      error(value, 0)
    end
    count = count + 1
    results[count], position = value, after
  end
  if decode_all then return results, count end
  if stack_base + count + 1 > STACK_LIMIT then support.error("stack overflow (in function mp_unpack_full)") end
  for index = count, 1, -1 do results[index + 1] = results[index] end   -- values may be nil
  results[1] = position > length and -1 or position - 1
  return results, count + 1
end

-- unpack(values, 1, count) for up to 7999 values (Lua's unpack stops at 7997 with 3 arguments).
local function spread(values, count)
  if count <= 7997 then return unpack(values, 1, count) end
  return values[1], values[2], unpack(values, 3, count)
end

local function int32(number)
  return (number + 2147483648) % 4294967296 - 2147483648
end

-- The fields go in in lua-cmsgpack's order, so pairs(cmsgpack) lists them as redis-server does.
local cmsgpack = {}
-- The exported functions end in a tail call only once nothing can fail: support.lua finds them
-- on the stack to position errors.
support.export(cmsgpack, "pack", function(...) return (pack(...)) end)
support.export(cmsgpack, "unpack", function(...)
  local count = select("#", ...)
  local data = support.checkstring(count, 1, (...))
  return spread(unpack_values(data, 0, 0, count))
end)
support.export(cmsgpack, "unpack_one", function(...)
  local count = select("#", ...)
  local data, offset = ...
  offset = offset == nil and 0 or int32(support.checkinteger(count, 2, offset))
  data = support.checkstring(count, 1, data)
  return spread(unpack_values(data, 1, offset, 1))
end)
support.export(cmsgpack, "unpack_limit", function(...)
  local count = select("#", ...)
  local data, limit, offset = ...
  limit = int32(support.checkinteger(count, 2, limit))
  offset = offset == nil and 0 or int32(support.checkinteger(count, 3, offset))
  data = support.checkstring(count, 1, data)
  return spread(unpack_values(data, limit, offset, 1))
end)
cmsgpack._NAME = "cmsgpack"
cmsgpack._VERSION = "lua-cmsgpack 0.4.0"
cmsgpack._COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo"
cmsgpack._DESCRIPTION = "MessagePack C implementation for Lua"
return cmsgpack
"""


def _encode_nan(number: float) -> bytes:
    return encode_float(number, 8, False)


def _decode_nan(data: bytes) -> float:
    return decode_float(data, False)


def install(runtime: Any, support: Any) -> Any:
    """The ``cmsgpack`` table; only NaNs (whose sign and payload Lua cannot read) use Python."""
    return runtime.execute(LUA_SOURCE, support, _encode_nan, _decode_nan, name="=cmsgpack")
