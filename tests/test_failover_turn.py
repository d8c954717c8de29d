"""FAILOVER in the same turn as writes before it: they are replied once the turn commits, so
FAILOVER commits them first and waits for the slave to have them too (it checked the binlog
end before the turn reached the binlog, and could hand over a slave that missed them: an
acknowledged write lost; tests/test_failover.py's steady writer lost its last write so, once a
stopped slave no longer applied what arrived after SLAVEOF NO ONE)."""

from __future__ import annotations

from pypika_store.testing import PikaGroup

from .support import RawConnection, Stat, wait_until
from .test_failover import _failover_state, _stopped, _swapped


def test_a_write_in_the_failovers_turn_is_waited_for():
    with PikaGroup(slaves=1, mode="process") as group:
        group.wait_synced()
        master, slave = group.master, group.slaves[0]
        with _stopped(slave):  # it acknowledges nothing meanwhile
            client = RawConnection(master.port)
            assert client.pipeline([("RPUSH", "log", "in-the-same-turn"), ("FAILOVER",)]) == [1, Stat("OK")]
            client.close()
            assert _failover_state(master) == "waiting-for-sync"  # not handed over to a slave lacking it
        wait_until(lambda: _swapped(master, slave), timeout=30, what="the roles to swap")
        assert slave.client().lrange("log", 0, -1) == [b"in-the-same-turn"]
