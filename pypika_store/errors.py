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


class InvalidStreamIdError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR Invalid stream ID specified as stream command argument")


class StreamExhaustedError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The stream has exhausted the last possible ID, unable to add more items")


class ElementsTooLargeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR Elements are too large to be stored")


class XaddIdTooSmallError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The ID specified in XADD is equal or smaller than the target stream top item")


class XaddIdZeroError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The ID specified in XADD must be greater than 0-0")


class XsetidIdTooSmallError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The ID specified in XSETID is smaller than the target stream top item")


class XsetidEntriesAddedTooSmallError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The entries_added specified in XSETID is smaller than the target stream length")


class XsetidMaxDeletedTooLargeError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")


class TimeoutNotIntegerError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR timeout is not an integer or out of range")


def invalid_interval_id(end: str) -> CommandError:
    """XRANGE's exclusive ``end`` ("start" or "end") that has no ID next to it."""
    return CommandError(f"ERR invalid {end} ID for the interval")


def must_be_non_negative(argument: str) -> CommandError:
    """XADD's and XTRIM's negative MAXLEN or LIMIT."""
    return CommandError(f"ERR The {argument} argument must be >= 0.")


def must_be_positive(argument: str) -> CommandError:
    """XSETID's negative ENTRIESADDED."""
    return CommandError(f"ERR {argument} must be positive")


def xreadgroup_only(option: str) -> CommandError:
    """An XREADGROUP option given to XREAD."""
    return CommandError(f"ERR The {option} option is only supported by XREADGROUP. You called XREAD instead.")


class UnbalancedStreamsError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")


class GreaterIdOutsideGroupError(CommandError):
    def __init__(self) -> None:
        super().__init__("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
                         "<group> <consumer> option.")


def unknown_subcommand_or_arity(container: bytes, subcommand: bytes) -> CommandError:
    """A subcommand called with arguments it does not take (XINFO STREAM key junk), quoting
    both names as the client typed them."""
    return CommandError(f"ERR unknown subcommand or wrong number of arguments for "
                        f"'{subcommand[:128].decode('utf-8', 'surrogateescape')}'. "
                        f"Try {container.decode('utf-8', 'replace').upper()} HELP.")


def no_such_group(key: bytes, group: bytes) -> CommandError:
    """NOGROUP for a consumer group that does not exist."""
    return CommandError(f"NOGROUP No such consumer group '{group.decode('utf-8', 'surrogateescape')}' "
                        f"for key name '{key.decode('utf-8', 'surrogateescape')}'")


def store_with_extras(what: str) -> CommandError:
    """GEORADIUS' STORE (``what``) given with WITHDIST, WITHHASH or WITHCOORD."""
    return CommandError(f"ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")


def exactly_one_of(options: str, name: bytes) -> CommandError:
    """GEOSEARCH without (or with both of) ``options``, quoting the command as typed."""
    return CommandError(f"ERR exactly one of {options} can be specified for {name.decode()}")
