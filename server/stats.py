"""Server counters for INFO stats, and the instantaneous rates Redis derives from them; the
per-command time (INFO commandstats' ``usec``, INFO latencystats' percentiles) and the error
replies by their first word (INFO errorstats)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, fields

#: Redis stops tracking new error names past this many (a client inventing error codes).
MAX_ERROR_NAMES = 128


class LatencyHistogram:
    """The distribution of one command's call durations, in nanoseconds, with the resolution
    of Redis' HDR histogram (2 significant figures: 256 sub-buckets per power of two), so the
    percentiles print as Redis prints them: each value is its bucket's highest equivalent."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0

    @staticmethod
    def bucket_top(value: int) -> int:
        """The highest value recorded in the same bucket as ``value``."""
        shift = max(0, value.bit_length() - 8)
        return ((value >> shift) << shift) + (1 << shift) - 1

    def record_usec(self, usec: int) -> None:
        """Record a call of ``usec`` whole microseconds (as Redis: its nanoseconds, at least 1)."""
        top = _USEC_BUCKET_TOPS[usec] if usec < len(_USEC_BUCKET_TOPS) else self.bucket_top(usec * 1000)
        self.counts[top] = self.counts.get(top, 0) + 1
        self.total += 1

    def percentile(self, percent: float) -> int:
        """hdr_value_at_percentile: the smallest bucket top with that share of calls at or below."""
        wanted = max(1, int(percent / 100 * self.total + 0.5))
        seen = 0
        for top in sorted(self.counts):
            seen += self.counts[top]
            if seen >= wanted:
                return top
        return 0

    def cumulative_usec(self) -> list[tuple[int, int]]:
        """LATENCY HISTOGRAM's buckets: ``(microseconds, calls at or below)`` at each power of
        two from 1024 ns, as Redis' log-2 iteration of its HDR histogram reports them (the
        level's bucket top, in whole microseconds), only where the count grew, up to the
        bucket holding the slowest call."""
        tops = sorted(self.counts)
        buckets: list[tuple[int, int]] = []
        level, seen, position = 1024, 0, 0
        while seen < self.total:
            level_top = self.bucket_top(level)
            before = seen
            while position < len(tops) and tops[position] <= level_top:
                seen += self.counts[tops[position]]
                position += 1
            if seen > before:
                buckets.append((level_top // 1000, seen))
            level *= 2
        return buckets


#: The bucket of each short call (the hot path records most calls through this table).
_USEC_BUCKET_TOPS = [LatencyHistogram.bucket_top(max(1, usec * 1000)) for usec in range(4096)]


@dataclass
class CommandTimes:
    """One command's INFO commandstats time and rejections, and its latency histogram."""

    usec: int = 0
    rejected_calls: int = 0
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)

#: Rates average over this many samples, taken by the server cron (as Redis' STATS_METRIC_SAMPLES).
SAMPLES = 16


@dataclass
class Stats:
    """Counters behind INFO stats; CONFIG RESETSTAT zeroes them."""

    connections_received: int = 0
    commands_processed: int = 0
    rejected_connections: int = 0
    expired_keys: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    _samples: deque = field(default_factory=lambda: deque(maxlen=SAMPLES), repr=False)
    #: Error replies by their first word (``ERR``, ``WRONGTYPE``): INFO errorstats.
    errors: dict[str, int] = field(default_factory=dict)
    #: Per command (full name, ``config|get``): time and rejections (INFO commandstats).
    commands: dict[str, CommandTimes] = field(default_factory=dict)

    def error_replied(self, message: str) -> None:
        """Count an error reply (every one, refused or failed, as Redis' afterErrorReply)."""
        name = message.split(" ", 1)[0]
        if name in self.errors or len(self.errors) < MAX_ERROR_NAMES:
            self.errors[name] = self.errors.get(name, 0) + 1

    def command_times(self, name: str) -> CommandTimes:
        times = self.commands.get(name)
        if times is None:
            times = self.commands[name] = CommandTimes()
        return times

    def record_call(self, name: str, nanoseconds: int) -> None:
        """A call of command ``name`` took ``nanoseconds`` (Redis counts whole microseconds)."""
        usec = nanoseconds // 1000
        times = self.commands.get(name) or self.command_times(name)
        times.usec += usec
        times.histogram.record_usec(usec)

    def record_rejection(self, name: str) -> None:
        self.command_times(name).rejected_calls += 1

    @property
    def total_error_replies(self) -> int:
        return sum(self.errors.values())

    def sample(self) -> None:
        """Remember the counters now; the rates are computed over the remembered window."""
        self._samples.append((time.monotonic(), self.commands_processed, self.net_input_bytes,
                              self.net_output_bytes))

    def _rate(self, column: int) -> float:
        if len(self._samples) < 2:
            return 0.0
        first, last = self._samples[0], self._samples[-1]
        elapsed = last[0] - first[0]
        return (last[column] - first[column]) / elapsed if elapsed > 0 else 0.0

    def ops_per_sec(self) -> int:
        return int(self._rate(1))

    def input_kbps(self) -> float:
        return self._rate(2) / 1024

    def output_kbps(self) -> float:
        return self._rate(3) / 1024

    def reset(self) -> None:
        for counter in fields(self):
            if counter.type == "int":
                setattr(self, counter.name, 0)
        self._samples.clear()
        self.errors.clear()
        self.commands.clear()
