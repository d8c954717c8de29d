"""Incremental parsers for client requests: RESP multibulk and inline (telnet-style) commands.

:class:`RequestParser` is the reference: it applies Redis' rules and limits and produces Redis'
exact ``Protocol error`` texts. :class:`HiredisRequestParser` hands the common case to hiredis'
C reader and falls back to the reference parser for everything unusual (inline commands,
malformed input, very large bulks), so both behave identically. :func:`make_parser` picks the
fastest available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

try:  # optional speed-up
    import hiredis
except ImportError:  # pragma: no cover - exercised when hiredis is absent
    hiredis = None

#: Longest inline command, multibulk count line or bulk length line (Redis' PROTO_INLINE_MAX_SIZE).
INLINE_MAX_SIZE = 64 * 1024
#: Bulk strings at least this long are collected chunk by chunk while they arrive.
_BIG_BULK = 64 * 1024
#: Largest multibulk count Redis accepts (INT_MAX). Nothing is allocated for it up front: the
#: arguments list grows as they arrive, so a huge count costs nothing until its data comes.
MULTIBULK_MAX_COUNT = 2**31 - 1


#: What a client that must still authenticate may send (Redis' authRequired checks): at most
#: this many arguments per multibulk, and bulks of at most this many bytes.
UNAUTHENTICATED_MAX_COUNT = 10
UNAUTHENTICATED_MAX_BULK = 16384


class ProtocolError(Exception):
    """Unparseable input; the message is Redis' text after ``ERR Protocol error: ``."""


class QueryBufferLimitReached(ProtocolError):
    """More unparsed input than ``client-query-buffer-limit``: Redis closes such a client
    without a reply (and logs it)."""


@dataclass
class ProtocolLimits:
    """``proto-max-bulk-len`` and ``client-query-buffer-limit``: one object shared by every
    client's parser, so that a CONFIG SET applies at once to the clients already connected,
    as in Redis (which reads both at each check)."""

    max_bulk_len: int = 512 * 1024 * 1024
    max_buffer: int = 1024**3


def _strict_int(text: bytes) -> int | None:
    """Parse an integer the way Redis' string2ll does: no sign '+', no spaces, no leading zeros."""
    if not text or len(text) > 20:
        return None
    digits = text[1:] if text[:1] == b"-" else text
    if not digits.isdigit() or (len(digits) > 1 and digits[:1] == b"0") or (digits == b"0" and text[:1] == b"-"):
        return None
    return int(text)


_SPACES = b" \t\r\n\v\f"


def _quoted(line: bytes, index: int) -> tuple[bytes, int]:
    """Read the quoted argument starting at ``line[index]`` (a " or a ').

    In double quotes ``\\xHH`` and ``\\n``-style escapes apply; in single quotes only ``\\'``.
    The closing quote must end the argument. Returns the argument and the index after it.
    """
    quote = line[index]
    index += 1
    current = bytearray()
    end = len(line)
    while True:
        if index >= end:
            raise ProtocolError("unbalanced quotes in request")
        char = line[index]
        if char == quote:
            index += 1
            if index < end and line[index] not in _SPACES:
                raise ProtocolError("unbalanced quotes in request")
            return bytes(current), index
        if char == 0x5C and index + 1 < end:  # backslash
            following = line[index + 1]
            if quote == 0x22 and following == 0x78 and index + 3 < end and _is_hex(line[index + 2 : index + 4]):
                current.append(int(line[index + 2 : index + 4], 16))
                index += 4
                continue
            if quote == 0x22:
                current.append(_ESCAPES.get(following, following))
                index += 2
                continue
            if following == 0x27:
                current.append(0x27)
                index += 2
                continue
        current.append(char)
        index += 1


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command like Redis' sdssplitargs: spaces, "double" and 'single' quotes."""
    args: list[bytes] = []
    index, end = 0, len(line)
    while True:
        while index < end and line[index] in _SPACES:
            index += 1
        if index >= end:
            return args
        if line[index] in (0x22, 0x27):
            arg, index = _quoted(line, index)
        else:
            start = index
            while index < end and line[index] not in _SPACES:
                index += 1
            arg = line[start:index]
        args.append(arg)


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(ch in b"0123456789abcdefABCDEF" for ch in pair)


