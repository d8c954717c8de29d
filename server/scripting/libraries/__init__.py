"""The libraries Redis 7.0 loads for scripts beyond Lua's own: ``cjson``, ``cmsgpack``, ``bit`` and
``struct``, written for a ``lupa.lua51.LuaRuntime`` (docs/scripting-libraries.md says how each
one behaves and where it differs from redis-server).

Contract of :func:`install` for the scripting code:

- Call it once per interpreter, on a fresh ``lupa.lua51.LuaRuntime(encoding=None)``: the
  libraries are binary-safe only when Lua strings cross into Python as ``bytes``, so another
  encoding is refused with ``ValueError``.
- Call it before the sandbox is set up: the libraries capture what they use of the standard
  library (``debug.getinfo`` for error positions and names, ``string``, ``math``, ``newproxy``...)
  when they load, so removing ``debug`` or protecting globals afterwards does not affect them.
- It sets the globals ``cjson``, ``cmsgpack``, ``bit`` and ``struct`` and returns nothing. The
  tables are plain Lua tables; making them read-only, as Redis does, is the sandbox's job.
- ``cjson.null`` is a userdata (Redis' is a NULL light userdata, which Lua code cannot make): a
  reply converter should treat any userdata as Redis treats it, a nil reply.
- The functions never call back into the script and never raise Python exceptions; their errors are
  Lua strings positioned at the caller's line (``user_script:1: ...``) and naming the function as
  the caller spelled it, like Redis' C functions.
- Compile scripts through :func:`.tailcalls.without_tail_calls` (a ``string.dump`` rewrite): our
  functions are Lua functions, and a tail call to one (``return cjson.decode(x)``) would otherwise
  drop the script's frame, so its error would carry no position.
"""

from __future__ import annotations

from typing import Any

from . import bit, cjson, cmsgpack, struct
from .support import load_support
from .tailcalls import without_tail_calls

__all__ = ["install", "without_tail_calls"]


def install(runtime: Any) -> None:
    """Install ``cjson``, ``cmsgpack``, ``bit`` and ``struct`` as globals of ``runtime``."""
    try:
        binary_safe = runtime.eval("'\\255'") == b"\xff"
    except UnicodeDecodeError:
        binary_safe = False
    if not binary_safe:
        raise ValueError("the script libraries need a LuaRuntime(encoding=None)")
    support = load_support(runtime)
    lua_globals = runtime.globals()
    for name, library in (("cjson", cjson), ("cmsgpack", cmsgpack), ("bit", bit), ("struct", struct)):
        lua_globals[name.encode()] = library.install(runtime, support)
