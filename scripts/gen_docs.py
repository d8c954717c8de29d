"""Generate the tables in docs/ from the code, so the documents cannot drift from it.

    python scripts/gen_docs.py          # rewrite docs/compatibility.md and docs/configuration.md
    python scripts/gen_docs.py --check  # exit 1 if either is out of date (the test suite runs this)

The Redis column comes from `COMMAND LIST` of Debian's redis-server 7.0.15 (scripts/data/);
the Pika column from Pika 4.0's command table (include/pika_command.h).
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PIKA_COMMANDS = set("""
slaveof dbslaveof auth bgsave compact compactrange purgelogsto ping hello select flushall flushdb client
shutdown info config monitor dbsize time delbackup echo scandb slowlog padding pkpatternmatchdel quit
diskrecovery clearreplicationid disablewal cache clearcache lastsave command acl
slotsinfo slotshashkey slotsdel slotsscan slotsreload slotsreloadoff slotscleanup slotscleanupoff slotsmgrtslot
slotsmgrtone slotsmgrttagslot slotsmgrttagone slotsmgrttagslot-async slotsmgrt-async-status
slotsmgrt-async-cancel slotsmgrt-exec-wrapper
set get del unlink incr incrby incrbyfloat decr decrby getset append mget keys setnx setex psetex delvx mset
msetnx getrange setrange strlen exists expire pexpire expireat pexpireat ttl pttl persist type scan scanx
pksetexat pkscanrange pkrscanrange
hdel hset hget hgetall hexists hincrby hincrbyfloat hkeys hlen hmget hmset hsetnx hstrlen hvals hscan hscanx
pkhscanrange pkhrscanrange
lindex linsert llen blpop lpop lpush lpushx lrange lrem lset ltrim brpop rpop rpoplpush rpush rpushx
zadd zcard zscan zincrby zrange zrevrange zrangebyscore zrevrangebyscore zcount zrem zunionstore zinterstore
zrank zrevrank zscore zrangebylex zrevrangebylex zlexcount zremrangebyrank zremrangebyscore zremrangebylex
zpopmax zpopmin
sadd spop scard smembers sscan srem sunion sunionstore sinter sinterstore sismember sdiff sdiffstore smove
srandmember
setbit getbit bitcount bitpos bitop pfadd pfcount pfmerge geoadd geopos geodist geohash georadius
georadiusbymember
publish subscribe unsubscribe psubscribe punsubscribe pubsub multi exec discard watch unwatch
xadd xlen xread xrange xrevrange xtrim xdel xinfo
""".split())

#: Commands we lack that an open issue will add, by issue (names as COMMAND LIST gives them).
PLANNED: dict[str, str] = {
    "13 (script|debug needs a Lua debugger)": "script|debug",
}

#: Commands that will not exist here, and why.
NEVER = {
    "module": "Loads C modules into redis-server's address space: impossible in a Python server.",
    "bgrewriteaof": "There is no AOF: every write is in LMDB and Pika's binlog (docs/binlog-format.md) is the log.",
    "psync": "Redis' replication handshake; our slaves speak Pika's protocol (PIKAREPL, docs/replication-protocol.md).",
    "sync": "As PSYNC.",
    "replconf": "As PSYNC.",
    "dbslaveof": "Pika 3's per-DB SLAVEOF; Pika 4.0 and we replicate the whole node (SLAVEOF).",
    "delbackup": "Pika's dump-folder cleanup; BGSAVE here keeps one snapshot (docs/snapshot-format.md).",
    "disablewal": "RocksDB's write-ahead log switch; LMDB has no WAL to disable.",
    "padding": "Pika's internal binlog filler, never sent by clients.",
    "scandb": "Pika's background key statistics for RocksDB; INFO keyspace is always exact here.",
    "delvx": "Pika's DELVX (delete if value matches) was never released in Pika 4.0's table.",
}
for name in ("module|help", "module|list", "module|load", "module|loadex", "module|unload"):
    NEVER[name] = "As MODULE."

#: Where pypika-store deliberately differs from Redis (and why).
NOTES = {
    "acl|list": "Rules rebuilt as Redis 7.0.15 rebuilds them; which categories it writes depends on the command "
                "table (ours has Pika's commands), and single commands follow our table's order (docs/acl.md).",
    "acl|log": "Redis 7.0.15's seven fields (7.2 added entry-id and the timestamps).",
    "set": ("Keys are binary safe, of any length Redis takes (past LMDB's 511-byte key limit a key is stored as "
            "a prefix and a digest, in order: docs/storage-format.md)."),
    "scan": "Cursors are server-side resume points over the sorted keys (as Pika's); never a duplicate key.",
    "randomkey": "Uniform up to 1024 keys; beyond that a random probe plus a random walk.",
    "hello": "RESP2 and RESP3 (Pika accepts HELLO 3 but answers in RESP2).",
    "client": "Every subcommand; PAUSE holds commands (not a slave's applier), "
              "UNBLOCK of a paused client answers 0 (Redis 7.0.15 crashes); CLIENT LIST's memory fields "
              "qbuf-free, argv-mem, multi-mem are 0; RESP3 replies are bulk strings, not verbatim ones.",
    "client|tracking": "Redis 7.0's modes, messages and order (docs/client-tracking.md). SWAPDB sends one null "
                       "invalidation (Redis 7.0: none, leaving caches stale); overlapping PREFIXes get the error "
                       "alone (Redis 7.0 also enables tracking and sends +OK after it when the overlap is not with "
                       "the first prefix); RENAME invalidates the target before the source.",
    "ssubscribe": "Every shard is this node; shard channels are Redis' not_key key specs (COMMAND GETKEYS finds "
                  "none); refused inside MULTI as in Redis.",
    "spublish": "As PUBLISH: not a write, not replicated to slaves (Pika's rule; Redis forwards it to replicas).",
    "slowlog": "Durations include encoding the reply; blocked commands are not logged.",
    "latency": "The command and fast-command events; GRAPH draws Redis' sparkline; HISTOGRAM lists all commands in "
               "the command table's order (Redis': its hash table's).",
    "failover": "Writes are paused under a purpose of their own (CLIENT UNPAUSE does not end it, as in Redis); "
                "the hand-over is PIKAREPL FAILOVER on a connection of its own (Redis: PSYNC FAILOVER).",
    "monitor": "A monitor's line for its own command comes after its reply.",
    "eval": "Lua 5.1 as Redis 7.0's (docs/scripting.md): atomic, logged as its effects; no print, no debugger; "
            "pairs(_G) sees nothing (read-only proxies).",
    "script": "SCRIPT DEBUG is missing (no Lua debugger); KILL and SHUTDOWN NOSAVE are served while a script is "
              "busy, new connections included.",
    "function": "Libraries are data (LMDB, DB 0's binlog, snapshots; docs/scripting.md); DUMP's payload is Redis "
                "7.0's (its strings written uncompressed: a dump restores on either server); LIST gives libraries "
                "and functions in load order (Redis: its hash order).",
    "fcall": "Runs as EVAL does (docs/scripting.md), in the functions' own Lua interpreter; logged as its effects.",
    "lolwut": "VERSION 5 draws Redis 5's Schotter; other versions print the version line only.",
    "blpop": "A blocked client is served from the key that became ready, only if it then holds the type it pops.",
    "command": "Key specs, flags and ACL categories as Redis 7.0 orders them; GETKEYS from the key specs.",
    "command|docs": "Summary, group and arguments for every command (Redis' argument trees, without each argument's "
                    "since and deprecated_since; Pika's commands as Pika documents them); since and complexity where "
                    "the spec declares them.",
    "pfselftest": "Redis' checks (register packing, sparse/dense agreement, the error bound) up to 100,000 elements, not 10 million.",
    "memory": "LMDB's figures (docs/memory.md): USAGE is the key's B-tree entries (SAMPLES extrapolates from the first "
              "member entries), STATS the process' RSS and the DBs' LMDB pages, MALLOC-STATS 'not supported'.",
    "info": "Redis 7.0's sections and fields in its order (errorstats, commandstats with usec, latencystats "
            "included) plus Pika's Data, binlog offsets and replication fields (both dialects' keys).",
    "config": "Every Redis 7.0 option (with its checks and errors; most have no effect, see configuration.md) "
              "and Pika's; CONFIG REWRITE keeps the file's dialect (pika.conf or redis.conf).",
    "shutdown": "Every write is already in LMDB: SAVE and NOSAVE both stop cleanly.",
    "pksetexat": "Pika's: SET with an absolute expiry in unix seconds (0: none); what the binlog logs.",
    "lcs": "Refused with Redis' out-of-memory text past len(a)*len(b) > 2^29 or len(a)+len(b) > 2^20 (Redis' "
           "only bound is memory; this keeps one call under ~0.3 s and 64 MiB).",
    "sort": "ALPHA compares bytes (what Redis' strcoll does under the C locale); ties keep their input order, "
            "where Redis' partial sort (ALPHA + BY + LIMIT) may order them otherwise.",
    "sort_ro": "As SORT.",
    "slotsdel": "Deletes the slots' keys and answers [[slot, keys left]...] as Pika's docs and Codis say (Pika 4.0's "
                "code deletes only its index); logged as DEL, refused on a slave (a write).",
    "slotsscan": "Plain keys (Pika 4.0 prefixes each with its type letter).",
    "slotsmgrtslot": "Sends the target the write commands that rebuild each key (exact millisecond TTLs, the key "
                     "replaced), one key per event-loop turn; deletes it here (logged as DEL) once acknowledged.",
    "slotsmgrttagslot": "As SLOTSMGRTSLOT; keys are grouped by their exact {tag}, not by the tag's crc as Pika does.",
    "slotsmgrt-exec-wrapper": "Answers Pika's [0,0]/[1,1]/[-1,-1]; the key is not lower-cased (Pika's is).",
    "incrbyfloat": "Computed in 80-bit long double like Redis, so results print identically.",
    "bgsave": "Pika's dump folder and info file; the snapshot is paired with each DB's binlog offset.",
    "save": "Same snapshot as BGSAVE, taken in the event loop.",
    "purgelogsto": "Pika's: `PURGELOGSTO write2file<N> [db<K>]`.",
    "touch": "Counts existing keys; there is no LRU/LFU access time to update.",
    "hgetall": "Fields come in byte order (Redis: hash-table order, which clients must not rely on).",
    "hscan": "Up to 128 fields in one call with cursor 0 (as Redis' listpack); beyond, resume points in byte order.",
    "sscan": "As HSCAN; SMEMBERS and set algebra reply in byte order.",
    "zscan": "As HSCAN; scores printed as Redis' d2string.",
    "spop": "Logged as SREM of the members popped. Exactly uniform up to 1024 members, then a random probe.",
    "srandmember": "Exactly uniform up to 1024 members, then a random probe and walk (LMDB has no positional access). A negative count past -10,000,000 is refused (as for HRANDFIELD, ZRANDMEMBER): Redis would build the reply.",
    "hset": "Fields and set/zset members of any length (past LMDB's key limit stored as a prefix and a digest, in order); values unlimited.",
    "zadd": "Scores in an order-preserving LMDB index; ranks from an in-memory SortedList per sorted set.",
    "object": "ENCODING answers what Redis 7.0 would (listpack/hashtable/intset/skiplist/quicklist/stream/int/embstr/raw); REFCOUNT 1, IDLETIME 0.",
    "dump": "pypika-store's own checksummed payload (not RDB): RESTORE works between pypika-store servers.",
    "restore": "Takes DUMP payloads of pypika-store; Redis' RDB payloads get the version/checksum error.",
    "restore-asking": "RESTORE (there is no cluster mode to ask in).",
    "migrate": ("Redis' options, replies and errors; sends RESTORE with pypika-store's DUMP payload, so a "
                "redis-server target answers 'ERR Target instance replied with error: ERR DUMP payload version or "
                "checksum are wrong' (docs/sharding.md). The server goes on serving others while the target "
                "answers (Redis blocks); a key written meanwhile is kept here; refused inside MULTI and scripts."),
    "pfadd": "Redis' HYLL encoding byte for byte; logged as the command (smaller than the 12 KiB value).",
    "xread": "A client blocked on several streams gets every stream that received entries in the waking command.",
    "xreadgroup": "As XREAD's blocking; groups are binlogged as the state they leave (XCLAIM FORCE with absolute TIME and RETRYCOUNT, XGROUP SETID with ENTRIESREAD), so slaves and replays have the master's PELs and delivery times; a consumer's seen-time is when the record was applied. History reads are logged too (Redis does not propagate them).",
    "xgroup": "Group and consumer names of any length. DEBUG DIGEST does not cover groups, as in Redis.",
    "blpop": "Blocked clients are served FIFO per key; inside MULTI the command answers at once.",
    "pkscanrange": "Pika's: `type start end [MATCH p] [LIMIT n]`, inclusive, empty = open; Pika's replies and errors.",
    "compact": "Pika's arguments and errors; accepted with nothing to do: LMDB updates its B+tree in place and reuses freed pages (no LSM tombstones to drop).",
    "compactrange": "As COMPACT.",
    "clearreplicationid": "Pika's: forgets the replication id (INFO shows it empty), so the next sync from a master is a full one.",
    "diskrecovery": "Pika's free-disk check (256 MB, Pika's default least-free-disk-resume-size); LMDB has no stopped background work to resume.",
    "cache": "Pika 4.0's cache layer does not exist here (LMDB reads are memory-mapped): CLEAR and DEL answer OK, RANDOMKEY nil.",
    "chaos": "pypika-store's own: faults on demand for tests (clock, command faults, link faults, suspension; "
             "docs/fault-injection.md), refused unless enable-chaos-command is yes or local.",
    "clearcache": "OK at once: there is no cache layer.",
    "scanx": "Pika's: `type start [MATCH p] [COUNT n]`; COUNT counts matching keys of the type, as Pika 4.0's storage.",
    "hscanx": "Pika's: `key start_field [MATCH p] [COUNT n]`; COUNT counts every field scanned. A non-hash key gets WRONGTYPE (Pika 4.0 answers \"ERR OK\", a bug).",
    "swapdb": "Copies both DBs in one transaction (O(N), Redis swaps pointers); logged in each DB's binlog as a flushdb and the keys it then holds (docs/architecture.md, What is logged).",
    "pkpatternmatchdel": "Pika's: `pattern [max_count]` (1..100, default 100); replies the number deleted.",
    "slaveof": "Pika's `SLAVEOF host port [FORCE]`; accepted while the node has slaves (Pika refuses; Sentinel needs it).",
    "replicaof": "Same as SLAVEOF (Pika has no REPLICAOF).",
    "role": "Redis' reply shapes (Pika has no ROLE).",
    "wait": "Counts slaves whose acknowledged binlog position reached the master's at the call.",
    "pikarepl": "The replication protocol's requests (docs/replication-protocol.md); sent by slaves only.",
    "publish": "Reaches the subscribers of the node it runs on (slaves too); never logged nor replicated, as in Pika (Redis also forwards a master's messages to its replicas).",
    "pubsub": "CHANNELS, NUMSUB, NUMPAT, HELP; no sharded pub/sub (SSUBSCRIBE...).",
    "psubscribe": "Patterns matched in linear time (CVE-2022-36021 patterns cannot stall the server); pmessages in subscription order.",
    "exec": "Runs the queue in one event-loop turn; each command logs its own binlog records. A full sync from the master breaks every WATCH.",
    "watch": "Redis 7.0's rules: any change breaks it, so do a flush of an existing key and the expiry of a key alive at WATCH.",
}


#: Commands implemented in part: what is missing.
PARTIAL = {
    "debug": "Redis' subcommands that tests use: DIGEST and DIGEST-VALUE (Redis' algorithm: the same digest as "
             "redis-server for the same data), OBJECT (encoding as OBJECT ENCODING, serializedlength = our DUMP "
             "payload's length, no LRU: idle 0), PROTOCOL (every RESP3 test value), RELOAD (re-reads the in-memory "
             "state: LMDB holds every write), SET-ACTIVE-EXPIRE, CHANGE-REPL-ID (slaves full-sync next), "
             "QUICKLIST-PACKED-THRESHOLD (checked, no effect: no quicklists), STRINGMATCH-TEST (7.0.15's name; "
             "STRINGMATCH-LEN is 7.2's), SLEEP, HELP. Not the crash, malloc, AOF, cluster and encoding-internals ones.",
    "command|info": "Key-spec flags are derived from the command's flags (RO/access, RW/access/update) where a "
                    "module declares only (first, last, step); no tips (cluster request policies).",
}


#: Cluster commands are answered as a redis-server without cluster support answers them.
_CLUSTER_DISABLED = ("Answers as a Redis without cluster-enabled: \"This instance has cluster support disabled\" "
                     "(sharding is #17's, behind a proxy).")
PARTIAL.update({name: _CLUSTER_DISABLED for name in ("cluster", "readonly", "readwrite", "asking")})


def our_commands() -> dict[str, str]:
    """Registered command names (containers' subcommands as parent|sub) and their groups."""
    sys.path.insert(0, ROOT)
    from pypika_store.server import app  # noqa: F401  (registers the commands)
    from pypika_store.server.registry import TABLE

    return {spec.full_name: spec.group for spec in TABLE.all_specs()}


def redis_commands() -> set[str]:
    with open(os.path.join(HERE, "data", "redis-7.0.15-commands.txt"), encoding="ascii") as handle:
        return {line.strip() for line in handle if line.strip()}


def planned_commands() -> dict[str, str]:
    """Each planned command's issue."""
    return {name: issue for issue, names in PLANNED.items() for name in names.split()}


def status_of(name: str, ours: dict[str, str], planned: dict[str, str]) -> tuple[str, str]:
    """A command's status here (yes / partial / no) and the reason shown with it."""
    if name in ours:
        return ("partial" if name in PARTIAL else "yes"), PARTIAL.get(name, NOTES.get(name, ""))
    if name in planned:
        return "no", f"#{planned[name]}"
    if name in NEVER:
        return "no", NEVER[name]
    raise ValueError(f"{name}: neither implemented, planned nor refused (add it to PLANNED or NEVER)")


def compatibility_table() -> str:
    ours = our_commands()
    redis = redis_commands()
    planned = planned_commands()
    names = sorted(set(ours) | PIKA_COMMANDS | redis)
    lines = [
        "# Command compatibility",
        "",
        "Generated by `python scripts/gen_docs.py` from the command table; the test suite fails when",
        "this file and the code disagree. Redis: Debian's redis-server 7.0.15 (`COMMAND LIST`).",
        "Pika: 4.0's command table. Differential tests compare every implemented command's replies,",
        "errors included, with a real redis-server.",
        "",
        f"Implemented: {len(ours)} commands and subcommands. A command marked no names the open issue",
        "that will add it, or says why it cannot exist here; partial says what is missing.",
        "",
        "| command | Redis 7.0 | Pika 4.0 | pypika-store | notes |",
        "|---|:-:|:-:|:-:|---|",
    ]
    for name in names:
        top = name.split("|")[0]
        in_pika = "yes" if top in PIKA_COMMANDS else "no"
        status, reason = status_of(name, ours, planned)
        shown = name.replace("|", "\\|")
        lines.append(f"| {shown} | {'yes' if name in redis else 'no'} | {in_pika} | {status} | {reason} |")
    return "\n".join(lines) + "\n"


def redis_config() -> dict[str, str]:
    """redis-server 7.0.15's CONFIG GET * (name -> default), from scripts/data."""
    with open(os.path.join(HERE, "data", "redis-7.0.15-config.txt"), encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t", 1) for line in handle if line.strip() and not line.startswith("#")]
    return {name: default for name, default in rows}


CONFIGURATION_PROSE = """
## Memory limits: `maxmemory` and `maxmemory-policy`

Both are accepted with Redis' checks (`maxmemory 1gb`, the eight policies) and shown by CONFIG
GET and `INFO memory` (`maxmemory`, `maxmemory_policy`), but **nothing is ever evicted** and no
write is refused for memory: the data lives in LMDB on disk, where Redis' limit (the RAM its
dataset takes) has no counterpart; the memory this process uses is its caches and the client
buffers, not the data set. Size the disk instead (LMDB's map grows with the data). Tools that
set a policy at start-up keep working; a client relying on eviction to stay under a size must
delete or expire keys itself.

## Encoding thresholds

`hash-max-listpack-entries/value`, `zset-max-listpack-entries/value` and
`set-max-intset-entries` (with Redis' older `*-ziplist-*` names as aliases) decide what OBJECT
ENCODING answers, as in Redis 7.0: a hash stays `listpack` up to that many fields and that many
bytes per field and value, then `hashtable`. The storage layout does not change with them. One
difference: Redis converts a value when a write crosses a limit and never back, this server
reports from the value's current size under the current limits. Redis 7.0 reports every list
as `quicklist` and every stream as `stream`, whatever `list-max-listpack-size` and
`stream-node-max-*` say; so does this server.

## Other Redis options

Every option redis-server 7.0.15 has (`scripts/data/redis-7.0.15-config.txt`, its `CONFIG GET
*`) is here, with Redis' default where it makes sense, its value checks and its error texts
(`ERR CONFIG SET failed (possibly related to argument 'x') - ...`); those without a meaning for
this server (AOF, TLS, cluster, the allocator, I/O threads) are kept and change nothing.
`notify-keyspace-events` publishes keyspace notifications as Redis 7.0 does (architecture.md). The
defaults that differ from Redis' on purpose are Pika's: {differences}.
"""


def configuration_table() -> str:
    sys.path.insert(0, ROOT)
    from pypika_store.config.options import OPTIONS

    redis = redis_config()
    lines = [
        "# Configuration",
        "",
        "Generated by `python scripts/gen_docs.py` from `pypika_store/config/options.py`.",
        "",
        "Options are read from a pika.conf (`key : value`) or redis.conf (`key value`) file and from",
        "`--key value` on the command line (which wins); CONFIG GET/SET/REWRITE work on the same names.",
        "Keys this server does not know are kept in the file, logged at start-up, and otherwise ignored.",
        "",
        "| option | default | CONFIG SET | Redis 7.0 | description |",
        "|---|---|:-:|:-:|---|",
    ]
    differences = []
    for name in sorted({option.name for option in OPTIONS.values()}):
        option = OPTIONS[name]
        default = option.default if isinstance(option.default, str) else option.format(option.default)
        names = " ".join(f"`{alias}`" for alias in (name, *option.aliases))
        settable = "yes" if option.mutable else "no"
        in_redis = "yes" if name in redis else "no"
        if name in redis and redis[name] != default and name != "dir":
            differences.append(f"`{name}` ({default}, Redis {redis[name] or 'empty'})")
        lines.append(f"| {names} | `{default}` | {settable} | {in_redis} | {option.doc} |")
    missing = sorted(set(redis) - set(OPTIONS))
    assert not missing, f"Redis 7.0 options missing from the table: {missing}"
    prose = CONFIGURATION_PROSE.format(differences=", ".join(differences))
    return "\n".join(lines) + "\n" + prose


DOCUMENTS = {
    os.path.join(ROOT, "docs", "compatibility.md"): compatibility_table,
    os.path.join(ROOT, "docs", "configuration.md"): configuration_table,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if a document is out of date")
    args = parser.parse_args()
    stale = []
    for path, generate in DOCUMENTS.items():
        text = generate()
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            stale.append(path)
            if not args.check:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text)
    if args.check and stale:
        print("out of date (run python scripts/gen_docs.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
