"""Both request parsers (pure Python and hiredis-backed) pass the same cases."""

from __future__ import annotations

import os
import random
import tracemalloc

import pytest

from pypika_store.server.resp.parser import (HiredisRequestParser, ProtocolError, ProtocolLimits, RequestParser,
                                             hiredis, split_inline)

PARSERS = [
    pytest.param(RequestParser, id="python"),
    pytest.param(HiredisRequestParser, id="hiredis",
                 marks=pytest.mark.skipif(hiredis is None, reason="hiredis is not installed")),
]


def parse_all(parser, *chunks: bytes) -> list:
    commands = []
    for chunk in chunks:
        parser.feed(chunk)
        while (command := parser.gets()) is not False:
            commands.append(command)
    return commands


def encode(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in args)


@pytest.mark.parametrize("parser_class", PARSERS)
class TestBothParsers:
    def test_multibulk_and_inline_mixed(self, parser_class):
        stream = encode(b"SET", b"k", b"v") + b"PING\r\n" + b'set "a b" \'c\\\'d\' "\\x41\\n"\r\n' + b"\r\n*0\r\n"
        assert parse_all(parser_class(), stream) == [[b"SET", b"k", b"v"], [b"PING"], [b"set", b"a b", b"c'd", b"A\n"]]

    def test_split_at_every_byte(self, parser_class):
        stream = encode(b"SET", b"key", b"\x00\xff value") + b"GET key\n" + encode(b"ECHO", b"")
        expected = [[b"SET", b"key", b"\x00\xff value"], [b"GET", b"key"], [b"ECHO", b""]]
        for cut in range(1, len(stream)):
            assert parse_all(parser_class(), stream[:cut], stream[cut:]) == expected
        parser = parser_class()
        assert parse_all(parser, *[stream[i:i + 1] for i in range(len(stream))]) == expected

    def test_random_binary_commands_in_random_chunks(self, parser_class):
        rng = random.Random(7)
        commands = [[rng.randbytes(rng.choice([0, 1, 9, 200, 70_000])) for _ in range(rng.randint(1, 4))]
                    for _ in range(200)]
        stream = b"".join(encode(*command) for command in commands)
        chunks, index = [], 0
        while index < len(stream):
            size = rng.choice([1, 13, 4096, 65536])
            chunks.append(stream[index:index + size])
            index += size
        assert parse_all(parser_class(), *chunks) == commands

    @pytest.mark.parametrize("data, message", [
        (b"*x\r\n", "invalid multibulk length"),
        (b"*01\r\n", "invalid multibulk length"),
        (b"*2147483648\r\n", "invalid multibulk length"),
        (b"*4294967295\r\n", "invalid multibulk length"),
        (b"*2\r\n:1\r\n", "expected '$', got ':'"),
        (b"*1\r\n$-1\r\n", "invalid bulk length"),
        (b"*1\r\n$abc\r\n", "invalid bulk length"),
        (b"*1\r\n$+1\r\n", "invalid bulk length"),
        (b"*1\r\n$600000000\r\n", "invalid bulk length"),
        (b'set "unbalanced\r\n', "unbalanced quotes in request"),
        (b"set 'a'b\r\n", "unbalanced quotes in request"),
        (b"*" + b"1" * 70000, "too big mbulk count string"),
        (b"*1\r\n$" + b"1" * 70000, "too big bulk count string"),
        (b"x" * 70000, "too big inline request"),
    ])
    def test_protocol_errors(self, parser_class, data, message):
        with pytest.raises(ProtocolError, match=message.replace("$", r"\$")):
            parse_all(parser_class(), data)

    def test_a_huge_count_allocates_nothing_before_its_arguments(self, parser_class):
        """Redis accepts counts up to INT_MAX and waits for the arguments; a parser that
        allocated the count up front (hiredis does) would stall for seconds or fail."""
        parser = parser_class()
        assert parse_all(parser, b"*2147483647\r\n$3\r\nDEL\r\n") == []
        split = parser_class()
        assert parse_all(split, encode(b"PING"), b"*214", b"7483647\r\n$1\r\nk\r\n") == [[b"PING"]]

    def test_a_large_count_in_a_value_is_not_a_count(self, parser_class):
        commands = [[b"SET", b"k", b"*12345678 and *9999999"], [b"GET", b"k"]]
        stream = b"".join(encode(*command) for command in commands)
        for cut in range(1, len(stream)):
            assert parse_all(parser_class(), stream[:cut], stream[cut:]) == commands

    def test_limits(self, parser_class):
        with pytest.raises(ProtocolError, match="invalid bulk length"):
            parse_all(parser_class(ProtocolLimits(max_bulk_len=1024 * 1024)), b"*1\r\n$1048577\r\n")
        parser = parser_class(ProtocolLimits(max_buffer=1024 * 1024))
        with pytest.raises(ProtocolError, match="query buffer limit"):
            parse_all(parser, b"*1\r\n$1048000\r\n", b"x" * 600_000, b"x" * 600_000)

    def test_big_bulk_arrives_in_pieces(self, parser_class):
        value = bytes(range(256)) * 40_000
        stream = encode(b"SET", b"big", value)
        chunks = [stream[i:i + 65536] for i in range(0, len(stream), 65536)]
        assert parse_all(parser_class(), *chunks) == [[b"SET", b"big", value]]


    def test_a_big_bulk_is_copied_once_and_not_kept(self, parser_class):
        """The value's chunks are joined into the argument, its one copy; once the command is
        parsed, nothing of its size stays with the parser (an idle client holds no buffer)."""
        value = os.urandom(8 * 1024 * 1024)
        stream = encode(b"SET", b"big", value) + encode(b"PING")
        crlf_split = stream.index(value) + len(value) + 1  # the CRLF after the value, cut in two
        tracemalloc.start()
        try:
            pieces = [stream[i:min(i + 65536, crlf_split)] for i in range(0, crlf_split, 65536)]
            pieces.append(stream[crlf_split:])
            parser = parser_class()
            commands = parse_all(parser, *pieces)
            assert commands == [[b"SET", b"big", value], [b"PING"]]
            del commands, pieces
            held, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert held < 256 * 1024
        assert peak < 2.5 * len(value)  # the pieces and the argument; no joined buffer besides


    def test_a_declared_huge_bulk_allocates_nothing_up_front(self, parser_class):
        tracemalloc.start()
        try:
            parser = parser_class()
            assert parse_all(parser, b"*2\r\n$3\r\nGET\r\n$536870912\r\n", b"x" * 1000) == []
            held, _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert held < 64 * 1024
        assert parser.pending() == 1000

    @pytest.mark.parametrize("data, message", [
        (b"*11\r\n", "unauthenticated multibulk length"),
        (b"*1\r\n$16385\r\n", "unauthenticated bulk length"),
        (b"*2\r\n$3\r\nGET\r\n$16385\r\n", "unauthenticated bulk length"),
    ])
    def test_a_client_that_must_authenticate_has_redis_limits(self, parser_class, data, message):
        parser = parser_class()
        parser.auth_required = True
        with pytest.raises(ProtocolError, match=message):
            parse_all(parser, data)
        allowed = parser_class()
        allowed.auth_required = True
        assert parse_all(allowed, b"*10\r\n" + b"$1\r\nx\r\n" * 9 + b"$16384\r\n" + b"y" * 16384 + b"\r\n") \
            == [[b"x"] * 9 + [b"y" * 16384]]
        authenticated = parser_class()
        authenticated.auth_required = True
        authenticated.feed(encode(b"AUTH", b"pw"))
        assert authenticated.gets() == [b"AUTH", b"pw"]
        authenticated.auth_required = False  # the connection's AUTH succeeded
        assert parse_all(authenticated, encode(*[b"a"] * 11)) == [[b"a"] * 11]

    def test_limits_changed_apply_to_a_parser_already_made(self, parser_class):
        limits = ProtocolLimits()
        parser = parser_class(limits)
        assert parse_all(parser, encode(b"SET", b"k", b"v" * 2000)) == [[b"SET", b"k", b"v" * 2000]]
        limits.max_bulk_len = 1024
        with pytest.raises(ProtocolError, match="invalid bulk length"):
            parse_all(parser, encode(b"SET", b"k", b"v" * 2000))


def test_split_inline_rules():
    assert split_inline(b'  a  "b c"   \'d\'') == [b"a", b"b c", b"d"]
    assert split_inline(b'"\\x4a\\x4B\\t"') == [b"JK\t"]
    assert split_inline(b"") == []
