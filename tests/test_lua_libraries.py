"""cjson, cmsgpack, bit and struct (server/scripting/libraries) against redis-server's own.

Each case is a script run as ``EVAL script 0`` on a fresh redis-server Lua state (``SCRIPT FLUSH``
first: the libraries' settings persist within a state) and in a fresh lupa runtime with our
libraries installed; the Lua result is converted the way Redis converts a script's return value,
errors compared by their text. Our side compiles each script through
``tailcalls.without_tail_calls``, as the scripting code should, so ``return f(x)`` keeps the
script's frame and errors their ``user_script:N:`` position, as with Redis' C functions.
"""

from __future__ import annotations

import math
from typing import Any

import lupa.lua51 as lua51
import pytest
import redis
from hypothesis import HealthCheck, given, settings, strategies as st

from pypika_store.server.scripting.libraries import install
from pypika_store.server.scripting.libraries.tailcalls import without_tail_calls

pytestmark = pytest.mark.redis_server

INT64_MIN = -(1 << 63)


class ScriptError(str):
    """A script's error text, without Redis' "script: <sha>, on @user_script:N." suffix."""


def c_integer(number: float) -> int:
    """Redis' ``(long long)`` of a Lua number (x86-64: NaN and out of range give INT64_MIN)."""
    if number != number or not -(2.0 ** 63) <= number < 2.0 ** 63:
        return INT64_MIN
    return int(number)


def redis_reply(value: Any) -> Any:
    """A Lua value as Redis 7.0 turns a script's return value into a RESP2 reply."""
    kind = lua51.lua_type(value)
    if kind == "table":
        items, index = [], 1
        while value[index] is not None:
            items.append(redis_reply(value[index]))
            index += 1
        return items
    if kind is not None:  # functions, userdata (cjson.null), threads
        return None
    if value is True:
        return 1
    if value is False or value is None:
        return None
    if isinstance(value, (int, float)):
        return c_integer(value)
    return value


def run_ours(script: str, keep_frames: bool = True) -> Any:
    runtime = lua51.LuaRuntime(encoding=None)
    install(runtime)
    load = runtime.eval("loadstring")
    compiled = load(script.encode("utf-8"), b"@user_script")
    if keep_frames:
        compiled = load(without_tail_calls(runtime.eval("string.dump")(compiled)), b"@user_script")
    try:
        result = compiled()
    except lua51.LuaError as error:
        return ScriptError(str(error).split("\nstack traceback")[0])
    # Redis keeps a script's first return value.
    return redis_reply(result[0] if isinstance(result, tuple) else result)


def run_redis(client: redis.Redis, script: str) -> Any:
    client.script_flush()
    try:
        return client.eval(script, 0)
    except redis.ResponseError as error:
        text = str(error).split(" script: ")[0]
        return ScriptError(text[4:] if text.startswith("ERR ") else text)


def assert_same_as_redis(client: redis.Redis, script: str) -> None:
    assert run_ours(script) == run_redis(client, script)


@pytest.fixture(scope="module")
def lua_redis(real_redis):
    client = real_redis.client()
    yield client
    client.script_flush()
    client.close()


LIBRARY_CASES = [  # pairs() order included: the fields are inserted as the C modules insert them
    f"local t = {{}} for k, v in pairs({library}) do t[#t + 1] = k .. '=' .. type(v) end return t"
    for library in ("cjson", "cjson.new()", "cmsgpack", "bit", "struct")
]

