"""Command families, one module each; importing this package registers them all."""

from . import admin, bitmaps, clients, config, connection, introspection, keys, persistence, strings  # noqa: F401
