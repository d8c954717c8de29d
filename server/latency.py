"""LATENCY: the latency monitor's samples of slow commands and slow server work (Redis' latency.c).

When ``latency-monitor-threshold`` (milliseconds) is not 0, every call that takes at least
that long is a sample of the event ``command`` (``fast-command`` for a command flagged fast),
and so is any of the server's own work below that takes that long (docs/info.md says what
each measures here). Each event keeps its last 160 samples, one per second at most (the worst
of that second), and its all-time worst. The dispatcher times the calls (the same timing as
SLOWLOG); the server, its bgsave and the slave time the rest.
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

# The events of the server's own work: Redis' names where Redis has the event, ours where not.
#: The active expiry cycle's run over every DB (Redis' expire-cycle).
EXPIRE_CYCLE = b"expire-cycle"
#: A turn's commit under ``sync-policy always``: binlog write, LMDB commit, fsync (Redis'
#: aof-fsync-always, an AOF write fsynced in the main thread).
COMMIT_FSYNCED = b"aof-fsync-always"
#: A turn's commit otherwise: binlog write and LMDB commit, fsync left to the background
#: (Redis' aof-write-alone, an AOF write with no fsync pending).
COMMIT = b"aof-write-alone"
#: How long a bgsave held the DB lock that stops writing turns (Redis' fork: the time the
#: main thread stops to start a snapshot).
BGSAVE_LOCK = b"fork"
# A slave's load of a full sync's snapshot is ``full-sync-load`` (replication/slave.py times it).


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
        if duration_ns >= self.threshold_ns:
            self.sample(b"fast-command" if FAST in spec.flags else b"command", duration_ns)

    def sample(self, event: bytes, duration_ns: int) -> None:
        """``event`` took ``duration_ns``: a sample if it reached the threshold (Redis'
        latencyAddSampleIfNeeded)."""
        if duration_ns >= self.threshold_ns:
            self.events.setdefault(event, LatencySeries()).add(int(time.time()), duration_ns // 1_000_000)

    def reset(self, events: list[bytes] | None) -> int:
        """Forget the events named (all when None); how many there were."""
        if events is None:
            count = len(self.events)
            self.events.clear()
            return count
        return sum(self.events.pop(event, None) is not None for event in dict.fromkeys(events))


#: LATENCY GRAPH's width and height (Redis' LATENCY_GRAPH_COLS, and its four rows).
GRAPH_COLUMNS = 80
GRAPH_ROWS = 4
#: Redis' filled sparkline: three levels per row, ``|`` below the top of a column.
_SPARK_LEVELS = "_o#"


def _age_label(seconds: int) -> str:
    """How long ago a sample was taken, as LATENCY GRAPH labels it (``12s``, ``3m``, ``1h``, ``2d``)."""
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _sparkline(values: list[int], labels: list[str], low: int, high: int) -> str:
    """One block of Redis' sparkline (sparklineRenderRange, filled, linear): ``GRAPH_ROWS`` rows
    of columns as tall as each value between ``low`` and ``high``, a blank line, then each
    label written downwards under its column."""
    steps = len(_SPARK_LEVELS) * GRAPH_ROWS
    span = (high - low) or 1
    heights = [min(max(int(int((value - low) * steps) / span), 0), steps - 1) for value in values]
    lines = []
    for row in range(GRAPH_ROWS):
        floor = (GRAPH_ROWS - row - 1) * len(_SPARK_LEVELS)
        lines.append("".join(_SPARK_LEVELS[height - floor] if 0 <= height - floor < len(_SPARK_LEVELS)
                             else "|" if height - floor >= len(_SPARK_LEVELS) else " " for height in heights))
    lines.append(" " * len(values))
    for depth in range(max(map(len, labels))):
        lines.append("".join(label[depth] if depth < len(label) else " " for label in labels))
    return "".join(line + "\n" for line in lines)


def graph_report(event: bytes, series: LatencySeries, now: int) -> str:
    """LATENCY GRAPH: Redis' header line (high, low, all-time high), a rule, and the samples'
    sparkline, 80 columns a block, each column labelled with the sample's age."""
    values = [latency for _when, latency in series.samples]
    labels = [_age_label(now - when) for when, _latency in series.samples]
    low, high = min(values), max(values)
    blocks = [_sparkline(values[start:start + GRAPH_COLUMNS], labels[start:start + GRAPH_COLUMNS], low, high)
              for start in range(0, len(values), GRAPH_COLUMNS)]
    header = f"{event.decode('utf-8', 'replace')} - high {high} ms, low {low} ms (all time high {series.worst} ms)\n"
    return header + "-" * GRAPH_COLUMNS + "\n" + "\n".join(blocks)


