"""CLIENT PAUSE: commands held, not refused, until the pause ends (Redis 7.0's semantics).

While a pause is on, the dispatcher hands each command it would hold to :meth:`ClientPause.hold`:
the client is parked (its connection stops reading, CLIENT LIST shows it blocked) and its
command waits. When the pause ends (its time is up, or CLIENT UNPAUSE) the held commands run
again through the dispatcher, in the order they arrived, and each client goes on with its
pipeline. A ``WRITE`` pause holds only what may change data or reach the slaves (write
commands, PUBLISH, PFCOUNT, scripts, EXEC of a transaction queueing one of them); an ``ALL`` pause holds every
command, CLIENT UNPAUSE included, as in Redis. While paused the active expiry cycle waits too
(the server asks :attr:`Dispatcher.pause`), so a master writes nothing to its binlog and its
slaves get nothing new: lazy expiry only hides a key. A paused slave applies nothing from its
master's stream either (a ``WRITE`` pause or an ``ALL`` one, as Redis postpones its master
client's commands): its apply loop waits for :attr:`ClientPause.over`, then catches up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Callable

from .blocking import Waiting
from .connection import MASTER, REPLICA
from .registry import WRITE, CommandSpec

if TYPE_CHECKING:
    from .connection import Client

#: Commands a WRITE pause holds besides write commands: those Redis 7.0 flags may_replicate
#: (PFCOUNT may rewrite its HyperLogLog's cached count; scripts may write).
MAY_REPLICATE = frozenset(("publish", "spublish", "pfcount", "eval", "evalsha", "fcall"))


def may_replicate(spec: CommandSpec) -> bool:
    return WRITE in spec.flags or spec.full_name in MAY_REPLICATE


#: Why commands are paused (Redis' pause purposes): each purpose ends on its own (CLIENT
#: UNPAUSE ends CLIENT PAUSE's, not a FAILOVER's), and commands are held while any is on.
BY_CLIENT = "client"
DURING_FAILOVER = "failover"


class _Purpose:
    """One reason to pause: until when, whether it holds only writes, its timer."""

    __slots__ = ("until", "writes_only", "timer")

    def __init__(self, until: float, writes_only: bool, timer: asyncio.TimerHandle) -> None:
        self.until, self.writes_only, self.timer = until, writes_only, timer


class ClientPause:
    """The pause in progress: its purposes (each with its end and kind), and the commands held.
    ``on_end(purpose)`` is called when a purpose's time is up."""

    def __init__(self, on_end: Callable[[str], None]) -> None:
        self._purposes: dict[str, _Purpose] = {}
        self.held: deque[Waiting] = deque()
        self._on_end = on_end
        #: True while every purpose holds only writes (the strictest purpose wins).
        self.writes_only = True
        #: Done when the pause is over (the held commands ran): a slave's apply loop waits for it.
        self.over: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def add(self, purpose: str, until: float, writes_only: bool) -> None:
        """Pause for ``purpose`` until ``until``; again while it is on: the later end and the
        stricter kind win (a new CLIENT PAUSE while paused, as in Redis)."""
        current = self._purposes.get(purpose)
        if current is not None:
            writes_only = writes_only and current.writes_only
            if until <= current.until:
                until = current.until
            current.timer.cancel()
        timer = asyncio.get_running_loop().call_at(until, self._on_end, purpose)
        self._purposes[purpose] = _Purpose(until, writes_only, timer)
        self.writes_only = all(each.writes_only for each in self._purposes.values())

    def remove(self, purpose: str) -> bool:
        """End ``purpose`` (if on); True when no purpose is left (the pause is over)."""
        ended = self._purposes.pop(purpose, None)
        if ended is not None:
            ended.timer.cancel()
            self.writes_only = all(each.writes_only for each in self._purposes.values())
        return not self._purposes

    def holds(self, client: "Client", spec: CommandSpec) -> bool:
        """Whether this pause holds ``client``'s call of ``spec``. A slave's requests are never
        held (as in Redis), nor here the commands our master streams: a slave applies them in
        the turn that commits their binlog position, so its apply loop holds them instead,
        before it places them in its binlog (:attr:`over`)."""
        if client.kind is REPLICA or client.kind is MASTER:
            return False
        if not self.writes_only:
            return True
        if spec.full_name == "exec" and client.transaction is not None:
            return any(may_replicate(queued) for queued, _argv in client.transaction.queued)
        return may_replicate(spec)

    def hold(self, client: "Client", argv: list[bytes]) -> None:
        """Park ``client`` with its command until the pause ends."""
        entry = Waiting(client, argv, [], None)
        client.blocked = entry
        self.held.append(entry)

    def release_all(self, run: Callable[["Client", list[bytes]], bytes]) -> None:
        """The pause is over: run each held command (``run`` is the dispatcher's admission)
        in the order they came, and let each client go on."""
        for entry in self.held:
            client: Client = entry.client  # type: ignore[assignment]
            if client.blocked is not entry or client.closing:
                continue  # disconnected (or unblocked) meanwhile
            client.blocked = None
            client.resume(run(client, entry.argv))
        self.held.clear()
        self.over.set_result(None)


def loop_time_after(milliseconds: int) -> float:
    """The event loop's clock ``milliseconds`` from now (a pause's end)."""
    return asyncio.get_running_loop().time() + milliseconds / 1000
