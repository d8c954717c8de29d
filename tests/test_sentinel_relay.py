"""The relay between sentinels (testing/relay.py): it forwards, tells a connection's opener by
its CLIENT SETNAME, holds one direction of a cut pair until healed, and stops with its owner.
A pypika-store node stands in for the sentinel behind the relay."""

from __future__ import annotations

import socket

import pytest

from pypika_store.testing import PikaServer
from pypika_store.testing.relay import SentinelRelay, _client_name

from .chaos_fixtures import holds_for
from .support import RawConnection, encode_command, wait_until

OPENER, BEHIND = "sentinel-aaaaaaaa", "sentinel-bbbbbbbb"


@pytest.fixture(scope="module")
def upstream():
    with PikaServer() as server:
        yield server


@pytest.fixture
def relay(upstream):
    relay = SentinelRelay()
    port = relay.listen(upstream.port)
    relay.start()
    relay.name(port, BEHIND)
    yield relay
    relay.close()


@pytest.fixture
def port(relay) -> int:
    """The relay's port in front of ``upstream``."""
    return relay.listeners()[0]


def _named(port: int) -> RawConnection:
    """A connection opened as a sentinel opens its links: CLIENT SETNAME first, PING pipelined."""
    connection = RawConnection(port)
    assert connection.pipeline([("CLIENT", "SETNAME", f"{OPENER}-cmd"), ("PING",)]) == ["OK", "PONG"]
    return connection


def _has_reply(connection: RawConnection) -> bool:
    connection.sock.settimeout(0.05)
    try:
        return bool(connection.sock.recv(1 << 16, socket.MSG_PEEK))
    except TimeoutError:
        return False
    finally:
        connection.sock.settimeout(10)


def test_the_relay_forwards_both_ways(port, upstream):
    connection = _named(port)
    value = "x" * 3_000_000  # more than the relay buffers per direction: flow control, not loss
    assert connection.call("SET", "relayed", value) == "OK"
    assert connection.call("GET", "relayed") == value.encode()
    names = upstream.client().client_list()
    assert f"{OPENER}-cmd" in {client["name"] for client in names}
    connection.close()


def test_a_cut_holds_what_the_opener_sends_until_healed(relay, port, upstream):
    connection = _named(port)
    with relay.cut(OPENER, BEHIND):
        connection.send_raw(encode_command(("SET", "held", "v")))
        assert holds_for(lambda: upstream.client().get("held") is None, 0.5)
        assert relay.held_connections() == 1
    assert connection.read_reply() == "OK"
    assert upstream.client().get("held") == b"v"
    assert relay.held_connections() == 0
    connection.close()


def test_a_held_link_its_opener_closes_ends_with_what_it_held(relay, port, upstream):
    connection = _named(port)
    with relay.cut(OPENER, BEHIND):
        connection.send_raw(encode_command(("SET", "given-up", "v")))
        wait_until(lambda: relay.held_connections() == 1, what="the held link")
        connection.close()  # as a sentinel closes a link whose peer stopped answering
        wait_until(lambda: relay.held_connections() == 0, what="the closed link to end")
    assert holds_for(lambda: upstream.client().get("given-up") is None, 0.3)


def test_a_one_way_cut_back_lets_requests_through_and_holds_the_replies(relay, port, upstream):
    connection = _named(port)
    with relay.cut(BEHIND, OPENER):
        connection.send_raw(encode_command(("SET", "answered-late", "v")))
        wait = holds_for(lambda: not _has_reply(connection), 0.5)
        assert upstream.client().get("answered-late") == b"v" and wait
    assert connection.read_reply() == "OK"
    connection.close()


def test_cuts_of_the_same_pair_count_and_unnamed_connections_are_never_held(relay, port):
    first, second = relay.cut(OPENER, BEHIND), relay.cut(OPENER, BEHIND)
    unnamed = RawConnection(port)
    assert unnamed.call("PING") == "PONG"  # not a sentinel's link: no opener to cut
    first.heal()
    named = RawConnection(port)
    named.send_raw(encode_command(("CLIENT", "SETNAME", f"{OPENER}-cmd")))
    assert holds_for(lambda: not _has_reply(named), 0.3)
    second.heal()
    assert named.read_reply() == "OK"
    for connection in (unnamed, named):
        connection.close()


def test_closing_the_relay_closes_its_connections_and_listeners(upstream):
    relay = SentinelRelay()
    port = relay.listen(upstream.port)
    relay.start()
    connection = RawConnection(port)
    assert connection.call("PING") == "PONG"
    relay.close()
    with pytest.raises(ConnectionError):
        connection.call("PING")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_the_opener_is_told_by_its_first_commands():
    setname = encode_command(("CLIENT", "SETNAME", "sentinel-12345678-cmd"))
    assert _client_name(encode_command(("AUTH", "secret")) + setname) == (True, "sentinel-12345678-cmd")
    assert _client_name(setname[:-3]) == (False, None)  # not all there yet
    assert _client_name(encode_command(("PING",)) + setname) == (True, None)
    assert _client_name(b"PING\r\n") == (True, None)  # an inline command: not a sentinel
