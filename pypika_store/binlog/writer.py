"""Appending to a binlog: group commit of a turn's items, file rotation, the manifest, and
recovery of a torn tail at open."""

from __future__ import annotations

import os
import struct
import threading
import time

from .format import ITEM_HEADER, ITEM_TYPE_COMMAND, BinlogItem, Position, encode_command, frame
from .reader import file_numbers, file_path, scan_file

MANIFEST = "manifest"
MANIFEST_SIZE = 64 * 1024
_MANIFEST = struct.Struct("<IQQI8s")
#: Written after Pika's 24 manifest bytes: this binlog's records carry CRC-32C checks.
MARKER = b"pypika\x01\x00"

DEFAULT_FILE_SIZE = 100 * 1024 * 1024


def clamp_file_size(size: int) -> int:
    """Pika's rule for binlog-file-size: 1 KiB .. 1 GiB, anything else means 100 MiB."""
    return size if 1024 <= size <= 1024**3 else DEFAULT_FILE_SIZE


class Batch:
    """Items placed by :meth:`BinlogWriter.prepare`: their positions, logic_ids and bytes."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int, int]] = []  # filenum, start offset, end offset, logic_id
        self._data: list[tuple[int, bytes]] = []

    def add(self, filenum: int, start: int, end: int, logic_id: int, data: bytes) -> None:
        self._items.append((filenum, start, end, logic_id))
        self._data.append((filenum, data))

    @property
    def placed(self) -> list[tuple[Position, Position, int]]:
        """Each item's ``(start, end, logic_id)``."""
        return [(Position(filenum, start), Position(filenum, end), logic_id)
                for filenum, start, end, logic_id in self._items]

    def last(self) -> tuple[Position, int]:
        """The end position and logic_id of the last item."""
        filenum, _start, end, logic_id = self._items[-1]
        return Position(filenum, end), logic_id

    def chunks(self) -> list[tuple[int, bytes]]:
        """The bytes to write, joined per file, in order."""
        joined: list[tuple[int, list[bytes]]] = []
        for filenum, data in self._data:
            if not joined or joined[-1][0] != filenum:
                joined.append((filenum, []))
            joined[-1][1].append(data)
        return [(filenum, b"".join(parts)) for filenum, parts in joined]


def read_manifest(directory: str) -> tuple[Position, int, int, bool] | None:
    """``(producer position, logic_id, term, checked)`` from a manifest, None without one."""
    try:
        with open(os.path.join(directory, MANIFEST), "rb") as handle:
            data = handle.read(_MANIFEST.size)
    except FileNotFoundError:
        return None
    if len(data) < _MANIFEST.size:
        return None
    filenum, offset, logic_id, term, marker = _MANIFEST.unpack(data)
    return Position(filenum, offset), logic_id, term, marker == MARKER


class BinlogWriter:
    """The producer side of one binlog directory.

    :meth:`append` writes the items of one event-loop turn with one ``write`` per file (a batch
    crossing a rotation writes twice); :meth:`sync` fsyncs, when the sync policy asks for it. Opening scans the current file and truncates a torn tail, so the file,
    not the manifest, decides where the log ends.
    """

    def __init__(self, directory: str, file_size: int = DEFAULT_FILE_SIZE, term: int = 0) -> None:
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.file_size = clamp_file_size(file_size)
        manifest = read_manifest(directory)
        self.term = manifest[2] if manifest else term
        self.logic_id = manifest[1] if manifest else 0
        numbers = file_numbers(directory)
        filenum = numbers[-1] if numbers else (manifest[0].filenum if manifest else 0)
        self.position = Position(filenum, self._recover(filenum))
        self._placed = self.position
        self._logic_id_placed = self.logic_id
        self._file = open(file_path(directory, filenum), "ab")
        #: Guards swapping the current file against a sync() from the everysec thread.
        self._file_lock = threading.Lock()
        self._manifest = self._open_manifest()
        self._write_manifest()

    def _recover(self, filenum: int) -> int:
        """The end of the last whole item of the current file, truncating anything after it."""
        path = file_path(self.directory, filenum)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return 0
        end = 0
        for _start, end, payload in scan_file(data, 0, checked=True):
            self.logic_id = max(self.logic_id, BinlogItem.decode(payload).logic_id)
        if end != len(data):
            with open(path, "r+b") as handle:
                handle.truncate(end)
        return end

    def _open_manifest(self) -> int:
        """The manifest's file descriptor, the file created at Pika's 64 KiB size if missing."""
        descriptor = os.open(os.path.join(self.directory, MANIFEST), os.O_RDWR | os.O_CREAT, 0o644)
        if os.fstat(descriptor).st_size < MANIFEST_SIZE:
            os.ftruncate(descriptor, MANIFEST_SIZE)
        return descriptor

    def _write_manifest(self) -> None:
        """Rewrite the producer position in place (one pwrite, as Pika's mmap'd StableSave)."""
        os.pwrite(self._manifest, _MANIFEST.pack(self.position.filenum, self.position.offset, self.logic_id,
                                                 self.term, MARKER), 0)

    def prepare(self, commands: list[list[bytes]], exec_time: int | None = None) -> "Batch":
        """Place one item per command after the items already placed (positions and logic_ids
        are final), without writing them yet: :meth:`write` does, in placement order."""
        now = int(time.time()) if exec_time is None else exec_time
        batch = Batch()
        filenum, offset = self._placed
        for argv in commands:
            if offset > self.file_size:  # Pika checks the size before each append
                filenum, offset = filenum + 1, 0
            self._logic_id_placed += 1
            content = encode_command(argv)
            item = ITEM_HEADER.pack(ITEM_TYPE_COMMAND, now, self.term, self._logic_id_placed, filenum, offset,
                                    len(content)) + content
            data = frame(item, offset, checked=True, now=now)
            end = offset + len(data)
            batch.add(filenum, offset, end, self._logic_id_placed, data)
            offset = end
        self._placed = Position(filenum, offset)
        return batch

    def write(self, batch: "Batch") -> None:
        """Write a prepared batch (one ``write`` per file it touches) and advance the position."""
        for filenum, data in batch.chunks():
            if filenum != self.position.filenum:
                with self._file_lock:  # sync() may be running in another thread
                    self._file.close()
                    self._file = open(file_path(self.directory, filenum), "ab")
                    self.position = Position(filenum, 0)
                    self._write_manifest()
            self._file.write(data)
        self._file.flush()
        self.position, self.logic_id = batch.last()

    def append(self, commands: list[list[bytes]], exec_time: int | None = None) -> list[tuple[Position, Position, int]]:
        """Prepare and write at once; returns each item's ``(start, end, logic_id)``."""
        batch = self.prepare(commands, exec_time)
        self.write(batch)
        return batch.placed

    def sync(self) -> None:
        """fsync the current file, then bring the manifest up to date (and fsync it).

        The manifest is rewritten here, at each rotation and at close, not after every batch:
        the file scan at open is what decides where the log ends, so a manifest that lags
        costs nothing but saves a system call per event-loop turn.
        """
        with self._file_lock:
            os.fsync(self._file.fileno())
            self._write_manifest()
            os.fsync(self._manifest)

    def size(self) -> int:
        """Bytes in all this binlog's files (INFO's log_size)."""
        return sum(os.path.getsize(file_path(self.directory, number)) for number in file_numbers(self.directory))

    def close(self) -> None:
        with self._file_lock:
            self._write_manifest()
            self._file.close()
            os.close(self._manifest)
