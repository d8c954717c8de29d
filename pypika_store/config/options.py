"""The table of configuration options: names, defaults, value kinds and whether CONFIG SET may
change them at run time.

Names are Pika's and Redis' own (``requirepass``, ``db-path``, ``slave-priority``) so existing
pika.conf and redis.conf files, and the tools that send CONFIG GET, work unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable


class ConfigError(ValueError):
    """A value that does not parse for its option; the text completes Redis' CONFIG SET error."""


_MEMORY_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3,
}
_MEMORY_RE = re.compile(r"^(-?\d+)([a-z]*)$")


def parse_memory(text: str) -> int:
    """Parse Redis' memory notation (``512mb``, ``1gb``, ``100k``) into bytes."""
    match = _MEMORY_RE.match(text.strip().lower())
    if not match or match.group(2) not in _MEMORY_UNITS:
        raise ConfigError("argument must be a memory value")
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2)]


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("yes", "true", "1"):
        return True
    if value in ("no", "false", "0"):
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


def _parse_str(text: str) -> str:
    return text


def _format_bool(value: bool) -> str:
    return "yes" if value else "no"


@dataclass(frozen=True)
class Option:
    """One configuration option.

    ``minimum``/``maximum`` bound numeric values; ``choices`` restricts an enum; ``mutable``
    says whether CONFIG SET may change it while the server runs.
    """

    name: str
    default: object
    parse: Callable[[str], object] = _parse_str
    format: Callable[[object], str] = str
    mutable: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = field(default=())
    doc: str = ""

    def convert(self, text: str) -> object:
        """Parse ``text`` and check its bounds; raises :class:`ConfigError`."""
        value = self.parse(text)
        if self.choices and value not in self.choices:
            raise ConfigError("argument(s) must be one of the following: " + ", ".join(self.choices))
        if self.minimum is not None and value < self.minimum:  # type: ignore[operator]
            raise ConfigError(f"argument must be between {self.minimum} and {self.maximum} inclusive")
        if self.maximum is not None and value > self.maximum:  # type: ignore[operator]
            raise ConfigError(f"argument must be between {self.minimum} and {self.maximum} inclusive")
        return value


def _int(name: str, default: int, **kw) -> Option:
    return Option(name, default, _parse_int, str, **kw)


def _memory(name: str, default: int, **kw) -> Option:
    return Option(name, default, parse_memory, str, **kw)


def _bool(name: str, default: bool, **kw) -> Option:
    return Option(name, default, _parse_bool, _format_bool, **kw)


def _enum(name: str, default: str, choices: tuple[str, ...], **kw) -> Option:
    return Option(name, default, lambda text: text.strip().lower(), str, choices=choices, **kw)


def _str(name: str, default: str, **kw) -> Option:
    return Option(name, default, _parse_str, str, **kw)


