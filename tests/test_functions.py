"""FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP / RESTORE / STATS / KILL / HELP, FCALL and
FCALL_RO against redis-server 7.0, raw replies compared byte for byte (RESP2 and RESP3): the
metadata line, redis.register_function's forms and errors, the load-time sandbox, collisions,
the payload (a redis-server dump restores here and ours there), the run-time errors."""

from __future__ import annotations

import pytest

from .scripting_support import ExactDifferential
from .support import require_redis_server

pytestmark = pytest.mark.redis_server


def _open(real_redis, pika_server, resp: int) -> ExactDifferential:
    require_redis_server()
    differential = ExactDifferential(real_redis.port, pika_server.port, resp=resp)
    differential.both("FLUSHALL")
    differential.both("FUNCTION", "FLUSH")
    return differential


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def exact(request, real_redis, pika_server):
    differential = _open(real_redis, pika_server, request.param)
    yield differential
    differential.both("FUNCTION", "FLUSH")
    differential.both("FLUSHALL")
    differential.close()


def library(name: str, *body: str) -> str:
    return "\n".join((f"#!lua name={name}", *body))


REGISTER = "redis.register_function('{0}', function(keys, args) return {1} end)"

#: Library codes FUNCTION LOAD refuses (or accepts: their replies are compared either way).
LOADS = {
    "no shebang": "lua name=x\nreturn 1",
    "no newline": "#!lua name=x",
    "engine only": "#!lua",
    "unknown engine": "#!js name=x\n",
    "empty engine": "#! name=x\n",
    "engine in upper case": "#!LUA name=x\n" + REGISTER.format("f", "1"),
    "unknown option": "#!lua name=x foo=bar\n",
    "option before the engine check": "#!js foo=bar\n",
    "name without value": "#!lua name\n",
    "empty name": "#!lua name=\n",
    "bad name": "#!lua name=a-b\n",
    "name twice": "#!lua name=a name=b\n",
    "no name": "#!js\n",
    "tab separated": "#!lua name=a\tx\n",
    "double space": "#!lua  name=x\n" + REGISTER.format("f", "1"),
    "nothing registered": library("x", "return 1"),
    "compile error": library("x", "syntax error("),
    "redis.call at load": library("x", "redis.call('ping')"),
    "redis.pcall at load": library("x", "redis.pcall('ping')"),
    "redis.setresp at load": library("x", "redis.setresp(3)"),
    "math at load": library("x", "local v = math.random()"),
    "cjson at load": library("x", "local v = cjson"),
    "error at load": library("x", "error('boom')"),
    "global write at load": library("x", "foo = 1"),
    "arithmetic on nil": library("x", "local x = nil + 1"),
    "redis.log with no arguments": library("x", "redis.log()"),
    "log and register": library("x", "redis.log(redis.LOG_DEBUG, 'x', redis.REDIS_VERSION)",
                                REGISTER.format("f", "redis.REDIS_VERSION_NUM")),
    "bad function name": library("x", REGISTER.format("a-b", "1")),
    "empty function name": library("x", REGISTER.format("", "1")),
    "duplicate function": library("x", REGISTER.format("f", "1"), REGISTER.format("f", "2")),
    "number name": library("x", "redis.register_function(1, function() return 1 end)"),
    "no arguments": library("x", "redis.register_function()"),
    "three arguments": library("x", "redis.register_function('f', function() end, 1)"),
    "single string": library("x", "redis.register_function('f')"),
    "table name": library("x", "redis.register_function({}, function() end)"),
    "callback not a function": library("x", "redis.register_function('f', 1)"),
    "named": library("x", "redis.register_function{function_name='f', callback=function() return 1 end, "
                          "flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, "
                          "description='what f does'}"),
    "named, flags out of order": library("x", "redis.register_function{function_name='f', callback=function() end, "
                                              "flags={'no-cluster', 'no-writes', 'no-writes'}}"),
    "named without name": library("x", "redis.register_function{callback=function() end}"),
    "named without callback": library("x", "redis.register_function{function_name='f'}"),
    "named, name a table": library("x", "redis.register_function{function_name={}, callback=function() end}"),
    "named, callback a number": library("x", "redis.register_function{function_name='f', callback=1}"),
    "named, unknown argument": library("x", "redis.register_function{function_name='f', callback=function() end, "
                                            "foo=1}"),
    "named, numeric key": library("x", "redis.register_function{[1]=2}"),
    "named, unknown flag": library("x", "redis.register_function{function_name='f', callback=function() end, "
                                        "flags={'bad'}}"),
    "named, flags a string": library("x", "redis.register_function{function_name='f', callback=function() end, "
                                          "flags='no-writes'}"),
    "named, description a table": library("x", "redis.register_function{function_name='f', "
                                               "callback=function() end, description={}}"),
    "named, description a number": library("x", "redis.register_function{function_name='f', "
                                                "callback=function() end, description=1}"),
    "load timeout": library("x", "while true do end"),
}


