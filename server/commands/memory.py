"""MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP, with this server's figures.

Redis' data set lives in its heap; ours lives in LMDB, so the figures mean other things
(docs/memory.md): a key's usage is the bytes its entries take in LMDB's B-tree
(:meth:`~pypika_store.keyspace.Keyspace.stored_bytes`); the process' memory is its resident set
size, the figure INFO's ``used_memory`` gives; the data set is the LMDB pages of every DB.
"""

from __future__ import annotations

import gc
import struct

from pypika_store.errors import SyntaxErrorReply

from ..arguments import Arguments
from ..connection import Client
from ..info import peak_memory, resident_memory
from ..registry import command, container, help_reply, key_at
from ..resp.replies import OK, Double, Map, Verbatim

container("memory", arity=-2, flags="", group="server", summary="A container for memory diagnostics commands")

#: How many member entries MEMORY USAGE reads without SAMPLES (Redis' OBJ_COMPUTE_SIZE_DEF_SAMPLES).
DEFAULT_SAMPLES = 5
#: DOCTOR's report when the data set is empty (Redis says it below 5 MB of heap; an interpreter
#: is never that small, so here it is said when no DB holds a key).
_EMPTY_REPORT = ("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used "
                 "in these conditions. Please, leave for your mission on Earth and fill it with some data. The new "
                 "Sam and I will be back to our programming as soon as I finished rebooting.\n")
_HEALTHY_REPORT = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
_PEAK_ISSUE = (
    " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator "
    "is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however "
    "this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) "
    "is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more "
    "data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE "
    "command, otherwise the only other option is to shutdown and restart the instance.\n\n")
#: Fields of Redis' MEMORY STATS with nothing to count here: no replication backlog in memory
#: (Pika's binlog is on disk), client buffers and caches not tallied apart from the process' size.
_UNCOUNTED = ("replication.backlog", "clients.slaves", "clients.normal", "cluster.links", "aof.buffer", "lua.caches",
              "functions.caches")


def _as_redis_float(value: float) -> Double:
    """A ratio as Redis replies it: computed in a C float, printed as a double."""
    return Double(struct.unpack("f", struct.pack("f", value))[0])


@command("memory|doctor", arity=2, group="server", help=("DOCTOR", "    Return memory problems reports."))
def memory_doctor(client: Client, argv: list[bytes]) -> object:
    """Outputs memory problems report"""
    if not any(keyspace.size() for keyspace in client.server.engine.keyspaces):
        return Verbatim(_EMPTY_REPORT)
    if peak_memory() > resident_memory() * 1.5:
        return Verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" + _PEAK_ISSUE
                        + "I'm here to keep you safe, Sam. I want to help you.\n")
    return Verbatim(_HEALTHY_REPORT)


@command("memory|malloc-stats", arity=2, group="server",
         help=("MALLOC-STATS", "    Return internal statistics report from the memory allocator."))
def memory_malloc_stats(client: Client, argv: list[bytes]) -> object:
    """Show allocator internal stats"""
    return b"Stats not supported for the current allocator"  # Redis' answer without jemalloc


@command("memory|purge", arity=2, group="server",
         help=("PURGE", "    Attempt to purge dirty pages for reclamation by the allocator."))
def memory_purge(client: Client, argv: list[bytes]) -> object:
    """Ask the allocator to release memory"""
    gc.collect()
    return OK


@command("memory|stats", arity=2, group="server",
         help=("STATS", "    Return information about the memory usage of the server."))
def memory_stats(client: Client, argv: list[bytes]) -> object:
    """Show memory usage details"""
    rss, peak = resident_memory(), peak_memory()
    databases, keys, index_bytes, data_bytes = [], 0, 0, 0
    for keyspace in client.server.engine.keyspaces:
        size = keyspace.size()
        if not size:
            continue
        index, data = keyspace.table_bytes()
        keys, index_bytes, data_bytes = keys + size, index_bytes + index, data_bytes + data
        databases.append((f"db.{keyspace.index}", Map([("overhead.hashtable.main", index),
                                                       ("overhead.hashtable.expires", 0),
                                                       ("overhead.hashtable.slot-to-keys", 0)])))
    stored = index_bytes + data_bytes
    one = _as_redis_float(1.0)
    return Map([
        ("peak.allocated", peak), ("total.allocated", rss), ("startup.allocated", 0),
        *((name, 0) for name in _UNCOUNTED),
        *databases,
        ("overhead.total", index_bytes), ("keys.count", keys), ("keys.bytes-per-key", stored // keys if keys else 0),
        ("dataset.bytes", data_bytes), ("dataset.percentage", _as_redis_float(100 * data_bytes / stored if stored else 0)),
        ("peak.percentage", _as_redis_float(100 * rss / peak if peak else 100)),
        ("allocator.allocated", rss), ("allocator.active", rss), ("allocator.resident", rss),
        ("allocator-fragmentation.ratio", one), ("allocator-fragmentation.bytes", 0),
        ("allocator-rss.ratio", one), ("allocator-rss.bytes", 0), ("rss-overhead.ratio", one), ("rss-overhead.bytes", 0),
        ("fragmentation", one), ("fragmentation.bytes", 0),
    ])


@command("memory|usage", arity=-3, flags="readonly", keys=[key_at(2, "RO")], group="server", help=(
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
), syntax="key [SAMPLES count:integer]")
def memory_usage(client: Client, argv: list[bytes]) -> object:
    """Estimate the memory usage of a key"""
    samples: int | None = DEFAULT_SAMPLES
    args = Arguments(argv, 3)
    while args:
        if args.keyword() != b"SAMPLES" or not args:
            raise SyntaxErrorReply()
        count = args.take_int()
        if count < 0:
            raise SyntaxErrorReply()
        samples = count or None
    return client.keyspace.stored_bytes(argv[2], samples)


@command("memory|help", arity=2, flags="loading stale", group="server", help=("HELP", "    Prints this help."))
def memory_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands"""
    return help_reply(argv)
