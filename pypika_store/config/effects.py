"""Configuration values that the engine reads through its own objects rather than the config
table: the compact-encoding limits behind OBJECT ENCODING (:mod:`pypika_store.encoding_limits`).
The server applies them at start-up and after each CONFIG SET of one of these options."""

from __future__ import annotations

from ..encoding_limits import EncodingLimits
from .store import Config

#: Option -> (the collection type's limit in EncodingLimits, the field of that limit).
ENCODING_OPTIONS: dict[str, tuple[str, str]] = {
    "hash-max-listpack-entries": ("hash", "entries"),
    "hash-max-listpack-value": ("hash", "element_bytes"),
    "zset-max-listpack-entries": ("zset", "entries"),
    "zset-max-listpack-value": ("zset", "element_bytes"),
    "set-max-intset-entries": ("set", "entries"),
}


def apply_encoding_limits(config: Config, limits: EncodingLimits) -> None:
    """Copy the configured thresholds into the engine's ``limits``."""
    for option, (kind, limit_field) in ENCODING_OPTIONS.items():
        setattr(getattr(limits, kind), limit_field, config.get_int(option))
