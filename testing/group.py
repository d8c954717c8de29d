"""A replication group for tests: one master and N slaves, each a real pypika-store.

    from pypika_store.testing import PikaGroup

    with PikaGroup(slaves=2) as group:
        group.master.client().set("k", "v")
        group.wait_synced()                       # every slave caught up, data identical
        assert group.slaves[0].client().get("k") == b"v"

Slaves follow the master from the start (SLAVEOF); each server has its own free port and
temporary data folder, and everything is stopped on exit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .certificates import Certificates
from .chaos import Healing, partition
from .embedded import PikaServer, wait_for
from .nemesis import FAULTS, Nemesis

if TYPE_CHECKING:
    from .sentinel import SentinelGroup


class PikaGroup:
    """A master and its slaves."""

    def __init__(self, slaves: int = 2, mode: str = "thread", config: dict[str, Any] | None = None,
                 password: str | None = None, tls: bool = False) -> None:
        """``tls``: every server serves TLS with certificates of one throw-away CA, and the
        slaves follow the master over TLS (``tls-replication yes``, to its tls-port)."""
        slave_config = dict(config or {})
        if password:
            slave_config.setdefault("masterauth", password)
        self.certificates = Certificates() if tls else None
        if tls:
            slave_config.setdefault("tls-replication", "yes")
        self.master = PikaServer(mode=mode, config=config, password=password, tls=self.certificates or False)
        self.slaves = [PikaServer(mode=mode, config=slave_config, password=password, tls=self.certificates or False)
                       for _ in range(slaves)]

    @property
    def servers(self) -> list[PikaServer]:
        return [self.master, *self.slaves]

    def start(self) -> "PikaGroup":
        try:
            for server in self.servers:
                server.start()
            master_port = self.master.tls_port if self.certificates is not None else self.master.port
            for slave in self.slaves:
                slave.client().slaveof(self.master.host, master_port)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        if self.certificates is not None:
            self.certificates.remove()

    def restart(self, node: PikaServer) -> PikaServer:
        """Stop ``node`` and start it again on the same port and data; a slave follows its
        master again (SLAVEOF is not kept across a restart), a master's slaves reconnect."""
        info = node.client().info("replication")
        master = (info["master_host"], info["master_port"]) if info["role"] == "slave" else None
        node.restart()
        if master is not None:
            node.client().slaveof(*master)
        return node

    def partition(self, side_a: Iterable[object], side_b: Iterable[object], one_way: bool = False) -> Healing:
        """Cut the traffic between nodes of this group (and sentinels: a ``SentinelGroup`` or
        its ``members()``), from ``side_a`` to ``side_b`` and back unless ``one_way``; leaving
        the returned ``with`` block (or ``heal()``) ends it (see testing/chaos.py)."""
        return partition(side_a, side_b, one_way)

    def nemesis(self, faults: Iterable[str] = FAULTS, interval: float = 3.0, seed: int = 0,
                sentinels: "SentinelGroup | None" = None) -> Nemesis:
        """Random faults started and stopped every ``interval`` seconds, seeded; use it in a
        ``with`` block (leaving it heals everything) or call ``.start()`` / ``.stop()``. Its
        ``log`` says what was done when (testing/nemesis.py). With ``sentinels``, a partition
        may split them too."""
        return Nemesis(self, tuple(faults), interval, seed, sentinels)

    def heal(self) -> None:
        """CHAOS RESET on every running node: every fault of the group healed."""
        for server in self.servers:
            if server.running:
                server.chaos_reset()

    def wait_synced(self, timeout: float = 60.0) -> None:
        """Wait until every slave's link is up, its binlog reached the master's end (positions
        are aligned) and its data equals the master's (Redis' DEBUG DIGEST)."""
        wait_for(self.synced, timeout, "the slaves to catch up with the master", interval=0.02)

    def synced(self) -> bool:
        master = self.master.client()
        offset = master.info("replication")["master_repl_offset"]
        for slave in self.slaves:
            info = slave.client().info("replication")
            if info.get("master_link_status") != "up" or info["slave_repl_offset"] != offset:
                return False
        digest = master.execute_command("DEBUG", "DIGEST")
        return all(slave.client().execute_command("DEBUG", "DIGEST") == digest for slave in self.slaves)

    def __enter__(self) -> "PikaGroup":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
