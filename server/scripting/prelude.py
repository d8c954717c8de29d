"""The Lua code that turns a fresh Lua 5.1 into the environment Redis 7.0 gives its scripts.

It runs once per interpreter (at start and after SCRIPT FLUSH), as a chunk named
:data:`PRELUDE_SOURCE`, with one argument: the *bridge*, a table of the Python functions it
needs (run a command, log, the hook's tick...) and of the error texts (from
:mod:`pypika_store.errors`). It returns the table of functions the Python side uses
(``compile``, ``run``, ``set_arrays``, the converters' helpers).

What it builds, as Redis 7.0 has it:

- the globals Redis keeps (``string``, ``table``, ``math``, ``coroutine``, the base library
  without ``print``, ``dofile``, ``loadfile``, ``require``, ``module``, ``getfenv``,
  ``setfenv``, ``newproxy``), and no ``os``, ``io``, ``package`` or ``debug``;
- the ``redis`` table (``call``, ``pcall``, ``error_reply``, ``status_reply``, ``sha1hex``,
  ``log`` and ``LOG_*``, ``setresp``, ``set_repl`` and ``REPL_*``, ``replicate_commands``,
  ``breakpoint``, ``debug``, ``REDIS_VERSION``, ``REDIS_VERSION_NUM``);
- read-only globals and library tables: scripts see them through proxies whose writes fail
  with "Attempt to modify a readonly table", and reading a global that does not exist fails
  with "Script attempted to access nonexistent global variable"; ``rawset``, ``rawget``,
  ``setmetatable``, ``loadstring`` and ``load`` are wrapped so they cannot get around it
  (stock Lua has no read-only tables, Redis patches its Lua for them);
- ``__redis__err__handler``: the error handler scripts run under, which turns any error into
  an error table ``{err=..., source=..., line=...}`` naming the script line that failed
  (skipping C functions and this prelude's own frames, so a failed ``redis.call`` points at
  the script's line, as in Redis where ``redis.call`` is a C function);
- the count hook (every :data:`HOOK_INSTRUCTIONS` instructions) through which a long script
  lets the server answer other clients BUSY and be killed.
"""

#: The chunk name of the prelude: frames of this code are never the place an error is reported at.
PRELUDE_SOURCE = "=pypika-store-scripting"
#: Instructions between two calls of the hook (Redis' count hook uses the same).
HOOK_INSTRUCTIONS = 100_000