CJSON_CASES = [
    "return {cjson._NAME, cjson._VERSION, type(cjson.null), tostring(cjson.null)}",
    "local t = {} for k, v in pairs(cjson) do t[#t + 1] = k .. '=' .. type(v) end table.sort(t) return t",
    "local t = {} for k in pairs(cjson.new()) do t[#t + 1] = k end table.sort(t) return t",
    "local c = cjson.new() c.encode_max_depth(1) return {c.encode_max_depth(), cjson.encode_max_depth(), c.null == cjson.null}",
    "return (cjson.encode({1, 2, 3, {a = 1}, {}, 'x', true, false}))",
    "return (cjson.encode({a = 1, b = 2, c = 3, [1] = 4, [2.5] = 5, [-1] = 6}))",
    "return (cjson.encode({[1] = 1, [2] = 2, [4] = 4}))",
    "return (cjson.encode({[1] = 1, [11] = 2}))",
    "return (cjson.encode({[10] = 2}))",
    "return (cjson.encode({[11] = 2}))",
    "return (cjson.encode({[1] = 1, [2^31] = 1}))",
    "return (cjson.encode({[2^31] = 1, [1] = 1}))",
    "return (cjson.encode({[0] = 1, [-0.0] = 2}))",
    "return (cjson.encode({[1/0] = 1}))",
    "return (cjson.encode({[true] = 1}))",
    "return (cjson.encode({[{}] = 1}))",
    "return (cjson.encode(function() end))",
    "return (cjson.encode({coroutine.create(function() end)}))",
    "return (cjson.encode(cjson.null))",
    "return (cjson.encode({cjson.null, nil, 3}))",
    "return (cjson.encode('\\0\\1\\8\\9\\10\\12\\13\\31 \"\\\\/\\127\\128\\255 é'))",
    "return {cjson.encode(-0.0), cjson.encode(1e300), cjson.encode(123456789012345678), cjson.encode(0.1),"
    " cjson.encode(-1.5e-7), cjson.encode(2^53), cjson.encode(1/3)}",
    "return (cjson.encode(0/0))",
    "return (cjson.encode(-1/0))",
    "return {cjson.encode_invalid_numbers('on'), cjson.encode({1/0, -1/0, 0/0, -(0/0)})}",
    "return {cjson.encode_invalid_numbers('null'), cjson.encode({1/0, 2, 3.5, [1.5] = 0/0})}",
    "return {cjson.encode_invalid_numbers(true), cjson.encode_invalid_numbers(false), cjson.encode_invalid_numbers()}",
    "return (cjson.encode_invalid_numbers('x'))",
    "return (cjson.encode_invalid_numbers(1))",
    "return {cjson.encode_sparse_array()}",
    "return {cjson.encode_sparse_array(true, 0, 1), cjson.encode({[1] = 1, [30] = 2})}",
    "return {cjson.encode_sparse_array('on'), cjson.encode({[1] = 1, [20] = 2})}",
    "return {cjson.encode_sparse_array(nil, nil, 5)}",
    "return {cjson.encode_sparse_array(false, 1, 0), cjson.encode({[1] = 1, [3] = 2})}",
    "return (cjson.encode_sparse_array(1))",
    "return (cjson.encode_sparse_array(nil, -1))",
    "local ok = pcall(cjson.encode_sparse_array, true, -1) return {cjson.encode_sparse_array()}",
    "return (cjson.encode_sparse_array(true, 2, 3, 4))",
    "return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()}",
    "return (cjson.encode_max_depth(0))",
    "return (cjson.encode_max_depth('x'))",
    "return {cjson.encode_max_depth(5.5), cjson.encode_max_depth('7'), cjson.encode_max_depth(2^32 + 5)}",
    "return (cjson.encode_max_depth(2^40))",
    "return (cjson.encode_number_precision(15))",
    "return (cjson.encode_number_precision(15, 3))",
    "return {cjson.encode_number_precision(3), cjson.encode({1/3, 12345, 0.1})}",
    "return {cjson.encode_keep_buffer(false), cjson.encode_keep_buffer()}",
    "return (cjson.encode_keep_buffer('null'))",
    "return {cjson.encode_invalid_numbers('null\\0x'), cjson.encode_keep_buffer('off\\0')}",
    "return (cjson.encode_invalid_numbers(string.rep('n', 120) .. '\\0tail'))",
    "return {cjson.decode_invalid_numbers(false), cjson.decode_invalid_numbers()}",
    "return (cjson.encode())",
    "return (cjson.encode(1, 2))",
    "return (cjson.decode())",
    "return (cjson.decode({}))",
    "return {cjson.decode(1), cjson.decode(1.5)}",
    "return {cjson.encode_max_depth(2), pcall(cjson.encode, {{{1}}})}",
    "return {cjson.encode_max_depth(2), pcall(cjson.encode, {{1}})}",
    "return {cjson.decode_max_depth(2), pcall(cjson.decode, '[[[1]]]')}",
    "return {cjson.decode_max_depth(2), pcall(cjson.decode, '  [ [ {\"a\":1}]]')}",
    "return (cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001)))",
    "return (#cjson.encode(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))))",
    "return {cjson.decode_max_depth(10000), pcall(cjson.decode, string.rep('[', 8000) .. string.rep(']', 8000))}",
    "return {cjson.decode_max_depth(10000), pcall(cjson.decode, string.rep('{\"a\":', 4000) .. string.rep('}', 4000))}",
    "return {cjson.decode_max_depth(10000), pcall(cjson.decode, '[' .. string.rep('{\"a\":', 3999) .. '1' .. string.rep('}', 3999) .. ']')}",
    "local t = {} local c = t for i = 1, 8000 do c[1] = {} c = c[1] end cjson.encode_max_depth(100000)"
    " local ok, e = pcall(cjson.encode, t) return e",
    "local t = {} local c = t for i = 1, 5000 do c.a = {} c = c.a end cjson.encode_max_depth(100000)"
    " local ok, e = pcall(cjson.encode, t) return e",
    "local ok, e = pcall(cjson.decode, 'x') return e",
    "local ok, e = pcall(cjson.encode) return e",
    "local t = {x = cjson.encode} return (t:x('y'))",
    "local t = {x = cjson.decode} return (t:x())",
    "local f = cjson.encode return (f())",
]

