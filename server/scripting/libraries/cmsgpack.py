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

from .binary import decode_float, decode_integer, encode_float, encode_integer, is_float32

LUA_SOURCE = r"""
local support, encode_integer, decode_integer, encode_float, decode_float, is_float32 = ...
local byte, char, format, sub = string.byte, string.char, string.format, string.sub
local concat, floor, huge = table.concat, math.floor, math.huge
local error, next, pcall, rawget, select, type, unpack = error, next, pcall, rawget, select, type, unpack

local MAX_NESTING, STACK_LIMIT, INT_MAX = 16, 8000, 2147483647

-- Encoding ------------------------------------------------------------------------------------

local function integer_bytes(code, value, size)
  return char(code) .. encode_integer(value, size, false)
end

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
  if is_float32(number) then return char(0xca) .. encode_float(number, 4, false) end
  return char(0xcb) .. encode_float(number, 8, false)
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

local decode_value

local function need(data, position, count)
  if position + count - 1 > #data then error(MISSING, 0) end
end

local function read_length(data, position, size)
  need(data, position, size)
  return decode_integer(sub(data, position, position + size - 1), false, false)
end

local function decode_string(data, position, header_size)
  local length = read_length(data, position + 1, header_size)
  local start = position + 1 + header_size
  need(data, start, length)
  return sub(data, start, start + length - 1), start + length
end

local function decode_array(data, position, header_size, count, slots)
  if header_size > 0 then count = read_length(data, position + 1, header_size) end
  position = position + 1 + header_size
  local result = {}
  for index = 1, count do
    result[index], position = decode_value(data, position, slots + 2)
  end
  return result, position
end

local function decode_map(data, position, header_size, count, slots)
  if header_size > 0 then count = read_length(data, position + 1, header_size) end
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
  return decode_integer(sub(data, position + 1, position + size), signed, false), position + size + 1
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
    return decode_float(sub(data, position + 1, position + size), false), position + size + 1
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
  if decode_all then return unpack(results, 1, count) end
  return position > length and -1 or position - 1, unpack(results, 1, count)
end

local function int32(number)
  return (number + 2147483648) % 4294967296 - 2147483648
end

local cmsgpack = {_NAME = "cmsgpack", _VERSION = "lua-cmsgpack 0.4.0",
                  _COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo",
                  _DESCRIPTION = "MessagePack C implementation for Lua"}
-- The exported functions never end in a tail call: support.lua finds them on the stack.
support.export(cmsgpack, "pack", function(...) return (pack(...)) end)
support.export(cmsgpack, "unpack", function(...)
  local count = select("#", ...)
  local data = support.checkstring(count, 1, (...))
  local results = {unpack_values(data, 0, 0, count)}
  return unpack(results)
end)
support.export(cmsgpack, "unpack_one", function(...)
  local count = select("#", ...)
  local data, offset = ...
  offset = offset == nil and 0 or int32(support.checkinteger(count, 2, offset))
  data = support.checkstring(count, 1, data)
  local results = {unpack_values(data, 1, offset, 1)}
  return unpack(results)
end)
support.export(cmsgpack, "unpack_limit", function(...)
  local count = select("#", ...)
  local data, limit, offset = ...
  limit = int32(support.checkinteger(count, 2, limit))
  offset = offset == nil and 0 or int32(support.checkinteger(count, 3, offset))
  data = support.checkstring(count, 1, data)
  local results = {unpack_values(data, limit, offset, 1)}
  return unpack(results)
end)
return cmsgpack
"""


def install(runtime: Any, support: Any) -> Any:
    """The ``cmsgpack`` table, its number encodings done by :mod:`.binary`."""
    return runtime.execute(LUA_SOURCE, support, encode_integer, decode_integer, encode_float,
                           decode_float, is_float32, name="=cmsgpack")
