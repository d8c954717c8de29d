"""Command families, one module each; importing this package registers them all."""

from . import (  # noqa: F401
    admin,
    bitmaps,
    clients,
    config,
    connection,
    hashes,
    introspection,
    keys,
    lists,
    persistence,
    sets,
    strings,
)
