"""The collection types' stores (one module per type) and their shared base."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .collection import CollectionStore
from .hashes import HashStore
from .lists import ListStore
from .sets import SetStore
from .streams import StreamStore
from .zsets import ZsetStore

if TYPE_CHECKING:
    from ..keyspace import Keyspace

STORE_CLASSES: tuple[type[CollectionStore], ...] = (HashStore, ListStore, SetStore, ZsetStore, StreamStore)


def make_stores(keyspace: "Keyspace") -> dict[int, CollectionStore]:
    """One store per collection type for a keyspace, by meta record tag."""
    return {cls.tag: cls(keyspace) for cls in STORE_CLASSES}
