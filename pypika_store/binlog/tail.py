"""Following a binlog as it grows: what a master streams to a slave.

Unlike :class:`~pypika_store.binlog.reader.BinlogReader`, which reads whole files, a tail keeps
only the bytes it has not consumed yet (from a block boundary, so the block arithmetic of
:func:`scan_file` still holds) and reads what was appended since its last call.
"""

from __future__ import annotations

import os

from .format import BLOCK_SIZE, Position
from .reader import file_path, scan_file


class BinlogTail:
    """Items of one binlog directory from ``start`` on, read incrementally."""

    def __init__(self, directory: str, start: Position, checked: bool = True) -> None:
        self.directory = directory
        self.checked = checked
        self.position = start
        self._base = start.offset - start.offset % BLOCK_SIZE
        self._buffer = b""
        self._file = None
        self._open(start.filenum)

    def _open(self, filenum: int) -> None:
        if self._file is not None:
            self._file.close()
        self._file = open(file_path(self.directory, filenum), "rb")
        self._file.seek(self._base)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def read(self, limit: int) -> list[tuple[Position, Position, bytes]]:
        """Up to ``limit`` new items ``(start, end, payload)``; moves to the next file once this
        one is finished and a newer one exists (the writer never appends to an older file)."""
        found: list[tuple[Position, Position, bytes]] = []
        while len(found) < limit:
            self._buffer += self._file.read()  # type: ignore[union-attr]
            filenum, offset = self.position
            for start, end, payload in scan_file(self._buffer, offset - self._base, self.checked):
                found.append((Position(filenum, start + self._base), Position(filenum, end + self._base), payload))
                self.position = Position(filenum, end + self._base)
                if len(found) == limit:
                    break
            self._trim()
            if len(found) == limit or not self._next_file_exists():
                break
            self.position = Position(filenum + 1, 0)
            self._base, self._buffer = 0, b""
            self._open(filenum + 1)
        return found

    def _trim(self) -> None:
        """Drop consumed bytes, keeping the buffer aligned on a block boundary."""
        keep_from = self.position.offset - self.position.offset % BLOCK_SIZE
        if keep_from > self._base:
            self._buffer = self._buffer[keep_from - self._base:]
            self._base = keep_from

    def _next_file_exists(self) -> bool:
        return os.path.exists(file_path(self.directory, self.position.filenum + 1))
