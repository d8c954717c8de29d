"""The slave's connection to its master: RESP requests out, replies and pushed items in.

A small asyncio RESP2 client: ``call`` sends a command and awaits its reply; after ``STREAM``
the master pushes items on the same connection, read with ``read``. Replies are parsed by
hiredis when installed, else by a pure-Python reader with the same results.

A link passes through the slave's :class:`LinkFaults` (``CHAOS LINK``, docs/fault-injection.md),
in both directions: dropped (closed, and no new connection opens until resumed), stalled (the
TCP connection stays open and nothing passes: only ``repl-timeout`` notices), or slowed (a
delay with jitter, a bandwidth). A partition (``CHAOS LINK BLOCK``) stalls one direction or
both of the links to one master address only. With no fault a link reads and writes its
socket directly.
"""

from __future__ import annotations

import asyncio
import ssl
import random
from collections import deque

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


#: Bytes read from the socket at a time.
READ_SIZE = 1 << 20
#: A bandwidth limit lets bytes through in slices of this fraction of a second's worth.
BANDWIDTH_SLICE = 0.05
_DROPPED = "the link to the master is dropped (CHAOS LINK DROP)"
#: The directions of a link: bytes from the master, bytes to it.
IN, OUT = "in", "out"


class _Schedule:
    """When the bytes of one direction of a slowed link may pass: each chunk after the
    previous one (order is kept), its transfer taking its size over the bandwidth, then the
    delay (with jitter) added."""

    __slots__ = ("sent_until", "last_due")

    def __init__(self) -> None:
        self.sent_until = 0.0
        self.last_due = 0.0

    def slices(self, faults: "LinkFaults", data: bytes, now: float) -> list[tuple[float, bytes]]:
        """``data``, arrived at ``now`` (loop time), cut into (due time, bytes) slices."""
        bandwidth = faults.bandwidth
        step = max(1, int(bandwidth * BANDWIDTH_SLICE)) if bandwidth else max(1, len(data))
        pieces = [data[start:start + step] for start in range(0, len(data), step)] or [data]
        transfer = max(now, self.sent_until)
        result = []
        for piece in pieces:
            if bandwidth:
                transfer += len(piece) / bandwidth
            due = max(transfer + faults.latency(), self.last_due)
            self.last_due = due
            result.append((due, piece))
        self.sent_until = transfer
        return result


