"""The slave's side of full syncs (docs/replication-protocol.md, step 3): fetching the master's
snapshot into ``<db-sync-path>/<uuid>/`` with several ``PIKAREPL FILE`` requests pipelined on
the one link, each chunk checked against its CRC-32C before it is written, each whole file
against its listed CRC-32C at the end, a progress file so a cut transfer resumes, and an
optional rate limit. The master's side is :mod:`.snapshot_service`; loading what was fetched
is :func:`pypika_store.sync_load.load_snapshot`'s job.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .checksums import crc32c, file_crc32c
from .link import MasterLink, ReplyError

log = logging.getLogger("pypika_store.replication")

#: The slave's record of what is fetched and verified, in ``<root>/<uuid>/``.
PROGRESS_FILE = ".progress"
#: TRYAGAIN backoff: first and longest pause, in seconds. The request is one small RESP call
#: (some 30 µs of the master's time), and every pause past the moment the snapshot is ready
#: adds to the full sync's time (a 2 s cap cost up to 1.6 s of a 1M-key sync, a 50 ms one
#: 25 ms on average of a 100k-key sync's 0.4 s): the pause stays short.
_RETRY_FIRST, _RETRY_MAX = 0.005, 0.01
#: A chunk failing its CRC this many times in a row fails the fetch.
MAX_CHUNK_ATTEMPTS = 3
#: Rounds of "fetch what is missing, check every file": a file still wrong after them fails.
MAX_FILE_ROUNDS = 3
#: Seconds between saves of the progress file while chunks come (see :class:`_Journal`).
JOURNAL_INTERVAL = 0.5
#: Seconds between the log lines a transfer writes about its progress.
PROGRESS_LOG_INTERVAL = 1.0
#: A file's running CRC-32C before its first byte: (end, crc).
_RUNNING_START = (0, crc32c(b""))

#: A full sync's phases, in order (INFO's master_sync_phase, the log, benchmarks/replication.py):
#: waiting for the master's snapshot (its bgsave and served copy), fetching its files, loading
#: them, and the TrySyncs from the loaded position.
SNAPSHOT_PHASE, FETCH_PHASE, LOAD_PHASE, CONNECT_PHASE = "snapshot", "fetch", "load", "connect"
SYNC_PHASES = (SNAPSHOT_PHASE, FETCH_PHASE, LOAD_PHASE, CONNECT_PHASE)


class FullSyncError(Exception):
    """The master's snapshot cannot be fetched as it is (bad listing, chunks failing checks)."""


class _Stale(Exception):
    """The master replaced the snapshot being fetched: start over with the new one."""


@dataclass
class SyncProgress:
    """A full sync's transfer and phases, as the slave's INFO and log show them."""

    total_bytes: int = 0
    #: Bytes fetched and verified, including those a resumed transfer found on disk.
    received_bytes: int = 0
    #: Of those, the ones already on disk when this transfer started.
    resumed_bytes: int = 0
    total_files: int = 0
    #: Files fetched whole and verified chunk by chunk (resumed ones included).
    received_files: int = 0
    started_at: float = field(default_factory=time.time)
    last_io_at: float = field(default_factory=time.time)
    phase: str = SNAPSHOT_PHASE
    #: Seconds spent in each phase that ended (a phase entered again adds up).
    phase_seconds: dict[str, float] = field(default_factory=dict)
    _phase_started: float = field(default_factory=time.monotonic, init=False, repr=False)
    _logged_at: float = field(default_factory=time.monotonic, init=False, repr=False)

    def enter(self, phase: str) -> None:
        """End the current phase (its time is added up) and start ``phase``."""
        now = time.monotonic()
        self.phase_seconds[self.phase] = self.phase_seconds.get(self.phase, 0.0) + now - self._phase_started
        self.phase, self._phase_started = phase, now

    def finish(self) -> dict[str, float]:
        """End the last phase; every phase's seconds, in order."""
        self.enter(self.phase)
        return {phase: self.phase_seconds.get(phase, 0.0) for phase in SYNC_PHASES}

    def begin(self, total: int, resumed: int, files: int, resumed_files: int) -> None:
        self.total_bytes, self.received_bytes, self.resumed_bytes = total, resumed, resumed
        self.total_files, self.received_files = files, resumed_files
        self.started_at = self.last_io_at = time.time()

    def add(self, count: int) -> None:
        self.received_bytes += count
        self.last_io_at = time.time()

    @property
    def left_bytes(self) -> int:
        return max(0, self.total_bytes - self.received_bytes)

    def percent(self) -> float:
        """Redis' master_sync_perc: the share of the snapshot received (0 before its listing)."""
        return 100.0 * self.received_bytes / self.total_bytes if self.total_bytes else 0.0

    def last_io_seconds_ago(self) -> int:
        return int(time.time() - self.last_io_at)

    def bytes_per_second(self) -> float:
        """The transfer's rate so far (bytes found on disk by a resume left out)."""
        elapsed = time.time() - self.started_at
        return (self.received_bytes - self.resumed_bytes) / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self) -> float:
        """Seconds left at the rate so far: 0 when done, -1 while no byte came yet."""
        if not self.left_bytes:
            return 0.0
        rate = self.bytes_per_second()
        return self.left_bytes / rate if rate > 0 else -1.0

    def log_if_due(self) -> None:
        """A progress line, at most one per PROGRESS_LOG_INTERVAL."""
        now = time.monotonic()
        if now - self._logged_at < PROGRESS_LOG_INTERVAL:
            return
        self._logged_at = now
        log.info("full sync: %.1f of %.1f MB (%.1f%%), %d of %d files, %.1f MB/s, ETA %.1f s",
                 self.received_bytes / 1e6, self.total_bytes / 1e6, self.percent(), self.received_files,
                 self.total_files, self.bytes_per_second() / 1e6, self.eta_seconds())


