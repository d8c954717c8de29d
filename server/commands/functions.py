"""FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP / RESTORE / STATS / KILL / HELP, FCALL and FCALL_RO.

The libraries are :mod:`..scripting.functions`' (their rules and errors) over
:mod:`pypika_store.functions` (their records in LMDB and the binlog, the DUMP payload); a
function runs as a script does (:meth:`..scripting.runtime.Scripting.call_function`). These
functions read the arguments and build the replies.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from pypika_store.errors import (BadKeyCountError, BusyScriptError, CommandError, FunctionFlushModeError, FunctionNotFoundError, LibraryNamePatternMissingError,
                                 RestorePolicyError, WriteFunctionReadOnlyCallError, subcommand_syntax_error,
                                 unknown_function_argument, unknown_function_load_option)
from pypika_store.functions import decode_payload, encode_payload
from pypika_store.glob import compile_glob

from ..arguments import Arguments
from ..connection import Client
from ..registry import KeySpec, command, container, help_reply, keynum
from ..resp.replies import OK, Map, SetReply, Status
from ..scripting.functions import ENGINE, Functions, Library
from ..scripting.runtime import NO_WRITES
from .scripting import keys_and_args

_FCALL_KEYS = (replace(keynum(2, "RW access update"), notes="We cannot tell how the keys will be used so we assume "
                                                           "the worst, RW and UPDATE"),)
_FCALL_RO_KEYS = (replace(keynum(2, "RO access"), notes="We cannot tell how the keys will be used so we assume the "
                                                        "worst, RO and ACCESS"),)
_RESTORE_POLICIES = (b"FLUSH", b"APPEND", b"REPLACE")
_FLUSH_MODES = (b"ASYNC", b"SYNC")


def _functions(client: Client) -> Functions:
    return client.server.dispatcher.scripting.functions


def _trailing_option(argv: list[bytes], index: int, names: tuple[bytes, ...],
                     error: type[CommandError]) -> bytes | None:
    """The optional last option of FUNCTION FLUSH / RESTORE, at ``argv[index]``, checked as
    Redis does: more arguments are a syntax error, another word ``error``."""
    if len(argv) > index + 1:
        raise subcommand_syntax_error(argv)
    if len(argv) == index:
        return None
    option = Arguments(argv, index).one_of(*names)
    if option is None:
        raise error()
    return option


def _fcall(client: Client, argv: list[bytes], read_only: bool) -> object:
    """FCALL / FCALL_RO: the function is looked up, and a writing one refused on a slave,
    before numkeys is read, as Redis does."""
    scripting = client.server.dispatcher.scripting
    function = scripting.functions.find(argv[1])
    if function is None:
        raise FunctionNotFoundError()
    scripting.refuse_on_replica(client, function.flags)  # before numkeys: Redis' admission of a write
    keys, args = keys_and_args(argv, BadKeyCountError)
    if read_only and NO_WRITES not in function.flags:
        raise WriteFunctionReadOnlyCallError()
    return scripting.call_function(client, argv, function, keys, args, read_only)


def _register_fcall(name: str, read_only: bool, keys: tuple[KeySpec, ...]) -> None:
    """FCALL and FCALL_RO: one function, read-only or not."""
    command(name, arity=-3, flags=("readonly " if read_only else "") + "noscript stale skip_monitor no_mandatory_keys",
            keys=keys, group="scripting", since="7.0.0",
            syntax="function numkeys:integer [key [key ...]] [arg [arg ...]]",
            complexity="Depends on the function that is executed.",
            summary=f"Invoke a {'read-only ' if read_only else ''}function")(partial(_fcall, read_only=read_only))


_register_fcall("fcall", read_only=False, keys=_FCALL_KEYS)
_register_fcall("fcall_ro", read_only=True, keys=_FCALL_RO_KEYS)


container("function", arity=-2, group="scripting", summary="A container for function commands")


@command("function|load", arity=-3, flags="write denyoom noscript", group="scripting", since="7.0.0",
         syntax="[REPLACE] function-code", complexity="O(1) (considering compilation time is redundant)", help=(
             "LOAD [REPLACE] <FUNCTION CODE>",
             "    Create a new library with the given library name and code."))
def function_load(client: Client, argv: list[bytes]) -> object:
    """Create a function with the given arguments (name, code, description)"""
    options = Arguments(argv[:-1], 2)
    replace_library = False
    while options:
        if not options.flag(b"REPLACE"):
            raise unknown_function_load_option(options.take())
        replace_library = True
    return _functions(client).load(argv[-1], replace_library)


@command("function|delete", arity=3, flags="write noscript", group="scripting", since="7.0.0",
         syntax="library-name", complexity="O(1)", help=(
             "DELETE <LIBRARY NAME>",
             "    Delete the given library."))
def function_delete(client: Client, argv: list[bytes]) -> object:
    """Delete a function by name"""
    _functions(client).delete(argv[2])
    return OK


@command("function|list", arity=-2, flags="noscript", group="scripting", since="7.0.0",
         syntax="[LIBRARYNAME library-name-pattern] [WITHCODE]",
         complexity="O(N) where N is the number of functions", help=(
             "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
             "    Return general information on all the libraries:",
             "    * Library name",
             "    * The engine used to run the Library",
             "    * Library description",
             "    * Functions list",
             "    * Library code (if WITHCODE is given)",
             "    It also possible to get only function that matches a pattern using LIBRARYNAME argument."))
def function_list(client: Client, argv: list[bytes]) -> object:
    """List information about all the functions"""
    options = Arguments(argv, 2)
    with_code, pattern = False, None
    while options:
        if not with_code and options.flag(b"WITHCODE"):
            with_code = True
        elif pattern is None and options.flag(b"LIBRARYNAME"):
            if not options:
                raise LibraryNamePatternMissingError()
            pattern = options.take()
        else:
            raise unknown_function_argument(options.take())
    matches = compile_glob(pattern, nocase=True) if pattern is not None else None
    return [_library_entry(library, with_code) for library in _functions(client).libraries().values()
            if matches is None or matches(library.name)]


def _library_entry(library: Library, with_code: bool) -> Map:
    entry = [(b"library_name", library.name), (b"engine", ENGINE),
             (b"functions", [Map([(b"name", function.name), (b"description", function.description),
                                  (b"flags", SetReply(Status(flag) for flag in _FLAG_ORDER if flag in function.flags))])
                             for function in library.functions.values()])]
    if with_code:
        entry.append((b"library_code", library.code))
    return Map(entry)


#: The order FUNCTION LIST gives a function's flags in (Redis' flag table's).
_FLAG_ORDER = ("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys")


@command("function|stats", arity=2, flags="noscript allow_busy", group="scripting", since="7.0.0",
         complexity="O(1)", help=(
             "STATS",
             "    Return information about the current function running:",
             "    * Function name",
             "    * Command used to run the function",
             "    * Duration in MS that the function is running",
             "    If no function is running, return nil",
             "    In addition, returns a list of available engines."))
def function_stats(client: Client, argv: list[bytes]) -> object:
    """Return information about the function currently running (name, description, duration)"""
    scripting = client.server.dispatcher.scripting
    functions = scripting.functions
    run = scripting.running
    running = None
    if run is not None and not run.is_function:
        raise BusyScriptError()  # an EVAL script runs: Redis answers as to any command
    if run is not None:
        running = Map([(b"name", run.name.encode()), (b"command", run.fcall),
                       (b"duration_ms", run.duration_ms())])
    engines = Map([(ENGINE, Map([(b"libraries_count", len(functions.libraries())),
                                 (b"functions_count", functions.function_count)]))])
    return Map([(b"running_script", running), (b"engines", engines)])


@command("function|kill", arity=2, flags="noscript allow_busy", group="scripting", since="7.0.0",
         complexity="O(1)", help=("KILL", "    Kill the current running function."))
def function_kill(client: Client, argv: list[bytes]) -> object:
    """Kill the function currently in execution."""
    client.server.dispatcher.scripting.kill(function=True)
    return OK


@command("function|flush", arity=-2, flags="write noscript", group="scripting", since="7.0.0",
         syntax="async:[ASYNC | SYNC]", complexity="O(N) where N is the number of functions deleted", help=(
             "FLUSH [ASYNC|SYNC]",
             "    Delete all the libraries.",
             "    When called without the optional mode argument, the behavior is determined by the",
             "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
             "    * ASYNC: Asynchronously flush the libraries.",
             "    * SYNC: Synchronously flush the libraries."))
def function_flush(client: Client, argv: list[bytes]) -> object:
    """Deleting all functions"""
    _trailing_option(argv, 2, _FLUSH_MODES, FunctionFlushModeError)
    _functions(client).flush()
    return OK


@command("function|dump", arity=2, flags="noscript", group="scripting", since="7.0.0",
         complexity="O(N) where N is the number of functions", help=(
             "DUMP",
             "    Return a serialized payload representing the current libraries, can be restored using FUNCTION "
             "RESTORE command"))
def function_dump(client: Client, argv: list[bytes]) -> object:
    """Dump all functions into a serialized binary payload"""
    return encode_payload([library.code for library in _functions(client).libraries().values()])


@command("function|restore", arity=-3, flags="write denyoom noscript", group="scripting", since="7.0.0",
         syntax="serialized-value policy:[FLUSH | APPEND | REPLACE]",
         complexity="O(N) where N is the number of functions on the payload", help=(
             "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
             "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
             "    control how to handle existing libraries (default APPEND):",
             "    * FLUSH: delete all existing libraries.",
             "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
             "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
             "      libraries with the new libraries (notice that even on this option there is a chance of failure",
             "      in case of functions name collision with another library)."))
def function_restore(client: Client, argv: list[bytes]) -> object:
    """Restore all the functions on the given payload"""
    policy = _trailing_option(argv, 3, _RESTORE_POLICIES, RestorePolicyError) or b"APPEND"
    _functions(client).restore(decode_payload(argv[2]), policy)
    return OK


@command("function|help", arity=2, flags="loading stale", group="scripting", since="7.0.0", complexity="O(1)",
         help=("HELP", "    Prints this help."))
def function_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands"""
    return help_reply(argv)
