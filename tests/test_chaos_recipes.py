"""The recipes of docs/fault-injection.md run as written, with the pytest plugin's fixtures; and
the five Pika incidents (docs/fault-injection.md, "Pika's incidents, on purpose"), each a short
test using only the public fixtures and controls, shown in the document as they are here."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import sys

import pytest

from pypika_store.testing import PikaGroup, PikaServer, SentinelGroup, wait_for

pytest_plugins = ["pytester"]

DOC = os.path.join(os.path.dirname(__file__), "..", "docs", "fault-injection.md")
needs_sentinel = pytest.mark.skipif(shutil.which("redis-sentinel") is None and shutil.which("redis-server") is None,
                                    reason="redis-sentinel is not installed")


def _document() -> str:
    with open(DOC, encoding="utf-8") as handle:
        return handle.read()


def _incident_names() -> set[str]:
    return {name for name in dir(sys.modules[__name__]) if name.startswith("test_incident_")}


def recipes() -> list[str]:
    """Every ```python block of the document that defines a test, but the incidents (they run here)."""
    blocks = re.findall(r"```python\n(.*?)```", _document(), re.S)
    return [block for block in blocks if block.startswith("def test_") and not block.startswith("def test_incident_")]


def test_every_recipe_passes(pytester):
    found = recipes()
    assert len(found) >= 3
    pytester.makepyfile("\n\n".join(found))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=sum(block.count("\ndef test_") + 1 for block in found))


def test_the_document_shows_every_incident_as_it_runs_here():
    document = _document()
    names = _incident_names()
    assert len(names) == 5
    for name in names:
        source = inspect.getsource(globals()[name])
        body = source[source.index("def "):]  # without the skip mark
        assert body in document, f"{name} differs from its recipe in docs/fault-injection.md"


# -- Pika's incidents, on purpose -------------------------------------------------------------------

@needs_sentinel
def test_incident_sentinel_promotes_the_slave_that_has_the_writes():
    with PikaGroup(slaves=2) as group, SentinelGroup(group.master) as sentinels:
        sentinels.wait_for_replicas(2)
        behind, ahead = group.slaves
        with behind.link.stall():  # connected and listed, but it hears nothing more
            r = group.master.client()
            for number in range(100):
                r.rpush("orders", number)
            assert r.wait(1, 5000) == 1  # `ahead` has them
            wait_for(lambda: {int(replica["slave-repl-offset"]) for replica in sentinels.replicas()} ==
                     {behind.client().info("replication")["slave_repl_offset"], r.info()["master_repl_offset"]},
                     10, "the sentinels to see both offsets")
            with group.master.stall():
                assert sentinels.wait_for_failover(old=group.master.port)[1] == ahead.port
        assert ahead.client().llen("orders") == 100


def test_incident_a_cut_slave_says_since_when_its_link_is_down(pika_group):
    slave = pika_group.slaves[0]
    with slave.link.drop():
        info = slave.client().info("replication")
        assert info["master_link_status"] == "down"
        assert info["master_link_down_since_seconds"] == 0
        wait_for(lambda: slave.client().info("replication")["master_link_down_since_seconds"] >= 1, 5,
                 "a second of the link down")
    pika_group.wait_synced()
    assert "master_link_down_since_seconds" not in slave.client().info("replication")


def test_incident_items_sent_again_after_a_snapshot_are_not_applied_twice(pika_group):
    master, slave = pika_group.master, pika_group.slaves[0]
    r = master.client()
    r.mset({f"key:{number}": number for number in range(20)})
    r.config_set("repl-snapshot-reuse-seconds", 0)  # a new bgsave for this full sync
    r.config_set("rdb-key-save-delay", 50_000)  # 50 ms a key: it lasts a second
    slave.client().execute_command("SLAVEOF", master.host, master.port, "FORCE")  # a full sync
    wait_for(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 1, 10, "the bgsave")
    for _ in range(10):
        r.incr("counter")  # after the snapshot's position, while it is being saved
    pika_group.wait_synced()
    master.stream_to(slave).rewind(10)  # the stream sends the ten INCRs again
    wait_for(lambda: slave.client().info("replication")["repl_duplicates_skipped"] >= 10, 10, "the duplicates")
    pika_group.wait_synced()
    assert slave.client().get("counter") == b"10"


@needs_sentinel
def test_incident_an_old_master_comes_back_as_a_slave():
    with PikaGroup(slaves=2) as group, SentinelGroup(group.master) as sentinels:
        sentinels.wait_for_replicas(2)
        old = group.master
        old.client().set("before", "v")
        group.wait_synced()
        cut = [slave.link.drop() for slave in group.slaves]
        old.client().set("lost", "only the old master has it")  # its binlog goes past the others'
        with old.stall():
            new_host, new_port = sentinels.wait_for_failover(old=old.port)
            for healing in cut:
                healing.heal()
        wait_for(lambda: old.client().info("replication").get("master_port") == new_port
                 and old.client().info("replication")["master_link_status"] == "up", 30, "the old master to follow")
        assert old.client().get("before") == b"v"
        assert old.client().get("lost") is None  # it took the new master's history


def test_incident_slaves_added_in_a_row_wait_for_the_snapshot_and_never_skip_it():
    with PikaGroup(slaves=0) as group:
        master = group.master
        master.client().mset({f"key:{number}": number for number in range(100)})
        with master.full_sync.delay(1500), PikaServer() as first, PikaServer() as second:
            first.client().slaveof(master.host, master.port)
            second.client().slaveof(master.host, master.port)  # while the first one's snapshot is made
            master.client().set("during", "the snapshot")
            digest = master.client().execute_command("DEBUG", "DIGEST")
            for slave in (first, second):
                wait_for(lambda: slave.client().execute_command("DEBUG", "DIGEST") == digest, 60, "the full sync")
                assert slave.client().info("replication")["repl_full_syncs"] == 1
