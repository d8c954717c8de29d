"""Binlog purging: Pika's rules, holders, PURGELOGSTO."""

from __future__ import annotations

import os

import pytest

from pypika_store.binlog.purge import purgeable
from pypika_store.binlog.reader import file_numbers
from pypika_store.testing import PikaServer

DAY = 86400.0


def test_count_rule_keeps_expire_logs_nums_files():
    numbers = list(range(25))
    mtimes = {n: 1000.0 for n in numbers}
    assert purgeable(numbers, 24, 10, 7, mtimes, now=1000.0) == list(range(15))  # down to 10 files
    assert purgeable(numbers, 24, 20, 7, mtimes, now=1000.0) == list(range(5))


def test_age_rule_and_target_and_holders():
    numbers = list(range(15))
    old = {n: 0.0 for n in numbers}
    assert purgeable(numbers, 14, 100, 7, old, now=8 * DAY) == [0, 1, 2, 3, 4]  # while > 10 remain, if old
    young = {n: 8 * DAY for n in numbers}
    assert purgeable(numbers, 14, 100, 7, young, now=8 * DAY) == []
    assert purgeable(numbers, 14, 100, 7, young, now=8 * DAY, target=2) == [0, 1, 2]
    assert purgeable(numbers, 14, 100, 7, young, now=8 * DAY, target=12) == [0, 1, 2, 3, 4]  # never the 10 newest
    assert purgeable(numbers, 14, 100, 7, young, now=8 * DAY, target=12, oldest_needed=3) == [0, 1, 2]


def test_purgelogsto_through_the_server(tmp_path):
    with PikaServer(data_dir=str(tmp_path), config={"binlog-file-size": 1024, "expire-logs-nums": 100000}) as server:
        client = server.client()
        for number in range(400):
            client.set(f"key{number}", "x" * 100)
        directory = os.path.join(server.data_dir, "log", "log_db0")
        before = file_numbers(directory)
        assert len(before) > 15
        assert client.execute_command("PURGELOGSTO", "write2file3") == b"OK"
        after = file_numbers(directory)
        assert after[0] == 4 and after[-1] == before[-1]
        with pytest.raises(Exception, match="Invalid Argument"):
            client.execute_command("PURGELOGSTO", "nonsense")
        assert client.get("key0") == b"x" * 100  # purging never touches data