class RequestParser:
    """Parses a client's byte stream into commands (lists of bytes), one at a time.

    ``feed(data)`` appends input; ``gets()`` returns the next complete command, ``False`` when
    more input is needed, and raises :class:`ProtocolError` on malformed input. Empty commands
    (a blank inline line, ``*0``) are skipped as Redis skips them.

    The unparsed input is one ``bytes`` object, so arguments are sliced out with a single copy.
    A bulk string larger than :data:`_BIG_BULK` that is still arriving is collected as a list
    of chunks and joined once, so a 100 MB value costs O(size), not O(size²) re-copying, and a
    declared length allocates nothing before its bytes arrive.

    ``limits`` are the server's (shared, see :class:`ProtocolLimits`); ``auth_required`` is
    set by the connection while its client must still authenticate, which bounds counts and
    bulks as Redis does before AUTH.
    """

    def __init__(self, limits: ProtocolLimits | None = None) -> None:
        self.limits = limits or ProtocolLimits()
        self.auth_required = False
        self._buffer = b""
        self._pos = 0
        # Multibulk state: the arguments still expected, those read so far, the next bulk size.
        self._remaining = 0
        self._args: list[bytes] = []
        self._bulk_len = -1
        # A big bulk in transit: its chunks and their total size.
        self._chunks: list[bytes] | None = None
        self._chunks_size = 0

    def feed(self, data: bytes) -> None:
        if self._chunks is not None:
            self._chunks.append(data)
            self._chunks_size += len(data)
            pending = self._chunks_size
        elif self._pos >= len(self._buffer):
            self._buffer = bytes(data)
            self._pos = 0
            pending = len(data)
        else:
            self._buffer = self._buffer[self._pos :] + data
            self._pos = 0
            pending = len(self._buffer)
        if pending > self.limits.max_buffer:
            raise QueryBufferLimitReached("client query buffer limit reached")

    def read_all(self, data: bytes) -> tuple[list[list[bytes]], bool]:
        """:meth:`feed` then :meth:`gets`, in one call: the read's first command (none if none is
        complete) and whether more input is left after it (the connection then runs the rest
        through :meth:`gets`). Only one command: the next ones must be parsed under the limits
        the ones before may change (AUTH, RESET), which hiredis' batch leaves to the reference
        parser's :meth:`gets` anyway."""
        self.feed(data)
        command = self.gets()
        if command is False:
            return [], True
        return [command], self._pos < len(self._buffer)  # gets() left no bulk or chunks half-read

    def pending(self) -> int:
        """Bytes received but not yet parsed into a command."""
        return len(self._buffer) - self._pos + self._chunks_size

    def idle(self) -> bool:
        """True on a command boundary with nothing buffered."""
        return self._remaining == 0 and self._pos >= len(self._buffer) and self._chunks is None

    def gets(self) -> list[bytes] | bool:
        while True:
            if self._remaining:
                return self._read_bulks()
            if self._pos >= len(self._buffer):
                return False
            if self._buffer[self._pos] == 0x2A:  # '*'
                command = self._read_multibulk_header()
            else:
                command = self._read_inline()
            if command is False:
                return False
            if command:
                return command
            # An empty command: skip it and look at what follows.

    def _read_line(self, too_long: str) -> bytes | None:
        buffer, pos = self._buffer, self._pos
        end = buffer.find(b"\r\n", pos)
        if end < 0:
            if len(buffer) - pos > INLINE_MAX_SIZE:
                raise ProtocolError(too_long)
            return None
        self._pos = end + 2
        return buffer[pos:end]

    def _read_inline(self) -> list[bytes] | bool:
        buffer, pos = self._buffer, self._pos
        end = buffer.find(b"\n", pos)
        if end < 0:
            if len(buffer) - pos > INLINE_MAX_SIZE:
                raise ProtocolError("too big inline request")
            return False
        line = buffer[pos:end]
        self._pos = end + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        return split_inline(line)

    def _read_multibulk_header(self) -> list[bytes] | bool:
        line = self._read_line("too big mbulk count string")
        if line is None:
            return False
        count = _length(line[1:])
        if count is None or count > MULTIBULK_MAX_COUNT:
            raise ProtocolError("invalid multibulk length")
        if count > UNAUTHENTICATED_MAX_COUNT and self.auth_required:
            raise ProtocolError("unauthenticated multibulk length")
        if count <= 0:
            return []
        self._remaining = count
        self._args = []
        self._bulk_len = -1
        return self._read_bulks()

    def _finish_big_bulk(self) -> None:
        """The big bulk in transit has arrived whole: its chunks are joined into the argument
        (its one copy) and what follows its CRLF becomes the buffer, so nothing of its size is
        kept once the command is parsed."""
        chunks, length = self._chunks, self._bulk_len
        assert chunks is not None
        taken = 0
        for index, chunk in enumerate(chunks):  # the chunk where the bulk ends
            if taken + len(chunk) >= length:
                break
            taken += len(chunk)
        cut = length - taken
        self._args.append(b"".join([*chunks[:index], memoryview(chunks[index])[:cut]]))
        rest = b"".join([memoryview(chunks[index])[cut:], *chunks[index + 1 :]])
        self._buffer = rest[2:]
        self._pos = 0
        self._chunks = None
        self._chunks_size = 0
        self._bulk_len = -1
        self._remaining -= 1

    def _read_bulks(self) -> list[bytes] | bool:
        if self._chunks is not None:
            if self._chunks_size < self._bulk_len + 2:
                return False
            self._finish_big_bulk()
        buffer, pos, args = self._buffer, self._pos, self._args
        size = len(buffer)
        # The state lives in locals while the bulks are read (this runs for every argument of
        # every request) and is stored back when the input runs out or the command is whole.
        remaining, bulk_len = self._remaining, self._bulk_len
        max_bulk_len = self.limits.max_bulk_len
        while remaining:
            if bulk_len < 0:
                if pos >= size:
                    break
                if buffer[pos] != 0x24:  # '$'
                    raise ProtocolError(f"expected '$', got '{chr(buffer[pos])}'")
                end = buffer.find(b"\r\n", pos)
                if end < 0:
                    if size - pos > INLINE_MAX_SIZE:
                        raise ProtocolError("too big bulk count string")
                    break
                bulk_len = _length(buffer[pos + 1 : end])
                if bulk_len is None or bulk_len < 0 or bulk_len > max_bulk_len:
                    raise ProtocolError("invalid bulk length")
                if bulk_len > UNAUTHENTICATED_MAX_BULK and self.auth_required:
                    raise ProtocolError("unauthenticated bulk length")
                pos = end + 2
            stop = pos + bulk_len
            if size < stop + 2:
                if bulk_len >= _BIG_BULK:
                    self._chunks = [buffer[pos:]]
                    self._chunks_size = size - pos
                    self._buffer = b""
                    pos = 0
                break
            args.append(buffer[pos:stop])
            pos = stop + 2
            bulk_len = -1
            remaining -= 1
        self._remaining, self._bulk_len = remaining, bulk_len
        if remaining:
            self._pos = pos
            return False
        if pos >= size and size > _BIG_BULK:  # all parsed: a big buffer is not kept for later
            self._buffer, pos = b"", 0
        self._pos = pos
        self._args = []
        return args