# Documents for cjson.decode: each becomes `return {pcall(...)}`-free cases below.
JSON_DOCUMENTS = [
    '"\\u00e9\\ud83d\\ude00\\u0000x"', '"\\ud83d"', '"\\ude00"', '"\\ud83dx"', '"\\ud83d\\u0041"',
    '"\\u12"', '"\\u12g4"', '"\\x"', '"abc', '"a\\0bc"', '"a\\1\\10bc"', '"ab\\\\x"', '[1, "ab\\\\u00"]',
    '[1,2', '[1,2,]', '[1 2]', '{"a" 1}', '{"a":1,}', '{1:2}', '{"a":1 "b"}', '', '   ', '[1]x',
    '[1] ]', '[1]\\0x', 'a\\0', '\\0a', 'tru', 'nul', 'fals', '+1', '-', '1.5e', '0x10', '-0x1p3',
    '0x', '012', '.5', '-.5', '5.', '1E2', '1e+2', '1e-2', '[1e5, -0, 1.5E+3]', '12345678901234567890',
    '1e400', '-1e400', '[Infinity, -Infinity, inf, -inf]', '[true,false,null]', '{"a":null}',
    '{"a":1,"a":2}', ' \\t\\r\\n[ \\t1 ,\\n2]  ', '"\\\\/\\\\b\\\\f\\\\n\\\\r\\\\t\\\\"\\\\\\\\"',
    '{"a":{"b":[1,{"c":"d"}]}}', '[[],{}]', '{"1":2,"2":3}', 'nan', 'x', '@', '[1,@]', '{"a":1,"b"}',
]


def _decode_cases() -> list[str]:
    cases = []
    for document in JSON_DOCUMENTS:
        literal = "'" + document.replace("'", "\\'") + "'"
        cases.append(f"local v = cjson.decode({literal}) return {{type(v), type(v) ~= 'table' and tostring(v) or '', cjson.encode(v)}}")
        cases.append(f"return (cjson.decode({literal}))")
    cases.append("return {cjson.decode_invalid_numbers(false), pcall(cjson.decode, '0x10')}")
    cases.append("return {cjson.decode_invalid_numbers(false), pcall(cjson.decode, '[1, -inf]')}")
    cases.append("return {cjson.decode_invalid_numbers(false), pcall(cjson.decode, '012')}")
    cases.append("return {cjson.decode_invalid_numbers(false), pcall(cjson.decode, 'NaN')}")
    cases.append("return {cjson.decode_invalid_numbers(false), pcall(cjson.decode, '+1')}")
    return cases