class LinkFaults:
    """The faults a slave's link to its master passes through (``CHAOS LINK``), kept across
    reconnections until :meth:`resume`. ``rng`` draws the jitter (CHAOS SEED seeds it)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random(0)
        #: DROP: the link is closed and no new one opens.
        self.dropped = False
        #: STALL: nothing passes, the connection stays open.
        self.stalled = False
        self.delay_ms = 0
        self.jitter_ms = 0
        #: Bytes per second in each direction; 0: no limit.
        self.bandwidth = 0
        #: Partitions: per master address, the directions that pass nothing (IN, OUT).
        self.blocked: dict[tuple[str, int], frozenset[str]] = {}
        self._links: set["MasterLink"] = set()

    @property
    def active(self) -> bool:
        """Some fault is on (a link then passes its bytes through :class:`LinkFaults`)."""
        return self.dropped or self.stalled or self.slowing or bool(self.blocked)

    @property
    def slowing(self) -> bool:
        return bool(self.delay_ms or self.jitter_ms or self.bandwidth)

    def describe(self) -> list[tuple[str, object]]:
        """What is on, as CHAOS LIST shows it."""
        return [("dropped", int(self.dropped)), ("stalled", int(self.stalled)), ("delay-ms", self.delay_ms),
                ("jitter-ms", self.jitter_ms), ("bandwidth", self.bandwidth),
                ("blocked", [f"{host}:{port} {' '.join(sorted(ways))}" for (host, port), ways in self.blocked.items()])]

    def holds(self, address: tuple[str, int], direction: str) -> bool:
        """Whether bytes going ``direction`` (IN: from the master, OUT: to it) on a link to
        ``address`` are held (a stall, or a partition from that master)."""
        return self.stalled or direction in self.blocked.get(address, ())

    # -- the controls ------------------------------------------------------------------------

    def drop(self) -> None:
        """Close the link now and keep it closed until :meth:`resume`."""
        self.dropped = True
        for link in list(self._links):
            link.close()

    def stall(self) -> None:
        """Let nothing pass either way, the TCP connection kept open."""
        self.stalled = True
        self._changed()

    def slow(self, delay_ms: int, jitter_ms: int = 0) -> None:
        """Deliver every byte ``delay_ms`` ± ``jitter_ms`` late (order kept)."""
        self.delay_ms, self.jitter_ms = delay_ms, jitter_ms
        self._changed()

    def limit(self, bytes_per_second: int) -> None:
        """Pass at most ``bytes_per_second`` each way (0: no limit)."""
        self.bandwidth = bytes_per_second
        self._changed()

    def block(self, host: str, port: int, directions: frozenset[str]) -> None:
        """Partition this node from the master at ``host:port``: its links there pass nothing
        in ``directions`` (IN, OUT or both; added to those blocked already), whatever master
        this node follows meanwhile."""
        self.blocked[(host, port)] = self.blocked.get((host, port), frozenset()) | directions
        self._changed()

    def unblock(self, host: str, port: int) -> bool:
        """End the partition from ``host:port`` (what it held passes); False if there was none."""
        if self.blocked.pop((host, port), None) is None:
            return False
        self._changed()
        return True

    def resume(self) -> None:
        """Heal every link fault: what was held passes, a dropped link reconnects."""
        self.dropped = self.stalled = False
        self.delay_ms = self.jitter_ms = self.bandwidth = 0
        self.blocked.clear()
        self._changed()

    # -- what links ask --------------------------------------------------------------------

    def latency(self) -> float:
        """One chunk's delay in seconds (the jitter drawn from the seeded generator)."""
        jitter = self._rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.delay_ms + jitter) / 1000

    def check_open(self) -> None:
        """Refuse to open a link while dropped."""
        if self.dropped:
            raise LinkClosed(_DROPPED)

    def attach(self, link: "MasterLink") -> None:
        self._links.add(link)

    def detach(self, link: "MasterLink") -> None:
        self._links.discard(link)

    def _changed(self) -> None:
        for link in list(self._links):
            link.faults_changed()


