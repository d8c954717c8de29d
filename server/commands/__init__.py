"""Command families, one module each; importing this package registers them all."""

from . import connection, keys, strings  # noqa: F401
