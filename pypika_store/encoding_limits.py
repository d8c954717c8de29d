"""The limits behind OBJECT ENCODING: up to which size Redis 7.0 keeps a collection in its
compact encoding (listpack, intset). The server changes them on CONFIG SET
(``hash-max-listpack-entries``...); the type stores read them when asked for an encoding, so a
new limit applies to every key at once (in Redis it applies to the next write of a key; a
value here is never converted back, as in Redis, only reported from its current size).
"""

from __future__ import annotations

from dataclasses import dataclass

from .storage.records import TAG_HASH, TAG_SET, TAG_ZSET


@dataclass
class CompactLimit:
    """A collection stays compact up to ``entries`` elements, each at most ``element_bytes``
    long (None: no per-element limit, as an intset's)."""

    entries: int
    element_bytes: int | None


class EncodingLimits:
    """One per engine: the compact-encoding limits of each collection type, Redis' defaults."""

    def __init__(self) -> None:
        self.hash = CompactLimit(512, 64)     # hash-max-listpack-entries / -value
        self.zset = CompactLimit(128, 64)     # zset-max-listpack-entries / -value
        self.set = CompactLimit(512, None)    # set-max-intset-entries
        #: The limit each type store reads, by meta record tag (lists and streams have none).
        self.by_tag: dict[int, CompactLimit] = {TAG_HASH: self.hash, TAG_ZSET: self.zset, TAG_SET: self.set}
