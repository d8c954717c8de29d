"""Connection pairs for differential tests of what servers send unasked (pub/sub messages,
invalidations): one connection to redis-server and one to pypika-store per pair."""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .support import Differential


class PairOpener:
    """Opens pairs on demand (``opener(resp3=True)`` says HELLO 3 on both) and closes them all."""

    def __init__(self, redis_port: int, pika_port: int) -> None:
        self._ports = (redis_port, pika_port)
        self._opened: list[Differential] = []

    def __call__(self, resp3: bool = False) -> Differential:
        pair = Differential(*self._ports)
        self._opened.append(pair)
        if resp3:
            pair.both("HELLO", "3")
        return pair

    def close_all(self) -> None:
        for pair in self._opened:
            pair.close()


def opened_pairs(redis_port: int, pika_port: int) -> Iterator[PairOpener]:
    """The body of a fixture: yield an opener, close its pairs afterwards."""
    opener = PairOpener(redis_port, pika_port)
    yield opener
    opener.close_all()


def pushed(pair: Differential, count: int, normalize: Callable[[list], Any] = list) -> list:
    """Read ``count`` replies the servers sent unasked and assert they are the same."""
    expected = normalize([pair.redis.read_reply() for _ in range(count)])
    actual = normalize([pair.pika.read_reply() for _ in range(count)])
    assert actual == expected and [type(item) for item in actual] == [type(item) for item in expected], (
        f"redis-server sent {expected!r}, pypika-store sent {actual!r}")
    return actual
