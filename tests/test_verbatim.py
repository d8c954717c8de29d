"""RESP3 verbatim strings (``=<len>\\r\\ntxt:...``): the human-readable reports Redis 7.0 sends so,
and their RESP2 form (a bulk string)."""

from __future__ import annotations

import pytest

from server.resp.replies import Verbatim, encode, encode3

from .raw_replies import RawReplies

#: Commands whose reply is a verbatim string in Redis 7.0 whatever the server's state.
VERBATIM_CALLS = [("INFO",), ("INFO", "server"), ("CLIENT", "INFO"), ("CLIENT", "LIST"), ("CLIENT", "LIST", "TYPE", "normal"),
                  ("LOLWUT",), ("LOLWUT", "VERSION", "6"), ("LATENCY", "DOCTOR")]


def test_verbatim_encodings():
    assert encode3(Verbatim("a\nb")) == b"=7\r\ntxt:a\nb\r\n"
    assert encode3(Verbatim(b"# x", "mkd")) == b"=7\r\nmkd:# x\r\n"
    assert encode(Verbatim("a\nb")) == b"$3\r\na\nb\r\n"
    assert encode3([Verbatim("")]) == b"*1\r\n=4\r\ntxt:\r\n"
    with pytest.raises(ValueError):
        Verbatim("x", "text")


@pytest.fixture()
def raw_pair(real_redis, pika_server):
    servers = [RawReplies(real_redis.port), RawReplies(pika_server.port)]
    yield servers
    for server in servers:
        server.close()


def _kind_and_format(reply: bytes) -> bytes:
    """The reply's type byte and, for a verbatim string, its format: what must match when the
    text itself (client addresses, uptime) cannot."""
    header, _, body = reply.partition(b"\r\n")
    return header[:1] + (body[:4] if header[:1] == b"=" else b"")


@pytest.mark.parametrize("call", VERBATIM_CALLS)
def test_reports_are_verbatim_in_resp3_and_bulk_in_resp2(raw_pair, call):
    expected, actual = (server.call_raw(*call) for server in raw_pair)
    assert _kind_and_format(actual) == _kind_and_format(expected) == b"$"
    for server in raw_pair:
        server.call_raw("HELLO", "3")
    expected, actual = (server.call_raw(*call) for server in raw_pair)
    assert _kind_and_format(actual) == _kind_and_format(expected) == b"=txt:"
    header, _, text = actual.partition(b"\r\n")
    assert int(header[1:]) == len(text) - 2


def test_lolwut_version_line_is_the_same_verbatim_string(raw_pair):
    for server in raw_pair:
        server.call_raw("HELLO", "3")
    expected, actual = (server.call_raw("LOLWUT", "VERSION", "7") for server in raw_pair)
    assert actual == expected