@dataclass(frozen=True)
class Listing:
    """PIKAREPL SNAPSHOT's answer."""

    uuid: str
    positions: list[list[int]]
    #: Relative name -> (size, CRC-32C).
    files: dict[str, tuple[int, int]]


def _safe_name(name: str) -> str:
    """A listed name, refused unless it stays inside the download folder."""
    parts = name.split("/")
    if name == PROGRESS_FILE or any(part in ("", ".", "..") for part in parts) or "\\" in name or "\0" in name:
        raise FullSyncError(f"the master lists an unsafe file name {name!r}")
    return name


def parse_listing(reply: object) -> Listing:
    try:
        uuid_raw, positions, files = reply  # type: ignore[misc]
        uuid = uuid_raw.decode("ascii")
        listing = Listing(uuid, [[int(value) for value in position] for position in positions],
                          {_safe_name(name.decode("utf-8", "surrogateescape")): (int(size), int(crc))
                           for name, size, crc in files})
    except (TypeError, ValueError, AttributeError, UnicodeDecodeError) as exc:
        raise FullSyncError(f"bad PIKAREPL SNAPSHOT reply: {exc}") from None
    if not uuid or any(char not in "0123456789abcdef" for char in uuid):
        raise FullSyncError(f"bad snapshot uuid {uuid!r}")
    return listing


async def request_listing(link: MasterLink) -> Listing:
    """PIKAREPL SNAPSHOT until the master has one: TRYAGAIN is retried with a pause doubling
    from 5 ms to 10 ms, forever (the caller cancels the task to give up)."""
    pause = _RETRY_FIRST
    while True:
        try:
            return parse_listing(await link.call("PIKAREPL", "SNAPSHOT"))
        except ReplyError as exc:
            if not str(exc).startswith("TRYAGAIN"):
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _RETRY_MAX)


def _download_folder(root: str, uuid: str) -> str:
    """``<root>/<uuid>/``, created; other snapshots' folders under root are deleted (a changed
    uuid starts over)."""
    os.makedirs(root, exist_ok=True)
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if name != uuid and os.path.isdir(path):
            shutil.rmtree(path)
    folder = os.path.join(root, uuid)
    os.makedirs(folder, exist_ok=True)
    return folder


