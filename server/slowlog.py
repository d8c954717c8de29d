"""SLOWLOG: the commands that took at least ``slowlog-log-slower-than`` microseconds.

The dispatcher times every call (the handler and its reply's encoding) and hands the ones at
or over the threshold here; ``slowlog-max-len`` entries are kept, newest first. An entry is
Redis' (slowlog.c): id, unix time, microseconds, the arguments (at most 32, the last then
saying how many more there were; each at most 128 bytes, then how many more; passwords
redacted), the client's address and name. Commands flagged skip_slowlog (EXEC: its commands
are logged themselves) are not logged, nor blocked ones (the dispatcher does not hand them).
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import TYPE_CHECKING

from .monitor import peer_address, redacted
from .registry import CommandSpec

if TYPE_CHECKING:
    from pypika_store.config import Config

    from .connection import Client

#: The settings the dispatcher reads once, not on every call (Dispatcher.read_thresholds):
#: CONFIG SET of one has it read them again.
THRESHOLD_OPTIONS = frozenset(("slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold"))
#: Redis' SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
MAX_ARGUMENTS = 32
MAX_ARGUMENT_BYTES = 128


def trimmed(argv: list[bytes]) -> list[bytes]:
    """The arguments an entry keeps."""
    kept = argv[:MAX_ARGUMENTS]
    if len(argv) > MAX_ARGUMENTS:
        kept[-1] = b"... (%d more arguments)" % (len(argv) - MAX_ARGUMENTS + 1)
    return [arg if len(arg) <= MAX_ARGUMENT_BYTES
            else arg[:MAX_ARGUMENT_BYTES] + b"... (%d more bytes)" % (len(arg) - MAX_ARGUMENT_BYTES)
            for arg in kept]


class SlowLog:
    """The entries, and the two settings read from the config (:meth:`refresh`)."""

    def __init__(self, config: "Config") -> None:
        self._config = config
        self.entries: deque[list[object]] = deque()
        self._next_id = 0
        self.max_len = 0
        self.threshold_ns = math.inf

    def refresh(self) -> float:
        """Read the settings again (at start and after CONFIG SET); the threshold in
        nanoseconds, infinite when the log is off."""
        slower_than = self._config.get_int("slowlog-log-slower-than")
        self.threshold_ns = slower_than * 1000 if slower_than >= 0 else math.inf
        self.max_len = self._config.get_int("slowlog-max-len")
        return self.threshold_ns

    def record(self, client: "Client", spec: CommandSpec, argv: list[bytes], duration_ns: int) -> None:
        """Log a call that took ``duration_ns``, if it is slow enough and may be logged."""
        if duration_ns < self.threshold_ns or "skip_slowlog" in spec.flags:
            return
        self.entries.appendleft([self._next_id, int(time.time()), duration_ns // 1000, trimmed(redacted(argv)),
                                 peer_address(client).encode(), client.name])
        self._next_id += 1
        while len(self.entries) > self.max_len:
            self.entries.pop()

    def reset(self) -> None:
        self.entries.clear()
