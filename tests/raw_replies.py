"""A raw connection that keeps each reply as the exact bytes the server sent (RESP3 included)."""

from __future__ import annotations

from .support import RawConnection, encode_command


class RawReplies(RawConnection):
    """Replies as the bytes the server sent (RESP3 included), to compare encodings exactly."""

    def raw_reply(self) -> bytes:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in b"$=":
            size = int(rest)
            while len(self._buffer) < size + 2:
                self._fill()
            body = bytes(self._buffer[:size + 2])
            del self._buffer[:size + 2]
            return line + b"\r\n" + body
        elements = {b"*": 1, b"~": 1, b">": 1, b"%": 2, b"|": 2}.get(kind, 0)
        count = elements * max(int(rest), 0) if elements else 0
        return line + b"\r\n" + b"".join(self.raw_reply() for _ in range(count))

    def call_raw(self, *args: str) -> bytes:
        self.send_raw(encode_command(args))
        return self.raw_reply()
