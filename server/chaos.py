"""Faults on demand (``CHAOS``, docs/fault-injection.md): the state behind every control.

One :class:`Chaos` per server holds what is on: the engine's clock (:mod:`pypika_store.clock`),
the command faults (:class:`CommandFaults`, checked by the dispatcher), the faults of a slave's
link to its master (:class:`pypika_store.replication.link.LinkFaults`), and a suspension of
the whole node (:class:`Suspension`). Every random draw comes from one generator that
``CHAOS SEED`` seeds, so a failing run replays. ``CHAOS RESET`` heals everything.

Command faults act where the dispatcher admits a command (:meth:`Dispatcher.execute`, after
the admission rules and before MULTI queueing), so they hit every connection, existing ones
included, and a command a fault keeps from running does nothing: nothing stored, nothing
logged. ``AFTER`` runs the command first, then loses or replaces its reply. A delayed or hung
client is parked as a blocked client is: its connection stops running its later commands
(their order is kept) while the event loop serves everyone else. Internal clients (the
binlog replay, a slave applying its master's stream) and CHAOS itself are never faulted; a
slave's requests to its master only by a fault naming their COMMAND.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pypika_store.errors import CommandError
from pypika_store.replication.link import LinkFaults

from .blocking import Waiting
from .commands.transactions import refuse
from .connection import REPLICA
from .resp.replies import NO_REPLY, Map, error_line

if TYPE_CHECKING:
    from .app import Server
    from .connection import Client
    from .dispatch import Dispatcher
    from .registry import CommandSpec

#: What a command fault does (AFTER is a modifier; CORRUPT always runs the command first).
ERROR, DELAY, DROP, CLOSE, HANG, CORRUPT = "error", "delay", "drop", "close", "hang", "corrupt"
ACTIONS = (ERROR, DELAY, DROP, CLOSE, HANG, CORRUPT)


@dataclass
class CommandFault:
    """One ``CHAOS FAULT ADD``: which calls it matches, what it does, and its counters.

    A call matches when it passes every filter given (none: every call). Of the matching
    calls, the first ``nth - 1`` pass; from the ``nth`` on each fires with ``probability``,
    until it fired ``count`` times (then it is spent: listed, no longer firing).
    """

    name: bytes
    action: str
    command: str | None = None
    key_pattern: bytes | None = None
    key_matches: Callable[[bytes], bool] | None = None
    client: bytes | None = None
    client_matches: Callable[[bytes], bool] | None = None
    db: int | None = None
    error: str = ""
    delay_ms: int = 0
    nth: int = 1
    count: int | None = None
    probability: float = 1.0
    after: bool = False
    #: Calls that matched the filters, and calls the fault acted on.
    matched: int = 0
    hits: int = 0

    def matches(self, client: "Client", spec: "CommandSpec", argv: list[bytes]) -> bool:
        if self.command is None:
            if client.kind == REPLICA:
                return False  # a slave's requests: only when named (COMMAND pikarepl)
        elif self.command != spec.full_name and (spec.parent is None or self.command != spec.parent.name):
            return False
        if self.db is not None and client.db != self.db:
            return False
        if self.client is not None and not self._client_matches(client):
            return False
        if self.key_matches is not None:
            keys = spec.keys_and_flags(argv) or ()
            if not any(self.key_matches(key) for key, _flags in keys):
                return False
        return True

    def _client_matches(self, client: "Client") -> bool:
        """CLIENT names the connection (CLIENT SETNAME) or its address, exactly or as a glob."""
        address = client.address.encode()
        if self.client in (client.name, address):
            return True
        matches = self.client_matches
        return matches is not None and (matches(client.name) or matches(address))

    def fires(self, rng: random.Random) -> bool:
        """Count a matching call; whether the fault acts on it."""
        self.matched += 1
        if self.matched < self.nth or self.spent:
            return False
        if self.probability < 1.0 and rng.random() >= self.probability:
            return False
        self.hits += 1
        return True

    @property
    def spent(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def describe(self, held: int) -> Map:
        """Its CHAOS LIST entry."""
        return Map([
            ("kind", "fault"), ("name", self.name), ("command", self.command or "*"),
            ("key", self.key_pattern or b"*"), ("client", self.client or b"*"),
            ("db", "*" if self.db is None else self.db), ("action", self.action),
            ("error", self.error), ("delay-ms", self.delay_ms), ("nth", self.nth),
            ("count", "*" if self.count is None else self.count), ("probability", repr(self.probability)),
            ("after", int(self.after)), ("matched", self.matched), ("hits", self.hits),
            ("held-clients", held), ("spent", int(self.spent)),
        ])


def corrupted(reply: bytes) -> bytes:
    """``reply`` with one bit flipped in the middle of its first non-empty bulk string (RESP's
    framing kept, so only a checksum can tell); unchanged when it holds none."""
    position = 0
    while True:
        header = reply.find(b"$", position)
        if header < 0:
            return reply
        end = reply.find(b"\r\n", header)
        length = reply[header + 1:end]
        if length.isdigit() and int(length) > 0 and (header == 0 or reply[header - 2:header] == b"\r\n"):
            target = end + 2 + int(length) // 2
            return reply[:target] + bytes((reply[target] ^ 0x01,)) + reply[target + 1:]
        position = header + 1


@dataclass(eq=False)
class _Parked:
    """A client a DELAY or HANG fault holds: its command (or, after AFTER, its reply)."""

    fault: bytes
    entry: Waiting
    reply: bytes | None
    timer: asyncio.TimerHandle | None = field(default=None)

    @property
    def holding(self) -> bool:
        """Still holding its client (not disconnected meanwhile)."""
        return self.entry.client.blocked is self.entry


class CommandFaults:
    """The command faults of one server, and the clients they hold.

    The dispatcher calls :meth:`apply` for each admitted command while any fault exists
    (``dispatcher.faults`` is None otherwise: no fault, no cost but one attribute test).
    """

    def __init__(self, dispatcher: "Dispatcher", rng: random.Random) -> None:
        self._dispatcher = dispatcher
        self._rng = rng
        self.faults: dict[bytes, CommandFault] = {}
        self._parked: list[_Parked] = []
        #: The call let through once: a held command running now, or an AFTER fault's call.
        self._passing: list[bytes] | None = None

    # -- managing faults -------------------------------------------------------------------

    def add(self, fault: CommandFault) -> None:
        self.faults[fault.name] = fault
        self._dispatcher.faults = self

    def delete(self, name: bytes) -> bool:
        """Remove a fault, letting the clients it holds go on; False if there is none such."""
        if self.faults.pop(name, None) is None:
            return False
        if not self.faults:
            self._dispatcher.faults = None
        for parked in [each for each in self._parked if each.fault == name]:
            self._release(parked)
        return True

    def clear(self) -> None:
        for name in list(self.faults):
            self.delete(name)

    def describe(self) -> list[Map]:
        return [fault.describe(sum(1 for parked in self._parked if parked.fault == fault.name and parked.holding))
                for fault in self.faults.values()]

    # -- the dispatcher's hook ---------------------------------------------------------------

    def apply(self, client: "Client", spec: "CommandSpec", argv: list[bytes]) -> bytes | None:
        """The reply a fault gives this admitted call instead of running it (or after running
        it, with AFTER); None to let it run."""
        if argv is self._passing:
            self._passing = None
            return None
        if client.transport is None or spec.full_name.startswith("chaos"):
            return None
        for fault in self.faults.values():
            if fault.matches(client, spec, argv) and fault.fires(self._rng):
                return self._act(fault, client, spec, argv)
        return None

    def _act(self, fault: CommandFault, client: "Client", spec: "CommandSpec", argv: list[bytes]) -> bytes:
        action = fault.action
        if action == CORRUPT:
            return corrupted(self._run(client, argv))
        reply = self._run(client, argv) if fault.after else None
        if action == ERROR:
            return error_line(fault.error) if fault.after else refuse(client, CommandError(fault.error), spec)
        if action == CLOSE:
            client.close()
        elif action in (DELAY, HANG):
            self._park(fault, client, argv, reply)
        return NO_REPLY

    def _run(self, client: "Client", argv: list[bytes]) -> bytes:
        """Run a call past the faults (the dispatcher admits it again: a pause may hold it)."""
        self._passing = argv
        try:
            return self._dispatcher.execute(client, argv)
        finally:
            self._passing = None

    def _park(self, fault: CommandFault, client: "Client", argv: list[bytes], reply: bytes | None) -> None:
        """Hold the client (its later commands wait behind this one) until the delay is over,
        or for a hang until the fault is healed."""
        entry = Waiting(client, argv, [], None)
        client.blocked = entry
        parked = _Parked(fault.name, entry, reply)
        if fault.action == DELAY:
            # The timer is the entry's: a disconnect releases the entry and cancels it.
            parked.timer = entry.timer = asyncio.get_running_loop().call_later(
                fault.delay_ms / 1000, self._release, parked)
        self._parked.append(parked)

    def _release(self, parked: _Parked) -> None:
        """The delay is over (or the fault healed): run the held command, or send the reply
        AFTER kept, and let the client go on with its pipeline."""
        if parked in self._parked:
            self._parked.remove(parked)
        if parked.timer is not None:
            parked.timer.cancel()
        client: Client = parked.entry.client  # type: ignore[assignment]
        if not parked.holding or client.closing:
            return  # disconnected meanwhile
        client.blocked = None
        client.resume(parked.reply if parked.reply is not None else self._run(client, parked.entry.argv))


class Suspension:
    """A node stopped as SIGSTOP stops a process: the event loop itself waits, so nothing is
    read, no timer runs (cron, expiry, replication, timeouts), and connections stay open with
    what peers send buffered by the kernel. It ends when its time is up, or earlier when
    another thread calls :meth:`wake` (the test fixtures do, leaving ``server.stall()``)."""

    def __init__(self) -> None:
        self._woken = threading.Event()
        #: True while the loop is stopped (read from other threads).
        self.suspended = False

    def suspend(self, loop: asyncio.AbstractEventLoop, milliseconds: int) -> None:
        """Stop the loop for ``milliseconds``, once the callbacks already queued ran (the reply
        to the CHAOS command that asked is written before)."""
        self._woken.clear()
        loop.call_soon(self._stop, milliseconds / 1000)

    def _stop(self, seconds: float) -> None:
        self.suspended = True
        try:
            self._woken.wait(seconds)
        finally:
            self.suspended = False

    def wake(self) -> None:
        """End a suspension now (thread-safe)."""
        self._woken.set()


class Chaos:
    """Everything CHAOS controls on one server."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.seed = 0
        self.rng = random.Random(self.seed)
        self.clock = server.engine.clock
        self.faults = CommandFaults(server.dispatcher, self.rng)
        self.link = LinkFaults(self.rng)
        self.suspension = Suspension()

    def reseed(self, seed: int) -> None:
        """Seed every random draw of the faults (probabilities, jitter)."""
        self.seed = seed
        self.rng.seed(seed)

    def advance_timeouts(self, milliseconds: int) -> None:
        """Bring the timeouts of blocked clients ``milliseconds`` closer (CHAOS CLOCK ADVANCE
        ... TIMEOUTS): those now due time out at once, the others keep their remaining time."""
        blocking = self.server.blocking
        loop = self.server.loop
        entries = {id(entry): entry for queue in blocking.waiting.values() for entry in queue}
        for entry in entries.values():
            timer = entry.timer
            if timer is None:
                continue
            timer.cancel()
            when = timer.when() - milliseconds / 1000
            if when <= loop.time():
                blocking.time_out(entry)
            else:
                entry.timer = loop.call_at(when, blocking.time_out, entry)

    def reset(self) -> None:
        """Heal everything: faults removed (held clients go on), link faults off, the clock
        back to real time, a suspension over."""
        self.faults.clear()
        self.link.resume()
        self.clock.reset()
        self.suspension.wake()

    def describe(self) -> list[Map]:
        """CHAOS LIST: one entry per thing that is on, and the seed."""
        entries = [Map([("kind", "seed"), ("seed", self.seed)])]
        clock = self.clock
        if not clock.is_real:
            entries.append(Map([("kind", "clock"), ("frozen", int(clock.frozen)), ("offset-ms", clock.offset_ms),
                                ("now-ms", clock.now_ms())]))
        if self.link.active:
            entries.append(Map([("kind", "link"), *self.link.describe()]))
        return entries + self.faults.describe()