@pytest.mark.parametrize("code", LOADS.values(), ids=LOADS.keys())
def test_load(exact, code):
    exact.check("FUNCTION", "LOAD", code)
    exact.check("FUNCTION", "LIST", "WITHCODE")


def test_functions_differing_in_case(exact):
    """Two functions of one library may differ only in case (FUNCTION LIST's order of them is
    Redis' hash order, not compared)."""
    exact.check("FUNCTION", "LOAD", library("x", REGISTER.format("f", "1"), REGISTER.format("F", "2")))
    exact.check("FUNCTION", "LOAD", library("y", REGISTER.format("F", "3")))


def test_load_options_and_collisions(exact):
    first = library("lib", REGISTER.format("f", "1"))
    exact.check("FUNCTION", "LOAD", first)
    exact.check("FUNCTION", "LOAD", first)
    exact.check("FUNCTION", "LOAD", library("lib", "syntax error("))
    exact.check("FUNCTION", "LOAD", library("other", REGISTER.format("F", "2")))
    exact.check("FUNCTION", "LOAD", "REPLACE", library("lib", REGISTER.format("g", "3")))
    exact.check("FCALL", "g", "0")
    exact.check("FCALL", "f", "0")
    exact.check("FUNCTION", "LOAD", "replace", "REPLACE", library("lib", REGISTER.format("f", "4")))
    exact.check("FCALL", "F", "0")
    exact.check("FUNCTION", "LOAD", "foo", library("x", REGISTER.format("h", "1")))
    exact.check("FUNCTION", "LOAD", "replace")
    exact.check("FUNCTION", "LOAD", library("Lib", REGISTER.format("h", "5")))
    exact.check("FUNCTION", "DELETE", "LIB")
    exact.check("FUNCTION", "DELETE", "lib")
    exact.check("FUNCTION", "LIST", "LIBRARYNAME", "LIB")  # library names are case-sensitive, patterns not
    exact.check("FUNCTION", "DELETE", "Lib")
    exact.check("FUNCTION", "DELETE", "Lib")
    exact.check("FUNCTION", "STATS")


def test_list(exact):
    exact.check("FUNCTION", "LIST")
    exact.check("FUNCTION", "LOAD", library("alpha", "redis.register_function{function_name='a1', "
                                                     "callback=function() return 1 end, flags={'no-writes'}, "
                                                     "description='first'}"))
    exact.check("FUNCTION", "LIST")
    exact.check("FUNCTION", "LOAD", library("beta", REGISTER.format("b1", "1")))
    for args in (("LIBRARYNAME", "al*"), ("LIBRARYNAME", "b?ta", "WITHCODE"), ("withcode", "libraryname", "beta"),
                 ("LIBRARYNAME", "AL*"), ("LIBRARYNAME", "nothing"), ("WITHCODE", "WITHCODE"), ("LIBRARYNAME",),
                 ("foo",), ("LIBRARYNAME", "a*", "LIBRARYNAME", "b*")):
        exact.check("FUNCTION", "LIST", *args)
    exact.check("FUNCTION", "STATS")


