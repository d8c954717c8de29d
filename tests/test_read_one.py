"""``read_one``, the parsers' feed-then-gets in one call that the connection uses for each read.

A read of one whole command is taken by hiredis at once (nothing is kept after it); anything
else goes feed()'s and gets()'s way. Whatever the input and wherever it is cut, reading each
chunk with ``read_one`` (and the rest with ``gets`` while it says more is left) must give the
same commands and the same protocol error as the reference parser's feed/gets, and "nothing
left" must be true.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pypika_store.server.resp.parser import HiredisRequestParser, ProtocolError, ProtocolLimits, RequestParser, hiredis

from .support import parse_outcome as outcome
from .test_fuzz_protocol import FUZZ, LIMITS, cuts, multibulk, parsers, streams


def read_one_outcome(parser, chunks: list[bytes]) -> tuple[list, str | None]:
    """:func:`outcome`, each chunk read with ``read_one``; checks that a read said to leave
    nothing leaves nothing."""
    parsed = []
    try:
        for chunk in chunks:
            command, more = parser.read_one(chunk)
            if command is not None:
                parsed.append(command)
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
def test_read_one_agrees_with_feed_and_gets_wherever_the_input_is_cut(data, stream, limits, auth_required):
    chunks = data.draw(cuts(stream))
    expected = outcome(RequestParser(limits), chunks) if not auth_required else None
    for parser in parsers(limits, auth_required):
        result = read_one_outcome(parser, chunks)
        if expected is None:
            expected = result
        assert result == expected, (type(parser).__name__, result, expected)


PARSERS = [RequestParser] + ([HiredisRequestParser] if hiredis is not None else [])
SET = multibulk([b"SET", b"k", b"v"])


@pytest.mark.parametrize("parser_class", PARSERS)
def test_one_whole_command_leaves_nothing_and_the_next_read_starts_afresh(parser_class):
    parser = parser_class(ProtocolLimits())
    for _ in range(3):
        assert parser.read_one(SET) == ([b"SET", b"k", b"v"], False)
        assert parser.gets() is False
        assert parser.pending() == 0


@pytest.mark.parametrize("parser_class", PARSERS)
@pytest.mark.parametrize("read, first, rest", [
    (SET + SET, [b"SET", b"k", b"v"], [[b"SET", b"k", b"v"]]),            # pipelined
    (SET + SET[:7], [b"SET", b"k", b"v"], []),                            # a command, then part of one
    (SET[:7], None, []),                                                  # part of a command
    (b"PING\r\n", [b"PING"], []),                                         # inline
    (b"*0\r\n" + SET, [b"SET", b"k", b"v"], []),                          # an empty command first
    (multibulk([b"SET", b"k", b"x" * 70000]), [b"SET", b"k", b"x" * 70000], []),  # past hiredis' whole read
])
def test_reads_of_other_shapes_are_read_through_gets(parser_class, read, first, rest):
    parser = parser_class(ProtocolLimits())
    command, more = parser.read_one(read)
    assert command == first
    parsed = []
    if more:
        while (command := parser.gets()) is not False:
            parsed.append(command)
    else:  # the reference parser knows a whole read (an inline one too) when it sees one
        assert parser_class is RequestParser and parser.pending() == 0
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
        parser_class(ProtocolLimits()).read_one(read)


@pytest.mark.parametrize("parser_class", PARSERS)
def test_the_unauthenticated_limits_apply_to_a_whole_read(parser_class):
    parser = parser_class(ProtocolLimits())
    parser.auth_required = True
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        parser.read_one(multibulk([b"MSET"] + [b"k"] * 10))


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