def _length(digits: bytes) -> int | None:
    """A multibulk count's or bulk length's digits as Redis reads them (string2ll); None when
    they are not a number. The usual short, plain number is read at once."""
    if digits.isdigit() and len(digits) < 19 and (digits[0] != 0x30 or len(digits) == 1):
        return int(digits)
    return _strict_int(digits)


class HiredisRequestParser:
    """hiredis for well-formed multibulk traffic, :class:`RequestParser` for everything else.

    hiredis cannot parse inline commands, does not report Redis' protocol errors or limits, and
    accepts replies (integers, nested arrays, simple strings) that are not valid requests. So
    the bytes fed since the last command boundary are kept; whenever hiredis meets anything it
    would not handle as Redis does, or stops inside a command (which may be a huge bulk that
    the limits must see), those bytes go to the reference parser, which skips the commands
    hiredis already returned and carries on alone until its own buffer drains.

    hiredis only ever holds one read's input, starting on a command boundary: input that
    arrives while it still holds some (a blocked client's pipeline) goes to the reference
    parser. A command hiredis returns that ends where that input ends (``has_data()`` is
    false: it consumed everything) proves the boundary, and the input is dropped.

    What hiredis would read differently from Redis is looked for in each read's bytes before
    hiredis sees them, one regular-expression scan each:

    - a multibulk count of seven digits or more: hiredis allocates a multibulk's whole list as
      soon as it reads the count, so ``*2147483648`` would stall the server allocating
      gigabytes (or raise MemoryError); such input goes to the reference parser, which
      allocates nothing for a count;
    - a CRLF followed by ``+``, ``(``, ``=``, ``~``, ``|``, ``>`` or ``%``: a simple string, big
      number or verbatim string where a bulk string should be, which hiredis returns as bytes, a
      set, attribute or push where a command's array should be, which it returns as a list, or
      a map, which it returns as a dict. Such a read is
      *verified*: the commands hiredis returned from it, written canonically, must add up to its
      size, else the reference parser decides.

    A false alarm (such bytes inside a value) only costs speed. Every other way a reply differs
    from a request (an integer, a null, a nested array, an error element) shows in the element
    types, checked on each command. An argument cannot be longer than the input that holds it,
    so a read no larger than ``proto-max-bulk-len`` needs no per-argument length check.

    A client that must still authenticate is parsed by the reference parser alone (hiredis
    knows nothing of the unauthenticated limits).
    """

    def __init__(self, limits: ProtocolLimits | None = None) -> None:
        self.limits = limits or ProtocolLimits()
        self._auth_required = False
        self._reader = hiredis.Reader(notEnoughData=_INCOMPLETE)
        self._fallback: RequestParser | None = None
        self._unsettled: list[bytes] = []   # the read hiredis holds (a list, to tell a second one)
        self._unsettled_size = 0
        self._returned: list[list] = []     # the commands hiredis returned from it
        self._verify = False                # the read may hold what hiredis takes for a request

    @property
    def auth_required(self) -> bool:
        return self._auth_required

    @auth_required.setter
    def auth_required(self, required: bool) -> None:
        if required and self._fallback is None and self._unsettled:
            self._switch_to_reference()  # RESET in a pipeline: the limits apply to what follows it
        self._auth_required = required
        if self._fallback is not None:
            self._fallback.auth_required = required

    def feed(self, data: bytes) -> None:
        if self._fallback is not None:
            self._fallback.feed(data)
            return
        self._unsettled.append(data)
        self._unsettled_size += len(data)
        if self._auth_required or len(self._unsettled) > 1 or data[:1] != b"*" or _LARGE_COUNT.search(data) \
                or self._unsettled_size > self.limits.max_buffer:
            self._switch_to_reference()
        elif _REPLY_TYPE.search(data) is None:  # the usual read: nothing hiredis reads differently
            self._verify = False
            self._reader.feed(data)
        elif _NOT_A_COMMAND.search(data) is None:
            self._verify = True
            self._reader.feed(data)
        else:
            self._switch_to_reference()

    def read_all(self, data: bytes) -> tuple[list[list[bytes]], bool]:
        """:meth:`feed` then every :meth:`gets`, in one call: the read's complete commands and
        whether more input is left after them (the connection then runs the rest through
        :meth:`gets`).

        Why: a read that holds whole commands on a command boundary is the usual read of every
        client (one command: redis-benchmark -P 1, any application that waits for each reply;
        several: a pipeline). hiredis reads the first; when it holds nothing after it, that was
        the read. Else the rest are read by hiredis' bound ``gets`` called in one C loop until
        it finds no whole reply, a ``b"".join`` of each, in one C loop too, refuses anything but
        lists of bulk strings (an integer, a null, a nested array, an error element), and when
        hiredis holds nothing after them (:func:`_on_boundary`), nothing is kept: none of
        :meth:`gets`' checks and bookkeeping per command. The connection runs the commands in
        order; if one of them changes what the rest must be parsed under (a RESET that ends the
        authentication) or stops the client (blocked, closing, its output paused),
        :meth:`keep_unrun` gives the rest back. Anything else (a read held across reads, an incomplete command at its end,
        anything hiredis cannot be trusted with) takes :meth:`feed`'s and :meth:`gets`' way."""
        size = len(data)
        if self._fallback is not None or self._unsettled or self._auth_required or data[:1] != b"*" \
                or size > _WHOLE_READ_MAX or size > self.limits.max_bulk_len \
                or _LARGE_COUNT.search(data) or _REPLY_TYPE.search(data):  # two scans: faster than one of both
            self.feed(data)  # feed() sorts out what the read needs
        else:
            reader = self._reader
            reader.feed(data)
            try:
                command = reader.gets()
                # One call refusing all but a list of bulk strings (bytes): _INCOMPLETE, or an
                # element that is an integer, a null, a nested array, an error.
                b"".join(command)
                if not reader.has_data():
                    if command:  # not *0, which the reference parser skips
                        return [command], False  # the command ends where the read does: nothing is kept
                else:
                    commands = [command, *iter(reader.gets, _INCOMPLETE)]
                    # Each joined: refused (TypeError) unless a list of bytes; an empty join is
                    # *0 (skipped by the reference parser) or $0 at the top (an inline command).
                    if all(map(b"".join, commands)) and not reader.has_data() and _on_boundary(reader):
                        return commands, False  # they end where the read does: nothing is kept
            except (hiredis.ProtocolError, TypeError):
                pass
            self._unsettled = [data]
            self._unsettled_size = size
            self._switch_to_reference()  # that, or a command cut by the read's end: the reference parser decides
        command = self.gets()
        return ([], True) if command is False else ([command], True)

    def keep_unrun(self, data: bytes, commands: list[list[bytes]], ran: int) -> None:
        """The connection ran only the first ``ran`` of the ``commands`` :meth:`read_all`
        returned from ``data``: the rest are parsed again, by the reference parser, under the
        limits that now apply (and are what :meth:`pending` counts)."""
        self._unsettled = [data]
        self._unsettled_size = len(data)
        self._returned = commands[:ran]
        self._switch_to_reference()

    def pending(self) -> int:
        if self._fallback is not None:
            return self._fallback.pending()
        return self._unsettled_size - self._returned_size()

    def _returned_size(self) -> int:
        """The bytes of the commands returned from the read hiredis holds (they are canonical
        unless the read is verified); counted only when asked, off the hot path."""
        return sum(map(_request_size, self._returned))

    def _switch_to_reference(self) -> None:
        fallback = RequestParser(self.limits)
        fallback.feed(b"".join(self._unsettled))
        for _ in range(len(self._returned)):
            fallback.gets()
        fallback.auth_required = self._auth_required
        self._fallback = fallback
        self._reader = hiredis.Reader(notEnoughData=_INCOMPLETE)
        self._settle()

    def _settle(self) -> None:
        self._unsettled = []
        self._unsettled_size = 0
        self._returned = []

    def gets(self) -> list[bytes] | bool:
        fallback = self._fallback
        if fallback is not None:
            command = fallback.gets()
            if command is False and fallback.idle():
                self._fallback = None  # drained: hiredis takes over again
            return command
        if not self._unsettled:
            return False
        reader = self._reader
        try:
            command = reader.gets()
        except hiredis.ProtocolError:
            command = None
        if type(command) is list and command:
            for arg in command:  # bulk strings only (inline: this runs for every argument)
                if type(arg) is not bytes:
                    break
            else:
                if self._unsettled_size <= self.limits.max_bulk_len or self._within_limit(command):
                    if reader.has_data():  # more to come from this read
                        self._returned.append(command)
                        return command
                    if not self._verify or self._returned_size() + _request_size(command) == self._unsettled_size:
                        self._settle()  # the command ends where the read does: a boundary, nothing left
                        return command
        # hiredis stopped inside a command, met what it does not read as Redis does, or
        # returned what is not a request: the reference parser decides.
        self._switch_to_reference()
        return self.gets()

    def _within_limit(self, command: list[bytes]) -> bool:
        """Whether a command of a read larger than proto-max-bulk-len has no argument over it
        (a smaller read cannot hold one)."""
        return max(map(len, command)) <= self.limits.max_bulk_len


