"""Relays in front of the Sentinels of a :class:`~pypika_store.testing.SentinelGroup`, so that
sentinels can be partitioned from each other without root, iptables or an external proxy
(docs/fault-injection.md, "Partitions").

Real sentinels talk to each other directly: each one opens a command link to every other
sentinel at the address that sentinel announces in its hello messages. A ``SentinelGroup``
makes each sentinel announce (``sentinel announce-port``) a port of this relay instead of its
own, so every link between two sentinels passes through the relay, which forwards it to the
real port. A sentinel names its links with ``CLIENT SETNAME sentinel-<first 8 characters of its
id>-cmd`` as its first command (after AUTH when a ``sentinel-pass`` is set: Redis'
sentinelReconnectInstance), which tells the relay who opened the connection; the listener it
came in on tells whom it is for. A cut from one sentinel to another holds that direction of
their links: the relay passes nothing of it on, as a network that drops packets does to an
open TCP connection, until the cut is healed; then what was held passes, in order. It keeps
reading what is held (up to a megabyte a connection, then TCP's flow control pushes back),
so a link a sentinel closes meanwhile (it reconnects when its peer stops answering) is seen
closed: that connection ends and what it held is dropped, and a long cut does not pile up
connections.

One thread serves every connection with non-blocking sockets (``selectors``), so a held peer
never holds the test process; it is a daemon and :meth:`SentinelRelay.close` ends it with the
group. With no cut on, a connection costs the forwarding and one set lookup per read and write.
"""

from __future__ import annotations

import collections
import selectors
import socket
import threading
from typing import Callable

from .chaos import Healing

#: Bytes a relay buffers per direction before it stops reading that side (TCP pushes back).
_BUFFER_LIMIT = 1 << 20
#: Bytes of a connection's first commands read at most to find its CLIENT SETNAME.
_IDENTIFY_LIMIT = 64 * 1024
#: Commands a sentinel may send before CLIENT SETNAME (Redis sends AUTH first with sentinel-pass).
_BEFORE_SETNAME = {b"AUTH", b"HELLO"}


