"""A script running past busy-reply-threshold: other clients (connected before or during it)
get BUSY, SCRIPT KILL stops a script that has not written (UNKILLABLE otherwise), SHUTDOWN
NOSAVE stops the server and keeps none of the script; what is served meanwhile is Redis'."""

from __future__ import annotations

import hashlib

import pytest

from pypika_store.testing import PikaServer

from .support import Err, RawConnection, encode_command, wait_until

BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
              "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
FOREVER = "while true do end"


@pytest.fixture
def server(tmp_path):
    with PikaServer(data_dir=str(tmp_path), config={"busy-reply-threshold": 50}) as server:
        yield server


def _start(server, *command: str) -> RawConnection:
    """A connection that sent ``command`` (a script) and has not read its reply."""
    connection = RawConnection(server.port)
    connection.send_raw(encode_command(command))
    return connection


def _connected(server) -> RawConnection:
    """A connection the server has taken in (answered once), so it is among its clients."""
    connection = RawConnection(server.port)
    assert connection.call("PING") == "PONG"
    return connection


def _wait_busy(connection: RawConnection) -> None:
    wait_until(lambda: connection.call("PING") == BUSY, what="the server to answer BUSY")


def test_busy_script_is_killed(server):
    other = _connected(server)
    runner = _start(server, "EVAL", FOREVER, "0")
    _wait_busy(other)
    assert other.call("GET", "x") == BUSY
    assert other.call("SCRIPT", "KILL") == "OK"
    killed = runner.read_reply()
    sha = hashlib.sha1(FOREVER.encode()).hexdigest()
    assert isinstance(killed, Err)
    assert killed == f"ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:1."
    assert runner.call("PING") == "PONG" and other.call("PING") == "PONG"
    assert other.call("SCRIPT", "KILL") == "NOTBUSY No scripts in execution right now."


def test_pcall_cannot_swallow_the_kill(server):
    other = _connected(server)
    runner = _start(server, "EVAL", "while true do pcall(function() while true do end end) end", "0")
    _wait_busy(other)
    assert other.call("SCRIPT", "KILL") == "OK"
    assert runner.read_reply().startswith("ERR Script killed by user with SCRIPT KILL...")


def test_a_connection_made_while_busy_is_served(server):
    other = _connected(server)
    runner = _start(server, "EVAL", FOREVER, "0")
    _wait_busy(other)
    late = RawConnection(server.port)
    assert late.call("SET", "k", "v") == BUSY
    assert late.call("SCRIPT", "KILL") == "OK"
    assert runner.read_reply().startswith("ERR Script killed")
    assert late.call("SET", "k", "v") == "OK"  # the same connection, handed to the event loop
    assert late.call("CLIENT", "ID") > 0


def test_what_is_served_while_busy(server):
    other = _connected(server)
    runner = _start(server, "EVAL", FOREVER, "0")
    _wait_busy(other)
    assert other.call("MULTI") == "OK"
    assert other.call("PING") == BUSY
    assert other.call("EXEC") == "EXECABORT Transaction discarded because of: " + BUSY
    assert other.call("SCRIPT", "HELP") == BUSY
    assert other.call("SHUTDOWN") == BUSY
    assert other.call("NOSUCH") == "ERR unknown command 'NOSUCH', with args beginning with: "
    assert other.call("SCRIPT", "KILL") == "OK"
    assert runner.read_reply().startswith("ERR Script killed")


def test_a_script_that_wrote_cannot_be_killed(server):
    other = _connected(server)
    runner = _start(server, "EVAL", "redis.call('set', 'x', '1') local n = 0 "
                                     "while redis.call('get', 'stop') == false do n = n + 1 end return n", "0")
    _wait_busy(other)
    assert other.call("SCRIPT", "KILL") == UNKILLABLE
    assert other.call("SET", "stop", "1") == BUSY  # what would end it is refused too
    other.send_raw(encode_command(("SHUTDOWN", "NOSAVE")))  # the one way out
    for connection in (other, runner):
        with pytest.raises(ConnectionError):
            connection.read_reply()


def test_shutdown_nosave_keeps_none_of_the_script(tmp_path):
    data_dir = str(tmp_path / "data")
    server = PikaServer(data_dir=data_dir, config={"busy-reply-threshold": 50}).start()
    try:
        server.client().set("before", "1")
        other = _connected(server)
        runner = _start(server, "EVAL", "for i = 1, 100 do redis.call('set', 'k' .. i, i) end " + FOREVER, "0")
        _wait_busy(other)
        other.send_raw(encode_command(("SHUTDOWN", "NOSAVE")))
        with pytest.raises(ConnectionError):
            other.read_reply()
        with pytest.raises(ConnectionError):
            runner.read_reply()
    finally:
        server.stop()
    with PikaServer(data_dir=data_dir) as again:
        client = again.client()
        assert client.keys("*") == [b"before"]


def test_kill_nine_during_a_script_keeps_none_of_it(tmp_path):
    """A crash while a script runs: its writes were never committed nor logged."""
    data_dir = str(tmp_path / "data")
    server = PikaServer(mode="process", data_dir=data_dir, config={"busy-reply-threshold": 50}).start()
    try:
        server.client().set("before", "1")
        other = _connected(server)
        _start(server, "EVAL", "for i = 1, 100 do redis.call('set', 'k' .. i, i) end " + FOREVER, "0")
        _wait_busy(other)
        server.kill()
    finally:
        server.stop()
    with PikaServer(data_dir=data_dir) as again:
        assert again.client().keys("*") == [b"before"]


def test_a_short_script_keeps_other_clients_waiting_not_refused(server):
    """Under the threshold nobody gets BUSY: the others' commands run right after the script."""
    server.client().config_set("busy-reply-threshold", 10_000)
    runner = _start(server, "EVAL", "local n = 0 for i = 1, 3000000 do n = n + 1 end return n", "0")
    other = _connected(server)
    assert other.call("PING") == "PONG"
    assert runner.read_reply() == 3000000


def test_lua_time_limit_is_busy_reply_threshold(server):
    client = server.client()
    client.config_set("lua-time-limit", 1234)
    assert client.config_get("busy-reply-threshold") == {"busy-reply-threshold": "1234"}
