"""The collection types' stores (one module per type) and their shared base."""

from __future__ import annotations

from ..object_ids import ObjectIdCounter
from ..turn import Turn
from .collection import CollectionStore, KeyRecords
from .hashes import HashStore
from .lists import ListStore
from .sets import SetStore
from .streams import StreamStore
from .zsets import ZsetStore

STORE_CLASSES: tuple[type[CollectionStore], ...] = (HashStore, ListStore, SetStore, ZsetStore, StreamStore)


def make_stores(keyspace: KeyRecords, turn: Turn, object_ids: ObjectIdCounter) -> dict[int, CollectionStore]:
    """One store per collection type for a logical DB, by meta record tag."""
    return {cls.tag: cls(keyspace, turn, object_ids) for cls in STORE_CLASSES}
