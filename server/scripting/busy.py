"""Serving other clients while a script runs past busy-reply-threshold.

The server is one event loop, and a running script holds it (that is what makes a script
atomic). Redis, in the same position, processes its network events from inside the script's
hook (processEventsWhileBlocked) and answers BUSY to everything but SCRIPT KILL, SHUTDOWN
NOSAVE and a few connection commands. :class:`BusyLoop` does the same from the count hook:
it polls the clients' sockets and the listening ones, reads what clients sent and hands it to
their connection as asyncio would (so the dispatcher answers, with
:meth:`.runtime.ScriptRun.admit` deciding BUSY), then writes the replies at once: they depend
on no uncommitted write. A connection accepted meanwhile (``redis-cli SCRIPT KILL``) is
served the same way through a :class:`_HeldTransport`, and handed to asyncio when the script
ends (:meth:`BusyLoop.close`).

Left alone during the script (they get their turn once it ends): the script's caller, slaves'
and masters' links, and a client whose earlier replies wait for the turn's commit (answering
it now would put a reply before theirs). A client that closed is left for asyncio to notice
afterwards (the end of a TCP stream reads again as its end).
"""

from __future__ import annotations

import os
import select
import socket
from typing import TYPE_CHECKING, Any

from ..connection import NORMAL, PUBSUB, Client

if TYPE_CHECKING:
    from ..app import Server

#: Bytes read from a client per poll (asyncio's own read size).
READ_SIZE = 256 * 1024
#: Seconds a reply to a connection accepted while busy may take to be written.
WRITE_TIMEOUT = 5.0


class _HeldTransport:
    """The transport of a connection accepted while a script is busy, until asyncio's."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.closed = False

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        """Nothing waits unsent: :meth:`write` sends it all (the output limits read this)."""
        return 0

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default

    def pause_reading(self) -> None:
        """Nothing to pause: this transport reads only when the busy loop polls it."""

    def resume_reading(self) -> None:
        """See :meth:`pause_reading`."""


class BusyLoop:
    """What a busy script serves meanwhile (one per run that turned busy)."""

    def __init__(self, server: "Server", caller: Client) -> None:
        self._server = server
        self._caller = caller
        #: Clients whose input is left for after the script (closed, or waiting for the commit).
        self._left_alone: set[int] = set()
        self._listeners = [socket.socket(fileno=os.dup(sock.fileno())) for sock in server.listening_sockets()]
        #: Connections accepted meanwhile, by file descriptor.
        self._held: dict[int, Client] = {}

    def serve(self) -> None:
        """Accept, read and answer whatever came since the last call."""
        readers: dict[int, Client | None] = {listener.fileno(): None for listener in self._listeners}
        for client in self._server.clients.values():
            if client is self._caller or client.id in self._left_alone or client.kind not in (NORMAL, PUBSUB):
                continue
            transport = client.transport
            sock = None if transport is None or transport.is_closing() else transport.get_extra_info("socket")
            if sock is not None:
                readers[sock.fileno()] = client
        readers.update((fd, held) for fd, held in self._held.items() if held.id not in self._left_alone)
        poller = select.poll()
        for fd in readers:
            poller.register(fd, select.POLLIN)
        for fd, _event in poller.poll(0):
            client = readers[fd]
            if client is None:
                self._accept(fd)
            else:
                self._read(fd, client)

    def close(self) -> None:
        """The script ended: hand the connections accepted meanwhile to asyncio (or close
        them when the server is stopping)."""
        for listener in self._listeners:
            listener.close()
        server = self._server
        for client in self._held.values():
            transport: _HeldTransport = client.transport  # type: ignore[assignment]
            client.transport = None
            if transport.closed or server.shutting_down:
                transport.sock.close()
                continue
            transport.sock.setblocking(False)
            server.loop.create_task(server.loop.connect_accepted_socket(lambda held=client: held, transport.sock))
        self._held.clear()

    def _accept(self, fd: int) -> None:
        listener = next(each for each in self._listeners if each.fileno() == fd)
        try:
            sock, _address = listener.accept()
        except OSError:  # taken already, or the peer gave up
            return
        sock.settimeout(WRITE_TIMEOUT)
        client = Client(self._server)
        client.transport = _HeldTransport(sock)  # type: ignore[assignment]
        self._held[sock.fileno()] = client

    def _read(self, fd: int, client: Client) -> None:
        waiting = self._server.waiting_for_commit
        if client in waiting:
            self._left_alone.add(client.id)
            return
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._left_alone.add(client.id)
            if fd in self._held:
                client.transport.close()  # type: ignore[union-attr]
            return
        client.data_received(data)
        if client in waiting:  # its replies were held for the commit; these need none
            waiting.remove(client)
            client.flush()
