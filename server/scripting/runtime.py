"""EVAL's Lua interpreter, script cache and the run of one script.

One interpreter per server, as Redis has (:class:`Scripting`, made by the dispatcher; started
on first use and again after SCRIPT FLUSH). A script is compiled once into a Lua function,
cached by its SHA1 (not persisted, as in Redis), and run on the server's event-loop thread, so
it is atomic the way every command is: its commands (``redis.call``) go through the dispatcher
(:meth:`~..dispatch.Dispatcher.execute_from_script`, the command table's flags decide what a
script may call) as the server's script client, inside the caller's event-loop turn, so all of
its writes are in that turn's one commit and its binlog records are the effects of the
commands it ran (what a slave applies and a restart replays). The clock expiry decisions use
is frozen at the script's start, as Redis freezes it.

Time limit: the prelude's count hook calls :meth:`Scripting._tick` every 100,000 Lua
instructions. Past ``busy-reply-threshold`` the run turns *busy*: the dispatcher answers other
clients BUSY (:meth:`ScriptRun.admit`) and each tick serves the network meanwhile
(:class:`.busy.BusyLoop`), so SCRIPT KILL (a script that has not written) and SHUTDOWN NOSAVE
reach the server while the script still runs.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from lupa.lua51 import LuaRuntime, lua_type

from pypika_store import REDIS_VERSION
from pypika_store.errors import (FUNCTION_REGISTRATION_ERRORS, SCRIPT_ERRORS, BusyFunctionError, BusyScriptError,
                                 CommandError, FunctionLoadTimeoutError, InvalidAclCheckCommandError,
                                 InvalidShebangError, NotBusyError, ReadOnlyReplicaError, UnkillableScriptError,
                                 function_compile_error, function_registration_error, script_compile_error,
                                 script_error, unexpected_shebang_engine, unexpected_shebang_flag,
                                 unknown_shebang_option)

from ..connection import MASTER, Client
from ..registry import WRITE
from ..resp.replies import NO_REPLY
from .busy import BusyLoop
from .functions import Function, Functions
from .convert import lua_to_reply, reply_to_lua
from .prelude import HOOK_INSTRUCTIONS, LUA_PRELUDE, PRELUDE_SOURCE
from .libraries import install as install_libraries
from .libraries.tailcalls import without_tail_calls

if TYPE_CHECKING:
    from ..app import Server
    from ..registry import CommandSpec

log = logging.getLogger(__name__)

#: Command flags scripting reads (Redis' CMD_NOSCRIPT, CMD_ALLOW_BUSY).
NO_SCRIPT = "noscript"
ALLOW_BUSY = "allow_busy"

#: The flags a ``#!lua flags=...`` shebang may give.
SHEBANG_FLAGS = frozenset(("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"))
NO_WRITES = "no-writes"
_SHEBANG = b"#!"
_ENGINE = "#!lua"
_FLAGS_OPTION = "flags="
#: redis.set_repl's flags that keep a write in the binlog (REPL_REPLICA, REPL_ALL): the binlog
#: is this server's replication stream; LMDB keeps the write either way.
_REPLICATED_FLAGS = (2, 3)
_LOG_LEVELS = (logging.DEBUG, logging.INFO, logging.INFO, logging.WARNING)
#: What installs the libraries Redis adds to Lua (cjson, cmsgpack, bit, struct) into a fresh
#: interpreter, called before the prelude, which then makes them read-only like the others.
LIBRARY_INSTALLERS: tuple[Callable[[LuaRuntime], None], ...] = (install_libraries,)
_BUSY = BusyScriptError()
_BUSY_FUNCTION = BusyFunctionError()
_KILLED = SCRIPT_ERRORS["killed"].encode()
#: How long a library's code may run at its load (Redis' FUNCTION LOAD timeout), in seconds.
LOAD_TIMEOUT = 0.5
#: What MONITOR and SLOWLOG show as the address of a script's commands (Redis' "lua").
_SCRIPT_CLIENT_ADDRESS = "lua"


def _version_number(version: str) -> int:
    major, minor, patch = (int(part) for part in version.split(".")[:3])
    return major << 16 | minor << 8 | patch


@dataclass
class Script:
    """A cached script: its body, its shebang flags (None: no shebang, Redis' compatibility
    mode) and its compiled function."""

    sha: str
    body: bytes
    flags: frozenset[str] | None
    function: Any


def parse_shebang(body: bytes) -> tuple[frozenset[str] | None, bytes]:
    """A script's shebang flags (None without a shebang) and the code Lua compiles: the
    shebang line is left empty, so line numbers stay those of the body."""
    if not body.startswith(_SHEBANG):
        return None, body
    line_end = body.find(b"\n")
    if line_end < 0:
        raise InvalidShebangError()
    words = body[:line_end].decode("utf-8", "replace").split()
    if words[0] != _ENGINE:
        raise unexpected_shebang_engine(words[0])
    flags: set[str] = set()
    for option in words[1:]:
        if not option.startswith(_FLAGS_OPTION):
            raise unknown_shebang_option(option)
        for flag in option[len(_FLAGS_OPTION):].split(","):
            if flag not in SHEBANG_FLAGS:
                if flag:
                    raise unexpected_shebang_flag(flag)
                continue
            flags.add(flag)
    return frozenset(flags), body[line_end:]


class LuaVM:
    """One Lua interpreter with Redis' environment: the prelude run in it, and the API table it
    returned. The server has two, as Redis has: EVAL's (new after SCRIPT FLUSH) and the
    functions' (which SCRIPT FLUSH leaves alone)."""

    def __init__(self, bridge: dict[bytes, Any]) -> None:
        lua = LuaRuntime(encoding=None, unpack_returned_tuples=True, register_eval=False, register_builtins=False)
        for install in LIBRARY_INSTALLERS:
            install(lua)
        tables = {name: lua.table_from(value) for name, value in bridge.items() if isinstance(value, dict)}
        self.api: Any = lua.globals().loadstring(LUA_PRELUDE.encode(), PRELUDE_SOURCE.encode())(
            lua.table_from({**bridge, **tables}))
        self.lua = lua

    def memory(self) -> int:
        """Bytes the interpreter uses (Lua's own count)."""
        return int(self.api.memory() * 1024)


