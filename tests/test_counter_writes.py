"""INCR and INCRBYFLOAT over a live string write its new value in one put
(Keyspace.rewrite_string): everything the full write did stays, checked here on keys with a TTL,
where a missed expiry update would show."""

from __future__ import annotations

import os

import pytest
import redis

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.testing import PikaGroup

FAR_FUTURE_MS = 4102444800123


def _logged(server) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", "log_db0")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


def test_counters_over_keys_with_a_ttl_keep_it_break_watches_log_and_replicate():
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        master.set("n", "5", pxat=FAR_FUTURE_MS)
        master.set("f", "1.5", pxat=FAR_FUTURE_MS)
        watcher = master.pipeline()
        watcher.watch("n")
        assert master.incr("n") == 6
        watcher.multi()
        watcher.get("n")
        with pytest.raises(redis.WatchError):  # EXEC answered nil: the INCR broke the watch
            watcher.execute()
        assert master.incrby("n", 10) == 16
        assert master.decrby("n", 20) == -4
        assert master.incrbyfloat("f", 1) == 2.5
        assert master.incr("fresh") == 1
        assert [master.pexpiretime(key) for key in ("n", "f", "fresh")] == [FAR_FUTURE_MS, FAR_FUTURE_MS, -1]
        assert master.object("encoding", "n") == b"int"
        pxat = str(FAR_FUTURE_MS).encode()
        assert _logged(group.master)[-4:] == [
            [b"set", b"n", b"16", b"pxat", pxat], [b"set", b"n", b"-4", b"pxat", pxat],
            [b"set", b"f", b"2.5", b"pxat", pxat], [b"set", b"fresh", b"1"]]
        digest = master.execute_command("DEBUG", "DIGEST")
        group.wait_synced()
        slave = group.slaves[0].client()
        assert slave.execute_command("DEBUG", "DIGEST") == digest
        assert slave.pexpiretime("n") == FAR_FUTURE_MS
        group.master.restart()
        restarted = group.master.client()
        assert restarted.execute_command("DEBUG", "DIGEST") == digest
        assert restarted.mget("n", "f", "fresh") == [b"-4", b"2.5", b"1"]
