"""INFO: Redis 7.0's sections and fields in Redis' order, plus Pika's own fields and its Data
section.

Field names are Redis' and Pika's exactly. Every field Redis 7.0 prints is printed (tools parse
them by name, some expect them all), in Redis' order; one this server has no counterpart for
(AOF, forks, the allocator, cluster) prints the value Redis prints when that part is idle (0,
``ok``, -1). Pika's fields stay where Pika prints them, after the Redis field they follow.
Every line ends in CRLF; sections are separated by an empty line.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import sys
import time
from typing import TYPE_CHECKING, Callable

from pypika_store import PIKA_VERSION, REDIS_VERSION, __version__
from pypika_store.binlog.format import CRC_IMPLEMENTATION
from pypika_store.replication.failover import NO_FAILOVER

from .connection import REPLICA
from .registry import TABLE
from .stats import buffer_sizes

if TYPE_CHECKING:
    from pypika_store.engine import Engine
    from pypika_store.locks import DurationSample

    from .app import Server

Fields = list[tuple[str, object]]


#: redis_build_id: fixed per release of this server (Redis: a hash of its build).
_BUILD_ID = hashlib.sha1(f"pypika-store {__version__}".encode()).hexdigest()[:15]
#: Redis' LRU clock: seconds, 24 bits.
_LRU_CLOCK_MAX = (1 << 24) - 1


def _server(server: "Server") -> Fields:
    uptime = int(time.time() - server.started_at)
    uname = platform.uname()
    hz = server.config.get_int("hz")
    return [
        ("redis_version", REDIS_VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "standalone"),
        ("pika_version", PIKA_VERSION),
        ("pypika_version", __version__),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "asyncio"),
        ("atomicvar_api", "python-gil"),
        ("gcc_version", "0.0.0"),
        ("python_version", platform.python_version()),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", server.run_id),
        ("tcp_port", server.port),
        ("server_time_usec", int(time.time() * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", hz),
        ("configured_hz", hz),
        ("lru_clock", int(time.time()) & _LRU_CLOCK_MAX),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        ("config_file", server.config.path or ""),
        ("io_threads_active", 0),
    ]


def _clients(server: "Server") -> Fields:
    recent_input, recent_output = server.stats.client_peaks.recent_max(int(time.monotonic()))
    return [
        ("connected_clients", len(server.clients)),
        ("cluster_connections", 0),
        ("maxclients", server.config.get_int("maxclients")),
        ("client_recent_max_input_buffer", recent_input),
        ("client_recent_max_output_buffer", recent_output),
        ("blocked_clients", len(server.blocking)),
        ("tracking_clients", server.tracking.clients),
        ("clients_in_timeout_table", sum(client.blocked is not None and client.blocked.timer is not None
                                         for client in server.clients.values())),
    ]


def resident_memory() -> int:
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


def peak_memory() -> int:
    return max(resident_memory(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def _system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _client_memory(server: "Server") -> Fields:
    """mem_clients_slaves / mem_clients_normal: the bytes in the clients' input and output
    buffers (what a client costs here beyond a few hundred bytes of bookkeeping)."""
    slaves = normal = 0
    for client in server.clients.values():
        size = sum(buffer_sizes(client))
        if client.kind == REPLICA:
            slaves += size
        else:
            normal += size
    return [("mem_clients_slaves", slaves), ("mem_clients_normal", normal)]


def _memory(server: "Server") -> Fields:
    """Redis' memory fields. The data set is on disk: what this process holds in memory is
    its caches and buffers, so used_memory is the resident size, and nothing is evicted
    whatever maxmemory says (docs/configuration.md)."""
    rss = resident_memory()
    peak = peak_memory()
    system = _system_memory()
    maxmemory = server.config.get_int("maxmemory")
    return [
        ("used_memory", rss),
        ("used_memory_human", _human(rss)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", _human(peak)),
        ("used_memory_peak_perc", f"{100 * rss / peak if peak else 100:.2f}%"),
        ("used_memory_overhead", 0),
        ("used_memory_startup", 0),
        ("used_memory_dataset", rss),
        ("used_memory_dataset_perc", "100.00%"),
        ("allocator_allocated", rss),
        ("allocator_active", rss),
        ("allocator_resident", rss),
        ("total_system_memory", system),
        ("total_system_memory_human", _human(system)),
        *_scripting_memory(server),
        ("maxmemory", maxmemory),
        ("maxmemory_human", _human(maxmemory)),
        ("maxmemory_policy", server.config.get_str("maxmemory-policy")),
        *((name, value) for name, value in (
            ("allocator_frag_ratio", "1.00"), ("allocator_frag_bytes", 0), ("allocator_rss_ratio", "1.00"),
            ("allocator_rss_bytes", 0), ("rss_overhead_ratio", "1.00"), ("rss_overhead_bytes", 0),
            ("mem_fragmentation_ratio", "1.00"), ("mem_fragmentation_bytes", 0), ("mem_not_counted_for_evict", 0),
            ("mem_replication_backlog", 0), ("mem_total_replication_buffers", 0))),
        *_client_memory(server),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "pymalloc"),
        ("active_defrag_running", 0),
        # Deleted collections whose members the background reclaimer has not deleted yet.
        ("lazyfree_pending_objects", server.engine.pending_reclaims),
        ("lazyfreed_objects", server.stats.lazyfreed_objects),
    ]


def binlog_items(engine: "Engine") -> int:
    """How many items every DB's binlog has had (its logic ids): the counterpart of Redis'
    dirty counter, one per write command's record."""
    return sum(binlog.logic_id for binlog in engine.binlogs)


