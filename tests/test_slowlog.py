"""SLOWLOG: its errors and HELP compared with redis-server, and its entries' shape (times and
client ports aside)."""

from __future__ import annotations

import pytest

from .support import RawConnection

_ERRORS = [("GET", "x"), ("GET", "-2"), ("GET", "1", "2"), ("LEN", "x"), ("RESET", "x"), ("NOSUCH",), ("HELP",)]


@pytest.fixture
def log_everything(diff):
    diff.both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    diff.both("SLOWLOG", "RESET")
    yield diff
    diff.both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    diff.both("CONFIG", "SET", "slowlog-max-len", "128")
    diff.both("SLOWLOG", "RESET")


def test_slowlog_errors_and_config_match_redis(diff):
    diff.check("SLOWLOG")
    for args in _ERRORS:
        diff.check("SLOWLOG", *args)
    diff.check("CONFIG", "GET", "slowlog*", normalize=lambda reply: sorted(zip(reply[::2], reply[1::2])))
    diff.check("CONFIG", "SET", "slowlog-max-len", "-1")
    diff.check("CONFIG", "SET", "slowlog-log-slower-than", "-5")


def _shape(entries: list) -> list:
    """An entry without what differs between servers: its id, time, duration and port."""
    return [[arguments, address.rsplit(b":", 1)[0], name]
            for _id, _time, _duration, arguments, address, name in entries]


def test_slowlog_entries_match_redis(log_everything):
    diff = log_everything
    diff.check("CLIENT", "SETNAME", "slow")
    diff.check("SET", "k", "x" * 200)
    diff.check("RPUSH", "l", *[str(each) for each in range(40)])
    diff.check("AUTH", "secret")
    diff.check("MULTI")
    diff.check("INCR", "n")
    diff.check("EXEC")                       # its commands are logged, EXEC is not
    diff.check("SLOWLOG", "LEN")
    diff.check("SLOWLOG", "GET", "1", normalize=_shape)
    diff.check("SLOWLOG", "GET", normalize=_shape)
    diff.check("SLOWLOG", "GET", "-1", normalize=_shape)
    diff.check("CONFIG", "SET", "slowlog-max-len", "2")
    diff.check("SLOWLOG", "LEN")             # trimmed when CONFIG SET itself was logged
    diff.check("SLOWLOG", "RESET")
    diff.check("SLOWLOG", "LEN")             # the RESET is logged after it ran


def test_slowlog_entry_fields(pika_server):
    raw = RawConnection(pika_server.port)
    raw.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
    raw.call("SLOWLOG", "RESET")
    raw.call("PING")
    (reset_entry, ping_entry) = raw.call("SLOWLOG", "GET", "2")[::-1]
    assert ping_entry[0] == reset_entry[0] + 1 and ping_entry[3] == [b"PING"]
    assert ping_entry[1] > 1_700_000_000 and ping_entry[2] >= 0
    raw.call("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    raw.call("SLOWLOG", "RESET")
    raw.call("PING")
    assert raw.call("SLOWLOG", "LEN") == 0
    raw.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    raw.close()
