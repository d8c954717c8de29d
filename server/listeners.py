"""Where the server accepts connections: ``bind`` x (``port``, ``tls-port``), and ``unixsocket``.

As Redis 7.0: ``bind`` lists addresses (``*`` is every IPv4 address, ``::*`` every IPv6 one); a
``-`` before one makes it optional (skipped when this machine does not have it). ``port 0`` opens
no TCP listener when TLS or a Unix socket is configured ("TLS only"); with neither, where Redis
would refuse to start, it picks a free port (what tests and embedding want), which every
address then shares. ``unixsocketperm`` is the socket file's mode, in octal (0: left as the
umask makes it).

TLS connections are accepted on a plain listener whose protocol is the event loop's TLS protocol
(asyncio's or uvloop's) wrapping a :class:`Client`, made per connection with the contexts current at that moment: so a
CONFIG SET that reloaded the certificates applies to every connection accepted after it (a
listener's own ``ssl=`` context would be fixed for its life). ``maxclients`` refuses a TLS
connection before its handshake, writing nothing, as Redis does.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import ssl
from asyncio import sslproto
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .connection import Client

if TYPE_CHECKING:
    from .app import Server

log = logging.getLogger("pypika_store.server")

#: Errors that skip an optional (``-``) bind address instead of failing the start (Redis' list).
_ABSENT_ADDRESS = frozenset((errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT,
                             errno.ENOPROTOOPT, errno.ESOCKTNOSUPPORT, errno.EPFNOSUPPORT))
_WILDCARDS = {"*": "0.0.0.0", "::*": "::"}
#: Seconds a TLS handshake may take before the connection is dropped.
HANDSHAKE_TIMEOUT = 10.0


@dataclass(frozen=True)
class BindAddress:
    host: str
    optional: bool


def bind_addresses(text: str) -> list[BindAddress]:
    """``bind``'s addresses, wildcards resolved, ``-`` marking the optional ones."""
    addresses = []
    for word in text.split():
        optional = word.startswith("-")
        word = word[1:] if optional else word
        addresses.append(BindAddress(_WILDCARDS.get(word, word), optional))
    return addresses


class _Refused(asyncio.Protocol):
    """A TLS connection past ``maxclients``: dropped before its handshake."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.abort()


class Listeners:
    """The server's listening sockets."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self._plain: list[asyncio.base_events.Server] = []
        self._tls: list[asyncio.base_events.Server] = []
        #: The TCP port actually listened on (the picked one for ``port 0``), 0 when none.
        self.port = 0
        self.tls_port = 0

    async def open(self) -> None:
        """Open every listener the configuration asks for; OSError if one cannot be opened."""
        config = self.server.config
        loop = asyncio.get_running_loop()
        port = config.get_int("port")
        unix_path = config.get_str("unixsocket")
        if port or not (config.get_int("tls-port") or unix_path):
            sockets = bind_sockets(bind_addresses(config.get_str("bind")), port)
            self.port = sockets[0].getsockname()[1] if sockets else port
            self._plain += [await loop.create_server(lambda: Client(self.server), sock=sock) for sock in sockets]
        self.set_tls_port(config.get_int("tls-port"))
        if unix_path:
            if os.path.exists(unix_path):  # a socket left by an earlier run (Redis unlinks it too)
                os.unlink(unix_path)
            self._plain.append(await loop.create_unix_server(lambda: Client(self.server), unix_path, backlog=511))
            mode = config.get_int("unixsocketperm")
            if mode:
                os.chmod(unix_path, mode)

    def set_tls_port(self, port: int) -> None:
        """Listen for TLS on ``port`` on every bind address (0: not at all), in place of the port
        listened on so far: at start, and for CONFIG SET tls-port. OSError if it cannot be bound
        (the old listeners then stay)."""
        sockets = bind_sockets(bind_addresses(self.server.config.get_str("bind")), port) if port else []
        for listener in self._tls:
            listener.close()
        self._tls = []
        self.tls_port = port
        loop = self.server.loop
        for sock in sockets:  # bound already: serving them cannot fail
            task = loop.create_task(loop.create_server(self._tls_protocol, sock=sock))
            task.add_done_callback(lambda done: self._tls.append(done.result()))

    def _tls_protocol(self) -> asyncio.BaseProtocol:
        server = self.server
        if server.at_client_limit() or server.tls is None:
            server.stats.rejected_connections += 1
            return _Refused()
        context = server.tls.for_connection(server.config)
        handshake = server.loop.create_future()
        handshake.add_done_callback(_log_failed_handshake)
        return _tls_protocol_class(server.loop)(server.loop, Client(server), context, handshake,
                                                server_side=True, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)

    def sockets(self) -> list:
        return [sock for listener in self._plain + self._tls for sock in listener.sockets]

    def close(self) -> None:
        for listener in self._plain + self._tls:
            listener.close()
        self._plain, self._tls = [], []
        path = self.server.config.get_str("unixsocket")
        if path and os.path.exists(path):
            os.unlink(path)


def bind_sockets(addresses: list[BindAddress], port: int) -> list[socket.socket]:
    """Listening sockets on ``port`` at each address (an optional one this machine lacks is
    skipped); for port 0, the port the first one got is every other's. OSError if one cannot
    be bound, the others closed again."""
    sockets: list[socket.socket] = []
    try:
        for address in addresses:
            sock = _bind(address, port)
            if sock is not None:
                sockets.append(sock)
                port = port or sock.getsockname()[1]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind(address: BindAddress, port: int) -> socket.socket | None:
    try:
        family, kind, proto, _name, where = socket.getaddrinfo(address.host, port, type=socket.SOCK_STREAM,
                                                              flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        return _failed(address, port, exc)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:  # "::" is IPv6 only: "*" covers IPv4 (as Redis)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(where)
        sock.listen(511)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        return _failed(address, port, exc)
    return sock


def _failed(address: BindAddress, port: int, exc: OSError) -> None:
    """Skip an optional address this machine does not have; raise for anything else."""
    if address.optional and exc.errno in _ABSENT_ADDRESS:
        log.warning("Skipping optional bind address %s: %s", address.host, exc.strerror)
        return None
    log.warning("Could not create server TCP listening socket %s:%d: %s", address.host, port, exc.strerror)
    raise exc


def _tls_protocol_class(loop: asyncio.AbstractEventLoop) -> type:
    """The TLS protocol of the loop's own kind: uvloop's (compiled, about twice as fast) under
    uvloop, asyncio's otherwise; both take the same arguments."""
    try:
        import uvloop
        from uvloop.loop import SSLProtocol as UvloopSSLProtocol
    except ImportError:  # pragma: no cover - uvloop is an optional speed-up
        return sslproto.SSLProtocol
    return UvloopSSLProtocol if isinstance(loop, uvloop.Loop) else sslproto.SSLProtocol


def _log_failed_handshake(handshake: asyncio.Future) -> None:
    exc = None if handshake.cancelled() else handshake.exception()
    if exc is not None:
        reason = exc.reason if isinstance(exc, ssl.SSLError) and exc.reason else str(exc) or type(exc).__name__
        log.warning("Error accepting a client connection: %s", reason)
