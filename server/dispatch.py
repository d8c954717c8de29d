"""The dispatch rules: what happens to one command between the parser and its reply.

:meth:`Dispatcher.execute` is the one place a command is admitted, in Redis' processCommand
order:

1. lookup: an unknown command, a wrong number of arguments, an unknown subcommand are refused;
2. the admission rules, one check each: NOAUTH until the client authenticates, the ACL (the
   client's user's commands, keys and channels, :mod:`.acl`; skipped for an unrestricted
   user), READONLY for a write on a slave (but from its master), RESP2's subscribed mode,
   CLIENT PAUSE (the command is held, :mod:`.pause`), then the command faults CHAOS FAULT set (:mod:`.chaos`);
3. MULTI queueing (:func:`.commands.transactions.queue`): ``+QUEUED`` instead of running;
4. the call (:meth:`Dispatcher.call`): the stats, the handler, its reply encoded, a
   :class:`~pypika_store.errors.CommandError` or a bug turned into one error reply, then the
   call timed for SLOWLOG and LATENCY (:mod:`.slowlog`, :mod:`.latency`), the command's
   changes logged, its keyspace events published (:mod:`.notifications`), the command shown
   to MONITOR clients (:mod:`.monitor`), and the blocked
   clients its writes made ready served.

Every refusal goes through :func:`.commands.transactions.refuse` (inside MULTI it makes EXEC
abort). A new rule (ACL, fault injection) is one more check in step 2; the
state it needs lives on the :class:`Dispatcher`, one per server (``server.dispatcher``). The
connection (:class:`.connection.Client`) only feeds its parser, hands each command here, and
writes; it reaches the dispatcher through its server rather than by importing this module,
because the command modules import the connection and this module imports MULTI's rules from
one of them: the commands' package must be loaded first, so the command table keeps the
order COMMAND and INFO commandstats list it in.

This is the hottest path of the server: the plain command's way through :meth:`execute` (the
lookup, the rules and the call in one frame; :meth:`call` is the same code entered with the spec
admitted) is kept to a few attribute tests, two clock reads (SLOWLOG's timing) and the handler's
call; a rule that is off (CLIENT PAUSE, MONITOR, CLIENT REPLY) costs one attribute test, and the
two replies RESP2 and RESP3 agree on that most commands return (a short bulk string, a small
integer) are encoded without the encoder's call.
"""

from __future__ import annotations

import logging
from time import perf_counter_ns
from typing import TYPE_CHECKING

from pypika_store.errors import (ACL_SCRIPT_ERRORS, SCRIPT_ERRORS, CommandError, NoAuthError, ReadOnlyReplicaError,
                                 WrongArityError, internal_error, not_in_subscribed_mode, unknown_command)

from .acl import LUA, MULTI, TOPLEVEL, AccessControl, toplevel_error
from .blocking import Block
from .commands.transactions import queue, refuse
from .connection import MASTER, PUBSUB
from .latency import LatencyMonitor
from .monitor import Monitors
from .pause import BY_CLIENT, ClientPause, loop_time_after, may_replicate
from .registry import NO_AUTH, TABLE, WRITE, CommandSpec, resolve_subcommand
from .resp.replies import BULK_LINES, INTEGERS, NO_REPLY, TABLED, Raw, error_line
from .scripting.runtime import NO_SCRIPT, ScriptRun, Scripting
from .slowlog import SlowLog
from .stats import QUIET, SHORT_CALL_USEC, QuietLookups, counted_lookups

if TYPE_CHECKING:
    from .app import Server
    from .chaos import CommandFaults
    from .connection import Client

log = logging.getLogger(__name__)

_NOAUTH = NoAuthError()
_READONLY = ReadOnlyReplicaError()
#: The commands a RESP2 client may run while subscribed (Redis 7.0's list, as far as it exists here).
_SUBSCRIBED_MODE = frozenset(("subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
                              "ping", "quit", "reset"))
#: What a retried blocking command returns when it still cannot be served.
_STILL_BLOCKED = Raw(b"")
#: A script's command refused before it runs (Redis' scriptCall checks).
_SCRIPT_UNKNOWN, _SCRIPT_ARITY, _SCRIPT_NOT_ALLOWED, _SCRIPT_READ_ONLY = (
    error_line(SCRIPT_ERRORS[name]) for name in ("unknown_command", "wrong_arity", "not_allowed", "read_only"))


