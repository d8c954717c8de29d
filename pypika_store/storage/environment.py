"""The LMDB environment: the only module (with the snapshot code) that talks to lmdb directly.

One environment holds, per logical DB ``n`` (the SELECT index), a ``meta:n`` table (one record per
key) and a ``members:n`` table (members of collection types), plus one ``system`` table for
server-wide state such as the object-id counter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import lmdb

SYNC_ALWAYS = "always"
SYNC_EVERYSEC = "everysec"


@dataclass(frozen=True)
class DatabaseHandles:
    """The LMDB tables of one logical DB."""

    meta: lmdb._Database
    members: lmdb._Database


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
            self.handles = [
                DatabaseHandles(
                    meta=self.lmdb.open_db(b"meta:%d" % index, txn=txn),
                    members=self.lmdb.open_db(b"members:%d" % index, txn=txn),
                )
                for index in range(databases)
            ]

    def begin_read(self) -> lmdb.Transaction:
        return self.lmdb.begin(write=False)

    def begin_write(self) -> lmdb.Transaction:
        return self.lmdb.begin(write=True)

    def copy(self, path: str, txn: lmdb.Transaction) -> None:
        """Write a compacted copy of the environment as ``txn`` sees it (a bgsave)."""
        os.makedirs(path, exist_ok=True)
        self.lmdb.copy(path, compact=True, txn=txn)

    def sync(self) -> None:
        """Force committed data to disk (the `everysec` policy calls this once a second)."""
        self.lmdb.sync(True)

    def disk_size(self) -> int:
        """Bytes LMDB uses on disk (the data file as allocated so far)."""
        info = self.lmdb.info()
        stat = self.lmdb.stat()
        return (info["last_pgno"] + 1) * stat["psize"]

    def close(self) -> None:
        self.lmdb.close()