@dataclass
class ScriptRun:
    """The script running now: who called it, since when, what it did, what was asked of it."""

    caller: Client
    name: str
    read_only: bool
    #: The FCALL of a function (FUNCTION STATS shows it; FUNCTION KILL, not SCRIPT KILL,
    #: stops it); None for a script.
    fcall: list[bytes] | None
    #: When it started (monotonic seconds).
    started: float
    #: When it turns busy (monotonic seconds): busy-reply-threshold after its start.
    busy_at: float
    #: A write command ran (SCRIPT KILL then answers UNKILLABLE).
    wrote: bool = False
    kill_requested: bool = False
    shutdown_requested: bool = False
    #: What it serves meanwhile, once busy.
    busy_loop: BusyLoop | None = None

    @property
    def is_function(self) -> bool:
        return self.fcall is not None

    def duration_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def admit(self, client: Client, spec: "CommandSpec", argv: list[bytes]) -> CommandError | bytes | None:
        """What another client's command gets while this script is busy: BUSY, unless the
        command may run meanwhile (``allow_busy``: SCRIPT KILL, MULTI...); SHUTDOWN only with
        NOSAVE, which stops the script and then the server (its reply is the closed
        connection). None: the command runs."""
        if spec.full_name == "shutdown":
            if not any(arg.upper() == b"NOSAVE" for arg in argv[1:]):
                return _BUSY
            self.shutdown_requested = self.kill_requested = True
            return NO_REPLY
        if ALLOW_BUSY in spec.flags:
            return None
        return _BUSY_FUNCTION if self.is_function else _BUSY