BIT_CASES = [
    "return {bit.tobit(2^32 + 5), bit.tobit(2^31), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-2.5),"
    " bit.tobit(0/0), bit.tobit(1/0), bit.tobit(2^52 + 7), bit.tobit(2^53 + 7), bit.tobit(2^60 + 123456789),"
    " bit.tobit(-2^60 - 3), bit.tobit(2^31 - 0.5), bit.tobit(-0.5), bit.tobit(0.5), bit.tobit(1.5e300)}",
    "return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(255, 10),"
    " bit.tohex(255, 0), bit.tohex(255, -2^31), bit.tohex(255, 2^32 + 3), bit.tohex('0x10'), bit.tohex(2^31)}",
    "return {bit.bnot(0), bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(7, 2), bit.band(5), bit.band('0'),"
    " bit.bor(1, '  12  '), bit.bxor(-1, 2^32 + 1, 3, 4)}",
    "return {bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(1, -1), bit.rshift(-1, 4),"
    " bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678),"
    " bit.rshift(1, 2.7), bit.rol(1, 0), bit.ror(1, 32), bit.arshift(2^31, 31)}",
    "return (bit.tohex())", "return (bit.tohex('x'))", "return (bit.tohex(1, 'x'))", "return (bit.band())",
    "return (bit.band(1, 'x', {}))", "return (bit.band(1, nil))", "return (bit.lshift(1))",
    "return (bit.lshift())", "return (bit.rol('a', 1))", "return (bit.bswap({}))", "return (bit.tobit(true))",
    "return (bit.tobit(nil))", "local f = bit.band return (f('x'))", "local t = {x = bit.band} return (t:x())",
    "local t = {x = bit.band} return (t.x(nil))", "local ok, e = pcall(bit.band, 'x') return e",
    "local function f() local r = bit.band('x') return r end return (f())",
]

