"""Both request parsers (pure Python and hiredis-backed) pass the same cases."""

from __future__ import annotations

import random

import pytest

from pypika_store.server.resp.parser import HiredisRequestParser, ProtocolError, RequestParser, hiredis, split_inline

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
            parse_all(parser_class(max_bulk_len=1024 * 1024), b"*1\r\n$1048577\r\n")
        parser = parser_class(max_buffer=1024 * 1024)
        with pytest.raises(ProtocolError, match="query buffer limit"):
            parse_all(parser, b"*1\r\n$1048000\r\n", b"x" * 600_000, b"x" * 600_000)

    def test_big_bulk_arrives_in_pieces(self, parser_class):
        value = bytes(range(256)) * 40_000
        stream = encode(b"SET", b"big", value)
        chunks = [stream[i:i + 65536] for i in range(0, len(stream), 65536)]
        assert parse_all(parser_class(), *chunks) == [[b"SET", b"big", value]]


def test_split_inline_rules():
    assert split_inline(b'  a  "b c"   \'d\'') == [b"a", b"b c", b"d"]
    assert split_inline(b'"\\x4a\\x4B\\t"') == [b"JK\t"]
    assert split_inline(b"") == []
