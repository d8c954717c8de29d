"""Every script in benchmarks/ still starts: `--help` imports it and builds its options.

The benchmarks are not run by the suite (they are long and their figures belong in
docs/benchmarks.md), so a change that breaks one of them — a helper it imports from another
script renamed, an option removed — would otherwise only show when someone runs it.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("*.py")
                 if path.name not in ("__init__.py", "conftest.py") and not path.name.startswith("test_"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_starts(script: str) -> None:
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), "--help"], capture_output=True, text=True,
                            timeout=60, cwd=BENCHMARKS.parent)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
