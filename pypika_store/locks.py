"""The DB lock between writers and bgsave, as Pika's ``dbs_rw_`` shared mutex.

The event loop holds it *shared* while a turn applies commands (and, with the default scope,
until the turn's binlog write and commit are done); a bgsave takes it *exclusively* just long
enough to read the binlog position and open an LMDB snapshot. Only one thread ever holds it
shared (the loop), so "shared" here means "a turn is in progress".
"""

from __future__ import annotations

import threading
import time

#: The lock covers applying a turn's commands, its binlog write and its commit (Pika PR #2818).
SCOPE_COMMAND_AND_BINLOG = "command+binlog"
#: The lock covers applying and committing only; the binlog is written after it is released.
#: This reproduces Pika's bug before PR #2818: a bgsave can record an offset older than its data.
SCOPE_COMMAND = "command"


class DBLock:
    """A readers-writer lock with the exclusive holds timed (for the bgsave hold-time figures)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writer = False
        #: Exclusive acquirers waiting: a new turn waits for them, or back-to-back turns on the
        #: loop (which re-acquires before the woken bgsave thread gets the GIL) starve the bgsave.
        self._exclusive_waiting = 0
        self._exclusive_since = 0.0
        #: Seconds each exclusive hold lasted, most recent last.
        self.exclusive_holds: list[float] = []
        #: Seconds each exclusive acquirer waited for the turn in progress to end, most recent last.
        self.exclusive_waits: list[float] = []

    def acquire_shared(self) -> None:
        with self._condition:
            while self._writer or self._exclusive_waiting:
                self._condition.wait()
            self._readers += 1

    def release_shared(self) -> None:
        with self._condition:
            self._readers -= 1
            if not self._readers:
                self._condition.notify_all()

    def acquire_exclusive(self) -> None:
        asked_at = time.perf_counter()
        with self._condition:
            self._exclusive_waiting += 1
            while self._writer or self._readers:
                self._condition.wait()
            self._exclusive_waiting -= 1
            self._writer = True
            self._exclusive_since = time.perf_counter()
            self.exclusive_waits.append(self._exclusive_since - asked_at)
            del self.exclusive_waits[:-1000]

    def release_exclusive(self) -> None:
        with self._condition:
            self.exclusive_holds.append(time.perf_counter() - self._exclusive_since)
            del self.exclusive_holds[:-1000]
            self._writer = False
            self._condition.notify_all()
