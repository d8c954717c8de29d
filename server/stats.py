"""Server counters for INFO stats, and the instantaneous rates Redis derives from them; the
per-command time (INFO commandstats' ``usec``, INFO latencystats' percentiles) and the error
replies by their first word (INFO errorstats)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Callable, Iterator, Union

if TYPE_CHECKING:
    from .connection import Client

#: Redis stops tracking new error names past this many (a client inventing error codes).
MAX_ERROR_NAMES = 128


#: Calls shorter than this many whole microseconds are counted in a list, by their microseconds.
SHORT_CALL_USEC = 1000


class LatencyHistogram:
    """The distribution of one command's call durations, with the resolution of Redis' HDR
    histogram (2 significant figures: 256 sub-buckets per power of two), so the percentiles
    print as Redis prints them: each value is its bucket's highest equivalent.

    Calls are counted per whole microsecond, the one update every call pays, and put in their
    buckets when the histogram is read (INFO latencystats, LATENCY HISTOGRAM). Calls under
    :data:`SHORT_CALL_USEC` (nearly all) are counted in a list indexed by their microseconds,
    whose ``short_calls[usec] += 1`` the interpreter specialises (a defaultdict's it does not);
    longer ones in a dict."""

    __slots__ = ("short_calls", "long_calls")

    def __init__(self) -> None:
        #: The dispatcher updates this list itself (``short_calls[usec] += 1``).
        self.short_calls = [0] * SHORT_CALL_USEC
        self.long_calls: defaultdict[int, int] = defaultdict(int)

    @staticmethod
    def bucket_top(value: int) -> int:
        """The highest value recorded in the same bucket as ``value``."""
        shift = max(0, value.bit_length() - 8)
        return ((value >> shift) << shift) + (1 << shift) - 1

    def record_usec(self, usec: int) -> None:
        """Record a call of ``usec`` whole microseconds."""
        if usec < SHORT_CALL_USEC:
            self.short_calls[usec] += 1
        else:
            self.long_calls[usec] += 1

    def clear(self) -> None:
        """Forget every call (CONFIG RESETSTAT), keeping the list the dispatcher holds."""
        self.short_calls[:] = [0] * SHORT_CALL_USEC
        self.long_calls.clear()

    def calls_by_usec(self) -> Iterator[tuple[int, int]]:
        """``(whole microseconds, calls)`` of every duration recorded."""
        for usec, calls in enumerate(self.short_calls):
            if calls:
                yield usec, calls
        yield from self.long_calls.items()

    @property
    def total(self) -> int:
        """The calls recorded."""
        return sum(self.short_calls) + sum(self.long_calls.values())

    @property
    def usec(self) -> int:
        """Their whole microseconds, added up (INFO commandstats' usec)."""
        return sum(usec * calls for usec, calls in self.calls_by_usec())

    def _buckets(self) -> dict[int, int]:
        """Calls per bucket, by the bucket's top in nanoseconds (as Redis: a call's nanoseconds,
        at least 1)."""
        buckets: dict[int, int] = {}
        for usec, calls in self.calls_by_usec():
            top = self.bucket_top(max(1, usec * 1000))
            buckets[top] = buckets.get(top, 0) + calls
        return buckets

    def percentile(self, percent: float) -> int:
        """hdr_value_at_percentile: the smallest bucket top with that share of calls at or below."""
        buckets = self._buckets()
        wanted = max(1, int(percent / 100 * sum(buckets.values()) + 0.5))
        seen = 0
        for top in sorted(buckets):
            seen += buckets[top]
            if seen >= wanted:
                return top
        return 0

    def cumulative_usec(self) -> list[tuple[int, int]]:
        """LATENCY HISTOGRAM's buckets: ``(microseconds, calls at or below)`` at each power of
        two from 1024 ns, as Redis' log-2 iteration of its HDR histogram reports them (the
        level's bucket top, in whole microseconds), only where the count grew, up to the
        bucket holding the slowest call."""
        counts = self._buckets()
        total = sum(counts.values())
        tops = sorted(counts)
        buckets: list[tuple[int, int]] = []
        level, seen, position = 1024, 0, 0
        while seen < total:
            level_top = self.bucket_top(level)
            before = seen
            while position < len(tops) and tops[position] <= level_top:
                seen += counts[tops[position]]
                position += 1
            if seen > before:
                buckets.append((level_top // 1000, seen))
            level *= 2
        return buckets


@dataclass
class CommandTimes:
    """One command's calls on this server (INFO commandstats): the durations of its calls,
    whose count is its ``calls`` and whose sum its ``usec`` (so a call costs the dispatcher one
    update, the histogram's), its rejections and its calls that replied an error."""

    rejected_calls: int = 0
    failed_calls: int = 0
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)

    @property
    def calls(self) -> int:
        return self.histogram.total

    @property
    def usec(self) -> int:
        return self.histogram.usec

#: client_recent_max_*_buffer covers this many seconds (Redis' CLIENTS_PEAK_MEM_USAGE_SLOTS).
PEAK_SECONDS = 8


class ClientPeaks:
    """The largest client input and output buffers seen in each of the last
    :data:`PEAK_SECONDS` seconds, sampled by the server cron (as Redis' clientsCron)."""

    def __init__(self) -> None:
        #: ``[second, largest input, largest output]``, oldest first.
        self._seconds: deque[list[int]] = deque()

    def record(self, second: int, input_bytes: int, output_bytes: int) -> None:
        seconds = self._seconds
        if seconds and seconds[-1][0] == second:
            peak = seconds[-1]
            peak[1], peak[2] = max(peak[1], input_bytes), max(peak[2], output_bytes)
        else:
            seconds.append([second, input_bytes, output_bytes])
        while seconds[0][0] <= second - PEAK_SECONDS:
            seconds.popleft()

    def recent_max(self, second: int) -> tuple[int, int]:
        """The largest input and output buffers of the last :data:`PEAK_SECONDS` seconds."""
        recent = [peak for peak in self._seconds if peak[0] > second - PEAK_SECONDS]
        return max((peak[1] for peak in recent), default=0), max((peak[2] for peak in recent), default=0)


def buffer_sizes(client: "Client") -> tuple[int, int]:
    """A client's input buffer (received, not parsed into a command yet) and output buffer
    (replies the socket did not take yet), in bytes."""
    transport = client.transport
    return client.pending_input(), transport.get_write_buffer_size() if transport is not None else 0


#: Rates average over this many samples, taken by the server cron (as Redis' STATS_METRIC_SAMPLES).
SAMPLES = 16


@dataclass
class Stats:
    """Counters behind INFO stats; CONFIG RESETSTAT zeroes them."""

    connections_received: int = 0
    rejected_connections: int = 0
    expired_keys: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    #: Reads from client sockets (each ``data_received``) and writes of collected replies.
    reads_processed: int = 0
    writes_processed: int = 0
    #: Key lookups of the calls Redis counts (see :func:`counted_lookups`): found, missing.
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    #: A counted miss is announced as ``keymiss`` (class ``m`` of notify-keyspace-events).
    keymiss_events = True
    #: The active expiry cycle: its time, and the runs that stopped at their batch of keys.
    expire_cycle_ns: int = 0
    expire_cycle_cap_reached: int = 0
    #: Deleted collections whose members the background reclaimer finished deleting.
    lazyfreed_objects: int = 0
    #: Error replies to the commands a slave applied from its master (Redis counts those of
    #: the master's stream and of AOF loading).
    unexpected_error_replies: int = 0
    #: client_recent_max_input_buffer / output_buffer.
    client_peaks: "ClientPeaks" = field(default_factory=lambda: ClientPeaks())
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

    def record_rejection(self, name: str) -> None:
        self.command_times(name).rejected_calls += 1

    def record_failure(self, name: str) -> None:
        """A call of command ``name`` replied an error (its reply counted by :meth:`error_replied`)."""
        self.command_times(name).failed_calls += 1

    @property
    def commands_processed(self) -> int:
        """The calls made (INFO total_commands_processed): the commands' histograms count them."""
        return sum(times.calls for times in self.commands.values())

    @property
    def total_error_replies(self) -> int:
        return sum(self.errors.values())

    def sample(self, repl_input_bytes: int, repl_output_bytes: int) -> None:
        """Remember the counters now (with replication's bytes, which it counts itself); the
        rates are computed over the remembered window."""
        self._samples.append((time.monotonic(), self.commands_processed, self.net_input_bytes,
                              self.net_output_bytes, repl_input_bytes, repl_output_bytes))

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

    def input_repl_kbps(self) -> float:
        return self._rate(4) / 1024

    def output_repl_kbps(self) -> float:
        return self._rate(5) / 1024

    def reset(self) -> None:
        for counter in fields(self):
            if counter.type == "int":
                setattr(self, counter.name, 0)
        self._samples.clear()
        self.errors.clear()
        for times in self.commands.values():  # emptied in place: the dispatcher holds the counts
            times.rejected_calls = times.failed_calls = 0
            times.histogram.clear()
        self.client_peaks = ClientPeaks()


# -- keyspace_hits / keyspace_misses ----------------------------------------------------------

#: Which keys of a call are counted (see :func:`counted_lookups`).
KeysRead = Callable[[list[bytes]], list[bytes]]
#: True: every lookup the call makes counts; a finder: only those keys, looked up before the call.
#: The rule of commands whose lookups count but announce no ``keymiss``: OBJECT's (Redis looks
#: its key up with LOOKUP_NONOTIFY).
QUIET = "quiet"
LookupRule = Union[bool, str, KeysRead, None]


def _first_key(argv: list[bytes]) -> list[bytes]:
    return argv[1:2]


def _second_key(argv: list[bytes]) -> list[bytes]:
    return argv[2:3]


def _keys_from(first: int) -> KeysRead:
    return lambda argv: argv[first:]


def _counted_keys(argv: list[bytes]) -> list[bytes]:
    """ZUNIONSTORE's sources: ``numkeys`` keys after it (none when it is not a count)."""
    try:
        count = int(argv[2])
    except ValueError:
        return []
    return argv[3:3 + count] if count > 0 else []


#: Write commands Redis looks some keys of up as reads (lookupKeyRead, which counts), not as
#: writes (lookupKeyWrite, which does not): a store command's sources, GETDEL. (SET's GET
#: counts its key itself, strings.set_: a plain SET, the hot path, is then nothing to test.)
#: Every other write command's lookups are not counted (INCR, LPUSH, LMOVE's source, DEL).
READ_KEYS_OF_WRITES: dict[str, KeysRead] = {
    **dict.fromkeys(("getdel", "getex", "getset", "copy", "georadius", "georadiusbymember"), _first_key),
    **dict.fromkeys(("zrangestore", "geosearchstore"), _second_key),
    **dict.fromkeys(("sunionstore", "sinterstore", "sdiffstore"), _keys_from(2)),
    **dict.fromkeys(("zunionstore", "zinterstore", "zdiffstore"), _counted_keys),
    "bitop": _keys_from(3),
    "pfmerge": _keys_from(1),  # Redis reads every key, the destination included
}
#: Read-only commands whose lookups Redis does not count (MEMORY USAGE reads the dict itself).
UNCOUNTED_READS = frozenset(("memory|usage",))
#: Write commands whose every lookup counts, as a read command's: SORT reads the sorted key and
#: the BY/GET patterns' keys (its STORE stops the count before it writes the destination).
COUNTED_WRITES = frozenset(("sort",))


def counted_lookups(name: str, flags: frozenset[str]) -> LookupRule:
    """How command ``name``'s key lookups count in keyspace_hits/misses, as Redis counts them:
    every lookup of a read-only command (one per key looked up: ``MGET a a`` is two), the
    source keys of the write commands in :data:`READ_KEYS_OF_WRITES`, nothing otherwise."""
    if name in READ_KEYS_OF_WRITES:
        return READ_KEYS_OF_WRITES[name]
    if name in COUNTED_WRITES:
        return True
    if name.startswith("object|"):
        return QUIET
    return "readonly" in flags and name not in UNCOUNTED_READS or None


class QuietLookups:
    """The lookup counter of the :data:`QUIET` commands: their hits and misses are the server's
    (INFO keyspace_hits/misses), but a miss announces no ``keymiss``."""

    keymiss_events = False

    def __init__(self, stats: Stats) -> None:
        self._stats = stats

    @property
    def keyspace_hits(self) -> int:
        return self._stats.keyspace_hits

    @keyspace_hits.setter
    def keyspace_hits(self, value: int) -> None:
        self._stats.keyspace_hits = value

    @property
    def keyspace_misses(self) -> int:
        return self._stats.keyspace_misses

    @keyspace_misses.setter
    def keyspace_misses(self, value: int) -> None:
        self._stats.keyspace_misses = value
