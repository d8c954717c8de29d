"""The LMDB environment: the only module that imports lmdb.

One environment holds, per logical DB ``n`` (the SELECT index), a ``meta:n`` table (one record per
key) and a ``members:n`` table (members of collection types), plus one ``system`` table for
server-wide state such as the object-id counter.

The rest of the engine uses LMDB's transactions and tables through the :data:`Transaction` and
:data:`Table` names, and sees a failed commit as :class:`~pypika_store.errors.CommitFailed`
(:class:`MapFull` when the map was too small).

The map (``lmdb-map-size``) is not a ceiling: :meth:`Environment.ensure_room`, called before
each write transaction opens, grows it while the free part is less than half of what should
be free (the larger of the data in use, the configured size and a write announced with
:meth:`Environment.ensure_room`'s ``expected``); while the free part exceeds that by
gigabytes, only every 64th write turn looks. LMDB's map is address space, not disk: the
data file grows with the pages in use, whatever the map size.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import lmdb

from ..errors import CommitFailed
from .memory_release import drop_mapped_pages

log = logging.getLogger(__name__)

#: A transaction, read-only or writable (its get/put/replace/pop/delete/cursor/drop/stat
#: are LMDB's own).
Transaction = lmdb.Transaction
#: One table (LMDB's named database) of an environment.
Table = lmdb._Database
#: A cursor of a transaction on one table (its get/put/replace/pop/set_range/iternext... are
#: LMDB's own).
Cursor = lmdb.Cursor

SYNC_ALWAYS = "always"
SYNC_EVERYSEC = "everysec"

#: The map grows in steps of whole MiB.
_MAP_STEP = 1024 * 1024
#: While the map's free part exceeds what :meth:`Environment.ensure_room` wants free by this
#: much, the checks of the next :data:`_UNCHECKED_TURNS` write turns are skipped: those turns
#: would have to write more than this to fill the map (a big request announced with
#: ``expected`` is always checked). A check costs ``Environment.info()``, a dict of six items:
#: ~7,500 instructions, 3 % of a turn of 16 SETs.
_SKIP_MARGIN = 4 * 1024**3
_UNCHECKED_TURNS = 63


class MapFull(CommitFailed):
    """A turn needed more pages than LMDB's map had left: its transaction failed."""


@dataclass(frozen=True)
class DatabaseHandles:
    """The LMDB tables of one logical DB."""

    meta: Table
    members: Table


