"""Command families, one module each; importing this package registers them all.

Every module of this package is imported (registration happens at import, through the
``@command`` decorator), so adding a command family is adding a module; the order does not
matter, a container's subcommands may come before the container itself.
"""

import importlib
import pkgutil

from ..registry import TABLE

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

TABLE.check_declared()
