"""What the four libraries share on the Lua side: registering their functions and raising errors
worded and positioned the way Lua's C auxiliary library (``luaL_argerror``, ``luaL_error``) does.

Redis' libraries are C functions, so an error they raise names the caller's line
(``user_script:1: ...``) and the function the way the caller spelled it (``bad argument #1 to
'band'``, ``'f'`` through a local alias, ``'?'`` under ``pcall``, ``calling 'x' on bad self`` for a
method call). Ours are Lua functions; :data:`LUA_SOURCE` finds the running library function on the
stack (each one is registered with the Lua ``support.export``) and raises at its caller's level,
reading the name from the same debug information ``luaL_argerror`` reads.
"""

from __future__ import annotations

from typing import Any

LUA_SOURCE = r"""
local getinfo = debug.getinfo
local error, format, select, setmetatable, tonumber, tostring, type =
      error, string.format, select, setmetatable, tonumber, tostring, type

-- Every library function -> its name (the name errors use when the caller's spelling is lost).
local names = setmetatable({}, {__mode = "k"})
local support = {}

function support.export(library, name, fn)
  names[fn] = name
  library[name] = fn
end

-- The stack level (counted from the function calling this one's caller) of the innermost
-- library function running.
local function library_level()
  local level = 3
  while true do
    local info = getinfo(level, "f")
    if info == nil then return nil end
    if names[info.func] then return level - 1 end
    level = level + 1
  end
end

-- luaL_error: the message, prefixed by the position of the library function's caller.
function support.error(message)
  local level = library_level()
  if level == nil then error(message, 0) end
  error(message, level + 1)
end

-- luaL_argerror: "bad argument #N to 'name' (why)", with the caller's spelling of the name.
function support.argerror(index, why)
  local level = library_level()
  if level == nil then error(format("bad argument #%d (%s)", index, why), 0) end
  local info = getinfo(level, "nf")
  local name = info.name
  if info.namewhat == "method" then
    index = index - 1
    if index == 0 then
      error(format("calling '%s' on bad self (%s)", name, why), level + 1)
    end
  end
  if name == nil then
    -- A tail call loses the caller's spelling; the library's own name is the likely one.
    local caller = getinfo(level + 1, "S")
    name = (caller and caller.what == "tail") and names[info.func] or "?"
  end
  error(format("bad argument #%d to '%s' (%s)", index, name, why), level + 1)
end

-- luaL_typerror, where `count` is how many arguments the call had ("no value" past them).
function support.typeerror(count, index, value, expected)
  local got = index > count and "no value" or type(value)
  support.argerror(index, format("%s expected, got %s", expected, got))
end

-- luaL_checknumber: numbers, and strings Lua converts to numbers.
function support.checknumber(count, index, value)
  if type(value) == "number" then return value end
  local number = type(value) == "string" and tonumber(value)
  if not number then support.typeerror(count, index, value, "number") end
  return number
end

-- luaL_checkinteger: a number truncated toward zero to a C integer; out of range gives the
-- x86-64 "integer indefinite" value, as the C cast does there.
local INT64_MIN = -2^63
function support.checkinteger(count, index, value)
  local number = support.checknumber(count, index, value)
  if number ~= number or number >= 2^63 or number < INT64_MIN then return INT64_MIN end
  if number >= 0 then return number - number % 1 end
  return -((-number) - (-number) % 1)
end

-- luaL_checklstring: strings, and numbers in their tostring() spelling.
function support.checkstring(count, index, value)
  local kind = type(value)
  if kind == "string" then return value end
  if kind == "number" then return tostring(value) end
  support.typeerror(count, index, value, "string")
end

return support
"""


def load_support(runtime: Any) -> Any:
    """Run :data:`LUA_SOURCE` in ``runtime``; returns the Lua table the libraries' sources receive."""
    return runtime.execute(LUA_SOURCE, name="=libraries")
