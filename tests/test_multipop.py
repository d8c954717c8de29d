"""LMPOP, ZMPOP and their blocking forms, blocking timeouts, and how blocked clients are served
after a transaction: compared with a real redis-server, blocked clients included."""

from __future__ import annotations

import pytest

from pypika_store.server.arguments import parse_timeout
from pypika_store.testing import PikaGroup, PikaServer

from .support import Err, RawConnection, encode_command, wait_until
from .test_binlog_records import logged

SCENARIOS = {
    "lmpop": [
        ("RPUSH", "l", "a", "b", "c", "d"), ("SET", "s", "x"),
        ("LMPOP", "1", "l", "LEFT"), ("LMPOP", "1", "l", "right", "COUNT", "2"), ("LMPOP", "2", "missing", "l", "LEFT"),
        ("LMPOP", "1", "missing", "LEFT"), ("LMPOP", "2", "missing", "s", "LEFT"), ("LMPOP", "1", "s", "RIGHT"),
        ("RPUSH", "l", "e", "f"), ("LMPOP", "2", "l", "s", "LEFT", "COUNT", "99"), ("EXISTS", "l"),
        ("RPUSH", "l", "g"), ("LMPOP", "1", "l", "LEFT", "COUNT", "1"),
    ],
    "lmpop_errors": [
        ("RPUSH", "l", "a"), ("LMPOP", "0", "l", "LEFT"), ("LMPOP", "-1", "l", "LEFT"), ("LMPOP", "x", "l", "LEFT"),
        ("LMPOP", "99999999999999999999", "l", "LEFT"), ("LMPOP", "2", "l", "LEFT"), ("LMPOP", "3", "l", "LEFT"),
        ("LMPOP", "2147483648", "l", "LEFT"), ("LMPOP", "1", "l", "MIDDLE"), ("LMPOP", "1", "l", "LEFT", "COUNT", "0"),
        ("LMPOP", "1", "l", "LEFT", "COUNT", "-1"), ("LMPOP", "1", "l", "LEFT", "COUNT", "x"),
        ("LMPOP", "1", "l", "LEFT", "COUNT"), ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"),
        ("LMPOP", "1", "l", "LEFT", "FOO"), ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT"), ("LMPOP", "1", "l"),
        ("LMPOP", "1"), ("LRANGE", "l", "0", "-1"),
    ],
    "zmpop": [
        ("ZADD", "z", "1", "a", "2", "b", "3.5", "c", "-inf", "m"), ("SET", "s", "x"),
        ("ZMPOP", "1", "z", "MIN"), ("ZMPOP", "1", "z", "max", "COUNT", "2"), ("ZMPOP", "2", "missing", "z", "MIN"),
        ("ZMPOP", "1", "missing", "MAX"), ("ZMPOP", "2", "missing", "s", "MIN"), ("EXISTS", "z"),
        ("ZADD", "z", "1", "a", "2", "b"), ("ZMPOP", "2", "z", "s", "MAX", "COUNT", "10"), ("EXISTS", "z"),
    ],
    "zmpop_errors": [
        ("ZADD", "z", "1", "a"), ("ZMPOP", "0", "z", "MIN"), ("ZMPOP", "x", "z", "MIN"), ("ZMPOP", "2", "z", "MIN"),
        ("ZMPOP", "1", "z", "LEFT"), ("ZMPOP", "1", "z", "MIN", "COUNT", "0"), ("ZMPOP", "1", "z", "MIN", "COUNT"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"), ("ZMPOP", "1", "z", "MIN", "LIMIT", "1"),
        ("ZMPOP", "1", "z"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ],
    "blocking_forms_answer_at_once": [
        ("RPUSH", "l", "a", "b", "c"), ("ZADD", "z", "1", "a", "2", "b"),
        ("BLMPOP", "0", "2", "missing", "l", "RIGHT", "COUNT", "2"), ("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"),
        ("BLMPOP", "0.01", "1", "missing", "LEFT"), ("BZMPOP", "0.01", "1", "missing", "MIN"),
        ("BLMPOP", "x", "1", "l", "LEFT"), ("BLMPOP", "-1", "1", "l", "LEFT"), ("BLMPOP", "x", "0", "l", "LEFT"),
        ("BLMPOP", "x", "1", "l", "MIDDLE"), ("BLMPOP", "x", "1", "l", "LEFT", "COUNT", "0"),
        ("BZMPOP", "0", "0", "z", "MIN"), ("BZMPOP", "inf", "1", "z", "MIN"), ("BZMPOP", "0", "1", "z", "LEFT"),
        ("BLMPOP", "0", "1", "l"), ("BZMPOP", "0", "1"),
        ("MULTI",), ("BLMPOP", "0", "1", "missing", "LEFT"), ("BZMPOP", "0", "1", "missing", "MIN"),
        ("BLPOP", "missing", "0"), ("BZPOPMIN", "missing", "0"), ("BLMPOP", "0", "1", "l", "LEFT"), ("EXEC",),
    ],
    "timeouts": [
        ("RPUSH", "l", *"abcdefghijkl"),
        *[("BLPOP", "l", timeout) for timeout in ("0.1", "1.5", "1e3", ".5", "5.", "-0", "-0.0001", "-0.001",
                                                  "1e-400", "9223372036854775", "9223372036854775.807")],
        *[("BLPOP", "missing", timeout) for timeout in ("-0.1", "-0.002", "-1", "inf", "-inf", "+inf", "1e20",
                                                       "9223372036854776", "9223372036854775.808", "1e308",
                                                       " 1", "1 ", "nan", "", "1_0", "abc")],
        ("BLPOP", "missing", "0.0001"), ("BZPOPMIN", "missing", "0.001"), ("BRPOPLPUSH", "missing", "d", "1e-5"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_multipop_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


def test_multipop_resp3_replies_match_redis(diff):
    diff.both("HELLO", "3")
    diff.check_all([
        ("RPUSH", "l", "a", "b"), ("ZADD", "z", "1", "a", "2.5", "b"), ("LMPOP", "1", "l", "LEFT", "COUNT", "5"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "5"), ("LMPOP", "1", "l", "LEFT"), ("ZMPOP", "1", "z", "MAX"),
        ("BLMPOP", "0.01", "1", "l", "LEFT"), ("BZMPOP", "0.01", "1", "z", "MIN"),
    ])


@pytest.mark.parametrize(("timeout", "seconds"), [
    (b"0", 0.0), (b"0.1", 0.1), (b"1.5", 1.5), (b"1e3", 1000.0), (b"1e-5", 0.001), (b"0.0015", 0.002),
    (b"-0", 0.0), (b"-0.0009", 0.0), (b"-0.001", 0.0), (b"9223372036854775", 0.0),
])
def test_timeouts_round_up_to_milliseconds_and_overflowing_deadlines_never_come(timeout, seconds):
    """What redis-server 7.0.15 waits for each (a nil after ~1 ms, or forever for the last four:
    the differential scenario "timeouts" only sees that they are accepted)."""
    assert parse_timeout(timeout) == seconds


# -- blocked clients, on both servers ------------------------------------------------------------


def _blocked_clients(control: RawConnection) -> int:
    info = control.call("INFO", "clients").decode()
    return int(info.split("blocked_clients:")[1].split()[0])


def _blocked_run(port: int, blocking: list[tuple], writes: list[tuple], unblock: list[tuple]) -> tuple:
    """Block a client with each of ``blocking``, in order, run ``writes`` from another, note
    how many still wait, then run ``unblock`` and read their replies: everything a server
    answered."""
    control, blockers = RawConnection(port), [RawConnection(port) for _ in blocking]
    try:
        control.call("FLUSHALL")
        for count, (blocker, command) in enumerate(zip(blockers, blocking), 1):
            blocker.send_raw(encode_command(command))
            wait_until(lambda: _blocked_clients(control) == count, what="the client to block")
        written = [control.call(*args) for args in writes]
        still_waiting = _blocked_clients(control)
        unblocked = [control.call(*args) for args in unblock]
        replies = [blocker.read_reply() for blocker in blockers]
        return written, still_waiting, unblocked, replies, control.call("DEBUG", "DIGEST")
    finally:
        control.call("FLUSHALL")
        control.close()
        for blocker in blockers:
            blocker.close()


LIST_REPLACED = [("MULTI",), ("LPUSH", "k", "a"), ("DEL", "k"), ("SET", "k", "x"), ("EXEC",)]
LIST_BECOMES_ZSET = [("MULTI",), ("LPUSH", "k", "a"), ("DEL", "k"), ("ZADD", "k", "1", "m"), ("EXEC",)]
ZSET_REPLACED = [("MULTI",), ("ZADD", "k", "1", "a"), ("DEL", "k"), ("SET", "k", "x"), ("EXEC",)]
ZSET_BECOMES_LIST = [("MULTI",), ("ZADD", "k", "1", "a"), ("DEL", "k"), ("RPUSH", "k", "m"), ("EXEC",)]
PUSH_AGAIN = [("DEL", "k"), ("RPUSH", "k", "b", "c", "d")]
ADD_AGAIN = [("DEL", "k"), ("ZADD", "k", "1", "b", "2", "c", "3", "d")]

BLOCKED_CASES = {
    "blpop_key_replaced_in_multi": (("BLPOP", "k", "0"), LIST_REPLACED, PUSH_AGAIN),
    "blpop_key_becomes_zset_in_multi": (("BLPOP", "k", "0"), LIST_BECOMES_ZSET, PUSH_AGAIN),
    "blmove_key_replaced_in_multi": (("BLMOVE", "k", "d", "LEFT", "RIGHT", "0"), LIST_REPLACED, PUSH_AGAIN),
    "blmpop_key_replaced_in_multi": (("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"), LIST_REPLACED, PUSH_AGAIN),
    "bzpopmin_key_replaced_in_multi": (("BZPOPMIN", "k", "0"), ZSET_REPLACED, ADD_AGAIN),
    "bzmpop_key_becomes_list_in_multi": (("BZMPOP", "0", "1", "k", "MAX", "COUNT", "2"), ZSET_BECOMES_LIST, ADD_AGAIN),
    "blpop_served_from_the_key_made_ready_first": (
        ("BLPOP", "k1", "k2", "0"), [("MULTI",), ("RPUSH", "k2", "a"), ("RPUSH", "k1", "b"), ("EXEC",)],
        [("LRANGE", "k1", "0", "-1"), ("LRANGE", "k2", "0", "-1")]),
    "blmpop_wakes_on_push": (
        ("BLMPOP", "0", "2", "k1", "k2", "RIGHT", "COUNT", "2"), [("RPUSH", "k2", "a", "b", "c")],
        [("LRANGE", "k2", "0", "-1")]),
    "blmpop_served_from_the_key_made_ready_first": (
        ("BLMPOP", "0", "2", "k1", "k2", "LEFT", "COUNT", "5"),
        [("MULTI",), ("RPUSH", "k2", "a"), ("RPUSH", "k1", "b"), ("EXEC",)], [("LRANGE", "k1", "0", "-1")]),
    "bzmpop_wakes_on_zadd": (
        ("BZMPOP", "0", "2", "k1", "k2", "MIN", "COUNT", "2"), [("ZADD", "k2", "3", "c", "1", "a", "2", "b")],
        [("ZRANGE", "k2", "0", "-1", "WITHSCORES")]),
    "bzmpop_wakes_on_zadd_in_multi": (
        ("BZMPOP", "0", "1", "k", "MAX"), [("MULTI",), ("ZADD", "k", "1", "a"), ("ZADD", "k", "2", "b"), ("EXEC",)],
        [("ZRANGE", "k", "0", "-1")]),
    "bzmpop_key_emptied_in_multi_waits": (
        ("BZMPOP", "0", "1", "k", "MIN"), [("MULTI",), ("ZADD", "k", "1", "a"), ("ZREM", "k", "a"), ("EXEC",)],
        ADD_AGAIN),
}


@pytest.mark.parametrize("name", sorted(BLOCKED_CASES))
def test_blocked_client_is_served_as_redis_serves_it(real_redis, pika_server, name):
    blocking, writes, unblock = BLOCKED_CASES[name]
    expected = _blocked_run(real_redis.port, [blocking], writes, unblock)
    assert _blocked_run(pika_server.port, [blocking], writes, unblock) == expected


def test_blocked_multipop_times_out_with_nil(pika_server):
    connection = RawConnection(pika_server.port)
    assert connection.call("BLMPOP", "0.05", "1", "k", "LEFT") is None
    assert connection.call("BZMPOP", "0.05", "2", "k", "z", "MIN") is None
    assert connection.call("PING") == "PONG"
    connection.close()


# -- what is logged --------------------------------------------------------------------------------


def test_multipops_log_member_level_pops(tmp_path):
    with PikaServer(data_dir=str(tmp_path)) as server:
        client, blocked = server.client(), RawConnection(server.port)
        client.rpush("l", "a", "b", "c")
        client.zadd("z", {"a": 1, "b": 2, "c": 3})
        client.execute_command("LMPOP", "2", "missing", "l", "RIGHT", "COUNT", "2")
        client.execute_command("ZMPOP", "1", "z", "MAX", "COUNT", "2")
        client.execute_command("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "5")
        blocked.send_raw(encode_command(("BZMPOP", "0", "1", "w", "MIN", "COUNT", "2")))
        wait_until(lambda: client.info("clients")["blocked_clients"] == 1, what="the client to block")
        client.zadd("w", {"x": 1})
        assert blocked.read_reply() == [b"w", [[b"x", b"1"]]]
        assert logged(server)[2:] == [
            [b"rpop", b"l", b"2"], [b"zrem", b"z", b"c", b"b"], [b"lpop", b"l", b"1"],
            [b"zadd", b"w", b"1.0", b"x"], [b"zrem", b"w", b"x"],
        ]
        blocked.close()


def test_a_slave_ends_with_the_masters_data_after_multipops():
    with PikaGroup(slaves=1) as group:
        master = group.master.client()
        blocked = RawConnection(group.master.port)
        master.rpush("l", *"abcdef")
        master.zadd("z", {"a": 1, "b": 2, "c": 3})
        master.execute_command("LMPOP", "2", "missing", "l", "LEFT", "COUNT", "2")
        master.execute_command("BZMPOP", "0", "1", "z", "MAX", "COUNT", "2")
        blocked.send_raw(encode_command(("BLMPOP", "0", "2", "w", "l", "RIGHT", "COUNT", "3")))
        assert blocked.read_reply() == [b"l", [b"f", b"e", b"d"]]
        blocked.send_raw(encode_command(("BZMPOP", "0", "1", "w", "MIN")))
        wait_until(lambda: master.info("clients")["blocked_clients"] == 1, what="the client to block")
        master.zadd("w", {"x": 1, "y": 2})
        assert blocked.read_reply() == [b"w", [[b"x", b"1"]]]
        group.wait_synced()
        slave = group.slaves[0].client()
        assert slave.execute_command("DEBUG", "DIGEST") == master.execute_command("DEBUG", "DIGEST")
        assert slave.lrange("l", 0, -1) == [b"c"] and slave.zrange("w", 0, -1) == [b"y"]
        blocked.close()


def test_wrong_type_blocked_key_does_not_answer_an_error(pika_server):
    """The client blocked on a list that became a string keeps waiting (no WRONGTYPE)."""
    control, blocker = RawConnection(pika_server.port), RawConnection(pika_server.port)
    blocker.send_raw(encode_command(("BLMPOP", "0", "1", "k", "LEFT")))
    wait_until(lambda: _blocked_clients(control) == 1, what="the client to block")
    assert control.pipeline([("MULTI",), ("RPUSH", "k", "a"), ("SET", "k", "x"), ("EXEC",)])[-1] == [1, "OK"]
    assert _blocked_clients(control) == 1
    control.pipeline([("DEL", "k"), ("RPUSH", "k", "b")])
    reply = blocker.read_reply()
    assert not isinstance(reply, Err) and reply == [b"k", [b"b"]]
    control.call("FLUSHALL")
    control.close()
    blocker.close()


#: Writes other than pushes and adds that give a key elements (Redis' dbAdd signals the key
#: ready whatever command created it), and a served BLMOVE meeting a wrong-type destination.
OTHER_WAKERS = {
    "zrangestore": (("BZMPOP", "0", "1", "k", "MIN"),
                    [("ZADD", "src", "1", "a", "2", "b"), ("ZRANGESTORE", "k", "src", "0", "-1")], []),
    "zunionstore": (("BZPOPMAX", "k", "0"),
                    [("ZADD", "src", "1", "a", "2", "b"), ("ZUNIONSTORE", "k", "1", "src")], []),
    "lmove_into": (("BLMPOP", "0", "1", "k", "RIGHT"),
                   [("RPUSH", "src", "a"), ("LMOVE", "src", "k", "LEFT", "LEFT")], []),
    "rename_onto": (("BLPOP", "k", "0"), [("RPUSH", "src", "a"), ("RENAME", "src", "k")], []),
    "copy_onto": (("BZMPOP", "0", "1", "k", "MAX"), [("ZADD", "src", "1", "a"), ("COPY", "src", "k")],
                  [("EXISTS", "src")]),
    "blmove_wrong_type_destination": (("BLMOVE", "k", "d", "LEFT", "RIGHT", "0"),
                                      [("SET", "d", "x"), ("RPUSH", "k", "a")], [("LRANGE", "k", "0", "-1")]),
    "two_keys_one_wrong_type": (("BLMPOP", "0", "2", "k1", "k2", "LEFT"),
                                [("MULTI",), ("RPUSH", "k1", "a"), ("SET", "k1", "s"), ("RPUSH", "k2", "b"),
                                 ("EXEC",)], []),
}


@pytest.mark.parametrize("name", sorted(OTHER_WAKERS))
def test_other_writes_wake_blocked_clients_as_in_redis(real_redis, pika_server, name):
    blocking, writes, unblock = OTHER_WAKERS[name]
    expected = _blocked_run(real_redis.port, [blocking], writes, unblock)
    assert _blocked_run(pika_server.port, [blocking], writes, unblock) == expected


#: Several clients blocked on the same keys: served oldest first, each taking its count.
FIFO_CASES = {
    "lists": ([("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"), ("BLPOP", "k", "0"),
               ("BLMPOP", "0", "1", "k", "RIGHT")],
              [("RPUSH", "k", "a", "b", "c")], [("RPUSH", "k", "d", "e")]),
    "zsets": ([("BZPOPMIN", "k", "0"), ("BZMPOP", "0", "2", "other", "k", "MAX", "COUNT", "5"),
               ("BZMPOP", "0", "1", "k", "MIN")],
              [("ZADD", "k", "1", "a", "2", "b", "3", "c")], [("ZADD", "k", "4", "d")]),
    "types_apart": ([("BLPOP", "k", "0"), ("BZMPOP", "0", "1", "k", "MIN"), ("BLMPOP", "0", "1", "k", "LEFT")],
                    [("ZADD", "k", "1", "a", "2", "b")], [("DEL", "k"), ("RPUSH", "k", "x", "y")]),
}


@pytest.mark.parametrize("name", sorted(FIFO_CASES))
def test_blocked_clients_are_served_oldest_first_as_in_redis(real_redis, pika_server, name):
    blocking, writes, unblock = FIFO_CASES[name]
    expected = _blocked_run(real_redis.port, blocking, writes, unblock)
    assert _blocked_run(pika_server.port, blocking, writes, unblock) == expected
