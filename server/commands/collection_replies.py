"""Helpers the collection command modules share: arity errors raised by handlers, random counts,
and the HSCAN/SSCAN/ZSCAN walk."""

from __future__ import annotations

from typing import Callable, Iterable

from pypika_store.errors import CommandError
from pypika_store.types.collection import CollectionStore

from ..connection import Client
from .args import parse_int
from .scanning import ScanOptions, parse_cursor

#: Up to this many members a collection is answered by one scan call with cursor 0, as Redis
#: does for its compact encodings (listpack, intset), whatever COUNT says.
COMPACT_SCAN = 128

_LONG_MAX = 2**63 - 1


def wrong_arity(argv: list[bytes]) -> CommandError:
    """The arity error for a call whose argument count fails a check the table cannot express
    (HSET's field/value pairs, ...)."""
    return CommandError(f"ERR wrong number of arguments for '{argv[0].decode('utf-8', 'replace').lower()}' command")


def random_count(arg: bytes, with_values: bool = False) -> int:
    """The count of SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: within ±LONG_MAX, and a negative
    count with values must not overflow when doubled (Redis' checks and texts)."""
    count = parse_int(arg)
    if count < -_LONG_MAX:
        raise CommandError(f"ERR value is out of range, value must between {-_LONG_MAX} and {_LONG_MAX}")
    if with_values and count < -(_LONG_MAX // 2):
        raise CommandError("ERR value is out of range")
    return count


def scan_collection(client: Client, store: CollectionStore, argv: list[bytes],
                    entry: Callable[[bytes, bytes], Iterable[bytes]], prefix: bytes = b"") -> object:
    """HSCAN/SSCAN/ZSCAN ``key cursor [MATCH p] [COUNT n]``: members under ``prefix`` from the
    cursor's resume point, each turned into reply elements by ``entry(member, value)``."""
    cursor = parse_cursor(argv[2])
    options = ScanOptions(argv, 3, allow_type=False)
    collection = store.open(argv[1])
    if collection is None:
        return [b"0", []]
    keyspace = store.keyspace
    start = keyspace.cursors.resume_key(cursor) if cursor else b""
    limit = collection.count if collection.count <= COMPACT_SCAN else options.count
    found: list[bytes] = []
    resume = None
    cut = len(prefix)
    for taken, (suffix, value) in enumerate(store.iter_members(collection, start=prefix + start, prefix=prefix)):
        if taken == limit:
            resume = suffix[cut:]
            break
        member = suffix[cut:]
        if options.match(member):
            found.extend(entry(member, value))
    next_cursor = 0 if resume is None else keyspace.cursors.save(resume)
    return [b"%d" % next_cursor, found]
