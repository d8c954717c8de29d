"""Command families, one module each; importing this package registers them all.

Every module of this package is imported (registration happens at import, through the
``@command`` decorator), so adding a command family is adding a module.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