#: What hiredis' reader returns while no whole reply is buffered: a value no reply can be
#: (its default, False, is also a RESP3 boolean's), which no join takes for bytes.
_INCOMPLETE = object()
#: Largest read :meth:`HiredisRequestParser.read_all` gives hiredis at once: below every
#: client-query-buffer-limit (1 MB at least) and the connection's BIG_REQUEST, so neither
#: needs a look.
_WHOLE_READ_MAX = _BIG_BULK
#: A multibulk count that hiredis must not see (it would allocate its list at once).
_LARGE_COUNT = re.compile(rb"\*-?[0-9]{7}")
#: A reply's type byte after a line, which hiredis returns as a request's part: as a bulk
#: string (a simple string, a big number, a verbatim string), as a command's array (a set,
#: an attribute, a push, :data:`_NOT_A_COMMAND`) or as a dict of bulk strings (a map, which
#: only :meth:`HiredisRequestParser.read_all`'s one join would take). Other reply types show
#: in the elements' types.
_REPLY_TYPE = re.compile(rb"\n[+(=~|>%]")
#: A set, an attribute or a push header where a command could start: hiredis returns it as a
#: command (of an array's size, so no size check can tell), Redis reads it as an inline command.
_NOT_A_COMMAND = re.compile(rb"\n[~|>]")


