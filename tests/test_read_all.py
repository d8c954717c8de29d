"""``read_all``, the parsers' feed-then-gets in one call that the connection uses for each read.

A read of whole commands is taken by hiredis at once, all of them (nothing is kept after
them); anything else goes feed()'s and gets()'s way. Whatever the input and wherever it is cut,
reading each chunk with ``read_all`` (and the rest with ``gets`` while it says more is left)
must give the same commands and the same protocol error as the reference parser's feed/gets,
and "nothing left" must be true. ``keep_unrun`` gives a batch's commands not run back to the
parser (the connection stopped, or the limits changed, after one of them).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pypika_store.server.resp.parser import HiredisRequestParser, ProtocolError, ProtocolLimits, RequestParser, hiredis

from .support import RawConnection, encode_command, wait_until
from .support import parse_outcome as outcome
from .test_fuzz_protocol import FUZZ, LIMITS, cuts, multibulk, parsers, streams


def read_all_outcome(parser, chunks: list[bytes]) -> tuple[list, str | None]:
    """:func:`outcome`, each chunk read with ``read_all``; checks that a read said to leave
    nothing leaves nothing."""
    parsed = []
    try:
        for chunk in chunks:
            commands, more = parser.read_all(chunk)
            parsed += commands
            if not more:
                assert parser.pending() == 0
                continue
            while (command := parser.gets()) is not False:
                parsed.append(command)
    except ProtocolError as exc:
        return parsed, str(exc)
    return parsed, None


@FUZZ
@given(data=st.data(), stream=streams(), limits=LIMITS, auth_required=st.booleans())
def test_read_all_agrees_with_feed_and_gets_wherever_the_input_is_cut(data, stream, limits, auth_required):
    chunks = data.draw(cuts(stream))
    expected = outcome(RequestParser(limits), chunks) if not auth_required else None
    for parser in parsers(limits, auth_required):
        result = read_all_outcome(parser, chunks)
        if expected is None:
            expected = result
        assert result == expected, (type(parser).__name__, result, expected)


PARSERS = [RequestParser] + ([HiredisRequestParser] if hiredis is not None else [])
SET = multibulk([b"SET", b"k", b"v"])


@pytest.mark.parametrize("parser_class", PARSERS)
def test_one_whole_command_leaves_nothing_and_the_next_read_starts_afresh(parser_class):
    parser = parser_class(ProtocolLimits())
    for _ in range(3):
        assert parser.read_all(SET) == ([[b"SET", b"k", b"v"]], False)
        assert parser.gets() is False
        assert parser.pending() == 0


def test_hiredis_takes_a_pipelined_read_whole_and_keeps_nothing():
    parser = HiredisRequestParser(ProtocolLimits())
    get = multibulk([b"GET", b"k"])
    assert parser.read_all(SET + get * 3) == ([[b"SET", b"k", b"v"]] + [[b"GET", b"k"]] * 3, False)
    assert parser.pending() == 0 and parser.gets() is False


SKIPPED = [b"PING"]  # what read_all leaves to gets() in the shapes below


@pytest.mark.parametrize("parser_class", PARSERS)
@pytest.mark.parametrize("read, first, rest", [
    (SET + SET, [b"SET", b"k", b"v"], [[b"SET", b"k", b"v"]]),            # pipelined (the reference parser)
    (SET + SET[:7], [b"SET", b"k", b"v"], []),                            # a command, then part of one
    (SET[:7], None, []),                                                  # part of a command
    (b"PING\r\n", [b"PING"], []),                                         # inline
    (b"*0\r\n" + SET, [b"SET", b"k", b"v"], []),                          # an empty command first
    (multibulk([b"SET", b"k", b"x" * 70000]), [b"SET", b"k", b"x" * 70000], []),  # past hiredis' whole read
    # After a command, what hiredis reads as a reply and Redis as an inline command (or skips):
    # a push and a map (a list and a dict to hiredis), RESP3's false, a zero, an empty bulk, *0.
    (multibulk(SKIPPED) + b">2\r\n$1\r\na\r\n$1\r\nb\r\n", SKIPPED, [[b">2"], [b"$1"], [b"a"], [b"$1"], [b"b"]]),
    (multibulk(SKIPPED) + b"%1\r\n$1\r\na\r\n$1\r\nb\r\n", SKIPPED, [[b"%1"], [b"$1"], [b"a"], [b"$1"], [b"b"]]),
    (multibulk(SKIPPED) + b"#f\r\n", SKIPPED, [[b"#f"]]),
    (multibulk(SKIPPED) + b":0\r\n", SKIPPED, [[b":0"]]),
    (multibulk(SKIPPED) + b"$0\r\n\r\n", SKIPPED, [[b"$0"]]),
    (multibulk(SKIPPED) + b"*0\r\n" + SET, SKIPPED, [[b"SET", b"k", b"v"]]),
])
def test_reads_of_other_shapes_are_read_through_gets(parser_class, read, first, rest):
    parser = parser_class(ProtocolLimits())
    commands, more = parser.read_all(read)
    assert commands[:1] == ([first] if first else [])
    parsed = commands[1:]  # hiredis' whole pipelined read
    if more:
        while (command := parser.gets()) is not False:
            parsed.append(command)
    else:  # hiredis' whole read, or the reference parser knows a whole read (an inline one too)
        assert parser.pending() == 0
    assert parsed == rest


@pytest.mark.parametrize("parser_class", PARSERS)
@pytest.mark.parametrize("read, error", [
    (b"*3\r\n:1\r\n:2\r\n:3\r\n", "expected '$', got ':'"),
    (b"*2147483648\r\n", "invalid multibulk length"),
    (b"*1\r\n*1\r\n$1\r\na\r\n", "expected '$', got '*'"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n+v\r\n", "expected '$', got '+'"),  # a simple string element
])
def test_what_is_not_a_request_gets_the_reference_parsers_error(parser_class, read, error):
    with pytest.raises(ProtocolError, match=re.escape(error)):
        parser_class(ProtocolLimits()).read_all(read)


@pytest.mark.parametrize("parser_class", PARSERS)
def test_the_unauthenticated_limits_apply_to_a_whole_read(parser_class):
    parser = parser_class(ProtocolLimits())
    parser.auth_required = True
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        parser.read_all(multibulk([b"MSET"] + [b"k"] * 10))


@pytest.mark.skipif(hiredis is None, reason="hiredis is not installed")
@pytest.mark.parametrize("ran", [1, 2])
def test_the_commands_not_run_go_back_to_the_parser_under_the_limits_then(ran):
    parser = HiredisRequestParser(ProtocolLimits())
    read = multibulk([b"RESET"]) * 2 + multibulk([b"MSET"] + [b"k"] * 10) + multibulk([b"PING"])
    commands, more = parser.read_all(read)
    assert len(commands) == 4 and not more
    parser.keep_unrun(read, commands, ran)
    assert parser.pending() == len(read) - len(multibulk([b"RESET"])) * ran
    parser.auth_required = True  # the RESET that ran ended the authentication
    if ran == 1:
        assert parser.gets() == [b"RESET"]
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        parser.gets()


def test_a_server_answers_one_command_per_read_and_pipelines_alike(diff):
    """Through both servers: reads of one command each, a pipelined read, a read ending inside
    a command, CLIENT REPLY OFF; the same replies from each."""
    get = multibulk([b"GET", b"k"])
    reads = [(SET, 1), (get, 1), (multibulk([b"INCR", b"n"]) * 3, 3), (SET + get[:5], 1), (get[5:], 1),
             (multibulk([b"CLIENT", b"REPLY", b"OFF"]), 0), (multibulk([b"PING"]), 0),
             (multibulk([b"CLIENT", b"REPLY", b"ON"]), 1), (b"PING\r\n", 1)]
    for connection in (diff.redis, diff.pika):
        replies = []
        for read, count in reads:
            connection.send_raw(read)
            replies += [connection.read_reply() for _ in range(count)]
        assert replies == ["OK", b"v", 1, 2, 3, "OK", b"v", "OK", "PONG"]


def _both_connections(diff) -> list[tuple[RawConnection, RawConnection]]:
    """Two new connections to redis-server, and two to pypika-store."""
    ports = [diff.redis.sock.getpeername()[1], diff.pika.sock.getpeername()[1]]
    return [(RawConnection(port), RawConnection(port)) for port in ports]


def _pipelined(*commands: tuple) -> bytes:
    return b"".join(encode_command(args) for args in commands)


def test_a_blocking_command_in_a_pipelined_read_holds_the_commands_after_it(diff):
    for connection, other in _both_connections(diff):
        try:
            after = _pipelined(("SET", "after", "1"), ("GET", "after"))
            connection.send_raw(_pipelined(("DEL", "l"), ("BLPOP", "l", "0")) + after)
            wait_until(lambda: b"blocked_clients:1" in other.call("INFO", "clients"))
            assert other.call("GET", "after") is None  # not run while BLPOP waits
            blocked = next(line for line in other.call("CLIENT", "LIST").splitlines() if b" flags=b " in line)
            assert f" qbuf={len(after)} ".encode() in blocked  # they wait as input
            assert other.call("RPUSH", "l", "x") == 1
            assert [connection.read_reply() for _ in range(4)] == [0, [b"l", b"x"], "OK", b"1"]
        finally:
            connection.close()
            other.close()


def test_quit_in_a_pipelined_read_runs_nothing_after_it(diff):
    for connection, other in _both_connections(diff):
        try:
            connection.send_raw(_pipelined(("SET", "a", "1"), ("QUIT",), ("SET", "b", "2")))
            assert [connection.read_reply() for _ in range(2)] == ["OK", "OK"]
            with pytest.raises(ConnectionError):
                connection.read_reply()
            assert other.call("MGET", "a", "b") == [b"1", None]
        finally:
            connection.close()
            other.close()


def test_client_reply_skip_in_a_pipelined_read(diff):
    for connection, _ in [(diff.redis, None), (diff.pika, None)]:
        connection.send_raw(_pipelined(("CLIENT", "REPLY", "SKIP"), ("SET", "a", "1"), ("GET", "a"), ("PING",)))
        assert [connection.read_reply() for _ in range(2)] == [b"1", "PONG"]


def test_the_limits_a_reset_brings_apply_to_the_commands_after_it_in_the_read(diff):
    """RESET when a password is needed, inside one read: Redis parses each command as it runs
    it, so the next ones meet the unauthenticated limits."""
    for connection, other in _both_connections(diff):
        try:
            other.call("CONFIG", "SET", "requirepass", "secret")
            connection.send_raw(_pipelined(("AUTH", "secret"), ("RESET",), ("MSET", *["k"] * 10)))
            assert connection.read_reply() == "OK" and connection.read_reply() == "RESET"
            assert connection.read_reply() == "ERR Protocol error: unauthenticated multibulk length"
        finally:
            other.call("AUTH", "secret")
            other.call("CONFIG", "SET", "requirepass", "")
            other.close()


@pytest.mark.skipif(hiredis is None, reason="hiredis is not installed")
def test_values_that_look_like_command_headers_stay_in_the_batch():
    """XADD's ``*`` id, a value holding ``\\n*``: hiredis still takes the read whole."""
    parser = HiredisRequestParser(ProtocolLimits())
    xadd = [b"XADD", b"s", b"*", b"f", b"a\n*2\r\n"]
    assert parser.read_all(multibulk(xadd) * 3) == ([xadd] * 3, False)


@pytest.mark.skipif(hiredis is None, reason="hiredis is not installed")
@pytest.mark.parametrize("tail", [b"*2\r\n", b"*2\r\n$1\r\na\r\n", b"*2\r\n$1\r\na\r\n$1", b"*1\r\n$3\r\nab"])
def test_a_pipelined_read_cut_inside_a_command_keeps_it_for_the_next_read(tail):
    parser = HiredisRequestParser(ProtocolLimits())
    commands, more = parser.read_all(SET * 2 + tail)
    assert commands == [[b"SET", b"k", b"v"]] and more
    assert parser.gets() == [b"SET", b"k", b"v"] and parser.gets() is False  # the tail waits
