"""CLIENT PAUSE / UNPAUSE / REPLY / UNBLOCK / NO-EVICT / GETREDIR / TRACKINGINFO, compared with
redis-server where the reply is deterministic."""

from __future__ import annotations

import time

import pytest

from pypika_store.testing import PikaGroup

from .support import Err, RawConnection, Stat, wait_until

def test_client_subcommand_errors_match_redis(diff):
    for args in [("PAUSE", "abc"), ("PAUSE", "-1"), ("PAUSE", "10", "foo"), ("PAUSE", "10", "write", "x"),
                 ("PAUSE",), ("UNPAUSE", "x"), ("UNPAUSE",), ("REPLY", "x"), ("REPLY",), ("REPLY", "ON"),
                 ("NO-EVICT", "x"), ("NO-EVICT",), ("NO-EVICT", "on"), ("NO-EVICT", "OFF"),
                 ("UNBLOCK", "x"), ("UNBLOCK", "1", "x"), ("UNBLOCK", "-1"), ("UNBLOCK", "999999", "ERROR"),
                 ("UNBLOCK", "1", "timeout", "x"), ("GETREDIR",), ("GETREDIR", "x"), ("TRACKINGINFO",),
                 ("TRACKINGINFO", "x"), ("KILL", "USER", "nosuch"), ("KILL", "USER", "default")]:
        diff.check("CLIENT", *args)
    diff.check("CLIENT", "PAUSE", "0", "ALL")
    diff.check("CLIENT", "UNPAUSE")


def test_client_help_matches_redis(diff):
    diff.check("CLIENT", "HELP")


def test_client_no_evict_shows_in_client_info(pika_server):
    raw = RawConnection(pika_server.port)
    assert raw.call("CLIENT", "NO-EVICT", "on") == Stat("OK")
    assert " flags=e " in raw.call("CLIENT", "INFO").decode()
    raw.call("CLIENT", "NO-EVICT", "off")
    assert " flags=N " in raw.call("CLIENT", "INFO").decode()
    raw.close()


