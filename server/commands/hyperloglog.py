"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, over pypika_store.hyperloglog.

The values are Redis' own HYLL strings (sparse and dense encodings, byte for byte), so GET,
DUMP and replies match redis-server. The binlog records the commands themselves (``pfadd key
elements``): replaying them gives the same bytes, and they are far smaller than the values.
"""

from __future__ import annotations

from pypika_store import hyperloglog
from pypika_store.errors import InvalidHllError, NoSuchHllKeyError, unknown_pfdebug_subcommand
from pypika_store.keyspace import KEEP_TTL

from ..connection import Client
from ..registry import BeginIndex, FindRange, KeySpec, after_index, command, key_at
from ..resp.replies import OK, Status


def _sparse_max(client: Client) -> int:
    return client.server.config.get_int("hll-sparse-max-bytes")


@command("pfadd", arity=-2, flags="write denyoom fast", keys=(key_at(1, "RW insert"),), group="hyperloglog",
         syntax="key [element [element ...]]")
def pfadd(client: Client, argv: list[bytes]) -> object:
    """Adds the specified elements to the specified HyperLogLog."""
    keyspace = client.keyspace
    current = keyspace.get_string(argv[1])
    value, changed = hyperloglog.pfadd(current, argv[2:], sparse_max_bytes=_sparse_max(client))
    if changed:
        keyspace.set_string(argv[1], value, KEEP_TTL, logged_as=[b"pfadd", *argv[1:]], event=b"pfadd")
    return int(changed)


@command("pfcount", arity=-2, flags="readonly", group="hyperloglog", keys=(
    KeySpec(BeginIndex(1), FindRange(-1), ("RW", "access"), notes="RW because it may change the internal "
            "representation of the key, and propagate to replicas"),), syntax="key [key ...]")
def pfcount(client: Client, argv: list[bytes]) -> object:
    """Return the approximated cardinality of the set(s) observed by the HyperLogLog(s).

    With one key Redis caches the count in the value's header, so PFCOUNT writes that key; the
    write is logged as ``pfcount key`` (replaying it caches the same count)."""
    keyspace = client.keyspace
    values = [keyspace.get_string(key) for key in argv[1:]]
    count, updated = hyperloglog.pfcount(values)
    for key, value in zip(argv[1:], updated):
        if value is not None:
            keyspace.set_string(key, value, KEEP_TTL, logged_as=[b"pfcount", key], event=None)
    return count


@command("pfmerge", arity=-2, flags="write denyoom", keys=(key_at(1, "RW access insert"), after_index(2, "RO access")),
         group="hyperloglog", syntax="destkey:key sourcekey:key [sourcekey ...]")
def pfmerge(client: Client, argv: list[bytes]) -> object:
    """Merge N different HyperLogLogs into a single one."""
    keyspace = client.keyspace
    target = keyspace.get_string(argv[1])
    sources = [keyspace.get_string(key) for key in argv[2:]]
    value = hyperloglog.pfmerge(target, sources, sparse_max_bytes=_sparse_max(client))
    keyspace.set_string(argv[1], value, KEEP_TTL, logged_as=list(argv), event=b"pfadd")
    return OK


@command("pfdebug", arity=3, flags="write denyoom admin", keys=(key_at(2, "RW access"),), group="hyperloglog",
         syntax="subcommand key")
def pfdebug(client: Client, argv: list[bytes]) -> object:
    """Internal commands for debugging HyperLogLog values (GETREG, ENCODING, TODENSE)."""
    keyspace = client.keyspace
    value = keyspace.get_string(argv[2])
    if value is None:
        raise NoSuchHllKeyError()
    if not hyperloglog.is_hll(value):
        raise InvalidHllError()
    subcommand = argv[1].lower()
    if subcommand == b"encoding":
        return Status(hyperloglog.encoding_of(value))
    if subcommand in (b"getreg", b"todense"):
        dense = hyperloglog.to_dense(value)
        converted = dense is not value and dense != value
        if converted:
            keyspace.set_string(argv[2], dense, KEEP_TTL, logged_as=list(argv), event=None)
        if subcommand == b"todense":
            return int(converted)
        return hyperloglog.registers(dense)
    raise unknown_pfdebug_subcommand(argv[1])