STRUCT_CASES = [
    "return {struct.pack('>i', 1), struct.pack('<h', -2), struct.pack('b', 200), struct.pack('B', -1)}",
    "return (struct.pack('=i', 1))",
    "return {struct.pack('>I8', 2^64), struct.pack('>I8', 2^63), struct.pack('>i8', -2^70), struct.pack('>i8', 0/0),"
    " struct.pack('>i8', 1/0), struct.pack('>i8', -1/0), struct.pack('>i4', 2^40 + 5), struct.pack('>i2', 1.7),"
    " struct.pack('>i2', -1.7), struct.pack('>i16', -1), struct.pack('>i9', -1), struct.pack('>i0', -1)}",
    "return {struct.pack('>I8', 2^64 + 2^13), struct.pack('>I8', 1.8e19), struct.pack('>I8', 1e30),"
    " struct.pack('>b', 2^63), struct.pack('>i8', 2^63 + 2^12), struct.pack('>I', -1), struct.pack('>I', 2^32 + 7)}",
    "return (struct.pack('>i33', -1))", "return (struct.pack('>i99999999999', -1))",
    "return (struct.pack('!3i', 1))", "return (struct.pack('!0'))",
    "return {struct.pack('!4bi', 1, 2), struct.pack('!bi', 1, 2), struct.pack('!8bd', 1, 2), struct.pack('!16bd', 1, 2),"
    " struct.pack('bxi', 1, 2), struct.pack('!i', 1), struct.pack('!2bi', 1, 2), struct.pack('!4bi3', 1, 2),"
    " struct.pack('!4bbi3', 1, 2, 3), struct.pack('!4bbbi3', 1, 2, 3, 4), struct.pack('>!4 b h', 1, 2)}",
    "return {struct.pack('s', 'ab'), struct.pack('c', 'ab'), struct.pack('c0', 'ab'), struct.pack('c1', 'ab'),"
    " struct.pack('s', 'a\\0b'), struct.pack('c', 5), struct.pack('s', 12), struct.pack('i', '12'),"
    " struct.pack('>i', '0x10'), struct.pack(' > i ', 1), struct.pack('i\\0i', 1, 2)}",
    "return (struct.pack('z', 'ab'))", "return (struct.pack('c3', 'ab'))", "return (struct.pack('i'))",
    "return (struct.pack('ii', 1))", "return (struct.pack('i', 'x'))", "return (struct.pack('s', {}))",
    "return (struct.pack('s', true))", "return (struct.pack())", "return (struct.pack(12))",
    "return {struct.pack('>f', 1/3), struct.pack('>f', 1e300), struct.pack('>d', 0.1), struct.pack('>d f', 0.1, 2),"
    " struct.pack('>f', 0/0), struct.pack('>d', 0/0), struct.pack('>f', -(0/0)), struct.pack('>f', 3.4028235677973366e38),"
    " struct.pack('>f', 3.4028234663852886e38), struct.pack('>f', 1e-46), struct.pack('<d', -0.0)}",
    "return {struct.pack('T L l', 1, 2, 3), struct.pack('H h', 65535, -1)}",
    "return {struct.pack('<f >f <d >d', -0.0, -0.0, -0.0, -0.0), struct.pack('f d', 0.0, 0)}",
    "return {tostring(struct.unpack('>d', struct.pack('>d', -0.0))), tostring(struct.unpack('<f', struct.pack('<f', -0.0)))}",
    "return {struct.size('>i'), struct.size('!8bd'), struct.size('c5'), struct.size('z'), struct.size('i3bi'),"
    " struct.size('!'), struct.size(5), struct.size('!4 b d')}",
    "return (struct.size('s'))", "return (struct.size('c0'))", "return (struct.size('!3'))",
    "return (struct.size())", "return (struct.size('?'))",
    "return {struct.unpack('>i', '\\0\\0\\1\\0')}", "return {struct.unpack('>i', '\\0\\0\\1')}",
    "return {struct.unpack('>i', '\\0\\0\\1\\0\\1', 2)}", "return {struct.unpack('>i', '\\0\\0\\1\\0\\1', 3)}",
    "return {struct.unpack('>i', '\\0\\0\\1\\0\\1', 0)}", "return {struct.unpack('>i', '\\0\\0\\1\\0\\1', -1)}",
    "return {struct.unpack('>i', '\\0\\0\\1\\0\\1', 1.9)}", "return {struct.unpack('>i', '\\0\\0\\1\\0\\1', 2^53)}",
    "return {struct.unpack('s', 'ab\\0cd')}", "return {struct.unpack('s', 'abcd')}",
    "return {struct.unpack('bc0', '\\2abc')}", "return {struct.unpack('c2', 'abc')}", "return {struct.unpack('c4', 'abc')}",
    "return {struct.unpack('c0', 'abc')}", "return {struct.unpack('c1c0', '3abc')}", "return {struct.unpack('bc0', '\\255abc')}",
    "return {struct.unpack('>I16', string.rep('\\255', 16))}", "return {struct.unpack('>i9', string.rep('\\255', 9))}",
    "return {struct.unpack('<i9', '\\1' .. string.rep('\\0', 8))}", "return {struct.unpack('>i3', '\\128\\0\\0')}",
    "return {tostring(struct.unpack('<I8', string.rep('\\255', 8))), tostring(struct.unpack('<i8', '\\1\\0\\0\\0\\0\\0\\0\\128'))}",
    "return {tostring(struct.unpack('>d', struct.pack('>d', 0.1))), tostring(struct.unpack('>f', struct.pack('>f', 0.1)))}",
    "return {tostring(struct.unpack('>f', '\\255\\192\\0\\0')), tostring(struct.unpack('>d', '\\255\\248\\0\\0\\0\\0\\0\\0'))}",
    "return {struct.unpack('!4bi', '\\1\\0\\0\\0\\2\\0\\0\\0')}", "return {struct.unpack('x', 'a')}",
    "return {struct.unpack('', 'a')}", "return {struct.unpack('', 'a', -1)}", "return {struct.unpack('', 'a', 10)}",
    "return {struct.unpack('>', 'a', 10)}", "return {struct.unpack('>', 'a', 2)}", "return {struct.unpack('x', 'a', 2)}",
    "return {struct.unpack(' ', 'a', -1)}", "return {struct.unpack('b c0', '\\1a')}",
    "return (struct.unpack('i'))", "return (struct.unpack('i', 5))", "return (struct.unpack('q', 'aaaa'))",
    "return (struct.unpack('>i', '\\0\\0\\1\\0\\1', 'x'))",
    "return (select('#', struct.unpack(string.rep('b', 7990), string.rep('a', 7990))))",
    "return (select('#', struct.unpack(string.rep('b', 8000), string.rep('a', 8000))))",
    "local t = {x = struct.pack} return (t:x('y'))",
]

