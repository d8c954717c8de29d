"""The engine: one LMDB environment, its logical DBs, and the per-turn transactions.

The server runs every command of one event-loop turn against the same transactions: all writes
of the turn share one LMDB write transaction that :meth:`Engine.end_turn` commits once (group
commit), and reads use that write transaction when the turn has one (read-your-writes inside a
pipeline) or one shared read snapshot otherwise. Readers never wait for writers (LMDB MVCC).

The engine does not know about event loops: whoever drives it sets :attr:`Engine.on_turn_start`
to be told when a turn opens a transaction, and calls :meth:`end_turn` when the turn is over.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import lmdb

from .keyspace import Keyspace
from .storage.environment import SYNC_EVERYSEC, Environment

log = logging.getLogger(__name__)


class Engine:
    """The storage engine behind a server (or used directly, embedded)."""

    def __init__(self, path: str, databases: int = 16, map_size: int = 1 << 36,
                 sync_policy: str = SYNC_EVERYSEC) -> None:
        self.env = Environment(path, databases, map_size, sync_policy)
        self.keyspaces = [Keyspace(self, index, handles) for index, handles in enumerate(self.env.handles)]
        self._write_txn: lmdb.Transaction | None = None
        self._read_txn: lmdb.Transaction | None = None
        #: Called once when a turn opens its first transaction (the server schedules end_turn).
        self.on_turn_start: Callable[[], None] | None = None
        #: The clock behind every expiry decision, in unix milliseconds; tests may replace it.
        self.now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
        for keyspace in self.keyspaces:
            keyspace.rebuild_expiry_index()
        self.end_turn()

    @property
    def sync_policy(self) -> str:
        return self.env.sync_policy

    @property
    def dirty(self) -> bool:
        """True while this turn holds uncommitted writes."""
        return self._write_txn is not None

    def reader(self) -> lmdb.Transaction:
        """The transaction reads of this turn use."""
        txn = self._write_txn or self._read_txn
        if txn is None:
            txn = self._read_txn = self.env.begin_read()
            if self.on_turn_start is not None:
                self.on_turn_start()
        return txn

    def writer(self) -> lmdb.Transaction:
        """This turn's write transaction, opened on first use."""
        txn = self._write_txn
        if txn is None:
            started = self._read_txn is not None
            if started:
                self._read_txn.abort()  # type: ignore[union-attr]
                self._read_txn = None
            txn = self._write_txn = self.env.begin_write()
            if not started and self.on_turn_start is not None:
                self.on_turn_start()
        return txn

    def end_turn(self) -> None:
        """Commit this turn's writes (one commit, one fsync under `always`) and drop the snapshot.

        If the commit fails, the turn's writes are gone; the in-memory expiry index is rebuilt
        from what LMDB really holds and the error propagates so the server can fail the clients
        that were waiting on it.
        """
        read_txn, self._read_txn = self._read_txn, None
        if read_txn is not None:
            read_txn.abort()
        write_txn, self._write_txn = self._write_txn, None
        if write_txn is None:
            return
        try:
            write_txn.commit()
        except lmdb.Error:
            log.exception("commit failed; this turn's writes are lost")
            for keyspace in self.keyspaces:
                keyspace.rebuild_expiry_index()
            self.end_turn()
            raise

    def sync(self) -> None:
        """Flush committed data to disk (the `everysec` timer)."""
        self.env.sync()

    def close(self) -> None:
        self.end_turn()
        self.env.sync()
        self.env.close()
