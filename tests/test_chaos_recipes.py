"""The recipes of docs/fault-injection.md run as written, with the pytest plugin's fixtures."""

from __future__ import annotations

import os
import re

pytest_plugins = ["pytester"]

DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "fault-injection.md")


def recipes() -> list[str]:
    """Every ```python block of the document that defines a test."""
    with open(DOC, encoding="utf-8") as handle:
        blocks = re.findall(r"```python\n(.*?)```", handle.read(), re.S)
    return [block for block in blocks if block.startswith("def test_")]


def test_every_recipe_passes(pytester):
    found = recipes()
    assert len(found) >= 3
    pytester.makepyfile("\n\n".join(found))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=sum(block.count("\ndef test_") + 1 for block in found))
