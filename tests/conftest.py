"""Shared fixtures: one pypika-store and one real redis-server per test session, flushed per test."""

from __future__ import annotations

import pytest

from pypika_store.testing import PikaServer

from .support import Differential, RealRedis, require_redis_server


@pytest.fixture(scope="session")
def pika_server():
    """A pypika-store in a background thread, shared by the session."""
    with PikaServer() as server:
        yield server


@pytest.fixture
def r(pika_server):
    """A redis-py client on the shared pypika-store; every DB is flushed after the test."""
    client = pika_server.client()
    yield client
    client.flushall()
    client.close()


@pytest.fixture(scope="session")
def real_redis():
    require_redis_server()
    server = RealRedis()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def private_redis():
    """A redis-server of this test module alone (its tests may reconfigure or flush it freely)."""
    require_redis_server()
    server = RealRedis()
    yield server
    server.stop()


@pytest.fixture
def diff(real_redis, pika_server):
    """Compare raw replies of redis-server and pypika-store, both flushed before and after."""
    differential = Differential(real_redis.port, pika_server.port)
    differential.both("FLUSHALL")
    yield differential
    differential.both("FLUSHALL")
    differential.close()