class Scripting:
    """The server's Lua interpreters, script cache, libraries and running script."""

    def __init__(self, server: "Server") -> None:
        self._server = server
        self.scripts: dict[str, Script] = {}
        self.running: ScriptRun | None = None
        self._eval_vm: LuaVM | None = None
        self._functions_vm: LuaVM | None = None
        #: The interpreter of the running script (its replies are read back into it).
        self._vm: LuaVM | None = None
        self._client: Client | None = None
        #: The libraries' functions (FUNCTION LOAD, FCALL); see :mod:`.functions`.
        self.functions = Functions(server.engine.functions, self._load_library)
        #: When the library being loaded must stop (monotonic seconds), during a load.
        self._load_deadline: float | None = None

    # -- the interpreters ----------------------------------------------------------------------

    def _bridge(self) -> dict[bytes, Any]:
        """The Python functions and texts the prelude builds the Lua API from."""
        return {
            b"call": self._call, b"pcall": self._pcall, b"error_text": _error_text, b"tick": self._tick,
            b"keep_frames": without_tail_calls, b"sha1hex": _sha1hex, b"log": _log, b"setresp": self._setresp,
            b"set_repl": self._set_repl, b"acl_check_cmd": self._acl_check_cmd,
            b"version": REDIS_VERSION.encode(), b"version_num": _version_number(REDIS_VERSION),
            b"hook_instructions": HOOK_INSTRUCTIONS, b"prelude_source": PRELUDE_SOURCE.encode(),
            b"messages": {name.encode(): text.encode()
                          for name, text in {**SCRIPT_ERRORS, **FUNCTION_REGISTRATION_ERRORS}.items()},
            b"function_flags": {flag.encode(): True for flag in SHEBANG_FLAGS},
        }

    def _eval_interpreter(self) -> LuaVM:
        if self._eval_vm is None:
            self._eval_vm = LuaVM(self._bridge())
        return self._eval_vm

    def _functions_interpreter(self) -> LuaVM:
        if self._functions_vm is None:
            self._functions_vm = LuaVM(self._bridge())
        return self._functions_vm

    def flush(self) -> None:
        """SCRIPT FLUSH: forget every script and start a new interpreter (not the functions')."""
        self.scripts.clear()
        self._eval_vm = None

    def functions_replaced(self) -> None:
        """The libraries in LMDB were replaced (a full sync loaded a snapshot): a new functions'
        interpreter, with the libraries read again."""
        self._functions_vm = None
        self.functions.reset()

    def memory(self) -> int:
        """Bytes EVAL's interpreter uses (INFO's used_memory_lua, used_memory_vm_eval)."""
        return 0 if self._eval_vm is None else self._eval_vm.memory()

    def functions_memory(self) -> int:
        """Bytes the functions' interpreter uses (INFO's used_memory_vm_functions)."""
        self.functions.libraries()
        return 0 if self._functions_vm is None else self._functions_vm.memory()

    def scripts_memory(self) -> int:
        """Bytes of the cached scripts' bodies (INFO's used_memory_scripts_eval)."""
        return sum(len(script.body) for script in self.scripts.values())

    # -- the cache -----------------------------------------------------------------------------

    def load(self, body: bytes) -> Script:
        """The cached script of ``body``, compiled and cached if new (EVAL, SCRIPT LOAD)."""
        sha = hashlib.sha1(body).hexdigest()
        script = self.scripts.get(sha)
        if script is None:
            flags, code = parse_shebang(body)
            function, problem = self._eval_interpreter().api.compile(code)
            if function is None:
                raise script_compile_error(problem.decode("utf-8", "replace"))
            script = self.scripts[sha] = Script(sha, body, flags, function)
        return script

    def find(self, sha: bytes) -> Script | None:
        """The cached script of a SHA1 (any letter case), None if there is none."""
        return self.scripts.get(sha.decode("latin-1").lower())

    def _load_library(self, code: bytes) -> Any:
        """Run a library's code (after its metadata line) in the functions' interpreter: its
        registrations (a Lua table), or the error the load gives (compile error, failed code,
        :data:`LOAD_TIMEOUT` passed)."""
        api = self._functions_interpreter().api
        self._load_deadline = time.monotonic() + LOAD_TIMEOUT
        try:
            registered, compile_failed, problem = api.load_library(code)
        finally:
            self._load_deadline = None
        if registered is None:
            text = problem.decode("utf-8", "replace")
            raise function_compile_error(text) if compile_failed else function_registration_error(text)
        return registered

    # -- a run ---------------------------------------------------------------------------------

    def run(self, caller: Client, script: Script, keys: list[bytes], args: list[bytes], read_only: bool) -> object:
        """Run ``script`` for ``caller`` with KEYS and ARGV; its reply (an error raised)."""
        vm = self._eval_interpreter()
        vm.api.set_arrays(vm.lua.table_from(keys), vm.lua.table_from(args))
        return self._run(caller, vm, script.function, script.sha, script.flags, read_only, None)

    def call_function(self, caller: Client, argv: list[bytes], function: Function, keys: list[bytes],
                      args: list[bytes], read_only: bool) -> object:
        """FCALL / FCALL_RO (``argv``): run a library's function with its keys and arguments."""
        vm = self._functions_interpreter()
        return self._run(caller, vm, function.callback, function.name.decode("utf-8", "replace"), function.flags,
                         read_only, argv, vm.lua.table_from(keys), vm.lua.table_from(args))

    def _run(self, caller: Client, vm: LuaVM, function: Any, name: str, flags: frozenset[str] | None,
             read_only: bool, fcall: list[bytes] | None, *arguments: Any) -> object:
        """One run, the same for a script and a function (``fcall``: the FCALL that calls it):
        the flags' checks, the frozen clock, the busy loop, the error or the reply converted
        for the caller."""
        server = self._server
        if flags is not None:
            self.refuse_on_replica(caller, flags)
            read_only = read_only or NO_WRITES in flags
        client = self._script_client(caller)
        engine = server.engine
        threshold = server.config.get_int("busy-reply-threshold") / 1000
        started = time.monotonic()
        run = self.running = ScriptRun(caller, name, read_only, fcall, started, started + threshold)
        self._vm = vm
        clock, recording = engine.now_ms, engine.recording
        frozen_ms = clock()
        engine.now_ms = lambda: frozen_ms
        try:
            ok, result = vm.api.run(function, *arguments)
        finally:
            engine.now_ms, engine.recording = clock, recording
            self.running = server.dispatcher.busy_script = None
            if run.busy_loop is not None:
                run.busy_loop.close()
        if run.shutdown_requested:
            self._shut_down()
            return NO_REPLY
        if not ok:
            raise self._failure(vm, name, result)
        reply = lua_to_reply(result, client.resp, caller.resp)
        if isinstance(reply, CommandError):
            raise reply
        return reply

    def refuse_on_replica(self, caller: Client, flags: frozenset[str]) -> None:
        """READONLY for a script or function that may write (no ``no-writes`` flag), sent to a
        read-only slave by anyone but its master: Redis refuses it before running it, as a
        write command."""
        if NO_WRITES not in flags and self._server.replica is not None and caller.kind != MASTER:
            raise ReadOnlyReplicaError()

    def kill(self, function: bool) -> None:
        """SCRIPT KILL (``function`` False) or FUNCTION KILL: stop the running script at its
        next hook, if it has not written; each kills only its own kind."""
        run = self.running
        if run is None:
            raise NotBusyError()
        if run.wrote:
            raise UnkillableScriptError()
        if run.is_function != function:
            raise _BUSY_FUNCTION if run.is_function else _BUSY
        run.kill_requested = True

    def runs_as(self, client: Client) -> bool:
        """Whether ``client`` is the one scripts' commands run as: the commands that refuse an
        option from scripts (XREAD's BLOCK) ask."""
        return client is self._client

    def _script_client(self, caller: Client) -> Client:
        """The client a script's commands run as: the caller's DB, RESP2, never blocking."""
        client = self._client
        if client is None:
            client = self._client = Client(self._server, internal=True)
            client.in_transaction = True  # blocking commands answer at once, as in MULTI
            client.address = _SCRIPT_CLIENT_ADDRESS
        client.select(caller.db)
        client.set_protocol(2)
        return client

    def _failure(self, vm: LuaVM, name: str, error: Any) -> CommandError:
        """The error reply of a script that raised ``error`` (an error table, normally)."""
        if lua_type(error) != "table":
            return script_error(f"ERR {error!r}", name, None, None)
        text, source, line = vm.api.error_parts(error)
        if type(text) is not bytes:
            text = b"ERR unknown error"
        return script_error(text.decode("utf-8", "surrogateescape"), name,
                            source.decode("utf-8", "replace") if type(source) is bytes else None,
                            line if type(line) is int else None)

    def _shut_down(self) -> None:
        """SHUTDOWN NOSAVE while a script ran: none of the turn is kept (Redis exits without
        propagating the script's effects), the replies waiting for it are not sent."""
        server = self._server
        server.engine.abort_turn()
        waiting, server.waiting_for_commit = server.waiting_for_commit, []
        for client in waiting:
            client.abort_pending("shutting down, not committed")
        server.request_shutdown()

    # -- what the prelude calls ----------------------------------------------------------------

    def _call(self, *args: Any) -> Any:
        """``redis.call``: the command's reply as a Lua value; its error raised."""
        run = self.running
        assert run is not None and self._client is not None
        reply, spec = self._server.dispatcher.execute_from_script(self._client, _command_argv(args), run.read_only)
        if reply[:1] == b"-":
            raise ScriptCallError(reply[1:-2])
        if spec is not None and WRITE in spec.flags:
            run.wrote = True
        return reply_to_lua(self._vm.lua, reply)  # type: ignore[union-attr]

    def _pcall(self, *args: Any) -> Any:
        """``redis.pcall``: as ``redis.call``, an error returned as an error table."""
        try:
            return self._call(*args)
        except ScriptCallError as exc:
            return self._vm.lua.table_from({b"err": exc.text})  # type: ignore[union-attr]

    def _tick(self) -> bytes | None:
        """The count hook: the error that stops the script (SCRIPT KILL, SHUTDOWN NOSAVE, a
        library's load past its time), None to go on."""
        run = self.running
        if run is None:
            deadline = self._load_deadline
            if deadline is not None and time.monotonic() > deadline:
                return FunctionLoadTimeoutError.message.encode()
            return None
        if run.busy_loop is None:
            if time.monotonic() < run.busy_at:
                return None
            run.busy_loop = BusyLoop(self._server, run.caller)
            self._server.dispatcher.busy_script = run
            log.warning("Slow script detected: still in execution after %d milliseconds. You can try killing "
                        "the script using the SCRIPT KILL command. Script name is: %s.",
                        self._server.config.get_int("busy-reply-threshold"), run.name)
        run.busy_loop.serve()
        return _KILLED if run.kill_requested else None

    def _acl_check_cmd(self, *args: Any) -> bool:
        """``redis.acl_check_cmd``: whether the caller's ACL user may run the command."""
        run = self.running
        assert run is not None
        allowed = self._server.dispatcher.acl.allows(run.caller.user, _command_argv(args))
        if allowed is None:
            raise ScriptCallError(InvalidAclCheckCommandError.message.encode())
        return allowed

    def _setresp(self, *args: Any) -> None:
        if len(args) != 1:
            raise _api_error("setresp_arguments")
        version = _lua_number(args[0])
        if version not in (2, 3):
            raise _api_error("setresp_version")
        self._client.set_protocol(int(version))  # type: ignore[union-attr]

    def _set_repl(self, *args: Any) -> None:
        if len(args) != 1:
            raise _api_error("set_repl_arguments")
        flags = _lua_number(args[0])
        if flags is None or not 0 <= int(flags) <= 3:
            raise _api_error("set_repl_flags")
        self._server.engine.recording = int(flags) in _REPLICATED_FLAGS


