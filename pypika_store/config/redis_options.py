"""The options redis-server 7.0 has and Pika's table does not: CONFIG GET lists them and CONFIG
SET checks them with Redis' own rules (``scripts/data/redis-7.0.15-config.txt`` is redis-server
7.0.15's ``CONFIG GET *``; tests/test_config.py keeps this table complete against it).

Most are kept without effect (this server has no AOF, cluster or allocator to tune); the tls-*
options drive the server's TLS (``server/tls.py``), the
encoding thresholds drive OBJECT ENCODING (:mod:`pypika_store.encoding_limits`), and the few
with a value syntax of their own (``save``, ``notify-keyspace-events``...) are parsed here.
"""

from __future__ import annotations

import os
import re

from ..notifications import InvalidClassLetter, format_classes, parse_classes
from .kinds import (IMMUTABLE, INT_MAX, INT_MIN, LLONG_MAX, PROTECTED, ULLONG_MAX, ConfigError, Option,
                    boolean, enum, fixed, integer, memory, parse_integer, parse_memory, string)

NOT_EVICTING = ("Accepted and shown as Redis does; nothing is evicted: the data lives on disk "
                "(see 'Memory limits' below).")
STREAM = "Kept; a stream is always `stream` in OBJECT ENCODING, its entries are stored one per record."
ENCODING = "Drives OBJECT ENCODING as in Redis 7.0 (the storage layout itself does not change)."
TLS_FILE = "Read when the TLS contexts are built (start, CONFIG SET of a tls-* option: a value that fails keeps the old)."


# -- options with a syntax of their own ------------------------------------------------------

def parse_keyspace_events(text: str) -> int:
    try:
        return parse_classes(text)
    except InvalidClassLetter as exc:
        raise ConfigError(str(exc)) from None


def format_keyspace_events(flags: object) -> str:
    assert isinstance(flags, int)
    return format_classes(flags)


def parse_save_points(text: str) -> tuple[int, ...]:
    """``<seconds> <changes>`` pairs (seconds at least 1); empty: no automatic save."""
    if text == "":
        return ()
    words = text.split(" ")
    if len(words) % 2 or not all(re.match(r"^[+-]?[0-9]+$", word) for word in words):
        raise ConfigError("Invalid save parameters")
    numbers = tuple(int(word) for word in words)
    if any(number < 1 for number in numbers[::2]) or any(number < 0 for number in numbers[1::2]):
        raise ConfigError("Invalid save parameters")
    return numbers


def format_numbers(numbers: object) -> str:
    return " ".join(str(number) for number in numbers)  # type: ignore[attr-defined]


def parse_percentiles(text: str) -> tuple[float, ...]:
    """latency-tracking-info-percentiles: the percentiles INFO latencystats prints."""
    percentiles = []
    for word in text.split(" ") if text else ():
        try:
            value = float(word)
        except ValueError:
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters") from None
        if value != value:  # NaN
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
        if not 0.0 <= value <= 100.0:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        percentiles.append(value)
    return tuple(percentiles)


def format_percentiles(percentiles: object) -> str:
    return " ".join(f"{value:g}" for value in percentiles)  # type: ignore[attr-defined]


def parse_oom_score_adj_values(text: str) -> tuple[int, ...]:
    words = text.split(" ")
    if len(words) != 3:
        raise ConfigError("wrong number of arguments")
    if not all(re.match(r"^-?[0-9]+$", word) and -2000 <= int(word) <= 2000 for word in words):
        raise ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
    return tuple(int(word) for word in words)


_BUFFER_CLASSES = {"normal": "normal", "slave": "slave", "replica": "slave", "pubsub": "pubsub"}
BufferLimits = dict[str, tuple[int, int, int]]


def parse_buffer_limits(text: str) -> BufferLimits:
    """``<class> <hard> <soft> <soft seconds>`` groups; the classes not named keep theirs."""
    words = text.split()
    if len(words) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits: BufferLimits = {}
    for start in range(0, len(words), 4):
        kind, hard, soft, seconds = words[start:start + 4]
        if kind.lower() not in _BUFFER_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            values = (parse_memory(hard), parse_memory(soft), parse_integer(seconds))
        except ConfigError:
            values = (-1, -1, -1)
        if min(values) < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        limits[_BUFFER_CLASSES[kind.lower()]] = values
    return limits


