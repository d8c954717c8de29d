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
_NO_FIX = ("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis "
           "community to get some help, providing this report in your help request.\n")
_ADVICES = "\nI have a few advices for you:\n\n"

#: LATENCY DOCTOR's advices, in the order Redis prints them (``{}``: the threshold in microseconds).
ADVICES = {
    "better_vm": "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior "
                 "that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even "
                 "in the context of the same VM provider, certain kinds of instances can execute fork faster than "
                 "others.\n",
    "slowlog_enabled": "- There are latency issues with potentially slow commands you are using. Try to enable the "
                       "Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow "
                       "log is disabled Redis is not able to log slow commands execution for you.\n",
    "slowlog_tuning": "- Your current Slow Log configuration only logs events that are slower than your configured "
                      "latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n",
    "slowlog_inspect": "- Check your Slow Log to understand what are the commands you are running which are too slow "
                       "to execute. Please check https://redis.io/commands/slowlog for more information.\n",
    "scheduler": "- The system is slow to execute Redis code paths not containing system calls. This usually means "
                 "the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                 "  1) Lower the system load.\n"
                 "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                 "  3) Check if you have a \"noisy neighbour\" problem.\n"
                 "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                 "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are "
                 "using Jemalloc. However this may create fragmentation problems.\n",
    "local_disk": "- It is strongly advised to use local disks for persistence, especially if you are using AOF. "
                  "Remote disks provided by platform-as-a-service providers are known to be slow.\n",
    "ssd": "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting "
           "(resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. "
           "However Redis should perform reasonably with high load using normal disks. Use this advice as a last "
           "resort.\n",
    "data_writeback": "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to "
                      "data=ordered, however this mode of operation provides less guarantees, and sometimes it can "
                      "happen that after a hard crash the AOF file will have a half-written command at the end and "
                      "will require to be repaired before Redis restarts.\n",
    "disk_contention": "- Try to lower the disk contention. This is often caused by other disk intensive processes "
                       "running in the same computer (including other Redis instances).\n",
    "no_appendfsync": "- Assuming from the point of view of data safety this is viable in your environment, you could "
                      "try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed "
                      "while there is a child rewriting the AOF file or producing an RDB file (the moment where "
                      "there is high disk contention).\n",
    "relax_fsync_policy": "- Your fsync policy is set to 'always'. It is very hard to get good performances with "
                          "such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
    "write_load_info": "- Latency during the AOF atomic rename operation or when the final difference is flushed to "
                       "the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing "
                       "the AOF buffer to get very large. If possible try to send less commands to accomplish the "
                       "same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n",
    "hz": "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration "
          "parameter to 100 using 'CONFIG SET hz 100'.\n",
    "large_objects": "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
                     "operation. If you have very large objects that are often deleted, expired, or evicted, try to "
                     "fragment those objects into multiple smaller objects.\n",
    "mass_eviction": "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects "
                     "via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys "
                     "migrations (RESTORE command), may create sudden memory pressure forcing the server to block "
                     "trying to evict keys. \n",
    "disable_thp": "- I detected a non zero amount of anonymous huge pages used by your process. This creates very "
                   "serious latency events in different conditions, especially when Redis is persisting on disk. To "
                   "disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', "
                   "make sure to also add it into /etc/rc.local so that the command will be executed again after a "
                   "reboot. Note that even if you have already disabled THP, you still need to restart the Redis "
                   "process to get rid of the huge pages already created.\n",
}
#: The advices each event calls for, as Redis' report gives them (``command`` and ``fork``
#: decide theirs from the configuration and the fork rate: :func:`_event_advices`).
EVENT_ADVICES: dict[bytes, tuple[str, ...]] = {
    b"fast-command": ("scheduler",),
    b"aof-write-pending-fsync": ("local_disk", "disk_contention", "ssd", "data_writeback"),
    b"aof-write-active-child": ("no_appendfsync", "data_writeback", "ssd"),
    b"aof-write-alone": ("local_disk", "data_writeback", "ssd"),
    b"aof-fsync-always": ("relax_fsync_policy",),
    b"aof-fstat": ("disk_contention", "local_disk"),
    b"rdb-unlink-temp-file": ("disk_contention", "local_disk"),
    b"aof-rewrite-diff-write": ("write_load_info", "data_writeback", "ssd", "local_disk"),
    b"aof-rename": ("write_load_info", "data_writeback", "ssd", "local_disk"),
    b"expire-cycle": ("hz", "large_objects"),
    b"eviction-del": ("large_objects",),
    b"eviction-cycle": ("mass_eviction",),
}
#: Fork rates (GB/s) under which Redis calls a fork terrible or poor (and advises a better VM).
_FORK_QUALITY = ((10, "terrible"), (25, "poor"), (100, "good"))


