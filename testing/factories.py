"""Fixture factories in pytest-redis' style.

    from pypika_store.testing import factories

    pika_my_proc = factories.pika_proc(port=None, config={"sync-policy": "always"})
    pika_my = factories.pika_db("pika_my_proc")

Settings resolve as in pytest-redis: factory argument > ``--pika-*`` command-line option >
``pika_*`` ini value > built-in default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .embedded import PikaServer
from .group import PikaGroup
from .sentinel import SentinelGroup


def _setting(request: pytest.FixtureRequest, name: str, given: Any) -> Any:
    if given is not None:
        return given
    option = request.config.getoption(f"pika_{name}", default=None)
    if option is not None:
        return option
    return request.config.getini(f"pika_{name}") or None


def pika_proc(host: str | None = None, port: int | None = None, mode: str | None = None,
              password: str | None = None, data_dir: str | None = None,
              config: dict[str, Any] | None = None):
    """A session-scoped fixture that starts a pypika-store and stops it after the session.

    The port defaults to one the OS picks, so pytest-xdist workers never collide.
    """

    @pytest.fixture(scope="session")
    def pika_proc_fixture(request: pytest.FixtureRequest):
        chosen_port = _setting(request, "port", port)
        server = PikaServer(
            mode=_setting(request, "mode", mode) or "thread",
            host=_setting(request, "host", host) or "127.0.0.1",
            port=int(chosen_port) if chosen_port else 0,
            password=_setting(request, "password", password),
            data_dir=data_dir,
            config=config,
        )
        server.start()
        yield server
        server.stop()

    return pika_proc_fixture


@dataclass
class NoopPika:
    """A server someone else runs (``pika_noproc``): where it is and how to log in."""

    host: str
    port: int
    password: str | None = None

    def client(self, **kwargs: Any):
        import redis

        kwargs.setdefault("password", self.password)
        return redis.Redis(host=self.host, port=self.port, **kwargs)


def pika_noproc(host: str | None = None, port: int | None = None, password: str | None = None):
    """A session-scoped fixture for an already running server (default 127.0.0.1:9221)."""

    @pytest.fixture(scope="session")
    def pika_noproc_fixture(request: pytest.FixtureRequest) -> NoopPika:
        return NoopPika(
            host=_setting(request, "host", host) or "127.0.0.1",
            port=int(_setting(request, "port", port) or 9221),
            password=_setting(request, "password", password),
        )

    return pika_noproc_fixture


def pika_db(process_fixture_name: str, dbnum: int = 0, decode: bool | None = None):
    """A function-scoped redis-py client on the server of ``process_fixture_name``.

    Every DB is flushed after each test, so tests start empty and never see each other's keys.
    """

    @pytest.fixture
    def pika_db_fixture(request: pytest.FixtureRequest):
        server = request.getfixturevalue(process_fixture_name)
        decode_responses = decode if decode is not None else bool(request.config.getini("pika_decode"))
        client = server.client(db=dbnum, decode_responses=decode_responses)
        yield client
        client.flushall()
        client.close()

    return pika_db_fixture


def pika_group(slaves: int = 2, mode: str | None = None, password: str | None = None,
               config: dict[str, Any] | None = None, scope: str = "function"):
    """A fixture for a replication group: a master and ``slaves`` slaves already following it
    (:class:`~pypika_store.testing.PikaGroup`); stopped after the test (or ``scope``)."""

    @pytest.fixture(scope=scope)
    def pika_group_fixture(request: pytest.FixtureRequest):
        group = PikaGroup(slaves=slaves, mode=_setting(request, "mode", mode) or "thread",
                          config=config, password=_setting(request, "password", password))
        with group:
            yield group

    return pika_group_fixture


@dataclass
class FailoverGroup:
    """What ``pika_sentinel_group`` yields: the replication group and the sentinels watching it."""

    pika: PikaGroup
    sentinels: SentinelGroup

    def sentinel_client(self, **kwargs: Any):
        """A ``redis.sentinel.Sentinel`` on these sentinels (``master_for(MASTER_NAME)``...)."""
        from redis.sentinel import Sentinel

        return Sentinel(self.sentinels.addresses, **kwargs)


def pika_sentinel_group(slaves: int = 2, sentinels: int = 3, quorum: int = 2, down_after_ms: int = 1000,
                        failover_timeout_ms: int = 5000, config: dict[str, Any] | None = None,
                        scope: str = "function"):
    """A fixture for failover tests: a pypika-store master and ``slaves`` slaves as separate
    processes (so they can be killed), watched by ``sentinels`` real redis-sentinel processes
    under the name ``mymaster``; everything synced and known to every sentinel before the
    test starts, everything stopped after it."""

    @pytest.fixture(scope=scope)
    def pika_sentinel_group_fixture():
        with PikaGroup(slaves=slaves, mode="process", config=config) as group:
            group.wait_synced()
            with SentinelGroup(group.master, count=sentinels, quorum=quorum, down_after_ms=down_after_ms,
                               failover_timeout_ms=failover_timeout_ms) as watching:
                watching.wait_for_replicas(slaves)
                yield FailoverGroup(group, watching)

    return pika_sentinel_group_fixture
