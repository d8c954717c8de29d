"""Two slaves promoted apart write the same number of same-sized items: when one then follows
the other, its TrySync must be refused as diverged and it must take the new master's data.

This is why a nemesis run could stay unsettled after healing (benchmarks/nemesis.py, seed 1):
every node at the same offset, every sentinel naming one master, and a slave's DEBUG DIGEST
never the master's. Each promotion moved the binlog term on by one from the node's own term,
which a slave never moves while it follows, so two slaves of one master, promoted one after
the other by Sentinel (the first one's writes lost to the second), both wrote term 1; their
items, alike in size, ended at the same positions with the same logic ids and terms, and the
TrySync took the histories for one."""

from __future__ import annotations

from pypika_store.testing import PikaGroup

from .support import wait_until


def _write(server, prefix: str, count: int) -> None:
    client = server.client()
    for number in range(count):
        client.set(f"{prefix}:{number}", "v")


def test_slaves_promoted_apart_are_told_apart_when_one_follows_the_other():
    with PikaGroup(slaves=2) as group:
        _write(group.master, "base", 10)
        group.wait_synced()
        first, second = group.slaves
        first.client().slaveof()  # SLAVEOF NO ONE: the first promotion
        _write(first, "first", 5)  # never reaching the second
        second.client().slaveof()  # the second promotion, from the same binlog end
        _write(second, "later", 5)
        first.client().slaveof(second.host, second.port)
        digest = second.client().execute_command("DEBUG", "DIGEST")
        wait_until(lambda: first.client().info("replication")["master_link_status"] == "up"
                   and first.client().execute_command("DEBUG", "DIGEST") == digest, timeout=30,
                   what="the first promoted to take the second's data")
        assert first.client().exists("first:0") == 0 and first.client().get("later:4") == b"v"
        assert first.client().info("replication")["repl_full_syncs"] >= 1

