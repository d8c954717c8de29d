"""Crash drills: kill a server process during a write load and check what survived.

Used by the test suite (a few trials) and by ``benchmarks/crash_soak.py`` (many): one server,
:func:`crash_during_writes`; and by ``benchmarks/replication_crash_soak.py``: a master and two
slaves, one of them SIGKILLed again and again under WAIT-acknowledged writes,
:func:`replication_kill_soak`.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .embedded import PikaServer, wait_for
from .group import PikaGroup
from .nemesis import WriteChecker


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
        return string_dataset(client)


def string_dataset(client) -> dict:
    """Every key and its value (string keys: what the drills write) a client's server holds."""
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
        data = string_dataset(client)
        client.close()
    finally:
        server.stop()
    return CrashResult(len(acknowledged), lost, data == binlog_state(data_dir))


# -- a replication group killed over and over ------------------------------------------------------

@dataclass
class ReplicationSoakResult:
    """What :func:`replication_kill_soak` found."""

    seed: int
    #: SIGKILLs done, by role ("master", "slave").
    kills: Counter
    attempted: int
    acknowledged: int
    wait_acknowledged: int
    #: ``(node, key)`` of acknowledged writes a node does not have at the end (WAIT-acknowledged or not).
    lost: list[tuple[str, str]]
    lost_wait_acknowledged: list[tuple[str, str]]
    #: Nodes (``role host:port``) whose data differs from the replay of their own binlog.
    replay_mismatches: list[str]
    #: The slaves caught up with the master at the end (offsets and DEBUG DIGEST equal).
    slaves_equal_master: bool
    seconds: float
    #: One line per kill: number, time since the start, role and node.
    log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost_wait_acknowledged and not self.replay_mismatches and self.slaves_equal_master


def _write_until(stopping: threading.Event, checker: WriteChecker, master: PikaServer) -> None:
    """SET + WAIT in a loop on the master until told to stop; a failed write (the master is
    down) is not retried (the next write is tried after a short pause rather than in a hot loop).

    redis-py's own retries are off: a WAIT retried on a new connection would answer at once
    (that connection wrote nothing yet) and count a write as WAIT-acknowledged unchecked."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = master.client(socket_timeout=10, retry=Retry(NoBackoff(), 0))
    while not stopping.is_set():
        if not checker.write(client):
            stopping.wait(0.01)
    client.close()


def _linked(slave: PikaServer) -> bool:
    return slave.client().info("replication").get("master_link_status") == "up"


def _revive(group: PikaGroup, node: PikaServer, timeout: float) -> None:
    """Start a killed node on its data and port; a slave follows the master again (SLAVEOF is
    not kept across a restart); wait until every slave's link to the master is up."""
    node.start()
    if node is not group.master:
        node.client().slaveof(group.master.host, group.master.port)
    for slave in group.slaves:
        wait_for(lambda: _linked(slave), timeout, f"slave {slave.port} to rejoin the master")


def replication_kill_soak(kills: int = 100, seed: int = 1, delay_ms: tuple[int, int] = (20, 400),
                          wait_timeout_ms: int = 500, rejoin_timeout: float = 60.0,
                          progress: Callable[[str], None] | None = None) -> ReplicationSoakResult:
    """A master and two slaves (process mode, ``sync-policy always``) under a writer doing SET
    with a value of its own then ``WAIT 1``; ``kills`` times, after a seeded random delay in
    ``delay_ms``, SIGKILL the master or a slave (drawn evenly among the three nodes) and start
    it again on the same data and port. No promotion: a killed master comes back as the master
    and its slaves reconnect to it. At the end the writer stops, the slaves catch up (offsets
    and DEBUG DIGEST equal to the master's), every acknowledged key is read back from every
    node, and every node's data is compared with the replay of its own binlog."""
    rng = random.Random(seed)
    result = ReplicationSoakResult(seed, Counter(), 0, 0, 0, [], [], [], False, 0.0)
    checker = WriteChecker(prefix="soak:", wait_for=1, wait_timeout_ms=wait_timeout_ms)
    started = time.monotonic()
    with PikaGroup(slaves=2, mode="process", config={"sync-policy": "always"}) as group:
        group.wait_synced()
        stopping = threading.Event()
        writer = threading.Thread(target=_write_until, args=(stopping, checker, group.master), daemon=True)
        writer.start()
        try:
            for number in range(1, kills + 1):
                time.sleep(rng.uniform(*delay_ms) / 1000)  # the random moment of the kill, not a synchronisation
                node = rng.choice(group.servers)
                role = "master" if node is group.master else "slave"
                node.kill()
                result.kills[role] += 1
                line = f"kill {number:3d} at {time.monotonic() - started:7.2f} s: {role} {node.port}"
                result.log.append(line)
                if progress is not None:
                    progress(line)
                _revive(group, node, rejoin_timeout)
        finally:
            stopping.set()
            writer.join(60)
        try:
            group.wait_synced(rejoin_timeout)
            result.slaves_equal_master = True
        except TimeoutError:
            result.slaves_equal_master = False
        report = checker.check(group.servers)
        for node in group.servers:
            role = "master" if node is group.master else "slave"
            if string_dataset(node.client()) != binlog_state(node.data_dir):
                result.replay_mismatches.append(f"{role} {node.host}:{node.port}")
    result.attempted, result.acknowledged = report.attempted, report.acknowledged
    result.wait_acknowledged = report.wait_acknowledged
    result.lost, result.lost_wait_acknowledged = report.lost, report.lost_wait_acknowledged
    result.seconds = time.monotonic() - started
    return result
