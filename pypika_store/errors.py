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
