"""Errors raised by the engine and the commands.

Every error carries the exact text Redis sends (its first word is the error code), because
clients and users match on those strings. The server only prefixes ``-`` and appends CRLF.
"""

from __future__ import annotations


class CommandError(Exception):
    """A command failed; ``message`` is Redis' reply text, e.g. ``ERR syntax error``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongTypeError(CommandError):
    def __init__(self) -> None:
        super().__init__("WRONGTYPE Operation against a key holding the wrong kind of value")


class NotIntegerError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR value is not an integer or out of range")


class NotFloatError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR value is not a valid float")


class SyntaxErrorReply(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR syntax error")


class NoSuchKeyError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR no such key")


class OverflowErrorReply(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR increment or decrement would overflow")


class NotPositiveError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR value is out of range, must be positive")


class InvalidCursorError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR invalid cursor")


class TimeoutNotFloatError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR timeout is not a float or out of range")


class TimeoutNegativeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR timeout is negative")


class WrongArityError(CommandError):
    """Redis' arity error, for ``name`` as COMMAND names it (``config|set`` for a subcommand)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"ERR wrong number of arguments for '{name}' command")


def wrong_arity(argv: list[bytes]) -> WrongArityError:
    """The arity error of a call whose argument count fails a check the command table cannot
    express (HSET's field/value pairs, ...)."""
    return WrongArityError(argv[0].decode("utf-8", "replace").lower())


def out_of_range(low: int | None = None, high: int | None = None) -> CommandError:
    """``ERR value is out of range``, with the bounds when Redis names them."""
    if low is None:
        return CommandError("ERR value is out of range")
    return CommandError(f"ERR value is out of range, value must between {low} and {high}")


def unknown_subcommand(container: str, subcommand: bytes) -> CommandError:
    """A container command (CONFIG, CLIENT...) called with a subcommand it lacks."""
    return CommandError(f"ERR unknown subcommand '{subcommand.decode('utf-8', 'replace')[:128]}'. "
                        f"Try {container.upper()} HELP.")


def unknown_command(argv: list[bytes]) -> CommandError:
    """An unknown command, quoting the start of its arguments as Redis does."""
    args = ""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += "'" + arg.decode("utf-8", "replace")[: 128 - len(args)] + "' "
    name = argv[0].decode("utf-8", "replace")[:128]
    return CommandError(f"ERR unknown command '{name}', with args beginning with: {args}")


class CommitFailed(Exception):
    """LMDB refused to commit a turn's writes (a full map, a failing disk...): they are lost.
    The text is LMDB's own; the server fails the clients whose replies waited for the commit."""
