"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP.

The interpreter, the cache and a script's run are :mod:`..scripting`'s; these functions read
the arguments and pick the script.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from pypika_store.errors import (CommandError, NegativeKeyCountError, NoScriptError, NotIntegerError,
                                 ScriptFlushModeError, TooManyKeysError)

from ..arguments import Arguments
from ..connection import Client
from ..registry import KeySpec, command, container, help_reply, keynum
from ..resp.replies import OK
from ..scripting.runtime import Script

_EVAL_FLAGS = "noscript stale skip_monitor no_mandatory_keys"
_EVAL_RO_FLAGS = "readonly noscript stale skip_monitor no_mandatory_keys"
#: A script's keys, with Redis' notes (EVALSHA's specs have none).
_EVAL_KEYS = (replace(keynum(2, "RW access update"), notes="We cannot tell how the keys will be used so we assume "
                                                          "the worst, RW and UPDATE"),)
_EVAL_RO_KEYS = (replace(keynum(2, "RO access"), notes="We cannot tell how the keys will be used so we assume the "
                                                       "worst, RO and ACCESS"),)
_EVALSHA_KEYS = (keynum(2, "RW access update"),)
_EVALSHA_RO_KEYS = (keynum(2, "RO access"),)


def keys_and_args(argv: list[bytes], numkeys_error: type[CommandError] = NotIntegerError
                  ) -> tuple[list[bytes], list[bytes]]:
    """KEYS and ARGV of ``<script|sha|function> numkeys key... arg...`` (EVAL's numkeys is
    checked before the script is looked at, as Redis does)."""
    count = Arguments(argv, 2).take_int(numkeys_error)
    if count < 0:
        raise NegativeKeyCountError()
    if count > len(argv) - 3:
        raise TooManyKeysError()
    return argv[3:3 + count], argv[3 + count:]


def _cached(client: Client, sha: bytes) -> Script:
    script = client.server.dispatcher.scripting.find(sha)
    if script is None:
        raise NoScriptError()
    return script


#: The length of a SHA1 in hex: EVALSHA of anything else is NOSCRIPT before its numkeys is read.
_SHA_LENGTH = 40


def _eval(client: Client, argv: list[bytes], by_sha: bool, read_only: bool) -> object:
    if by_sha and len(argv[1]) != _SHA_LENGTH:
        raise NoScriptError()
    keys, args = keys_and_args(argv)
    scripting = client.server.dispatcher.scripting
    script = _cached(client, argv[1]) if by_sha else scripting.load(argv[1])
    return scripting.run(client, script, keys, args, read_only)


def _register_eval(name: str, by_sha: bool, read_only: bool, since: str, keys: tuple[KeySpec, ...]) -> None:
    """EVAL and its three forms: one function, by body or by SHA1, read-only or not."""
    command(name, arity=-3, flags=_EVAL_RO_FLAGS if read_only else _EVAL_FLAGS, keys=keys, group="scripting",
            since=since, syntax=f"{'sha1' if by_sha else 'script'} numkeys:integer [key [key ...]] [arg [arg ...]]",
            complexity="Depends on the script that is executed.",
            summary=f"Execute a {'read-only ' if read_only else ''}Lua script server side")(
        partial(_eval, by_sha=by_sha, read_only=read_only))


_register_eval("eval", by_sha=False, read_only=False, since="2.6.0", keys=_EVAL_KEYS)
_register_eval("evalsha", by_sha=True, read_only=False, since="2.6.0", keys=_EVALSHA_KEYS)
_register_eval("eval_ro", by_sha=False, read_only=True, since="7.0.0", keys=_EVAL_RO_KEYS)
_register_eval("evalsha_ro", by_sha=True, read_only=True, since="7.0.0", keys=_EVALSHA_RO_KEYS)


container("script", arity=-2, group="scripting", summary="A container for Lua scripts management commands")


@command("script|exists", arity=-3, flags="noscript", group="scripting", since="2.6.0", syntax="sha1 [sha1 ...]",
         complexity="O(N) with N being the number of scripts to check (so checking a single script is an O(1) "
                    "operation).", help=(
             "EXISTS <sha1> [<sha1> ...]",
             "    Return information about the existence of the scripts in the script cache."))
def script_exists(client: Client, argv: list[bytes]) -> object:
    """Check existence of scripts in the script cache."""
    scripting = client.server.dispatcher.scripting
    return [int(scripting.find(sha) is not None) for sha in argv[2:]]


@command("script|flush", arity=-2, flags="noscript", group="scripting", since="2.6.0",
         syntax="async:[ASYNC | SYNC]",
         complexity="O(N) with N being the number of scripts in cache", help=(
             "FLUSH [ASYNC|SYNC]",
             "    Flush the Lua scripts cache. Very dangerous on replicas.",
             "    When called without the optional mode argument, the behavior is determined by the",
             "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
             "    * ASYNC: Asynchronously flush the scripts cache.",
             "    * SYNC: Synchronously flush the scripts cache."))
def script_flush(client: Client, argv: list[bytes]) -> object:
    """Remove all the scripts from the script cache."""
    if len(argv) > 3 or (len(argv) == 3 and Arguments(argv, 2).one_of(b"ASYNC", b"SYNC") is None):
        raise ScriptFlushModeError()
    client.server.dispatcher.scripting.flush()
    return OK


@command("script|kill", arity=2, flags="noscript allow_busy", group="scripting", since="2.6.0", complexity="O(1)",
         help=("KILL", "    Kill the currently executing Lua script."))
def script_kill(client: Client, argv: list[bytes]) -> object:
    """Kill the script currently in execution."""
    client.server.dispatcher.scripting.kill(function=False)
    return OK


@command("script|load", arity=3, flags="noscript stale", group="scripting", since="2.6.0", syntax="script",
         complexity="O(N) with N being the length in bytes of the script body.", help=(
             "LOAD <script>",
             "    Load a script into the scripts cache without executing it."))
def script_load(client: Client, argv: list[bytes]) -> object:
    """Load the specified Lua script into the script cache."""
    return client.server.dispatcher.scripting.load(argv[2]).sha.encode()


@command("script|help", arity=2, flags="loading stale", group="scripting", since="5.0.0", complexity="O(1)",
         help=("HELP", "    Prints this help."))
def script_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
