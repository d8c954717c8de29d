"""LATENCY: the latency monitor's samples of slow commands (Redis' latency.c, its command events).

When ``latency-monitor-threshold`` (milliseconds) is not 0, every call that takes at least
that long is a sample of the event ``command`` (``fast-command`` for a command flagged fast).
Each event keeps its last 160 samples, one per second at most (the worst of that second), and
its all-time worst. The dispatcher times the calls (the same timing as SLOWLOG).
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import TYPE_CHECKING

from .registry import FAST, CommandSpec

if TYPE_CHECKING:
    from pypika_store.config import Config

#: Samples kept per event (Redis' LATENCY_TS_LEN).
SAMPLES_KEPT = 160


class LatencySeries:
    """One event's samples: ``[unix second, milliseconds]``, oldest first, and its worst."""

    __slots__ = ("samples", "worst")

    def __init__(self) -> None:
        self.samples: deque[list[int]] = deque(maxlen=SAMPLES_KEPT)
        self.worst = 0

    def add(self, now: int, milliseconds: int) -> None:
        self.worst = max(self.worst, milliseconds)
        if self.samples and self.samples[-1][0] == now:  # one sample per second: its worst
            self.samples[-1][1] = max(self.samples[-1][1], milliseconds)
        else:
            self.samples.append([now, milliseconds])


class LatencyMonitor:
    """The events and their series, and the threshold read from the config (:meth:`refresh`)."""

    def __init__(self, config: "Config") -> None:
        self._config = config
        self.events: dict[bytes, LatencySeries] = {}
        self.threshold_ns = math.inf

    def refresh(self) -> float:
        """Read the threshold again; in nanoseconds, infinite when the monitor is off."""
        milliseconds = self._config.get_int("latency-monitor-threshold")
        self.threshold_ns = milliseconds * 1_000_000 if milliseconds else math.inf
        return self.threshold_ns

    def record(self, spec: CommandSpec, duration_ns: int) -> None:
        """A call that took ``duration_ns``: a sample if it reached the threshold."""
        if duration_ns < self.threshold_ns:
            return
        event = b"fast-command" if FAST in spec.flags else b"command"
        self.events.setdefault(event, LatencySeries()).add(int(time.time()), duration_ns // 1_000_000)

    def reset(self, events: list[bytes] | None) -> int:
        """Forget the events named (all when None); how many there were."""
        if events is None:
            count = len(self.events)
            self.events.clear()
            return count
        return sum(self.events.pop(event, None) is not None for event in dict.fromkeys(events))
