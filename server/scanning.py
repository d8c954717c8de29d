"""HSCAN, SSCAN and ZSCAN: the walk over a collection's members they share (SCAN itself walks
the keyspace, in the keys commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from pypika_store.types.collection import CollectionStore

from .arguments import ScanOptions, parse_cursor

if TYPE_CHECKING:
    from .connection import Client

#: Up to this many members a collection is answered by one scan call with cursor 0, as Redis
#: does for its compact encodings (listpack, intset), whatever COUNT says.
COMPACT_SCAN = 128


def scan_collection(client: "Client", store: CollectionStore, argv: list[bytes],
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