def test_delete_flush_stats_kill_help(exact):
    exact.check("FUNCTION", "LOAD", library("lib", REGISTER.format("f", "1")))
    exact.check("FUNCTION", "STATS")
    for args in (("DELETE",), ("DELETE", "a", "b"), ("DELETE", "nope"), ("DELETE", "lib"), ("DELETE", "lib"),
                 ("FLUSH", "bad"), ("FLUSH", "a", "b"), ("FLUSH", "async"), ("FLUSH", "SYNC"), ("FLUSH",),
                 ("STATS", "x"), ("KILL",), ("KILL", "x"), ("DUMP", "x"), ("HELP",), ("HELP", "x"), ("NOPE",),
                 ()):
        exact.check("FUNCTION", *args)
    exact.check("FCALL", "f", "0")
    exact.check("FUNCTION", "STATS")


CALLS = library(
    "calls",
    "local counter = 0",
    "local function helper() return string.format('%d', 5) end",
    "redis.register_function('count', function(keys, args) counter = counter + 1 return {counter, helper(), "
    "#keys, keys[1], args[1], args[2]} end)",
    "redis.register_function('globals', function(keys, args) return type(KEYS) end)",
    "redis.register_function('fails', function(keys, args) error('boom') end)",
    "redis.register_function('unknown', function(keys, args) return redis.call('nope') end)",
    "redis.register_function('setglobal', function(keys, args) g = 1 end)",
    "redis.register_function('missing', function(keys, args) return missing end)",
    "redis.register_function('writes', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
    "redis.register_function('error_table', function(keys, args) return redis.pcall('nope') end)",
    "redis.register_function('resp3', function(keys, args) redis.setresp(3) "
    "return redis.call('hgetall', keys[1]) end)",
    "redis.register_function{function_name='readonly', callback=function(keys, args) "
    "return redis.call('get', keys[1]) end, flags={'no-writes'}}",
    "redis.register_function{function_name='readonly_writes', callback=function(keys, args) "
    "return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}",
    "redis.register_function{function_name='noflags', callback=function() return 1 end, flags={}}",
    "redis.register_function('registers', function() return redis.register_function('late', function() end) end)",
    "redis.register_function('libraries', function() return cjson.encode({1, 2}) .. bit.tohex(65) .. "
    "struct.pack('>I2', 1) .. #cmsgpack.pack(1) end)",
)


def test_fcall(exact):
    exact.check("FUNCTION", "LOAD", CALLS)
    exact.check("HSET", "h", "f", "v")
    for args in (("FCALL", "count", "2", "a", "b", "x", "y"), ("FCALL", "COUNT", "0"), ("FCALL", "count", "0", "x"),
                 ("FCALL", "globals", "0"), ("FCALL", "fails", "0"), ("FCALL", "unknown", "0"),
                 ("FCALL", "setglobal", "0"), ("FCALL", "missing", "0"), ("FCALL", "writes", "1", "k", "v"),
                 ("GET", "k"), ("FCALL", "error_table", "0"), ("FCALL", "resp3", "1", "h"),
                 ("FCALL", "readonly", "1", "k"), ("FCALL_RO", "readonly", "1", "k"),
                 ("FCALL", "readonly_writes", "1", "k"), ("FCALL_RO", "readonly_writes", "1", "k"),
                 ("FCALL_RO", "writes", "1", "k", "v"), ("FCALL_RO", "noflags", "0"), ("FCALL", "libraries", "0"),
                 ("FCALL", "registers", "0"),
                 ("FCALL", "nope", "0"), ("FCALL", "nope", "x"), ("FCALL", "count", "x"),
                 ("FCALL", "count", "1.5"), ("FCALL", "count", "99999999999999999999"), ("FCALL", "count", "-1"),
                 ("FCALL", "count", "3", "a"), ("FCALL",), ("FCALL", "count"), ("FCALL_RO", "count")):
        exact.check(*args)


