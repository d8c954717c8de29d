"""Full-sync faults made with command faults on the master's PIKAREPL requests: a master busy
with its bgsave for a while (TRYAGAIN), a transfer cut midway, a slow transfer, a corrupted chunk."""

from __future__ import annotations

import pytest

from pypika_store.testing import PikaGroup, PikaServer

from .support import wait_until


@pytest.fixture
def master_with_data():
    with PikaGroup(slaves=0, config={"repl-chunk-size": "4096"}) as group:
        group.master.client().mset({f"key:{index}": "v" * 100 for index in range(400)})
        yield group.master


def _full_sync(master, slave_server) -> None:
    slave = slave_server.client()
    slave.slaveof(master.host, master.port)
    digest = master.client().execute_command("DEBUG", "DIGEST")
    wait_until(lambda: slave.info("replication").get("master_link_status") == "up"
               and slave.execute_command("DEBUG", "DIGEST") == digest, timeout=60, what="the full sync")


def _fault(master, name: str) -> dict:
    (entry,) = [entry for entry in master.chaos_list() if entry.get("name") == name]
    return entry


def test_a_master_answering_tryagain_for_a_while_is_retried(master_with_data):
    master = master_with_data
    master.fault("busy", command="pikarepl|snapshot", count=3,
                 error="TRYAGAIN the db is doing bgsave, try again later")
    with PikaServer(config={"repl-chunk-size": "4096"}) as slave:
        _full_sync(master, slave)
    assert _fault(master, "busy")["hits"] == 3


def test_a_transfer_cut_midway_resumes_and_completes(master_with_data):
    master = master_with_data
    master.fault("cut", command="pikarepl|file", close=True, nth=3, count=1)
    with PikaServer(config={"repl-chunk-size": "4096"}) as slave:
        _full_sync(master, slave)
        assert slave.client().dbsize() == 400
    fault = _fault(master, "cut")
    assert fault["hits"] == 1 and fault["matched"] > 3  # the transfer went on after the cut


def test_a_slow_transfer_keeps_the_sync_in_progress(master_with_data):
    master = master_with_data
    master.fault("slow", command="pikarepl|file", delay=100)
    with PikaServer(config={"repl-chunk-size": "4096"}) as slave:
        client = slave.client()
        client.slaveof(master.host, master.port)
        wait_until(lambda: client.info("replication").get("master_sync_in_progress") == 1,
                   what="the full sync to start")
        wait_until(lambda: _fault(master, "slow")["hits"] >= 3, what="three slow chunks")
        assert client.info("replication")["master_sync_in_progress"] == 1
        master.chaos_reset()
        wait_until(lambda: client.dbsize() == 400, timeout=60, what="the transfer to finish")


def test_a_corrupted_chunk_is_caught_by_its_checksum_and_fetched_again(master_with_data):
    master = master_with_data
    master.fault("bitrot", command="pikarepl|file", corrupt=True, nth=2, count=2)
    with PikaServer(config={"repl-chunk-size": "4096"}) as slave:
        _full_sync(master, slave)
        assert slave.client().dbsize() == 400
    assert _fault(master, "bitrot")["hits"] == 2
