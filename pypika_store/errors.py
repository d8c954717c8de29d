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


# -- the data-type commands (sorted sets, lists, sets, hashes, streams) ---------------------------


class ScoreNaNError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR resulting score is not a number (NaN)")


class ScoreRangeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR min or max is not a float")


class LexRangeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR min or max not valid string range item")


class WeightNotFloatError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR weight value is not a float")


def incompatible_options(what: str) -> CommandError:
    """``ERR <what> options at the same time are not compatible`` (ZADD's XX and NX, ...)."""
    return CommandError(f"ERR {what} options at the same time are not compatible")


def cant_be_negative(name: str) -> CommandError:
    """``ERR <name> can't be negative`` (LPOS' COUNT and MAXLEN, the LIMIT of *INTERCARD)."""
    return CommandError(f"ERR {name} can't be negative")


class IncrPairError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR INCR option supports a single increment-element pair")


def syntax_error(detail: str) -> CommandError:
    """``ERR syntax error, <detail>``: Redis' syntax error that says what is wrong."""
    return CommandError(f"ERR syntax error, {detail}")


class IndexOutOfRangeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR index out of range")


def rank_zero() -> CommandError:
    """LPOS' RANK 0."""
    return CommandError("ERR RANK can't be zero: use 1 to start from the first match, "
                        "2 from the second ... or use negative to start from the end of the list")


class NumkeysError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR numkeys should be greater than 0")


class TooManyKeysError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR Number of keys can't be greater than number of args")


class LimitNegativeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR LIMIT can't be negative")


def no_input_key(argv: list[bytes]) -> CommandError:
    """ZUNION, ZINTER... with numkeys 0, naming the command as the client typed it."""
    return CommandError(f"ERR at least 1 input key is needed for '{argv[0].decode('utf-8', 'replace').lower()}' command")


class HashNotIntegerError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR hash value is not an integer")


class HashNotFloatError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR hash value is not a float")


class NotFiniteError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR value is NaN or Infinity")


class IncrementNotFiniteError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR increment would produce NaN or Infinity")
