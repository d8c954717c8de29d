"""Master and slave servers: SLAVEOF, full then incremental sync, read-only slaves, INFO and
ROLE, convergence checked with Redis' DEBUG DIGEST."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import redis

from pypika_store.testing import PikaGroup, PikaServer

from .support import RawConnection, wait_until


def _digest(client) -> bytes:
    return client.execute_command("DEBUG", "DIGEST")


def converged(master, slave) -> bool:
    """The slave's binlog reached the master's end (cheap; positions are aligned), and then
    the two datasets are identical (Redis' DEBUG DIGEST, costly on big datasets)."""
    if master.info("replication")["master_repl_offset"] != slave.info("replication")["slave_repl_offset"]:
        return False
    return _digest(master) == _digest(slave)


def _write_some(client, start: int, count: int) -> None:
    for number in range(start, start + count):
        client.set(f"k{number}", number)
        client.hset(f"h{number % 7}", f"f{number}", number)
        client.rpush(f"l{number % 5}", number)
        client.zadd("z", {f"m{number}": number / 3})
    client.sadd("s", *range(start, start + count))


@pytest.fixture
def pair(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "master")) as master, \
            PikaServer(data_dir=str(tmp_path / "slave")) as slave:
        yield master, slave


def test_slave_full_syncs_then_follows_the_binlog(pair):
    master, slave = pair
    m, s = master.client(), slave.client()
    _write_some(m, 0, 300)
    assert s.slaveof("127.0.0.1", master.port)
    wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link up")
    wait_until(lambda: converged(m, s), timeout=30, what="the slave to converge after the full sync")
    _write_some(m, 300, 200)
    m.delete("h1")
    m.execute_command("SELECT", 3)
    m.set("in-db3", "x")
    wait_until(lambda: converged(m, s), timeout=30, what="the slave to converge incrementally")
    info = s.info("replication")
    assert info["role"] == "slave" and info["master_port"] == master.port and info["slave_read_only"] == 1
    assert info["master_sync_in_progress"] == 0 and info["repl_full_syncs"] == 1
    assert "master_link_down_since_seconds" not in info
    master_info = m.info("replication")
    assert master_info["connected_slaves"] == 1 and master_info["slave0"]["state"] == "online"
    assert s.execute_command("ROLE")[0] == b"slave"
    assert m.execute_command("ROLE")[0] == b"master"
    with pytest.raises(redis.ReadOnlyError):
        s.set("k", "v")
    assert s.get("k1") == b"1"


def test_slaveof_no_one_promotes_at_once(pair):
    master, slave = pair
    s = slave.client()
    s.slaveof("127.0.0.1", master.port)
    wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link up")
    assert s.slaveof() is True  # SLAVEOF NO ONE
    assert s.info("replication")["role"] == "master"
    s.set("writable", "again")


def test_wait_counts_slaves_that_acknowledged(pair):
    master, slave = pair
    m, s = master.client(), slave.client()
    assert m.wait(1, 100) == 0
    s.slaveof("127.0.0.1", master.port)
    wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link up")
    m.set("acked", "1")
    assert m.wait(1, 5000) == 1
    assert s.get("acked") == b"1"


class _Writer:
    """Writes to the master from a thread until stopped: the load the seeds run under."""

    def __init__(self, server) -> None:
        self.client = server.client()
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pipe = self.client.pipeline(transaction=False)
            for _ in range(20):
                self.count += 1
                pipe.set(f"w{self.count % 500}", self.count)
                pipe.hincrby("counters", f"c{self.count % 13}", 1)
                pipe.rpush("log", self.count)
            pipe.execute()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def test_scale_out_three_slaves_under_writes_each_full_sync(tmp_path):
    """Seed scenario A: slaves added one right after the other while a writer runs."""
    with PikaServer(data_dir=str(tmp_path / "m"), mode="process") as master:
        _write_some(master.client(), 0, 100)
        writer = _Writer(master)
        slaves = [PikaServer(data_dir=str(tmp_path / f"s{n}"), mode="process").start() for n in range(3)]
        try:
            for slave in slaves:
                slave.client().slaveof("127.0.0.1", master.port)
            wait_until(lambda: writer.count > 3000, timeout=60, what="writes during the syncs")
            writer.stop()
            m = master.client()
            for slave in slaves:
                s = slave.client()
                wait_until(lambda s=s: converged(m, s), timeout=60, what="each slave to converge")
                info = s.info("replication")
                assert info["repl_full_syncs"] == 1 and info["repl_duplicates_skipped"] == 0
            assert m.llen("log") == writer.count
            assert m.info("replication")["connected_slaves"] == 3
        finally:
            writer.stop()
            for slave in slaves:
                slave.stop()


