"""MONITOR: the lines every command produces, compared with redis-server's (times and client
ports aside)."""

from __future__ import annotations

import re

from pypika_store.testing import PikaGroup

from .support import RawConnection, Stat, wait_until

#: A MONITOR line's time and client address, which differ between the two servers.
_TIME_AND_ADDRESS = re.compile(r"^\d+\.\d{6} \[(\d+) [^\]]+\] ")


def _lines(monitor: RawConnection, count: int) -> list[str]:
    lines = [str(monitor.read_reply()) for _ in range(count)]
    for line in lines:
        assert _TIME_AND_ADDRESS.match(line), line
    return [_TIME_AND_ADDRESS.sub(r"[\1] ", line) for line in lines]


_SESSION = [
    ("SET", "k", 'a "q" \\ \n\r\t\x07\x08\x01\x7f é'),
    ("AUTH", "pw"), ("AUTH", "user", "pw"), ("HELLO", "2", "AUTH", "user", "pw"), ("HELLO", "2", "AUTH", "user"),
    ("HELLO", "2", "SETNAME", "n", "AUTH", "default", "pw"),
    ("NOSUCH",), ("GET",),                       # refused: not shown
    ("MULTI",), ("INCR", "n"), ("EXEC",),         # the queued command before its EXEC
    ("CONFIG", "GET", "maxclients"),              # admin: not shown
    ("CLIENT", "ID"), ("SELECT", "2"), ("GET", "x"), ("BLPOP", "l", "0.01"), ("PING",),
]
#: The lines of _SESSION: every command shown, but for the ones refused or admin.
_SHOWN = len(_SESSION) - 3


def test_monitor_lines_match_redis(real_redis, pika_server):
    sessions = []
    for port in (real_redis.port, pika_server.port):
        monitor, client = RawConnection(port), RawConnection(port)
        assert monitor.call("MONITOR") == Stat("OK")
        for args in _SESSION:
            client.call(*args)
        lines = _lines(monitor, _SHOWN)
        assert monitor.call("PING") == Stat("PONG")
        lines += _lines(monitor, 1)             # the monitor's own PING, after its reply
        assert monitor.call("RESET") == Stat("RESET")
        client.call("FLUSHALL")
        assert monitor.call("PING") == Stat("PONG")  # RESET ended monitor mode: no FLUSHALL line
        sessions.append(lines)
        monitor.close()
        client.close()
    assert sessions[1] == sessions[0]
    assert sessions[0][0].startswith('[0] "SET" "k" "a \\"q\\" \\\\ \\n\\r\\t\\a\\b\\x01\\x7f \\xc3\\xa9"')


def test_monitor_shows_the_master_address_on_a_slave_and_ends_with_quit():
    with PikaGroup(slaves=1) as group:
        group.wait_synced()  # streaming (a write made during the full sync would come in its snapshot)
        slave = RawConnection(group.slaves[0].port)
        assert slave.call("MONITOR") == Stat("OK")
        flags = RawConnection(group.slaves[0].port)
        wait_until(lambda: " flags=O " in flags.call("CLIENT", "LIST").decode(), what="the monitor flag")
        group.master.client().set("k", "v")
        line = str(slave.read_reply())
        assert line.endswith(f'[0 127.0.0.1:{group.master.port}] "set" "k" "v"'), line
        assert slave.call("QUIT") == Stat("OK")
        wait_until(lambda: " flags=O " not in flags.call("CLIENT", "LIST").decode(), what="the monitor to go")
        flags.close()
