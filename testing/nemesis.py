"""A Jepsen-style nemesis for a :class:`~pypika_store.testing.PikaGroup`, and a checker of
acknowledged writes (docs/fault-injection.md, "The nemesis").

    with group.nemesis(faults=["kill", "pause", "partition", "clock", "link"], interval=3, seed=7) as nemesis:
        ... write through checker.write(...) ...
    print(nemesis.log)                       # what was done when; everything healed on exit
    report = checker.check(group.servers)    # acknowledged writes a node lost

The nemesis runs in a thread: every ``interval`` seconds (staggered between half and one and a
half times, from the seeded generator) it starts one fault, drawn from ``faults``, on a node
drawn at random, and stops it ``interval`` later; leaving the block stops the current fault and
heals every node (``CHAOS RESET``). The same seed draws the same schedule.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .chaos import Healing

if TYPE_CHECKING:
    from .embedded import PikaServer
    from .group import PikaGroup
    from .sentinel import SentinelGroup

FAULTS = ("kill", "pause", "partition", "clock", "link")
#: Jepsen's clock bumps: from 11 ms to 4.8 minutes, either way.
_CLOCK_BUMPS_MS = (11, 250, 2_000, 60_000, 288_000)


@dataclass
class NemesisEvent:
    """One line of the nemesis' log: seconds since it started, ``start`` or ``stop``, the fault
    and the node (``host:port``) with what was drawn for it."""

    at: float
    phase: str
    fault: str
    target: str


class Nemesis:
    """Random faults started and stopped on a schedule (see the module's docstring)."""

    def __init__(self, group: "PikaGroup", faults: list[str] | tuple[str, ...] = FAULTS, interval: float = 3.0,
                 seed: int = 0, sentinels: "SentinelGroup | None" = None) -> None:
        """``sentinels``: the group's sentinels, which a ``partition`` may then split (see
        :meth:`_partition`)."""
        unknown = set(faults) - set(FAULTS)
        if unknown or not faults:
            raise ValueError(f"faults must be among {FAULTS}: {sorted(unknown)}")
        self.group = group
        self.faults = list(faults)
        self.interval = interval
        self.seed = seed
        self.sentinels = sentinels
        self.log: list[NemesisEvent] = []
        self._rng = random.Random(seed)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self._current: tuple[str, str, Healing] | None = None

    # -- the schedule ---------------------------------------------------------------------------

    def start(self) -> "Nemesis":
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="pypika-nemesis", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[NemesisEvent]:
        """End the schedule, stop the fault that is on, heal every node; the log."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._end_current()
        self.group.heal()
        if self.sentinels is not None:
            self.sentinels.heal()
        return self.log

    def _pause(self) -> bool:
        """Wait a staggered interval; False once stopping."""
        return not self._stopping.wait(self.interval * self._rng.uniform(0.5, 1.5))

    def _run(self) -> None:
        while self._pause():
            fault = self._rng.choice(self.faults)
            node = self._rng.choice([server for server in self.group.servers if server.running])
            self._begin(fault, node)
            if not self._pause():
                break
            self._end_current()

    def _note(self, phase: str, fault: str, target: str) -> None:
        self.log.append(NemesisEvent(round(time.monotonic() - self._started_at, 3), phase, fault, target))

    def _begin(self, fault: str, node: "PikaServer") -> None:
        target = f"{node.host}:{node.port}"
        try:
            healing, detail = _START[fault](self, node)
        except Exception as exc:  # a node that cannot take the fault now (a slave-only fault on a master...)
            self._note("skipped", fault, f"{target} ({type(exc).__name__}: {exc})")
            return
        self._current = (fault, f"{target}{detail}", healing)
        self._note("start", fault, f"{target}{detail}")

    def _end_current(self) -> None:
        if self._current is None:
            return
        fault, target, healing = self._current
        self._current = None
        healing.heal()
        self._note("stop", fault, target)

    # -- the faults ----------------------------------------------------------------------------

    def _kill(self, node: "PikaServer") -> tuple[Healing, str]:
        """Stop the node (its data kept), as a crash would take it away; start it again on
        healing, following the master it followed (Sentinel re-points it if that changed)."""
        info = node.client().info("replication")
        master = (info["master_host"], info["master_port"]) if info["role"] == "slave" else None
        if node.mode == "process":
            node.kill()
        else:
            node.stop(keep_data=True)

        def revive() -> None:
            node.start()
            if master is not None:
                node.client().slaveof(*master)

        return Healing(revive), ""

    def _partition(self, node: "PikaServer") -> tuple[Healing, str]:
        """The node cut from the group's other nodes; with sentinels, drawn evenly, that or a
        split of the whole network: the node and one sentinel against the other nodes and the
        other sentinels (a master cut so fails over on the majority's side)."""
        others = [server for server in self.group.servers if server is not node and server.running]
        if self.sentinels is None or self._rng.choice(("node", "split")) == "node":
            return self.group.partition([node], others), " from the others"
        sentinels = self.sentinels.members()
        alone = self._rng.choice(sentinels)
        rest = [sentinel for sentinel in sentinels if sentinel is not alone]
        return (self.group.partition([node, alone], [*others, *rest]),
                f" and sentinel {alone.port} from the others and the other sentinels")

    def _clock(self, node: "PikaServer") -> tuple[Healing, str]:
        bump = self._rng.choice(_CLOCK_BUMPS_MS) * self._rng.choice((-1, 1))
        return node.clock.skew(bump), f" {bump:+d} ms"

    def _link(self, node: "PikaServer") -> tuple[Healing, str]:
        if node.client().info("replication")["role"] != "slave":
            raise ValueError("not a slave")
        kind = self._rng.choice(("drop", "stall", "delay"))
        healing = node.link.delay(200, jitter=100) if kind == "delay" else getattr(node.link, kind)()
        return healing, f" {kind}"

    def __enter__(self) -> "Nemesis":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


_START: dict[str, Callable[[Nemesis, "PikaServer"], tuple[Healing, str]]] = {
    "kill": Nemesis._kill,
    "pause": lambda nemesis, node: (node.stall(), ""),
    "partition": Nemesis._partition,
    "clock": Nemesis._clock,
    "link": Nemesis._link,
}


# -- the checker ---------------------------------------------------------------------------------

@dataclass
class CheckReport:
    """What :meth:`WriteChecker.check` found."""

    attempted: int
    acknowledged: int
    #: Of those, acknowledged by ``WAIT n`` too (n slaves had them).
    wait_acknowledged: int
    #: ``(node, key)`` of acknowledged writes a node no longer has (or has another value of).
    lost: list[tuple[str, str]] = field(default_factory=list)
    #: The same, for the writes WAIT acknowledged.
    lost_wait_acknowledged: list[tuple[str, str]] = field(default_factory=list)


class WriteChecker:
    """Records every write a client made and whether it was acknowledged (its reply came back),
    and by ``WAIT`` (``wait_for`` slaves had it within ``wait_timeout_ms``); :meth:`check`
    then reads every key back from every node and reports the acknowledged ones lost.

    Each write sets a key of its own (``<prefix><n>``) to a value of its own, so a lost write
    cannot hide behind a later one."""

    def __init__(self, prefix: str = "nemesis:", wait_for: int = 0, wait_timeout_ms: int = 500) -> None:
        self.prefix = prefix
        self.wait_for = wait_for
        self.wait_timeout_ms = wait_timeout_ms
        self.attempted = 0
        #: key -> (value, acknowledged by WAIT).
        self.acknowledged: dict[str, tuple[str, bool]] = {}
        self._lock = threading.Lock()

    def write(self, client) -> bool:
        """One SET through ``client`` (redis-py's, or a Sentinel ``master_for`` one); whether it
        was acknowledged. Errors (the node is down, read-only...) count as not acknowledged."""
        import redis

        with self._lock:
            number = self.attempted
            self.attempted += 1
        key, value = f"{self.prefix}{number}", f"v{number}"
        try:
            client.set(key, value)
            waited = bool(self.wait_for) and client.execute_command(
                "WAIT", self.wait_for, self.wait_timeout_ms) >= self.wait_for
        except (redis.RedisError, OSError):
            return False
        with self._lock:
            self.acknowledged[key] = (value, waited)
        return True

    def check(self, servers: list["PikaServer"]) -> CheckReport:
        """Read every acknowledged key on every node (after healing and syncing)."""
        report = CheckReport(self.attempted, len(self.acknowledged),
                             sum(1 for _value, waited in self.acknowledged.values() if waited))
        keys = list(self.acknowledged)
        for server in servers:
            node = f"{server.host}:{server.port}"
            client = server.client()
            found = client.mget(keys) if keys else []
            for key, value in zip(keys, found):
                expected, waited = self.acknowledged[key]
                if value != expected.encode():
                    report.lost.append((node, key))
                    if waited:
                        report.lost_wait_acknowledged.append((node, key))
        return report
