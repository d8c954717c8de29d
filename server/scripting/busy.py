"""Serving other clients while a script runs past busy-reply-threshold.

The server is one event loop, and a running script holds it (that is what makes a script
atomic). Redis, in the same position, processes its network events from inside the script's
hook (processEventsWhileBlocked) and answers BUSY to everything but SCRIPT KILL, SHUTDOWN
NOSAVE and a few connection commands. :func:`serve_clients` does the same from the count
hook: it polls the connected clients' sockets, reads what they sent and hands it to their
connection as asyncio would (so the dispatcher answers, :meth:`.runtime.ScriptRun.admit`
deciding BUSY), then writes the replies at once: they depend on no uncommitted write.

Left alone during the script (they get their turn once it ends): the script's caller, slaves'
and masters' links, and a client whose earlier replies wait for the turn's commit (answering
it now would put a reply before theirs). A client that closed is left for asyncio to notice
afterwards (the end of a TCP stream reads again as its end).
"""

from __future__ import annotations

import os
import select
from typing import TYPE_CHECKING

from ..connection import NORMAL, PUBSUB, Client

if TYPE_CHECKING:
    from ..app import Server
    from .runtime import ScriptRun

#: Bytes read from a client per poll (asyncio's own read size).
READ_SIZE = 256 * 1024


def serve_clients(server: "Server", run: "ScriptRun") -> None:
    """Read and answer whatever the clients (other than the script's) have sent meanwhile."""
    readers: dict[int, Client] = {}
    for client in server.clients.values():
        if client is run.caller or client.id in run.left_alone or client.kind not in (NORMAL, PUBSUB):
            continue
        transport = client.transport
        sock = None if transport is None or transport.is_closing() else transport.get_extra_info("socket")
        if sock is not None:
            readers[sock.fileno()] = client
    if not readers:
        return
    poller = select.poll()
    for fd in readers:
        poller.register(fd, select.POLLIN)
    for fd, _event in poller.poll(0):
        _serve(server, run, fd, readers[fd])


def _serve(server: "Server", run: "ScriptRun", fd: int, client: Client) -> None:
    waiting = server.waiting_for_commit
    if client in waiting:
        run.left_alone.add(client.id)
        return
    try:
        data = os.read(fd, READ_SIZE)
    except BlockingIOError:
        return
    except OSError:
        data = b""
    if not data:
        run.left_alone.add(client.id)
        return
    client.data_received(data)
    if client in waiting:  # its replies were held for the commit; these need none
        waiting.remove(client)
        client.flush()
