"""``struct``: Roberto Ierusalimschy's struct library as Redis 7.0 builds it, in Lua.

Formats: ``<`` ``>`` set the byte order (little endian by default, as on x86-64), ``!n`` the
alignment (a power of 2; ``!`` alone is 8), ``b B h H l L T`` integers of 1, 2, 8 and 8 bytes,
``i``/``I`` with an optional size up to 32 (default 4), ``f`` ``d`` floats, ``x`` a zero byte,
``cn`` n characters (``c0``: the whole string when packing, the previous number's length when
unpacking), ``s`` a zero-terminated string, spaces ignored; anything else is "invalid format
option". A format ends at its first NUL byte. Numbers become integers with the x86-64 C casts
(``binary.encode_integer``); the errors are the C library's.
"""

from __future__ import annotations

from typing import Any

from .binary import decode_float, decode_integer, encode_float, encode_integer

LUA_SOURCE = r"""
local support, encode_integer, decode_integer, encode_float, decode_float = ...
local byte, find, format, rep, reverse, sub =
      string.byte, string.find, string.format, string.rep, string.reverse, string.sub
local concat, floor, huge = table.concat, math.floor, math.huge
local select, tonumber, type, unpack = select, tonumber, type, unpack

local INT_MAX = 2147483647
local MAXINTSIZE, MAXALIGN, STACK_LIMIT = 32, 8, 8000
local FIXED_SIZES = {b = 1, B = 1, h = 2, H = 2, l = 8, L = 8, T = 8, f = 4, d = 8, x = 1}
local INTEGERS = {b = true, B = true, h = true, H = true, l = true, L = true, T = true,
                  i = true, I = true}
local SIGNED = {b = true, h = true, l = true, i = true}

-- The digits at `position` of the format (or `default` when there are none).
local function read_number(fmt, position, default)
  local _, last = find(fmt, "^%d+", position)
  if last == nil then return default, position end
  local value = 0
  for index = position, last do
    local digit = byte(fmt, index) - 48
    if value > floor(INT_MAX / 10) or value * 10 > INT_MAX - digit then
      support.error("integral size overflow")
    end
    value = value * 10 + digit
  end
  return value, last + 1
end

local function option_size(option, fmt, position)
  local size = FIXED_SIZES[option]
  if size then return size, position end
  if option == "c" then return read_number(fmt, position, 1) end
  if option == "i" or option == "I" then
    size, position = read_number(fmt, position, 4)
    if size > MAXINTSIZE then
      support.error(format("integral size %d is larger than limit of %d", size, MAXINTSIZE))
    end
    return size, position
  end
  return 0, position
end

-- a & mask for a mask below 64 (the low bits of a two's complement `a`).
local function low_bits(a, mask)
  local result, bit = 0, 1
  a = a % 64
  while mask > 0 do
    if a % 2 == 1 and mask % 2 == 1 then result = result + bit end
    a, mask, bit = floor(a / 2), floor(mask / 2), bit * 2
  end
  return result
end

-- The padding the C library puts before an option of `size` bytes at offset `length`.
local function padding(length, align, option, size)
  if size == 0 or option == "c" then return 0 end
  if size > align then size = align end
  return low_bits(size - low_bits(length, size - 1), size - 1)
end

-- The options that change the header: returns the new byte order, alignment and position.
local function control(option, fmt, position, little, align)
  if option == ">" then return false, align, position end
  if option == "<" then return true, align, position end
  if option == "!" then
    local wanted
    wanted, position = read_number(fmt, position, MAXALIGN)
    local odd = wanted
    while odd > 0 and odd % 2 == 0 do odd = odd / 2 end
    if odd ~= 1 then
      support.error(format("alignment %d is not a power of 2", wanted))
    end
    return little, wanted, position
  end
  if option ~= " " then support.argerror(1, format("invalid format option '%s'", option)) end
  return little, align, position
end

-- A float or double; lupa hands -0.0 to Python as the integer 0, so its sign bit is set here.
local function float_bytes(number, size, little)
  if number == 0 and 1 / number < 0 then
    local bytes = rep("\0", size - 1) .. "\128"
    return little and bytes or reverse(bytes)
  end
  return encode_float(number, size, little)
end

local function format_end(fmt)
  return (find(fmt, "%z") or #fmt + 1) - 1
end

local function pack(...)
  local count = select("#", ...)
  local fmt = support.checkstring(count, 1, (...))
  local args = {...}
  -- The C function pushes a nil after its arguments: a missing one reads as "nil", not "no value".
  count = huge
  local pieces, n, total, arg = {}, 0, 0, 2
  local little, align, position, last = true, 1, 1, format_end(fmt)
  while position <= last do
    local option = sub(fmt, position, position)
    local size
    size, position = option_size(option, fmt, position + 1)
    local pad = padding(total, align, option, size)
    if pad > 0 then
      n = n + 1
      pieces[n] = rep("\0", pad)
      total = total + pad
    end
    if INTEGERS[option] then
      n = n + 1
      pieces[n] = encode_integer(support.checknumber(count, arg, args[arg]), size, little)
      arg = arg + 1
    elseif option == "f" or option == "d" then
      n = n + 1
      pieces[n] = float_bytes(support.checknumber(count, arg, args[arg]), size, little)
      arg = arg + 1
    elseif option == "x" then
      n = n + 1
      pieces[n] = "\0"
    elseif option == "c" or option == "s" then
      local text = support.checkstring(count, arg, args[arg])
      arg = arg + 1
      if size == 0 then size = #text end
      if #text < size then support.argerror(arg, "string too short") end
      n = n + 1
      pieces[n] = sub(text, 1, size)
      if option == "s" then
        n = n + 1
        pieces[n] = "\0"
        size = size + 1
      end
    else
      little, align, position = control(option, fmt, position, little, align)
    end
    total = total + size
  end
  return concat(pieces, "", 1, n)
end

-- Whether `size` bytes at the (0 based) offset `offset` lie within `length` bytes; a negative
-- offset stands for the huge unsigned offset a negative start gives in C.
local function fits(offset, size, length)
  return offset >= 0 and offset <= length and size <= length - offset
end

local function unpack_(...)
  local count = select("#", ...)
  local fmt, data, init = ...
  fmt = support.checkstring(count, 1, fmt)
  data = support.checkstring(count, 2, data)
  local start = 1
  if init ~= nil then start = support.checkinteger(count, 3, init) end
  if start == 0 then support.argerror(3, "offset must be 1 or greater") end
  local length = #data
  local offset = start - 1
  local results, n = {}, 0
  local little, align, position, last = true, 1, 1, format_end(fmt)
  while position <= last do
    local option = sub(fmt, position, position)
    local size
    size, position = option_size(option, fmt, position + 1)
    offset = offset + padding(offset, align, option, size)
    if not fits(offset, size, length) then support.argerror(2, "data string too short") end
    if count + n + 2 > STACK_LIMIT then support.error("stack overflow (too many results)") end
    if INTEGERS[option] then
      n = n + 1
      results[n] = decode_integer(sub(data, offset + 1, offset + size), SIGNED[option] or false, little)
    elseif option == "f" or option == "d" then
      n = n + 1
      results[n] = decode_float(sub(data, offset + 1, offset + size), little)
    elseif option == "c" then
      if size == 0 then
        local previous = n > 0 and tonumber(results[n])
        if not previous then support.error("format 'c0' needs a previous size") end
        results[n] = nil
        n = n - 1
        if previous ~= previous or previous <= -1 then
          size = -1
        else
          size = previous - previous % 1
        end
        if size < 0 or size > length or offset > length - size then
          support.argerror(2, "data string too short")
        end
      end
      n = n + 1
      results[n] = sub(data, offset + 1, offset + size)
    elseif option == "s" then
      local zero = find(data, "%z", offset + 1)
      if zero == nil then support.error("unfinished string in data") end
      size = zero - offset
      n = n + 1
      results[n] = sub(data, offset + 1, zero - 1)
    elseif option ~= "x" then
      little, align, position = control(option, fmt, position, little, align)
    end
    offset = offset + size
  end
  results[n + 1] = offset + 1
  return unpack(results, 1, n + 1)
end

local function size(...)
  local count = select("#", ...)
  local fmt = support.checkstring(count, 1, (...))
  local total, little, align, position, last = 0, true, 1, 1, format_end(fmt)
  while position <= last do
    local option = sub(fmt, position, position)
    local option_bytes
    option_bytes, position = option_size(option, fmt, position + 1)
    total = total + padding(total, align, option, option_bytes)
    if option == "s" then
      support.argerror(1, "option 's' has no fixed size")
    elseif option == "c" and option_bytes == 0 then
      support.argerror(1, "option 'c0' has no fixed size")
    end
    if not find(option, "%w") then
      little, align, position = control(option, fmt, position, little, align)
    end
    total = total + option_bytes
  end
  return total
end

local struct = {}
support.export(struct, "pack", pack)
support.export(struct, "unpack", unpack_)
support.export(struct, "size", size)
return struct
"""


def install(runtime: Any, support: Any) -> Any:
    """The ``struct`` table, its byte conversions done by :mod:`.binary`."""
    return runtime.execute(LUA_SOURCE, support, encode_integer, decode_integer, encode_float,
                           decode_float, name="=struct")
