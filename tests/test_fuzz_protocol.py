"""Fuzzing the protocol: generated RESP against both request parsers and a running server.

Inputs are built from valid requests (multibulk and inline), then possibly truncated, given
bytes flipped or inserted, headed by an oversized count or length, or replaced by random bytes,
and cut into chunks at generated points (and, for short inputs, at every byte).

- The two parsers (pure Python and hiredis-backed) must never raise anything but ProtocolError,
  must agree with each other (the commands, then the same error or the same wait for more),
  must not depend on where the input was cut, and must give back valid requests as they were.
- A running server must never crash, hang or change its data: each input goes on a connection
  of its own, which is then half-closed; the server must answer it up to the end or close it,
  then answer PING on another connection with the same DEBUG DIGEST as before. The server is a
  slave (of a master that does not exist), so no input can write, whatever it turns into.

The default run is short; ``PYPIKA_FUZZ_EXAMPLES=2000`` (for example) runs that many examples
per test instead.
"""

from __future__ import annotations

import os
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypika_store.server.resp.parser import HiredisRequestParser, ProtocolLimits, RequestParser, hiredis
from pypika_store.testing import PikaServer, free_port

from .support import RawConnection, Stat, wait_until
from .support import parse_outcome as outcome

#: Examples per test: small by default so the suite stays fast.
EXAMPLES = int(os.environ.get("PYPIKA_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(max_examples=EXAMPLES or 150, deadline=None, derandomize=EXAMPLES is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SERVER_FUZZ = settings(FUZZ, max_examples=EXAMPLES or 40)

needs_hiredis = pytest.mark.skipif(hiredis is None, reason="hiredis is not installed")

#: Commands the requests are made of: reads, and writes a slave refuses.
COMMANDS = [b"GET", b"SET", b"PING", b"ECHO", b"EXISTS", b"STRLEN", b"TYPE", b"TTL", b"MGET", b"HGETALL",
            b"LRANGE", b"SMEMBERS", b"ZRANGE", b"DBSIZE", b"SCAN", b"INCR", b"DEL", b"SELECT", b"MULTI",
            b"EXEC", b"DISCARD", b"HSET", b"LPUSH", b"GETRANGE", b"OBJECT", b"COMMAND"]
#: Headers past what any limit allows, and other malformed ones.
BAD_HEADERS = [b"*2147483648\r\n", b"*99999999999999999999\r\n", b"*-2\r\n", b"*01\r\n", b"$5\r\n",
               b"*1\r\n$536870913\r\n", b"*1\r\n$-7\r\n", b"*1\r\n$99999999999999999999\r\n", b"*11\r\n",
               b"*1\r\n$16385\r\n", b"*1\r\n$1048577\r\n", b"*3\r\n:1\r\n", b"*1\r\n$3\r\nab", b"\r\n", b"*0\r\n"]

arguments = st.one_of(
    st.sampled_from([b"k", b"h", b"l", b"s", b"z", b"0", b"1", b"-1", b"10", b"COUNT", b"ENCODING"]),
    st.binary(max_size=40),
    st.binary(min_size=65536, max_size=70000),  # the big-bulk path
)
commands = st.tuples(st.sampled_from(COMMANDS), st.lists(arguments, max_size=4)).map(lambda pair: [pair[0], *pair[1]])
#: Bytes an inline word cannot hold unquoted.
_SEPARATORS = b" \t\r\n\v\f\"'"
inline_word = st.binary(min_size=1, max_size=12).filter(lambda word: not any(byte in _SEPARATORS for byte in word))
inline_commands = st.tuples(st.sampled_from(COMMANDS), st.lists(inline_word, max_size=3)).map(
    lambda pair: [pair[0], *pair[1]])


def multibulk(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in argv)


def inline(argv: list[bytes]) -> bytes:
    return b" ".join(argv) + b"\r\n"


valid_requests = st.lists(st.one_of(commands.map(lambda argv: (argv, multibulk(argv))),
                                    inline_commands.map(lambda argv: (argv, inline(argv)))), min_size=1, max_size=6)


@st.composite
def streams(draw) -> bytes:
    """A request stream: valid, or valid with damage, or random bytes."""
    stream = b"".join(encoded for _argv, encoded in draw(valid_requests))
    damage = draw(st.sampled_from(["none", "truncate", "flip", "insert", "bad header", "random"]))
    if damage == "truncate":
        stream = stream[: draw(st.integers(0, len(stream)))]
    elif damage == "flip":
        data = bytearray(stream)
        for index in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=4)):
            data[index] = draw(st.integers(0, 255))
        stream = bytes(data)
    elif damage == "insert":
        at = draw(st.integers(0, len(stream)))
        inserted = draw(st.one_of(st.sampled_from(BAD_HEADERS), st.binary(min_size=1, max_size=20)))
        stream = stream[:at] + inserted + stream[at:]
    elif damage == "bad header":
        stream = draw(st.sampled_from(BAD_HEADERS)) + stream
    elif damage == "random":
        stream = draw(st.binary(max_size=300))
    return stream