def _anonymous_huge_pages_kb() -> int:
    """The AnonHugePages this process uses (Redis' THPGetAnonHugePagesSize), 0 when unknown."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as smaps:
            return sum(int(line.split()[1]) for line in smaps if line.startswith("AnonHugePages:"))
    except OSError:
        return 0


_DISABLED = ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
             "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a "
             "deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
_NO_SPIKES = ("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
              "bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
_SPIKES = ("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you "
           "Dave?\n\n")
_ENABLE_SLOWLOG = ("- There are latency issues with potentially slow commands you are using. Try to enable the Slow "
                   "Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is "
                   "disabled Redis is not able to log slow commands execution for you.\n")
_TUNE_SLOWLOG = ("- Your current Slow Log configuration only logs events that are slower than your configured latency "
                 "monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n")
_INSPECT_SLOWLOG = ("- Check your Slow Log to understand what are the commands you are running which are too slow to "
                    "execute. Please check https://redis.io/commands/slowlog for more information.\n")
_SCHEDULER = ("- The system is slow to execute Redis code paths not containing system calls. This usually means the "
              "system does not provide Redis CPU time to run for long periods. You should try to:\n"
              "  1) Lower the system load.\n"
              "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
              "  3) Check if you have a \"noisy neighbour\" problem.\n"
              "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
              "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are "
              "using Jemalloc. However this may create fragmentation problems.\n")
_LARGE_OBJECTS = ("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                  "operation. If you have very large objects that are often deleted, expired, or evicted, try to "
                  "fragment those objects into multiple smaller objects.\n")
_DISABLE_THP = ("- I detected a non zero amount of anonymous huge pages used by your process. This creates very "
                "serious latency events in different conditions, especially when Redis is persisting on disk. To "
                "disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', "
                "make sure to also add it into /etc/rc.local so that the command will be executed again after a "
                "reboot. Note that even if you have already disabled THP, you still need to restart the Redis "
                "process to get rid of the huge pages already created.\n")


def doctor_report(monitor: LatencyMonitor, config: "Config") -> str:
    """LATENCY DOCTOR: Redis' report, for the events this server samples (command, fast-command)."""
    threshold = config.get_int("latency-monitor-threshold")
    if not monitor.events and not threshold:
        return _DISABLED
    lines = [_SPIKES] if monitor.events else []
    slow_commands = fast_commands = False
    now = int(time.time())
    for number, (event, series) in enumerate(monitor.events.items(), 1):
        latencies = [latency for _when, latency in series.samples]
        average = sum(latencies) // len(latencies)
        deviation = sum(abs(average - latency) for latency in latencies) // len(latencies)
        period = max(now - min(when for when, _latency in series.samples), 1)
        lines.append(f"{number}. {event.decode()}: {len(latencies)} latency spikes (average {average}ms, mean "
                     f"deviation {deviation}ms, period {period / len(latencies):.2f} sec). Worst all time event "
                     f"{series.worst}ms.\n")
        slow_commands = slow_commands or event == b"command"
        fast_commands = fast_commands or event == b"fast-command"
    huge_pages = _anonymous_huge_pages_kb() > 0
    if not (monitor.events or huge_pages):
        return _NO_SPIKES
    lines.append("\nI have a few advices for you:\n\n")
    if slow_commands:
        slower_than = config.get_int("slowlog-log-slower-than")
        if slower_than < 0:
            lines.append(_ENABLE_SLOWLOG.format(threshold * 1000))
        elif slower_than // 1000 > threshold:
            lines.append(_TUNE_SLOWLOG.format(threshold * 1000))
        lines.append(_INSPECT_SLOWLOG)
    if fast_commands:
        lines.append(_SCHEDULER)
    if slow_commands:
        lines.append(_LARGE_OBJECTS)
    if huge_pages:
        lines.append(_DISABLE_THP)
    return "".join(lines)
