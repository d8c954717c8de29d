"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT against redis-server 7.0, raw replies compared
byte for byte: the Lua API, every conversion rule (RESP2 and RESP3), the sandbox, the error
texts (compile, runtime, redis.call, admission of a script's commands), shebang flags."""

from __future__ import annotations

import pytest

from .scripting_support import ExactDifferential
from .support import require_redis_server

pytestmark = pytest.mark.redis_server


@pytest.fixture
def exact(real_redis, pika_server):
    require_redis_server()
    differential = ExactDifferential(real_redis.port, pika_server.port)
    differential.both("FLUSHALL")
    differential.both("SCRIPT", "FLUSH")
    yield differential
    differential.both("FLUSHALL")
    differential.close()


@pytest.fixture
def exact3(real_redis, pika_server):
    require_redis_server()
    differential = ExactDifferential(real_redis.port, pika_server.port, resp=3)
    differential.both("FLUSHALL")
    yield differential
    differential.both("FLUSHALL")
    differential.close()


def _eval(body: str, *keys_then_args: str, keys: int = 0) -> tuple[str, ...]:
    return ("EVAL", body, str(keys), *keys_then_args)


#: Lua values a script returns, converted to the caller's reply.
RETURNS = {
    "integer": "return 1",
    "negative float truncated": "return -3.99",
    "float truncated": "return 3.99",
    "2^53": "return 2^53",
    "huge number": "return 1e300",
    "nan": "return 0/0",
    "infinity": "return 1/0",
    "string": "return 'x'",
    "empty string": "return ''",
    "true": "return true",
    "false": "return false",
    "nil": "return nil",
    "nothing": "local x = 1",
    "array stops at nil": "return {1, 2, 3.99, 'x', nil, 5}",
    "nested": "return {1, {2, {3, true, false}}, -3.5}",
    "status": "return {ok = 'fine'}",
    "status with newline": "return {ok = 'a\\r\\nb'}",
    "error table": "return {err = 'x y'}",
    "error with newline": "return {err = 'a\\nb'}",
    "errors inside an array": "return {1, 'a', {err = 'E x'}, {ok = 'fine'}}",
    "double": "return {double = 3.5}",
    "double infinity": "return {double = 1/0}",
    "map": "return {map = {a = 1}}",
    "set": "return {set = {a = true}}",
    "big number": "return {big_number = '123'}",
    "verbatim": "return {verbatim_string = {format = 'txt', string = 'hi'}}",
    "other table": "return {foo = 'bar'}",
    "function": "return function() end",
    "map inside array": "return {1, true, false, {map = {x = {1, 2}}}}",
    "resp3 booleans": "redis.setresp(3) return {true, false, nil}",
    "resp3 true": "redis.setresp(3) return true",
    "resp3 false": "redis.setresp(3) return false",
    "resp3 double": "redis.setresp(3) return {double = 2.5}",
}


@pytest.mark.parametrize("body", RETURNS.values(), ids=RETURNS.keys())
def test_return_values_resp2(exact, body):
    exact.check(*_eval(body))


@pytest.mark.parametrize("body", RETURNS.values(), ids=RETURNS.keys())
def test_return_values_resp3(exact3, body):
    exact3.check(*_eval(body))


#: What redis.call gives a script, as the script sees it (the script returns it or its type).
CALL_REPLIES = {
    "nil bulk is false": "return type(redis.call('get', 'nokey'))",
    "nil bulk returned": "return redis.call('get', 'nokey')",
    "status table": "return type(redis.call('ping')) .. redis.call('ping').ok",
    "status returned": "return redis.call('ping')",
    "integer": "return redis.call('exists', 'nokey')",
    "empty array": "return redis.call('hgetall', 'nokey')",
    "array": "redis.call('rpush', 'l', 'a', 'b') return redis.call('lrange', 'l', 0, -1)",
    "double as bulk": "redis.call('zadd', 'z', 1.5, 'm') return redis.call('zscore', 'z', 'm')",
    "withscores": "redis.call('zadd', 'z', 1.5, 'm') return redis.call('zrange', 'z', 0, -1, 'withscores')",
    "pcall error table": "redis.call('set', 's', 'x') local e = redis.pcall('lpush', 's', 'x') return e['err']",
    "pcall error returned": "redis.call('set', 's', 'x') return redis.pcall('lpush', 's', 'x')",
    "pcall unknown command": "return redis.pcall('nosuch')",
    "number arguments": "redis.call('set', 'a', 1.5) redis.call('set', 'b', 2^53) "
                        "return {redis.call('get', 'a'), redis.call('get', 'b')}",
    "select is the script's": "redis.call('select', '1') redis.call('set', 'in1', 'x') return redis.call('dbsize')",
    "resp3 map": "redis.call('hset', 'h', 'a', '1') redis.setresp(3) return redis.call('hgetall', 'h')",
    "resp3 map seen": "redis.call('hset', 'h', 'a', '1') redis.setresp(3) return redis.call('hgetall', 'h').map.a",
    "resp3 null is nil": "redis.setresp(3) return type(redis.call('get', 'nokey'))",
    "resp3 double": "redis.call('zadd', 'z', 1.5, 'm') redis.setresp(3) return redis.call('zscore', 'z', 'm')",
    "resp3 double seen": "redis.call('zadd', 'z', 1.5, 'm') redis.setresp(3) "
                         "return redis.call('zscore', 'z', 'm').double",
    "resp3 set": "redis.call('sadd', 's1', 'a') redis.setresp(3) return redis.call('smembers', 's1')",
    "resp3 set seen": "redis.call('sadd', 's1', 'a') redis.setresp(3) return redis.call('smembers', 's1').set.a",
    "resp3 status": "redis.setresp(3) return redis.call('ping')",
    "resp3 error": "redis.setresp(3) return redis.pcall('nosuchcmd')",
    "resp3 back to 2": "redis.call('zadd', 'z', 1.5, 'm') redis.setresp(3) redis.setresp(2) "
                       "return redis.call('zscore', 'z', 'm')",
}


@pytest.mark.parametrize("body", CALL_REPLIES.values(), ids=CALL_REPLIES.keys())
def test_command_replies_in_lua(exact, body):
    exact.check(*_eval(body))
    exact.check("DBSIZE")


#: The Lua API besides redis.call.
API = {
    "error_reply": "return redis.error_reply('boom')",
    "error_reply with dash": "return redis.error_reply('-boom')",
    "error_reply with code": "return redis.error_reply('-X boom\\r\\n')",
    "error_reply lowercase": "return redis.error_reply('x y')",
    "error_reply bad": "return redis.error_reply(5)",
    "error_reply none": "return redis.error_reply()",
    "error_reply bad is a table": "local x = redis.error_reply(5) return type(x)",
    "status_reply": "return redis.status_reply('fine')",
    "status_reply bad": "return redis.status_reply({})",
    "sha1hex": "return redis.sha1hex('')",
    "sha1hex number": "return redis.sha1hex(5)",
    "sha1hex no argument": "return redis.sha1hex()",
    "version": "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}",
    "log": "return redis.log(redis.LOG_WARNING, 'hi', 'there')",
    "log fraction level": "return redis.log(1.5, 'y')",
    "log bad level": "return redis.log(99, 'hi')",
    "log level not a number": "return redis.log('x', 'y')",
    "log one argument": "return redis.log(redis.LOG_WARNING)",
    "constants": "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, "
                 "redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "set_repl": "return redis.set_repl(redis.REPL_ALL)",
    "set_repl string": "return redis.set_repl('1')",
    "set_repl bad": "return redis.set_repl(99)",
    "set_repl none": "return redis.set_repl()",
    "setresp bad": "return redis.setresp(4)",
    "setresp string": "return redis.setresp('3')",
    "setresp none": "return redis.setresp()",
    "replicate_commands": "return redis.replicate_commands()",
    "breakpoint": "return redis.breakpoint()",
    "debug": "return redis.debug('x')",
    "call without arguments": "return redis.call()",
    "call with a table": "return redis.call({})",
    "call with a table argument": "return redis.call('set', 'a', {})",
    "call with nil": "return redis.call('set', 'a', nil)",
    "pcall with a table": "return redis.pcall({})",
    "KEYS and ARGV": "return {#KEYS, #ARGV}",
    "libraries": "return string.format('%d', 5) .. math.floor(2.5) .. table.concat({1, 2})",
    "loadstring": "return loadstring('return 1')()",
    "pcall error": "return tostring(pcall(error))",
    "pcall of redis.call": "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}",
    "pcall of an error table": "return {pcall(function() error({err = 'E x', 1}) end)}",
    "pcall of another table": "local ok, e = pcall(function() error({foo = 'x'}) end) return type(e)",
    "pcall of a string": "return {pcall(function() error('plain') end)}",
    "pcall of nothing": "return {pcall()}",
    "pcall results": "return {pcall(function() return 1, 2 end)}",
    "xpcall handler gets the table": "return {xpcall(function() return redis.call('nosuch') end, "
                                     "function(e) return type(e) .. e.err end)}",
    "xpcall of redis.call": "return xpcall(function() return redis.call('nosuch') end, "
                            "function(e) return e.err end)",
    "type of redis.call": "return type(redis.call)",
    "error in a coroutine": "local co = coroutine.create(function() redis.call('nosuch') end) "
                            "return {coroutine.resume(co)}",
    "error of coroutine.wrap": "return coroutine.wrap(function() redis.call('nosuch') end)()",
    "error()": "error()",
    "error(123)": "error(123)",
    "error in a metamethod": "local t = setmetatable({}, {__index = function() error('x') end}) return t.a",
    "binary strings": "return redis.call('echo', string.char(0, 255))",
    "err and ok": "return {err = 'x', ok = 'y'}",
    "ok not a string": "return {ok = 5}",
    "double not a number": "return {double = 'x'}",
    "error inside a map": "return {map = {a = {err = 'E e'}}}",
    "tostring": "return tostring(1e15) .. ' ' .. tostring(0.1)",
}


@pytest.mark.parametrize("body", API.values(), ids=API.keys())
def test_lua_api(exact, body):
    exact.check(*_eval(body))


#: What the sandbox allows and refuses.
SANDBOX = {
    "globals": "local out = {} for _, n in ipairs({'assert', 'collectgarbage', 'error', 'gcinfo', 'getfenv', "
               "'getmetatable', 'ipairs', 'load', 'loadstring', 'module', 'newproxy', 'next', 'pairs', 'pcall', "
               "'rawequal', 'rawget', 'rawset', 'require', 'select', 'setfenv', 'setmetatable', 'tonumber', "
               "'tostring', 'type', 'unpack', 'xpcall', 'coroutine', 'string', 'table', 'math', 'os', 'io', "
               "'package', '_VERSION', '_G', 'KEYS', 'ARGV', 'print', 'dofile', 'loadfile', 'debug', 'redis', "
               "'__redis__err__handler'}) do out[#out + 1] = n .. '=' .. type(rawget(_G, n)) end return out",
    "missing global": "return x",
    "os": "return os.time()",
    "print": "print('hi') return 1",
    "debug": "return debug.getinfo(1)",
    "new global": "x = 1",
    "new global function": "function f() end",
    "_G field": "_G.x = 1",
    "rawset on _G": "rawset(_G, 'x', 1) return x",
    "setmetatable on _G": "setmetatable(_G, nil)",
    "library table": "string.foo = 1",
    "redis table": "redis.call = nil",
    "local tables": "local t = {} t.x = 1 return t.x",
    "loadstring global": "local f = loadstring('y = 1') f() return 1",
    "getmetatable": "local t = getmetatable(_G) return 1",
    "_G is a table": "return type(_G)",
}


@pytest.mark.parametrize("body", SANDBOX.values(), ids=SANDBOX.keys())
def test_sandbox(exact, body):
    exact.check(*_eval(body))


#: The libraries Redis adds (server/scripting/libraries, tested at length in
#: test_lua_libraries.py) as a script on the server sees them: installed, read-only, their errors
#: placed at the script's line as a C function's are.
LIBRARIES = {
    "cjson": "return cjson.encode({1, 2, {a = 3}})",
    "cjson error": "return cjson.decode('{')",
    "cjson error in a local": "local t = cjson.decode('[1,')",
    "cmsgpack": "return cmsgpack.unpack(cmsgpack.pack({1, 2, 'x'}))",
    "cmsgpack error": "local t = cmsgpack.unpack('\\193')",
    "bit": "return {bit.band(0xff, 0x0f), bit.tohex(-1), bit.lshift(1, 31)}",
    "bit error": "return bit.band('x')",
    "struct": "return struct.pack('>I2s', 258, 'ab')",
    "struct error": "return struct.pack('q', 1)",
    "read-only library": "cjson.encode = nil",
    "read-only global": "cjson = 1",
}


@pytest.mark.parametrize("body", LIBRARIES.values(), ids=LIBRARIES.keys())
def test_libraries(exact, body):
    exact.check(*_eval(body))


#: Failing scripts: the error texts.
ERRORS = {
    "compile": "return 1 +",
    "runtime": "error('boom')",
    "error table": "error({err = 'MY boom'})",
    "second line": "local x = 1\nerror('boom')",
    "arithmetic": "return nil + 1",
    "redis.call error": "redis.call('set', 's', 'abc') return redis.call('incr', 's')",
    "unknown command": "return redis.call('nosuch')",
    "wrong arity": "return redis.call('set', 'a')",
    "wrong arity of a fixed command": "return redis.call('incr', 'a', 'b')",
    "unknown subcommand": "return redis.call('config', 'nosuch')",
    "container alone": "return redis.call('config')",
    "multi": "return redis.call('multi')",
    "blocking": "return redis.call('blpop', 'nol', 0)",
    "subscribe": "return redis.call('subscribe', 'c')",
    "hello": "return redis.call('hello', '3')",
    "client": "return redis.call('client', 'list')",
    "script": "return redis.call('script', 'load', 'return 1')",
    "eval": "return redis.call('eval', 'return 1', '0')",
    "eval_ro": "return redis.call('eval_ro', 'return 1', '0')",
    "inside a function": "local function f() return redis.call('nosuch') end return f()",
    "pcall then call": "redis.pcall('nosuch') return redis.call('nosuch')",
}


@pytest.mark.parametrize("body", ERRORS.values(), ids=ERRORS.keys())
def test_script_errors(exact, body):
    exact.check(*_eval(body))


def test_read_only_scripts(exact):
    exact.check("EVAL_RO", "return redis.call('set', 'a', 'b')", "0")
    exact.check("EVAL_RO", "return redis.call('get', 'a')", "0")
    exact.check("EVAL_RO", "return redis.pcall('set', 'a', 'b')", "0")
    exact.check("EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "0")
    exact.check("EVAL", "#!lua flags=no-writes\nreturn redis.call('publish', 'c', 'm')", "0")
    sha = exact.check("SCRIPT", "LOAD", "return redis.call('set', 'a', 'b')").split(b"\r\n")[1]
    exact.check("EVALSHA_RO", sha, "0")
    exact.check("EVALSHA", sha, "0")
    exact.check("DBSIZE")


@pytest.mark.parametrize("body", [
    "#!lua flags=no-writes,allow-stale,no-cluster,allow-oom,allow-cross-slot-keys\nreturn 1",
    "#!lua flags=\nreturn redis.call('set', 'a', '1')",
    "#!lua  flags=no-writes  \nreturn 1",
    "#!lua\nreturn 1",
    "#!lua\nreturn redis.call('get', KEYS[1])",
    "#!lua flags=bad\nreturn 1",
    "#!lua flags=no-writes x=1\nreturn 1",
    "#!lua name=x\nreturn 1",
    "#!lua",
    "#!luax\nreturn 1",
    "#!python\nreturn 1",
    "#!lua\nreturn 1 +",
    "#!lua\n\nerror('on line three')",
], ids=["all flags", "empty flags", "spaces", "no flags", "keys", "bad flag", "bad option", "name",
        "no newline", "engine", "other engine", "compile", "line numbers"])
def test_shebang(exact, body):
    exact.check("EVAL", body, "1", "k")


def test_keys_and_arguments(exact):
    exact.check("EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "k", "a")
    exact.check("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", "2", "k1", "k2", "a1", "a2")
    exact.check("EVAL", "return #ARGV", "0", "a", "b", "c")
    exact.check("EVAL", "return 1", "-1")
    exact.check("EVAL", "return 1", "2", "a")
    exact.check("EVAL", "return 1", "x")
    exact.check("EVAL", "return 1 +", "x")
    exact.check("EVAL", "return 1")
    exact.check("EVALSHA", "nosuch", "x")


def test_evalsha_and_script_cache(exact):
    exact.check("SCRIPT", "EXISTS", "a", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    exact.check("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0")
    exact.check("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0")
    exact.check("EVALSHA", "fff", "0")
    exact.check("EVAL", "return 1", "0")  # EVAL caches the script
    exact.check("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB")
    exact.check("EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0")
    exact.check("SCRIPT", "LOAD", "return 'x'")
    exact.check("EVALSHA", "573cd020e2fc941d149285df8b681959190edd09", "0")
    exact.check("EVALSHA_RO", "573cd020e2fc941d149285df8b681959190edd09", "0")
    exact.check("SCRIPT", "LOAD", "return 1 +")
    exact.check("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1")
    exact.check("SCRIPT", "FLUSH")
    exact.check("SCRIPT", "EXISTS", "573cd020e2fc941d149285df8b681959190edd09")
    exact.check("EVALSHA", "573cd020e2fc941d149285df8b681959190edd09", "0")


@pytest.mark.parametrize("command", [
    ("SCRIPT", "FLUSH", "ASYNC"), ("SCRIPT", "FLUSH", "sync"), ("SCRIPT", "FLUSH", "x"),
    ("SCRIPT", "FLUSH", "SYNC", "x"), ("SCRIPT", "KILL"), ("SCRIPT", "KILL", "x"), ("SCRIPT", "LOAD"),
    ("SCRIPT", "EXISTS"), ("SCRIPT", "FOO"), ("SCRIPT",), ("EVAL",), ("EVALSHA", "x"), ("EVAL_RO", "x"),
    ("EVALSHA_RO",),
])
def test_script_command_errors(exact, command):
    exact.check(*command)


def test_script_help(pika_server):
    """SCRIPT HELP lists the subcommands there are (Redis' without DEBUG: see docs/scripting.md)."""
    lines = pika_server.client().execute_command("SCRIPT", "HELP")
    assert lines[0] == b"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert [line for line in lines if not line.startswith(b" ")][1:] == [
        b"EXISTS <sha1> [<sha1> ...]", b"FLUSH [ASYNC|SYNC]", b"KILL", b"LOAD <script>", b"HELP"]


def test_script_flush_resets_the_interpreter(r):
    r.eval("return 1", 0)
    assert r.info("memory")["number_of_cached_scripts"] == 1
    assert r.info("memory")["used_memory_lua"] > 0
    assert r.script_flush() is True
    assert r.info("memory")["number_of_cached_scripts"] == 0
    assert r.script_exists("e0e1f9fabfc9d4800c877a703b823ac0578ff8db") == [False]


def test_commands_in_scripts_are_counted(r):
    r.config_resetstat()
    r.eval("redis.call('set', 'a', '1') redis.call('get', 'a') redis.call('get', 'a')", 0)
    stats = r.info("commandstats")
    assert stats["cmdstat_eval"]["calls"] == 1
    assert stats["cmdstat_get"]["calls"] == 2 and stats["cmdstat_set"]["calls"] == 1


def test_time_is_frozen_for_expiry(r):
    """A key that expires while a script runs still exists for the rest of the script."""
    r.set("k", "v", px=30)
    assert r.eval("""
        local seen = redis.call('exists', KEYS[1])
        local started = redis.call('time')
        repeat local now = redis.call('time')
        until (now[1] - started[1]) * 1000000 + (now[2] - started[2]) > 60000
        return {seen, redis.call('exists', KEYS[1])}""", 1, "k") == [1, 1]
    assert r.exists("k") == 0


@pytest.mark.parametrize("name", ["eval", "evalsha", "eval_ro", "evalsha_ro"])
def test_command_info(exact, name):
    exact.check("COMMAND", "INFO", name)