class SentinelRelay:
    """Listeners on loopback, each forwarding to one sentinel's real port; :meth:`cut` holds
    the traffic from one sentinel to another (by their client-name prefix ``sentinel-<id8>``).

    Listeners are opened with :meth:`listen` before :meth:`start`; :meth:`name` tells which
    sentinel is behind a listener once its id is known."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._selector = selectors.DefaultSelector()
        self._listeners: dict[int, _Listener] = {}
        self._pipes: set[_Pipe] = set()
        self._cut_counts: collections.Counter[tuple[str, str]] = collections.Counter()
        #: The cut (sender, receiver) pairs, swapped whole so the relay's thread reads it unlocked.
        self.cuts: frozenset[tuple[str, str]] = frozenset()
        self._lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, self._drain_wakes)
        self._closing = False
        self._thread: threading.Thread | None = None

    def listen(self, upstream_port: int) -> int:
        """A listener forwarding to ``upstream_port``; its own port (what the sentinel announces)."""
        if self._thread is not None:
            raise RuntimeError("listeners are opened before the relay starts")
        server = socket.create_server((self.host, 0))
        server.setblocking(False)
        listener = _Listener(server, upstream_port)
        port = server.getsockname()[1]
        self._listeners[port] = listener
        self._selector.register(server, selectors.EVENT_READ, lambda _events: self._accept(listener))
        return port

    def listeners(self) -> list[int]:
        """The listeners' ports, in the order they were opened."""
        return list(self._listeners)

    def name(self, relay_port: int, sentinel: str) -> None:
        """The sentinel behind the listener on ``relay_port`` (its client-name prefix)."""
        self._listeners[relay_port].name = sentinel

    def start(self) -> "SentinelRelay":
        self._thread = threading.Thread(target=self._run, name="pypika-sentinel-relay", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Close every connection and listener and end the thread."""
        self._closing = True
        self._wake()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        else:
            self._close_all()

    def cut(self, sender: str, receiver: str) -> Healing:
        """Hold what ``sender`` sends ``receiver`` on every link between them (both the links
        ``sender`` opened and its replies on those ``receiver`` opened); healing lets it pass.
        Cuts of the same pair count: it passes once every one is healed."""
        self._change_cut((sender, receiver), +1)
        return Healing(lambda: self._change_cut((sender, receiver), -1))

    def heal_all(self) -> None:
        """End every cut (the healings already handed out become no-ops in effect)."""
        with self._lock:
            self._cut_counts.clear()
            self.cuts = frozenset()
        self._wake()

    def held_connections(self) -> int:
        """Connections with a direction held now (for tests and diagnostics)."""
        return sum(1 for pipe in list(self._pipes) if pipe.held_to_upstream() or pipe.held_to_client())

    # -- the relay's thread ----------------------------------------------------------------------

    def _change_cut(self, pair: tuple[str, str], change: int) -> None:
        with self._lock:
            if change < 0 and not self._cut_counts[pair]:  # healed by heal_all meanwhile
                return
            self._cut_counts[pair] += change
            self._cut_counts = +self._cut_counts  # drops the pairs back at zero
            self.cuts = frozenset(self._cut_counts)
        self._wake()

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"x")
        except OSError:  # closed, or the wake-up buffer full: the thread wakes anyway
            pass

    def _drain_wakes(self, _events: int) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _run(self) -> None:
        try:
            while not self._closing:
                for key, events in self._selector.select(timeout=1.0):
                    key.data(events)
                for pipe in list(self._pipes):
                    pipe.update_interest()
        finally:
            self._close_all()

    def _accept(self, listener: "_Listener") -> None:
        try:
            client, _address = listener.server.accept()
        except OSError:  # taken meanwhile, or no descriptor left: the peer waits in the backlog
            return
        self._pipes.add(_Pipe(self, listener, client))

    def _close_all(self) -> None:
        for pipe in list(self._pipes):
            pipe.close()
        for listener in self._listeners.values():
            self._selector.unregister(listener.server)
            listener.server.close()
        self._listeners.clear()
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()


class _Listener:
    def __init__(self, server: socket.socket, upstream_port: int) -> None:
        self.server = server
        self.upstream_port = upstream_port
        #: The sentinel behind it (client-name prefix), once known.
        self.name: str | None = None


class _Pipe:
    """One relayed connection: a peer (``client``) to the sentinel behind a listener
    (``upstream``), a buffer each way."""

    def __init__(self, relay: SentinelRelay, listener: _Listener, client: socket.socket) -> None:
        self.relay = relay
        self.listener = listener
        self.client = client
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for sock in (client, self.upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connecting = True
        self.identified = False
        #: Who opened the connection (client-name prefix), None when it did not say.
        self.source: str | None = None
        self.to_upstream = bytearray()
        self.to_client = bytearray()
        self.client_done = self.upstream_done = False  # that side closed its end
        self.closed = False
        relay._selector.register(client, selectors.EVENT_READ, self._client_event)
        relay._selector.register(self.upstream, selectors.EVENT_WRITE, self._upstream_event)
        self.interest: dict[socket.socket, int] = {client: selectors.EVENT_READ, self.upstream: selectors.EVENT_WRITE}
        self.upstream.connect_ex((relay.host, listener.upstream_port))

    def held_to_upstream(self) -> bool:
        return (self.source, self.listener.name) in self.relay.cuts

    def held_to_client(self) -> bool:
        return (self.listener.name, self.source) in self.relay.cuts

    def update_interest(self) -> None:
        """Read a side while its buffer has room (a held direction too, so a peer closing a
        held link is seen); write a side while something for it may pass."""
        if self.closed:
            return
        to_upstream_passes = self.identified and not self.held_to_upstream()
        to_client_passes = not self.held_to_client()
        # A side that closed its end, once what it sent has passed (or when it is held: the
        # peer gave up on it): the connection is over.
        if ((self.client_done and not (self.to_upstream and to_upstream_passes))
                or (self.upstream_done and not (self.to_client and to_client_passes))):
            self.close()
            return
        client_events = selectors.EVENT_READ if not self.client_done and len(self.to_upstream) < _BUFFER_LIMIT else 0
        client_events |= selectors.EVENT_WRITE if self.to_client and to_client_passes else 0
        if self.connecting:
            upstream_events = selectors.EVENT_WRITE
        else:
            upstream_events = (selectors.EVENT_READ if not self.upstream_done and len(self.to_client) < _BUFFER_LIMIT
                               else 0)
            upstream_events |= selectors.EVENT_WRITE if self.to_upstream and to_upstream_passes else 0
        self._set_interest(self.client, client_events, self._client_event)
        self._set_interest(self.upstream, upstream_events, self._upstream_event)

    def _set_interest(self, sock: socket.socket, events: int, callback: Callable[[int], None]) -> None:
        if self.interest.get(sock) == events:
            return
        selector = self.relay._selector
        if events and self.interest.get(sock):
            selector.modify(sock, events, callback)
        elif events:
            selector.register(sock, events, callback)
        else:
            selector.unregister(sock)
        self.interest[sock] = events

    def _client_event(self, events: int) -> None:
        if self.closed:  # closed earlier in the same round of events
            return
        if events & selectors.EVENT_READ:
            self.client_done = not self._receive(self.client, self.to_upstream) or self.client_done
            if not self.identified:
                self._identify()
        if events & selectors.EVENT_WRITE and not self.closed:
            self._send(self.client, self.to_client)

    def _upstream_event(self, events: int) -> None:
        if self.closed:
            return
        if self.connecting:
            if self.upstream.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self.close()  # the sentinel is not listening (stopped): the peer sees the close
                return
            self.connecting = False
            return
        if events & selectors.EVENT_READ:
            self.upstream_done = not self._receive(self.upstream, self.to_client) or self.upstream_done
        if events & selectors.EVENT_WRITE and not self.closed:
            self._send(self.upstream, self.to_upstream)

    def _identify(self) -> None:
        known, name = _client_name(bytes(self.to_upstream))
        if known or self.client_done:
            self.identified = True
            self.source = name.rsplit("-", 1)[0] if name else None

    def _receive(self, sock: socket.socket, buffer: bytearray) -> bool:
        """Read what ``sock`` has into ``buffer``; False once it closed its end."""
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            self.close()
            return False
        buffer += data
        return bool(data)

    def _send(self, sock: socket.socket, buffer: bytearray) -> None:
        try:
            sent = sock.send(buffer)
        except BlockingIOError:
            return
        except OSError:
            self.close()
            return
        del buffer[:sent]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.upstream):
            if self.interest.get(sock):
                self.relay._selector.unregister(sock)
            sock.close()
        self.relay._pipes.discard(self)


def _client_name(data: bytes) -> tuple[bool, str | None]:
    """Whether the first commands in ``data`` tell who opened the connection, and the name its
    CLIENT SETNAME gave (None when its first command other than AUTH or HELLO is another one,
    or the stream is not RESP commands)."""
    offset = 0
    while True:
        try:
            command = _read_command(data, offset)
        except ValueError:
            return True, None
        if command is None:
            return len(data) > _IDENTIFY_LIMIT, None
        arguments, offset = command
        verb = arguments[0].upper() if arguments else b""
        if verb in _BEFORE_SETNAME:
            continue
        if verb == b"CLIENT" and len(arguments) == 3 and arguments[1].upper() == b"SETNAME":
            return True, arguments[2].decode("utf-8", "replace")
        return True, None


def _read_command(data: bytes, offset: int) -> tuple[list[bytes], int] | None:
    """The RESP array of bulk strings at ``offset`` and the offset after it; None while it is
    incomplete; ValueError when the data is not one."""
    line_end = data.find(b"\r\n", offset)
    if line_end < 0:
        if data[offset:offset + 1] not in (b"", b"*"):
            raise ValueError("not a RESP array")
        return None
    if data[offset:offset + 1] != b"*":
        raise ValueError("not a RESP array")
    count = int(data[offset + 1:line_end])
    position = line_end + 2
    arguments = []
    for _ in range(count):
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        if data[position:position + 1] != b"$":
            raise ValueError("not a bulk string")
        length = int(data[position + 1:line_end])
        start = line_end + 2
        if len(data) < start + length + 2:
            return None
        arguments.append(data[start:start + length])
        position = start + length + 2
    return arguments, position
