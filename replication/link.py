"""The slave's connection to its master: RESP requests out, replies and pushed items in.

A small asyncio RESP2 client: ``call`` sends a command and awaits its reply; after ``STREAM``
the master pushes items on the same connection, read with ``read``. Replies are parsed by
hiredis when installed, else by a pure-Python reader with the same results.
"""

from __future__ import annotations

import asyncio
import ssl

try:  # optional speed-up
    import hiredis
except ImportError:  # pragma: no cover - exercised when hiredis is absent
    hiredis = None


class ReplyError(Exception):
    """An error reply from the master (its text, e.g. ``PURGED``)."""


class LinkClosed(ConnectionError):
    """The connection to the master is gone."""


class _ReplyReader:
    """Pure-Python RESP2 reply parser (the fallback for hiredis.Reader): feed bytes, get
    replies; errors come back as :class:`ReplyError` instances, not raised."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def gets(self) -> object:
        """The next complete reply, or False when more input is needed."""
        parsed = self._parse(0)
        if parsed is None:
            return False
        reply, end = parsed
        del self._buffer[:end]
        return reply

    def _parse(self, start: int) -> tuple[object, int] | None:
        buffer = self._buffer
        line_end = buffer.find(b"\r\n", start)
        if line_end < 0:
            return None
        kind, line = buffer[start:start + 1], bytes(buffer[start + 1:line_end])
        after = line_end + 2
        if kind == b"+":
            return line, after
        if kind == b"-":
            return ReplyError(line.decode("utf-8", "replace")), after
        if kind == b":":
            return int(line), after
        if kind == b"$":
            length = int(line)
            if length < 0:
                return None, after
            if len(buffer) < after + length + 2:
                return None
            return bytes(buffer[after:after + length]), after + length + 2
        if kind == b"*":
            count = int(line)
            if count < 0:
                return None, after
            items = []
            for _ in range(count):
                parsed = self._parse(after)
                if parsed is None:
                    return None
                item, after = parsed
                items.append(item)
            return items, after
        raise ConnectionError(f"bad reply from master: {bytes(buffer[start:line_end])[:80]!r}")


def _new_reader():
    if hiredis is not None:
        return hiredis.Reader(replyError=ReplyError)
    return _ReplyReader()


def encode_request(args: tuple[bytes | str | int, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class MasterLink:
    """One connection to the master."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._parser = _new_reader()
        self.bytes_received = 0

    @classmethod
    async def open(cls, host: str, port: int, timeout: float, tls: ssl.SSLContext | None = None) -> "MasterLink":
        """Connect to the master, over TLS with ``tls`` (``tls-replication``; the handshake
        counts in ``timeout``)."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
        return cls(reader, writer)

    async def read(self, timeout: float | None = None) -> object:
        """The next reply or pushed message; raises ReplyError for an error reply."""
        while True:
            reply = self._parser.gets()
            if reply is not False:
                if isinstance(reply, ReplyError):
                    raise reply
                return reply
            data = await asyncio.wait_for(self._reader.read(1 << 20), timeout)
            if not data:
                raise LinkClosed("the master closed the connection")
            self.bytes_received += len(data)
            self._parser.feed(data)

    def read_ready(self) -> list[object]:
        """Every reply already received and complete, without waiting (a batch of items)."""
        ready = []
        while True:
            reply = self._parser.gets()
            if reply is False:
                return ready
            if isinstance(reply, ReplyError):
                raise reply
            ready.append(reply)

    def send(self, *args: bytes | str | int) -> None:
        """Send a command whose reply is not awaited (ACK has none)."""
        self._writer.write(encode_request(args))

    async def call(self, *args: bytes | str | int, timeout: float = 10.0) -> object:
        self.send(*args)
        await self._writer.drain()
        return await self.read(timeout)

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        self._writer.close()