def _changes_since_last_save(server: "Server") -> int:
    """rdb_changes_since_last_save: the binlog items written since the last snapshot's
    position (or since this start), Redis' dirty counter counting one per write command."""
    last = server.bgsave.last
    baseline = sum(position.logic_id for position in last.positions) if last is not None else server.items_at_start
    return max(0, binlog_items(server.engine) - baseline)


def _scripting_memory(server: "Server") -> Fields:
    """EVAL's and the functions' Lua interpreters (Lua's own counts), the cached scripts' bodies
    and the libraries' code."""
    scripting = server.dispatcher.scripting
    functions = scripting.functions
    lua, scripts = scripting.memory(), scripting.scripts_memory()
    functions_vm, functions_code = scripting.functions_memory(), functions.code_size()
    return [
        ("used_memory_lua", lua),
        ("used_memory_vm_eval", lua),
        ("used_memory_lua_human", _human(lua)),
        ("used_memory_scripts_eval", scripts),
        ("number_of_cached_scripts", len(scripting.scripts)),
        ("number_of_functions", functions.function_count),
        ("number_of_libraries", len(functions.libraries())),
        ("used_memory_vm_functions", functions_vm),
        ("used_memory_vm_total", lua + functions_vm),
        ("used_memory_vm_total_human", _human(lua + functions_vm)),
        ("used_memory_functions", functions_code),
        ("used_memory_scripts", scripts + functions_code),
        ("used_memory_scripts_human", _human(scripts + functions_code)),
    ]


#: INFO's names of the DB lock's percentiles, and their fractions.
_LOCK_PERCENTILES = (("p50", 0.50), ("p99", 0.99), ("p999", 0.999))


def _lock_percentiles(name: str, sample: "DurationSample") -> Fields:
    """``<name>_p50_us``, ``_p99_us``, ``_p999_us`` of the DB lock's latest waits or holds."""
    values = sample.percentiles_us(*(fraction for _, fraction in _LOCK_PERCENTILES))
    return [(f"{name}_{label}_us", value) for (label, _), value in zip(_LOCK_PERCENTILES, values)]


def _persistence(server: "Server") -> Fields:
    bgsave = server.bgsave
    lock, lock_scope = server.engine.lock, server.engine.lock_scope
    return [
        ("loading", 0),
        ("async_loading", 0),
        *((name, 0) for name in ("current_cow_peak", "current_cow_size", "current_cow_size_age", "current_fork_perc",
                                 "current_save_keys_processed", "current_save_keys_total")),
        ("rdb_changes_since_last_save", _changes_since_last_save(server)),
        ("sync_policy", server.engine.sync_policy),
        ("rdb_bgsave_in_progress", int(bgsave.in_progress)),
        ("rdb_last_save_time", bgsave.last_save_time),
        ("rdb_last_bgsave_status", "ok" if bgsave.last_ok else "err"),
        ("rdb_last_bgsave_time_sec", -1 if bgsave.last_duration is None else int(bgsave.last_duration)),
        ("rdb_current_bgsave_time_sec", -1 if bgsave.started_at is None else int(time.time() - bgsave.started_at)),
        ("rdb_saves", bgsave.started),
        *((name, 0) for name in ("rdb_last_cow_size", "rdb_last_load_keys_expired",
                                 "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
                                 "aof_rewrite_scheduled")),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        *((name, 0) for name in ("aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size")),
        ("bgsave_lock_scope", lock_scope),
        *_lock_percentiles("bgsave_lock_hold", lock.exclusive_holds),
        *_lock_percentiles("bgsave_lock_wait", lock.exclusive_waits),
        ("turn_lock_waits", lock.shared_waits.count),
        *_lock_percentiles("turn_lock_wait", lock.shared_waits),
        ("bgsave_offset_mismatches", bgsave.mismatches),
    ]


