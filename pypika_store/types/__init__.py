"""The collection types' stores (one module per type) and their shared base."""

from __future__ import annotations

from ..encoding_limits import EncodingLimits
from ..object_ids import ObjectIdCounter
from ..turn import Turn
from .collection import CollectionStore, KeyRecords
from .hashes import HashStore
from .lists import ListStore
from .sets import SetStore
from .streams import StreamStore
from .zsets import ZsetStore

STORE_CLASSES: tuple[type[CollectionStore], ...] = (HashStore, ListStore, SetStore, ZsetStore, StreamStore)


def make_stores(keyspace: KeyRecords, turn: Turn, object_ids: ObjectIdCounter,
                limits: EncodingLimits) -> dict[int, CollectionStore]:
    """One store per collection type for a logical DB, by meta record tag; each reads its
    compact-encoding limit from the engine's ``limits``."""
    return {cls.tag: cls(keyspace, turn, object_ids, limits.by_tag.get(cls.tag)) for cls in STORE_CLASSES}
