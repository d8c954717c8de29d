"""The DB lock between writers and bgsave, as Pika's ``dbs_rw_`` shared mutex.

The event loop holds it *shared* while a turn applies commands (and, with the default scope,
until the turn's binlog write and commit are done); a bgsave holds it *exclusively* just long
enough to read the binlog position and open an LMDB snapshot. Only one thread ever holds it
shared (the loop), so "shared" here means "a turn is in progress".

The bgsave's exclusive section is handed over rather than taken (:meth:`DBLock.run_exclusive`):
when a turn is in progress, the thread that releases the turn's hold runs the section before
anyone else may enter. So the event loop never waits for the bgsave thread to be woken and
scheduled (a wait of milliseconds on a busy machine, the GIL being passed back and forth), and
the bgsave never starves behind back-to-back turns.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Generic, TypeVar

#: The lock covers applying a turn's commands, its binlog write and its commit (Pika PR #2818).
SCOPE_COMMAND_AND_BINLOG = "command+binlog"
#: The lock covers applying and committing only; the binlog is written after it is released.
#: This reproduces Pika's bug before PR #2818: a bgsave can record an offset older than its data.
SCOPE_COMMAND = "command"

#: How many of the latest durations a :class:`DurationSample` keeps.
SAMPLE_SIZE = 1024

Result = TypeVar("Result")


class DurationSample(deque):
    """The latest :data:`SAMPLE_SIZE` durations in seconds, oldest first (bounded memory, so
    percentiles describe the recent past), and how many were ever added."""

    def __init__(self, size: int = SAMPLE_SIZE) -> None:
        super().__init__(maxlen=size)
        self.count = 0

    def add(self, seconds: float) -> None:
        self.append(seconds)
        self.count += 1

    def percentiles_us(self, *fractions: float) -> list[int]:
        """The ``fractions`` quantiles of the kept durations in whole microseconds (0 when
        empty), from one sort (INFO asks for three at once)."""
        if not self:
            return [0] * len(fractions)
        ordered = sorted(self)
        return [int(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1_000_000)
                for fraction in fractions]


class _Handover(Generic[Result]):
    """An exclusive section waiting for the turn in progress to release the lock."""

    def __init__(self, section: Callable[[], Result]) -> None:
        self.section = section
        self.asked_at = time.perf_counter()
        self.done = False
        self.result: Result | None = None
        self.error: BaseException | None = None


class DBLock:
    """A readers-writer lock whose exclusive sections are timed (INFO's bgsave lock figures).

    An exclusive section runs with the condition's mutex held, so a turn starting meanwhile
    blocks on that mutex: that is the only wait a turn can have, and the only one timed (an
    uncontended acquire, nearly every turn, reads no clock)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        #: Exclusive sections waiting for the turn in progress: its release runs them.
        self._handovers: list[_Handover] = []
        #: How long each exclusive section held the lock.
        self.exclusive_holds = DurationSample()
        #: How long each exclusive section waited for the turn in progress to end.
        self.exclusive_waits = DurationSample()
        #: How long each turn that found an exclusive section running waited for it.
        self.shared_waits = DurationSample()

    def acquire_shared(self) -> None:
        condition = self._condition
        if not condition.acquire(blocking=False):
            asked_at = time.perf_counter()
            condition.acquire()
            self.shared_waits.add(time.perf_counter() - asked_at)
        self._readers += 1
        condition.release()

    def release_shared(self) -> None:
        # The condition's acquire and release are its lock's own (C) methods; ``with`` would
        # add Condition.__enter__ and __exit__, two Python calls of every writing turn.
        condition = self._condition
        condition.acquire()
        try:
            self._readers -= 1
            if not self._readers and self._handovers:
                handovers, self._handovers = self._handovers, []
                for handover in handovers:
                    self._run(handover)
                condition.notify_all()
        finally:
            condition.release()

    def run_exclusive(self, section: Callable[[], Result]) -> Result:
        """Run ``section`` holding the lock exclusively and return what it returns. If no turn
        holds the lock it runs now, in this thread; otherwise the turn's release runs it, in
        the releasing thread, and this call waits for its result (or its exception)."""
        with self._condition:
            handover = _Handover(section)
            if self._readers:
                self._handovers.append(handover)
                while not handover.done:
                    self._condition.wait()
            else:
                self._run(handover)
        if handover.error is not None:
            raise handover.error
        return handover.result  # type: ignore[return-value]

    def _run(self, handover: _Handover) -> None:
        """Run a section, the condition held (no turn can start meanwhile), and time it."""
        started = time.perf_counter()
        self.exclusive_waits.add(started - handover.asked_at)
        try:
            handover.result = handover.section()
        except BaseException as exc:  # handed to the caller of run_exclusive
            handover.error = exc
        handover.done = True
        self.exclusive_holds.add(time.perf_counter() - started)
