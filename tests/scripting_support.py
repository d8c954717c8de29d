"""What the scripting tests share: raw replies (RESP3 included) compared byte for byte."""

from __future__ import annotations

from typing import Any

from .raw_replies import RawReplies
from .support import encode_command


#: RESP2's nulls, which :class:`RawReplies` does not read.
_NULLS = (b"$-1", b"*-1")


class ExactReplies(RawReplies):
    """:class:`RawReplies` that also reads RESP2's nulls (``$-1``, ``*-1``)."""

    def raw_reply(self) -> bytes:
        line = self._line()
        if line in _NULLS:
            return line + b"\r\n"
        self._buffer[:0] = line + b"\r\n"
        return super().raw_reply()

    def call_raw(self, *args: Any) -> bytes:
        self.send_raw(encode_command(args))
        return self.raw_reply()


class ExactDifferential:
    """The same commands to redis-server and pypika-store, raw replies compared exactly."""

    def __init__(self, redis_port: int, pika_port: int, resp: int = 2) -> None:
        self.redis = ExactReplies(redis_port)
        self.pika = ExactReplies(pika_port)
        if resp == 3:
            self.both("HELLO", "3")

    def both(self, *args: Any) -> tuple[bytes, bytes]:
        return self.redis.call_raw(*args), self.pika.call_raw(*args)

    def check(self, *args: Any) -> bytes:
        expected, actual = self.both(*args)
        assert actual == expected, f"{args!r}: redis-server said {expected!r}, pypika-store said {actual!r}"
        return actual

    def close(self) -> None:
        self.redis.close()
        self.pika.close()
