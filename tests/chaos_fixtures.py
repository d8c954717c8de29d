"""Fixtures and helpers the CHAOS tests share: a server of the test module's own (its faults
and clock touch no other module's server), a client that heals everything after each test,
and :func:`holds_for`.

    from .chaos_fixtures import node, r  # noqa: F401  (pytest finds fixtures by name)
"""

from __future__ import annotations

import time

import pytest

from pypika_store.testing import PikaServer


@pytest.fixture(scope="module")
def node():
    with PikaServer() as server:
        yield server


@pytest.fixture
def r(node):
    """A client of ``node``; after the test every fault is healed, active expiry is back on
    and every DB is flushed."""
    client = node.client()
    yield client
    node.chaos_reset()
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    client.flushall()
    client.close()


def holds_for(condition, seconds: float) -> bool:
    """``condition`` stays true for ``seconds`` (polled): what a fault must keep up, not a wait."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            return False
        time.sleep(0.05)
    return True
