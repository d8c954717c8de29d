"""A function running past busy-reply-threshold: BUSY naming FUNCTION KILL, FUNCTION KILL and
SCRIPT KILL each stopping only their own kind, FUNCTION STATS showing the running function,
UNKILLABLE once it wrote (texts as redis-server 7.0 gives them)."""

from __future__ import annotations

import pytest

from pypika_store.testing import PikaServer

from .support import Err, encode_command, wait_until
from .test_scripting_busy import _connected, _start

FUNCTION_BUSY = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
SCRIPT_BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
              "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
LIBRARY = ("#!lua name=busy\n"
           "redis.register_function('spin', function() while true do end end)\n"
           "redis.register_function('spin_after_write', function() redis.call('set', 'w', '1') "
           "while true do end end)")


@pytest.fixture
def server(tmp_path):
    with PikaServer(data_dir=str(tmp_path), config={"busy-reply-threshold": 50}) as server:
        assert server.client().function_load(LIBRARY) == b"busy"
        yield server


def test_a_busy_function_is_killed(server):
    other = _connected(server)
    runner = _start(server, "FCALL", "spin", "0")
    wait_until(lambda: other.call("PING") == FUNCTION_BUSY, what="the server to answer BUSY")
    assert other.call("EVAL", "return 1", "0") == FUNCTION_BUSY
    assert other.call("SCRIPT", "KILL") == FUNCTION_BUSY
    stats = other.call("FUNCTION", "STATS")
    assert stats[:2] == [b"running_script", [b"name", b"spin", b"command", [b"FCALL", b"spin", b"0"],
                                             b"duration_ms", stats[1][5]]]
    assert stats[1][5] >= 50
    assert stats[2:] == [b"engines", [b"LUA", [b"libraries_count", 1, b"functions_count", 2]]]
    assert other.call("FUNCTION", "KILL") == "OK"
    killed = runner.read_reply()
    assert isinstance(killed, Err)
    assert killed == "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."
    assert other.call("FUNCTION", "KILL") == "NOTBUSY No scripts in execution right now."
    assert runner.call("PING") == "PONG"


def test_function_kill_leaves_a_busy_script(server):
    other = _connected(server)
    runner = _start(server, "EVAL", "while true do end", "0")
    wait_until(lambda: other.call("PING") == SCRIPT_BUSY, what="the server to answer BUSY")
    assert other.call("FUNCTION", "KILL") == SCRIPT_BUSY
    assert other.call("FUNCTION", "STATS") == SCRIPT_BUSY
    assert other.call("SCRIPT", "KILL") == "OK"
    assert runner.read_reply().startswith("ERR Script killed by user with SCRIPT KILL...")


def test_a_function_that_wrote_is_unkillable(server):
    other = _connected(server)
    _start(server, "FCALL", "spin_after_write", "0")
    wait_until(lambda: other.call("PING") == FUNCTION_BUSY, what="the server to answer BUSY")
    assert other.call("FUNCTION", "KILL") == UNKILLABLE
    other.send_raw(encode_command(("SHUTDOWN", "NOSAVE")))
    wait_until(lambda: server.server.shutting_down, what="the server to stop")