def format_buffer_limits(limits: object) -> str:
    return " ".join(f"{kind} {hard} {soft} {seconds}"
                    for kind, (hard, soft, seconds) in limits.items())  # type: ignore[attr-defined]


def merge_buffer_limits(old: object, new: object) -> BufferLimits:
    return {**old, **new}  # type: ignore[dict-item]


def parse_memory_or_percent(text: str) -> str:
    """maxmemory-clients: bytes, or a percentage of maxmemory (``5%``). Redis keeps a
    percentage as a negative byte count, so a byte count past 2**63 reads back as one."""
    try:
        percent = parse_integer(text[:-1]) if text.endswith("%") else None
        value = parse_memory(text) if percent is None else 0
    except ConfigError:
        raise ConfigError("argument must be a memory or percent value") from None
    if percent is None and value > LLONG_MAX:
        percent = 2**64 - value
    if percent is not None and percent < 0:
        raise ConfigError("argument must be a memory or percent value")
    if percent is not None and percent > 100:
        raise ConfigError("percentage argument must be less or equal to 100")
    return f"{percent}%" if percent is not None else str(value)


def parse_octal(text: str) -> int:
    """unixsocketperm: a file mode in octal, 0..0777."""
    if not re.match(r"^[0-7]+$", text) or int(text, 8) > 0o777:
        raise ConfigError("argument couldn't be parsed into an integer")
    return int(text, 8)


def format_octal(mode: object) -> str:
    return f"{mode:o}"


def parse_hostname(text: str) -> str:
    """cluster-announce-hostname: letters, digits, hyphens and dots (or empty)."""
    if not re.match(r"^[A-Za-z0-9.-]*$", text):
        raise ConfigError("Hostnames may only contain alphanumeric characters, hyphens or dots")
    return text


def parse_backlog_size(text: str) -> int:
    """repl-backlog-size: Redis raises anything smaller to its 16 KiB minimum."""
    return max(16384, _BACKLOG_RANGE(text))  # type: ignore[arg-type, type-var]


_BACKLOG_RANGE = memory("repl-backlog-size", 1048576, 1, LLONG_MAX).parse


_TITLE_VARIABLES = ("title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file")
_TITLE_RE = re.compile(r"\{(?:" + "|".join(re.escape(name) for name in _TITLE_VARIABLES) + r")\}")


def parse_title_template(text: str) -> str:
    if not text or "{" in _TITLE_RE.sub("", text) or "}" in _TITLE_RE.sub("", text):
        raise ConfigError("template format is invalid or contains unknown variables")
    return text


_DEFAULT_BUFFER_LIMITS: BufferLimits = {"normal": (0, 0, 0), "slave": (268435456, 67108864, 60),
                                        "pubsub": (33554432, 8388608, 60)}

SPECIAL_OPTIONS: tuple[Option, ...] = (
    Option("notify-keyspace-events", 0, parse_keyspace_events, format_keyspace_events,
           doc="Keyspace notifications, published as Redis 7.0 publishes them (class letters "
               "`KEg$lshzxetmdnA`; `m` and `e` are accepted and publish nothing: no key-miss events, no eviction)."),
    Option("save", (), parse_save_points, format_numbers,
           doc="Kept; no automatic snapshots: every write is on disk already (BGSAVE makes a copy)."),
    Option("latency-tracking-info-percentiles", (50.0, 99.0, 99.9), parse_percentiles, format_percentiles,
           doc="The percentiles INFO latencystats prints per command."),
    Option("oom-score-adj-values", (0, 200, 800), parse_oom_score_adj_values, format_numbers),
    Option("client-output-buffer-limit", _DEFAULT_BUFFER_LIMITS, parse_buffer_limits, format_buffer_limits,
           merge=merge_buffer_limits,
           doc="Per class (normal, slave, pubsub): a client whose unsent output passes the hard limit, or stays "
               "past the soft one longer than its seconds, is disconnected (the bytes counted are those the "
               "socket has not taken yet)."),
    Option("maxmemory-clients", "0", parse_memory_or_percent),
    Option("proc-title-template", "{title} {listen-addr} {server-mode}", parse_title_template),
    Option("dir", ".", str, os.path.abspath, refusal=PROTECTED,
           doc="Redis' working directory (protected, as Redis has it); the data folders are `db-path` and the others."),
    Option("dbfilename", "dump.rdb", str, refusal=PROTECTED),
    Option("cluster-announce-hostname", "", parse_hostname),
    Option("repl-backlog-size", 1048576, parse_backlog_size),
)

