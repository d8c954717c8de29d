"""The LMDB environment: the only module that imports lmdb.

One environment holds, per logical DB ``n`` (the SELECT index), a ``meta:n`` table (one record per
key) and a ``members:n`` table (members of collection types), plus one ``system`` table for
server-wide state such as the object-id counter.

The rest of the engine uses LMDB's transactions and tables through the :data:`Transaction` and
:data:`Table` names, and sees a failed commit as :class:`~pypika_store.errors.CommitFailed`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import lmdb

from ..errors import CommitFailed

#: A transaction, read-only or writable (its get/put/replace/pop/delete/cursor/drop/stat
#: are LMDB's own).
Transaction = lmdb.Transaction
#: One table (LMDB's named database) of an environment.
Table = lmdb._Database

SYNC_ALWAYS = "always"
SYNC_EVERYSEC = "everysec"


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
        )
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

    def begin_write(self) -> Transaction:
        return self.lmdb.begin(write=True)

    def begin_nested(self, parent: Transaction) -> Transaction:
        """A write transaction inside ``parent``: its commit lands in ``parent``, its abort
        leaves ``parent`` as it was (a full sync's load, all or nothing)."""
        return self.lmdb.begin(write=True, parent=parent)

    def copy(self, path: str, txn: Transaction) -> None:
        """Write a compacted copy of the environment as ``txn`` sees it (a bgsave)."""
        os.makedirs(path, exist_ok=True)
        self.lmdb.copy(path, compact=True, txn=txn)

    def sync(self) -> None:
        """Force committed data to disk (the `everysec` policy calls this once a second)."""
        self.lmdb.sync(True)

    def disk_size(self) -> int:
        """Bytes LMDB uses on disk (the data file as allocated so far)."""
        return _pages_in_use(self.lmdb)

    def close(self) -> None:
        self.lmdb.close()


def commit(txn: Transaction) -> None:
    """Commit ``txn``; CommitFailed (with LMDB's message) when LMDB refuses: its writes are lost."""
    try:
        txn.commit()
    except lmdb.Error as exc:
        raise CommitFailed(str(exc)) from exc


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
