"""Reply values and their RESP2 / RESP3 encodings.

Command functions return plain Python values and the connection encodes them for the protocol
the client chose with HELLO:

- ``bytes`` → bulk string; ``int`` → integer; ``list``/``tuple`` → array;
- ``None`` → null (``$-1`` in RESP2, ``_`` in RESP3);
- :class:`Map` → flat array in RESP2, map (``%``) in RESP3;
- :class:`SetReply` → array in RESP2, set (``~``) in RESP3; :class:`Double` → bulk string in
  RESP2, double (``,``) in RESP3; :class:`Push` → array in RESP2, push (``>``) in RESP3;
- :class:`Verbatim` → bulk string in RESP2, verbatim string (``=``, ``txt:`` before the text)
  in RESP3: the human-readable reports Redis 7.0 sends so (INFO, CLIENT LIST, LATENCY DOCTOR...);
- :class:`Status` → simple string (``+OK``); :class:`Raw` → bytes already in RESP, for constants
  that read the same in both protocols (``+OK``, ``:1``);
- a :class:`~pypika_store.errors.CommandError` inside an array → an error element (EXEC).

A command signals its own failure by raising ``CommandError``.
"""

from __future__ import annotations

from itertools import chain
from typing import Callable, Iterable, Iterator

from pypika_store.errors import CommandError


class Status(str):
    """A simple-string reply such as ``+OK`` or ``+PONG``."""


class Raw(bytes):
    """A reply already encoded in RESP, identical in RESP2 and RESP3."""


class Map(list):
    """A map reply, given as ``[(key, value), ...]``."""


class BulkStrings(list):
    """An array whose elements are all ``bytes`` (LRANGE's elements, read from the store): the
    command knows it, so the encoder writes them in one pass without first checking each
    element's type, as it must for a plain ``list``."""


class SetReply(list):
    """A set reply (SMEMBERS, SINTER...): an array in RESP2, a set (``~``) in RESP3."""


class Push(list):
    """Data the client did not ask for (pub/sub messages, SUBSCRIBE's confirmations): an
    array in RESP2, a push (``>``) in RESP3, so a RESP3 client can tell it from a reply."""


class Double(float):
    """A double reply (ZSCORE...): a bulk string in RESP2, ``,`` in RESP3, printed as Redis
    7.0 prints doubles (``%.17g``, ``inf``/``-inf``)."""

    def text(self) -> bytes:
        return _DOUBLE_FORMAT % self


#: How Redis 7.0 prints a double; Python prints infinities as it does (``inf``, ``-inf``).
_DOUBLE_FORMAT = b"%.17g"


def double_texts(values: Iterable[float]) -> Iterator[bytes]:
    """Doubles as :class:`Double` prints them, formatted in C one after the other: what a RESP2
    reply of scores holds as bulk strings (ZRANGE WITHSCORES)."""
    return map(_DOUBLE_FORMAT.__mod__, values)


