"""One event-loop turn: the LMDB transactions its commands share, its clock, and what they changed.

The server runs every command of one event-loop turn against the same transactions: reads use
one read snapshot shared by the turn until the turn first writes; the first write replaces it by
the turn's one write transaction (taking the DB lock shared), which later reads use too
(read-your-writes inside a pipeline) and which the engine commits once when the turn ends (group
commit). Readers never wait for writers (LMDB MVCC).

The keyspaces and the collection stores read, write and note their changes through the turn;
they never see the engine, which only commits what the turn holds and logs its changes.
"""

from __future__ import annotations

from typing import Callable, Protocol

from .changes import ChangeLog
from .clock import Clock
from .errors import CommandError
from .locks import DBLock
from .storage.environment import Cursor, Environment, Table, Transaction, commit


class LookupCounter(Protocol):
    """What counts key lookups: found keys are hits, missing or expired ones misses."""

    keyspace_hits: int
    keyspace_misses: int
    #: Whether a miss is announced as the ``keymiss`` keyspace event (Redis' NOTIFY_KEY_MISS).
    keymiss_events: bool


class Turn:
    """The current turn's transactions and change log (one per engine, reused turn after turn)."""

    def __init__(self, env: Environment, lock: DBLock, clock: Clock | None = None) -> None:
        self._env = env
        self._lock = lock
        self._write_txn: Transaction | None = None
        self._read_txn: Transaction | None = None
        #: The cursors :meth:`cursor` and :meth:`write_cursor` hand out, by table: always of
        #: the transaction reads use now (the write transaction once open, else the read
        #: snapshot), dropped when it ends. The hot lookups (GET, SET of a plain key) take
        #: theirs from it, a call less than :meth:`cursor`, and call :meth:`cursor` (or
        #: :meth:`write_cursor`) only when it has none; they then set :attr:`touched`
        #: themselves, and a write takes it only while :attr:`dirty` (the cursors are the write
        #: transaction's). A plain dict: a subclass' lookup costs ~200 instructions more.
        self.cursors: dict[Table, Cursor] = {}
        #: True while this turn holds uncommitted writes (the write transaction is open). A plain
        #: attribute, not a property: the connection reads it after every command.
        self.dirty = False
        #: Called once when a turn opens its first transaction (the server schedules its end).
        self.on_start: Callable[[], None] | None = None
        #: Called with (db index, key) when a list, zset or stream key gets elements (the
        #: server wakes clients blocked on it).
        self.on_key_ready: Callable[[int, bytes], None] | None = None
        #: The clock behind every expiry decision, in unix milliseconds (the engine's
        #: :class:`~.clock.Clock`; tests may replace it).
        self.now_ms: Callable[[], int] = (clock or Clock()).now_ms
        #: What the running command changed (the engine logs and clears it after each command).
        self.changes = ChangeLog()
        #: Set while writes are refused (the start-up replay could not finish): the error a
        #: turn's first write raises instead of opening the write transaction.
        self.refusal: CommandError | None = None
        #: Set by every read or write; the connection clears it before each command, to learn
        #: whether the command's reply depends on the data (see Client.fail_pending).
        self.touched = False
        #: Bytes a write about to run may add (a big request): the map is grown for them when
        #: the write transaction opens.
        self.expected_write = 0
        #: The keyspace event classes to note (:mod:`.notifications`' bits; the server sets them
        #: from notify-keyspace-events). 0, the default, makes noting one integer test.
        self.notify_classes = 0
        #: True while ``expired`` events are noted on a master: a command that finds an expired
        #: key deletes it there and then (Redis' lazy expiry), so the event is noted once, before
        #: the command's own. Otherwise reads only skip expired keys (the default costs nothing).
        self.expire_on_access = False
        #: True on a slave: it never expires keys itself, its master's ``del`` does, so deleting
        #: an expired key counts as deleting a live one (announced ``del``, as Redis' replicas
        #: see expired keys live for their master's commands).
        self.expired_keys_live = False
        #: The keyspace events noted since the server last published them, in order:
        #: ``(event, db index, key)``. The list is cleared in place, never replaced.
        self.events: list[tuple[bytes, int, bytes]] = []
        #: Counts the key lookups of the running command (INFO keyspace_hits/misses) while set:
        #: the server sets it around the calls whose lookups Redis counts.
        self.lookup_counter: LookupCounter | None = None

    def reader(self) -> Transaction:
        """The transaction reads of this turn use."""
        self.touched = True
        txn = self._write_txn or self._read_txn
        if txn is None:
            txn = self._read_txn = self._env.begin_read()
            if self.on_start is not None:
                self.on_start()
        return txn

    def writer(self) -> Transaction:
        """This turn's write transaction, opened on first use."""
        self.touched = True
        txn = self._write_txn
        if txn is None:
            if self.refusal is not None:
                raise self.refusal
            started = self._read_txn is not None
            if started:
                self.cursors.clear()
                self._read_txn.abort()  # type: ignore[union-attr]
                self._read_txn = None
            self._lock.acquire_shared()  # first: no bgsave may open its snapshot while the map grows
            try:
                self._env.ensure_room(self.expected_write)
                txn = self._write_txn = self._env.begin_write()
                self.dirty = True
            except BaseException:
                self._lock.release_shared()
                raise
            if not started and self.on_start is not None:
                self.on_start()
        return txn

    # One key's get, put, replace or pop goes through a cursor the turn keeps per table rather
    # than the transaction's own methods: those open and close a cursor for every call, and a
    # kept cursor already on the page of the next key (the next key of a sequence, the members
    # of one collection) skips the descent from the root. A replace costs 0.24 µs instead of
    # 0.49 for keys in sequence, 0.99 instead of 1.33 for random ones; a get 0.20 instead of
    # 0.33 (py-lmdb 3.0, in process). Walks open cursors of their own: these are positioned
    # by whoever used them last.

    def cursor(self, table: Table) -> Cursor:
        """A cursor on ``table`` of the transaction reads use (:meth:`reader`), for one key's
        lookups; valid until the turn writes or ends."""
        self.touched = True
        cursor = self.cursors.get(table)
        if cursor is None:
            cursor = self.cursors[table] = self.reader().cursor(db=table)
        return cursor

    def write_cursor(self, table: Table) -> Cursor:
        """A cursor on ``table`` of the write transaction (opened on first use, as by
        :meth:`writer`), for one key's writes; valid until the turn ends."""
        if self._write_txn is None:
            self.writer()
        else:
            self.touched = True
        cursor = self.cursors.get(table)
        if cursor is None:
            cursor = self.cursors[table] = self._write_txn.cursor(db=table)  # type: ignore[union-attr]
        return cursor

    def key_ready(self, db: int, key: bytes) -> None:
        """``key`` of DB ``db`` now has elements that blocked clients may be waiting for. The
        server's blocking registry sets :attr:`on_key_ready` only while a client waits, so
        while nobody does this is one test (the hot adds make it inline, without the call)."""
        if self.on_key_ready is not None:
            self.on_key_ready(db, key)

    def notify(self, event_class: int, event: bytes, db: int, key: bytes) -> None:
        """Note the keyspace event ``event`` of ``key`` in DB ``db`` if its class is published.
        The keyspace and the type stores call this where they write (see docs/architecture.md)."""
        if self.notify_classes & event_class:
            self.events.append((event, db, key))

    def drop_snapshot(self) -> None:
        """Let go of the read snapshot, if the turn opened one (it ends with the turn)."""
        read_txn, self._read_txn = self._read_txn, None
        if read_txn is not None:
            self.cursors.clear()
            read_txn.abort()

    def abort(self) -> None:
        """Drop the turn's writes and release the DB lock (SHUTDOWN NOSAVE stopping a script, a
        full sync's load that failed)."""
        write_txn, self._write_txn = self._write_txn, None
        self.dirty = False
        self.cursors.clear()
        if write_txn is not None:
            write_txn.abort()
            self._lock.release_shared()
        self.changes.clear()

    def commit(self, before_commit: Callable[[], None] | None = None) -> None:
        """Commit the turn's writes and release the DB lock; ``before_commit`` runs first, under
        the lock (the binlog write). Whatever fails, the turn no longer holds the writes nor the
        lock: if ``before_commit`` raises, the transaction is aborted and its error propagates;
        LMDB refusing the commit raises CommitFailed. Either way none of the writes is kept."""
        write_txn, self._write_txn = self._write_txn, None
        self.dirty = False
        self.expected_write = 0
        self.cursors.clear()
        try:
            if before_commit is not None:
                try:
                    before_commit()
                except BaseException:
                    write_txn.abort()  # type: ignore[union-attr]
                    raise
            commit(write_txn)  # type: ignore[arg-type]
        finally:
            self._lock.release_shared()
