"""The master's side of replication: one session per connected slave, streaming each DB's
binlog from the slave's position with a bounded window of unacknowledged items, keepalives,
dead-link detection, and what purging and INFO need to know about slaves."""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from typing import TYPE_CHECKING, BinaryIO, Callable

from pypika_store.binlog import BinlogReader, Position
from pypika_store.binlog.format import BAD, BLOCK_SIZE, FIRST, FULL, HEADER_SIZE, BinlogItem
from pypika_store.binlog.reader import file_numbers, file_path, scan_file
from pypika_store.binlog.writer import padding_end
from pypika_store.binlog.tail import BinlogTail

from .failover import Failover
from .frames import PING, encode_binlog, item_identity
from .stream_faults import StreamFaults

if TYPE_CHECKING:
    from asyncio import TimerHandle

    from .host import ReplicationHost, SlavePeer

log = logging.getLogger("pypika_store.replication")

#: Items sent per pump before yielding to the event loop.
PUMP_BATCH = 500
#: Seconds without an item after which the master pings a slave.
PING_INTERVAL = 1.0

OK, PURGED, LARGER, NOT_BOUNDARY, DIVERGED = "OK", "PURGED", "LARGER", "NOTBOUNDARY", "DIVERGED"
#: The kind a slave's connection shows in CLIENT LIST (and CLIENT KILL TYPE matches).
SLAVE_KIND = "slave"


def check_sync_point(directory: str, end: Position, end_logic_id: int, position: Position, logic_id: int,
                     term: int) -> str:
    """Whether a slave may stream from ``position`` (its binlog end, after the item with
    ``logic_id`` and ``term``): Pika's TrySync checks in Pika's order, plus a check that the
    item before that position is the same item here (else the slave's history diverged).

    A binlog that started from a snapshot (a former slave, promoted) begins with padding up
    to the snapshot's position and has no item ending there: that position is a boundary too,
    when the item after it (or, at the end, the binlog's own count) continues ``logic_id``."""
    if position > end:
        return LARGER
    if not os.path.exists(file_path(directory, position.filenum)):
        return PURGED if position != Position(0, 0) or end != Position(0, 0) else OK
    if position.offset == 0:
        return OK
    with open(file_path(directory, position.filenum), "rb") as handle:
        previous = _item_ending_at(handle, position.offset)
        if previous is None:
            handle.seek(0)
            if padding_end(handle.read(position.offset), 0) != position.offset:
                return NOT_BOUNDARY
            return OK if _next_logic_id(directory, position, end, end_logic_id) == logic_id + 1 else DIVERGED
    if (previous.logic_id, previous.term_id) != (logic_id, term):
        return DIVERGED
    return OK


def _item_ending_at(handle: BinaryIO, offset: int) -> BinlogItem | None:
    """The item of the binlog file open in ``handle`` that ends at ``offset``, if one does.

    Scanned from the last block start at or before it that begins an item (a FULL or FIRST
    record, or padding), not from the file's start: records never cross a 64 KiB block, so
    a block starting with a MIDDLE or LAST record continues an item begun in an earlier one.
    A slave's TrySync after a full sync names a position deep in a file (50 MB into a 1M-key
    binlog): scanning all of it took half a second of the master's event loop."""
    block = (offset - 1) // BLOCK_SIZE * BLOCK_SIZE
    while block > 0:
        handle.seek(block)
        header = handle.read(HEADER_SIZE)
        if len(header) == HEADER_SIZE and header[HEADER_SIZE - 1] in (FULL, FIRST, BAD):
            break
        block -= BLOCK_SIZE
    handle.seek(block)
    data = handle.read(offset - block)
    previous = None
    for _start, item_end, payload in scan_file(data, 0, checked=True):  # block-aligned: same layout
        if item_end == len(data):
            previous = BinlogItem.decode(payload)
    return previous


def _next_logic_id(directory: str, position: Position, end: Position, end_logic_id: int) -> int:
    """The logic id the item at ``position`` has, or would have (the binlog's end)."""
    if position == end:
        return end_logic_id + 1
    for _start, _end, item in BinlogReader(directory).items(position):
        return item.logic_id
    return end_logic_id + 1


class DbStream:
    """One DB's binlog streamed to one slave."""

    def __init__(self, db: int, directory: str, start: Position) -> None:
        self.db = db
        self.directory = directory
        self.tail = BinlogTail(directory, start)
        #: End positions of items sent and not acknowledged yet, oldest first.
        self.in_flight: deque[Position] = deque()
        self.acked = start

    def rewind(self, items: int) -> None:
        """Send again from ``items`` items before the stream's position (CHAOS STREAM REWIND:
        an older offset), as far back as the binlog goes. It reads the binlog from its oldest
        file: a test's tool, not a hot path."""
        position = self.tail.position
        numbers = file_numbers(self.directory)
        starts: deque[Position] = deque(maxlen=items)
        for start, _end, _item in BinlogReader(self.directory).items(Position(numbers[0], 0) if numbers else position):
            if start >= position:
                break
            starts.append(start)
        if starts:
            self.tail.close()
            self.tail = BinlogTail(self.directory, starts[0])

    def acknowledge(self, position: Position) -> None:
        while self.in_flight and self.in_flight[0] <= position:
            self.in_flight.popleft()
        if position > self.acked:
            self.acked = position