class ScriptCallError(Exception):
    """A failure of the Lua API's Python functions (``redis.call``...): the script sees the
    error table ``{err = text}`` (the prelude converts it), ``text`` starting with its code."""

    def __init__(self, text: bytes) -> None:
        super().__init__(text.decode("utf-8", "replace"))
        self.text = text


def _api_error(name: str) -> ScriptCallError:
    return ScriptCallError(b"ERR " + SCRIPT_ERRORS[name].encode())


def _error_text(error: object) -> bytes:
    """The error text of an exception a Python function raised into Lua."""
    if isinstance(error, ScriptCallError):
        return error.text
    return f"ERR {error}".encode("utf-8", "replace")


def _lua_string(value: Any) -> bytes | None:
    """``value`` as Lua's tostring gives a string or a number (``%.14g``); None otherwise."""
    kind = type(value)
    if kind is bytes:
        return value
    if kind is int or kind is float:
        return b"%.14g" % value
    return None


def _lua_number(value: Any) -> float | None:
    """``value`` as Lua's tonumber reads a number or a numeric string; None otherwise."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is bytes:
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _command_argv(args: tuple[Any, ...]) -> list[bytes]:
    """The command a script calls: strings, and numbers printed with ``%.17g`` (not Lua's
    ``%.14g``, which would lose digits), as Redis does."""
    if not args:
        raise _api_error("no_arguments")
    argv = []
    for arg in args:
        kind = type(arg)
        if kind is bytes:
            argv.append(arg)
        elif kind is int or kind is float:
            argv.append(b"%.17g" % arg)
        else:
            raise _api_error("bad_argument")
    return argv


def _sha1hex(*args: Any) -> bytes:
    if len(args) != 1:
        raise _api_error("sha1hex_arguments")
    return hashlib.sha1(_lua_string(args[0]) or b"").hexdigest().encode()


def _log(*args: Any) -> None:
    """``redis.log(level, message...)``: the words joined by spaces, in the server's log."""
    if len(args) < 2:
        raise _api_error("log_arguments")
    level = args[0]
    if type(level) not in (int, float):
        raise _api_error("log_level_type")
    if not 0 <= level <= 3:
        raise _api_error("log_level")
    words = [text for text in map(_lua_string, args[1:]) if text is not None]
    log.log(_LOG_LEVELS[int(level)], "%s", b" ".join(words).decode("utf-8", "replace"))
