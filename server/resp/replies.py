"""Reply values and their RESP2 encoding.

Command functions return plain Python values and the connection encodes them:

- ``bytes`` → bulk string, ``None`` → null bulk, ``int`` → integer, ``list``/``tuple`` → array;
- :class:`Status` → simple string (``+OK``), :class:`Raw` → bytes already in RESP (constants);
- a :class:`~pypika_store.errors.CommandError` inside an array → an error element (EXEC).

A command signals its own failure by raising ``CommandError``.
"""

from __future__ import annotations

from pypika_store.errors import CommandError


class Status(str):
    """A simple-string reply such as ``+OK`` or ``+PONG``."""


class Raw(bytes):
    """A reply already encoded in RESP (for constants on hot paths)."""


OK = Raw(b"+OK\r\n")
PONG = Raw(b"+PONG\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
NULL_ARRAY = Raw(b"*-1\r\n")
EMPTY_ARRAY = Raw(b"*0\r\n")
ZERO = Raw(b":0\r\n")
ONE = Raw(b":1\r\n")

_NULL_BULK = b"$-1\r\n"


def error_line(message: str) -> bytes:
    """An error reply; CR and LF inside the text become spaces (as Redis does)."""
    if "\r" in message or "\n" in message:
        message = message.replace("\r", " ").replace("\n", " ")
    return b"-" + message.encode("utf-8", "surrogateescape") + b"\r\n"


def encode(reply: object) -> bytes:
    """Encode one reply value as RESP2."""
    kind = type(reply)
    if kind is bytes:
        return b"$%d\r\n%s\r\n" % (len(reply), reply)  # type: ignore[arg-type]
    if kind is Raw:
        return reply  # type: ignore[return-value]
    if kind is int:
        return b":%d\r\n" % reply  # type: ignore[operator]
    if reply is None:
        return _NULL_BULK
    if kind is list or kind is tuple:
        parts = [b"*%d\r\n" % len(reply)]  # type: ignore[arg-type]
        parts.extend(map(encode, reply))  # type: ignore[call-overload]
        return b"".join(parts)
    if kind is Status:
        return b"+%s\r\n" % reply.encode()  # type: ignore[union-attr]
    if isinstance(reply, CommandError):
        return error_line(reply.message)
    if kind is bool:
        return b":1\r\n" if reply else b":0\r\n"
    if kind is str:
        return encode(reply.encode("utf-8", "surrogateescape"))  # type: ignore[union-attr]
    raise TypeError(f"cannot encode reply of type {kind.__name__}")
