"""The server: listeners, clients, the end-of-turn commit, and background cycles.

Group commit: the first transaction a turn opens schedules :meth:`Server.end_turn` with
``call_soon``; asyncio runs it after every callback already queued for this loop iteration, i.e.
after all the ``data_received`` calls of one poll. It commits the turn's LMDB transaction once
and only then writes the replies that were waiting for it.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING, Callable

from pypika_store import __version__
from pypika_store.binlog.purge import purge
from pypika_store.config import Config
from pypika_store.config.effects import apply_encoding_limits
from pypika_store.engine import Engine
from pypika_store.errors import CommandError, CommitFailed, MaxClientsError, ProtectedModeError
from pypika_store.replication.host import ReplicationStats
from pypika_store.replication.link import LinkFaults
from pypika_store.replication.master import ReplicationMaster
from pypika_store.replication.slave import REPLICATION_ID_KEY, UNFINISHED_FULL_SYNC_KEY, SlaveReplication
from pypika_store.replication.snapshot_service import SnapshotService
from pypika_store.storage.environment import SYNC_ALWAYS, SYNC_EVERYSEC

from . import commands  # noqa: F401  (registers every command)
from .bgsave import BgsaveService
from .blocking import Block, BlockingRegistry
from .chaos import Chaos
from .connection import MASTER, NORMAL, Client
from .dispatch import Dispatcher
from .info import binlog_items
from .latency import COMMIT, COMMIT_FSYNCED, EXPIRE_CYCLE
from .listeners import Listeners
from .notifications import KeyspaceNotifications
from .pubsub import PubSub
from .recovery import replay_or_refuse_writes
from .resp.parser import ProtocolLimits
from .resp.replies import error_line
from .slot_migration import SlotService
from .stats import Stats, buffer_sizes
from .tls import LISTEN_FAILED, RELOAD_FAILED, TlsConfigError, TlsContexts, TlsSettingError, tls_enabled
from .tracking import Tracking
from .watches import WatchRegistry

if TYPE_CHECKING:
    import ssl
    from asyncio import AbstractEventLoop

log = logging.getLogger("pypika_store.server")

#: Seconds between binlog purge checks (Pika's DoTimingTask runs about every 5 s).
PURGE_INTERVAL = 5.0

#: Keys the active expiry cycle deletes per DB per run before yielding to clients.
EXPIRE_BATCH = 200
#: Members of deleted collections deleted per cron tick (background reclaim, like lazyfree).
RECLAIM_BATCH = 20_000


class Server:
    """A pypika-store server: one engine served over TCP. It is the host replication runs in
    (:class:`pypika_store.replication.host.ReplicationHost`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.run_id = secrets.token_hex(20)
        self.started_at = time.time()
        self.stats = Stats()
        self.clients: dict[int, Client] = {}
        #: proto-max-bulk-len and client-query-buffer-limit, shared by every client's parser.
        self.protocol_limits = ProtocolLimits()
        self.apply_protocol_limits()
        self.engine = Engine(
            path=os.path.abspath(config.get_str("db-path")),
            databases=config.get_int("databases"),
            map_size=config.get_int("lmdb-map-size"),
            sync_policy=config.get_str("sync-policy"),
            binlog_path=os.path.abspath(config.get_str("log-path")) if config["write-binlog"] else None,
            binlog_file_size=config.get_int("binlog-file-size"),
            lock_scope=config.get_str("bgsave-lock-scope"),
        )
        apply_encoding_limits(config, self.engine.encoding_limits)
        #: Codis slots: the slot index switch (before the replay below, which keeps it), walks, migrations.
        self.slots = SlotService(self)
        self.bgsave = BgsaveService(self)
        #: Clients waiting in blocking commands; list/zset/stream writes wake them (the
        #: registry sets the engine's on_key_ready while any client waits).
        self.blocking = BlockingRegistry(self.engine)
        #: Channel and pattern subscriptions (SUBSCRIBE, PSUBSCRIBE) and PUBLISH's fan-out.
        self.pubsub = PubSub()
        #: Keys clients WATCH; every write's change notes break the watches on them.
        self.watches = WatchRegistry(self.engine)
        #: What the master and the slave count for INFO stats (sync_full, repl bytes...).
        self.replication_stats = ReplicationStats()
        #: CLIENT TRACKING: which client may cache which key; the same change notes invalidate them.
        self.tracking = Tracking(self)
        #: The slaves of this server (as a master).
        self.replication_master = ReplicationMaster(self)
        #: The snapshots this server serves its slaves' full syncs from.
        self.snapshot_service = SnapshotService(self)
        #: Set while this server follows a master (SLAVEOF host port).
        self.replica: SlaveReplication | None = None
        #: The WAIT callers parked until enough slaves acknowledge, by client id: how each is answered.
        self._waiting_for_slaves: dict[int, Callable[[int], None]] = {}
        #: The internal client of kind master that runs replicated commands (made on first use).
        self._replication_applier: Client | None = None
        #: Keyspace notifications: which events the engine notes, and their publication.
        self.notifications = KeyspaceNotifications(self)
        #: The dispatch rules every client's commands pass (the binlog replay's below too).
        self.dispatcher = Dispatcher(self)
        #: Runs the start-up binlog replay; kept while the replay could not finish (a full
        #: disk): writes are refused and the replay is tried again every second.
        self._replayer: Client | None = None
        #: CHAOS: the faults on demand (clock, command faults, link faults, suspension).
        self.chaos = Chaos(self)
        self.engine.clock.on_moved.append(self.expire_due_keys)  # a clock moved on expires what is due
        if self.engine.system_value(UNFINISHED_FULL_SYNC_KEY) is not None:
            log.warning("A full sync was cut while loading its snapshot: the binlog is not replayed, "
                        "and the next sync from a master will be a full one")
            self.engine.delete_system_value(REPLICATION_ID_KEY)
            self.engine.delete_system_value(UNFINISHED_FULL_SYNC_KEY)
            try:
                self.engine.end_turn()
            except CommitFailed:  # a full disk: the next start forgets them again
                pass
        else:
            replayer = Client(self, internal=True)
            if not replay_or_refuse_writes(self.engine, replayer):
                self._replayer = replayer
        # After the replay, which must not delete expired keys its records do not (it logs nothing).
        self.notifications.configure()
        #: False after DEBUG SET-ACTIVE-EXPIRE 0: the cron leaves expired keys to lazy expiry.
        self.active_expire = True
        #: Redis' master_replid (Pika's ReplicationID): kept in LMDB; a slave adopts its master's.
        self.replication_id = self._load_replication_id()
        #: The binlog items written before this start (INFO rdb_changes_since_last_save counts from there).
        self.items_at_start = binlog_items(self.engine)

        #: The SSL contexts (None while TLS is off); CONFIG SET of a tls-* file option rebuilds them.
        self.tls: TlsContexts | None = self._build_tls()
        self.port = config.get_int("port")
        self.listeners = Listeners(self)
        #: Clients whose replies wait for this turn's commit.
        self.waiting_for_commit: list[Client] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._loop: AbstractEventLoop | None = None
        self._stopped = asyncio.Event()
        self.shutting_down = False
        self._sync_running = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the listeners and start the background cycles."""
        self._loop = loop = asyncio.get_running_loop()
        self.engine.on_turn_start = functools.partial(loop.call_soon, self.end_turn)  # no frame of ours per turn
        await self.listeners.open()
        self.port = self.listeners.port
        self._write_pidfile()
        self._schedule(lambda: 1 / self.config.get_int("hz"), self._cron)
        if self.engine.sync_policy == SYNC_EVERYSEC:
            self._schedule(lambda: 1.0, self._sync_everysec)
        if self.engine.binlogs:
            self._schedule(lambda: PURGE_INTERVAL, self._purge_cycle)
        if self._replayer is not None:
            self._schedule(lambda: 1.0, self._retry_replay)
        self._schedule(lambda: 1.0, self.engine.release_memory)
        self._schedule(lambda: 1.0, self.replication_master.tick)
        master = self.config.get_str("slaveof").replace(":", " ").split()
        if len(master) == 2:
            self.become_slave(master[0], int(master[1]))
        log.info("Server initialized; pypika-store %s, pid %d", __version__, os.getpid())
        bind = self.config.get_str("bind")
        if self.port:
            log.info("Ready to accept connections tcp on %s port %d", bind, self.port)
        if self.listeners.tls_port:
            log.info("Ready to accept connections tls on %s port %d", bind, self.listeners.tls_port)
        if self.config.get_str("unixsocket"):
            log.info("Ready to accept connections unix at %s", self.config.get_str("unixsocket"))

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def request_shutdown(self) -> None:
        """Stop serving: close listeners and clients, commit, close LMDB. Idempotent."""
        if self.shutting_down:
            return
        self.shutting_down = True
        log.warning("User requested shutdown...")
        for timer in self._timers:
            timer.cancel()
        if self.replica is not None:
            self.replica.stop()
        self.listeners.close()
        self.end_turn()
        for client in list(self.clients.values()):
            client.close()
        self.slots.close()
        self.bgsave.wait()
        self.engine.close()
        self._remove_pidfile()
        log.warning("pypika-store is now ready to exit, bye bye...")
        self._stopped.set()

    def apply_protocol_limits(self) -> None:
        """Copy the configured protocol limits to the parsers (at start and after CONFIG SET:
        clients already connected are held to the new values at once, as in Redis)."""
        self.protocol_limits.max_bulk_len = self.config.get_int("proto-max-bulk-len")
        self.protocol_limits.max_buffer = self.config.get_int("client-query-buffer-limit")
    def listening_sockets(self) -> list:
        """The sockets connections are accepted on (a busy script accepts on them meanwhile)."""
        return self.listeners.sockets()

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: zero the INFO counters (the per-command ones among them)."""
        self.stats.reset()
        self.replication_stats.reset()

    # -- clients -------------------------------------------------------------------------------

    def at_client_limit(self) -> bool:
        """Whether ``maxclients`` connections are open (a new one is refused)."""
        return len(self.clients) >= self.config.get_int("maxclients")

    def client_connected(self, client: Client) -> None:
        """Admit a new connection, or refuse it as Redis does: past ``maxclients``, and from
        a non-loopback address in protected mode (on, and no password set)."""
        refusal = None
        if self.at_client_limit():
            refusal = MaxClientsError.message
        elif self._protected_from(client):
            refusal = ProtectedModeError.message
        if refusal is not None:
            self.stats.rejected_connections += 1
            client.refuse(refusal)
            return
        self.stats.connections_received += 1
        self.clients[client.id] = client
        self._set_keepalive(client)

    def _protected_from(self, client: Client) -> bool:
        """protected-mode: with the default user logging in without a password (as Redis 7.0
        checks it), only loopback and unix-socket clients are served."""
        if not self.config["protected-mode"] or not self.dispatcher.acl.default.nopass or client.unix_socket:
            return False
        host = client.address.rpartition(":")[0].strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        mapped = getattr(address, "ipv4_mapped", None)
        return not (mapped or address).is_loopback

    def _set_keepalive(self, client: Client) -> None:
        """``tcp-keepalive``: probes after that many idle seconds, then every third of it,
        three unanswered probes dropping the connection (Redis' anetKeepAlive)."""
        interval = self.config.get_int("tcp-keepalive")
        sock = client.transport.get_extra_info("socket") if client.transport is not None else None
        if not interval or sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, interval // 3))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)

    def client_disconnected(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        self.pubsub.forget(client)
        self.watches.unwatch(client)
        self.tracking.disable(client)

    def flush_after_commit(self, client: Client) -> None:
        """Hold ``client``'s replies until this turn's commit."""
        self.waiting_for_commit.append(client)

    def end_turn(self) -> None:
        """Commit the turn and send the replies that waited for it (scheduled at the turn's first
        transaction; SAVE also calls it, to free the DB lock before it takes it)."""
        waiting, self.waiting_for_commit = self.waiting_for_commit, []
        if self.notifications.pending:  # noted outside a command (the active expiry cycle)
            self.notifications.publish()
        engine = self.engine
        started = time.perf_counter_ns() if engine.turn.dirty else 0
        try:
            engine.end_turn()
        except CommitFailed as exc:  # nothing of the turn is kept: its replies become the error
            for client in waiting:
                client.fail_pending(str(exc))
            self.dispatcher.scripting.functions.reset()  # the libraries are LMDB's again
            return
        if started:
            elapsed, latency = time.perf_counter_ns() - started, self.dispatcher.latency
            if elapsed >= latency.threshold_ns:  # tested here: this runs every turn
                latency.sample(COMMIT_FSYNCED if engine.sync_policy == SYNC_ALWAYS else COMMIT, elapsed)
        for client in waiting:
            client.flush()
        if self.replication_master.sessions:
            self.replication_master.pump_all()

    # -- TLS -----------------------------------------------------------------------------------

    def _build_tls(self) -> TlsContexts | None:
        if not tls_enabled(self.config):
            return None
        try:
            return TlsContexts.build(self.config)
        except TlsConfigError as exc:
            log.warning("%s", exc)
            raise RuntimeError("Failed to configure TLS. Check logs for more info.") from None

    def apply_tls_settings(self, reload: bool, port_changed: bool) -> None:
        """CONFIG SET of tls-* options: rebuild the SSL contexts (``reload``, or TLS just turned
        on) and move the TLS listener (``port_changed``). Raises TlsSettingError with Redis'
        reply when they do not build or the port cannot be bound; the contexts and listeners in
        use are then left as they were."""
        contexts = self.tls
        if tls_enabled(self.config) and (reload or contexts is None):
            try:
                contexts = TlsContexts.build(self.config)
            except TlsConfigError as exc:
                log.warning("%s", exc)
                raise TlsSettingError(RELOAD_FAILED) from None
        if port_changed:
            try:
                self.listeners.set_tls_port(self.config.get_int("tls-port"))
            except OSError:
                raise TlsSettingError(LISTEN_FAILED) from None
        self.tls = contexts

    def replication_tls(self) -> "ssl.SSLContext | None":
        """The context a slave's link to its master uses: the client one under tls-replication."""
        return self.tls.client if self.tls is not None and self.config["tls-replication"] else None

    @property
    def replication_port(self) -> int:
        """The port a slave announces to its master: ``tls-port`` under tls-replication, as Redis."""
        return self.listeners.tls_port if self.config["tls-replication"] else self.port

    # -- replication ---------------------------------------------------------------------------

    @property
    def loop(self) -> "AbstractEventLoop":
        assert self._loop is not None
        return self._loop

    @property
    def role(self) -> str:
        """"master" or "slave" (INFO, ROLE, HELLO)."""
        return "master" if self.replica is None else "slave"

    def _load_replication_id(self) -> str:
        stored = self.engine.system_value(REPLICATION_ID_KEY)
        if stored is None:
            stored = secrets.token_hex(20).encode()
            try:
                self.engine.set_system_value(REPLICATION_ID_KEY, stored)
                self.engine.end_turn()
            except (CommitFailed, CommandError) as exc:  # a full disk: kept for this run only
                log.warning("The replication id could not be stored: %s", exc)
        self.engine.end_turn()
        return stored.decode()

    def repl_offset(self) -> int:
        """Pika's single-number offset: the sum over DBs of filenum * binlog-file-size + offset."""
        return sum(binlog.position.absolute(binlog.file_size) for binlog in self.engine.binlogs)

    def become_slave(self, host: str, port: int, force_full: bool = False) -> None:
        """SLAVEOF host port: follow that master (a no-op if it is the current one)."""
        if not self.engine.binlogs:
            log.error("SLAVEOF refused: a slave needs write-binlog yes")
            return
        current = self.replica
        if current is not None and (current.host, current.port) == (host, port) and not force_full:
            return
        if current is not None:
            current.stop()
        for session in list(self.replication_master.sessions.values()):
            session.client.close()
        self.config.set("slaveof", f"{host} {port}")
        log.warning("Connecting to MASTER %s:%d", host, port)
        self.replica = SlaveReplication(self, host, port, force_full)
        self.notifications.configure()
        self.replica.start()

    def become_master(self) -> None:
        """SLAVEOF NO ONE: stop following; writes are accepted at once. The binlog term moves
        on, so a node that kept writes of the old term is told apart when it rejoins: past every
        term this node wrote or received, by a drawn step, as two slaves promoted apart from the
        same binlog end must not both write one term (a TrySync would take their histories,
        alike in size, for one: tests/test_chaos_promotions.py)."""
        if self.replica is None:
            return
        self.replica.stop()
        self.replica = None
        self.notifications.configure()
        self.config.set("slaveof", "")
        for binlog in self.engine.binlogs:
            binlog.term = (max(binlog.term, binlog.last_item_term) + 1 + secrets.randbelow(1 << 16)) % (1 << 32)
        log.warning("MASTER MODE enabled (user request from SLAVEOF NO ONE)")

    def wait_for_slaves(self, client: Client, wanted: int, offset: int, timeout: float) -> object:
        """WAIT: the number of slaves at ``offset`` now, or park the client until enough are."""
        count = self.replication_master.slaves_at(offset)
        if count >= wanted or client.in_transaction:
            return count

        def answer(reached: int) -> None:
            self._waiting_for_slaves.pop(client.id, None)
            if client.blocked is not None:  # still parked (not disconnected or unblocked meanwhile)
                self.blocking.release(client.blocked)
                client.resume(client.encode(reached))

        self._waiting_for_slaves[client.id] = answer
        self.replication_master.add_waiter(answer, wanted, offset, timeout)
        return Block([], 0, None)

    def unblock_wait(self, client: Client, error: str | None) -> bool:
        """CLIENT UNBLOCK of a client in WAIT: it is answered now, as Redis 7.0 answers, with
        the number of slaves that acknowledged its offset so far, or with ``error``. False
        when the client is not in WAIT."""
        answer = self._waiting_for_slaves.get(client.id)
        if answer is None:
            return False
        if error is not None and client.blocked is not None:
            self.blocking.release(client.blocked)
            client.resume(error_line(error))
        self.replication_master.answer_now(answer)  # the count, unless the error went first
        return True

    def latency_sample(self, event: bytes, duration_ns: int) -> None:
        """The server's own work ``event`` took ``duration_ns`` (LATENCY, if over the threshold)."""
        self.dispatcher.latency.sample(event, duration_ns)

    def replication_paused(self) -> "asyncio.Future[None] | None":
        """While CLIENT PAUSE is on (any kind, any purpose): done when it is over."""
        pause = self.dispatcher.pause
        return None if pause is None else pause.over

    def apply_replicated(self, db: int, argv: list[bytes]) -> bytes:
        """Run a command a master sent (the slave placed its binlog item already, so it is not
        binlogged again) through an internal client of kind master, which a read-only slave
        lets write; the encoded reply."""
        applier = self._replication_applier
        if applier is None:
            applier = self._replication_applier = Client(self, internal=True)
            applier.kind = MASTER
        if applier.db != db:
            applier.select(db)
        engine = self.engine
        engine.recording = False
        try:
            reply = self.dispatcher.execute_replicated(applier, argv)
        finally:
            engine.recording = True
        if reply.startswith(b"-"):
            self.stats.unexpected_error_replies += 1
        return reply

    @property
    def link_faults(self) -> LinkFaults:
        """The faults this server's link to its master passes through (CHAOS LINK)."""
        return self.chaos.link

    def data_replaced(self) -> None:
        """A full sync replaced the data as a whole: every WATCH breaks, every cached key is
        invalid, the function libraries are the snapshot's."""
        self.watches.break_all()
        self.tracking.flush()
        self.dispatcher.scripting.functions_replaced()

    # -- background cycles ---------------------------------------------------------------------

    def _schedule(self, interval: Callable[[], float], callback: Callable[[], None]) -> None:
        """Run ``callback`` every ``interval()`` seconds (re-read each time: CONFIG SET hz)."""
        assert self._loop is not None

        def run() -> None:
            self._timers.discard(handle)
            if self.shutting_down:
                return
            try:
                callback()
            except Exception:  # a cycle must never stop the server
                log.exception("background cycle %s failed", callback.__name__)
            self._schedule(interval, callback)

        handle = self._loop.call_later(interval(), run)
        self._timers.add(handle)

    def _cron(self) -> None:
        """Active expiry (Redis' serverCron at ``hz``), idle-client timeouts, rate samples."""
        self.stats.sample(self.replication_stats.input_bytes, self.replication_stats.output_bytes)
        self._sample_client_buffers()
        pending = self.engine.pending_reclaims
        if pending:
            self.engine.reclaim_step(RECLAIM_BATCH)
            self.stats.lazyfreed_objects += max(0, pending - self.engine.pending_reclaims)
        self.expire_due_keys(EXPIRE_BATCH)
        timeout = self.config.get_int("timeout")
        if timeout:
            for client in list(self.clients.values()):
                if client.idle_seconds() > timeout and self._may_time_out(client):
                    log.debug("Closing idle client")
                    client.close()

    def _may_time_out(self, client: Client) -> bool:
        """``timeout`` closes idle clients but, as in Redis, not slaves, masters, monitors,
        blocked clients, and clients with subscriptions."""
        return (client.kind == NORMAL and client.blocked is None and client not in self.dispatcher.monitors
                and not self.pubsub.subscribed(client))

    def expire_due_keys(self, batch: int | None = None) -> None:
        """Active expiry (Redis' activeExpireCycle): delete keys whose time has come, up to
        ``batch`` per DB (None: all, after CHAOS CLOCK moved the clock). Slaves expire by the
        master's DELs; CLIENT PAUSE, DEBUG SET-ACTIVE-EXPIRE 0 and refused writes (an unfinished
        start-up replay) hold it. Timed for INFO expire_cycle_cpu_milliseconds and, when some DB
        had keys with a TTL to look at, for LATENCY (an idle run is not a sample: its time would
        be the thread switch's)."""
        if self.replica is not None or not self.active_expire or self.dispatcher.pause is not None \
                or self.engine.write_refusal is not None:
            return
        started = time.perf_counter_ns()
        stats = self.stats
        looked = False
        for keyspace in self.engine.keyspaces:
            if not len(keyspace.expiry):
                continue
            looked = True
            due = keyspace.due_keys(batch or len(keyspace.expiry))
            for key in due:
                keyspace.delete_expired(key)
                self.engine.log_changes()
            stats.expired_keys += len(due)
            if batch is not None and len(due) == batch:
                stats.expire_cycle_cap_reached += 1  # keys left for the next run
        elapsed = time.perf_counter_ns() - started
        stats.expire_cycle_ns += elapsed
        if looked:
            self.latency_sample(EXPIRE_CYCLE, elapsed)

    def _sample_client_buffers(self) -> None:
        """The largest input and output buffers of the clients now (client_recent_max_*)."""
        largest_input = largest_output = 0
        for client in self.clients.values():
            input_bytes, output_bytes = buffer_sizes(client)
            largest_input, largest_output = max(largest_input, input_bytes), max(largest_output, output_bytes)
        self.stats.client_peaks.record(int(time.monotonic()), largest_input, largest_output)

    def purge_binlogs(self, index: int, target: int | None = None) -> list[int]:
        """Delete one DB's binlog files the purge rules allow, sparing the files a bgsave in
        progress may have recorded its position in (from the file current when it started)."""
        binlog = self.engine.binlogs[index]
        config = self.config
        needed = [self.replication_master.oldest_needed_file(index)]
        if self.bgsave.held_files is not None:
            needed.append(self.bgsave.held_files[index])
        held_by_full_syncs = self.snapshot_service.held_positions()
        if held_by_full_syncs is not None:
            needed.append(held_by_full_syncs[index])
        needed = [filenum for filenum in needed if filenum is not None]
        oldest_needed = min(needed) if needed else None
        deleted = purge(binlog.directory, binlog.position.filenum, config.get_int("expire-logs-nums"),
                        config.get_int("expire-logs-days"), time.time(), target, oldest_needed)
        if deleted:
            log.info("Purged binlog files write2file%d..write2file%d of db%d", deleted[0], deleted[-1], index)
        return deleted

    def _purge_cycle(self) -> None:
        for index in range(len(self.engine.binlogs)):
            self.purge_binlogs(index)

    def _retry_replay(self) -> None:
        """Try the start-up replay again; writes are accepted once it completes."""
        if self._replayer is not None and replay_or_refuse_writes(self.engine, self._replayer):
            self._replayer = None

    def _sync_everysec(self) -> None:
        # fsync can take milliseconds: run it off the event loop, one at a time.
        if self._sync_running:
            return
        self._sync_running = True
        future = self._loop.run_in_executor(None, self.engine.sync)  # type: ignore[union-attr]
        future.add_done_callback(self._sync_done)

    def _sync_done(self, future: asyncio.Future) -> None:
        self._sync_running = False
        if future.exception() is not None:
            log.error("background sync failed: %s", future.exception())

    # -- pidfile -------------------------------------------------------------------------------

    def _write_pidfile(self) -> None:
        path = self.config.get_str("pidfile")
        if path:
            with open(path, "w", encoding="ascii") as handle:
                handle.write(f"{os.getpid()}\n")

    def _remove_pidfile(self) -> None:
        path = self.config.get_str("pidfile")
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
