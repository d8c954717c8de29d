"""Environment.ensure_room: when it looks at the map, and that the map still grows when it must."""

from __future__ import annotations

from typing import Any

from pypika_store.storage import environment
from pypika_store.storage.environment import Environment

GIB = 1024**3


class CountingInfo:
    """An LMDB environment whose ``info()`` calls are counted (ensure_room's check)."""

    def __init__(self, env: Any) -> None:
        self._env = env
        self.info_calls = 0

    def info(self) -> dict[str, int]:
        self.info_calls += 1
        return self._env.info()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


def _counted(path: str, map_size: int) -> tuple[Environment, CountingInfo]:
    env = Environment(path, databases=1, map_size=map_size, sync_policy="no")
    counted = env.lmdb = CountingInfo(env.lmdb)  # type: ignore[assignment]
    return env, counted


def test_a_map_with_gigabytes_to_spare_is_checked_once_every_64_turns(tmp_path):
    env, counted = _counted(str(tmp_path), 16 * GIB)
    try:
        for _ in range(2 * (environment._UNCHECKED_TURNS + 1)):
            env.ensure_room()
        assert counted.info_calls == 2
    finally:
        env.close()


def test_an_announced_write_and_a_full_map_are_always_checked(tmp_path):
    env, counted = _counted(str(tmp_path), 16 * GIB)
    try:
        env.ensure_room()
        env.ensure_room(expected=1024)
        assert counted.info_calls == 2
        size = env.map_size()  # (an info() call too)
        env.grow_to(2 * size)  # a turn found the map full: the next turn grows it
        env.ensure_room()
        assert counted.info_calls == 4 and env.map_size() >= 2 * size
    finally:
        env.close()


def test_a_map_without_that_margin_is_checked_every_turn_and_grows(tmp_path):
    env, counted = _counted(str(tmp_path), 1024 * 1024)
    try:
        table = env.handles[0].meta
        for number in range(200):  # 200 × 16 KiB: far past the first map's MiB
            env.ensure_room()
            with env.begin_write() as txn:
                txn.put(b"key:%d" % number, b"x" * 16384, db=table)
        assert counted.info_calls == 200
        assert env.map_size() > 3 * 1024 * 1024
    finally:
        env.close()
