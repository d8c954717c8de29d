"""What replication needs from the server it runs in, and from a slave's connection.

Replication imports the engine, never the server (docs/replication-protocol.md): the server
hands the master, the slave and the snapshot service a :class:`ReplicationHost` (the server
implements it), and a master's session talks to its slave through a :class:`SlavePeer`
(the server's client connection). Both are structural: nothing here is subclassed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol

if TYPE_CHECKING:
    import ssl
    from asyncio import AbstractEventLoop

    from pypika_store.config import Config
    from pypika_store.engine import Engine
    from pypika_store.snapshot import Snapshot

    from .link import LinkFaults


class BackgroundSaves(Protocol):
    """The bgsaves a master serves full syncs from (one at a time, shared by every asker)."""

    @property
    def in_progress(self) -> bool:
        """A bgsave is running."""

    @property
    def last(self) -> "Snapshot | None":
        """The newest snapshot taken, or None."""

    def start(self) -> None:
        """Start a bgsave unless one is running."""

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` in the loop once the bgsave in progress ended (at once if none runs)."""


@dataclass
class ReplicationStats:
    """Replication's INFO stats counters, kept by the server (CONFIG RESETSTAT zeroes them)
    and counted by the master and the slave (docs/replication-protocol.md says how Pika's
    syncs map onto Redis' names)."""

    #: Full syncs served: a slave asked for a snapshot (Redis: a full resynchronization).
    sync_full: int = 0
    #: Slaves that streamed on from their position, every DB's TrySync accepted (a partial resync).
    sync_partial_ok: int = 0
    #: TrySyncs refused (the slave then syncs in full, as a refused PSYNC).
    sync_partial_err: int = 0
    #: Bytes a slave received from its master (the stream and the snapshot's files).
    input_bytes: int = 0
    #: Bytes a master wrote to its slaves' connections (the server counts them: binlog items,
    #: pings, the snapshot's files, replies to their requests).
    output_bytes: int = 0

    def reset(self) -> None:
        for counter in fields(self):
            setattr(self, counter.name, 0)


class ReplicationHost(Protocol):
    """The server, as the master, the slave and the snapshot service use it."""

    #: Redis' master_replid (Pika's ReplicationID); a slave adopts its master's after a full sync.
    replication_id: str
    #: What the master and the slave count for INFO stats.
    replication_stats: ReplicationStats

    @property
    def engine(self) -> "Engine":
        """The data and the binlogs replication reads and writes."""

    @property
    def config(self) -> "Config":
        """The replication settings (sync-window-size, repl-timeout, masterauth, db-sync-path...),
        read when used: CONFIG SET applies at once."""

    @property
    def port(self) -> int:
        """The port this server listens on: what a slave announces unless slave-announce-port
        is set."""

    @property
    def replication_port(self) -> int:
        """The port a slave announces to its master unless slave-announce-port is set: its
        ``tls-port`` under ``tls-replication``, else :attr:`port` (as Redis)."""

    def replication_tls(self) -> "ssl.SSLContext | None":
        """The context a slave's link to its master handshakes with under ``tls-replication``
        (None: plain TCP); read at each connection, so a reload applies to the next link."""

    @property
    def loop(self) -> "AbstractEventLoop":
        """The event loop the server runs in (replication schedules its callbacks there)."""

    @property
    def bgsave(self) -> BackgroundSaves:
        """The bgsaves a master's full syncs are served from."""

    @property
    def link_faults(self) -> "LinkFaults":
        """The faults a slave's link to its master passes through (CHAOS LINK)."""

    def apply_replicated(self, db: int, argv: list[bytes]) -> bytes:
        """Run a command received from the master in DB ``db``, past a slave's read-only
        guard and without binlogging it again (the slave placed the master's item itself);
        its encoded reply (an error starts with ``-``)."""

    def end_turn(self) -> None:
        """Commit what this turn wrote (and send the replies waiting for that commit)."""

    def latency_sample(self, event: bytes, duration_ns: int) -> None:
        """Replication's work ``event`` took ``duration_ns`` (the latency monitor's sample, if
        over its threshold): a full sync's load."""

    def replication_paused(self) -> "Awaitable[None] | None":
        """While CLIENT PAUSE (WRITE or ALL) is on: what is done when it ends; else None. A
        slave applies nothing from its master meanwhile, as Redis postpones its master's
        commands."""

    def data_replaced(self) -> None:
        """A full sync replaced every DB's data as a whole (every WATCH breaks)."""


class FailoverHost(ReplicationHost, Protocol):
    """The server, as a coordinated failover (FAILOVER) swaps its role."""

    @property
    def replica(self) -> object | None:
        """The master this server follows, None while it is a master."""

    def become_slave(self, host: str, port: int, force_full: bool = False) -> None:
        """Follow that master (SLAVEOF host port)."""

    def become_master(self) -> None:
        """Stop following (SLAVEOF NO ONE)."""


class SlavePeer(Protocol):
    """A slave's connection to this master, as its session uses it."""

    #: Unique among the server's connections.
    id: int
    #: ``host:port`` of the slave's end (``[host]:port`` for IPv6).
    address: str
    #: The connection's kind (CLIENT LIST, CLIENT KILL TYPE): a session marks it ``slave``.
    kind: str
    #: Called once when the connection is gone.
    on_close: list[Callable[[], None]]

    def push(self, data: bytes) -> None:
        """Send data the slave did not ask for (pushed items), never inside a reply."""

    def close(self) -> None:
        """Disconnect (once the replies already collected are written)."""