LUA_PRELUDE = r"""
local bridge = ...
local messages = bridge.messages
local dbg = debug
local error, type, tostring, tonumber, select, pairs = error, type, tostring, tonumber, select, pairs
local raw_set, raw_get, set_metatable = rawset, rawget, setmetatable
local setfenv, loadstring, load, xpcall, unpack = setfenv, loadstring, load, xpcall, unpack
local concat = table.concat
local command, log, tick = bridge.command, bridge.log, bridge.tick
local PRELUDE = bridge.prelude_source

-- What scripts see as their globals: a copy of the interpreter's, less what Redis removes
-- (the interpreter's own table stays whole: lupa uses it).
local globals = {}
for name, value in pairs(_G) do globals[name] = value end
for _, name in ipairs({"print", "dofile", "loadfile", "require", "module", "getfenv", "setfenv",
                       "newproxy", "os", "io", "package", "debug", "python", "_G"}) do
  globals[name] = nil
end

-- Read-only tables: a proxy per protected table, reading through to it.
local protected = {}          -- proxy -> the table it shows
local function refuse_write() error(messages.readonly_table, 2) end
local function readonly(target)
  local proxy = {}
  local meta = {__index = target, __newindex = refuse_write}
  meta.__metatable = meta
  protected[proxy] = target
  protected[meta] = meta
  return set_metatable(proxy, meta)
end

local function guarded_rawset(t, k, v)
  if protected[t] then error(messages.readonly_table, 0) end
  return raw_set(t, k, v)
end
local function guarded_setmetatable(t, m)
  if protected[t] then error(messages.readonly_table, 0) end
  return set_metatable(t, m)
end
local function see_through_rawget(t, k)
  local target = protected[t]
  if target then return raw_get(target, k) end
  return raw_get(t, k)
end

local env  -- the scripts' global table (a proxy of `globals`)
local function in_env(chunk, message)
  if chunk then setfenv(chunk, env) end
  return chunk, message
end

-- The redis table. The functions that may fail are Python functions (C functions to Lua, as
-- Redis' are: a failure names the script's line even in `return redis.call(...)`, a tail call);
-- they fail with a Python exception, which the error handler and the pcall/xpcall below turn
-- into the error table Redis raises.
local redis = {}
local callables = {}
local function python(name)
  local callable = bridge[name]
  callables[callable] = true
  return callable
end
local error_text = bridge.error_text
local function as_error(err)
  if type(err) == "userdata" then return {err = error_text(err)} end
  return err
end
redis.call = python("call")
redis.pcall = python("pcall")
redis.sha1hex = python("sha1hex")
redis.log = python("log")
redis.setresp = python("setresp")
redis.set_repl = python("set_repl")
redis.acl_check_cmd = python("acl_check_cmd")

local function trim(text)
  return (text:gsub("^[\r\n]+", ""):gsub("[\r\n]+$", ""))
end
local function bad_arguments() return {err = "ERR " .. messages.wrong_arguments} end
redis.error_reply = function(...)
  local text = ...
  if select("#", ...) ~= 1 or type(text) ~= "string" then return bad_arguments() end
  if text:sub(1, 1) == "-" then text = text:sub(2) end
  local space = text:find(" ", 1, true)
  if space then
    return {err = text:sub(1, space - 1) .. " " .. trim(text:sub(space + 1))}
  end
  return {err = "ERR " .. trim(text)}
end
redis.status_reply = function(...)
  local text = ...
  if select("#", ...) ~= 1 or type(text) ~= "string" then return bad_arguments() end
  return {ok = text}
end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REDIS_VERSION = bridge.version
redis.REDIS_VERSION_NUM = bridge.version_num

-- Errors: where a script failed, as an error table.
-- The libraries' chunks are named "=<library>" (server/scripting/libraries): they stand for
-- Redis' C code, so an error raised in them is placed, like a C function's, at the script's line.
local function error_handler(err)
  local level, info = 2, dbg.getinfo(2, "nSl")
  while info and (info.what == "C" or info.source == PRELUDE or info.source:sub(1, 1) == "=") do
    level = level + 1
    info = dbg.getinfo(level, "nSl")
  end
  err = as_error(err)
  if type(err) ~= "table" then err = {err = "ERR " .. tostring(err)} end
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end

globals.redis = readonly(redis)
globals.__redis__err__handler = error_handler
globals.rawset, globals.rawget, globals.setmetatable = guarded_rawset, see_through_rawget, guarded_setmetatable
globals.loadstring = function(...) return in_env(loadstring(...)) end
local raw_pcall, raw_type = pcall, type
-- Redis' pcall gives an error table's text, not the table.
local function caught(ok, ...)
  if ok then return ok, ... end
  local err = as_error((...))
  if raw_type(err) == "table" and raw_type(raw_get(err, "err")) == "string" then err = raw_get(err, "err") end
  return false, err
end
globals.pcall = function(...)
  if select("#", ...) == 0 then return false, messages.pcall_nothing end
  return caught(raw_pcall(...))
end
globals.xpcall = function(f, handler) return xpcall(f, function(err) return handler(as_error(err)) end) end
globals.type = function(value)
  local kind = raw_type(value)
  if kind == "userdata" and callables[value] then return "function" end
  return kind
end
globals.load = function(...) return in_env(load(...)) end
-- coroutine.resume hands back a failed coroutine's error: as an error table, as in Redis.
local coroutines = {}
for name, value in pairs(coroutine) do coroutines[name] = value end
local resume = coroutine.resume
local function resumed(ok, ...)
  if ok then return ok, ... end
  return false, as_error((...))
end
coroutines.resume = function(co, ...) return resumed(resume(co, ...)) end
globals.coroutine = coroutines

-- The libraries, read-only too (cjson, cmsgpack, bit and struct when installed before this).
for _, name in ipairs({"string", "table", "math", "coroutine", "bit", "cjson", "cmsgpack", "struct"}) do
  if globals[name] ~= nil then globals[name] = readonly(globals[name]) end
end

env = readonly(globals)
globals._G = env
set_metatable(globals, {__index = function(_, name)
  error(messages.nonexistent_global:format(tostring(name)), 2)
end})

-- The count hook: the Python side decides (time limit, BUSY, SCRIPT KILL, a library's load
-- timeout) and gives the error that stops the run, if any.
-- Once stopped, the hook runs at every line and every backward jump: a pcall may catch the
-- error where it is raised, not the next one outside it.
local function hook()
  local stop = tick()
  if stop then
    dbg.sethook(hook, "l")
    local running = dbg.getinfo(2, "S")
    if running and running.source ~= PRELUDE then error({err = stop}) end
  end
end

-- Functions. A library's code runs once, at its load, seeing only `redis.register_function`,
-- `redis.log`, the LOG_ levels and the version constants (Redis' load-time sandbox: no
-- `redis.call`, no libraries); the functions it registers later run with the scripts' globals.
-- Both through `library_env`, the library code's global table, which reads `active`.
local registered            -- the load in progress: {names = {...}, [name] = {callback, flags, description}}
local function fail(name) error({err = messages[name]}) end
local function as_string(value)
  local kind = type(value)
  if kind == "string" or kind == "number" then return tostring(value) end
end
local function flag_list(flags)
  if type(flags) ~= "table" then fail("register_flags_type") end
  local list = {}
  for _, flag in pairs(flags) do
    flag = as_string(flag)
    if not flag or not bridge.function_flags[flag] then fail("register_unknown_flag") end
    list[#list + 1] = flag
  end
  return list
end
local function named_registration(args)
  if type(args) ~= "table" then fail("register_single") end
  local name, callback, flags, description
  for key, value in pairs(args) do
    if key == "function_name" then
      name = as_string(value)
      if not name then fail("register_name_type") end
    elseif key == "description" then
      description = as_string(value)
      if not description then fail("register_description_type") end
    elseif key == "callback" then
      if type(value) ~= "function" then fail("register_callback_argument_type") end
      callback = value
    elseif key == "flags" then
      flags = flag_list(value)
    else
      fail("register_unknown_argument")
    end
  end
  if not name then fail("register_no_name") end
  if not callback then fail("register_no_callback") end
  return name, callback, flags, description
end
local function register_function(...)
  local count = select("#", ...)
  local name, callback, flags, description
  if count == 1 then
    name, callback, flags, description = named_registration(...)
  elseif count == 2 then
    name, callback = ...
    name = as_string(name)
    if not name then fail("register_first_type") end
    if type(callback) ~= "function" then fail("register_callback_type") end
  else
    fail("register_arguments")
  end
  if name == "" or name:find("[^%w_]") then fail("register_name") end
  if registered[name] then fail("register_duplicate") end
  registered.names[#registered.names + 1] = name
  registered[name] = {callback = callback, flags = flags or {}, description = description}
end
local library_api = {register_function = register_function, log = redis.log, LOG_DEBUG = redis.LOG_DEBUG,
                     LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE,
                     LOG_WARNING = redis.LOG_WARNING, REDIS_VERSION = redis.REDIS_VERSION,
                     REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM}
set_metatable(library_api, {__index = function(_, name)
  error(messages.nonexistent_global:format(tostring(name)), 2)
end})
local load_globals = {redis = readonly(library_api)}
local active = globals
local library_env = set_metatable({}, {
  __index = function(_, name)
    local value = raw_get(active, name)
    if value == nil then error(messages.nonexistent_global:format(tostring(name)), 2) end
    return value
  end,
  __newindex = refuse_write,
  __metatable = false,
})
protected[library_env] = globals
local function load_error(err)
  err = as_error(err)
  if type(err) == "table" and type(raw_get(err, "err")) == "string" then return raw_get(err, "err") end
  return "ERR " .. tostring(err)
end

local api = {}
-- A script is compiled, then its bytecode rewritten without tail calls (bridge.keep_frames):
-- the libraries (cjson, struct...) are Lua functions here where Redis' are C, and a tail call
-- to a Lua function drops the script's frame, with it the "user_script:N:" of its errors.
local dump = string.dump
function api.compile(body)
  local chunk, problem = loadstring(body, "@user_script")
  if not chunk then return nil, problem end
  return in_env(loadstring(bridge.keep_frames(dump(chunk)), "@user_script"))
end
function api.set_arrays(keys, argv)
  globals.KEYS, globals.ARGV = keys, argv
end
-- A script (no arguments) or a function (called with its keys and arguments).
function api.run(script, keys, args)
  dbg.sethook(hook, "", bridge.hook_instructions)
  local run = script
  if keys then
    run = function()
      local result = script(keys, args)  -- not a tail call: the error handler names the function's line
      return result
    end
  end
  local ok, result = xpcall(run, error_handler)
  dbg.sethook()
  return ok, result
end
-- A library's load: its registrations (a table of names, each name's callback, flags and
-- description), or nil, the compile error (true when it failed to compile) and its text.
function api.load_library(code)
  local chunk, problem = loadstring(code, "@user_function")
  if not chunk then return nil, true, problem end
  chunk = loadstring(bridge.keep_frames(dump(chunk)), "@user_function")
  setfenv(chunk, library_env)
  registered, active = {names = {}}, load_globals
  dbg.sethook(hook, "", bridge.hook_instructions)
  local ok, err = xpcall(chunk, load_error)
  dbg.sethook()
  local result = registered
  registered, active = nil, globals
  if not ok then return nil, false, err end
  return result, false, false
end
function api.error_parts(err)
  return err.err, err.source, err.line
end
api.memory = function() return collectgarbage("count") end
return api
"""
