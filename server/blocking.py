"""Blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN, ...): clients waiting for keys.

A blocking command's handler first tries to serve itself at once; when it cannot, it returns a
:class:`Block`, and the dispatcher parks the client here: its connection stops reading its
further commands, and the client waits in a FIFO queue for each key it named. A write that
gives a key elements (a push, an add, a RENAME onto it) marks the key ready; after the
command that did it, the dispatcher has every client waiting on a ready key run its command
again, oldest first (as Redis' handleClientsBlockedOnKeys does), until the key runs out again.
A client that is served or times out resumes its pipeline. Clients are seen through the
:class:`~.session.Session` interface.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from .session import Session

#: Given a key that became ready, the command a blocked client runs to be served from that key
#: alone; None when the key does not hold the type the command pops (the client waits on).
RetryFor = Callable[[bytes], "list[bytes] | None"]


class Block:
    """A handler's answer meaning "wait for one of ``keys``", for ``timeout`` seconds (0:
    forever), then reply ``timeout_reply``.

    ``retry_argv`` is the command to run again when a key is ready, when it must differ from
    the one the client sent (XREAD's ``$`` stands for the stream's last ID when it blocked).
    ``consumes`` says whether serving a client takes the key's elements (a pop does, XREAD
    does not): when it does not, a client still waiting does not keep the next ones from a try.
    ``retry_for``, when given, picks the command per ready key (see :data:`RetryFor`); without
    it the client runs ``retry_argv`` (or its own command) whichever of its keys is ready.
    """

    __slots__ = ("keys", "timeout", "timeout_reply", "retry_argv", "consumes", "retry_for")

    def __init__(self, keys: list[bytes], timeout: float, timeout_reply: object,
                 retry_argv: list[bytes] | None = None, consumes: bool = True,
                 retry_for: RetryFor | None = None) -> None:
        self.keys = keys
        self.timeout = timeout
        self.timeout_reply = timeout_reply
        self.retry_argv = retry_argv
        self.consumes = consumes
        self.retry_for = retry_for


class Waiting:
    """A parked client: its command, the keys it waits on, and its timeout timer."""

    __slots__ = ("client", "argv", "keys", "timer", "timeout_reply", "consumes", "retry_for")

    def __init__(self, client: "Session", argv: list[bytes], keys: list[tuple[int, bytes]],
                 timeout_reply: object, consumes: bool = True, retry_for: RetryFor | None = None) -> None:
        self.client = client
        self.argv = argv
        self.keys = keys
        self.timeout_reply = timeout_reply
        self.consumes = consumes
        self.retry_for = retry_for
        self.timer: asyncio.TimerHandle | None = None

    def argv_for(self, key: bytes) -> list[bytes] | None:
        """The command to run now that ``key`` is ready; None to go on waiting."""
        return self.argv if self.retry_for is None else self.retry_for(key)


class KeyReadyHook(Protocol):
    """Where the writes' "key got elements" hook goes (the engine): set while any client
    waits, None while nobody does, so a push or an add then tests one attribute instead of
    calling :meth:`BlockingRegistry.signal` (``Turn.key_ready``)."""

    on_key_ready: Callable[[int, bytes], None] | None


class BlockingRegistry:
    """Who waits for which key, and which keys became ready during the current command."""

    def __init__(self, hook: KeyReadyHook | None = None) -> None:
        self.waiting: dict[tuple[int, bytes], deque[Waiting]] = {}
        self._hook = hook
        #: The keys that got elements during the current command, in order (dispatch tests it
        #: after every call: an attribute, not a property, on that path).
        self.ready: OrderedDict[tuple[int, bytes], None] = OrderedDict()
        self._serving = False

    def __len__(self) -> int:
        """How many clients are blocked (INFO's blocked_clients)."""
        return len({id(entry) for queue in self.waiting.values() for entry in queue})

    def park(self, client: "Session", argv: list[bytes], block: Block) -> None:
        keys = [(client.db, key) for key in dict.fromkeys(block.keys)]
        entry = Waiting(client, block.retry_argv or argv, keys, block.timeout_reply, block.consumes,
                        block.retry_for)
        for key in keys:
            self.waiting.setdefault(key, deque()).append(entry)
        if self._hook is not None:
            self._hook.on_key_ready = self.signal
        client.blocked = entry
        if block.timeout:
            entry.timer = asyncio.get_running_loop().call_later(block.timeout, self.time_out, entry)

    def signal(self, db: int, key: bytes) -> None:
        """``key`` of DB ``db`` got elements: its waiting clients get a try after this command."""
        if (db, key) in self.waiting:
            self.ready[(db, key)] = None

    def signal_db(self, db: int) -> None:
        """Every key of DB ``db`` went or was replaced (FLUSHDB, FLUSHALL, SWAPDB): each of its
        waiting clients gets a try, so XREADGROUP's fail when their stream went, as in Redis."""
        for waited in self.waiting:
            if waited[0] == db:
                self.ready[waited] = None

    def serve(self) -> None:
        """Give each ready key's waiting clients, oldest first, another run of their command."""
        if self._serving:
            return  # a served command made more keys ready: the outer loop handles them
        self._serving = True
        try:
            while self.ready:
                ready, _ = self.ready.popitem(last=False)
                queue = self.waiting.get(ready)
                for entry in list(queue or ()):
                    if entry.client.blocked is not entry:
                        continue
                    argv = entry.argv_for(ready[1])
                    if argv is None:
                        continue  # the key holds another type now: this client waits on
                    if not entry.client.retry_blocked(argv) and entry.consumes:
                        break  # still nothing for it (the key ran out): the rest wait too
        finally:
            self._serving = False

    def release(self, entry: Waiting) -> None:
        """Take a client out of every queue (served, timed out, disconnected)."""
        for key in entry.keys:
            queue = self.waiting.get(key)
            if queue is not None:
                try:
                    queue.remove(entry)
                except ValueError:
                    pass
                if not queue:
                    del self.waiting[key]
        if not self.waiting and self._hook is not None:
            self._hook.on_key_ready = None  # nobody waits: writes need not signal
        if entry.timer is not None:
            entry.timer.cancel()
        entry.client.blocked = None

    def time_out(self, entry: Waiting) -> None:
        if entry.client.blocked is entry:
            self.release(entry)
            entry.client.resume(entry.client.encode(entry.timeout_reply))