class Dispatcher:
    """The server's dispatch rules (see the module's docstring)."""

    def __init__(self, server: "Server") -> None:
        self._server = server
        self._stats = server.stats
        self._quiet_lookups = QuietLookups(server.stats)
        self._engine = server.engine
        self._blocking = server.blocking
        #: The keys the running command made ready for blocked clients (the registry's, never replaced).
        self._ready_keys = server.blocking.ready
        self._turn = server.engine.turn
        #: The running command's changes (the engine's one change log, never replaced).
        self._command_changes = server.engine.changes
        for spec in TABLE.all_specs():
            spec.counted_lookups = counted_lookups(spec.full_name, spec.flags)
        self._changes = server.watches.listeners
        #: Keyspace events the engine noted, published after each command that noted some.
        self._notifications = server.notifications
        self._pending_events = server.notifications.pending
        #: Set while CLIENT PAUSE holds commands (:attr:`pause`).
        self._pause: ClientPause | None = None
        #: Set while CHAOS FAULT has faults: they may answer a command instead of it (:attr:`faults`).
        self._faults: CommandFaults | None = None
        #: Set while a script runs past busy-reply-threshold (:attr:`busy_script`).
        self._busy_script: ScriptRun | None = None
        #: Whether any of the three is set: the plain command's one test of them.
        self._intercepting = False
        #: The spec of a command name as sent in upper or lower case (the command table's).
        self._as_sent = TABLE.spellings
        #: Per command (full name), its :attr:`~.stats.LatencyHistogram.short_calls` on this
        #: server, added on its first call here (:meth:`_short_calls_of`):
        #: ``short_calls[name][usec] += 1`` is the one update a call pays for INFO commandstats
        #: (calls, usec), latencystats and total_commands_processed. A plain dictionary, whose
        #: subscript the interpreter specialises (a subclass's with ``__missing__`` it does not);
        #: :meth:`.stats.Stats.reset` empties the lists in place, so they stay the histograms'.
        self._short_calls: dict[str, list[int]] = {}
        #: The clients in MONITOR mode; ``_monitoring`` is their list, tested on every call.
        self.monitors = Monitors()
        self._monitoring = self.monitors.clients
        #: True while a blocked command runs again: MONITOR showed it when it blocked.
        self._retrying = False
        #: SLOWLOG and LATENCY; the lower of their thresholds is kept here, read again when
        #: CONFIG SET changes one of their settings (:meth:`read_thresholds`). A call shorter
        #: than ``_short_ns`` concerns neither, and its histogram counts it in its list.
        self.slowlog = SlowLog(server.config)
        self.latency = LatencyMonitor(server.config)
        self._slow_ns = 0.0
        self._short_ns = 0
        self.read_thresholds()
        #: EVAL's interpreter and script cache; ``busy_script`` is set while a script runs past
        #: busy-reply-threshold (other clients are then answered BUSY, :mod:`.scripting.busy`).
        self.scripting = Scripting(server)
        #: ACL users and log (:mod:`.acl`); each client holds its user, whose ``unrestricted``
        #: spares the all-permissive one the check.
        self.acl = AccessControl()
        self.acl.configure(server.config)

    # -- what may take a command before it runs: each set rarely, all read on every command --

    @property
    def pause(self) -> ClientPause | None:
        return self._pause

    @pause.setter
    def pause(self, pause: ClientPause | None) -> None:
        self._pause = pause
        self._note_interceptions()

    @property
    def faults(self) -> "CommandFaults | None":
        return self._faults

    @faults.setter
    def faults(self, faults: "CommandFaults | None") -> None:
        self._faults = faults
        self._note_interceptions()

    @property
    def busy_script(self) -> ScriptRun | None:
        return self._busy_script

    @busy_script.setter
    def busy_script(self, run: ScriptRun | None) -> None:
        self._busy_script = run
        self._note_interceptions()

    def _note_interceptions(self) -> None:
        self._intercepting = self._pause is not None or self._faults is not None or self._busy_script is not None

    def execute(self, client: "Client", argv: list[bytes], admitted: CommandSpec | None = None) -> bytes:
        """Run one command of ``client`` (or queue it, in MULTI) and return its encoded reply.

        The lookup, the admission rules and the call are this one frame: the plain command
        pays one Python call for the three. ``admitted`` is the spec of a command already
        admitted (:meth:`call`: EXEC's queued commands, scripts', the master's stream): the
        lookup and the rules are skipped, and the call is the same code."""
        if admitted is not None:
            spec = admitted
        else:
            try:
                spec = self._as_sent[argv[0]]
            except KeyError:  # a mixed-case spelling, or no such command
                spec = TABLE.get(argv[0])
            if spec is None:
                return refuse(client, unknown_command(argv))
            if not spec.fewest_args <= len(argv) <= spec.most_args:  # spec.arity_ok, on the hot path
                return refuse(client, WrongArityError(spec.name), spec)
            if spec.subcommands:
                try:
                    spec = resolve_subcommand(spec, argv)
                except CommandError as exc:
                    return refuse(client, exc)
                if not spec.arity_ok(len(argv)):
                    return refuse(client, WrongArityError(spec.full_name), spec)
            # The admission rules, in Redis' order: a new rule is one more check among these.
            if not client.authenticated and NO_AUTH not in spec.flags:
                return refuse(client, _NOAUTH, spec)
            if not client.user.unrestricted and not self._retrying:
                # ACL: the all-permissive default user pays the one test; a blocked command was
                # checked when it blocked and is served as such (Redis 7.0 serves it unchecked)
                client.last_command = spec.full_name
                reason = self.acl.denial(client, spec, argv, TOPLEVEL if client.transaction is None else MULTI)
                if reason is not None:
                    return refuse(client, toplevel_error(reason, spec), spec)
            if self._server.replica is not None and WRITE in spec.flags and client.kind != MASTER:
                return refuse(client, _READONLY, spec)
            client.last_command = spec.full_name
            if client.kind is PUBSUB and client.resp == 2 and spec.full_name not in _SUBSCRIBED_MODE:
                return refuse(client, not_in_subscribed_mode(spec.full_name), spec)
            if self._intercepting:
                intercepted = self._intercept(client, spec, argv)
                if intercepted is not None:
                    return intercepted
            transaction = client.transaction
            if transaction is not None:
                queued = queue(client, transaction, spec, argv)
                if queued is not None:
                    return queued

        # the call: a plain call pays two clock reads, its histogram's one update (its calls, usec
        # and the server's total_commands_processed are counted from it) and one test per rule
        # that may concern it after it ran; a reply the handler encoded itself (OK) is not encoded again
        lookups = spec.counted_lookups
        if lookups is not None:  # INFO keyspace_hits/misses
            if lookups is True:
                self._turn.lookup_counter = self._stats
            elif lookups is QUIET:
                self._turn.lookup_counter = self._quiet_lookups
            else:  # a write whose sources Redis reads first
                keys_read = lookups(argv)  # type: ignore[operator]
                if keys_read:
                    self.count_lookups(client, keys_read)
        started = perf_counter_ns()
        try:
            reply = spec.handler(client, argv)  # type: ignore[misc]
            kind = type(reply)
            if kind is Raw:  # already encoded, the same in RESP2 and RESP3
                return reply
            # The two replies most commands return read the same in RESP2 and RESP3, so they are
            # taken here from the encoder's tables, sparing its call (~1,000 instructions of a
            # GET, an INCR, an LPUSH): a short bulk string (GET's), a small integer (a count).
            if kind is bytes and len(reply) < TABLED:
                return BULK_LINES[len(reply)] + reply + b"\r\n"
            if kind is int and 0 <= reply < TABLED:
                return INTEGERS[reply]
            if kind is Block:
                return self._block(client, argv, reply)
            return client.encode(reply)  # after the call: HELLO may switch the protocol
        except CommandError as exc:
            self._stats.record_failure(spec.full_name)
            self._stats.error_replied(exc.message)
            return error_line(exc.message)
        except Exception as exc:  # a bug must cost one error reply, never the connection or server
            self._stats.record_failure(spec.full_name)
            log.exception("command %s failed", spec.full_name)
            return error_line(internal_error(spec.full_name, exc).message)
        finally:
            duration = perf_counter_ns() - started
            if lookups is not None:  # the counter set above (a write's finder set and reset it)
                self._turn.lookup_counter = None
            if duration < self._short_ns:  # counted per whole microsecond, as Redis counts them
                try:
                    self._short_calls[spec.full_name][duration // 1000] += 1
                except KeyError:  # the command's first call on this server
                    self._short_calls_of(spec.full_name)[duration // 1000] += 1
            else:
                self._long_call(client, spec, argv, duration)
            if self._command_changes:  # binlog records, noting who made them (tracking's NOLOOP)
                changes = self._changes
                changes.writer = client
                self._engine.log_changes()
                changes.writer = None
            if self._pending_events:  # not only after changes: LTRIM keeping all announces itself
                self._notifications.publish()
            if client.tracking is not None and not self._retrying:  # a served blocked read was remembered
                self._server.tracking.after_call(client, spec, argv)
            if self._monitoring and not self._retrying:
                self.monitors.feed(client, spec, argv)
            if self._ready_keys and not client.in_transaction:  # after EXEC, not inside
                self._blocking.serve()

    def _intercept(self, client: "Client", spec: CommandSpec, argv: list[bytes]) -> bytes | None:
        """The reply of a busy script, CLIENT PAUSE or CHAOS FAULT (server/chaos.py) taking the
        command instead of running it; None to run it."""
        busy = self._busy_script
        if busy is not None and client is not busy.caller:
            held = busy.admit(client, spec, argv)
            if held is not None:
                return refuse(client, held, spec) if isinstance(held, CommandError) else held
        pause = self._pause
        if pause is not None and pause.holds(client, spec):
            pause.hold(client, argv)
            return NO_REPLY
        faults = self._faults
        if faults is not None:
            return faults.apply(client, spec, argv)
        return None

    def execute_replicated(self, applier: "Client", argv: list[bytes]) -> bytes:
        """Run a command the master streamed, as the slave's internal applier (kind master); its
        encoded reply. The master checked the command when its client sent it, and none of
        :meth:`execute`'s admission rules concern the master's link: the applier is always
        authenticated and not subject to the ACL (Redis' master client has no user), a slave
        lets its master write, it never subscribes nor opens MULTI (a transaction reaches the
        binlog as its writes), CLIENT PAUSE holds the apply loop before the items are placed
        (see :meth:`.pause.ClientPause.holds`), CHAOS FAULT leaves connectionless clients
        alone, and a busy script serves client sockets only (the apply loop waits). So only
        the lookup stays: a command this server lacks, or with a wrong number of arguments,
        gets :meth:`execute`'s error reply, which the slave logs. The call itself is
        :meth:`call`'s: stats, SLOWLOG, keyspace events, tracking, watches, MONITOR and the
        blocked clients served stay. Skipping the rules spares 5-8 % of a slave's time."""
        spec = TABLE.get(argv[0])
        if spec is not None and spec.subcommands:
            try:
                spec = resolve_subcommand(spec, argv)
            except CommandError:
                spec = None
        if spec is None or not spec.arity_ok(len(argv)):
            return self.execute(applier, argv)  # refused, as any client is
        applier.last_command = spec.full_name
        return self.call(applier, spec, argv)

    def call(self, client: "Client", spec: CommandSpec, argv: list[bytes]) -> bytes:
        """Run a command :meth:`execute` admitted (or EXEC dequeued, a script called, the master
        streamed); its encoded reply."""
        return self.execute(client, argv, spec)

    def count_lookups(self, client: "Client", keys: list[bytes]) -> None:
        """Count the keys a write command reads (its sources), looked up before it writes (SET
        counts its GET's key itself: a plain SET has none)."""
        turn = self._turn
        turn.lookup_counter = self._stats
        for key in keys:
            client.keyspace.exists(key)
        turn.lookup_counter = None

    def execute_from_script(self, client: "Client", argv: list[bytes],
                            read_only: bool) -> tuple[bytes, CommandSpec | None]:
        """Run a command a script called (``redis.call``) as its ``client``: Redis' admission of
        a script's command (unknown, arity, ``noscript``, the ACL, a write from a read-only script, a
        write on a read-only slave), then :meth:`call`; the encoded reply and the spec run."""
        spec = TABLE.get(argv[0])
        if spec is None:
            return _SCRIPT_UNKNOWN, None
        if not spec.arity_ok(len(argv)):
            return _SCRIPT_ARITY, None
        if spec.subcommands:
            try:
                spec = resolve_subcommand(spec, argv)
            except CommandError:
                return _SCRIPT_UNKNOWN, None
            if not spec.arity_ok(len(argv)):
                return _SCRIPT_ARITY, None
        if NO_SCRIPT in spec.flags:
            return _SCRIPT_NOT_ALLOWED, None
        caller = self.scripting.running.caller if self.scripting.running is not None else client
        if not caller.user.unrestricted:  # the script's caller's user, logged with the caller's details
            reason = self.acl.denial(caller, spec, argv, LUA)
            if reason is not None:
                return error_line(ACL_SCRIPT_ERRORS[reason]), None
        if read_only and may_replicate(spec):
            return _SCRIPT_READ_ONLY, None
        if WRITE in spec.flags and self._server.replica is not None and client.kind != MASTER:
            return error_line(_READONLY.message), None
        return self.call(client, spec, argv), spec

    def _short_calls_of(self, name: str) -> list[int]:
        """The short calls' list of command ``name``, found on its first call."""
        counts = self._short_calls[name] = self._stats.command_times(name).histogram.short_calls
        return counts

    def _long_call(self, client: "Client", spec: CommandSpec, argv: list[bytes], duration: int) -> None:
        """A call of a millisecond or more, or one that may concern SLOWLOG or LATENCY: counted
        in its histogram, logged if slow enough (blocked calls are not)."""
        self._stats.command_times(spec.full_name).histogram.record_usec(duration // 1000)
        if duration >= self._slow_ns and client.blocked is None:
            self.slowlog.record(client, spec, argv, duration)
            self.latency.record(spec, duration)

    def read_thresholds(self) -> None:
        """Read SLOWLOG's and LATENCY's settings again (at start, and from CONFIG SET of one of
        :data:`~.slowlog.THRESHOLD_OPTIONS`, before the call that set it is timed against them):
        the duration from which a call concerns them, in nanoseconds."""
        self._slow_ns = min(self.slowlog.refresh(), self.latency.refresh())
        # an int (not inf when both are off): comparing two ints is the cheaper test per call
        self._short_ns = int(min(self._slow_ns, SHORT_CALL_USEC * 1000))

    def _block(self, client: "Client", argv: list[bytes], block: Block) -> bytes:
        """Park the client until a key it waits for is ready (or answer at once in MULTI)."""
        if client.blocked is not None:
            return _STILL_BLOCKED
        if client.in_transaction:
            return client.encode(block.timeout_reply)
        self._blocking.park(client, argv, block)
        return b""

    def pause_clients(self, milliseconds: int, writes_only: bool, purpose: str = BY_CLIENT) -> None:
        """Hold commands (all, or those that may write) for ``milliseconds``, for ``purpose``
        (CLIENT PAUSE's, or a FAILOVER's)."""
        if self.pause is None:
            self.pause = ClientPause(self.unpause)
            self._notifications.configure()  # no lazy expiry while paused
        self.pause.add(purpose, loop_time_after(milliseconds), writes_only)

    def unpause(self, purpose: str = BY_CLIENT) -> None:
        """End ``purpose``'s pause (its time is up, CLIENT UNPAUSE, the failover's end). When no
        purpose is left the held commands run in the order they came, then the blocked clients
        whose keys got elements meanwhile get their try."""
        pause = self.pause
        if pause is None or not pause.remove(purpose):
            return
        self.pause = None
        self._notifications.configure()
        pause.release_all(self.execute)
        blocking = self._blocking
        for db, key in list(blocking.waiting):  # keys given elements meanwhile (see retry_blocked)
            blocking.signal(db, key)
        blocking.serve()

    def retry_blocked(self, client: "Client", argv: list[bytes]) -> bool:
        """Run a parked client's command again (a key it waits for got elements); True if
        served: then it leaves the waiting queues and gets its reply. While paused it waits:
        the end of the pause gives every waiting client its try."""
        if self.pause is not None:
            return False
        self._retrying = True
        try:
            reply = self.execute(client, argv)
        finally:
            self._retrying = False
        if reply is _STILL_BLOCKED:
            return False
        self._blocking.release(client.blocked)  # type: ignore[arg-type]
        client.resume(reply)
        return True
