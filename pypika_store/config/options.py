"""The table of configuration options: names, defaults, value kinds and whether CONFIG SET may
change them at run time: Pika's (with Redis' checks where Redis has the same name), then every
other option redis-server 7.0 has (:mod:`.redis_options`).

Names are Pika's and Redis' own (``requirepass``, ``db-path``, ``slave-priority``) so existing
pika.conf and redis.conf files, and the tools that send CONFIG GET, work unchanged.
"""

from __future__ import annotations

from .kinds import (IMMUTABLE, INT_MAX, LLONG_MAX, UINT_MAX, ConfigError, Option, boolean, enum, integer, memory,
                    parse_memory, string)
from .redis_options import REDIS_OPTIONS

__all__ = ["OPTIONS", "ConfigError", "Option", "parse_memory"]


_HZ_RANGE = integer("hz", 10, 0, INT_MAX).parse


def _clamp_hz(text: str) -> int:
    """Redis takes any hz from 0 and runs (and shows) it within 1..500."""
    return min(500, max(1, _HZ_RANGE(text)))  # type: ignore[arg-type, type-var]

_PIKA_TABLE: tuple[Option, ...] = (
    # Network
    integer("port", 9221, 0, 65535, refusal=IMMUTABLE,
            doc="TCP port (Pika's default); 0 with tls-port or unixsocket: no TCP listener (else a free port)."),
    string("bind", "127.0.0.1", refusal=IMMUTABLE,
           doc="Addresses to listen on, space separated (`*`: every IPv4 one, `::*`: every IPv6 one; "
               "`-addr`: optional, skipped when absent)."),
    integer("timeout", 0, 0, INT_MAX,
            doc="Close clients idle this many seconds (0: never); not slaves, MONITOR, blocked or subscribed clients."),
    integer("maxclients", 10000, 1, UINT_MAX,
            doc="Connections beyond this are refused (`ERR max number of clients reached`; TLS ones before the handshake)."),
    memory("proto-max-bulk-len", 512 * 1024**2, 1024 * 1024, LLONG_MAX,
           doc="Largest bulk string a client may send."),
    boolean("use-hiredis", True, doc="Parse requests with hiredis when it is installed (new connections)."),
    memory("client-query-buffer-limit", 1024**3, 1024 * 1024, LLONG_MAX,
           doc="Largest unparsed input buffered for one client."),
    # Security
    string("requirepass", "", doc="Password clients must AUTH with (empty: none)."),
    string("masterauth", "", doc="Password a slave sends to its master (AUTH before MetaSync); kept by CONFIG REWRITE."),
    string("userpass", "", refusal=IMMUTABLE,
           doc="Pika's user password: AUTH with it logs in as ACL user `limit` (all commands but `userblacklist`)."),
    string("userblacklist", "", refusal=IMMUTABLE,
           doc="Pika's commands (comma separated) the `limit` user may not run."),
    # Keyspace and storage
    memory("hll-sparse-max-bytes", 3000, 0, LLONG_MAX,
           doc="A HyperLogLog stays in the sparse encoding up to this size (then dense, 12 KiB)."),
    integer("databases", 16, 1, 256, refusal=IMMUTABLE, doc="Number of SELECT-able DBs."),
    string("db-path", "./db/", refusal=IMMUTABLE, doc="LMDB data folder."),
    string("log-path", "./log/", refusal=IMMUTABLE, doc="Binlog folder: one `log_db<N>/` per DB."),
    string("dump-path", "./dump/", doc="Where BGSAVE writes snapshots."),
    string("dump-prefix", "", doc="Prefix of snapshot folder names, Pika's `<prefix><YYYYMMDD>`."),
    integer("dump-expire", 0, 0, INT_MAX, doc="Delete snapshots older than this many days (0: never)."),
    enum("bgsave-lock-scope", "command+binlog", ("command+binlog", "command"),
         doc="What the DB lock covers in a write: the command and its binlog write (right), or the "
              "command only (Pika's old bug: a bgsave may record an offset older than its data)."),
    memory("lmdb-map-size", 256 * 1024**3, 1024 * 1024, LLONG_MAX, refusal=IMMUTABLE,
           doc="LMDB's first map size and least free room; the map grows by itself, the file as needed."),
    enum("sync-policy", "everysec", ("always", "everysec", "no"),
         doc="When commits reach the disk: every event-loop turn, once a second, or when the OS decides."),
    boolean("write-binlog", True, refusal=IMMUTABLE, doc="Log every write to the binlog (Pika's `write-binlog`)."),
    memory("binlog-file-size", 100 * 1024**2, 1, LLONG_MAX, refusal=IMMUTABLE,
           doc="Size after which a binlog file rolls over; outside 1 KiB..1 GiB, 100 MiB (as Pika)."),
    integer("expire-logs-nums", 10, 10, INT_MAX, doc="Binlog files kept at least (Pika: min 10)."),
    integer("expire-logs-days", 7, 1, INT_MAX,
            doc="Binlog files older than this many days may be purged (while more than 10 remain)."),
    Option("hz", 10, _clamp_hz, doc="Background cycles (active expiry) per second (0..2147483647 accepted, run within 1..500)."),
    # Replication
    string("slaveof", "", aliases=("replicaof",), refusal=IMMUTABLE,
            doc="`host port` (or Pika's `host:port`) of the master to follow at start; empty: a master."),
    integer("slave-priority", 100, 0, INT_MAX, aliases=("replica-priority",),
            doc="Redis Sentinel promotes the slave with the lowest priority (0: never)."),
    string("slave-announce-ip", "", aliases=("replica-announce-ip",), doc="Address the master reports for this slave."),
    integer("slave-announce-port", 0, 0, 65535, aliases=("replica-announce-port",),
            doc="Port the master reports for this slave (0: its listening port)."),
    integer("sync-window-size", 9000, 1, 90000, doc="Binlog items in flight to one slave, per DB."),
    integer("repl-timeout", 10, 1, INT_MAX, doc="Seconds of silence after which a link is dropped."),
    string("db-sync-path", "./dbsync/", refusal=IMMUTABLE, doc="Where a slave stores the snapshot it fetches."),
    memory("repl-chunk-size", 4 * 1024**2, 4096, 64 * 1024**2,
           doc="Largest file chunk a slave asks for in a full sync."),
    integer("max-rsync-parallel-num", 4, 1, 64, doc="File chunks in flight during a full sync."),
    memory("throttle-bytes-per-second", 0, 0, LLONG_MAX,
           doc="Full-sync download limit in bytes per second (0: none)."),
    integer("repl-snapshot-reuse-seconds", 3600, 0, INT_MAX,
            doc="A bgsave younger than this (whose binlog start is still there) serves full syncs."),
    # Logging and process
    enum("loglevel", "notice", ("debug", "verbose", "notice", "warning"), doc="Least severe log level written."),
    string("logfile", "", refusal=IMMUTABLE, doc="Log file; empty logs to standard output."),
    string("pidfile", "", refusal=IMMUTABLE, doc="File to write the process id to (empty: none)."),
    # Testing
    enum("enable-chaos-command", "no", ("no", "yes", "local"), refusal=IMMUTABLE,
         doc="Allow CHAOS (fault injection, docs/fault-injection.md): `yes`, `local` (loopback clients "
             "only) or `no`, as Redis' enable-debug-command; the testing fixtures set `yes`."),
    # Codis slots
    boolean("slotmigrate", False, doc="Keep the index of keys by Codis slot that SLOTSMGRT* and SLOTSINFO "
            "read (SLOTSRELOAD indexes the keys already there)."),
)

#: Every option by its canonical name and by each alias: Pika's, then Redis 7.0's others.
OPTIONS: dict[str, Option] = {}
for _option in _PIKA_TABLE + REDIS_OPTIONS:
    for _name in (_option.name, *_option.aliases):
        assert _name not in OPTIONS, f"option {_name} defined twice"
        OPTIONS[_name] = _option
