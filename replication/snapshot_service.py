"""The master's side of full syncs (docs/replication-protocol.md, step 3): the snapshot served
in CRC-checked chunks to ``PIKAREPL SNAPSHOT`` / ``PIKAREPL FILE``. The slave's side is
:mod:`.fetcher`.

A snapshot is a bgsave (the host's ``bgsave.last``), reused while it is younger than
``repl-snapshot-reuse-seconds`` and every DB's binlog still has the file its position is in
(Pika's rule); otherwise a bgsave is started and requests are answered ``-TRYAGAIN`` until it
is done, so concurrent requests share one bgsave.

Keeping a served snapshot alive: a bgsave of the same day replaces its folder, so the folder a
slave reads is a hard-linked copy, ``<dump-path>/.repl-<uuid>/`` (copied where links fail).
Linking costs neither space nor time, and a later bgsave's replace cannot touch the linked
files. Making the copy and computing every file's CRC-32C runs in a worker thread, answering
``-TRYAGAIN`` meanwhile. Only the newest served copy is kept: once a newer one is ready the
older folders are deleted, and a slave still reading one gets ``-STALE`` and starts over.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from pypika_store.binlog.reader import file_path
from pypika_store.errors import (
    ChunkOutOfRangeError,
    NoSuchSnapshotFileError,
    SnapshotChangedError,
    SnapshotPreparingError,
    SnapshotSavingError,
)
from pypika_store.snapshot import Snapshot, read_info

from .checksums import crc32c, file_crc32c

if TYPE_CHECKING:
    from .host import ReplicationHost

log = logging.getLogger("pypika_store.replication")

#: The served copies' folder names in the dump path: ``.repl-<uuid>``.
SERVED_PREFIX = ".repl-"
#: Seconds after a served snapshot's last request during which its binlog start stays held:
#: enough for a slave to load what it fetched and TrySync from the snapshot's position.
HOLD_SECONDS = 600.0


def _walk(folder: str) -> Iterator[tuple[str, str]]:
    """``(name, path)`` of every regular file under ``folder``, sorted, the name relative
    with ``/`` separators (as the listing and FILE requests spell it)."""
    for directory, subdirectories, names in os.walk(folder):
        subdirectories.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                yield os.path.relpath(path, folder).replace(os.sep, "/"), path


@dataclass
class ServedSnapshot:
    """A snapshot offered to slaves: its kept copy and what PIKAREPL SNAPSHOT tells about it."""

    uuid: str
    folder: str
    source: Snapshot
    #: ``[db, filenum, offset, logic_id, term]`` per DB, in DB order.
    positions: list[list[int]]
    #: Relative name -> (size, CRC-32C), in listing order.
    files: dict[str, tuple[int, int]]
    last_request: float = field(default_factory=time.time)

    def listing(self) -> list:
        return [self.uuid.encode(), self.positions,
                [[name.encode("utf-8", "surrogateescape"), size, crc] for name, (size, crc) in self.files.items()]]


def snapshot_uuid(snapshot: Snapshot) -> str:
    """A digest of the snapshot's info files and start time: a new bgsave gets a new uuid."""
    digest = hashlib.sha1()
    for index in range(len(snapshot.positions)):
        with open(os.path.join(snapshot.path, f"db{index}", "info"), "rb") as handle:
            digest.update(handle.read())
    digest.update(repr(snapshot.started_at).encode())
    return digest.hexdigest()


def _identity(folder: str) -> dict[str, tuple[int, int, int]]:
    """Each file's inode, size and mtime: unchanged across a copy means one bgsave's files."""
    identity = {}
    for name, path in _walk(folder):
        status = os.stat(path)
        identity[name] = (status.st_ino, status.st_size, status.st_mtime_ns)
    return identity


def _link_tree(source: str, target: str) -> None:
    """Hard-link every file of ``source`` under ``target`` (copy where linking fails)."""
    for name, path in _walk(source):
        destination = os.path.join(target, *name.split("/"))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)


def make_served_copy(snapshot: Snapshot, dump_path: str) -> ServedSnapshot:
    """Keep ``snapshot`` as ``<dump_path>/.repl-<uuid>/``, delete older served copies, and list
    its files (a worker thread's job: it reads every byte). A bgsave replacing the folder
    meanwhile makes this fail rather than serve a mix of two snapshots; the next request
    tries again."""
    before = _identity(snapshot.path)
    uuid = snapshot_uuid(snapshot)
    folder = os.path.join(dump_path, SERVED_PREFIX + uuid)
    if not os.path.isdir(folder):
        staging = folder + ".tmp"
        shutil.rmtree(staging, ignore_errors=True)
        _link_tree(snapshot.path, staging)
        if _identity(snapshot.path) != before:
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(f"{snapshot.path} was replaced while it was being copied")
        os.replace(staging, folder)
    _remove_served_copies(dump_path, keep=folder)
    positions = []
    for index in range(len(snapshot.positions)):
        position, term, logic_id = read_info(folder, index)
        positions.append([index, position.filenum, position.offset, logic_id, term])
    files = {name: (os.path.getsize(path), file_crc32c(path)) for name, path in _walk(folder)}
    return ServedSnapshot(uuid, folder, snapshot, positions, files)


def _remove_served_copies(dump_path: str, keep: str) -> None:
    """Delete every served copy (and leftover staging folder) but ``keep``."""
    for name in os.listdir(dump_path):
        path = os.path.join(dump_path, name)
        if name.startswith(SERVED_PREFIX) and path != keep:
            shutil.rmtree(path, ignore_errors=True)


