"""What scripts write: logged as the effects of the commands they ran (so slaves and a restart
get the same data, non-deterministic commands included), atomically, inside MULTI, breaking
WATCH; and the client libraries built on scripts (redis-py's Lock, register_script)."""

from __future__ import annotations

import os

import pytest
import redis

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.testing import PikaGroup, PikaServer

from .support import RawConnection, encode_command, wait_until

#: Writes of every kind, some of them random (SPOP, SRANDMEMBER): a slave must get their effect.
WRITER = """
redis.call('set', KEYS[1], ARGV[1])
redis.call('incrby', KEYS[1], 5)
redis.call('expire', KEYS[1], 1000)
redis.call('rpush', KEYS[2], 'a', 'b', 'c')
redis.call('lpop', KEYS[2])
redis.call('hset', KEYS[3], 'f', ARGV[1], 'g', 'x')
redis.call('sadd', KEYS[4], 'a', 'b', 'c', 'd', 'e', 'f')
local popped = redis.call('spop', KEYS[4])
redis.call('set', 'random-member', redis.call('srandmember', KEYS[4]))
redis.call('zadd', KEYS[5], 1.5, 'm', 2, 'n')
redis.call('del', 'nothing-here')
redis.call('select', 2)
redis.call('set', 'in-db2', popped)
return popped
"""


def _digest(client) -> bytes:
    return client.execute_command("DEBUG", "DIGEST")


def _logged(server, db: int = 0) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", f"log_db{db}")
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


def _run_writer(client, number: int) -> None:
    keys = [f"{kind}{number}" for kind in ("s", "l", "h", "set", "z")]
    client.eval(WRITER, len(keys), *keys, number)


def test_a_script_is_logged_as_its_effects(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.eval("redis.call('set', 'a', '1') redis.call('incr', 'a') redis.call('del', 'missing') "
                    "redis.call('rpush', 'l', 'x') redis.call('expire', 'a', 100)", 0)
        records = _logged(server)
        assert [record[:2] for record in records] == [[b"set", b"a"], [b"set", b"a"], [b"rpush", b"l"],
                                                      [b"pexpireat", b"a"]]
        assert records[1] == [b"set", b"a", b"2"]


def test_script_effects_survive_a_restart(tmp_path):
    server = PikaServer(data_dir=str(tmp_path)).start()
    try:
        client = server.client()
        for number in range(20):
            _run_writer(client, number)
        before = _digest(client)
        server.restart()
        assert _digest(server.client()) == before
    finally:
        server.stop()


def test_script_effects_reach_a_slave(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "master")) as master, \
            PikaServer(data_dir=str(tmp_path / "slave")) as slave:
        m, s = master.client(), slave.client()
        _run_writer(m, 0)
        assert s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link up")
        for number in range(1, 30):
            _run_writer(m, number)
        sha = m.script_load("return redis.call('incr', KEYS[1])")
        for _ in range(10):
            m.evalsha(sha, 1, "counter")

        def converged() -> bool:
            return (m.info("replication")["master_repl_offset"] == s.info("replication")["slave_repl_offset"]
                    and _digest(m) == _digest(s))

        wait_until(converged, timeout=30, what="the slave to get the scripts' effects")
        assert s.get("counter") == b"10"
        # On the slave: reads run, writes are refused from inside the script.
        assert s.eval("return redis.call('get', KEYS[1])", 1, "counter") == b"10"
        with pytest.raises(redis.ReadOnlyError, match="You can't write against a read only replica."):
            s.eval("return redis.call('set', 'x', '1')", 0)
        with pytest.raises(redis.ReadOnlyError):
            s.eval("#!lua\nreturn 1", 0)  # a shebang script that may write is refused at once
        assert s.eval("#!lua flags=no-writes\nreturn 1", 0) == 1


