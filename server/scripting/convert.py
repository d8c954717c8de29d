"""The conversions between RESP replies and Lua values, as Redis 7.0 documents them.

A command a script calls is run through the dispatcher like any other and answers RESP bytes
(RESP2, or RESP3 after ``redis.setresp(3)``); :func:`reply_to_lua` reads them into Lua
values, as Redis reads its fake client's reply buffer:

=====================  ==========================================================
RESP                   Lua
=====================  ==========================================================
integer                number
bulk string            string
array                  table (a RESP3 null inside one leaves a hole)
null bulk / array      ``false`` (RESP2); RESP3 null: ``nil``
status                 ``{ok = text}``
error                  ``{err = text}``
RESP3 boolean          boolean
RESP3 double           ``{double = number}``
RESP3 map              ``{map = {key = value, ...}}``
RESP3 set              ``{set = {member = true, ...}}``
RESP3 big number       ``{big_number = text}``
RESP3 verbatim string  ``{verbatim_string = {format = "txt", string = text}}``
=====================  ==========================================================

:func:`lua_to_reply` turns what a script returns into the caller's reply: a number becomes
an integer (truncated toward zero; out of range, infinite or NaN: -2^63, as a C cast gives),
a string a bulk string, ``true`` the integer 1 and ``false`` a null (after
``redis.setresp(3)``: booleans, which RESP2 shows as 1 and 0), ``nil`` a null, a table with ``err`` an error, with ``ok`` a status, with ``double``,
``big_number``, ``map``, ``set`` or ``verbatim_string`` the RESP3 type (or its RESP2 form),
any other table an array of its elements 1, 2, ... up to the first ``nil``.
"""

from __future__ import annotations

import math
from typing import Any

from lupa.lua51 import LuaRuntime, lua_type

from pypika_store.errors import CommandError

from ..resp.replies import Double, Map, Raw, SetReply, Verbatim

_LLONG_MIN = -(1 << 63)


# -- RESP -> Lua ---------------------------------------------------------------------------

def reply_to_lua(lua: LuaRuntime, data: bytes) -> Any:
    """The Lua value of one encoded reply."""
    value, _end = _read(lua, data, 0)
    return value


def _table(lua: LuaRuntime, **fields: Any) -> Any:
    """A Lua table with string keys."""
    table = lua.table()
    for name, value in fields.items():
        table[name.encode()] = value
    return table


def _read(lua: LuaRuntime, data: bytes, position: int) -> tuple[Any, int]:
    """The value at ``position`` and where the next one starts."""
    kind = data[position:position + 1]
    line_end = data.index(b"\r\n", position)
    line = data[position + 1:line_end]
    position = line_end + 2
    if kind == b":":
        return int(line), position
    if kind == b"$" or kind == b"=" or kind == b"!":
        size = int(line)
        if size < 0:
            return False, position
        text = data[position:position + size]
        position += size + 2
        if kind == b"=":
            return _table(lua, verbatim_string=_table(lua, format=text[:3], string=text[4:])), position
        if kind == b"!":
            return _table(lua, err=text), position
        return text, position
    if kind == b"+":
        return _table(lua, ok=line), position
    if kind == b"-":
        return _table(lua, err=line), position
    if kind == b"*" or kind == b">" or kind == b"~" or kind == b"%":
        count = int(line)
        if count < 0:
            return False, position
        table = lua.table()
        for index in range(1, count + 1):
            item, position = _read(lua, data, position)
            if kind == b"%":
                table[item], position = _read(lua, data, position)
            elif kind == b"~":
                table[item] = True
            else:
                table[index] = item
        if kind == b"%":
            return _table(lua, map=table), position
        if kind == b"~":
            return _table(lua, set=table), position
        return table, position
    if kind == b"_":
        return None, position
    if kind == b"#":
        return line == b"t", position
    if kind == b",":
        return _table(lua, double=float(line)), position
    if kind == b"(":
        return _table(lua, big_number=line), position
    if kind == b"|":  # an attribute: Redis drops it and reads the reply it annotates
        for _ in range(2 * int(line)):
            _skipped, position = _read(lua, data, position)
        return _read(lua, data, position)
    raise ValueError(f"unexpected reply type {kind!r}")


# -- Lua -> reply --------------------------------------------------------------------------

def lua_number_to_integer(number: float) -> int:
    """A Lua number as Redis turns it into an integer reply (a C cast to long long)."""
    if math.isnan(number) or not -9.223372036854775808e18 <= number < 9.223372036854775808e18:
        return _LLONG_MIN
    return int(number)


def lua_to_reply(value: Any, script_resp: int, resp: int) -> object:
    """The reply (for :mod:`..resp.replies`' encoders) a script's return value gives a client
    speaking ``resp``, from a script that chose ``script_resp`` with ``redis.setresp`` (its
    booleans are RESP3 booleans only after ``redis.setresp(3)``); an error table is an error
    (a :class:`CommandError`: the error reply, or an error element inside an array)."""
    kind = type(value)
    if kind is bytes:
        return value
    if kind is int or kind is float:
        return lua_number_to_integer(value)
    if kind is bool:
        if script_resp == 3:
            return value
        return 1 if value else None
    if value is None:
        return None
    if lua_type(value) != "table":
        return None  # functions, coroutines, userdata: Redis answers a null
    return _table_reply(value, script_resp, resp)


def _table_reply(table: Any, script_resp: int, resp: int) -> object:
    error = table[b"err"]
    if type(error) is bytes:
        return CommandError(_one_line(error).decode("utf-8", "surrogateescape"))
    status = table[b"ok"]
    if type(status) is bytes:
        return Raw(b"+%s\r\n" % _one_line(status))
    double = table[b"double"]
    if type(double) in (int, float):
        return Double(double)
    big_number = table[b"big_number"]
    if type(big_number) is bytes:
        return Raw(b"(%s\r\n" % _one_line(big_number)) if resp == 3 else big_number
    mapping = table[b"map"]
    if lua_type(mapping) == "table":
        return Map([(lua_to_reply(key, script_resp, resp), lua_to_reply(item, script_resp, resp))
                    for key, item in mapping.items()])
    members = table[b"set"]
    if lua_type(members) == "table":
        return SetReply([lua_to_reply(member, script_resp, resp) for member in members.keys()])
    verbatim = table[b"verbatim_string"]
    if lua_type(verbatim) == "table":
        text, text_format = verbatim[b"string"], verbatim[b"format"]
        if type(text) is bytes and type(text_format) is bytes and len(text_format) == 3:
            return Verbatim(text, text_format.decode("latin-1"))
    items = []
    index = 1
    while True:
        item = table[index]
        if item is None:
            return items
        items.append(lua_to_reply(item, script_resp, resp))
        index += 1


def _one_line(text: bytes) -> bytes:
    """Redis replaces CR and LF in a status or error a script returns by spaces."""
    return text.replace(b"\r", b" ").replace(b"\n", b" ")