def test_killed_slave_resumes_from_its_own_position(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m"), mode="process") as master:
        config_file = tmp_path / "slave.conf"
        config_file.write_text("# the slave's pika.conf\n")
        slave = PikaServer(data_dir=str(tmp_path / "s"), mode="process", config_file=str(config_file)).start()
        try:
            m = master.client()
            _write_some(m, 0, 200)
            slave.client().slaveof("127.0.0.1", master.port)
            wait_until(lambda: converged(m, slave.client()), timeout=30, what="first sync")
            slave.client().config_rewrite()
            assert "slaveof" in config_file.read_text()
            slave.kill()
            _write_some(m, 200, 200)
            slave.start()
            s = slave.client()
            wait_until(lambda: s.info("replication").get("master_link_status") == "up", timeout=30,
                       what="the restarted slave to reconnect by itself")
            wait_until(lambda: converged(m, s), timeout=30, what="the restarted slave to converge")
            assert s.info("replication")["repl_full_syncs"] == 0  # partial: it resumed from its binlog
        finally:
            slave.stop()


def _bgsave_inside_a_write_turn(master) -> None:
    """BGSAVE asked in a turn that has written and then stays busy (DEBUG SLEEP), so the bgsave
    finds the DB lock held and is handed it at the turn's release: the race the lock scope is
    about, met on purpose rather than only when a bgsave happens to ask during one of the
    writer's turns (ever rarer the more loaded the machine: twelve misses in a row happened)."""
    holder = RawConnection(master.port)
    try:
        assert holder.pipeline([("SET", "held", "1"), ("BGSAVE",), ("DEBUG", "SLEEP", "0.5")]) == [
            "OK", "Background saving started", "OK"]
    finally:
        holder.close()


@pytest.mark.parametrize("scope", ["command+binlog", "command"])
def test_full_sync_from_a_snapshot_taken_under_writes(tmp_path, scope):
    """Seed scenario B: the bgsave races with writes. With the right lock scope the slave ends
    identical; with Pika's narrow scope the snapshot holds writes past its offset, and the
    sequence checks skip the re-sent items instead of applying them twice."""
    config = {"bgsave-lock-scope": scope}
    with PikaServer(data_dir=str(tmp_path / "m"), mode="process", config=config) as master, \
            PikaServer(data_dir=str(tmp_path / "s"), mode="process") as slave:
        m, s = master.client(), slave.client()
        skipped = pushed = 0
        for _attempt in range(12):
            writer = _Writer(master)
            try:
                wait_until(lambda: writer.count > 200, timeout=30, what="writes")
                _bgsave_inside_a_write_turn(master)  # under the writes; the full sync reuses it
                wait_until(lambda: m.info("persistence")["rdb_bgsave_in_progress"] == 0, what="the bgsave")
                s.execute_command("SLAVEOF", "127.0.0.1", master.port, "FORCE")
                wait_until(lambda: s.info("replication").get("master_link_status") == "up"
                           and s.info("replication")["repl_full_syncs"] >= 1, timeout=60, what="the full sync")
            finally:
                writer.stop()
            pushed += writer.count
            wait_until(lambda: converged(m, s), timeout=60, what="the slave to converge")
            assert s.llen("log") == m.llen("log") == pushed  # nothing applied twice
            skipped = s.info("replication")["repl_duplicates_skipped"]
            if scope == "command+binlog":
                assert skipped == 0
                break
            if skipped:
                break
        if scope == "command":
            assert skipped > 0, "no snapshot ran ahead of its offset in 12 tries"


def _link_up(client) -> bool:
    return client.info("replication").get("master_link_status") == "up"


def test_wrong_masterauth_is_reported_and_retried(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m"), password="secret") as master, \
            PikaServer(data_dir=str(tmp_path / "s"), config={"masterauth": "wrong"}) as slave:
        s = slave.client()
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: s.info("replication")["repl_connect_status"] == "auth failed", what="the auth failure")
        info = s.info("replication")
        assert info["master_link_status"] == "down" and info["master_link_down_since_seconds"] >= 0
        s.config_set("masterauth", "secret")
        wait_until(lambda: _link_up(s), timeout=30, what="the retry with the right password")


def test_cut_link_and_master_restart_resume_partially(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m"), mode="process") as master, \
            PikaServer(data_dir=str(tmp_path / "s"), mode="process") as slave:
        m, s = master.client(), slave.client()
        _write_some(m, 0, 200)
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: converged(m, s), timeout=30, what="the first sync")
        writer = _Writer(master)
        try:
            wait_until(lambda: writer.count > 500, timeout=30, what="writes")
            assert m.client_kill_filter(_type="slave") == 1  # cut the link mid-stream
            wait_until(lambda: writer.count > 2000, timeout=30, what="more writes")
        finally:
            writer.stop()
        wait_until(lambda: converged(m, s), timeout=30, what="convergence after the cut")
        master.restart()
        m = master.client()
        _write_some(m, 200, 100)
        wait_until(lambda: _link_up(s) and converged(m, s), timeout=30, what="convergence after the restart")
        assert s.info("replication")["repl_full_syncs"] == 1  # both resumed from the slave's position


def test_slave_killed_during_full_sync_and_during_writes_converges(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m"), mode="process") as master:
        m = master.client()
        pipe = m.pipeline(transaction=False)
        for number in range(60_000):
            pipe.set(f"bulk:{number}", "x" * 50)
        pipe.execute()
        slave = PikaServer(data_dir=str(tmp_path / "s"), mode="process",
                           config={"throttle-bytes-per-second": 2_000_000}).start()
        try:
            slave.client().slaveof("127.0.0.1", master.port)
            wait_until(lambda: slave.client().info("replication").get("master_sync_read_bytes", 0) > 0,
                       timeout=30, what="the full sync to be under way")
            slave.kill()  # in the middle of the transfer
            slave.start()
            s = slave.client()
            s.slaveof("127.0.0.1", master.port)
            writer = _Writer(master)
            try:
                wait_until(lambda: _link_up(s), timeout=60, what="the resumed full sync")
                slave.kill()  # now during incremental sync, under writes
                slave.start()
                s = slave.client()
                s.slaveof("127.0.0.1", master.port)
                wait_until(lambda: writer.count > 3000, timeout=30, what="writes")
            finally:
                writer.stop()
            wait_until(lambda: converged(m, s), timeout=60, what="convergence")
        finally:
            slave.stop()


def test_master_reports_the_announced_address_and_port(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m")) as master, \
            PikaServer(data_dir=str(tmp_path / "s"),
                       config={"slave-announce-ip": "10.1.2.3", "slave-announce-port": 7777}) as slave:
        slave.client().slaveof("127.0.0.1", master.port)
        wait_until(lambda: _link_up(slave.client()), timeout=30, what="the link")
        line = master.client().info("replication")["slave0"]
        assert line["ip"] == "10.1.2.3" and line["port"] == 7777
        assert master.client().execute_command("ROLE")[2] == [[b"10.1.2.3", b"7777", b"%d" % line["offset"]]]


def test_binlog_files_a_slave_still_needs_are_never_purged(tmp_path):
    config = {"binlog-file-size": 1024}
    with PikaServer(data_dir=str(tmp_path / "m"), mode="process", config=config) as master, \
            PikaServer(data_dir=str(tmp_path / "s"), mode="process") as slave:
        m, s = master.client(), slave.client()
        m.set("first", "write")
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: _link_up(s) and converged(m, s), timeout=30, what="the first sync")
        needed = int(_info_db0(s).split()[0])
        os.kill(slave.pid, signal.SIGSTOP)  # the slave stops acknowledging
        try:
            for number in range(600):
                m.set(f"filler:{number}", "x" * 80)
            newest = int(_info_db0(m).split()[0])
            assert newest > needed + 20
            m.execute_command("PURGELOGSTO", f"write2file{newest}")
            files = sorted(int(name[len("write2file"):]) for name in os.listdir(tmp_path / "m" / "log" / "log_db0")
                           if name.startswith("write2file"))
            assert files[0] <= needed  # the slave's file survived the purge
        finally:
            os.kill(slave.pid, signal.SIGCONT)
        wait_until(lambda: converged(m, s), timeout=30, what="the slave to catch up from the kept files")
        assert s.info("replication")["repl_full_syncs"] == 1


def _info_db0(client) -> str:
    return client.info("replication")["db0"]["binlog_offset"]


def test_slave_repointed_to_a_promoted_slave_syncs_partially(tmp_path):
    """A promoted slave's binlog starts with its snapshot's padding: the other slave, at the
    same position, must be able to follow it without a full sync."""
    with PikaGroup(slaves=2) as group:
        group.master.client().set("k", "v")
        group.wait_synced()
        first, second = (slave.client() for slave in group.slaves)
        first.slaveof()  # promoted
        second.slaveof("127.0.0.1", group.slaves[0].port)
        wait_until(lambda: _link_up(second), timeout=30, what="the re-pointed slave's link")
        assert second.info("replication")["repl_full_syncs"] == 0
        first.set("after", "promotion")
        wait_until(lambda: second.get("after") == b"promotion", timeout=30, what="the new master's writes")


def test_client_kill_type_master_drops_the_link_which_comes_back(pair):
    master, slave = pair
    s = slave.client()
    s.slaveof("127.0.0.1", master.port)
    wait_until(lambda: _link_up(s), timeout=30, what="the link")
    assert master.client().client_kill_filter(_type="normal") >= 0
    assert _link_up(s)  # TYPE normal never cuts a replication link
    assert s.client_kill_filter(_type="master") == 1
    master.client().set("after", "reconnect")
    wait_until(lambda: _link_up(s) and s.get("after") == b"reconnect", timeout=30, what="the link back")
    assert s.info("replication")["repl_full_syncs"] == 1


def test_a_start_after_a_cut_snapshot_load_forces_a_full_sync(tmp_path):
    """The mark a full sync leaves while it loads: the next start trusts neither the data nor
    the binlog, and the next sync is a full one."""
    from pypika_store.replication.slave import UNFINISHED_FULL_SYNC_KEY

    with PikaServer(data_dir=str(tmp_path / "m")) as master, PikaServer(data_dir=str(tmp_path / "s")) as slave:
        master.client().set("k", "v")
        s = slave.client()
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: _link_up(s), timeout=30, what="the first sync")
        s.slaveof()
        engine = slave.server.engine
        marked = threading.Event()

        def mark() -> None:  # on the server's loop: as a full sync does before loading
            engine.set_system_value(UNFINISHED_FULL_SYNC_KEY, b"1")
            engine.end_turn()
            marked.set()

        slave.server.loop.call_soon_threadsafe(mark)
        assert marked.wait(10)
        slave.restart()
        s = slave.client()
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: _link_up(s), timeout=30, what="the resync")
        assert s.info("replication")["repl_full_syncs"] == 1 and s.get("k") == b"v"


