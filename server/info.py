"""INFO: the sections Redis tools parse, plus Pika's own fields.

Field names are Redis' and Pika's exactly; a field is printed only when its value is really
maintained. Every line ends in CRLF; sections are separated by an empty line.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from typing import TYPE_CHECKING, Callable

from pypika_store import PIKA_VERSION, REDIS_VERSION, __version__

from .registry import TABLE

if TYPE_CHECKING:
    from .app import Server

Fields = list[tuple[str, object]]


def _server(server: "Server") -> Fields:
    uptime = int(time.time() - server.started_at)
    uname = platform.uname()
    return [
        ("redis_version", REDIS_VERSION),
        ("redis_mode", "standalone"),
        ("pika_version", PIKA_VERSION),
        ("pypika_version", __version__),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("multiplexing_api", "asyncio"),
        ("python_version", platform.python_version()),
        ("process_id", os.getpid()),
        ("run_id", server.run_id),
        ("tcp_port", server.port),
        ("server_time_usec", int(time.time() * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", server.config.get_int("hz")),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        ("config_file", server.config.path or ""),
    ]


def _clients(server: "Server") -> Fields:
    return [
        ("connected_clients", len(server.clients)),
        ("maxclients", server.config.get_int("maxclients")),
        ("blocked_clients", len(server.blocking)),
    ]


def _resident_memory() -> int:
    """This process' resident set size in bytes (what the OS charges us)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _human(size: int) -> str:
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size}{unit}" if unit == "B" else f"{size:.2f}{unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def _memory(server: "Server") -> Fields:
    rss = _resident_memory()
    return [
        ("used_memory", rss),
        ("used_memory_human", _human(rss)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("maxmemory", 0),
        ("maxmemory_policy", "noeviction"),
        # Deleted collections whose members the background reclaimer has not deleted yet.
        ("lazyfree_pending_objects", server.engine.pending_reclaims),
    ]


def _persistence(server: "Server") -> Fields:
    bgsave = server.bgsave
    holds = sorted(server.engine.lock.exclusive_holds)
    p99 = holds[min(len(holds) - 1, int(len(holds) * 0.99))] if holds else 0.0
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("sync_policy", server.engine.sync_policy),
        ("rdb_bgsave_in_progress", int(bgsave.in_progress)),
        ("rdb_last_save_time", bgsave.last_save_time),
        ("rdb_last_bgsave_status", "ok" if bgsave.last_ok else "err"),
        ("bgsave_lock_scope", server.engine.lock_scope),
        ("bgsave_lock_hold_p99_us", int(p99 * 1_000_000)),
        ("bgsave_offset_mismatches", bgsave.mismatches),
    ]


def _stats(server: "Server") -> Fields:
    stats = server.stats
    return [
        ("total_connections_received", stats.connections_received),
        ("total_commands_processed", stats.commands_processed),
        ("instantaneous_ops_per_sec", stats.ops_per_sec()),
        ("total_net_input_bytes", stats.net_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes),
        ("instantaneous_input_kbps", f"{stats.input_kbps():.2f}"),
        ("instantaneous_output_kbps", f"{stats.output_kbps():.2f}"),
        ("rejected_connections", stats.rejected_connections),
        ("expired_keys", stats.expired_keys),
        ("pubsub_channels", len(server.pubsub.channels)),
        ("pubsub_patterns", len(server.pubsub.patterns)),
        ("is_bgsaving", "Yes" if server.bgsave.in_progress else "No"),
    ]


def _safety_purge(filenum: int) -> str:
    """Pika's safety_purge: the newest file that may be purged (10 files are always kept)."""
    return f"write2file{filenum - 10}" if filenum >= 10 else "none"


#: Pika's repl_connect_status value per slave DB state.
_CONNECT_STATUS = {"kConnected": "connected", "kNoConnect": "no_connect", "kDBNoConnect": "no_connect",
                   "kWaitDBSync": "syncing_full", "kError": "error", "kWaitReply": "connecting",
                   "kTryConnect": "try_to_incr_sync", "kTryDBSync": "try_to_full_sync"}


def _replication(server: "Server") -> Fields:
    offset = server.repl_offset()
    replica = server.replica
    fields: Fields = [("role", server.role), ("ReplicationID", server.replication_id)]
    if replica is not None:
        fields += _slave_fields(server, replica)
    fields += _master_fields(server, offset)
    for index, binlog in enumerate(server.engine.binlogs):
        filenum, file_offset = binlog.position
        fields.append((f"db{index}", f"binlog_offset={filenum} {file_offset},safety_purge={_safety_purge(filenum)}"))
    fields.append(("slave_repl_offset", offset))
    if replica is not None:
        fields.append(("slave_read_repl_offset", offset))
    return fields


def _master_fields(server: "Server", offset: int) -> Fields:
    sessions = list(server.replication_master.sessions.values())
    file_size = server.engine.binlogs[0].file_size if server.engine.binlogs else 0
    fields: Fields = [("connected_slaves", len(sessions))]
    for number, session in enumerate(sessions):
        acked = session.acked_offset(file_size)
        lag = ",".join(f"db{db}:{_bytes_behind(server.engine.binlogs[db], stream.acked)}"
                       for db, stream in session.streams.items())
        state = "online" if session.streams else "wait_bgsave"
        fields.append((f"slave{number}", f"ip={session.host},port={session.port},conn_fd={session.client.id},"
                                         f"lag=({lag}),state={state},offset={acked}"))
    fields += [("master_replid", server.replication_id), ("master_repl_offset", offset)]
    return fields


def _bytes_behind(binlog, acked) -> int:
    """Pika's lag: how far a slave's acknowledged position is behind this binlog's end."""
    return max(0, binlog.position.absolute(binlog.file_size) - acked.absolute(binlog.file_size))


def _slave_fields(server: "Server", replica) -> Fields:
    states = replica.states
    fields: Fields = [
        ("master_host", replica.host),
        ("master_port", replica.port),
        ("master_link_status", "up" if replica.link_up else "down"),
        ("master_last_io_seconds_ago", int(time.monotonic() - replica.last_io) if replica.link_up else -1),
        ("master_sync_in_progress", int(replica.sync_in_progress)),
    ]
    progress = replica.progress
    if replica.sync_in_progress and progress is not None:
        fields += [("master_sync_total_bytes", progress.total_bytes),
                   ("master_sync_read_bytes", progress.received_bytes),
                   ("master_sync_left_bytes", progress.left_bytes),
                   ("master_sync_eta_seconds", int(progress.eta_seconds()))]
    if not replica.link_up:
        fields.append(("master_link_down_since_seconds", int(time.monotonic() - replica.link_down_since)))
    fields.append(("repl_connect_status", replica.connect_status))
    fields += [(f"db{db}", _CONNECT_STATUS[state]) for db, state in states.items()]
    fields += [("slave_priority", server.config.get_int("slave-priority")), ("slave_read_only", 1),
               ("replica_announced", 1)]
    waiting = [f"db{db}:{state}" for db, state in states.items() if state != "kConnected"]
    if waiting:
        fields.append(("db_repl_state", f"({','.join(waiting)})"))
    fields += [("repl_duplicates_skipped", replica.duplicates_skipped), ("repl_full_syncs", replica.full_syncs),
               ("is_eligible_for_master_election", "true" if server.config.get_int("slave-priority") else "false")]
    return fields


def _cpu(server: "Server") -> Fields:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [
        ("used_cpu_sys", f"{usage.ru_stime:.6f}"),
        ("used_cpu_user", f"{usage.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
    ]


def _commandstats(server: "Server") -> Fields:
    return [
        (f"cmdstat_{spec.full_name}", f"calls={spec.calls},failed_calls={spec.failed_calls}")
        for spec in TABLE.all_specs() if spec.calls or spec.failed_calls
    ]


def _keyspace(server: "Server") -> Fields:
    fields: Fields = []
    for keyspace in server.engine.keyspaces:
        keys = keyspace.size()
        if keys:
            fields.append((f"db{keyspace.index}", f"keys={keys},expires={len(keyspace.expiry)},avg_ttl=0"))
    return fields


def _data(server: "Server") -> Fields:
    """Pika's Data section: the size of what is on disk."""
    db_size = server.engine.env.disk_size()
    log_size = sum(binlog.size() for binlog in server.engine.binlogs)
    return [
        ("db_size", db_size),
        ("db_size_human", f"{db_size // (1024 * 1024)}M"),
        ("log_size", log_size),
        ("log_size_human", f"{log_size // (1024 * 1024)}M"),
    ]


SECTIONS: dict[str, Callable[["Server"], Fields]] = {
    "server": _server,
    "clients": _clients,
    "memory": _memory,
    "persistence": _persistence,
    "stats": _stats,
    "replication": _replication,
    "cpu": _cpu,
    "commandstats": _commandstats,
    "keyspace": _keyspace,
    "data": _data,
}
DEFAULT = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace")


def render(server: "Server", names: list[str]) -> bytes:
    """INFO's bulk reply for the requested sections (``default``, ``all``, ``everything``...)."""
    wanted: list[str] = []
    for name in names or ["default"]:
        name = name.lower()
        if name == "default":
            wanted.extend(DEFAULT)
        elif name in ("all", "everything"):
            wanted.extend(SECTIONS)
        elif name in SECTIONS:
            wanted.append(name)
    blocks = []
    for name in dict.fromkeys(wanted):
        lines = [f"# {name.capitalize() if name != 'cpu' else 'CPU'}"]
        lines.extend(f"{key}:{value}" for key, value in SECTIONS[name](server))
        blocks.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(blocks).encode()