class SlaveSession:
    """A slave connected to this master (its connection is a client of kind ``slave``)."""

    def __init__(self, client: "SlavePeer", listening_port: int) -> None:
        self.client = client
        self.host = client.address.rsplit(":", 1)[0].strip("[]")
        self.port = listening_port
        self.streams: dict[int, DbStream] = {}
        self.last_heard = self.last_sent = time.monotonic()
        #: Set while the slave fetches a snapshot (its binlog start must not be purged).
        self.full_syncing = False
        #: Set once it asked for a snapshot (INFO sync_full counts the session once).
        self.synced_in_full = False

    def acked_offset(self, file_size: int) -> int:
        """The slave's position as one number, as master_repl_offset counts (summed over DBs)."""
        return sum(stream.acked.absolute(file_size) for stream in self.streams.values())

    def close(self) -> None:
        for stream in self.streams.values():
            stream.tail.close()
        self.streams.clear()


class ReplicationMaster:
    """Every slave session of a server, and the clients waiting in WAIT."""

    def __init__(self, server: "ReplicationHost") -> None:
        self.server = server
        self.sessions: dict[int, SlaveSession] = {}
        #: WAIT callers, by the callback that answers one: (slaves wanted, offset they must
        #: reach, timeout timer).
        self._waiters: dict[Callable[[int], None], tuple[int, int, "TimerHandle | None"]] = {}
        #: The FAILOVER in progress, if any (it waits for a slave's acks).
        self.failover: Failover | None = None
        #: What the next items sent to a slave go through (CHAOS STREAM).
        self.stream_faults = StreamFaults()

    # -- requests ----------------------------------------------------------------------------

    def register(self, client: "SlavePeer", listening_port: int) -> SlaveSession:
        session = self.sessions.get(client.id)
        if session is None:
            session = self.sessions[client.id] = SlaveSession(client, listening_port)
            client.kind = SLAVE_KIND
            client.on_close.append(lambda: self.forget(client.id))
            log.info("Slave %s:%d connected (MetaSync)", session.host, listening_port)
        return session

    def heard_from(self, client: "SlavePeer", full_syncing: bool = False) -> None:
        """A request from a slave's connection: it is alive (file requests during a long full
        sync count, or the master would time the slave out)."""
        session = self.sessions.get(client.id)
        if session is not None:
            session.last_heard = time.monotonic()
            if full_syncing and not session.synced_in_full:
                session.synced_in_full = True
                self.server.replication_stats.sync_full += 1
            session.full_syncing = session.full_syncing or full_syncing

    def forget(self, client_id: int) -> None:
        session = self.sessions.pop(client_id, None)
        if session is not None:
            session.close()
            log.warning("Slave %s:%d disconnected", session.host, session.port)

    def sync_point(self, db: int, position: Position, logic_id: int, term: int) -> str:
        binlog = self.server.engine.binlogs[db]
        verdict = check_sync_point(binlog.directory, binlog.position, binlog.logic_id, position, logic_id, term)
        if verdict != OK:
            self.server.replication_stats.sync_partial_err += 1  # the slave syncs in full next
        return verdict

    def start_stream(self, session: SlaveSession, db: int, position: Position) -> None:
        if not session.streams and not session.synced_in_full:
            self.server.replication_stats.sync_partial_ok += 1  # streams on from where it was
        old = session.streams.pop(db, None)
        if old is not None:
            old.tail.close()
        session.streams[db] = DbStream(db, self.server.engine.binlogs[db].directory, position)
        session.full_syncing = False
        log.info("Slave %s:%d: db%d streams from %d %d", session.host, session.port, db, *position)

    def acknowledge(self, session: SlaveSession, db: int, position: Position) -> None:
        session.last_heard = time.monotonic()
        stream = session.streams.get(db)
        if stream is not None:
            stream.acknowledge(position)
            self.pump(session)
            self._answer_waiters(only_satisfied=True)
            self._check_failover()

    def find_slave(self, host: str, port: int) -> SlaveSession | None:
        """The slave that announced ``host`` and ``port`` (FAILOVER TO)."""
        return next((session for session in self.sessions.values()
                     if (session.host, session.port) == (host, port)), None)

    def start_failover(self, target: tuple[str, int] | None, timeout_ms: int, force: bool,
                       pause: Callable[[], None], unpause: Callable[[], None]) -> None:
        """FAILOVER: pause writes (``pause``) and hand the master role to ``target`` (or the
        first slave to catch up) once it has acknowledged everything; ``unpause`` at the end."""

        def ended() -> None:
            self.failover = None

        self.failover = Failover(self.server, target, timeout_ms, force, pause, unpause, ended)
        # The writes this turn ran before FAILOVER are replied once committed, and reach the
        # binlog only then: commit them now, so the slave must have them too.
        self.server.end_turn()
        self._check_failover()

    def _check_failover(self) -> None:
        if self.failover is not None:
            self.failover.check_synced(list(self.sessions.values()))

    # -- sending -----------------------------------------------------------------------------

    def pump_all(self) -> None:
        """Send what was written since the last pump (after each committed turn)."""
        for session in list(self.sessions.values()):
            self.pump(session)

    def pump(self, session: SlaveSession) -> None:
        window = self.server.config.get_int("sync-window-size")
        slave = (session.host, session.port)
        faulted = slave in self.stream_faults.pending
        if faulted:
            self.stream_faults.rewind(slave, list(session.streams.values()))
        for stream in list(session.streams.values()):
            room = window - len(stream.in_flight)
            if room <= 0:
                continue
            binlog = self.server.engine.binlogs[stream.db]
            if stream.tail.position == binlog.position:
                continue  # nothing written since (most DBs, most turns): no file to look at
            items = stream.tail.read(min(room, PUMP_BATCH), binlog.latest_batch)
            if not items:
                continue
            frames = []
            for start, end, payload in items:
                if faulted:
                    frames += self.stream_faults.frames(slave, stream.db, start, BinlogItem.decode(payload), payload,
                                                        self.server.engine.clock.now_ms() // 1000)
                else:
                    frames.append(encode_binlog(stream.db, start, *item_identity(payload), payload))
                stream.in_flight.append(end)
            session.client.push(b"".join(frames))
            session.last_sent = time.monotonic()
            if len(items) == PUMP_BATCH and len(stream.in_flight) < window:
                self.server.loop.call_soon(self.pump, session)

    def tick(self) -> None:
        """Every second: ping idle streaming slaves, drop silent ones. A slave still fetching
        or loading a snapshot is neither pinged (a push would land among its FILE replies)
        nor timed out (loading a big snapshot sends nothing for a while)."""
        now = time.monotonic()
        timeout = self.server.config.get_int("repl-timeout")
        for session in list(self.sessions.values()):
            if not session.streams:
                continue
            if now - session.last_heard > timeout:
                log.warning("Slave %s:%d timed out (no ack for %d s)", session.host, session.port, timeout)
                session.client.close()
            elif now - session.last_sent >= PING_INTERVAL:
                session.client.push(PING)
                session.last_sent = now

    # -- what others ask -----------------------------------------------------------------------

    def oldest_needed_file(self, db: int) -> int | None:
        """The oldest binlog file of ``db`` a slave still needs (purging must spare it). A slave
        in the middle of a full sync will stream from its snapshot's position, which may be
        older than any file this knows of: nothing is purged until it streams."""
        if any(session.full_syncing and not session.streams for session in self.sessions.values()):
            return 0
        needed = [stream.acked.filenum for session in self.sessions.values()
                  for index, stream in session.streams.items() if index == db]
        return min(needed) if needed else None

    def add_waiter(self, answer: Callable[[int], None], wanted: int, offset: int, timeout: float) -> None:
        """Call ``answer`` (a WAIT caller's, the server parked it) with the number of slaves at
        ``offset`` once ``wanted`` of them are, or after ``timeout`` seconds (0: no timeout)."""
        timer = self.server.loop.call_later(timeout, self._answer, answer) if timeout else None
        self._waiters[answer] = (wanted, offset, timer)

    def answer_now(self, answer: Callable[[int], None]) -> None:
        """Answer one WAIT caller at once (CLIENT UNBLOCK) with the slaves at its offset so far."""
        self._answer(answer)

    def _answer_waiters(self, only_satisfied: bool) -> None:
        for answer, (wanted, offset, _timer) in list(self._waiters.items()):
            if not only_satisfied or self.slaves_at(offset) >= wanted:
                self._answer(answer)

    def _answer(self, answer: Callable[[int], None]) -> None:
        entry = self._waiters.pop(answer, None)
        if entry is None:
            return
        _wanted, offset, timer = entry
        if timer is not None:
            timer.cancel()
        answer(self.slaves_at(offset))

    def slaves_at(self, offset: int) -> int:
        """How many slaves acknowledged at least ``offset`` (WAIT)."""
        binlogs = self.server.engine.binlogs
        file_size = binlogs[0].file_size if binlogs else 0
        return sum(1 for session in self.sessions.values() if session.streams
                   and session.acked_offset(file_size) >= offset)

