"""FAILOVER's refusals that need a replica connected but not yet streaming (Redis: a replica
not online, still waiting for its full sync), against redis-server: a fake replica holds each
server in that state (ours: a MetaSync without STREAM; Redis': a PSYNC waiting for its
diskless sync's delay)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from pypika_store.testing import PikaServer

from .support import RawConnection, Stat, wait_until

#: The port the fake replica announces.
REPLICA_PORT = 4444


@contextmanager
def _pending_replica_of_redis(port: int):
    admin = RawConnection(port)
    admin.call("CONFIG", "SET", "repl-diskless-sync", "yes")
    admin.call("CONFIG", "SET", "repl-diskless-sync-delay", "600")  # the sync waits: not online
    replica = RawConnection(port)
    assert replica.call("REPLCONF", "listening-port", str(REPLICA_PORT)) == Stat("OK")
    replica.send_raw(b"PSYNC ? -1\r\n")
    wait_until(lambda: b"slave0:" in admin.call("INFO", "replication"), what="redis-server to see the replica")
    try:
        yield admin
    finally:
        replica.close()
        admin.call("CONFIG", "SET", "repl-diskless-sync-delay", "5")
        admin.close()


@contextmanager
def _pending_replica_of_ours(port: int):
    admin = RawConnection(port)
    replica = RawConnection(port)
    replica.call("PIKAREPL", "META", str(REPLICA_PORT), "")  # registered, never streams
    try:
        yield admin
    finally:
        replica.close()
        admin.close()


#: Each call, with a replica connected that is not online.
CALLS = [
    ("FAILOVER", "TO", "127.0.0.1", str(REPLICA_PORT)),            # target replica is not online
    ("FAILOVER", "TO", "127.0.0.1", str(REPLICA_PORT), "TIMEOUT", "100", "FORCE"),
    ("FAILOVER", "TO", "127.0.0.1", str(REPLICA_PORT + 1)),        # not a replica
    ("FAILOVER", "TO", "localhost", str(REPLICA_PORT)),            # a name is no address
    ("FAILOVER", "TO", "127.0.0.1", str(REPLICA_PORT), "FORCE"),   # force needs a timeout first
    ("FAILOVER", "FORCE", "TIMEOUT", "10"),
    ("FAILOVER", "ABORT"),
    ("FAILOVER", "TIMEOUT", "0"),
]


@pytest.fixture(scope="module")
def refusals(private_redis):
    """Each call's reply from both servers, each holding a replica that is not online."""
    with PikaServer() as server:
        with _pending_replica_of_redis(private_redis.port) as redis_admin:
            expected = [redis_admin.call(*call) for call in CALLS]
        with _pending_replica_of_ours(server.port) as our_admin:
            actual = [our_admin.call(*call) for call in CALLS]
            assert our_admin.call("INFO", "replication").count(b"state=wait_bgsave") == 1
    return expected, actual


@pytest.mark.parametrize("index", range(len(CALLS)), ids=[" ".join(call) for call in CALLS])
def test_refusals_with_a_replica_not_online_match_redis(refusals, index):
    expected, actual = refusals
    assert actual[index] == expected[index]


def test_the_target_not_online_is_refused_with_redis_text(refusals):
    _expected, actual = refusals
    assert actual[0] == "ERR FAILOVER target replica is not online."
