"""Crash drills: kill a server process during a write load and check what survived.

Used by the test suite (a few trials) and by ``benchmarks/crash_soak.py`` (many).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from .embedded import PikaServer


@dataclass
class CrashResult:
    acknowledged: int
    lost: list[int]
    data_matches_binlog: bool


def _write_until_killed(server: PikaServer, acknowledged: list[int]) -> None:
    """Write keys one by one and in pipelines, recording each acknowledged one, until the
    server dies under us (the write in flight then was not acknowledged)."""
    import redis

    client = server.client()
    number = 0
    try:
        while True:
            if number % 3:
                client.set(f"key{number}", number)
                client.incr("counter")
                acknowledged.append(number)
                number += 1
            else:
                pipe = client.pipeline(transaction=False)
                batch = list(range(number, number + 10))
                for each in batch:
                    pipe.set(f"key{each}", each, px=10_000_000)
                pipe.execute()
                acknowledged.extend(batch)
                number += 10
    except (redis.ConnectionError, OSError):
        return


def binlog_state(data_dir: str) -> dict:
    """Every key and value that replaying DB 0's binlog into an empty server gives."""
    from pypika_store.binlog import BinlogReader
    from pypika_store.binlog.format import decode_command

    directory = os.path.join(data_dir, "log", "log_db0")
    with PikaServer(config={"write-binlog": "no"}) as scratch:
        client = scratch.client()
        for _start, _end, item in BinlogReader(directory).items():
            client.execute_command(*decode_command(item.content))
        return {key: client.get(key) for key in client.keys("*")}


def crash_during_writes(data_dir: str, policy: str, after_acks: int) -> CrashResult:
    """Start a server, write, SIGKILL it once ``after_acks`` writes are acknowledged, restart it,
    and compare: acknowledged writes present? data equal to the replay of the binlog?"""
    server = PikaServer(mode="process", data_dir=data_dir, config={"sync-policy": policy}).start()
    acknowledged: list[int] = []
    writer = threading.Thread(target=_write_until_killed, args=(server, acknowledged))
    writer.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < after_acks and time.monotonic() < deadline and writer.is_alive():
        time.sleep(0.001)
    server.kill()  # while the writer is still writing
    writer.join(60)
    server.start()
    try:
        client = server.client()
        values = client.mget([f"key{n}" for n in acknowledged])
        lost = [n for n, value in zip(acknowledged, values) if value != str(n).encode()]
        data = {key: client.get(key) for key in client.keys("*")}
        client.close()
    finally:
        server.stop()
    return CrashResult(len(acknowledged), lost, data == binlog_state(data_dir))
