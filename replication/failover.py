"""FAILOVER on a master: Redis 7.0's coordinated failover over Pika's replication.

Writes are paused (the server's CLIENT PAUSE WRITE), the master waits until a slave (the one
named, or the first of them) acknowledged its whole binlog, then asks it with
``PIKAREPL FAILOVER <replication-id>`` to become master, becomes its slave (both binlogs
agree, so the TrySync is incremental) and ends the pause: the writes held meanwhile then run
on a slave and get READONLY, as in Redis. A TIMEOUT aborts the failover unless FORCE, which
promotes the named slave anyway. Other slaves stay connected to the old master (chained), as
in Redis. See docs/replication-protocol.md.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Callable

from .link import LinkClosed, MasterLink, ReplyError

if TYPE_CHECKING:
    from .host import FailoverHost
    from .master import SlaveSession

log = logging.getLogger("pypika_store.replication")

# INFO replication's master_failover_state values (Redis 7.0's).
NO_FAILOVER, WAITING_FOR_SYNC, IN_PROGRESS = "no-failover", "waiting-for-sync", "failover-in-progress"


class Failover:
    """One coordinated failover, from FAILOVER until the roles swapped or it was aborted."""

    def __init__(self, server: "FailoverHost", target: tuple[str, int] | None, timeout_ms: int, force: bool,
                 pause: Callable[[], None], unpause: Callable[[], None], on_end: Callable[[], None]) -> None:
        self.server = server
        self.target = target
        self.force = force
        self.state = WAITING_FOR_SYNC
        self._unpause = unpause
        self._on_end = on_end
        self._task: asyncio.Task | None = None
        self._timer = server.loop.call_later(timeout_ms / 1000, self._timed_out) if timeout_ms else None
        pause()
        log.warning("FAILOVER requested to %s.", self._describe())

    def _describe(self) -> str:
        return "%s:%d" % self.target if self.target else "any replica"

    # -- waiting for a slave to catch up ---------------------------------------------------------

    def check_synced(self, sessions: list["SlaveSession"]) -> None:
        """After a slave's ack (and at the start): fail over to the first eligible slave that
        acknowledged every DB's binlog end."""
        if self.state != WAITING_FOR_SYNC:
            return
        binlogs = self.server.engine.binlogs
        for session in sessions:
            if self.target is not None and (session.host, session.port) != self.target:
                continue
            if len(session.streams) == len(binlogs) and all(
                    stream.acked >= binlogs[db].position for db, stream in session.streams.items()):
                log.warning("Failover target %s:%d is synced, failing over.", session.host, session.port)
                self._hand_over(session.host, session.port)
                return

    def _timed_out(self) -> None:
        self._timer = None
        if self.state != WAITING_FOR_SYNC:
            return
        if self.force and self.target is not None:
            log.warning("FAILOVER to %s:%d time out exceeded, failing over.", *self.target)
            self._hand_over(*self.target)
        else:
            self.abort("Replica never caught up before timeout")

    # -- handing over ------------------------------------------------------------------------------

    def _hand_over(self, host: str, port: int) -> None:
        self.state = IN_PROGRESS
        self.target = (host, port)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._task = self.server.loop.create_task(self._promote_target(host, port))

    async def _promote_target(self, host: str, port: int) -> None:
        """Ask the target to become master; once it has, follow it and end the failover."""
        config = self.server.config
        link = None
        try:
            link = await MasterLink.open(host, port, config.get_int("repl-timeout"), tls=self.server.replication_tls())
            await link.authenticate(config.get_str("masteruser"), config.get_str("masterauth"))
            await link.call("PIKAREPL", "FAILOVER", self.server.replication_id)
        except (OSError, LinkClosed, asyncio.TimeoutError, ReplyError, ConnectionError) as exc:
            self.abort(f"Failover target rejected the request ({exc or type(exc).__name__})")
            return
        finally:
            if link is not None:
                link.close()
        # The target accepted (Redis ends the failover when its PSYNC FAILOVER is accepted):
        # follow it, and let the held writes run, on a slave now.
        self.server.become_slave(host, port)
        log.warning("FAILOVER to %s:%d completed.", host, port)
        self._finish()

    # -- ending --------------------------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """FAILOVER ABORT, a timeout without FORCE, or a refusal: back to a writable master.
        Aborted after the target accepted, this node is a master again beside it (as Redis)."""
        if self.state == NO_FAILOVER:
            return
        log.warning("FAILOVER to %s aborted: %s", self._describe(), reason)
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        if self.server.replica is not None:
            self.server.become_master()
        self._finish()

    def _finish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.state = NO_FAILOVER
        self._unpause()
        self._on_end()