class SnapshotService:
    """The master's side of full syncs: one per server, which creates it. Runs in the event
    loop's thread (command handlers and callbacks)."""

    def __init__(self, server: "ReplicationHost") -> None:
        self._server = server
        self._served: ServedSnapshot | None = None
        #: The bgsave being turned into a served copy in a worker thread.
        self._preparing: Snapshot | None = None
        #: When a request first found no usable snapshot: a bgsave started since serves it
        #: whatever ``repl-snapshot-reuse-seconds`` says (even 0).
        self._wanted_since: float | None = None
        #: The end of the bgsave in progress is awaited (:meth:`_bgsave_done`).
        self._watching = False

    @property
    def served(self) -> ServedSnapshot | None:
        return self._served

    def describe(self) -> list:
        """PIKAREPL SNAPSHOT: ``[uuid, [[db, filenum, offset, logic_id, term]...], [[name, size,
        crc32c]...]]``, or ``-TRYAGAIN`` while a bgsave or the served copy is being made."""
        bgsave = self._server.bgsave
        snapshot = None if bgsave.in_progress else self._usable(bgsave.last)
        if snapshot is None:
            self._request_bgsave()
            raise SnapshotSavingError()
        served = self._served
        if served is not None and served.source is snapshot:
            served.last_request = time.time()
            self._wanted_since = None  # answered: later requests follow repl-snapshot-reuse-seconds again
            return served.listing()
        self._prepare(snapshot)
        raise SnapshotPreparingError()

    def read_chunk(self, uuid: str, name: str, offset: int, count: int) -> list:
        """PIKAREPL FILE: ``[data, crc32c]``, at most ``repl-chunk-size`` bytes of a listed file
        (only listed names are served: no path leads outside the snapshot)."""
        served = self._served
        if served is None or uuid != served.uuid:
            raise SnapshotChangedError()
        if name not in served.files:
            raise NoSuchSnapshotFileError()
        size = served.files[name][0]
        if not 0 <= offset <= size or count < 0:
            raise ChunkOutOfRangeError()
        count = min(count, self._server.config.get_int("repl-chunk-size"), size - offset)
        try:
            with open(os.path.join(served.folder, *name.split("/")), "rb") as handle:
                handle.seek(offset)
                data = handle.read(count)
        except FileNotFoundError:  # the copy was deleted under us: the next SNAPSHOT makes another
            self._served = None
            raise SnapshotChangedError() from None
        served.last_request = time.time()
        return [data, crc32c(data)]

    def held_positions(self) -> list[int] | None:
        """Per DB, the oldest binlog file a full sync may still need — the file the snapshot
        being prepared or served starts at — or None: purging must spare it and later files."""
        held = []
        if self._preparing is not None:
            held.append([position.binlog.filenum for position in self._preparing.positions])
        served = self._served
        if served is not None and time.time() - served.last_request <= HOLD_SECONDS:
            held.append([position[1] for position in served.positions])
        return [min(files) for files in zip(*held)] if held else None

    def _usable(self, snapshot: Snapshot | None) -> Snapshot | None:
        """``snapshot`` if it may serve a full sync: its folder exists, it is young enough (or
        was taken for a request), and each DB's binlog still has the file it starts at."""
        if snapshot is None or not os.path.isdir(snapshot.path):
            return None
        age = time.time() - snapshot.started_at
        requested = self._wanted_since is not None and snapshot.started_at >= self._wanted_since
        if age > self._server.config.get_int("repl-snapshot-reuse-seconds") and not requested:
            return None
        binlogs = self._server.engine.binlogs
        if binlogs and not all(os.path.exists(file_path(binlogs[position.index].directory, position.binlog.filenum))
                               for position in snapshot.positions):
            return None
        return snapshot

    def _request_bgsave(self) -> None:
        if self._wanted_since is None:
            self._wanted_since = time.time()
        if not self._server.bgsave.in_progress:
            log.info("full sync requested: starting a bgsave")
            self._server.bgsave.start()
        if not self._watching:
            self._watching = True
            self._server.bgsave.when_done(self._bgsave_done)

    def _bgsave_done(self) -> None:
        """The bgsave a slave waits for is done: prepare its served copy at once rather than
        at the slave's next request (which came up to a backoff pause later, and then waited
        for the copy too)."""
        self._watching = False
        snapshot = self._usable(self._server.bgsave.last)
        if snapshot is not None and (self._served is None or self._served.source is not snapshot):
            self._prepare(snapshot)

    def _prepare(self, snapshot: Snapshot) -> None:
        """Make the served copy of ``snapshot`` in a worker thread (one at a time)."""
        if self._preparing is not None:
            return
        self._preparing = snapshot
        dump_path = os.path.abspath(self._server.config.get_str("dump-path"))
        future = asyncio.get_running_loop().run_in_executor(None, make_served_copy, snapshot, dump_path)
        future.add_done_callback(self._prepared)

    def _prepared(self, future: asyncio.Future) -> None:
        source, self._preparing = self._preparing, None
        if future.cancelled() or future.exception() is not None:
            log.warning("full sync: could not prepare snapshot %s: %s", source.path if source else "?",
                        "cancelled" if future.cancelled() else future.exception())
            return
        served: ServedSnapshot = future.result()
        self._served = served
        log.info("full sync: serving snapshot %s (%d files, %d bytes)", served.uuid, len(served.files),
                 sum(size for size, _crc in served.files.values()))