class _Throttle:
    """Holds a transfer to ``rate`` bytes per second on average since it began (0: no limit)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.began = time.monotonic()
        self.bytes = 0

    async def consume(self, count: int) -> None:
        if not self.rate:
            return
        self.bytes += count
        wait = self.began + self.bytes / self.rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)


class _Journal:
    """The progress file: per file, how many leading bytes are on disk and verified.

    Saved at most every JOURNAL_INTERVAL while chunks come (each save is a rename, which took
    10 ms on a busy disk: 0.6 s of a 1M-key sync when saved per chunk), and whenever a fetch
    attempt ends (done, failed or cancelled). After a crash it may claim less than is on disk,
    never more: those chunks are fetched again."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, PROGRESS_FILE)
        self._saved_at = 0.0

    def load(self, files: dict[str, tuple[int, int]]) -> dict[str, int]:
        """The verified prefix of each file; 0 where the record or the file disagrees."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                saved = json.load(handle)
        except (OSError, ValueError):
            saved = {}
        prefixes = {}
        for name, (size, _crc) in files.items():
            done = saved.get(name) if isinstance(saved, dict) else None
            path = os.path.join(self.folder, *name.split("/"))
            on_disk = os.path.getsize(path) if os.path.isfile(path) else -1
            prefixes[name] = done if isinstance(done, int) and 0 <= done <= min(size, on_disk) else 0
        return prefixes

    def save_soon(self, prefixes: dict[str, int]) -> None:
        """Save unless the last save is more recent than JOURNAL_INTERVAL."""
        if time.monotonic() - self._saved_at >= JOURNAL_INTERVAL:
            self.save(prefixes)

    def save(self, prefixes: dict[str, int]) -> None:
        self._saved_at = time.monotonic()
        staging = self.path + ".tmp"
        with open(staging, "w", encoding="utf-8") as handle:
            json.dump(prefixes, handle)
        os.replace(staging, self.path)


@dataclass
class _Chunk:
    name: str
    offset: int
    count: int
    attempts: int = 0


def _checked_data(chunk: _Chunk, reply: object) -> bytes | None:
    """The chunk's bytes when ``reply`` is ``[data, crc32c]`` with a matching CRC and a length
    the request allows; None otherwise."""
    if not (isinstance(reply, list) and len(reply) == 2 and isinstance(reply[0], bytes)):
        return None
    data, crc = reply
    return data if 0 < len(data) <= chunk.count and crc32c(data) == crc else None


class _Fetch:
    """One attempt at fetching one listed snapshot into its folder."""

    def __init__(self, link: MasterLink, folder: str, listing: Listing, chunk_size: int, parallel: int,
                 throttle_bps: int, progress: SyncProgress, reply_timeout: float) -> None:
        self.link = link
        self.folder = folder
        self.listing = listing
        self.chunk_size = max(1, chunk_size)
        self.parallel = max(1, parallel)
        self.throttle = _Throttle(throttle_bps)
        self.progress = progress
        self.reply_timeout = reply_timeout
        self.journal = _Journal(folder)
        self.verified = self.journal.load(listing.files)
        #: Verified chunks past a file's prefix (a retried chunk is fetched again later).
        self.ahead: dict[str, dict[int, int]] = {name: {} for name in listing.files}
        #: Per file fetched from its start in order, the end and CRC-32C of what was written:
        #: the whole-file check then needs no second read of it. None once a chunk came out
        #: of order (a retried one) or the file was resumed: that file is read back instead.
        self.running: dict[str, tuple[int, int] | None] = {
            name: _RUNNING_START if not self.verified[name] else None for name in listing.files}
        self.descriptors: dict[str, int] = {}

    def path(self, name: str) -> str:
        return os.path.join(self.folder, *name.split("/"))

    async def run(self) -> None:
        """Fetch what is missing, check every whole file, refetch the damaged ones."""
        files = self.listing.files
        self.progress.begin(sum(size for size, _crc in files.values()), sum(self.verified.values()), len(files),
                            sum(self.verified[name] == size for name, (size, _crc) in files.items()))
        for name in self.listing.files:
            os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
            open(self.path(name), "ab").close()
        try:
            for _round in range(MAX_FILE_ROUNDS):
                await self._transfer(self._missing_chunks())
                damaged = await asyncio.to_thread(self._damaged_files)
                if not damaged:
                    return
                log.warning("full sync: %s failed the whole-file CRC-32C check, fetching again", damaged)
                for name in damaged:
                    self._restart_file(name)
        finally:
            self.journal.save(self.verified)
            for descriptor in self.descriptors.values():
                os.close(descriptor)
        raise FullSyncError(f"files still damaged after {MAX_FILE_ROUNDS} fetches: {damaged}")

    def _missing_chunks(self) -> deque[_Chunk]:
        return deque(_Chunk(name, offset, min(self.chunk_size, size - offset))
                     for name, (size, _crc) in self.listing.files.items()
                     for offset in range(self.verified[name], size, self.chunk_size))

    async def _transfer(self, queue: deque[_Chunk]) -> None:
        """Fetch the queued chunks, up to ``parallel`` requests in flight on the link. After an
        error reply the replies still in flight are read before it is raised, so the link
        stays usable."""
        in_flight: deque[_Chunk] = deque()
        failure: Exception | None = None
        while in_flight or (queue and failure is None):
            while queue and failure is None and len(in_flight) < self.parallel:
                chunk = queue.popleft()
                self.link.send("PIKAREPL", "FILE", self.listing.uuid, chunk.name, chunk.offset, chunk.count)
                in_flight.append(chunk)
            await self.link.drain()
            chunk = in_flight.popleft()
            try:
                reply = await self.link.read(self.reply_timeout)
                if failure is None:
                    await self._receive(chunk, reply, queue)
            except (ReplyError, FullSyncError) as exc:
                failure = failure or exc
        if failure is not None:
            raise _Stale(str(failure)) if str(failure).startswith("STALE") else failure

    async def _receive(self, chunk: _Chunk, reply: object, queue: deque[_Chunk]) -> None:
        """Write a chunk that passes its CRC check; queue it again otherwise. The master may
        send fewer bytes than asked (its repl-chunk-size): the rest is queued."""
        data = _checked_data(chunk, reply)
        if data is None:
            chunk.attempts += 1
            if chunk.attempts >= MAX_CHUNK_ATTEMPTS:
                raise FullSyncError(f"{chunk.name} at {chunk.offset}: {chunk.attempts} bad chunks in a row")
            log.warning("full sync: %s at %d failed its CRC-32C check, fetching it again", chunk.name, chunk.offset)
            queue.appendleft(chunk)
            return
        end = chunk.offset + len(data)
        if end < chunk.offset + chunk.count:
            queue.appendleft(_Chunk(chunk.name, end, chunk.offset + chunk.count - end))
        os.pwrite(self._descriptor(chunk.name), data, chunk.offset)
        running = self.running[chunk.name]
        if running is not None:
            self.running[chunk.name] = (end, crc32c(data, running[1])) if running[0] == chunk.offset else None
        self._verified(chunk.name, chunk.offset, end)
        self.progress.add(len(data))
        self.progress.log_if_due()
        await self.throttle.consume(len(data))

    def _descriptor(self, name: str) -> int:
        descriptor = self.descriptors.get(name)
        if descriptor is None:
            descriptor = self.descriptors[name] = os.open(self.path(name), os.O_WRONLY)
        return descriptor

    def _verified(self, name: str, start: int, end: int) -> None:
        """Note a written chunk; when the file's verified prefix grows, record it."""
        ahead = self.ahead[name]
        ahead[start] = end
        prefix = self.verified[name]
        while prefix in ahead:
            prefix = ahead.pop(prefix)
        if prefix != self.verified[name]:
            self.verified[name] = prefix
            self.journal.save_soon(self.verified)
        if prefix == self.listing.files[name][0] and name in self.descriptors:
            os.close(self.descriptors.pop(name))
            self.progress.received_files += 1

    def _damaged_files(self) -> list[str]:
        """Files whose size or whole CRC-32C differ from the listing (in a worker thread): the
        CRC of what was written, in order, as the chunks came, or else the file read back."""
        return [name for name, (size, crc) in self.listing.files.items()
                if os.path.getsize(self.path(name)) != size or self._file_crc(name, size) != crc]

    def _file_crc(self, name: str, size: int) -> int:
        running = self.running[name]
        if running is not None and running[0] == size:
            return running[1]
        return file_crc32c(self.path(name))

    def _restart_file(self, name: str) -> None:
        self.progress.received_bytes -= self.verified[name]
        self.progress.received_files -= self.verified[name] == self.listing.files[name][0]
        self.verified[name] = 0
        self.ahead[name].clear()
        self.running[name] = _RUNNING_START
        os.truncate(self.path(name), 0)
        self.journal.save(self.verified)