class Environment:
    """An opened LMDB environment with the tables of ``databases`` logical DBs."""

    def __init__(self, path: str, databases: int, map_size: int, sync_policy: str) -> None:
        os.makedirs(path, exist_ok=True)
        self.path = path
        self.sync_policy = sync_policy
        #: The configured map size: the first size, and the least room kept free.
        self.headroom = map_size
        #: The size a turn that found the map full asked for (see grow_to).
        self._wanted = 0
        #: Write turns ensure_room lets open unchecked (see _SKIP_MARGIN).
        self._unchecked_turns = 0
        self.lmdb = lmdb.open(
            path,
            map_size=map_size,
            max_dbs=2 * databases + 4,
            max_readers=1024,
            # `always`: LMDB fsyncs in every commit (one per event-loop turn). Otherwise the
            # server calls sync() once a second (`everysec`) or leaves it to the OS (`no`);
            # either way a process crash loses nothing, only an OS crash can.
            sync=sync_policy == SYNC_ALWAYS,
            metasync=sync_policy == SYNC_ALWAYS,
            readahead=False,
            # A read-only turn's transaction is reset when it ends and renewed by the next one
            # (py-lmdb 3 caches none by default): no allocation nor reader-table scan per
            # turn. A reset transaction holds no snapshot (its slot reads ``-``), so it keeps
            # no old pages and does not stop the map from growing (see _readers_open).
            max_spare_txns=1,
        )
        self._page_size = self.lmdb.stat()["psize"]
        with self.lmdb.begin(write=True) as txn:
            self.system = self.lmdb.open_db(b"system", txn=txn)
            #: Keys by Codis slot, for every DB (pypika_store/slots.py; kept while slotmigrate is on).
            self.slots = self.lmdb.open_db(b"slots", txn=txn)
            self.handles = [
                DatabaseHandles(
                    meta=self.lmdb.open_db(b"meta:%d" % index, txn=txn),
                    members=self.lmdb.open_db(b"members:%d" % index, txn=txn),
                )
                for index in range(databases)
            ]

    def begin_read(self) -> Transaction:
        return self.lmdb.begin(write=False)

    def map_size(self) -> int:
        return self.lmdb.info()["map_size"]

    def ensure_room(self, expected: int = 0) -> None:
        """Grow the map, before a write transaction opens, while less than half of the room it
        should have is free: the room is the larger of the bytes in use, :attr:`headroom` and
        ``expected`` (a write the caller knows is coming). It grows to the bytes in use plus
        twice that room, or to what :meth:`grow_to` asked for. LMDB remaps on growth, so no
        transaction of this process may be open: while a read transaction is (a bgsave
        copying), growth waits for a later call. While the map has far more room than that
        (:data:`_SKIP_MARGIN`), the next calls without ``expected`` return at once."""
        if self._unchecked_turns and not expected:
            self._unchecked_turns -= 1
            return
        info = self.lmdb.info()
        used = (info["last_pgno"] + 1) * self._page_size
        room = max(used, self.headroom, expected)
        spare = info["map_size"] - used - room // 2
        if spare >= 0 and info["map_size"] >= self._wanted:
            self._unchecked_turns = _UNCHECKED_TURNS if spare >= _SKIP_MARGIN else 0
            return
        if self._readers_open():
            return
        size = -(-max(used + 2 * room, self._wanted) // _MAP_STEP) * _MAP_STEP
        self.lmdb.set_mapsize(size)
        log.warning("LMDB map grown from %d to %d bytes", info["map_size"], size)

    def grow_to(self, size: int) -> int:
        """Have the map grown to ``size`` bytes when the next write transaction opens (a turn
        found it full); the size it will have."""
        self._unchecked_turns = 0
        self._wanted = max(self._wanted, size)
        return self._wanted

    def _readers_open(self) -> bool:
        """True while a read transaction of this process is open (LMDB's reader table lists
        the slot with its transaction id; an idle slot shows ``-``)."""
        pid = str(os.getpid())
        for line in self.lmdb.readers().splitlines()[1:]:
            fields = line.split()
            if len(fields) == 3 and fields[0] == pid and fields[2] != "-":
                return True
        return False

    def begin_write(self) -> Transaction:
        return self.lmdb.begin(write=True)

    def copy(self, path: str, txn: Transaction) -> None:
        """Write a compacted copy of the environment as ``txn`` sees it (a bgsave)."""
        os.makedirs(path, exist_ok=True)
        self.lmdb.copy(path, compact=True, txn=txn)

    def sync(self) -> None:
        """Force committed data to disk (the `everysec` policy calls this once a second);
        CommitFailed if the disk refuses."""
        try:
            self.lmdb.sync(True)
        except lmdb.Error as exc:
            raise CommitFailed(_reason(exc)) from exc

    def release_mapped_pages(self) -> int:
        """Drop the pages of the data file this process holds mapped (see memory_release);
        the bytes of mapping advised."""
        return drop_mapped_pages(os.path.join(self.path, "data.mdb"))

    def disk_size(self) -> int:
        """Bytes LMDB uses on disk (the data file as allocated so far)."""
        return _pages_in_use(self.lmdb)

    def close(self) -> None:
        self.lmdb.close()


def commit(txn: Transaction) -> None:
    """Commit ``txn``; when LMDB refuses, the transaction is aborted (none of its writes is
    kept) and CommitFailed says why: :class:`MapFull` when the map was too small (at the
    commit, or at a write before it, which left the transaction unusable: MDB_BAD_TXN),
    otherwise LMDB's reason (``No space left on device``)."""
    try:
        txn.commit()
    except (lmdb.MapFullError, lmdb.BadTxnError) as exc:
        raise MapFull(_reason(exc)) from exc
    except lmdb.Error as exc:
        raise CommitFailed(_reason(exc)) from exc


def _reason(exc: lmdb.Error) -> str:
    """LMDB's message without the name of the call: ``No space left on device``."""
    return str(exc).split(": ", 1)[-1]


class SnapshotEnvironment:
    """Another environment's copy (a bgsave fetched from a master), opened read-only and without
    a lock file, to read its tables."""

    def __init__(self, path: str, databases: int) -> None:
        self.path = path
        self.lmdb = lmdb.open(path, readonly=True, lock=False, create=False, max_dbs=2 * databases + 4)

    def claimed_size(self) -> int:
        """Bytes of data file the pages its meta page claims need (a shorter file is truncated)."""
        return _pages_in_use(self.lmdb)

    def begin_read(self) -> Transaction:
        return self.lmdb.begin()

    def table(self, name: bytes, txn: Transaction) -> Table:
        """The existing table ``name``."""
        return self.lmdb.open_db(name, txn=txn, create=False)

    def close(self) -> None:
        self.lmdb.close()


def _pages_in_use(env: lmdb.Environment) -> int:
    """Bytes from the start of the data file to the end of its last page in use."""
    return (env.info()["last_pgno"] + 1) * env.stat()["psize"]
