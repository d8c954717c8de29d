"""BGSAVE / SAVE orchestration: one snapshot at a time, in a worker thread, with its outcome
kept for LASTSAVE and INFO.

The worker thread is started once and then waits for requests: starting a thread per BGSAVE
made the event loop wait until the new thread was scheduled and had taken the GIL
(``Thread.start`` waits for it), tens of milliseconds on a busy machine. The worker does all
of a save's file work, expiring old dumps included; the loop only hands it the request and
reads its outcome."""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import shutil
import threading
import time
from typing import TYPE_CHECKING, Callable

from pypika_store.snapshot import Snapshot, snapshot_folder, take_snapshot

from .latency import BGSAVE_LOCK

if TYPE_CHECKING:
    from .app import Server

log = logging.getLogger("pypika_store.server")


class BgsaveService:
    """Runs snapshots for a server; concurrent BGSAVE requests share the one in progress."""

    def __init__(self, server: "Server") -> None:
        self._server = server
        self._running = False
        #: The worker's requests: True to take a snapshot, False to stop.
        self._requests: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        #: Set while no snapshot is being copied (shutdown waits for it).
        self._idle = threading.Event()
        self._idle.set()
        self.last_save_time = int(time.time())
        self.last_ok = True
        self.last: Snapshot | None = None
        #: Snapshots whose data did not match their recorded binlog position (command scope).
        self.mismatches = 0
        #: Per DB, the binlog file a snapshot in progress may start at: purging must spare it.
        self.held_files: list[int] | None = None
        #: INFO's rdb_saves (BGSAVEs started), rdb_current/last_bgsave_time_sec.
        self.started = 0
        self.started_at: float | None = None
        self.last_duration: float | None = None
        #: Called in the loop when the snapshot in progress ends (see :meth:`when_done`).
        self._when_done: list[Callable[[], None]] = []

    @property
    def in_progress(self) -> bool:
        return self._running

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` in the loop once the snapshot in progress ended (well or not; at
        once when none is running). A full sync waiting for the bgsave learns it then: polling
        for it cost up to a poll period of every sync."""
        if not self._running:
            callback()
            return
        self._when_done.append(callback)

    def _take(self) -> Snapshot:
        server = self._server
        config = server.config
        folder = snapshot_folder(os.path.abspath(config.get_str("dump-path")), config.get_str("dump-prefix"),
                                 time.time())
        host = config.get_str("bind").split()[0]
        return take_snapshot(server.engine, folder, host, server.port, config.get_int("rdb-key-save-delay"))

    def _done(self, snapshot: Snapshot | None, error: BaseException | None) -> None:
        self.last_ok = error is None
        if error is not None:
            log.error("Background saving error: %s", error)
            return
        assert snapshot is not None
        self.last = snapshot
        self.last_save_time = int(time.time())
        if snapshot.mismatched:
            self.mismatches += 1
            log.warning("bgsave %s: data does not match the recorded binlog offset in db %s (lock scope %s)",
                        snapshot.path, snapshot.mismatched, self._server.engine.lock_scope)
        self._server.latency_sample(BGSAVE_LOCK, int(snapshot.lock_hold * 1_000_000_000))
        log.info("Background saving terminated with success: %s (lock held %.3f ms)",
                 snapshot.path, snapshot.lock_hold * 1000)

    def start(self) -> None:
        """BGSAVE: have the worker take a snapshot unless one is running already."""
        if self._running:
            return
        self._running = True
        self.held_files = [binlog.position.filenum for binlog in self._server.engine.binlogs]
        self.started += 1
        self.started_at = time.time()
        self._idle.clear()
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, args=(asyncio.get_running_loop(),),
                                            name="pypika-bgsave", daemon=True)
            self._worker.start()
        self._requests.put(True)
        log.info("Background saving started")

    def _work(self, loop: asyncio.AbstractEventLoop) -> None:
        """The worker thread: one snapshot per request, its outcome handed to the loop."""
        while self._requests.get():
            try:
                snapshot, error = self._take(), None
                self._expire_old_dumps()
            except Exception as exc:  # reported through INFO and the log
                snapshot, error = None, exc
            self._idle.set()
            loop.call_soon_threadsafe(self._finished, snapshot, error)

    def _finished(self, snapshot: Snapshot | None, error: BaseException | None) -> None:
        self._running = False
        if self.started_at is not None:
            self.last_duration, self.started_at = time.time() - self.started_at, None
        self.held_files = None
        self._done(snapshot, error)
        callbacks, self._when_done = self._when_done, []
        for callback in callbacks:
            callback()

    def wait(self) -> None:
        """Block until a snapshot in progress is copied, and stop the worker (shutdown must not
        close LMDB under a copy)."""
        self._idle.wait()
        if self._worker is not None:
            self._requests.put(False)
            self._worker.join()
            self._worker = None

    def save(self) -> Snapshot:
        """SAVE: take a snapshot now, in the event-loop thread (the turn so far is committed first,
        so the DB lock is free)."""
        self._server.end_turn()
        try:
            snapshot = self._take()
        except OSError as error:
            self._done(None, error)
            raise
        self._done(snapshot, None)
        self._expire_old_dumps()
        return snapshot

    def _expire_old_dumps(self) -> None:
        """Remove snapshot folders older than ``dump-expire`` days (0 keeps them all); in the
        worker thread after a BGSAVE (a directory scan and deletions: disk work)."""
        days = self._server.config.get_int("dump-expire")
        dump_path = os.path.abspath(self._server.config.get_str("dump-path"))
        if not days or not os.path.isdir(dump_path):
            return
        cutoff = time.time() - days * 86400
        prefix = self._server.config.get_str("dump-prefix")
        for name in os.listdir(dump_path):
            stamp = name[len(prefix):]
            if name.startswith(prefix) and len(stamp) == 8 and stamp.isdigit():
                try:
                    saved = time.mktime(time.strptime(stamp, "%Y%m%d"))
                except ValueError:  # eight digits that are no date: not a snapshot folder
                    continue
                if saved < cutoff:
                    shutil.rmtree(os.path.join(dump_path, name), ignore_errors=True)