CMSGPACK_CASES = [
    "local t = {} for k, v in pairs(cmsgpack) do t[#t + 1] = k .. '=' .. tostring(type(v) == 'string' and v) end"
    " table.sort(t) return t",
    "return (cmsgpack.pack(1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, 2^32 - 1, 2^32, -128, -129, -32768,"
    " -32769, -2^31, -2^31 - 1, 2^53, -2^53, 2^63, 2^64, -2^63, -2^64))",
    "return (cmsgpack.pack(0.5, 0.1, 1/0, -1/0, 0/0, -0.0, 1e300, 3.4e38, -(0/0)))",
    "return (cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('x', 32), string.rep('x', 255),"
    " string.rep('x', 256), string.rep('y', 65536), true, false, nil))",
    "return (cmsgpack.pack({}, {1, 2, 3}, {a = 1}, {1, 2, nil, 4}, {[1] = 1, [3] = 3}, {[0] = 1}, {[1.5] = 1},"
    " {[1] = 1, x = 2}, {[2^31] = 1}))",
    "local t = {} for i = 1, 20 do t[i] = i end local m = {} for i = 1, 20 do m['k' .. i] = i end"
    " local b = {} for i = 1, 70000 do b[i] = i % 3 end return (cmsgpack.pack(t, m, b))",
    "return (cmsgpack.pack())",
    "return (cmsgpack.pack(function() end, {f = function() end}, cjson.null, coroutine.create(function() end)))",
    "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return (cmsgpack.pack(t))",
    "local t = {} t[1] = t return (cmsgpack.pack(t))", "local t = {} t.a = t return (cmsgpack.pack(t))",
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}, {x = 1}, true, 0.5))}",
    "return {cmsgpack.unpack('')}", "return (cmsgpack.unpack())", "return (cmsgpack.unpack(5))",
    "return (cmsgpack.unpack({}))", "return (cmsgpack.unpack('\\193'))", "return (cmsgpack.unpack('\\217'))",
    "return (cmsgpack.unpack('\\146\\1'))", "return {cmsgpack.unpack('\\192\\192')}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)}",
    "return {cmsgpack.unpack_one('')}", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1, -1)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 'x')}", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1.5)}",
    "return {cmsgpack.unpack('\\203\\63\\240\\0\\0\\0\\0\\0\\0', '\\202\\63\\128\\0\\0')}",
    "return {tostring(cmsgpack.unpack('\\202\\62\\204\\204\\205')), tostring(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')),"
    " tostring(cmsgpack.unpack('\\211\\255\\255\\255\\255\\255\\255\\255\\255'))}",
    "return (cmsgpack.unpack('\\196\\3abc'))", "return (cmsgpack.unpack('\\199\\1\\5a'))", "return (cmsgpack.unpack('\\212\\5a'))",
    "return (cmsgpack.unpack('\\222\\0\\1\\1\\2')[1])", "return (cmsgpack.unpack('\\129\\192\\1'))",
    "return (cmsgpack.unpack('\\129\\203\\255\\248\\0\\0\\0\\0\\0\\0\\1'))",
    "return {cmsgpack.unpack('\\220\\0\\2\\1\\2')[2], cmsgpack.unpack('\\221\\0\\0\\0\\2\\1\\2')[2],"
    " cmsgpack.unpack('\\218\\0\\2ab'), cmsgpack.unpack('\\219\\0\\0\\0\\2ab'), cmsgpack.unpack('\\208\\128'),"
    " cmsgpack.unpack('\\209\\128\\0'), cmsgpack.unpack('\\210\\128\\0\\0\\0'), cmsgpack.unpack('\\204\\200'),"
    " cmsgpack.unpack('\\205\\200\\0'), cmsgpack.unpack('\\206\\200\\0\\0\\0'), cmsgpack.unpack('\\224'), cmsgpack.unpack('\\160')}",
    "return (cmsgpack.unpack('\\218\\0\\5ab'))", "return (cmsgpack.unpack('\\220\\0'))",
    "return (select('#', cmsgpack.unpack(string.rep('\\1', 7990))))",
    "return (select('#', cmsgpack.unpack(string.rep('\\1', 8000))))",
    "local ok, e = pcall(cmsgpack.pack) return e",
    "local a, b, c, d = cmsgpack.unpack_limit('\\192\\0\\1', 3) return {tostring(a), tostring(b), tostring(c), tostring(d)}",
    "local a, b, c = cmsgpack.unpack_one('\\192\\0', 0) return {tostring(a), tostring(b), tostring(c)}",
    "return {select('#', cmsgpack.unpack('\\192\\0\\192')), select('#', cmsgpack.unpack_limit('\\192\\192', 2))}",
]

