"""The hot path's short cuts give what the general code gives (issue #16): arrays of bulk
strings encoded in one pass, small integers from a table, plain numbers parsed at once, hiredis'
requests sized in one pass, commands found under any spelling."""

from __future__ import annotations

import pytest

import pypika_store.server.commands  # noqa: F401  (registers the commands)
from pypika_store.errors import NotFloatError, NotIntegerError
from pypika_store.server.arguments import parse_double, parse_int
from pypika_store.server.registry import TABLE
from pypika_store.server.resp.parser import HiredisRequestParser, RequestParser, _request_size, hiredis
from pypika_store.server.resp.replies import Double, Raw, SetReply, encode, encode3


def _one_by_one(items: list) -> bytes:
    return b"".join(encode(item) for item in items)


@pytest.mark.parametrize("items", [
    [b"xxx"] * 100,
    [b"", b"a" * 1023, b"b" * 1024, b"c" * 70000],  # lengths at and past the header table
    [b"a", 7, None, [b"b"]],                         # not bulk strings only: element by element
    [Raw(b"+OK\r\n"), b"a"],                         # a bytes subclass is not a bulk string
])
def test_an_array_is_its_elements_encoded_one_by_one(items):
    assert encode(items) == b"*%d\r\n" % len(items) + _one_by_one(items)
    assert encode(tuple(items)) == encode(items)
    assert encode3(SetReply(items)).startswith(b"~%d\r\n" % len(items))


def test_integers_in_and_past_the_table():
    for value in (0, 1, 1023, 1024, -1, 2**63 - 1):
        assert encode(value) == b":%d\r\n" % value == encode3(value)
    assert encode(True) == b":1\r\n" and encode3(True) == b"#t\r\n"
    assert encode(Double(1.5)) == b"$3\r\n1.5\r\n"


@pytest.mark.parametrize("text, value", [(b"0", 0), (b"7", 7), (b"123456789012345678", 123456789012345678),
                                         (b"9223372036854775807", 2**63 - 1), (b"-5", -5)])
def test_integers_parse_as_string2ll(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize("text", [b"", b"007", b"-0", b"+1", b" 1", b"9223372036854775808", b"1\x00"])
def test_non_integers_are_refused(text):
    with pytest.raises(NotIntegerError):
        parse_int(text)


@pytest.mark.parametrize("text, value", [(b"1", 1.0), (b"007", 7.0), (b"999999999999999", 999999999999999.0),
                                         (b"12345678901234567890", 1.2345678901234567e19),
                                         (b"-1.5", -1.5), (b"inf", float("inf"))])
def test_doubles_parse_as_strtod(text, value):
    assert parse_double(text) == value


@pytest.mark.parametrize("text", [b"", b"nan", b"1e400", b" 1", b"1x"])
def test_non_doubles_are_refused(text):
    with pytest.raises(NotFloatError):
        parse_double(text)


def test_request_size_is_the_canonical_encoding():
    for command in ([b"GET", b"k"], [b"SET", b"k" * 1023, b"v" * 1024], [b"x"] * 12, [b""]):
        canonical = b"*%d\r\n" % len(command) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in command)
        assert _request_size(command) == len(canonical)
    assert _request_size([b"SET", 1]) == 0
    assert _request_size([b"SET", [b"nested"]]) == 0


@pytest.mark.parametrize("parser_class", [
    RequestParser,
    pytest.param(HiredisRequestParser, marks=pytest.mark.skipif(hiredis is None, reason="hiredis not installed")),
])
def test_long_lengths_and_counts_parse(parser_class):
    parser = parser_class()
    command = [b"RPUSH", b"k", *(b"%d" % n for n in range(20)), b"v" * 100000]
    parser.feed(b"*%d\r\n" % len(command) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in command))
    assert parser.gets() == command
    assert parser.gets() is False and parser.pending() == 0


def test_commands_are_found_under_any_spelling():
    spec = TABLE.get(b"set")
    assert spec is not None
    assert TABLE.get(b"SET") is TABLE.get(b"SeT") is spec
    assert TABLE.get(b"CONFIG") is TABLE.get(b"config") is not None
    assert TABLE.get(b"NOSUCHCOMMAND") is None


class _Transport:
    """Keeps ``buffered`` bytes unsent, as a socket that a client does not read."""

    def __init__(self) -> None:
        self.buffered = 0
        self.aborted = False

    def write(self, data: bytes) -> None:
        pass

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_extra_info(self, name: str, default=None):
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else default


def test_an_emptied_output_buffer_stops_the_soft_limit_clock(tmp_path, monkeypatch):
    """Nothing buffered skips the limits (no config read), but still stops the soft limit's
    clock: a client back under its soft limit starts a new one when it goes over again."""
    from pypika_store.config import Config
    from pypika_store.server import connection
    from pypika_store.server.app import Server

    server = Server(Config(None, {"db-path": str(tmp_path / "db"), "log-path": str(tmp_path / "log"),
                                  "client-output-buffer-limit": "normal 0 100 1"}))
    try:
        now = [1000.0]
        monkeypatch.setattr(connection.time, "monotonic", lambda: now[0])
        transport = _Transport()
        client = connection.Client(server)
        client.connection_made(transport)
        transport.buffered = 500                      # over the soft limit: its clock starts
        client.data_received(b"PING\r\n")
        transport.buffered, now[0] = 0, now[0] + 0.5  # drained
        client.data_received(b"PING\r\n")
        transport.buffered, now[0] = 500, now[0] + 2  # over again, 2.5 s after the first time
        client.data_received(b"PING\r\n")
        assert not transport.aborted
        now[0] += 1.5                                 # over for 1.5 s: past its second
        client.data_received(b"PING\r\n")
        assert transport.aborted
    finally:
        server.engine.close()
