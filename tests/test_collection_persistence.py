"""Every type survives a restart, and its binlog records replay to the same dataset."""

from __future__ import annotations

import os
import random

import pytest

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.testing import PikaServer


def _fill(client, rng: random.Random) -> None:
    """A mixed workload over every type, with deletes, expiries, renames, moves, pops."""
    for step in range(400):
        key = f"k{rng.randrange(12)}"
        kind = step % 6
        if kind == 0:
            client.hset(f"h{key}", mapping={f"f{rng.randrange(30)}": rng.randbytes(5) for _ in range(3)})
            client.hincrby(f"h{key}", "counter", 2)
        elif kind == 1:
            client.rpush(f"l{key}", *[rng.randbytes(3) for _ in range(4)])
            client.lpop(f"l{key}")
            if step % 7 == 0:
                client.linsert(f"l{key}", "BEFORE", client.lindex(f"l{key}", 0) or b"x", "ins")
        elif kind == 2:
            client.sadd(f"s{key}", *[f"m{rng.randrange(40)}" for _ in range(3)])
            client.spop(f"s{key}")
        elif kind == 3:
            client.zadd(f"z{key}", {f"m{rng.randrange(40)}": rng.uniform(-10, 10) for _ in range(3)})
            client.zincrby(f"z{key}", 1.5, "m1")
            client.zpopmin(f"z{key}")
        elif kind == 4:
            client.pfadd(f"p{key}", *[rng.randbytes(4) for _ in range(20)])
            client.xadd(f"x{key}", {"f": rng.randbytes(3)}, maxlen=20, approximate=False)
            client.geoadd(f"g{key}", (rng.uniform(-180, 180), rng.uniform(-85, 85), f"m{rng.randrange(9)}"))
        else:
            victim = rng.choice(["h", "l", "s", "z", "p", "x", "g"]) + key
            action = rng.randrange(4)
            if action == 0:
                client.delete(victim)
            elif action == 1:
                client.expire(victim, 1000)
            elif action == 2 and client.exists(victim):
                client.rename(victim, victim + "r")
            elif action == 3:
                client.copy(victim, victim + "c", replace=True)
    client.sunionstore("union", "sk1", "sk2")
    client.zunionstore("zunion", ["zk1", "zk2"])
    client.hset("moving", "f", "v")
    client.move("moving", 3)


def _digest(client) -> bytes:
    return client.execute_command("DEBUG", "DIGEST")


def _records(server, db: int) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", f"log_db{db}")
    if not os.path.exists(directory):
        return []
    return [decode_command(item.content) for _s, _e, item in BinlogReader(directory).items()]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_type_survives_a_restart_and_replays_from_the_binlog(tmp_path, seed):
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        _fill(client, random.Random(seed))
        digest = _digest(client)
        assert digest != b"0" * 40
        server.restart()
        assert _digest(server.client()) == digest
        records = {db: _records(server, db) for db in (0, 3)}
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for db, argvs in records.items():
            replay.execute_command("SELECT", db)
            for argv in argvs:
                replay.execute_command(*argv)
        assert _digest(replica.client()) == digest