REDIS_OPTIONS: tuple[Option, ...] = SPECIAL_OPTIONS + (
    enum("acl-pubsub-default", "resetchannels", ("allchannels", "resetchannels")),
    fixed("aclfile", ""),
    integer("acllog-max-len", 128, 0, LLONG_MAX),
    integer("active-defrag-cycle-max", 25, 1, 99),
    integer("active-defrag-cycle-min", 1, 1, 99),
    memory("active-defrag-ignore-bytes", 104857600, 1, LLONG_MAX),
    integer("active-defrag-max-scan-fields", 1000, 1, LLONG_MAX),
    integer("active-defrag-threshold-lower", 10, 0, 1000),
    integer("active-defrag-threshold-upper", 100, 0, 1000),
    integer("active-expire-effort", 1, 1, 10),
    boolean("activedefrag", False),
    boolean("activerehashing", True),
    fixed("always-show-logo", "no"),
    boolean("aof-disable-auto-gc", False),
    boolean("aof-load-truncated", True),
    boolean("aof-rewrite-incremental-fsync", True),
    boolean("aof-timestamp-enabled", False),
    boolean("aof-use-rdb-preamble", True),
    fixed("aof_rewrite_cpulist", ""),
    fixed("appenddirname", "appendonlydir"),
    fixed("appendfilename", "appendonly.aof"),
    enum("appendfsync", "everysec", ("everysec", "always", "no")),
    boolean("appendonly", False),
    memory("auto-aof-rewrite-min-size", 67108864, 0, LLONG_MAX),
    integer("auto-aof-rewrite-percentage", 100, 0, INT_MAX),
    fixed("bgsave_cpulist", ""),
    string("bind-source-addr", ""),
    fixed("bio_cpulist", ""),
    integer("busy-reply-threshold", 5000, 0, LLONG_MAX, aliases=("lua-time-limit",)),
    boolean("cluster-allow-pubsubshard-when-down", True),
    boolean("cluster-allow-reads-when-down", False),
    boolean("cluster-allow-replica-migration", True),
    integer("cluster-announce-bus-port", 0, 0, 65535),
    string("cluster-announce-ip", ""),
    integer("cluster-announce-port", 0, 0, 65535),
    integer("cluster-announce-tls-port", 0, 0, 65535),
    fixed("cluster-config-file", "nodes.conf"),
    fixed("cluster-enabled", "no"),
    memory("cluster-link-sendbuf-limit", 0, 0, ULLONG_MAX),
    integer("cluster-migration-barrier", 1, 0, INT_MAX),
    integer("cluster-node-timeout", 15000, 0, LLONG_MAX),
    fixed("cluster-port", "0"),
    enum("cluster-preferred-endpoint-type", "ip", ("ip", "hostname", "unknown-endpoint")),
    boolean("cluster-replica-no-failover", False, aliases=("cluster-slave-no-failover",)),
    integer("cluster-replica-validity-factor", 10, 0, INT_MAX, aliases=("cluster-slave-validity-factor",)),
    boolean("cluster-require-full-coverage", True),
    boolean("crash-log-enabled", True),
    boolean("crash-memcheck-enabled", True),
    fixed("daemonize", "no"),
    fixed("disable-thp", "yes"),
    boolean("dynamic-hz", True),
    fixed("enable-debug-command", "no"),
    fixed("enable-module-command", "no"),
    fixed("enable-protected-configs", "no"),
    integer("hash-max-listpack-entries", 512, 0, LLONG_MAX, aliases=("hash-max-ziplist-entries",), doc=ENCODING),
    memory("hash-max-listpack-value", 64, 0, LLONG_MAX, aliases=("hash-max-ziplist-value",), doc=ENCODING),
    string("ignore-warnings", ""),
    fixed("io-threads", "1"),
    fixed("io-threads-do-reads", "no"),
    boolean("jemalloc-bg-thread", True),
    integer("key-load-delay", 0, INT_MIN, INT_MAX,
            doc="A test knob Redis hides from CONFIG GET *: microseconds a slave waits per key of a snapshot "
                "it loads, keeping its full sync in progress longer (negative: one microsecond per that many keys)."),
    integer("latency-monitor-threshold", 0, 0, LLONG_MAX),
    boolean("latency-tracking", True),
    boolean("lazyfree-lazy-eviction", False),
    boolean("lazyfree-lazy-expire", False),
    boolean("lazyfree-lazy-server-del", False),
    boolean("lazyfree-lazy-user-del", False),
    boolean("lazyfree-lazy-user-flush", False),
    integer("lfu-decay-time", 1, 0, INT_MAX),
    integer("lfu-log-factor", 10, 0, INT_MAX),
    integer("list-compress-depth", 0, 0, INT_MAX),
    integer("list-max-listpack-size", -2, INT_MIN, INT_MAX, aliases=("list-max-ziplist-size",),
            doc="Kept; Redis 7.0 reports every list as `quicklist` whatever its size, and so does OBJECT ENCODING here."),
    string("masteruser", ""),
    memory("maxmemory", 0, 0, ULLONG_MAX, doc=NOT_EVICTING),
    integer("maxmemory-eviction-tenacity", 10, 0, 100),
    enum("maxmemory-policy", "noeviction", ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                            "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
         doc=NOT_EVICTING),
    integer("maxmemory-samples", 5, 1, INT_MAX),
    integer("min-replicas-max-lag", 10, 0, INT_MAX, aliases=("min-slaves-max-lag",)),
    integer("min-replicas-to-write", 0, 0, INT_MAX, aliases=("min-slaves-to-write",)),
    boolean("no-appendfsync-on-rewrite", False),
    enum("oom-score-adj", "no", ("no", "yes", "relative", "absolute")),
    enum("propagation-error-behavior", "ignore", ("ignore", "panic", "panic-on-replicas")),
    boolean("protected-mode", True,
            doc="With no password set, connections from other than the loopback interface are refused (Redis' DENIED)."),
    boolean("rdb-del-sync-files", False),
    boolean("rdb-save-incremental-fsync", True),
    fixed("rdbchecksum", "yes"),
    boolean("rdbcompression", True),
    integer("rdb-key-save-delay", 0, INT_MIN, INT_MAX,
            doc="A test knob Redis hides from CONFIG GET *: microseconds a bgsave takes per key saved, after "
                "its snapshot is fixed (negative: one microsecond per that many keys)."),
    integer("repl-backlog-ttl", 3600, 0, LLONG_MAX),
    boolean("repl-disable-tcp-nodelay", False),
    enum("repl-diskless-load", "disabled", ("disabled", "on-empty-db", "swapdb")),
    boolean("repl-diskless-sync", True),
    integer("repl-diskless-sync-delay", 5, 0, INT_MAX),
    integer("repl-diskless-sync-max-replicas", 0, 0, INT_MAX),
    integer("repl-ping-replica-period", 10, 1, INT_MAX, aliases=("repl-ping-slave-period",)),
    boolean("replica-announced", True),
    boolean("replica-ignore-disk-write-errors", False),
    boolean("replica-ignore-maxmemory", True, aliases=("slave-ignore-maxmemory",)),
    boolean("replica-lazy-flush", False, aliases=("slave-lazy-flush",)),
    boolean("replica-read-only", True, aliases=("slave-read-only",)),
    boolean("replica-serve-stale-data", True, aliases=("slave-serve-stale-data",)),
    enum("sanitize-dump-payload", "no", ("no", "yes", "clients")),
    fixed("server_cpulist", ""),
    integer("set-max-intset-entries", 512, 0, LLONG_MAX, doc=ENCODING),
    fixed("set-proc-title", "yes"),
    enum("shutdown-on-sigint", "default", ("default", "save", "nosave", "now", "force")),
    enum("shutdown-on-sigterm", "default", ("default", "save", "nosave", "now", "force")),
    integer("shutdown-timeout", 10, 0, INT_MAX),
    integer("slowlog-log-slower-than", 10000, -1, LLONG_MAX),
    integer("slowlog-max-len", 128, 0, LLONG_MAX),
    fixed("socket-mark-id", "0"),
    boolean("stop-writes-on-bgsave-error", True),
    memory("stream-node-max-bytes", 4096, 0, LLONG_MAX, doc=STREAM),
    integer("stream-node-max-entries", 100, 0, LLONG_MAX, doc=STREAM),
    fixed("supervised", "no"),
    fixed("syslog-enabled", "no"),
    fixed("syslog-facility", "local0"),
    fixed("syslog-ident", "redis"),
    fixed("tcp-backlog", "511"),
    integer("tcp-keepalive", 300, 0, INT_MAX,
            doc="TCP keepalive probes on client connections after this many idle seconds (0: off); new connections."),
    enum("tls-auth-clients", "yes", ("no", "yes", "optional"),
         doc="Whether TLS clients must show a certificate signed by the CA (`optional`: checked if shown); "
             "read at each connection."),
    string("tls-ca-cert-dir", "", doc=TLS_FILE + " Folder of CA certificates (OpenSSL's hashed names)."),
    string("tls-ca-cert-file", "", doc=TLS_FILE + " CA certificates clients' and a master's certificates must chain to."),
    string("tls-cert-file", "", doc=TLS_FILE + " The server's certificate (PEM)."),
    string("tls-ciphers", "", doc=TLS_FILE + " OpenSSL cipher list for TLS 1.2 and below."),
    string("tls-ciphersuites", "", doc=TLS_FILE + " TLS 1.3 cipher suites (`TLS_AES_256_GCM_SHA384:...`)."),
    string("tls-client-cert-file", "", doc=TLS_FILE + " The certificate a slave shows its master (default: tls-cert-file)."),
    string("tls-client-key-file", "", doc=TLS_FILE + " The key of tls-client-cert-file."),
    string("tls-client-key-file-pass", "", doc=TLS_FILE + " The password of tls-client-key-file."),
    boolean("tls-cluster", False),
    string("tls-dh-params-file", "", doc=TLS_FILE + " DH parameters (PEM) for DHE ciphers."),
    string("tls-key-file", "", doc=TLS_FILE + " The private key of tls-cert-file (PEM)."),
    string("tls-key-file-pass", "", doc=TLS_FILE + " The password of an encrypted tls-key-file."),
    integer("tls-port", 0, 0, 65535,
            doc="TLS port, on every `bind` address (0: no TLS listener); with `port 0`, TLS only. CONFIG SET "
                "moves the listener (connections made stay)."),
    boolean("tls-prefer-server-ciphers", False, doc=TLS_FILE + " The server's cipher order wins."),
    string("tls-protocols", "", doc=TLS_FILE + " Versions allowed, e.g. `TLSv1.2 TLSv1.3` (empty: those two)."),
    boolean("tls-replication", False,
            doc="A slave's link to its master (full syncs included) uses TLS; the slave then announces its tls-port."),
    integer("tls-session-cache-size", 20480, 0, INT_MAX),
    integer("tls-session-cache-timeout", 300, 0, INT_MAX),
    boolean("tls-session-caching", True),
    integer("tracking-table-max-keys", 1000000, 0, LLONG_MAX,
            doc="Bounds CLIENT TRACKING's table (0: no bound): past it, the keys tracked longest are "
                "invalidated and forgotten (Redis picks them at random)."),
    fixed("unixsocket", "", doc="Path of a Unix socket to accept connections on too (empty: none)."),
    Option("unixsocketperm", 0, parse_octal, format_octal, refusal=IMMUTABLE,
           doc="Mode of the unixsocket file, in octal (0: as the umask leaves it)."),
    integer("zset-max-listpack-entries", 128, 0, LLONG_MAX, aliases=("zset-max-ziplist-entries",), doc=ENCODING),
    memory("zset-max-listpack-value", 64, 0, LLONG_MAX, aliases=("zset-max-ziplist-value",), doc=ENCODING),
)