def _stats(server: "Server") -> Fields:
    """Redis' stats; what is counted here and how is in docs/compatibility.md (INFO); a field
    of a part this server lacks (eviction, forks, defrag, I/O threads) stays 0."""
    stats = server.stats
    replication = server.replication_stats
    return [
        ("total_connections_received", stats.connections_received),
        ("total_commands_processed", stats.commands_processed),
        ("instantaneous_ops_per_sec", stats.ops_per_sec()),
        ("total_net_input_bytes", stats.net_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes),
        ("total_net_repl_input_bytes", replication.input_bytes),
        ("total_net_repl_output_bytes", replication.output_bytes),
        ("instantaneous_input_kbps", f"{stats.input_kbps():.2f}"),
        ("instantaneous_output_kbps", f"{stats.output_kbps():.2f}"),
        ("instantaneous_input_repl_kbps", f"{stats.input_repl_kbps():.2f}"),
        ("instantaneous_output_repl_kbps", f"{stats.output_repl_kbps():.2f}"),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", replication.sync_full),
        ("sync_partial_ok", replication.sync_partial_ok),
        ("sync_partial_err", replication.sync_partial_err),
        ("expired_keys", stats.expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", stats.expire_cycle_cap_reached),
        ("expire_cycle_cpu_milliseconds", stats.expire_cycle_ns // 1_000_000),
        *((name, 0) for name in ("evicted_keys", "evicted_clients", "total_eviction_exceeded_time",
                                 "current_eviction_exceeded_time")),
        ("keyspace_hits", stats.keyspace_hits),
        ("keyspace_misses", stats.keyspace_misses),
        ("pubsub_channels", len(server.pubsub.channels)),
        ("pubsub_patterns", len(server.pubsub.patterns)),
        ("pubsubshard_channels", len(server.pubsub.shard_channels)),
        *((name, 0) for name in ("latest_fork_usec", "total_forks", "migrate_cached_sockets",
                                 "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
                                 "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
                                 "current_active_defrag_time")),
        ("tracking_total_keys", len(server.tracking.table)),
        ("tracking_total_items", server.tracking.total_items),
        ("tracking_total_prefixes", len(server.tracking.prefixes)),
        ("unexpected_error_replies", stats.unexpected_error_replies),
        ("total_error_replies", stats.total_error_replies),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", stats.reads_processed),
        ("total_writes_processed", stats.writes_processed),
        *((name, 0) for name in ("io_threaded_reads_processed", "io_threaded_writes_processed",
                                 "reply_buffer_shrinks", "reply_buffer_expands")),
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
    failover = server.replication_master.failover
    fields += [("master_failover_state", failover.state if failover is not None else NO_FAILOVER), ("master_replid", server.replication_id),
               ("master_replid2", "0" * 40), ("master_repl_offset", offset), ("second_repl_offset", -1),
               ("repl_backlog_active", 0), ("repl_backlog_size", server.config.get_int("repl-backlog-size")),
               ("repl_backlog_first_byte_offset", 0), ("repl_backlog_histlen", 0)]
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
                   ("master_sync_perc", f"{progress.percent():.2f}"),
                   ("master_sync_last_io_seconds_ago", progress.last_io_seconds_ago()),
                   ("master_sync_phase", progress.phase),
                   ("master_sync_total_files", progress.total_files),
                   ("master_sync_read_files", progress.received_files),
                   ("master_sync_rate_bytes_per_sec", int(progress.bytes_per_second())),
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
               *_last_full_sync_fields(replica.last_full_sync),
               ("repl_corrupt_items_refused", replica.corrupt_items_refused),
               ("repl_gaps_refused", replica.gaps_refused),
               ("is_eligible_for_master_election", "true" if server.config.get_int("slave-priority") else "false")]
    return fields


def _last_full_sync_fields(phases: dict[str, float]) -> Fields:
    """The last full sync's time and its phases' (none before the first)."""
    if not phases:
        return []
    return [("repl_last_full_sync_seconds", f"{sum(phases.values()):.3f}"),
            ("repl_last_full_sync_phases", ",".join(f"{phase}={seconds:.3f}" for phase, seconds in phases.items()))]


def _cpu(server: "Server") -> Fields:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    main = _main_thread_usage()
    return [
        ("used_cpu_sys", f"{usage.ru_stime:.6f}"),
        ("used_cpu_user", f"{usage.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{main.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{main.ru_utime:.6f}"),
    ]


def _main_thread_usage() -> resource.struct_rusage:
    """The CPU of the thread running INFO: the server's event loop (Linux; the process' elsewhere)."""
    return resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))


