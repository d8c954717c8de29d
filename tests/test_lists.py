"""List commands, compared reply by reply with a real redis-server, and blocking pops."""

from __future__ import annotations

import threading

import pytest

from .support import RawConnection, wait_until

BINARY = bytes(range(256))

SCENARIOS = {
    "push_pop": [
        ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "x", "y"), ("LRANGE", "l", "0", "-1"), ("LLEN", "l"),
        ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "0"), ("LPOP", "l", "-1"),
        ("LPOP", "l", "x"), ("LPOP", "l", "10"), ("EXISTS", "l"), ("LPOP", "l"), ("LPOP", "l", "2"),
        ("RPOP", "missing", "0"), ("LPUSHX", "l", "a"), ("RPUSHX", "l", "a"), ("RPUSH", "l", BINARY, ""),
        ("LPUSHX", "l", "z"), ("RPUSHX", "l", "z", "w"), ("LRANGE", "l", "0", "-1"), ("LLEN", "missing"),
        ("LPOP", "l", "1", "2"), ("LPUSH", "l"),
    ],
    "index_range": [
        ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LINDEX", "l", "0"), ("LINDEX", "l", "-1"), ("LINDEX", "l", "5"),
        ("LINDEX", "l", "-6"), ("LINDEX", "l", "x"), ("LINDEX", "missing", "0"), ("LRANGE", "l", "1", "3"),
        ("LRANGE", "l", "-3", "-2"), ("LRANGE", "l", "3", "1"), ("LRANGE", "l", "-100", "100"),
        ("LRANGE", "l", "5", "10"), ("LRANGE", "missing", "0", "-1"), ("LRANGE", "l", "0", "x"),
        ("LRANGE", "l", "-9223372036854775808", "9223372036854775807"),
    ],
    "set_insert": [
        ("RPUSH", "l", "a", "b", "c"), ("LSET", "l", "0", "A"), ("LSET", "l", "-1", "C"), ("LSET", "l", "3", "x"),
        ("LSET", "l", "-4", "x"), ("LSET", "missing", "0", "x"), ("LSET", "l", "x", "y"), ("LRANGE", "l", "0", "-1"),
        ("LINSERT", "l", "BEFORE", "b", "1"), ("LINSERT", "l", "after", "b", "2"), ("LINSERT", "l", "AFTER", "C", "3"),
        ("LINSERT", "l", "BEFORE", "A", "0"), ("LINSERT", "l", "BEFORE", "zz", "x"), ("LINSERT", "l", "MIDDLE", "b", "x"),
        ("LINSERT", "missing", "BEFORE", "a", "x"), ("LRANGE", "l", "0", "-1"), ("LINDEX", "l", "3"),
    ],
    "rem_trim": [
        ("RPUSH", "l", "a", "b", "a", "c", "a", "b"), ("LREM", "l", "1", "a"), ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "-1", "b"), ("LRANGE", "l", "0", "-1"), ("LREM", "l", "0", "a"), ("LRANGE", "l", "0", "-1"),
        ("LREM", "l", "0", "zz"), ("LREM", "missing", "0", "a"), ("LREM", "l", "x", "a"),
        ("RPUSH", "t", "1", "2", "3", "4", "5", "6"), ("LTRIM", "t", "1", "-2"), ("LRANGE", "t", "0", "-1"),
        ("LTRIM", "t", "-100", "100"), ("LRANGE", "t", "0", "-1"), ("LTRIM", "t", "2", "1"), ("EXISTS", "t"),
        ("LTRIM", "missing", "0", "1"), ("LTRIM", "l", "x", "1"), ("RPUSH", "u", "1", "2"), ("LTRIM", "u", "5", "10"),
        ("EXISTS", "u"),
    ],
    "lpos": [
        ("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"), ("LPOS", "l", "c"), ("LPOS", "l", "c", "RANK", "2"),
        ("LPOS", "l", "c", "RANK", "-1"), ("LPOS", "l", "c", "COUNT", "0"), ("LPOS", "l", "c", "COUNT", "2"),
        ("LPOS", "l", "c", "COUNT", "2", "RANK", "-1"), ("LPOS", "l", "c", "MAXLEN", "3"),
        ("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"), ("LPOS", "l", "zz"), ("LPOS", "l", "zz", "COUNT", "1"),
        ("LPOS", "l", "c", "RANK", "0"), ("LPOS", "l", "c", "COUNT", "-1"), ("LPOS", "l", "c", "MAXLEN", "-1"),
        ("LPOS", "l", "c", "FOO", "1"), ("LPOS", "l", "c", "RANK"), ("LPOS", "missing", "c"),
        ("LPOS", "missing", "c", "COUNT", "1"), ("LPOS", "l", "c", "RANK", "-9223372036854775808"),
        ("LPOS", "l", "c", "RANK", "5"),
    ],
    "move": [
        ("RPUSH", "s", "1", "2", "3"), ("RPOPLPUSH", "s", "d"), ("LMOVE", "s", "d", "LEFT", "RIGHT"),
        ("LMOVE", "s", "s", "LEFT", "RIGHT"), ("LRANGE", "s", "0", "-1"), ("LRANGE", "d", "0", "-1"),
        ("LMOVE", "s", "d", "UP", "LEFT"), ("RPOPLPUSH", "missing", "d"), ("SET", "str", "v"),
        ("RPOPLPUSH", "s", "str"), ("RPOPLPUSH", "str", "d"), ("LRANGE", "s", "0", "-1"), ("RPOPLPUSH", "s", "d"),
        ("EXISTS", "s"), ("RPOPLPUSH", "missing", "str"),
    ],
    "wrongtype_and_nonblocking_blocking": [
        ("SET", "str", "v"), ("LPUSH", "str", "a"), ("LRANGE", "str", "0", "1"), ("LLEN", "str"), ("LPOP", "str"),
        ("BLPOP", "str", "0"), ("RPUSH", "l", "a", "b"), ("BLPOP", "missing", "l", "1"), ("BRPOP", "l", "1"),
        ("BLPOP", "l", "x"), ("BLPOP", "l", "-1"), ("BRPOPLPUSH", "missing", "d", "0.01"),
        ("BLMOVE", "missing", "d", "LEFT", "LEFT", "0.01"), ("BLPOP", "missing", "0.01"), ("RPUSH", "l", "q"),
        ("BLMOVE", "l", "d", "LEFT", "LEFT", "1"), ("BLMOVE", "l", "d", "LEFT", "SIDEWAYS", "1"),
        ("BLPOP", "l", "inf"), ("LRANGE", "d", "0", "-1"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_list_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def test_long_list_indexes_from_both_ends(r):
    r.rpush("l", *range(5000))
    r.lpush("l", *range(-1, -1001, -1))
    assert r.llen("l") == 6000
    assert r.lindex("l", 0) == b"-1000" and r.lindex("l", -1) == b"4999" and r.lindex("l", 3000) == b"2000"
    r.lset("l", 3000, "x")
    assert r.lrange("l", 2999, 3001) == [b"1999", b"x", b"2001"]
    assert r.linsert("l", "AFTER", "x", "y") == 6001
    assert r.lrange("l", 2999, 3002) == [b"1999", b"x", b"y", b"2001"]


def test_blocked_clients_are_served_in_fifo_order(pika_server):
    waiters = [RawConnection(pika_server.port) for _ in range(3)]
    replies: dict[int, object] = {}

    def wait(index: int) -> None:
        replies[index] = waiters[index].read_reply()

    threads = []
    for index, connection in enumerate(waiters):
        connection.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        wait_until(lambda n=index + 1: int(pika_server.client().info("clients")["blocked_clients"]) == n,
                   what="the client to block")
        thread = threading.Thread(target=wait, args=(index,))
        thread.start()
        threads.append(thread)
    pusher = pika_server.client()
    pusher.rpush("q", "first", "second")
    wait_until(lambda: len(replies) == 2, what="two waiters served")
    assert replies == {0: [b"q", b"first"], 1: [b"q", b"second"]}
    pusher.rpush("q", "third")
    for thread in threads:
        thread.join(5)
    assert replies[2] == [b"q", b"third"]
    assert pusher.exists("q") == 0
    for connection in waiters:
        connection.close()


def test_blocking_timeout_and_pipeline_resumes(pika_server):
    connection = RawConnection(pika_server.port)
    connection.send_raw(b"*3\r\n$5\r\nBRPOP\r\n$1\r\nw\r\n$4\r\n0.05\r\n*1\r\n$4\r\nPING\r\n")
    assert connection.read_reply() is None
    assert connection.read_reply() == "PONG"
    connection.send_raw(b"*6\r\n$6\r\nBLMOVE\r\n$3\r\nsrc\r\n$3\r\ndst\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n$1\r\n0\r\n")
    wait_until(lambda: int(pika_server.client().info("clients")["blocked_clients"]) == 1, what="block")
    pika_server.client().lpush("src", "v")
    assert connection.read_reply() == b"v"
    assert pika_server.client().lrange("dst", 0, -1) == [b"v"]
    connection.close()
