"""One client connection: read, parse, hand each command to the dispatcher, reply.

Each ``data_received`` parses every complete command in the input and has the dispatcher
(:mod:`.dispatch`, where every rule of what a command may do lives) run them in order,
collecting the encoded replies. If the turn has uncommitted writes (this client's or
another's that a read here may have seen), the replies wait for the turn's commit; otherwise
they are written at once. Either way one ``transport.write`` carries all replies of one read.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from typing import TYPE_CHECKING, Callable, Iterable

from pypika_store.errors import protocol_error

from .resp.parser import ProtocolError, QueryBufferLimitReached, make_parser
from .resp.replies import encode, encode3, error_line

if TYPE_CHECKING:
    from pypika_store.keyspace import Keyspace

    from .app import Server
    from .blocking import Waiting
    from .commands.transactions import Transaction
    from .tracking import TrackingState

log = logging.getLogger(__name__)

_client_ids = itertools.count(1)
#: Replies collected past this size are written before running the client's next command.
OUTPUT_CHUNK = 1024 * 1024
#: Input past this size may be a big write: LMDB's map is grown for twice its size first, and
#: the memory it took is given back after it (Engine.release_memory). So is a reply past it.
BIG_REQUEST = 1024 * 1024

#: CLIENT KILL TYPE / CLIENT LIST's kinds of connection.
NORMAL = "normal"
PUBSUB = "pubsub"
MASTER = "master"
REPLICA = "slave"

#: CLIENT REPLY's modes (``Client.reply_mode``): every reply sent, none, none for the next
#: command (set by CLIENT REPLY SKIP, which sends none either), none for this command.
REPLY_ON = 0
REPLY_OFF = 1
REPLY_SKIP_NEXT = 2
REPLY_SKIP = 3


class Client(asyncio.Protocol):
    """A connected client and its session state (selected DB, auth, name, ...)."""

    def __init__(self, server: "Server", internal: bool = False) -> None:
        """``internal`` makes a client with no connection that is always authenticated (the
        binlog replay at start-up runs its commands through one)."""
        self.server = server
        # What every request reaches, held here so the per-request path reads one attribute
        # for each (none of them is ever replaced on a running server).
        self._stats = server.stats
        self._execute = server.dispatcher.execute
        self._turn = server.engine.turn
        #: Connected through ``unixsocket`` (CLIENT LIST's ``U``; never refused by protected mode).
        self.unix_socket = False
        self.id = next(_client_ids)
        self.db = 0
        self.keyspace: "Keyspace" = server.engine.keyspaces[0]
        access = server.dispatcher.acl
        #: The ACL user (:mod:`.acl`); authenticated at once when the default user needs no password.
        self.user = access.default
        self.authenticated = internal or access.default_open()
        self.name = b""
        self.kind = NORMAL
        self.resp = 2
        self.encode = encode          # encode3 after HELLO 3
        self.reply_mode = REPLY_ON    # CLIENT REPLY
        self.no_evict = False         # CLIENT NO-EVICT (shown by CLIENT LIST; nothing is evicted here)
        self.created = self.last_interaction = time.monotonic()
        self.last_command = "NULL"
        self.address = self.local_address = "?:0"
        #: When the output buffer last went over the soft limit of its class (None: it is under).
        self._soft_limit_since: float | None = None
        self.transport: asyncio.Transport | None = None
        self.closing = False          # close once pending replies are written
        self._executing = False       # inside data_received: replies are still being collected
        self._output_blocked = False  # the transport's buffer is full: run nothing more for now
        #: Set with ``closing``, ``_output_blocked`` and each callback :meth:`after_reply` queues:
        #: the command loop's one test of the three after each command (cleared by :meth:`_changed`).
        self._interrupted = False
        self._out: list[bytes] = []
        #: At least the bytes received and not parsed yet. The parser itself is asked (a call)
        #: only once this bound passes BIG_REQUEST: for small requests, never.
        self._unparsed_bound = 0
        #: Indexes in ``_out`` of the replies that read or wrote the data of a turn not yet
        #: committed: if the commit fails, they become its error (:meth:`fail_pending`).
        self._uncommitted: list[int] = []
        #: Set while a blocking command (BLPOP...) waits for a key.
        self.blocked: Waiting | None = None
        #: Set by MULTI until EXEC or DISCARD: the commands queued.
        self.transaction: Transaction | None = None
        #: While EXEC runs the queue: blocking commands answer at once instead of waiting.
        self.in_transaction = False
        #: Called once when the connection is gone (a slave session forgets its slave).
        self.on_close: list[Callable[[], None]] = []
        #: CLIENT TRACKING's state (:mod:`.tracking`); None while tracking is off.
        self.tracking: TrackingState | None = None
        #: What waits for the running command's reply to be queued (see :meth:`after_reply`).
        self._after_reply: list[Callable[[], None]] = []
        self._parser = make_parser(server.protocol_limits, bool(server.config["use-hiredis"]))
        #: What the parser was last told of authentication (Redis' pre-AUTH limits apply while
        #: the client must authenticate); compared with ``authenticated`` before each command.
        self._parser_authenticated = self.authenticated
        self._parser.auth_required = not self.authenticated

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family == socket.AF_UNIX:
            # Redis shows the socket's path as both ends of a Unix socket connection.
            self.unix_socket = True
            self.address = self.local_address = f"{transport.get_extra_info('sockname')}:0"
        else:
            self.address = _format_address(transport.get_extra_info("peername"))
            self.local_address = _format_address(transport.get_extra_info("sockname"))
        self.server.client_connected(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = self._interrupted = True
        if self._parser.pending() > BIG_REQUEST:  # its half-read request goes with it
            self.server.engine.big_request_seen = True
        for callback in self.on_close:
            callback()
        self.on_close.clear()
        if self.blocked is not None:
            self.server.blocking.release(self.blocked)
        self.server.client_disconnected(self)

    def pause_writing(self) -> None:
        # The client does not read its replies: stop reading (and running) its requests.
        self._output_blocked = self._interrupted = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._output_blocked = False
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()
            self._run_commands()  # what was already read before the pause

    def data_received(self, data: bytes) -> None:
        size = len(data)
        stats = self._stats
        stats.net_input_bytes += size
        stats.reads_processed += 1
        self.last_interaction = time.monotonic()
        if self._interrupted or self.blocked is not None \
                or self._parser_authenticated is not self.authenticated:  # the command loop sorts these out
            self._unparsed_bound += size
            try:
                self._parser.feed(data)
            except ProtocolError as exc:
                self._protocol_error(exc)
            self._run_commands()
            return
        try:
            commands, more = self._parser.read_all(data)
        except ProtocolError as exc:
            self._protocol_error(exc)
            self._run_commands()  # the replies so far, and the close
            return
        if more:
            self._unparsed_bound += size
        self._run_commands(commands, more, data)

    def _protocol_error(self, exc: ProtocolError) -> None:
        if isinstance(exc, QueryBufferLimitReached):  # Redis closes without a reply
            log.warning("Closing client that reached max query buffer length: %s (qbuf %d)",
                        self.address, self._parser.pending())
        else:
            self._out.append(error_line(protocol_error(exc).message))
            log.debug("protocol error from %s: %s", self.address, exc)
        self.closing = self._interrupted = True

    def _run_commands(self, commands: list[list[bytes]] | None = None, more: bool = True, data: bytes = b"") -> None:
        """Run ``commands`` (what the parser's ``read_all`` returned from ``data``), then, unless
        ``more`` is false (the parser holds nothing), every complete command the parser holds,
        then send (or hold) the replies.

        A plain command of a plain client pays one test after it: whether anything the loop
        must look at changed (:meth:`_changed`: the client stopped, its authentication, a
        callback waiting for the reply). Replies are written once per call; but when they pass
        :data:`OUTPUT_CHUNK` and nothing waits for a commit, they are written early, and if the
        client is not reading them (the transport asked us to pause) the rest of its input
        waits until it does.
        """
        parser = self._parser
        if self._unparsed_bound > BIG_REQUEST:
            self._expect_big_request()
        execute = self._execute
        turn = self._turn
        out = self._out
        out_size = 0
        self._executing = True
        try:
            if not more:  # the read's commands: the parser holds nothing after them
                pending = commands
            elif commands is None:  # nothing read now: the parser's commands, if the client may run them
                pending = self._changed(None, None, None, data)
            else:  # the parser holds more after them: asked once they are run
                pending = itertools.chain(commands, iter(parser.gets, False))
            while pending:
                for argv in pending:
                    turn.touched = False
                    reply = execute(self, argv)
                    if self.reply_mode:
                        reply = self._muted(reply)
                    if turn.dirty and turn.touched:  # dirty first: a read-only turn stops at it
                        self._uncommitted.append(len(out))
                    out.append(reply)
                    out_size += len(reply)
                    if out_size > OUTPUT_CHUNK:  # so is any reply past BIG_REQUEST (not smaller)
                        if len(reply) > BIG_REQUEST:
                            self.server.engine.big_request_seen = True
                        if not turn.dirty:
                            self.flush()
                            out_size = 0
                    if self._interrupted or self.blocked is not None \
                            or self._parser_authenticated is not self.authenticated:
                        break
                else:
                    break  # all run
                pending = self._changed(pending, argv, None if more else commands, data)
        except ProtocolError as exc:
            self._protocol_error(exc)
        finally:
            self._executing = False
        if out:
            if turn.dirty:  # the engine's: its turn's
                # Server.flush_after_commit, inlined: this runs for every write request.
                self.server.waiting_for_commit.append(self)
            else:
                self.flush()
        elif self.closing:
            self.flush()

    def _changed(self, pending: Iterable[list[bytes]] | None, last: list[bytes] | None,
                 batch: list[list[bytes]] | None, data: bytes) -> Iterable[list[bytes]] | None:
        """What :meth:`_run_commands` goes on with (what is left of ``pending``, or the parser's
        commands) once its command ``last`` changed what its loop must look at; None when the
        client may run nothing more for now. ``pending`` None: no command ran yet, nothing was
        read now; a list: what is left of ``batch``, the parser's ``read_all``.

        The callbacks waiting for ``last``'s reply run. If the client stopped (closing, its
        output paused, blocked) or its authentication changed (AUTH, HELLO AUTH, RESET, ACL: the
        parser's limits change), the commands of ``data``'s ``batch`` (what the parser returned
        and no longer holds) not run yet go back to the parser, which parses them again, under
        the limits that then apply, when the client goes on. (A CONFIG SET of
        proto-max-bulk-len in the batch needs nothing: a batch's read is never larger than the
        smallest limit, 1 MB, so no argument after it can pass the new one.)"""
        if self._after_reply:
            self._run_after_reply()
        self._interrupted = self.closing or self._output_blocked or bool(self._after_reply)
        stopped = self.closing or self._output_blocked or self.blocked is not None
        authentication_changed = self._parser_authenticated is not self.authenticated
        parser = self._parser
        # (``last`` is not in ``batch`` once it was run whole or given back)
        ran = next((index for index, command in enumerate(batch, 1) if command is last), len(batch)) if batch else 0
        if pending is not None and not stopped and not authentication_changed:
            return batch[ran:] if isinstance(pending, list) else pending  # type: ignore[index]
        if batch and ran < len(batch):
            parser.keep_unrun(data, batch, ran)  # type: ignore[union-attr]
        if authentication_changed:
            self._parser_authenticated = self.authenticated
            parser.auth_required = not self.authenticated
        return None if stopped else iter(parser.gets, False)

    def _expect_big_request(self) -> None:
        """The input not parsed yet may hold one big write (past BIG_REQUEST): LMDB's map is
        grown for twice its size before it runs, and the memory it took is given back after it."""
        pending = self._unparsed_bound = self._parser.pending()
        if pending > BIG_REQUEST:
            engine = self.server.engine
            engine.expect_write(2 * pending)
            engine.big_request_seen = True

    def _muted(self, reply: bytes) -> bytes:
        """What CLIENT REPLY OFF or SKIP leaves of a command's reply: nothing."""
        mode = self.reply_mode
        if mode == REPLY_SKIP_NEXT:
            self.reply_mode = REPLY_SKIP
        elif mode == REPLY_SKIP:
            self.reply_mode = REPLY_ON
        return b""

    # -- dispatch ------------------------------------------------------------------------------

    def execute(self, argv: list[bytes]) -> bytes:
        """Run one command through the dispatcher; its encoded reply (the binlog replay and a
        slave's applier run their commands this way)."""
        return self.server.dispatcher.execute(self, argv)

    def retry_blocked(self, argv: list[bytes]) -> bool:
        """Run the blocked command again (a key it waits for got elements); True if served."""
        return self.server.dispatcher.retry_blocked(self, argv)

    # -- output --------------------------------------------------------------------------------

    def resume(self, reply: bytes) -> None:
        """Send a blocked command's reply (none under CLIENT REPLY OFF) and go on with the
        client's pipeline."""
        if self.reply_mode != REPLY_OFF:
            if self.server.engine.dirty:
                self._uncommitted.append(len(self._out))
            self._out.append(reply)
        if self.server.engine.dirty:
            self.server.flush_after_commit(self)
        else:
            self.flush()
        asyncio.get_running_loop().call_soon(self._run_commands)

    def flush(self) -> None:
        """Write the collected replies (and close, if the client is closing)."""
        transport = self.transport
        out = self._out
        if self._uncommitted:
            self._uncommitted.clear()
        if transport is None or transport.is_closing():
            out.clear()
            return
        if out:
            payload = b"".join(out)  # one reply is returned as it is, not copied
            out.clear()
            stats = self._stats
            if self.kind is REPLICA:  # to a slave: replication's output, as Redis counts it
                self.server.replication_stats.output_bytes += len(payload)
            else:
                stats.net_output_bytes += len(payload)
            stats.writes_processed += 1
            transport.write(payload)
            buffered = transport.get_write_buffer_size()
            # Nothing left in the buffer (the usual case: the socket took it all) is under every
            # limit; the limits are read only when something stays or the soft clock runs.
            if (buffered or self._soft_limit_since is not None) and self._over_output_limit(buffered):
                log.warning("Client id=%d addr=%s laddr=%s name=%s scheduled to be closed ASAP for overcoming "
                            "of output buffer limits.", self.id, self.address, self.local_address,
                            self.name.decode("utf-8", "replace"))
                self.closing = self._interrupted = True
                transport.abort()
                return
        if self.closing:
            transport.close()

    def output_buffer_class(self) -> str:
        """The ``client-output-buffer-limit`` class this client's limits are read from."""
        if self.kind == REPLICA:
            return "slave"
        return "pubsub" if self.kind == PUBSUB else "normal"

    def _over_output_limit(self, buffered: int) -> bool:
        """Whether ``buffered`` unsent bytes pass the hard limit of this client's class, or
        have stayed past its soft limit longer than its seconds (Redis' rules: each check
        while over the soft limit starts or continues the clock, one under it stops it)."""
        limits = self.server.config["client-output-buffer-limit"]
        hard, soft, seconds = limits[self.output_buffer_class()]  # type: ignore[index]
        if hard and buffered >= hard:
            return True
        if not soft or buffered < soft:
            self._soft_limit_since = None
            return False
        now = time.monotonic()
        if self._soft_limit_since is None:
            self._soft_limit_since = now
            return False
        return now - self._soft_limit_since > seconds

    def push(self, data: bytes) -> None:
        """Send data the client did not ask for (a master's binlog items to its slave), after
        any replies still waiting, so it never lands inside or before one. CLIENT REPLY OFF
        mutes these too, as in Redis."""
        if self.reply_mode != REPLY_OFF:
            self.send_push(data)

    def send_push(self, data: bytes) -> None:
        """Send a push as Redis' CLIENT_PUSHING does (an invalidation message): placed like
        :meth:`push`'s data, but not muted by CLIENT REPLY OFF."""
        self._out.append(data)
        if not self._executing and self not in self.server.waiting_for_commit:
            self.flush()

    def fail_pending(self, message: str) -> None:
        """The turn these replies waited for was not committed, so nothing of it happened: each
        reply that read or wrote its data becomes the error ``message`` (a muted reply stays
        muted); replies that did not touch the data (MULTI's QUEUED, SELECT, PING), and data
        pushed meanwhile, are sent as they are. The connection stays open."""
        error = error_line(message)
        out = self._out
        for index in self._uncommitted:
            if out[index]:
                out[index] = error
        self.flush()
    def after_reply(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the reply of this client's running command is queued, at once
        if none is running: Redis sends a client the invalidations its own command caused
        after that command's (or transaction's) reply."""
        if self._executing:
            self._after_reply.append(callback)
            self._interrupted = True
        else:
            callback()

    def _run_after_reply(self) -> None:
        callbacks, self._after_reply = self._after_reply, []
        for callback in callbacks:
            callback()

    def refuse(self, message: str) -> None:
        """Send one error line to a connection that is not admitted, and disconnect."""
        self._out.append(error_line(message))
        self.closing = self._interrupted = True
        self.flush()

    def abort_pending(self, reason: str) -> None:
        """Drop replies that must not be sent (their writes were not committed) and disconnect."""
        self._out.clear()
        self._uncommitted.clear()
        self._out.append(error_line(f"ERR {reason}"))
        self.closing = self._interrupted = True
        self.flush()

    def close(self) -> None:
        """Disconnect once the replies collected so far, and the current command's, are written.

        Called from inside this client's own command (QUIT, CLIENT KILL of itself), the reply
        is not collected yet, so the end of ``data_received`` flushes and closes. Called for
        another client (CLIENT KILL, timeout, shutdown), it flushes and closes at once, unless
        that client's replies wait for this turn's commit.
        """
        self.closing = self._interrupted = True
        if not self._executing and self not in self.server.waiting_for_commit:
            self.flush()

    def kill(self) -> None:
        """CLIENT KILL: as Redis frees a killed client, close at once, dropping unsent replies
        (a peer that reads nothing, or a TLS peer that never answers the close, would keep it
        listed for as long); the killing client itself is closed after its reply."""
        if self._executing or self.transport is None:
            self.close()
            return
        self.closing = self._interrupted = True
        self.transport.abort()

    def set_protocol(self, version: int) -> None:
        """Switch this connection to RESP2 or RESP3 (HELLO)."""
        self.resp = version
        self.encode = encode3 if version == 3 else encode

    def select(self, index: int) -> None:
        self.db = index
        self.keyspace = self.server.engine.keyspaces[index]

    def pending_input(self) -> int:
        """Bytes received but not parsed into a command yet (CLIENT LIST's qbuf)."""
        return self._parser.pending()

    def idle_seconds(self) -> float:
        return time.monotonic() - self.last_interaction

    def age_seconds(self) -> float:
        return time.monotonic() - self.created


def _format_address(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return str(address or "?:0")
