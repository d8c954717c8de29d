"""docs/ stays true: the generated tables match the code."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_generated_documents_are_current():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_docs.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _gen_docs():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import gen_docs

    return gen_docs


def test_compatibility_lists_every_redis_and_pika_command():
    gen_docs = _gen_docs()
    table = gen_docs.compatibility_table()
    listed = {line.split(" | ")[0][2:].replace("\\|", "|") for line in table.splitlines() if line.startswith("| ")}
    assert gen_docs.redis_commands() <= listed and gen_docs.PIKA_COMMANDS <= listed
    for line in table.splitlines():
        if line.startswith("| ") and line.split(" | ")[3] in ("no", "partial"):
            assert line.split(" | ")[4].strip(" |"), f"no reason given: {line}"


def test_planned_and_refused_commands_are_not_implemented():
    """A command someone implements leaves PLANNED / NEVER (the table would otherwise say why
    it is missing while it exists)."""
    gen_docs = _gen_docs()
    ours = gen_docs.our_commands()
    assert not set(ours) & (set(gen_docs.planned_commands()) | set(gen_docs.NEVER))