class MasterLink:
    """One connection to the master, through the slave's link faults."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 faults: LinkFaults | None = None, address: tuple[str, int] = ("", 0)) -> None:
        #: The master's address, as SLAVEOF named it (partitions are per address).
        self.address = address
        self._reader = reader
        self._writer = writer
        self._parser = _new_reader()
        self.bytes_received = 0
        self._faults = faults or LinkFaults()
        self._faults.attach(self)
        #: Bytes read while faults were on, with the loop time each may be delivered at.
        self._held: deque[tuple[float, bytes]] = deque()
        #: Requests written while faults were on, with their due times (sent in order).
        self._unsent: deque[tuple[float, bytes]] = deque()
        self._incoming, self._outgoing = _Schedule(), _Schedule()
        self._pump: asyncio.Task | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        #: Set when held bytes arrive or the faults change (a faulted read waits for it).
        self._wakeup = asyncio.Event()
        self._closed = False

    @classmethod
    async def open(cls, host: str, port: int, timeout: float, faults: LinkFaults | None = None,
                   tls: ssl.SSLContext | None = None) -> "MasterLink":
        """Connect to the master, over TLS with ``tls`` (``tls-replication``; the handshake
        counts in ``timeout``)."""
        if faults is not None:
            faults.check_open()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
        return cls(reader, writer, faults, (host, port))

    async def read(self, timeout: float | None = None) -> object:
        """The next reply or pushed message; raises ReplyError for an error reply."""
        while True:
            reply = self._parser.gets()
            if reply is not False:
                if isinstance(reply, ReplyError):
                    raise reply
                return reply
            if self._faults.active or self._held or self._pump is not None:
                await asyncio.wait_for(self._receive_through_faults(), timeout)
                continue
            data = await asyncio.wait_for(self._reader.read(READ_SIZE), timeout)
            if self._faults.active:  # a fault came on while this read waited: it holds these bytes too
                self._held.extend(self._incoming.slices(self._faults, data, asyncio.get_running_loop().time()))
            else:
                self._take(data)

    def _take(self, data: bytes) -> None:
        if not data:
            raise LinkClosed("the master closed the connection")
        self.bytes_received += len(data)
        self._parser.feed(data)

    async def _receive_through_faults(self) -> None:
        """Feed the next bytes the faults let through (waiting as long as they hold them)."""
        faults = self._faults
        loop = asyncio.get_running_loop()
        while True:
            if self._closed or faults.dropped:
                raise LinkClosed(_DROPPED if faults.dropped else "the link is closed")
            wait: float | None = None
            if not faults.holds(self.address, IN):
                if self._held:
                    due, data = self._held[0]
                    wait = due - loop.time()
                    if wait <= 0 or not faults.slowing:
                        self._held.popleft()
                        self._take(data)
                        return
                elif faults.slowing and self._pump is None:
                    self._pump = loop.create_task(self._pump_input())
                elif self._pump is None:
                    self._take(await self._reader.read(READ_SIZE))
                    return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), wait)
            except asyncio.TimeoutError:
                pass  # the first held bytes are due

    async def _pump_input(self) -> None:
        """While the link is slowed, read the socket as bytes come, stamping each chunk with
        the time it may be delivered (a stall stops the reading: TCP holds the rest)."""
        faults = self._faults
        loop = asyncio.get_running_loop()
        try:
            while faults.slowing and not faults.holds(self.address, IN) and not self._closed:
                try:
                    data = await self._reader.read(READ_SIZE)
                except OSError:
                    data = b""
                self._held.extend(self._incoming.slices(faults, data, loop.time()))
                self._wakeup.set()
                if not data:
                    return
        finally:
            self._pump = None
            self._wakeup.set()

    def faults_changed(self) -> None:
        """The faults changed: a waiting read looks again, held requests may go."""
        self._wakeup.set()
        self._send_unsent()

    def read_ready(self, limit: int) -> list[object]:
        """Up to ``limit`` replies already received and complete, without waiting (a batch of
        items; the rest stay for the next call)."""
        ready: list[object] = []
        while len(ready) < limit:
            reply = self._parser.gets()
            if reply is False:
                return ready
            if isinstance(reply, ReplyError):
                raise reply
            ready.append(reply)
        return ready

    def send(self, *args: bytes | str | int) -> None:
        """Send a command whose reply is not awaited (ACK has none)."""
        data = encode_request(args)
        faults = self._faults
        if not faults.active and not self._unsent:
            self._writer.write(data)
            return
        self._unsent.extend(self._outgoing.slices(faults, data, asyncio.get_running_loop().time()))
        self._send_unsent()

    def _send_unsent(self) -> None:
        """Write the held requests that are due (all of them once the faults are healed)."""
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        faults = self._faults
        if faults.holds(self.address, OUT) or faults.dropped or self._closed:
            return
        loop = asyncio.get_running_loop()
        while self._unsent:
            due, data = self._unsent[0]
            if faults.slowing and due > loop.time():
                self._send_timer = loop.call_at(due, self._send_unsent)
                return
            self._unsent.popleft()
            self._writer.write(data)

    async def authenticate(self, user: str, password: str) -> None:
        """AUTH as a slave does before syncing: ``masteruser`` with ``masterauth`` (an ACL
        user, as Redis 6+ slaves log in), or ``masterauth`` alone for the default user;
        nothing without a password. ReplyError when the master refuses."""
        if password:
            await self.call("AUTH", user, password) if user else await self.call("AUTH", password)

    async def call(self, *args: bytes | str | int, timeout: float = 10.0) -> object:
        self.send(*args)
        await self._writer.drain()
        return await self.read(timeout)

    async def drain(self) -> None:
        await self._writer.drain()

    def close(self) -> None:
        self._closed = True
        self._faults.detach(self)
        if self._pump is not None:
            self._pump.cancel()
        if self._send_timer is not None:
            self._send_timer.cancel()
        self._wakeup.set()
        self._writer.close()