def _on_loop(server: PikaServer, function):
    """Run ``function`` on the server's event loop thread (the engine is not thread-safe)."""
    import asyncio

    async def call():
        return function()

    return asyncio.run_coroutine_threadsafe(call(), server.server.loop).result(10)


def test_duplicated_and_reordered_items_are_skipped_or_refused(tmp_path):
    """Idempotent apply: a duplicate is skipped and counted, a gap or a reordering stops the
    stream (the slave then resyncs from its position); what was applied equals the master's data."""
    from pypika_store.binlog import BinlogReader
    from pypika_store.replication.frames import frame_check
    from pypika_store.replication.slave import SlaveReplication, StreamRefused

    with PikaServer(data_dir=str(tmp_path / "m")) as master, PikaServer(data_dir=str(tmp_path / "s")) as slave:
        m = master.client()
        for number in range(10):
            m.rpush("log", number)  # not idempotent: applying an item twice would show
        directory = os.path.join(master.data_dir, "log", "log_db0")
        items = [[b"binlog", 0, start.filenum, start.offset, item.logic_id, item.term_id, item.encode(),
                  frame_check(0, start, item.logic_id, item.term_id, item.encode())]
                 for start, _end, item in BinlogReader(directory).items()]
        assert [item[4] for item in items] == list(range(1, 11))
        follower = SlaveReplication(slave.server, "127.0.0.1", master.port)

        def apply(batch):
            def run():
                try:
                    follower._apply(batch)
                    return None
                finally:
                    slave.server.end_turn()
            return _on_loop(slave, run)

        apply(items[:5])
        apply(items[2:5])  # duplicates
        assert follower.duplicates_skipped == 3
        with pytest.raises(StreamRefused, match="gap"):
            apply([items[6]])  # item 7 after 5
        with pytest.raises(StreamRefused, match="gap"):
            apply([items[5], items[7], items[6]])  # 6, then 8 before 7
        apply(items[6:])  # 7 to 10, in order (6 was applied before the refused 8)
        s = slave.client()
        assert s.lrange("log", 0, -1) == m.lrange("log", 0, -1)
        assert _digest(s) == _digest(m)