_TABLE: tuple[Option, ...] = (
    # Network
    _int("port", 9221, mutable=False, minimum=0, maximum=65535, doc="TCP port (Pika's default)."),
    _str("bind", "127.0.0.1", mutable=False, doc="Addresses to listen on, space separated."),
    _int("timeout", 0, minimum=0, maximum=2**31 - 1, doc="Close clients idle this many seconds (0: never)."),
    _int("maxclients", 10000, minimum=1, maximum=2**31 - 1, doc="Connections beyond this are refused."),
    _memory("proto-max-bulk-len", 512 * 1024**2, minimum=1024 * 1024, maximum=2**63 - 1,
            doc="Largest bulk string a client may send."),
    _bool("use-hiredis", True, doc="Parse requests with hiredis when it is installed (new connections)."),
    _memory("client-query-buffer-limit", 1024**3, minimum=1024 * 1024, maximum=2**63 - 1,
            doc="Largest unparsed input buffered for one client."),
    # Security
    _str("requirepass", "", doc="Password clients must AUTH with (empty: none)."),
    _str("masterauth", "", doc="Password a slave sends to its master (AUTH before MetaSync); kept by CONFIG REWRITE."),
    # Keyspace and storage
    _memory("hll-sparse-max-bytes", 3000, minimum=0, maximum=2**31 - 1,
            doc="A HyperLogLog stays in the sparse encoding up to this size (then dense, 12 KiB)."),
    _int("databases", 16, mutable=False, minimum=1, maximum=256, doc="Number of SELECT-able DBs."),
    _str("db-path", "./db/", mutable=False, doc="LMDB data folder."),
    _str("log-path", "./log/", mutable=False, doc="Binlog folder: one `log_db<N>/` per DB."),
    _str("dump-path", "./dump/", doc="Where BGSAVE writes snapshots."),
    _str("dump-prefix", "", doc="Prefix of snapshot folder names, Pika's `<prefix><YYYYMMDD>`."),
    _int("dump-expire", 0, minimum=0, maximum=2**31 - 1, doc="Delete snapshots older than this many days (0: never)."),
    _enum("bgsave-lock-scope", "command+binlog", ("command+binlog", "command"),
          doc="What the DB lock covers in a write: the command and its binlog write (right), or the "
              "command only (Pika's old bug: a bgsave may record an offset older than its data)."),
    _memory("lmdb-map-size", 256 * 1024**3, mutable=False, minimum=1024 * 1024, maximum=2**63 - 1,
            doc="LMDB address-space reservation; the file itself grows only as needed."),
    _enum("sync-policy", "everysec", ("always", "everysec", "no"),
          doc="When commits reach the disk: every event-loop turn, once a second, or when the OS decides."),
    _bool("write-binlog", True, mutable=False, doc="Log every write to the binlog (Pika's `write-binlog`)."),
    _memory("binlog-file-size", 100 * 1024**2, mutable=False, minimum=1, maximum=2**63 - 1,
            doc="Size after which a binlog file rolls over; outside 1 KiB..1 GiB, 100 MiB (as Pika)."),
    _int("expire-logs-nums", 10, minimum=10, maximum=2**31 - 1, doc="Binlog files kept at least (Pika: min 10)."),
    _int("expire-logs-days", 7, minimum=1, maximum=2**31 - 1,
         doc="Binlog files older than this many days may be purged (while more than 10 remain)."),
    _int("hz", 10, minimum=1, maximum=500, doc="Background cycles (active expiry) per second."),
    # Replication
    _str("slaveof", "", aliases=("replicaof",),
         doc="`host port` (or Pika's `host:port`) of the master to follow at start; empty: a master."),
    _int("slave-priority", 100, aliases=("replica-priority",), minimum=0, maximum=2**31 - 1,
         doc="Redis Sentinel promotes the slave with the lowest priority (0: never)."),
    _str("slave-announce-ip", "", aliases=("replica-announce-ip",), doc="Address the master reports for this slave."),
    _int("slave-announce-port", 0, aliases=("replica-announce-port",), minimum=0, maximum=65535,
         doc="Port the master reports for this slave (0: its listening port)."),
    _int("sync-window-size", 9000, minimum=1, maximum=90000, doc="Binlog items in flight to one slave, per DB."),
    _int("repl-timeout", 10, minimum=1, maximum=2**31 - 1, doc="Seconds of silence after which a link is dropped."),
    _str("db-sync-path", "./dbsync/", mutable=False, doc="Where a slave stores the snapshot it fetches."),
    _memory("repl-chunk-size", 4 * 1024**2, minimum=4096, maximum=64 * 1024**2,
            doc="Largest file chunk a slave asks for in a full sync."),
    _int("max-rsync-parallel-num", 4, minimum=1, maximum=64, doc="File chunks in flight during a full sync."),
    _memory("throttle-bytes-per-second", 0, minimum=0, maximum=2**63 - 1,
            doc="Full-sync download limit in bytes per second (0: none)."),
    _int("repl-snapshot-reuse-seconds", 3600, minimum=0, maximum=2**31 - 1,
         doc="A bgsave younger than this (whose binlog start is still there) serves full syncs."),
    # Logging and process
    _enum("loglevel", "notice", ("debug", "verbose", "notice", "warning"), doc="Least severe log level written."),
    _str("logfile", "", mutable=False, doc="Log file; empty logs to standard output."),
    _str("pidfile", "", mutable=False, doc="File to write the process id to (empty: none)."),
    # Slow log
    _int("slowlog-log-slower-than", 10000, minimum=-1, maximum=2**63 - 1,
         doc="Commands taking at least this many microseconds go to the SLOWLOG (0: all, negative: none)."),
    _int("slowlog-max-len", 128, minimum=0, maximum=2**63 - 1, doc="Entries the SLOWLOG keeps (the oldest go first)."),
    _int("latency-monitor-threshold", 0, minimum=0, maximum=2**63 - 1,
         doc="Commands taking at least this many milliseconds are LATENCY samples (0: the monitor is off)."),
)

#: Every option by its canonical name and by each alias.
OPTIONS: dict[str, Option] = {}
for _option in _TABLE:
    OPTIONS[_option.name] = _option
    for _alias in _option.aliases:
        OPTIONS[_alias] = _option
