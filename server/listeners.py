"""Where the server accepts connections: ``bind`` x (``port``, ``tls-port``), and ``unixsocket``.

As Redis 7.0: ``bind`` lists addresses (``*`` is every IPv4 address, ``::*`` every IPv6 one); a
``-`` before one makes it optional (skipped when this machine does not have it). ``port 0`` opens
no TCP listener when TLS or a Unix socket is configured ("TLS only"); with neither, where Redis
would refuse to start, it picks a free port (what tests and embedding want), which every
address then shares. ``unixsocketperm`` is the socket file's mode, in octal (0: left as the
umask makes it).

TLS connections are accepted on a plain listener whose protocol is asyncio's TLS protocol
wrapping a :class:`Client`, made per connection with the contexts current at that moment: so a
CONFIG SET that reloaded the certificates applies to every connection accepted after it (a
listener's own ``ssl=`` context would be fixed for its life). ``maxclients`` refuses a TLS
connection before its handshake, writing nothing, as Redis does.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
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
        self._servers: list[asyncio.base_events.Server] = []
        #: The TCP port actually listened on (the picked one for ``port 0``), 0 when none.
        self.port = 0
        self.tls_port = 0

    async def open(self) -> None:
        """Open every listener the configuration asks for; OSError if one cannot be opened."""
        config = self.server.config
        loop = asyncio.get_running_loop()
        self.tls_port = config.get_int("tls-port")
        port = config.get_int("port")
        unix_path = config.get_str("unixsocket")
        tcp = port != 0 or not (self.tls_port or unix_path)
        for address in bind_addresses(config.get_str("bind")):
            if tcp:
                opened = await self._listen(loop, address, port, lambda: Client(self.server))
                if opened is not None and port == 0:  # an ephemeral port: every further address shares it
                    port = opened.sockets[0].getsockname()[1]
            if self.tls_port:
                await self._listen(loop, address, self.tls_port, self._tls_protocol)
        self.port = port if tcp else 0
        if unix_path:
            await self._listen_unix(loop, unix_path, config.get_int("unixsocketperm"))

    async def _listen(self, loop: asyncio.AbstractEventLoop, address: BindAddress, port: int,
                      factory) -> asyncio.base_events.Server | None:
        try:
            listener = await loop.create_server(factory, address.host, port, reuse_address=True, backlog=511)
        except OSError as exc:
            if address.optional and exc.errno in _ABSENT_ADDRESS:
                log.warning("Skipping optional bind address %s: %s", address.host, exc.strerror)
                return None
            log.warning("Could not create server TCP listening socket %s:%d: %s", address.host, port, exc.strerror)
            raise
        self._servers.append(listener)
        return listener

    async def _listen_unix(self, loop: asyncio.AbstractEventLoop, path: str, mode: int) -> None:
        if os.path.exists(path):  # a socket left by an earlier run (Redis unlinks it too)
            os.unlink(path)
        listener = await loop.create_unix_server(lambda: Client(self.server), path, backlog=511)
        if mode:
            os.chmod(path, mode)
        self._servers.append(listener)

    def _tls_protocol(self) -> asyncio.BaseProtocol:
        server = self.server
        if server.at_client_limit():
            server.stats.rejected_connections += 1
            return _Refused()
        context = server.tls.for_connection(server.config)
        handshake = server.loop.create_future()
        handshake.add_done_callback(_log_failed_handshake)
        return sslproto.SSLProtocol(server.loop, Client(server, tls=True), context, handshake, server_side=True,
                                    ssl_handshake_timeout=HANDSHAKE_TIMEOUT)

    def sockets(self) -> list:
        return [sock for listener in self._servers for sock in listener.sockets]

    def close(self) -> None:
        for listener in self._servers:
            listener.close()
        self._servers.clear()
        path = self.server.config.get_str("unixsocket")
        if path and os.path.exists(path):
            os.unlink(path)


def _log_failed_handshake(handshake: asyncio.Future) -> None:
    exc = None if handshake.cancelled() else handshake.exception()
    if exc is not None:
        reason = exc.reason if isinstance(exc, ssl.SSLError) and exc.reason else str(exc) or type(exc).__name__
        log.warning("Error accepting a client connection: %s", reason)
