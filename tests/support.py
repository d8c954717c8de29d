"""Helpers for the test suite: a real redis-server to compare against, and polling."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from typing import Any, Callable

import redis

from pypika_store.testing import free_port


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01,
               what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class RealRedis:
    """A Debian ``redis-server`` on a free loopback port with no persistence, for differential tests."""

    def __init__(self, *extra_args: str) -> None:
        """``extra_args``: more redis-server options (``"--maxclients", "2"``), after the defaults."""
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="real-redis-")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--enable-debug-command", "yes", *extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(port=self.port)

        def answers() -> bool:
            try:
                return bool(probe.ping())
            except redis.ConnectionError:
                return False

        wait_until(answers, what="redis-server to answer PING")
        probe.close()

    def client(self, **kwargs: Any) -> redis.Redis:
        return redis.Redis(port=self.port, **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def require_redis_server() -> None:
    """Skip when redis-server is absent, unless the run demands it (CI sets PYPIKA_REQUIRE_REDIS=1)."""
    import pytest

    if redis_server_binary() is None:
        if os.environ.get("PYPIKA_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is required (PYPIKA_REQUIRE_REDIS=1) but not installed")
        pytest.skip("redis-server is not installed")


def require_nutcracker() -> None:
    """Skip when nutcracker (twemproxy) is absent, unless the run demands it (scripts/test sets
    PYPIKA_REQUIRE_NUTCRACKER=1 where it could install it); the sharding tests need redis-server too."""
    import pytest

    from pypika_store.testing.cluster import nutcracker_binary

    if nutcracker_binary() is None:
        if os.environ.get("PYPIKA_REQUIRE_NUTCRACKER") == "1":
            pytest.fail("nutcracker is required (PYPIKA_REQUIRE_NUTCRACKER=1) but not installed")
        pytest.skip("nutcracker is not installed")
    require_redis_server()


class Err(str):
    """An error reply as read off the wire (the text after '-')."""


class Stat(str):
    """A simple-string reply as read off the wire (the text after '+')."""


class Null3:
    """RESP3's null (``_``)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Null3)

    def __repr__(self) -> str:
        return "Null3()"


class Map3(list):
    """A RESP3 map (``%``), as a list of pairs."""


class Push3(list):
    """A RESP3 push (``>``): pub/sub messages and confirmations."""


class RawConnection:
    """A minimal RESP2 client that keeps every reply exactly as the server sent it.

    Differential tests compare these values between redis-server and pypika-store, so nothing
    is lost to a client library's conversions (status vs bulk, error texts, nil vs empty).
    """

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
        import socket

        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = bytearray()

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def call(self, *args: Any) -> Any:
        self.send_raw(encode_command(args))
        return self.read_reply()

    def pipeline(self, commands: list[tuple]) -> list[Any]:
        self.send_raw(b"".join(encode_command(args) for args in commands))
        return [self.read_reply() for _ in commands]

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self._buffer += chunk

    def _line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            self._fill()

    def read_reply(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Stat(rest.decode())
        if kind == b"-":
            return Err(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self._buffer) < size + 2:
                self._fill()
            data = bytes(self._buffer[:size])
            del self._buffer[: size + 2]
            return data
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read_reply() for _ in range(count)]
        # RESP3 types, after HELLO 3: kept distinguishable from their RESP2 look-alikes.
        if kind == b"_":
            return Null3()
        if kind == b"%":
            return Map3([(self.read_reply(), self.read_reply()) for _ in range(int(rest))])
        if kind == b"#":
            return rest == b"t"
        if kind == b">":
            return Push3(self.read_reply() for _ in range(int(rest)))
        if kind == b",":
            return float(rest)
        raise AssertionError(f"unexpected reply line {line!r}")


def encode_command(args: tuple) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, (int, float)):
            arg = repr(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


#: Replies that depend on when each server ran the command: allowed to differ by this much.
TIME_TOLERANCE = {"PTTL": 1000, "PEXPIRETIME": 1000, "TTL": 1, "EXPIRETIME": 1}


def _close_in_time(args: tuple, expected: Any, actual: Any) -> bool:
    tolerance = TIME_TOLERANCE.get(str(args[0]).upper())
    return (tolerance is not None and type(expected) is int and type(actual) is int
            and expected >= 0 and actual >= 0 and abs(expected - actual) <= tolerance)


def _sorted_if_list(reply: Any) -> Any:
    return sorted(reply) if type(reply) is list else reply


def _sorted_pairs(reply: Any) -> Any:
    if type(reply) is not list:
        return reply
    return sorted(zip(reply[::2], reply[1::2]))


def _sorted_scan(reply: Any) -> Any:
    """A scan page of a compact collection: the cursor, then the elements in any order."""
    if type(reply) is not list or len(reply) != 2:
        return reply
    return [reply[0], sorted(reply[1])]


#: Replies whose order Redis does not define (hash-table order): compared sorted.
UNORDERED = {
    "HKEYS": _sorted_if_list, "HVALS": _sorted_if_list, "HGETALL": _sorted_pairs,
    "SMEMBERS": _sorted_if_list, "SINTER": _sorted_if_list, "SUNION": _sorted_if_list,
    "SDIFF": _sorted_if_list, "SPOP": _sorted_if_list, "SRANDMEMBER": _sorted_if_list,
    "HSCAN": _sorted_scan, "SSCAN": _sorted_scan, "SCAN": _sorted_scan, "KEYS": _sorted_if_list,
}


class Differential:
    """Sends the same commands to redis-server and pypika-store and compares the raw replies."""

    def __init__(self, redis_port: int, pika_port: int) -> None:
        self.redis = RawConnection(redis_port)
        self.pika = RawConnection(pika_port)

    def close(self) -> None:
        self.redis.close()
        self.pika.close()

    def both(self, *args: Any) -> tuple[Any, Any]:
        return self.redis.call(*args), self.pika.call(*args)

    def check(self, *args: Any, normalize: Callable[[Any], Any] | None = None) -> Any:
        """Assert both servers answer ``args`` identically; return the reply."""
        expected, actual = self.both(*args)
        normalize = normalize or UNORDERED.get(str(args[0]).upper())
        if normalize is not None:
            expected, actual = normalize(expected), normalize(actual)
        if _close_in_time(args, expected, actual):
            return actual
        assert actual == expected and type(actual) is type(expected), (
            f"{args!r}: redis-server said {expected!r}, pypika-store said {actual!r}")
        return actual

    def check_all(self, commands: list[tuple]) -> None:
        for args in commands:
            self.check(*args)


def parse_outcome(parser, chunks: list[bytes]) -> tuple[list, str | None]:
    """The commands a request parser returns from ``chunks`` fed one by one, and the protocol
    error it stops on (None: it waits for more)."""
    from pypika_store.server.resp.parser import ProtocolError

    parsed = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while (command := parser.gets()) is not False:
                parsed.append(command)
    except ProtocolError as exc:
        return parsed, str(exc)
    return parsed, None
