"""``cjson``: lua-cjson 2.1.0 as Redis 7.0 builds it, in Lua.

Encoding: a table whose keys are all positive integers is an array up to its largest key (holes
become ``null``) unless it is "excessively sparse" (``encode_sparse_array``: by default an error
when the largest key exceeds both 10 and twice the number of keys); any other table is an object,
in ``next`` order (the same order redis-server's Lua gives, as both are Lua 5.1 tables built the
same way). Numbers print with ``%.14g`` (``encode_number_precision``), strings escape control
characters, ``"``, ``\\``, ``/`` and DEL. Decoding follows the C scanner: the same tokens, the same
"Expected X but found Y at character N" errors, ``strtod``'s reading of numbers (hex, ``inf``,
``nan`` pass while ``decode_invalid_numbers`` is on), ``null`` as ``cjson.null``. Both directions
stop at the nesting limits and at Lua's C-stack limit (8000 slots) where the C code does.
"""

from __future__ import annotations

from typing import Any

LUA_SOURCE = r"""
local support = ...
local byte, char, find, format, gsub, sub =
      string.byte, string.char, string.find, string.format, string.gsub, string.sub
local concat, floor, huge = table.concat, math.floor, math.huge
local getmetatable, ipairs, newproxy, next, pairs, rawequal, rawget, select, tonumber, type =
      getmetatable, ipairs, newproxy, next, pairs, rawequal, rawget, select, tonumber, type
local lower, match = string.lower, string.match

local INT_MAX = 2147483647
local STACK_LIMIT = 8000   -- LUAI_MAXCSTACK: the C code's lua_checkstack fails past it

-- Redis' cjson.null is a NULL light userdata; this stand-in prints the same.
local null = newproxy(true)
getmetatable(null).__tostring = function() return "userdata: (nil)" end
getmetatable(null).__metatable = false

local function int32(number)
  return (number + 2147483648) % 4294967296 - 2147483648
end

-- Encoding ------------------------------------------------------------------------------------

local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\t'] = '\\t',
                 ['\n'] = '\\n', ['\f'] = '\\f', ['\r'] = '\\r', ['\127'] = '\\u007f'}
for code = 0, 31 do
  escapes[char(code)] = escapes[char(code)] or format("\\u%04x", code)
end

local NEEDS_ESCAPE = '[%z\1-\31"\\/\127]'

local function quote(text)
  if not find(text, NEEDS_ESCAPE) then return '"' .. text .. '"' end
  return '"' .. gsub(text, NEEDS_ESCAPE, escapes) .. '"'
end

local function number_text(config, number)
  if number ~= number or number == huge or number == -huge then
    local mode = config.encode_invalid_numbers
    if mode == 0 then support.error("Cannot serialise number: must not be NaN or Inf") end
    if mode == 2 then return "null" end
    if number ~= number then return "nan" end
  end
  return format(config.number_format, number)
end

local function scalar_text(config, value)
  local kind = type(value)
  if kind == "string" then return quote(value) end
  if kind == "number" then return number_text(config, value) end
  if kind == "boolean" then return value and "true" or "false" end
  if kind == "nil" or rawequal(value, null) then return "null" end
  support.error(format("Cannot serialise %s: type not supported", kind))
end

-- The array length cjson sees (0 or less: encode as an object). Keys past INT_MAX wrap the
-- C int holding the maximum to INT_MIN, as on redis-server.
local function array_length(config, value)
  local max, items = 0, 0
  for key in next, value do
    if type(key) ~= "number" or key < 1 or floor(key) ~= key then return -1 end
    if key > max then max = key <= INT_MAX and key or -2147483648 end
    items = items + 1
  end
  local ratio = config.encode_sparse_ratio
  if ratio > 0 and max > int32(items * ratio) and max > config.encode_sparse_safe then
    if config.encode_sparse_convert == 0 then
      support.error("Cannot serialise table: excessively sparse array")
    end
    return -1
  end
  return max
end

-- Appends `value` to `buffer` (`n` pieces so far) and returns the new count. `depth` is the
-- nesting depth a table here has; `slots` how many stack slots the C encoder would be using
-- with `value` on top.
local function encode_value(config, value, depth, slots, buffer, n)
  if type(value) ~= "table" then
    n = n + 1
    buffer[n] = scalar_text(config, value)
    return n
  end
  if depth > config.encode_max_depth or slots + 3 > STACK_LIMIT then
    support.error(format("Cannot serialise, excessive nesting (%d)", depth))
  end
  local length = array_length(config, value)
  if length > 0 then
    for index = 1, length do
      n = n + 1
      buffer[n] = index == 1 and "[" or ","
      n = encode_value(config, rawget(value, index), depth + 1, slots + 1, buffer, n)
    end
    n = n + 1
    buffer[n] = "]"
    return n
  end
  local opening = "{"
  for key, item in next, value do
    local kind = type(key)
    n = n + 1
    if kind == "string" then
      buffer[n] = opening .. quote(key) .. ":"
    elseif kind == "number" then
      buffer[n] = opening .. '"' .. number_text(config, key) .. '":'
    else
      support.error(format("Cannot serialise %s: table key must be a number or string", kind))
    end
    opening = ","
    n = encode_value(config, item, depth + 1, slots + 2, buffer, n)
  end
  n = n + 1
  buffer[n] = opening == "{" and "{}" or "}"
  return n
end

local function encode(config, ...)
  if select("#", ...) ~= 1 then support.argerror(1, "expected 1 argument") end
  local value = ...
  if type(value) ~= "table" then return scalar_text(config, value) end
  local buffer = {}
  return concat(buffer, "", 1, encode_value(config, value, 1, 1, buffer, 0))
end

-- Decoding ------------------------------------------------------------------------------------

local single_tokens = {[123] = "T_OBJ_BEGIN", [125] = "T_OBJ_END", [91] = "T_ARR_BEGIN",
                       [93] = "T_ARR_END", [44] = "T_COMMA", [58] = "T_COLON"}
local simple_escapes = {[34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [102] = "\f",
                        [110] = "\n", [114] = "\r", [116] = "\t"}
-- First characters the C scanner looks at further (the others are "invalid token" at once).
local word_starts = {[102] = true, [105] = true, [73] = true, [110] = true, [78] = true,
                     [116] = true, [43] = true}

-- The longest prefix of `text` at `start` that C's strtod reads: its value and the next
-- position, or nil when it reads nothing.
local function strtod(text, start)
  local position = start
  local first = byte(text, position)
  if first == 43 or first == 45 then position = position + 1 end
  local stop
  if find(text, "^0[xX]", position) then
    local _, mantissa_end = find(text, "^%x*%.?%x*", position + 2)
    if find(sub(text, position + 2, mantissa_end), "%x") then
      stop = select(2, find(text, "^[pP][+-]?%d+", mantissa_end + 1)) or mantissa_end
    else
      stop = position
    end
  else
    local _, mantissa_end = find(text, "^%d*%.?%d*", position)
    if find(sub(text, position, mantissa_end), "%d") then
      stop = select(2, find(text, "^[eE][+-]?%d+", mantissa_end + 1)) or mantissa_end
    elseif find(text, "^[iI][nN][fF]", position) then
      stop = select(2, find(text, "^[iI][nN][iI][tT][yY]", position + 3)) or position + 2
    elseif find(text, "^[nN][aA][nN]", position) then
      stop = select(2, find(text, "^%([%w_]*%)", position + 3)) or position + 2
    else
      return nil
    end
  end
  return tonumber(sub(text, start, stop)), stop + 1
end

-- cjson's test for numbers JSON forbids: a leading +, hex, leading zeros, inf and nan.
local function is_invalid_number(text, position)
  local first = byte(text, position)
  if first == 43 then return true end
  if first == 45 then position = position + 1 end
  local c = byte(text, position) or 0
  if c == 48 then
    local after = byte(text, position + 1) or 0
    return after == 120 or after == 88 or (after >= 48 and after <= 57)
  end
  if c <= 57 then return false end
  local word = lower(sub(text, position, position + 2))
  return word == "inf" or word == "nan"
end

local function number_token(text, position)
  -- The usual shape, -?digits[.digits][e[+-]digits], read directly; strtod() for the rest.
  local _, last = find(text, "^-?%d+", position)
  if last then
    local after = byte(text, last + 1)
    if after ~= 120 and after ~= 88 then
      if after == 46 then _, last = find(text, "^%d*", last + 2) end
      local _, exponent_end = find(text, "^[eE][+-]?%d+", last + 1)
      last = exponent_end or last
      return "T_NUMBER", tonumber(sub(text, position, last)), position, last + 1
    end
  end
  local value, after = strtod(text, position)
  if value == nil then return "T_ERROR", "invalid number", position, position end
  return "T_NUMBER", value, position, after
end

local function unicode_escape(text, position)
  local digits = sub(text, position + 2, position + 5)
  if not find(digits, "^%x%x%x%x$") then return nil end
  local code, length = tonumber(digits, 16), 6
  if code >= 0xD800 and code <= 0xDFFF then
    if code >= 0xDC00 or sub(text, position + 6, position + 7) ~= "\\u" then return nil end
    local low = sub(text, position + 8, position + 11)
    if not find(low, "^%x%x%x%x$") then return nil end
    low = tonumber(low, 16)
    if low < 0xDC00 or low > 0xDFFF then return nil end
    code, length = (code - 0xD800) * 1024 + (low - 0xDC00) + 0x10000, 12
  end
  if code < 0x80 then return char(code), length end
  if code < 0x800 then return char(0xC0 + floor(code / 64), 0x80 + code % 64), length end
  if code < 0x10000 then
    return char(0xE0 + floor(code / 4096), 0x80 + floor(code / 64) % 64, 0x80 + code % 64), length
  end
  return char(0xF0 + floor(code / 262144), 0x80 + floor(code / 4096) % 64,
              0x80 + floor(code / 64) % 64, 0x80 + code % 64), length
end

local function string_token(text, start)
  local position, pieces, count = start + 1, nil, 0
  while true do
    local stop = find(text, '["\\%z]', position)
    if stop == nil then return "T_ERROR", "unexpected end of string", #text + 1, #text + 1 end
    local c = byte(text, stop)
    if c == 0 then return "T_ERROR", "unexpected end of string", stop, stop end
    local piece = sub(text, position, stop - 1)
    if c == 34 then
      if pieces == nil then return "T_STRING", piece, start, stop + 1 end
      pieces[count + 1] = piece
      return "T_STRING", concat(pieces, "", 1, count + 1), start, stop + 1
    end
    pieces = pieces or {}
    count = count + 2
    pieces[count - 1] = piece
    local escaped = byte(text, stop + 1)
    local simple = simple_escapes[escaped]
    if simple then
      pieces[count] = simple
      position = stop + 2
    elseif escaped == 117 then
      local decoded, length = unicode_escape(text, stop)
      if decoded == nil then return "T_ERROR", "invalid unicode escape code", stop, stop end
      pieces[count] = decoded
      position = stop + length
    else
      return "T_ERROR", "invalid escape code", stop, stop
    end
  end
end

-- The token at `position`: its kind, value, position (for errors) and the position after it.
local function next_token(config, text, position)
  local c = byte(text, position)
  if c == 32 or c == 9 or c == 10 or c == 13 then
    position = find(text, "[^ \t\n\r]", position) or #text + 1
    c = byte(text, position)
  end
  if c == nil or c == 0 then return "T_END", nil, position, position end
  local single = single_tokens[c]
  if single then return single, nil, position, position + 1 end
  if c == 34 then return string_token(text, position) end
  if c == 45 or (c >= 48 and c <= 57) then
    if config.decode_invalid_numbers == 0 and is_invalid_number(text, position) then
      return "T_ERROR", "invalid number", position, position
    end
    return number_token(text, position)
  end
  if word_starts[c] then
    if sub(text, position, position + 3) == "true" then return "T_BOOLEAN", true, position, position + 4 end
    if sub(text, position, position + 4) == "false" then return "T_BOOLEAN", false, position, position + 5 end
    if sub(text, position, position + 3) == "null" then return "T_NULL", null, position, position + 4 end
    if config.decode_invalid_numbers ~= 0 and is_invalid_number(text, position) then
      return number_token(text, position)
    end
  end
  return "T_ERROR", "invalid token", position, position
end

local function parse_error(expected, kind, value, position)
  support.error(format("Expected %s but found %s at character %d", expected,
                       kind == "T_ERROR" and value or kind, position))
end

local parse_container

-- A value starting with the token given; returns it and the position after it.
local function parse_value(config, text, depth, slots, kind, value, position, after)
  if kind == "T_ARR_BEGIN" or kind == "T_OBJ_BEGIN" then
    return parse_container(config, text, depth + 1, slots, kind == "T_OBJ_BEGIN", after)
  end
  if kind == "T_STRING" or kind == "T_NUMBER" or kind == "T_BOOLEAN" or kind == "T_NULL" then
    return value, after
  end
  parse_error("value", kind, value, position)
end

-- An array or object whose opening bracket ends just before `position`.
function parse_container(config, text, depth, slots, is_object, position)
  if depth > config.decode_max_depth or slots + (is_object and 3 or 2) > STACK_LIMIT then
    support.error(format("Found too many nested data structures (%d) at character %d",
                         depth, position - 1))
  end
  local result = {}
  local kind, value, at
  kind, value, at, position = next_token(config, text, position)
  if kind == (is_object and "T_OBJ_END" or "T_ARR_END") then return result, position end
  local index = 0
  while true do
    local key
    if is_object then
      if kind ~= "T_STRING" then parse_error("object key string", kind, value, at) end
      key = value
      kind, value, at, position = next_token(config, text, position)
      if kind ~= "T_COLON" then parse_error("colon", kind, value, at) end
      kind, value, at, position = next_token(config, text, position)
      value, position = parse_value(config, text, depth, slots + 2, kind, value, at, position)
    else
      index = index + 1
      key = index
      value, position = parse_value(config, text, depth, slots + 1, kind, value, at, position)
    end
    result[key] = value
    kind, value, at, position = next_token(config, text, position)
    if kind == (is_object and "T_OBJ_END" or "T_ARR_END") then return result, position end
    if kind ~= "T_COMMA" then
      parse_error(is_object and "comma or object end" or "comma or array end", kind, value, at)
    end
    kind, value, at, position = next_token(config, text, position)
  end
end

local function decode(config, ...)
  local count = select("#", ...)
  if count ~= 1 then support.argerror(1, "expected 1 argument") end
  local text = support.checkstring(count, 1, (...))
  if #text >= 2 and (byte(text, 1) == 0 or byte(text, 2) == 0) then
    support.error("JSON parser does not support UTF-16 or UTF-32")
  end
  local kind, value, at, position = next_token(config, text, 1)
  local result
  result, position = parse_value(config, text, 0, 1, kind, value, at, position)
  kind, value, at = next_token(config, text, position)
  if kind ~= "T_END" then parse_error("the end", kind, value, at) end
  return result
end

-- Configuration -------------------------------------------------------------------------------

local BOOLEAN_OPTIONS = {"off", "on"}
local INVALID_NUMBER_OPTIONS = {"off", "on", "null"}

-- cjson's json_arg_init: at most `allowed` arguments.
local function check_count(count, allowed)
  if count > allowed then support.argerror(allowed + 1, "found too many arguments") end
end

-- An option taking true/false or one of the words `options` (index 0 based, as in C); returns
-- the setting as a boolean when it is off/on, else as its word.
local function enum_option(config, field, count, index, value, options)
  if value ~= nil then
    if type(value) == "boolean" then
      config[field] = value and 1 or 0
    else
      -- The C code compares and quotes the option as a C string: up to its first NUL byte.
      local word = match(support.checkstring(count, index, value), "^[^%z]*")
      local found
      for position, option in ipairs(options) do
        if option == word then found = position - 1 end
      end
      if found == nil then support.argerror(index, format("invalid option '%s'", word)) end
      config[field] = found
    end
  end
  local setting = config[field]
  if setting <= 1 then return setting == 1 end
  return options[setting + 1]
end

-- An integer option within [low, high] (a C int: wider values keep their low 32 bits). Its range
-- error names argument 1 whichever argument it was, as cjson's does.
local function integer_option(config, field, count, index, value, low, high)
  if value ~= nil then
    local number = int32(support.checkinteger(count, index, value))
    if number < low or number > high then
      support.argerror(1, format("expected integer between %d and %d", low, high))
    end
    config[field] = number
  end
  return config[field]
end

-- The exported functions never end in a tail call: support.lua finds them on the stack.
local function new_module()
  local config = {
    encode_sparse_convert = 0, encode_sparse_ratio = 2, encode_sparse_safe = 10,
    encode_max_depth = 1000, decode_max_depth = 1000, encode_number_precision = 14,
    number_format = "%.14g", encode_keep_buffer = 1, encode_invalid_numbers = 0,
    decode_invalid_numbers = 1,
  }
  local function integer_setting(field, low, high)
    return function(...)
      local count = select("#", ...)
      check_count(count, 1)
      return (integer_option(config, field, count, 1, (...), low, high))
    end
  end
  local function enum_setting(field, options)
    return function(...)
      local count = select("#", ...)
      check_count(count, 1)
      return (enum_option(config, field, count, 1, (...), options))
    end
  end
  local precision_setting = integer_setting("encode_number_precision", 1, 14)

  -- The fields go in in lua-cjson's order, so pairs(cjson) lists them as redis-server does.
  local cjson = {}
  support.export(cjson, "encode", function(...) return (encode(config, ...)) end)
  support.export(cjson, "decode", function(...) return (decode(config, ...)) end)
  support.export(cjson, "encode_sparse_array", function(...)
    local count = select("#", ...)
    check_count(count, 3)
    local convert, ratio, safe = ...
    return enum_option(config, "encode_sparse_convert", count, 1, convert, BOOLEAN_OPTIONS),
           integer_option(config, "encode_sparse_ratio", count, 2, ratio, 0, INT_MAX),
           integer_option(config, "encode_sparse_safe", count, 3, safe, 0, INT_MAX)
  end)
  support.export(cjson, "encode_max_depth", integer_setting("encode_max_depth", 1, INT_MAX))
  support.export(cjson, "decode_max_depth", integer_setting("decode_max_depth", 1, INT_MAX))
  support.export(cjson, "encode_number_precision", function(...)
    local precision = precision_setting(...)
    config.number_format = "%." .. precision .. "g"
    return precision
  end)
  support.export(cjson, "encode_keep_buffer", enum_setting("encode_keep_buffer", BOOLEAN_OPTIONS))
  support.export(cjson, "encode_invalid_numbers",
                 enum_setting("encode_invalid_numbers", INVALID_NUMBER_OPTIONS))
  support.export(cjson, "decode_invalid_numbers",
                 enum_setting("decode_invalid_numbers", BOOLEAN_OPTIONS))
  support.export(cjson, "new", new_module)
  cjson.null = null
  cjson._NAME = "cjson"
  cjson._VERSION = "2.1.0"
  return cjson
end

return new_module()
"""


def install(runtime: Any, support: Any) -> Any:
    """The ``cjson`` table (``cjson.new()`` makes more, each with its own settings)."""
    return runtime.execute(LUA_SOURCE, support, name="=cjson")
