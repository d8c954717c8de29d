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

Each sentinel announces (``sentinel announce-port``) a port of the group's
:class:`~pypika_store.testing.relay.SentinelRelay` rather than its own, so the links between
sentinels pass through the test process and a partition can cut them (testing/relay.py);
clients still reach the sentinels on their own ports (``ports``, ``addresses``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from typing import Any

from .chaos import SentinelNode
from .embedded import PikaServer, free_port, wait_for
from .relay import SentinelRelay

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
        #: Each sentinel's port on the relay (what it announces to the others), by index.
        self.relay_ports: list[int] = []
        #: Each sentinel's id (SENTINEL MYID), by index, once started.
        self.ids: list[str] = []
        self.relay: SentinelRelay | None = None
        #: The replication state whose data :meth:`unsettled` last compared, and what it found.
        self._data_verdict: tuple[object, list[str]] | None = None
        self._dirs: list[str] = []
        self._processes: list[subprocess.Popen] = []

    def _config(self, port: int, relay_port: int, folder: str) -> str:
        lines = [
            f"port {port}", "bind 127.0.0.1", "daemonize no", f"dir {folder}", f"logfile {folder}/log.txt",
            "sentinel announce-ip 127.0.0.1", f"sentinel announce-port {relay_port}",
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
            self.relay = SentinelRelay()
            ports = [free_port() for _ in range(self.count)]
            self.relay_ports = [self.relay.listen(port) for port in ports]
            self.relay.start()
            for port, relay_port in zip(ports, self.relay_ports):
                folder = tempfile.mkdtemp(prefix="pypika-sentinel-")
                command = [self.binary, self._config(port, relay_port, folder)]
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
            self.ids = [self._client(port).execute_command("SENTINEL", "MYID") for port in self.ports]
            for relay_port, sentinel_id in zip(self.relay_ports, self.ids):
                self.relay.name(relay_port, _client_name_prefix(sentinel_id))
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
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        for folder in self._dirs:
            shutil.rmtree(folder, ignore_errors=True)
        self._dirs.clear()

    @staticmethod
    def _client(port: int):
        import redis

        return redis.Redis(host="127.0.0.1", port=port, decode_responses=True)

    def members(self) -> list[SentinelNode]:
        """Each sentinel as a partition names it (``PikaGroup.partition``)."""
        return [SentinelNode(port, _client_name_prefix(sentinel_id), self.relay)
                for port, sentinel_id in zip(self.ports, self.ids)]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """For ``redis.sentinel.Sentinel(...)``."""
        return [("127.0.0.1", port) for port in self.ports]

    def master_address(self, port: int | None = None) -> tuple[str, int] | None:
        """What a sentinel answers to ``SENTINEL get-master-addr-by-name``."""
        reply = self._client(port or self.ports[0]).execute_command(
            "SENTINEL", "get-master-addr-by-name", MASTER_NAME)
        return (reply[0], int(reply[1])) if reply else None

    def master_flags(self, port: int | None = None) -> set[str]:
        """The flags a sentinel gives the master (``master``, ``s_down``, ``o_down``,
        ``failover_in_progress``...)."""
        return set(self._client(port or self.ports[0]).sentinel_master(MASTER_NAME)["flags"].split(","))

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

    def heal(self) -> None:
        """End every partition between these sentinels (their relay's cuts); the cuts between
        them and the nodes are the nodes' faults, which ``group.heal()`` ends."""
        if self.relay is not None:
            self.relay.heal_all()

    def unsettled(self, servers: list[PikaServer], compare_data: bool = True) -> list[str]:
        """What keeps ``servers`` and these sentinels from having settled, empty once they have:
        every sentinel names the same master, none sees it down or is failing it over, it is
        one of ``servers`` and a master, and every other server follows it with its link up
        and its offset equal to the master's; with ``compare_data``, then its data too (DEBUG
        DIGEST). A digest reads every key, and a node busy with it for longer than
        ``down_after_ms`` looks down to the sentinels, which then fail it over: digests are
        taken only once everything else is settled, and once per replication state (the
        data cannot change while no offset moves)."""
        named: dict[int, tuple[str, int] | None] = {}
        problems = []
        for port in self.ports:
            try:
                named[port] = self.master_address(port)
                flags = self.master_flags(port)
            except Exception as exc:  # noqa: BLE001 - a sentinel that does not answer is a reason too
                problems.append(f"sentinel {port} does not answer ({type(exc).__name__}: {exc})")
                continue
            busy = {"s_down", "o_down", "failover_in_progress"} & flags
            if busy:
                problems.append(f"sentinel {port} sees the master {', '.join(sorted(busy))}")
        if len(set(named.values())) != 1:
            problems.append(f"the sentinels name different masters: {named}")
            return problems
        address = next(iter(named.values()), None)
        master = next((server for server in servers if address and server.port == address[1]), None)
        if master is None:
            return problems + [f"the sentinels name {address}, none of the servers"]
        try:
            states = {server.port: _replication_state(server) for server in servers}
        except Exception as exc:  # noqa: BLE001
            return problems + [f"a server does not answer ({type(exc).__name__}: {exc})"]
        role, _master_port, _link, offset = states[master.port]
        if role != "master":
            problems.append(f"{master.port}, the named master, is a {role}")
        for port, (role, master_port, link, slave_offset) in states.items():
            if port == master.port:
                continue
            if role != "slave" or master_port != master.port:
                problems.append(f"{port} is a {role} following {master_port}, not {master.port}")
            elif link != "up":
                problems.append(f"{port}'s link to {master.port} is {link}")
            elif slave_offset != offset:
                problems.append(f"{port} is at offset {slave_offset}, the master at {offset}")
        if problems or not compare_data:
            return problems
        state = (master.port, tuple(sorted(states.items())))
        if self._data_verdict is None or self._data_verdict[0] != state:
            self._data_verdict = (state, _data_differences(master, servers))
        return self._data_verdict[1]

    def wait_settled(self, servers: list[PikaServer], timeout: float = 60.0, steady: float = 0.0,
                     compare_data: bool = True) -> None:
        """Until :meth:`unsettled` finds nothing and goes on finding nothing for ``steady``
        seconds (a group between two failovers is not settled); a TimeoutError says what was
        still unsettled."""
        deadline = time.monotonic() + timeout
        settled_since: float | None = None
        while True:
            problems = self.unsettled(servers, compare_data)
            now = time.monotonic()
            settled_since = None if problems else (settled_since if settled_since is not None else now)
            if settled_since is not None and now - settled_since >= steady:
                return
            if now > deadline:
                why = "; ".join(problems) or f"settled for less than {steady}s"
                raise TimeoutError(f"timed out after {timeout}s waiting for the servers and sentinels to settle: {why}")
            time.sleep(0.2)

    def __enter__(self) -> "SentinelGroup":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _replication_state(server: PikaServer) -> tuple[str, int | None, str | None, int]:
    """A server's role, the master it follows, its link and its offset."""
    info = server.client(socket_timeout=2).info("replication")
    offset = info["slave_repl_offset"] if info["role"] == "slave" else info["master_repl_offset"]
    return info["role"], info.get("master_port"), info.get("master_link_status"), offset


def _data_differences(master: PikaServer, servers: list[PikaServer]) -> list[str]:
    """The servers whose DEBUG DIGEST is not ``master``'s."""
    digest = master.client().execute_command("DEBUG", "DIGEST")
    return [f"{server.port}'s data differs from the master's (DEBUG DIGEST)" for server in servers
            if server is not master and server.client().execute_command("DEBUG", "DIGEST") != digest]


def _client_name_prefix(sentinel_id: str) -> str:
    """How a sentinel's connections start their name (Redis' ``sentinel-<id8>-cmd``)."""
    return "sentinel-" + sentinel_id[:8]


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # not listening yet
        return False