async def fetch_snapshot(link: MasterLink, root: str, chunk_size: int, parallel: int, throttle_bps: int,
                         progress: SyncProgress, *, reply_timeout: float = 60.0,
                         on_listing: Callable[[list[list[int]]], None] | None = None) -> tuple[str, list[list[int]]]:
    """Fetch the master's snapshot into ``<root>/<uuid>/``; returns that folder and the DBs'
    positions (``[db, filenum, offset, logic_id, term]`` each) for
    :func:`pypika_store.sync_load.load_snapshot`.

    Waits through TRYAGAIN without giving up (cancel the task to stop). A transfer cut
    earlier resumes from the progress file, without fetching verified bytes again; when the
    master's uuid changed, or it answers STALE mid-transfer, it starts over with the new
    snapshot. Raises FullSyncError when the data keeps failing its checks: nothing unverified
    is ever returned. A cancelled fetch may leave replies in flight on the link: close it.
    ``on_listing`` is told each listed snapshot's positions before its files are fetched (the
    slave prepares its binlogs' padding meanwhile).
    """
    while True:
        progress.enter(SNAPSHOT_PHASE)
        listing = await request_listing(link)
        progress.enter(FETCH_PHASE)
        if on_listing is not None:
            on_listing(listing.positions)
        folder = _download_folder(root, listing.uuid)
        log.info("full sync: fetching snapshot %s (%d files, %d bytes)", listing.uuid, len(listing.files),
                 sum(size for size, _crc in listing.files.values()))
        try:
            await _Fetch(link, folder, listing, chunk_size, parallel, throttle_bps, progress, reply_timeout).run()
        except _Stale:
            log.info("full sync: the master replaced snapshot %s, starting over", listing.uuid)
            continue
        return folder, listing.positions