def test_dump_and_restore(exact):
    exact.check("FUNCTION", "DUMP")
    alpha = library("alpha", "redis.register_function{function_name='a1', callback=function() return 1 end, "
                             "flags={'no-writes'}, description='the first function, described at some length'}",
                    "-- enough code for redis-server to compress it: " + "padding " * 20)
    exact.check("FUNCTION", "LOAD", alpha)
    payload = exact.redis.call_raw("FUNCTION", "DUMP")
    assert exact.pika.call_raw("FUNCTION", "DUMP") != payload  # redis-server's is compressed, ours is not
    for args in (("RESTORE",), ("RESTORE", "abc"), ("RESTORE", "abc", "foo"), ("RESTORE", "abc", "APPEND", "x"),
                 ("RESTORE", b"\x0a\x00" + b"\x00" * 8)):
        exact.check("FUNCTION", *args)


def _dump(connection) -> bytes:
    raw = connection.call_raw("FUNCTION", "DUMP")
    header, _, rest = raw.partition(b"\r\n")
    assert header.startswith(b"$")
    return rest[:int(header[1:])]


def test_payloads_cross_servers(exact):
    """A dump of redis-server (LZF-compressed strings) restores here, ours restores there, and
    every policy and collision answers the same."""
    alpha = library("alpha", REGISTER.format("a1", "'alpha'"), "-- " + "padding " * 30)
    beta = library("beta", REGISTER.format("b1", "'beta'"))
    exact.redis.call_raw("FUNCTION", "LOAD", alpha)
    exact.redis.call_raw("FUNCTION", "LOAD", beta)
    from_redis = _dump(exact.redis)
    exact.pika.call_raw("FUNCTION", "LOAD", alpha)
    exact.pika.call_raw("FUNCTION", "LOAD", beta)
    from_pika = _dump(exact.pika)
    exact.both("FUNCTION", "FLUSH")
    for payload in (from_redis, from_pika):
        exact.check("FUNCTION", "RESTORE", payload)
        exact.check("FCALL", "a1", "0")
        exact.check("FUNCTION", "DELETE", "alpha")  # one collision: which is named first is Redis' hash order
        exact.check("FUNCTION", "RESTORE", payload)
        exact.check("FUNCTION", "RESTORE", payload, "append")
        exact.check("FUNCTION", "RESTORE", payload, "REPLACE")
        exact.check("FUNCTION", "DELETE", "beta")
        exact.check("FUNCTION", "LOAD", library("gamma", REGISTER.format("b1", "'gamma'")))
        exact.check("FUNCTION", "RESTORE", payload, "REPLACE")
        exact.check("FUNCTION", "RESTORE", payload, "FLUSH")
        exact.check("FUNCTION", "LIST", "LIBRARYNAME", "beta", "WITHCODE")
        exact.check("FCALL", "b1", "0")
        exact.check("FUNCTION", "FLUSH")
    corrupt = from_redis[:-1] + bytes((from_redis[-1] ^ 1,))
    newer = from_pika[:-10] + b"\x0b\x00" + from_pika[-8:]
    exact.check("FUNCTION", "RESTORE", corrupt)
    exact.check("FUNCTION", "RESTORE", newer)
    exact.check("FUNCTION", "RESTORE", from_redis[:-10])


def test_payload_records(exact):
    """Payloads whose records are not libraries (built with a valid checksum)."""
    from pypika_store import functions

    def sealed(body: bytes) -> bytes:
        body += b"\x0a\x00"
        return body + functions._CRC.pack(functions._crc64(body))

    same_name = functions.encode_payload([library("dup", REGISTER.format("d1", "1")).encode(),
                                          library("dup", REGISTER.format("d2", "1")).encode()])
    same_function = functions.encode_payload([library("one", REGISTER.format("d1", "1")).encode(),
                                              library("two", REGISTER.format("d1", "1")).encode()])
    for payload in (sealed(b"\x00\x01a"), sealed(b"\xf5\x05ab"), functions.encode_payload([b"x"]), same_name,
                    same_function, functions.encode_payload([library("q", "return 1").encode()])):
        exact.check("FUNCTION", "RESTORE", payload)
    exact.check("FUNCTION", "LIST")
