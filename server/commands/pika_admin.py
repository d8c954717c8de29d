"""Pika's maintenance commands: COMPACT, COMPACTRANGE, CLEARREPLICATIONID, DISKRECOVERY, CACHE,
CLEARCACHE, with Pika 4.0's arguments, replies and errors, and what each means on LMDB.

- COMPACT / COMPACTRANGE are accepted and do nothing: Pika compacts RocksDB's LSM tree to
  drop tombstones and overwritten versions; LMDB is a B+tree that updates in place and reuses
  freed pages, so there is nothing to compact (the file does not shrink, nor grow while free
  pages remain; a shrunk copy is what BGSAVE's snapshot is).
- CLEARREPLICATIONID forgets the replication id, so this node's next sync from a master is a
  full one (INFO shows an empty ReplicationID until then, as Pika; a restart makes a new one).
- DISKRECOVERY: Pika resumes RocksDB after a background error once the disk has room; LMDB
  has no background work to resume (a failed write fails its command), so only the free-space
  check remains.
- CACHE / CLEARCACHE: Pika 4.0 can keep hot keys in a Redis-like cache in front of RocksDB;
  there is no cache here (LMDB reads are memory-mapped), so clearing one is done at once and
  CACHE RANDOMKEY finds no key.
"""

from __future__ import annotations

import os

from pypika_store.errors import InsufficientDiskError, UnknownCacheSubcommandError, invalid_db, wrong_arity
from pypika_store.replication.slave import REPLICATION_ID_KEY

from ..connection import Client
from ..registry import command
from ..resp.replies import OK

#: Pika's default least-free-disk-resume-size (256 MB).
LEAST_FREE_DISK_RESUME_SIZE = 256 << 20


def _check_db_names(client: Client, names: bytes) -> None:
    """Pika's comma-separated ``db0,db1`` list: every name must be a DB of this server."""
    databases = len(client.server.engine.keyspaces)
    for name in names.split(b","):
        if not (name.startswith(b"db") and name[2:].isdigit() and int(name[2:]) < databases):
            raise invalid_db(name)


@command("compact", arity=-1, flags="admin", group="server", syntax="db_type:[db [type]]")
def compact(client: Client, argv: list[bytes]) -> object:
    """Pika: compact the named DBs (all without names); LMDB reuses freed pages in place, so OK."""
    if len(argv) > 3:
        raise wrong_arity(argv)
    if len(argv) == 2:  # Pika compacts nothing when given a third argument
        _check_db_names(client, argv[1])
    return OK


@command("compactrange", arity=4, flags="admin", group="server", syntax="db start_key end_key")
def compactrange(client: Client, argv: list[bytes]) -> object:
    """Pika: compact the named DBs' keys from start to end; as COMPACT, nothing to do on LMDB."""
    _check_db_names(client, argv[1])
    return OK


@command("clearreplicationid", arity=1, flags="admin", group="server")
def clearreplicationid(client: Client, argv: list[bytes]) -> object:
    """Pika: forget the replication id, so that the next sync from a master is a full one."""
    server = client.server
    server.engine.delete_system_value(REPLICATION_ID_KEY)
    server.replication_id = ""
    return OK


@command("diskrecovery", arity=1, flags="admin", group="server")
def diskrecovery(client: Client, argv: list[bytes]) -> object:
    """Pika: resume after a disk error once there is room; LMDB has no stopped background work."""
    stats = os.statvfs(client.server.config.get_str("db-path"))
    if stats.f_bsize * stats.f_bfree < LEAST_FREE_DISK_RESUME_SIZE:
        raise InsufficientDiskError()
    return OK


@command("cache", arity=-2, flags="admin", group="server",
         syntax="subcommand:<CLEAR clear:<DB | HITRATIO> | DEL key:string [key ...] | RANDOMKEY>")
def cache(client: Client, argv: list[bytes]) -> object:
    """Pika: CLEAR DB|HITRATIO, DEL key..., RANDOMKEY on the cache layer (none here: empty)."""
    subcommand = argv[1].lower()
    if subcommand == b"clear" and len(argv) == 3 and argv[2].lower() in (b"db", b"hitratio"):
        return OK
    if subcommand == b"del" and len(argv) >= 3:
        return OK
    if subcommand == b"randomkey" and len(argv) == 2:
        return None
    raise UnknownCacheSubcommandError()


@command("clearcache", arity=1, flags="admin", group="server")
def clearcache(client: Client, argv: list[bytes]) -> object:
    """Pika: empty the cache layer (there is none here)."""
    return OK