def test_set_repl_none_keeps_a_write_out_of_the_binlog(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client = server.client()
        client.eval("redis.set_repl(redis.REPL_NONE) redis.call('set', 'local', '1') "
                    "redis.set_repl(redis.REPL_ALL) redis.call('set', 'shared', '1')", 0)
        assert client.mget("local", "shared") == [b"1", b"1"]
        assert _logged(server) == [[b"set", b"shared", b"1"]]


def test_eval_inside_multi(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("a", 1)
    pipe.eval("return redis.call('incr', KEYS[1])", 1, "a")
    pipe.eval("return redis.call('nosuch')", 0)
    pipe.get("a")
    results = pipe.execute(raise_on_error=False)
    assert results[:2] == [True, 2] and results[3] == b"2"
    assert isinstance(results[2], redis.ResponseError)


def test_a_script_write_breaks_a_watch(r, pika_server):
    watcher = pika_server.client()
    pipe = watcher.pipeline()
    pipe.watch("w")
    r.eval("redis.call('set', 'w', '1')", 0)
    pipe.multi()
    pipe.get("w")
    with pytest.raises(redis.WatchError):
        pipe.execute()
    pipe.reset()
    pipe.watch("w")
    r.eval("return redis.call('get', 'w')", 0)  # a read leaves the watch alone
    pipe.multi()
    pipe.get("w")
    assert pipe.execute() == [b"1"]


def test_redis_py_lock(r, pika_server):
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert lock.locked() and lock.owned()
    assert lock.extend(10) and r.pttl("resource") > 10_000
    assert lock.reacquire() and r.pttl("resource") <= 10_000
    other = pika_server.client().lock("resource", timeout=10, blocking_timeout=0.1)
    assert not other.acquire()
    lock.release()
    assert not lock.locked()
    assert other.acquire()
    lock.local.token = other.local.token[::-1]  # a stale owner's token: the release script refuses
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()
    lock.local.token = other.local.token[::-1]
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.extend(1)
    other.release()
    assert not other.locked()


def test_redis_py_lock_blocking_and_timeouts(r, pika_server):
    """The paths that wait or expire: a blocked acquire gets the lock once it is released, a
    blocking_timeout gives up, an expired lock is anyone's and its old owner can neither
    release nor extend it, extend(replace_ttl), the ``with`` form."""
    holder = r.lock("job", timeout=0.3)
    assert holder.acquire(blocking=False)
    waiter = pika_server.client().lock("job", timeout=10, blocking_timeout=5, sleep=0.02)
    assert waiter.acquire()  # waits for the 300 ms expiry
    assert waiter.owned() and not holder.owned()
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        holder.extend(10)
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        holder.reacquire()
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        holder.release()  # (redis-py forgets the token here)
    assert not r.lock("job", blocking_timeout=0.05, sleep=0.01).acquire()  # gives up
    assert waiter.extend(100, replace_ttl=True) and 99_000 < r.pttl("job") <= 100_000
    waiter.release()
    with r.lock("job", timeout=5) as held:
        assert held.owned() and 0 < r.pttl("job") <= 5000
        with pytest.raises(redis.exceptions.LockError):
            with r.lock("job", blocking_timeout=0.05, sleep=0.01):
                pass
    assert not r.exists("job")


def test_redis_py_lock_survives_a_failover():
    """A lock taken on the master is on its slave, token and TTL, once promoted after the
    master stopped, and released there with the same token."""
    with PikaGroup(slaves=1) as group:
        lock = group.master.client().lock("resource", timeout=60)
        assert lock.acquire(blocking=False)
        token = lock.local.token
        group.wait_synced()
        group.master.stop()
        promoted = group.slaves[0].client()
        assert promoted.slaveof()  # SLAVEOF NO ONE
        assert promoted.get("resource") == token
        assert 0 < promoted.pttl("resource") <= 60_000
        moved = promoted.lock("resource", timeout=60)
        assert not moved.acquire(blocking=False)  # still held
        moved.local.token = token
        assert moved.owned() and moved.extend(30)
        moved.release()
        assert not promoted.exists("resource")


#: Writes ARGV[1] keys, then spins: killed while running it has written but not committed.
WRITE_THEN_SPIN = """
for i = 1, tonumber(ARGV[1]) do redis.call('set', 'spin:' .. i, i) end
if ARGV[2] == 'spin' then while true do end end
return redis.call('dbsize')
"""


def _killed_master_and_slave(tmp_path, script_then_kill) -> tuple[PikaServer, PikaServer]:
    """A process-mode master with a slave: ``script_then_kill(master)`` runs a script and
    SIGKILLs the master; the master is started again and the slave follows it (in sync)."""
    master = PikaServer(mode="process", data_dir=str(tmp_path / "master"),
                        config={"busy-reply-threshold": 100}).start()
    slave = PikaServer(data_dir=str(tmp_path / "slave")).start()
    try:
        slave.client().slaveof("127.0.0.1", master.port)
        m = master.client()
        m.set("before", "1")
        wait_until(lambda: slave.client().get("before") == b"1", timeout=30, what="the slave to follow")
        script_then_kill(master)
        master.start()
        wait_until(lambda: slave.client().info("replication")["master_link_status"] == "up", timeout=30,
                   what="the slave to reconnect")
        wait_until(lambda: _digest(master.client()) == _digest(slave.client()), timeout=30,
                   what="master and slave to be equal")
        return master, slave
    except BaseException:
        master.stop()
        slave.stop()
        raise


def test_kill_9_during_a_long_script_leaves_none_of_it(tmp_path):
    def run_and_kill(master: PikaServer) -> None:
        script = RawConnection(master.port)
        script.send_raw(encode_command(("EVAL", WRITE_THEN_SPIN, "0", "500", "spin")))
        probe = master.client()

        def busy() -> bool:
            try:
                probe.ping()
            except redis.ResponseError as error:
                return str(error).startswith("BUSY Redis is busy running a script")
            return False

        wait_until(busy, timeout=30, what="the script to spin past busy-reply-threshold")
        master.kill()
        script.close()

    master, slave = _killed_master_and_slave(tmp_path, run_and_kill)
    try:
        for server in (master, slave):
            client = server.client()
            assert client.get("before") == b"1" and client.dbsize() == 1
    finally:
        master.stop()
        slave.stop()


def test_kill_9_after_a_script_ended_keeps_all_of_it(tmp_path):
    def run_and_kill(master: PikaServer) -> None:
        assert master.client().eval(WRITE_THEN_SPIN, 0, 500, "end") == 501
        master.kill()

    master, slave = _killed_master_and_slave(tmp_path, run_and_kill)
    try:
        for server in (master, slave):
            client = server.client()
            assert client.dbsize() == 501 and client.get("spin:500") == b"500"
    finally:
        master.stop()
        slave.stop()


def test_redis_py_register_script(r):
    script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert script(keys=["c"], args=[5]) == 5
    r.script_flush()
    assert script(keys=["c"], args=[2]) == 7  # NOSCRIPT, then EVAL, as redis-py does
    assert r.script_exists(script.sha) == [True]


def test_monitor_shows_a_script_commands_as_lua(pika_server, r):
    monitor = RawConnection(pika_server.port)
    assert monitor.call("MONITOR") == "OK"
    r.eval("redis.call('set', 'a', '1') return redis.call('get', 'a')", 0)
    lines: list[str] = []
    while len(lines) < 2:
        line = str(monitor.read_reply()).split(" ", 1)[1]
        if "lua]" in line:  # not the client's connection set-up
            lines.append(line)
    assert lines == ['[0 lua] "set" "a" "1"', '[0 lua] "get" "a"']
    monitor.close()
