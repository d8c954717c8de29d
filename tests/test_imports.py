"""The layers import one way: pypika_store <- replication <- server <- testing, and only
pypika_store/storage/ touches lmdb.

Every import statement of every module is read with ``ast``: module level, inside functions,
and under ``if TYPE_CHECKING:`` alike, so a layer cannot lean on another even for a type hint.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Source folder -> the import name it is installed under (pyproject.toml's package-dir).
PACKAGES = {
    "pypika_store": "pypika_store",
    "replication": "pypika_store.replication",
    "server": "pypika_store.server",
    "testing": "pypika_store.testing",
}

#: What each layer must never import (the installed names of the layers above it).
FORBIDDEN = {
    "pypika_store": ("pypika_store.replication", "pypika_store.server", "pypika_store.testing"),
    "replication": ("pypika_store.server", "pypika_store.testing"),
    "server": ("pypika_store.testing",),
    "testing": (),
}


def _module_name(folder: str, path: Path) -> str:
    parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGES[folder], *parts])


def _imports(folder: str, path: Path) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in the file, relative ones resolved."""
    module = _module_name(folder, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # ``from . import commands`` names a submodule in the alias
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


def _sources(folder: str) -> list[Path]:
    return sorted(path for path in (ROOT / folder).rglob("*.py") if "__pycache__" not in path.parts)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("folder", list(PACKAGES))
def test_a_layer_never_imports_the_layers_above_it(folder):
    offending = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                 for path in _sources(folder) for line, name in _imports(folder, path)
                 if any(_within(name, above) for above in FORBIDDEN[folder])]
    assert offending == []


def test_only_the_storage_package_imports_lmdb():
    storage = ROOT / "pypika_store" / "storage"
    offending = [f"{path.relative_to(ROOT)}:{line}"
                 for folder in PACKAGES for path in _sources(folder)
                 if storage not in path.parents
                 for line, name in _imports(folder, path) if _within(name, "lmdb")]
    assert offending == []


def test_the_checker_sees_imports_in_every_form(tmp_path, monkeypatch):
    """The checker itself: relative, function-level and TYPE_CHECKING imports are all found."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "replication" / "sample.py"
    module.parent.mkdir()
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ..server.app import Server\n"
        "def late():\n"
        "    import lmdb\n"
        "    from pypika_store.server import connection\n"
    )
    names = [name for _line, name in _imports("replication", module)]
    assert "pypika_store.server.app" in names
    assert "lmdb" in names
    assert "pypika_store.server" in names
