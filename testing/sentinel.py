"""Real Redis Sentinels watching a pypika-store replication group, for failover tests.

    from pypika_store.testing import PikaGroup, SentinelGroup

    with PikaGroup(slaves=2, mode="process") as group, SentinelGroup(group.master) as sentinels:
        sentinels.wait_for_replicas(2)
        group.master.kill()
        new_master = sentinels.wait_for_failover(old=group.master.port)

Each sentinel is a `redis-sentinel` process (Debian's redis-sentinel package) with a fresh
writable config in its own temporary folder and a free port, on loopback, IP addresses only
(as Sentinel requires). The timing settings are the short ones failover drills use, and
``SENTINEL DEBUG`` periods are shortened at start so a returning old master is demoted in
seconds, not tens of seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any

from .chaos import SentinelNode
from .embedded import PikaServer, free_port, wait_for

MASTER_NAME = "mymaster"


class SentinelGroup:
    """``count`` sentinels monitoring ``master`` under the name :data:`MASTER_NAME`."""

    def __init__(self, master: PikaServer, count: int = 3, quorum: int = 2, down_after_ms: int = 1000,
                 failover_timeout_ms: int = 5000, password: str | None = None, user: str | None = None) -> None:
        binary = shutil.which("redis-sentinel") or shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-sentinel is not installed (Debian: apt-get install redis-sentinel)")
        self.binary = binary
        self.master = master
        self.count = count
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.password = password
        self.user = user  # an ACL user for auth-user (with ``password`` as its auth-pass)
        self.ports: list[int] = []
        self._dirs: list[str] = []
        self._processes: list[subprocess.Popen] = []

    def _config(self, port: int, folder: str) -> str:
        lines = [
            f"port {port}", "bind 127.0.0.1", "daemonize no", f"dir {folder}", f"logfile {folder}/log.txt",
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master.port} {self.quorum}",
            f"sentinel down-after-milliseconds {MASTER_NAME} {self.down_after_ms}",
            f"sentinel failover-timeout {MASTER_NAME} {self.failover_timeout_ms}",
            f"sentinel parallel-syncs {MASTER_NAME} 1",
        ]
        if self.password:
            lines.append(f"sentinel auth-pass {MASTER_NAME} {self.password}")
        if self.user:
            lines.append(f"sentinel auth-user {MASTER_NAME} {self.user}")
        path = os.path.join(folder, "sentinel.conf")
        with open(path, "w", encoding="ascii") as handle:
            handle.write("\n".join(lines) + "\n")
        return path

    def start(self) -> "SentinelGroup":
        try:
            for _ in range(self.count):
                folder = tempfile.mkdtemp(prefix="pypika-sentinel-")
                port = free_port()
                command = [self.binary, self._config(port, folder)]
                if os.path.basename(self.binary) != "redis-sentinel":
                    command.append("--sentinel")
                self._dirs.append(folder)
                self.ports.append(port)
                self._processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                        stderr=subprocess.DEVNULL))
            for port in self.ports:
                client = self._client(port)
                wait_for(lambda client=client: _answers(client), 10, "a sentinel to start")
                client.execute_command("SENTINEL", "DEBUG", "info-period", 1000, "publish-period", 500,
                                       "ping-period", 500)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        for folder in self._dirs:
            shutil.rmtree(folder, ignore_errors=True)
        self._dirs.clear()

    @staticmethod
    def _client(port: int):
        import redis

        return redis.Redis(host="127.0.0.1", port=port, decode_responses=True)

    def members(self) -> list[SentinelNode]:
        """Each sentinel as a partition names it (``PikaGroup.partition``)."""
        return [SentinelNode(port, "sentinel-" + self._client(port).execute_command("SENTINEL", "MYID")[:8])
                for port in self.ports]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """For ``redis.sentinel.Sentinel(...)``."""
        return [("127.0.0.1", port) for port in self.ports]

    def master_address(self, port: int | None = None) -> tuple[str, int] | None:
        """What a sentinel answers to ``SENTINEL get-master-addr-by-name``."""
        reply = self._client(port or self.ports[0]).execute_command(
            "SENTINEL", "get-master-addr-by-name", MASTER_NAME)
        return (reply[0], int(reply[1])) if reply else None

    def replicas(self, port: int | None = None) -> list[dict[str, Any]]:
        return self._client(port or self.ports[0]).sentinel_slaves(MASTER_NAME)

    def wait_for_replicas(self, count: int, timeout: float = 30.0) -> None:
        """Until every sentinel knows ``count`` replicas and the other sentinels."""
        def ready() -> bool:
            for port in self.ports:
                client = self._client(port)
                master = client.sentinel_master(MASTER_NAME)
                if int(master["num-slaves"]) < count or int(master["num-other-sentinels"]) < self.count - 1:
                    return False
            return True

        wait_for(ready, timeout, f"the sentinels to know {count} replicas and each other")

    def wait_for_failover(self, old: int, timeout: float = 60.0) -> tuple[str, int]:
        """Until every sentinel names a master other than port ``old``; that address."""
        def switched() -> bool:
            addresses = {self.master_address(port) for port in self.ports}
            return len(addresses) == 1 and next(iter(addresses))[1] != old  # type: ignore[index]

        wait_for(switched, timeout, "the sentinels to switch master")
        return self.master_address()  # type: ignore[return-value]

    def __enter__(self) -> "SentinelGroup":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # not listening yet
        return False

