"""Replication's boundaries: it imports the engine and never the server (it reaches the server
through replication/host.py's interface), and its pushed messages read back as they were built."""

from __future__ import annotations

import ast
import pathlib

import pytest

from pypika_store.binlog import Position
from pypika_store.replication.frames import PING, BinlogMessage, decode_pushed, encode_binlog
from pypika_store.replication.link import _ReplyReader

REPLICATION = pathlib.Path(__file__).resolve().parent.parent / "replication"
PACKAGE = "pypika_store.replication"


def _imported_modules(path: pathlib.Path) -> list[str]:
    """Every module ``path`` imports, anywhere in it (TYPE_CHECKING blocks and functions too),
    relative imports resolved."""
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = PACKAGE.split(".")[:len(PACKAGE.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            modules += [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
    return modules


@pytest.mark.parametrize("path", sorted(REPLICATION.glob("*.py")), ids=lambda path: path.name)
def test_replication_never_imports_the_server(path):
    server_imports = [module for module in _imported_modules(path)
                      if module == "pypika_store.server" or module.startswith("pypika_store.server.")]
    assert server_imports == []


def test_relative_imports_resolve_inside_the_package():
    tree_path = REPLICATION / "slave.py"
    assert f"{PACKAGE}.link" in _imported_modules(tree_path)


def _read_back(data: bytes) -> object:
    reader = _ReplyReader()
    reader.feed(data)
    return reader.gets()


def test_a_pushed_binlog_item_reads_back_as_built():
    message = BinlogMessage(db=3, start=Position(7, 1234), logic_id=42, term=5, payload=b"\x00item\r\nbytes")
    data = encode_binlog(*message)
    assert data == (b"*7\r\n$6\r\nbinlog\r\n:3\r\n:7\r\n:1234\r\n:42\r\n:5\r\n$12\r\n\x00item\r\nbytes\r\n")
    assert decode_pushed(_read_back(data)) == message


def test_a_ping_is_no_binlog_item():
    assert _read_back(PING) == [b"ping"]
    assert decode_pushed([b"ping"]) is None