@st.composite
def cuts(draw, stream: bytes) -> list[bytes]:
    """``stream`` in chunks cut at generated points."""
    points = sorted(set(draw(st.lists(st.integers(1, max(1, len(stream) - 1)), max_size=8))))
    points = [point for point in points if 0 < point < len(stream)]
    return [stream[start:end] for start, end in zip([0, *points], [*points, len(stream)])]


def parsers(limits: ProtocolLimits, auth_required: bool) -> list:
    made = [RequestParser(limits)] + ([HiredisRequestParser(limits)] if hiredis is not None else [])
    for parser in made:
        parser.auth_required = auth_required
    return made


LIMITS = st.sampled_from([ProtocolLimits(), ProtocolLimits(max_bulk_len=1000)])


@FUZZ
@given(data=st.data(), stream=streams(), limits=LIMITS, auth_required=st.booleans())
def test_both_parsers_agree_wherever_the_input_is_cut(data, stream, limits, auth_required):
    whole = outcome(RequestParser(limits), [stream]) if not auth_required else None
    chunks = data.draw(cuts(stream))
    results = [outcome(parser, chunks) for parser in parsers(limits, auth_required)]
    assert all(result == results[0] for result in results), results
    if whole is not None:
        assert results[0] == whole


@FUZZ
@given(requests=valid_requests)
def test_valid_requests_come_back_as_they_were_at_every_cut(requests):
    stream = b"".join(encoded for _argv, encoded in requests)
    expected = [argv for argv, _encoded in requests]
    if len(stream) > 2000:
        every_cut = [0, len(stream) // 3, len(stream) - 1]
    else:
        every_cut = range(len(stream))
    for cut in every_cut:
        for parser in parsers(ProtocolLimits(), False):
            assert outcome(parser, [stream[:cut], stream[cut:]]) == (expected, None)


@needs_hiredis
@FUZZ
@given(stream=st.binary(max_size=500), split=st.integers(0, 500))
def test_random_bytes_never_raise_anything_but_protocol_errors(stream, split):
    for parser in parsers(ProtocolLimits(), False):
        outcome(parser, [stream[:split], stream[split:]])


# -- against a running server ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed_server():
    """A server holding one key of each type, then made the slave of a master that is not
    there, so that whatever an input turns into, it cannot write."""
    with PikaServer() as server:
        setup = RawConnection(server.port)
        for command in (("SET", "k", "v"), ("HSET", "h", "f", "v"), ("RPUSH", "l", "a", "b"), ("SADD", "s", "m"),
                        ("ZADD", "z", "1", "m"), ("SET", "big", b"x" * 70000)):
            setup.call(*command)
        assert setup.call("SLAVEOF", "127.0.0.1", str(free_port())) == Stat("OK")
        digest = setup.call("DEBUG", "DIGEST")
        setup.close()
        yield server, digest


def send_and_read_to_the_end(port: int, chunks: list[bytes]) -> bytes:
    """Send the chunks on a new connection, half-close it, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return b""
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b""
        received = b""
        try:
            while data := sock.recv(1 << 16):  # a timeout here is a hang: the test fails
                received += data
        except ConnectionResetError:
            pass
        return received


@SERVER_FUZZ
@given(data=st.data(), stream=streams())
def test_the_server_survives_any_input_unchanged(fuzzed_server, data, stream):
    server, digest = fuzzed_server
    send_and_read_to_the_end(server.port, data.draw(cuts(stream)))
    control = RawConnection(server.port)
    assert control.call("PING") == Stat("PONG")
    assert control.call("DEBUG", "DIGEST") == digest
    control.close()


def test_the_server_survives_every_cut_of_a_damaged_stream(fuzzed_server):
    server, digest = fuzzed_server
    stream = multibulk([b"GET", b"k"]) + b"*2\r\n$3\r\nSET\r\n$9999\r\nab" + inline([b"PING"])
    for cut in range(len(stream)):
        send_and_read_to_the_end(server.port, [stream[:cut], stream[cut:]])
    control = RawConnection(server.port)
    wait_until(lambda: control.call("PING") == Stat("PONG"))
    assert control.call("DEBUG", "DIGEST") == digest
    control.close()