ALL_CASES = LIBRARY_CASES + CJSON_CASES + _decode_cases() + BIT_CASES + STRUCT_CASES + CMSGPACK_CASES


@pytest.mark.parametrize("script", ALL_CASES)
def test_same_as_redis(lua_redis, script):
    assert_same_as_redis(lua_redis, script)


TAIL_CALL_CASES = [
    "return cjson.decode('x')", "return cjson.encode(function() end)", "return bit.band('x')",
    "return struct.pack('q')", "return cmsgpack.unpack('\\193')", "return cmsgpack.pack()",
    "local function f() return cjson.decode('[1,') end return f()",
    "local t = {x = bit.bor} return t:x()", "local f = struct.unpack return f('i', 'ab')",
    "return cjson.encode({1, 2, {a = 1}})", "return cmsgpack.unpack(cmsgpack.pack(1, nil, 'x', {2}))",
    "local function g(n) if n == 0 then return 'done' end return g(n - 1) end return g(500)",
    "return select('#', (function(...) return ... end)(1, nil, 3, nil))",
]


@pytest.mark.parametrize("script", TAIL_CALL_CASES)
def test_tail_calls_same_as_redis(lua_redis, script):
    assert_same_as_redis(lua_redis, script)


def test_without_the_rewrite_a_tail_called_error_has_no_position():
    """Why the scripting code compiles scripts through without_tail_calls: Lua 5.1 drops the
    caller's frame on a tail call to a Lua function."""
    assert run_ours("return cjson.decode('x')", keep_frames=False) == (
        "Expected value but found invalid token at character 1")


# Round trips on random values --------------------------------------------------------------

def lua_literal(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "(0/0)"
        if math.isinf(value):
            return "(1/0)" if value > 0 else "(-1/0)"
        return repr(value)
    if isinstance(value, bytes):
        return '"' + "".join(f"\\{byte}" for byte in value) + '"'
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(item) for item in value) + "}"
    return "{" + ", ".join(f"[{lua_literal(key)}] = {lua_literal(item)}" for key, item in value.items()) + "}"


numbers = st.one_of(st.integers(-(2 ** 64), 2 ** 64), st.floats(allow_nan=False, allow_infinity=False))
scalars = st.one_of(numbers, st.booleans(), st.binary(max_size=40),
                    st.text(max_size=20).map(lambda text: text.encode("utf-8")))
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=6),
                               st.dictionaries(st.binary(min_size=1, max_size=8), children, max_size=6)),
    max_leaves=25)
ROUND_TRIP = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(values)
def test_cjson_round_trip_as_redis(lua_redis, value):
    script = (f"local ok, text = pcall(cjson.encode, {lua_literal(value)})"
              " if not ok then return {'error', text} end"
              " local ok2, again = pcall(function() return cjson.encode(cjson.decode(text)) end)"
              " return {text, tostring(ok2), again}")
    assert_same_as_redis(lua_redis, script)


@ROUND_TRIP
@given(st.one_of(values, st.floats()))
def test_cmsgpack_round_trip_as_redis(lua_redis, value):
    script = (f"local packed = cmsgpack.pack({lua_literal(value)})"
              " return {packed, cmsgpack.pack(cmsgpack.unpack(packed))}")
    assert_same_as_redis(lua_redis, script)


@ROUND_TRIP
@given(st.lists(st.sampled_from("bBhHlLTiIfdxc <>!248") , max_size=8).map("".join),
       st.lists(st.one_of(numbers, st.binary(max_size=6)), max_size=8))
def test_struct_pack_unpack_as_redis(lua_redis, fmt, arguments):
    literal = "'" + fmt + "'"
    arguments_source = ", ".join(lua_literal(argument) for argument in arguments)
    script = (f"local ok, packed = pcall(struct.pack, {literal}{', ' if arguments else ''}{arguments_source})"
              f" if not ok then return {{'error', packed}} end"
              f" return {{packed, pcall(struct.unpack, {literal}, packed)}}")
    assert_same_as_redis(lua_redis, script)