def _modules(server: "Server") -> Fields:
    return []  # no modules are loaded (MODULE LOAD is not supported)


def _commandstats(server: "Server") -> Fields:
    fields: Fields = []
    for spec in TABLE.all_specs():
        times = server.stats.commands.get(spec.full_name)
        if times is not None and (times.calls or times.failed_calls or times.rejected_calls):
            calls, usec = times.calls, times.usec
            per_call = usec / calls if calls else 0.0
            fields.append((f"cmdstat_{spec.full_name}",
                           f"calls={calls},usec={usec},usec_per_call={per_call:.2f},"
                           f"rejected_calls={times.rejected_calls},failed_calls={times.failed_calls}"))
    return fields


def _errorstats(server: "Server") -> Fields:
    return [(f"errorstat_{name}", f"count={count}") for name, count in sorted(server.stats.errors.items())]


def _latencystats(server: "Server") -> Fields:
    """Per command, the configured percentiles of its call durations in microseconds."""
    percentiles = server.config["latency-tracking-info-percentiles"]
    if not server.config["latency-tracking"]:
        return []
    fields: Fields = []
    for spec in TABLE.all_specs():
        times = server.stats.commands.get(spec.full_name)
        if times is None or not times.histogram.total:
            continue
        values = ",".join(f"p{percent:g}={times.histogram.percentile(percent) / 1000:.3f}"
                          for percent in percentiles)  # type: ignore[attr-defined]
        fields.append((f"latency_percentiles_usec_{spec.full_name}", values))
    return fields


def _cluster(server: "Server") -> Fields:
    return [("cluster_enabled", 0)]


def _keyspace(server: "Server") -> Fields:
    fields: Fields = []
    for keyspace in server.engine.keyspaces:
        keys = keyspace.size()
        if keys:
            fields.append((f"db{keyspace.index}", f"keys={keys},expires={len(keyspace.expiry)},avg_ttl=0"))
    return fields


def _data(server: "Server") -> Fields:
    """Pika's Data section: the size of what is on disk (and where the binlog's CRC runs)."""
    db_size = server.engine.env.disk_size()
    log_size = sum(binlog.size() for binlog in server.engine.binlogs)
    return [
        ("db_size", db_size),
        ("db_size_human", f"{db_size // (1024 * 1024)}M"),
        ("log_size", log_size),
        ("log_size_human", f"{log_size // (1024 * 1024)}M"),
        ("binlog_crc_implementation", CRC_IMPLEMENTATION),
    ]


SECTIONS: dict[str, Callable[["Server"], Fields]] = {
    "server": _server,
    "clients": _clients,
    "memory": _memory,
    "persistence": _persistence,
    "stats": _stats,
    "replication": _replication,
    "cpu": _cpu,
    "modules": _modules,
    "commandstats": _commandstats,
    "errorstats": _errorstats,
    "latencystats": _latencystats,
    "cluster": _cluster,
    "keyspace": _keyspace,
    "data": _data,
}
#: Redis 7.0's default sections (INFO, INFO default); ``all`` and ``everything`` are every one.
DEFAULT = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats",
           "cluster", "keyspace")
_HEADERS = {"cpu": "CPU"}


def render(server: "Server", names: list[str]) -> bytes:
    """INFO's bulk reply for the requested sections (``default``, ``all``, ``everything``,
    any number of section names: Redis 7.0 prints them in its own order, whatever the order
    asked, and ignores the names it does not know)."""
    wanted: set[str] = set()
    for name in names or ["default"]:
        name = name.lower()
        if name == "default":
            wanted.update(DEFAULT)
        elif name in ("all", "everything"):
            wanted.update(SECTIONS)
        elif name in SECTIONS:
            wanted.add(name)
    blocks = []
    for name in (section for section in SECTIONS if section in wanted):
        lines = [f"# {_HEADERS.get(name, name.capitalize())}"]
        lines.extend(f"{key}:{value}" for key, value in SECTIONS[name](server))
        blocks.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(blocks).encode()