def test_client_reply_off_skip_on(pika_server):
    raw = RawConnection(pika_server.port)
    raw.send_raw(b"CLIENT REPLY SKIP\r\nSET k 1\r\nINCR k\r\nCLIENT REPLY OFF\r\nINCR k\r\nPING\r\n"
                 b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nGET k\r\n")
    assert raw.read_reply() == 2          # SKIP's reply and SET's are skipped
    assert raw.read_reply() == Stat("OK")  # nothing while OFF; ON answers
    assert raw.read_reply() == b"3"
    raw.call("DEL", "k")
    raw.close()


@pytest.fixture
def admin(pika_server):
    connection = RawConnection(pika_server.port)
    yield connection
    connection.call("CLIENT", "UNPAUSE")
    connection.close()


def _flags_of(admin: RawConnection, client_id: int) -> str:
    line = admin.call("CLIENT", "LIST", "ID", str(client_id)).decode()
    return line.split(" flags=")[1].split(" ")[0] if line else ""


def test_pause_write_holds_writes_in_order_and_lets_reads_through(admin, pika_server):
    writer, reader = RawConnection(pika_server.port), RawConnection(pika_server.port)
    writer_id = writer.call("CLIENT", "ID")
    assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == Stat("OK")
    writer.send_raw(b"SET k 1\r\nAPPEND k 2\r\nGET k\r\n")
    wait_until(lambda: _flags_of(admin, writer_id) == "b", what="the writer to be held")
    assert reader.call("GET", "k") is None       # reads go on
    reader_id = reader.call("CLIENT", "ID")
    reader.send_raw(b"PUBLISH c m\r\nPFCOUNT h\r\n")
    wait_until(lambda: _flags_of(admin, reader_id) == "b", what="PUBLISH to be held")
    admin.call("CLIENT", "UNPAUSE")
    assert [writer.read_reply() for _ in range(3)] == [Stat("OK"), 2, b"12"]
    assert [reader.read_reply() for _ in range(2)] == [0, 0]  # PUBLISH and PFCOUNT were held too
    writer.call("DEL", "k")
    writer.close()
    reader.close()


def test_pause_all_holds_every_command_until_it_ends(admin, pika_server):
    other = RawConnection(pika_server.port)
    started = time.monotonic()
    assert admin.call("CLIENT", "PAUSE", "300", "ALL") == Stat("OK")
    assert other.call("PING") == Stat("PONG")   # answered when the pause ends by itself
    assert time.monotonic() - started >= 0.29
    other.close()


def test_pause_holds_a_transaction_with_writes(admin, pika_server):
    client = RawConnection(pika_server.port)
    client_id = client.call("CLIENT", "ID")
    assert client.call("MULTI") == Stat("OK")
    assert client.call("GET", "k") == Stat("QUEUED")
    admin.call("CLIENT", "PAUSE", "100000", "WRITE")
    assert client.call("EXEC") == [None]          # reads only: runs
    assert client.call("MULTI") == Stat("OK")
    client.send_raw(b"INCR k\r\n")
    wait_until(lambda: _flags_of(admin, client_id) == "xb", what="the queued write to be held")
    admin.call("CLIENT", "UNPAUSE")
    assert client.read_reply() == Stat("QUEUED")
    assert client.call("EXEC") == [1]
    client.call("DEL", "k")
    client.close()


def test_a_later_pause_extends_the_current_one(admin, pika_server):
    writer = RawConnection(pika_server.port)
    admin.call("CLIENT", "PAUSE", "100000", "WRITE")
    admin.call("CLIENT", "PAUSE", "1", "WRITE")   # shorter: the first end stays
    writer.send_raw(b"SET k 1\r\n")
    time.sleep(0.05)  # the held command must still be held once the short pause would be over
    writer.sock.settimeout(0.2)
    with pytest.raises(OSError):
        writer.read_reply()
    writer.sock.settimeout(10)
    admin.call("CLIENT", "UNPAUSE")
    assert writer.read_reply() == Stat("OK")
    writer.call("DEL", "k")
    writer.close()


def test_active_expiry_waits_for_the_pause(admin, pika_server):
    admin.call("SET", "short", "v", "PX", "1")
    admin.call("CLIENT", "PAUSE", "100000", "WRITE")
    time.sleep(0.3)  # several active expiry cycles (hz 10)
    assert admin.call("DBSIZE") == 1
    admin.call("CLIENT", "UNPAUSE")
    wait_until(lambda: admin.call("DBSIZE") == 0, what="the key to expire after the pause")


@pytest.mark.parametrize("reason, reply", [(None, None), ("TIMEOUT", None),
                                           ("ERROR", Err("UNBLOCKED client unblocked via CLIENT UNBLOCK"))])
def test_client_unblock_answers_a_blocked_client(admin, pika_server, reason, reply):
    blocked = RawConnection(pika_server.port)
    blocked_id = blocked.call("CLIENT", "ID")
    blocked.send_raw(b"BLPOP list 0\r\n")
    wait_until(lambda: _flags_of(admin, blocked_id) == "b", what="the client to block")
    assert admin.call("CLIENT", "UNBLOCK", str(blocked_id), *([reason] if reason else [])) == 1
    assert blocked.read_reply() == reply
    assert blocked.call("PING") == Stat("PONG")
    assert admin.call("CLIENT", "UNBLOCK", str(blocked_id)) == 0
    blocked.close()


def _fields(line: bytes) -> list[str]:
    return [field.split("=", 1)[0] for field in line.decode().split()]


def test_client_info_has_redis_fields_in_order(diff):
    expected, actual = diff.both("CLIENT", "INFO")
    assert _fields(actual) == _fields(expected)


def test_client_unblock_leaves_a_paused_client_held(admin, pika_server):
    """Redis 7.0.15 crashes on this (its timeout reply has no case for a paused client)."""
    writer = RawConnection(pika_server.port)
    writer_id = writer.call("CLIENT", "ID")
    admin.call("CLIENT", "PAUSE", "100000", "WRITE")
    writer.send_raw(b"SET k 1\r\n")
    wait_until(lambda: _flags_of(admin, writer_id) == "b", what="the writer to be held")
    assert admin.call("CLIENT", "UNBLOCK", str(writer_id), "ERROR") == 0
    admin.call("CLIENT", "UNPAUSE")
    assert writer.read_reply() == Stat("OK")
    writer.call("DEL", "k")
    writer.close()


def test_client_reply_off_mutes_a_blocked_command_reply(admin, pika_server):
    blocked = RawConnection(pika_server.port)
    blocked_id = blocked.call("CLIENT", "ID")
    blocked.send_raw(b"CLIENT REPLY OFF\r\nBLPOP list 0\r\nCLIENT REPLY ON\r\n")
    wait_until(lambda: _flags_of(admin, blocked_id) == "b", what="the client to block")
    admin.call("RPUSH", "list", "x")
    assert blocked.read_reply() == Stat("OK")  # BLPOP's reply was muted, REPLY ON's is not
    assert admin.call("LLEN", "list") == 0
    blocked.close()


def test_pause_holds_expiry_so_slaves_get_nothing_until_it_ends():
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        # A TTL no loaded machine outlasts before the pause; the clock then passes it (a TTL of
        # 1 s with real time ran out on a loaded machine before the pause began).
        master.set("short", "v", px=100_000)
        group.wait_synced()
        master.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
        offset = master.info("replication")["master_repl_offset"]
        assert master.exists("short")
        group.master.clock.advance(200_000)           # expired
        time.sleep(0.3)                               # several expiry cycles (hz 10)
        assert master.get("short") is None            # hidden, not deleted
        assert master.dbsize() == 1
        assert master.info("replication")["master_repl_offset"] == offset
        assert group.slaves[0].client().info("replication")["slave_repl_offset"] == offset
        master.execute_command("CLIENT", "UNPAUSE")
        wait_until(lambda: master.info("replication")["master_repl_offset"] > offset, what="the expiry's del")
        group.wait_synced()


def _flags_for_each_kind(port: int) -> list[str]:
    """CLIENT LIST's flags of a client in MULTI, subscribed, monitoring, blocked, no-evict."""
    admin = RawConnection(port)
    clients = [RawConnection(port) for _ in range(5)]
    ids = [client.call("CLIENT", "ID") for client in clients]
    in_multi, subscribed, monitoring, blocked, no_evict = clients
    in_multi.call("MULTI")
    subscribed.call("SUBSCRIBE", "c")
    monitoring.call("MONITOR")
    blocked.send_raw(b"BLPOP nothing 0\r\n")
    no_evict.call("CLIENT", "NO-EVICT", "on")
    wait_until(lambda: _flags_of(admin, ids[3]) == "b", what="the client to block")
    flags = [_flags_of(admin, each) for each in ids]
    for client in (admin, *clients):
        client.close()
    return flags


def test_client_list_flags_match_redis(real_redis, pika_server):
    assert _flags_for_each_kind(pika_server.port) == _flags_for_each_kind(real_redis.port) == ["x", "P", "O", "b", "e"]