def _fork_quality(rate: float) -> str:
    return next((quality for limit, quality in _FORK_QUALITY if rate < limit), "excellent")


def _event_advices(event: bytes, config: "Config", fork_rate: float) -> tuple[str, ...]:
    """The advices ``event``'s spikes call for, as Redis' createLatencyReport decides them."""
    if event == b"command":
        slower_than = config.get_int("slowlog-log-slower-than")
        threshold = config.get_int("latency-monitor-threshold")
        if slower_than < 0:
            return "slowlog_enabled", "slowlog_inspect", "large_objects"
        if slower_than // 1000 > threshold:
            return "slowlog_tuning", "slowlog_inspect", "large_objects"
        return "slowlog_inspect", "large_objects"
    if event == b"fork":
        return ("better_vm",) if fork_rate < 25 else ()
    return EVENT_ADVICES.get(event, ())


def _advice_applies(advice: str, config: "Config") -> bool:
    """Redis counts these two advices but prints them only where they apply."""
    if advice == "relax_fsync_policy":
        return config.get_str("sync-policy") == "always"
    if advice == "hz":
        return config.get_int("hz") < 100
    return True


def doctor_report(monitor: LatencyMonitor, config: "Config", fork_rate: float) -> str:
    """LATENCY DOCTOR: Redis' report: each event's spikes (a ``fork`` with the fork rate,
    ``fork_rate`` GB/s: here the resident memory over the last bgsave lock hold), then the
    advices they call for, in Redis' order."""
    threshold = config.get_int("latency-monitor-threshold")
    if not monitor.events and not threshold:
        return _DISABLED
    lines = [_SPIKES] if monitor.events else []
    advised: set[str] = set()
    advices = 0
    now = int(time.time())
    for number, (event, series) in enumerate(monitor.events.items(), 1):
        latencies = [latency for _when, latency in series.samples]
        average = sum(latencies) // len(latencies)
        deviation = sum(abs(average - latency) for latency in latencies) // len(latencies)
        period = max(now - min(when for when, _latency in series.samples), 1)
        line = (f"{number}. {event.decode('utf-8', 'replace')}: {len(latencies)} latency spikes (average {average}ms, "
                f"mean deviation {deviation}ms, period {period / len(latencies):.2f} sec). Worst all time event "
                f"{series.worst}ms.")
        if event == b"fork":
            line += f" Fork rate is {fork_rate:.2f} GB/sec ({_fork_quality(fork_rate)})."
        lines.append(line + "\n")
        event_advices = _event_advices(event, config, fork_rate)
        advised.update(event_advices)
        advices += len(event_advices)
    if _anonymous_huge_pages_kb() > 0:
        advised.add("disable_thp")
        advices += 1
    if not monitor.events and not advices:
        return _NO_SPIKES
    if not advices:
        return "".join(lines) + _NO_FIX
    lines.append(_ADVICES)
    lines.extend(text.format(threshold * 1000) for advice, text in ADVICES.items()
                 if advice in advised and _advice_applies(advice, config))
    return "".join(lines)