class Verbatim(bytes):
    """Text for a human (INFO, CLIENT INFO / LIST, LOLWUT, LATENCY DOCTOR, MEMORY DOCTOR): a
    bulk string in RESP2, a verbatim string ``=<len>\\r\\n<format>:<text>\\r\\n`` in RESP3, where
    ``format`` is three characters (``txt`` plain text, ``mkd`` markdown)."""

    format: bytes

    def __new__(cls, text: bytes | str, format: str = "txt") -> "Verbatim":
        if len(format) != 3:
            raise ValueError(f"a verbatim string's format has three characters, not {format!r}")
        value = super().__new__(cls, text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
        value.format = format.encode()
        return value


OK = Raw(b"+OK\r\n")
PONG = Raw(b"+PONG\r\n")
ZERO = Raw(b":0\r\n")
ONE = Raw(b":1\r\n")
#: A null array: ``*-1`` in RESP2 (BLPOP's timeout, LPOP with a count on a missing key), ``_``
#: in RESP3.
NULL_ARRAY = object()
#: Nothing at all: SHUTDOWN closes the connection without replying, as Redis does.
NO_REPLY = Raw(b"")


def error_line(message: str) -> bytes:
    """An error reply; CR and LF inside the text become spaces (as Redis does)."""
    if "\r" in message or "\n" in message:
        message = message.replace("\r", " ").replace("\n", " ")
    return b"-" + message.encode("utf-8", "surrogateescape") + b"\r\n"


#: How many bulk string lengths and integers the encoder's tables hold (0 to 1023).
TABLED = 1024
#: The set of element types of an aggregate of bulk strings only (see ``elements``).
_BULK_STRINGS_ONLY = {bytes}
#: A bulk string's first line without its CRLF, for each length below :data:`TABLED`.
_BULK_HEADERS = [b"$%d" % length for length in range(TABLED)]
#: The same with its CRLF: a bulk string reply (GET's) is its header, itself and a CRLF,
#: concatenated (cheaper than formatting the length). The same in RESP2 and RESP3: the
#: dispatcher encodes a handler's short bulk string from here itself.
BULK_LINES = [header + b"\r\n" for header in _BULK_HEADERS]
#: From this many pairs on, a map's keys and values are flattened and encoded as one aggregate
#: (one pass when all are bytes: HGETALL); smaller maps cost less encoded part by part.
_FLAT_MAP_PAIRS = 6
#: The integer replies from 0 to :data:`TABLED` (excluded), encoded (counts, lengths, flags: most
#: integer replies). The same in RESP2 and RESP3: the dispatcher takes a handler's small integer
#: from here itself.
INTEGERS = [b":%d\r\n" % value for value in range(TABLED)]


def _bulk_strings(header: bytes, items: list[bytes]) -> bytes:
    """An aggregate of bulk strings, encoded: its ``header`` line (``*3``, ``~3``... without the
    CRLF), then ``$<length>`` (from a table, looked up in a comprehension: cheaper than two
    ``map`` calls) and the element alternating, joined by CRLF in one join. A last empty part
    gives the final CRLF and the header comes in first, so the reply is built once, never
    copied by a concatenation."""
    parts = [b""] * (2 * len(items) + 2)
    parts[0] = header
    try:
        parts[1:-1:2] = [_BULK_HEADERS[len(item)] for item in items]
    except IndexError:  # an element past the table
        parts[1:-1:2] = [b"$%d" % len(item) for item in items]
    parts[2:-1:2] = items
    return b"\r\n".join(parts)


def _make_encoder(resp3: bool) -> Callable[[object], bytes]:
    """The encoder of one protocol version (the two differ only for nulls, maps and booleans)."""
    null = b"_\r\n" if resp3 else b"$-1\r\n"
    null_array = b"_\r\n" if resp3 else b"*-1\r\n"
    true, false = (b"#t\r\n", b"#f\r\n") if resp3 else (b":1\r\n", b":0\r\n")

    def aggregate(header: bytes, items: list) -> bytes:
        """An aggregate: its ``header`` line without the CRLF (``*3``...), then its elements.
        The common one holds only bulk strings (LRANGE, SMEMBERS, HGETALL, MGET without
        misses): those are written by :func:`_bulk_strings` in one pass instead of one
        :func:`encode` call each."""
        if set(map(type, items)) != _BULK_STRINGS_ONLY:
            return header + b"\r\n" + b"".join(map(encode, items))
        return _bulk_strings(header, items)

    def encode(reply: object) -> bytes:
        kind = type(reply)
        if kind is bytes:
            length = len(reply)  # type: ignore[arg-type]
            if length < TABLED:
                return BULK_LINES[length] + reply + b"\r\n"  # type: ignore[operator]
            return b"$%d\r\n%s\r\n" % (length, reply)
        if kind is Raw:
            return reply  # type: ignore[return-value]
        if kind is int:
            return INTEGERS[reply] if 0 <= reply < TABLED else b":%d\r\n" % reply  # type: ignore[operator, index]
        if reply is None:
            return null
        if reply is NULL_ARRAY:
            return null_array
        if kind is list or kind is tuple:
            return aggregate(b"*%d" % len(reply), reply)  # type: ignore[arg-type]
        if kind is BulkStrings:
            return _bulk_strings(b"*%d" % len(reply), reply)  # type: ignore[arg-type]
        if kind is Map:
            count = len(reply)  # type: ignore[arg-type]
            header = b"%%%d" % count if resp3 else b"*%d" % (2 * count)
            if count < _FLAT_MAP_PAIRS:
                return header + b"\r\n" + b"".join([encode(part) for pair in reply for part in pair])  # type: ignore[union-attr]
            return aggregate(header, list(chain.from_iterable(reply)))  # type: ignore[arg-type]
        if kind is Double:
            text = reply.text()  # type: ignore[union-attr]
            return b",%s\r\n" % text if resp3 else b"$%d\r\n%s\r\n" % (len(text), text)
        if kind is SetReply:
            return aggregate((b"~%d" if resp3 else b"*%d") % len(reply), reply)  # type: ignore[arg-type]
        if kind is Push:
            return aggregate((b">%d" if resp3 else b"*%d") % len(reply), reply)  # type: ignore[arg-type]
        if kind is Verbatim:
            if resp3:
                return b"=%d\r\n%s:%s\r\n" % (len(reply) + 4, reply.format, reply)  # type: ignore[union-attr]
            return b"$%d\r\n%s\r\n" % (len(reply), reply)  # type: ignore[arg-type]
        if kind is Status:
            return b"+%s\r\n" % reply.encode()  # type: ignore[union-attr]
        if isinstance(reply, CommandError):
            return error_line(reply.message)
        if kind is bool:
            return true if reply else false
        if kind is str:
            return encode(reply.encode("utf-8", "surrogateescape"))  # type: ignore[union-attr]
        raise TypeError(f"cannot encode reply of type {kind.__name__}")

    return encode


#: Encode one reply value as RESP2.
encode = _make_encoder(resp3=False)
#: Encode one reply value as RESP3.
encode3 = _make_encoder(resp3=True)