#: The framing bytes of a bulk string of each short length: ``$``, the length's digits, two CRLFs.
_BULK_FRAMING = [5 + len(str(length)) for length in range(1024)]


#: A whole reply (a null) that hiredis returns as such only on a reply boundary.
_BOUNDARY_PROBE = b"$-1\r\n"


def _on_boundary(reader) -> bool:
    """Whether hiredis, which found no whole reply in what it holds and holds no byte it has not
    read, is on a reply boundary rather than inside an array: it reads an array's header and
    whole elements as they come, so ``has_data()`` cannot tell. A null fed then is a reply of
    its own only on a boundary (inside an array it is an element); the reader is left as it
    was on a boundary, and is dropped otherwise (the reference parser takes the read)."""
    reader.feed(_BOUNDARY_PROBE)
    return reader.gets() is None


def _request_size(command: list) -> int:
    """Bytes of ``command`` written canonically (``*N\\r\\n`` then ``$len\\r\\narg\\r\\n`` per
    argument), or 0 if an element is not a bulk string (an integer, a nested array: not a request)."""
    size = 3 + len(str(len(command)))
    framing = _BULK_FRAMING
    for arg in command:
        if type(arg) is not bytes:
            return 0
        length = len(arg)
        size += length + (framing[length] if length < 1024 else 5 + len(str(length)))
    return size


def make_parser(limits: ProtocolLimits, use_hiredis: bool = True) -> RequestParser | HiredisRequestParser:
    """A request parser; hiredis-backed when installed and allowed."""
    if use_hiredis and hiredis is not None:
        return HiredisRequestParser(limits)
    return RequestParser(limits)
