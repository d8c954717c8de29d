"""Appending to a binlog: group commit of a turn's items, file rotation, the manifest, and
recovery of a torn tail at open."""

from __future__ import annotations

import os
import struct
import threading
import time
from typing import NamedTuple

from .format import (BAD, BLOCK_SIZE, BULK_SIZES, BULK_STARTS, FULL, HEADER_SIZE, ITEM_HEADER, ITEM_TYPE_COMMAND,
                     SET_HEADS, SET_SIZES_BY_KEY, BinlogItem, Position, _record, crc32c, encode_command, frame,
                     frame_into)
from .reader import file_numbers, file_path, scan_file

MANIFEST = "manifest"
MANIFEST_SIZE = 64 * 1024
_MANIFEST = struct.Struct("<IQQI8s")
#: Written after Pika's 24 manifest bytes: this binlog's records carry CRC-32C checks.
MARKER = b"pypika\x01\x00"

DEFAULT_FILE_SIZE = 100 * 1024 * 1024

#: A FULL record's typed item header: the type byte and the item header, packed at once so that
#: the record's check is one ``crc32c`` call over the typed item, with no start value. Its first
#: four fields (the record and item types, the exec time, the term) are the turn's: packed once
#: per :meth:`BinlogWriter.prepare` (:data:`_pack_turn_fields`), so each item packs four numbers.
_TURN_FIELDS = struct.Struct("<B" + ITEM_HEADER.format[1:4])
_pack_turn_fields = _TURN_FIELDS.pack
_pack_typed_item_header = struct.Struct(f"<{_TURN_FIELDS.size}s" + ITEM_HEADER.format[4:]).pack
#: A FULL record header's length and check (the length's high byte is 0: the type byte that
#: ends the header starts the typed item).
_pack_length_and_check = struct.Struct("<HxI").pack
#: Joins a plain SET's typed item (a local name: no attribute looked up per item).
_join = b"".join
#: The largest item a block's first byte can take as one FULL record.
_FULL_ITEM_ROOM = BLOCK_SIZE - HEADER_SIZE
#: Builds a Position or a Mark without the Python-level ``__new__`` of a NamedTuple class: a
#: writing turn builds several (0.15 µs each through the class).
_new = tuple.__new__


#: The most bytes of a written batch the writer keeps for a master's pump
#: (:attr:`BinlogWriter.latest_batch`): a turn's pipelined writes, not a big value, which is not
#: held in memory past its write (the pump reads it from the file).
LATEST_BATCH_LIMIT = 4 * 1024 * 1024

#: An item a slave received from its master: where it starts in the master's binlog, its logic
#: id and term (from its header, read when the slave checked it), the encoded item.
ReplicatedItem = tuple[Position, int, int, bytes]


class MisalignedItem(ValueError):
    """A replicated item does not start where this binlog ends (a gap or a divergence)."""


def clamp_file_size(size: int) -> int:
    """Pika's rule for binlog-file-size: 1 KiB .. 1 GiB, anything else means 100 MiB."""
    return size if 1024 <= size <= 1024**3 else DEFAULT_FILE_SIZE


class Batch:
    """Items placed by :meth:`BinlogWriter.prepare` or :meth:`BinlogWriter.prepare_replicated`:
    their bytes as pieces per file, joined once when the batch is written, and (:attr:`items`,
    :attr:`payloads`) their positions, logic ids and encoded items.

    :meth:`BinlogWriter.prepare` runs once per logged write, so its batch notes nothing per
    item but its two pieces: the record's header and its typed item (:attr:`payload_start` 1),
    or, for an item framed in several records, those records and an empty piece (its typed item
    kept in :attr:`split_payloads`). Each item's place and payload follow from them, worked out
    when first asked for (a master's pump, :meth:`BinlogWriter.append`'s callers): a tuple built
    and two lists appended to per logged write were ~900 instructions of a SET's binlog work,
    for nothing while no slave follows the binlog."""

    # A turn builds one per DB it wrote: slots spare the instance's dict (a turn of one SET).
    __slots__ = ("mark", "end", "last_logic_id", "first_logic_id", "payload_start", "split_payloads", "_items",
                 "_payloads", "_segments")

    def __init__(self, mark: "Mark", first_logic_id: int, payload_start: int, noted: bool = False) -> None:
        #: Where the binlog stood, written, when the batch was placed: what a turn that fails
        #: rewinds to (:meth:`BinlogWriter.rewind`).
        self.mark = mark
        #: The end position and logic_id of the last item (the mark's while there is none).
        self.end: Position = mark.position
        self.last_logic_id = mark.logic_id
        #: The logic id of the batch's first item.
        self.first_logic_id = first_logic_id
        #: Where each payload's item starts: 1 in a batch :meth:`BinlogWriter.prepare` placed,
        #: which keeps each item as its FULL record's CRC covered it, after the type byte (the
        #: pump slices it, when a slave takes the item; a slice per logged write is spared).
        self.payload_start = payload_start
        #: The typed item of each item framed in several records, by logic id (its pieces are
        #: those records and an empty piece).
        self.split_payloads: dict[int, bytes] = {}
        #: Each item's place and payload; None until read from the pieces, unless the placer
        #: notes them itself (``noted``: :meth:`BinlogWriter.prepare_replicated`).
        self._items: list[tuple[int, int, int, int]] | None = [] if noted else None
        self._payloads: list[bytes] | None = [] if noted else None
        self._segments: list[tuple[int, int, list[bytes]]] = []  # filenum, start offset, pieces

    @property
    def items(self) -> list[tuple[int, int, int, int]]:
        """Each item placed, in order: ``(filenum, start offset, end offset, logic_id)``."""
        if self._items is None:
            self._read_pieces()
        return self._items  # type: ignore[return-value]

    @property
    def payloads(self) -> list[bytes]:
        """Each item's encoded BinlogItem (unframed), in the same order, from its byte
        :attr:`payload_start` on: what a master's pump sends (:meth:`BinlogWriter.latest_batch`)."""
        if self._payloads is None:
            self._read_pieces()
        return self._payloads  # type: ignore[return-value]

    def _read_pieces(self) -> None:
        """:attr:`items` and :attr:`payloads` from the pieces, two per item (see the class)."""
        items: list[tuple[int, int, int, int]] = []
        payloads: list[bytes] = []
        logic_id = self.first_logic_id
        for filenum, offset, parts in self._segments:
            for index in range(0, len(parts), 2):
                framed, typed = parts[index], parts[index + 1]
                end = offset + len(framed) + len(typed)
                items.append((filenum, offset, end, logic_id))
                payloads.append(typed or self.split_payloads[logic_id])
                offset = end
                logic_id += 1
        self._items, self._payloads = items, payloads

    def parts_at(self, filenum: int, start: int) -> list[bytes]:
        """The pieces list the bytes of an item placed at ``filenum:start`` go to: the last
        file's, or a new one when the item opens another file."""
        if not self._segments or self._segments[-1][0] != filenum:
            self._segments.append((filenum, start, []))
        return self._segments[-1][2]

    def extend(self, other: "Batch") -> None:
        """Append another batch placed right after this one (one write for both)."""
        self.items.extend(other.items)  # read from each batch's own pieces, before they are merged
        self.payloads.extend(other.payloads)
        self.end, self.last_logic_id = other.end, other.last_logic_id
        for filenum, start, parts in other._segments:
            self.parts_at(filenum, start).extend(parts)

    @property
    def placed(self) -> list[tuple[Position, Position, int]]:
        """Each item's ``(start, end, logic_id)``."""
        return [(Position(filenum, start), Position(filenum, end), logic_id)
                for filenum, start, end, logic_id in self.items]

    def last(self) -> tuple[Position, int]:
        """The end position and logic_id of the last item."""
        return self.end, self.last_logic_id

    def chunks(self) -> list[tuple[int, int, bytes]]:
        """The bytes to write, joined per file, in order: ``(filenum, start offset, bytes)``."""
        return [(filenum, start, b"".join(parts)) for filenum, start, parts in self._segments if parts]


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


#: Whole padding blocks written at a time (1 MiB): the padding of a deep offset (180 MB for
#: a 1M-key snapshot) is never built whole in memory.
_PADDING_BLOCKS_PER_WRITE = 16


def _padding(offset: int) -> tuple[bytes, int, bytes]:
    """kBadRecord records filling a new file from 0 to ``offset``, as Pika's AppendPadding: one
    record per 64 KiB block, never crossing a block boundary, so readers skip them and the
    next item starts exactly at ``offset``; as (a whole block's record, how many, the record
    of the last partial block or nothing). No item boundary lies 1..7 bytes into a block (a
    record header takes 8), so such an offset is refused before anything is touched."""
    whole_blocks, tail = divmod(offset, BLOCK_SIZE)
    if 0 < tail < HEADER_SIZE:
        raise ValueError(f"binlog offset {offset} cannot be an item boundary")
    # Every whole block's record is the same: built (and checksummed) once, not per block.
    block = _record(BAD, b"*" * (BLOCK_SIZE - HEADER_SIZE), checked=True, now=0)
    return block, whole_blocks, _record(BAD, b"*" * (tail - HEADER_SIZE), checked=True, now=0) if tail else b""


def write_padding_file(path: str, offset: int) -> None:
    """Write ``path`` holding only :func:`_padding` up to ``offset``, fsynced, a few blocks at a
    time. A slave makes it while its full sync's files come (15 MB of padding and its fsync
    for 100k keys, most of the load's time), so :meth:`BinlogWriter.reset_to` after the load
    only renames it."""
    block, whole_blocks, tail = _padding(offset)
    group = block * min(whole_blocks, _PADDING_BLOCKS_PER_WRITE)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        written = 0
        for start in range(0, whole_blocks, _PADDING_BLOCKS_PER_WRITE):
            blocks = min(_PADDING_BLOCKS_PER_WRITE, whole_blocks - start)
            data = group if blocks == _PADDING_BLOCKS_PER_WRITE else block * blocks
            _write_all(descriptor, data, written)
            written += len(data)
        if tail:
            _write_all(descriptor, tail, written)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def padding_end(data: bytes, end: int) -> int:
    """``len(data)`` when everything after ``end`` (the last item's end) is kBadRecord padding,
    as :meth:`BinlogWriter.reset_to` leaves a file: not a torn tail, it must survive a restart.
    Otherwise ``end``. An empty record appended to the data tells, through the reader's own
    scan: it is reported to start at ``len(data)`` only if nothing but padding precedes it."""
    probe = frame(b"", len(data), checked=True, now=0)
    for start, _stop, _payload in scan_file(data + probe, end, checked=True):
        return len(data) if start == len(data) else end
    return end


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
        #: The term of the last item placed (a slave's TrySync names it; a promotion moves
        #: ``term`` on without writing an item).
        self.last_item_term = self.term
        self.logic_id = manifest[1] if manifest else 0
        numbers = file_numbers(directory)
        filenum = numbers[-1] if numbers else (manifest[0].filenum if manifest else 0)
        self.position = Position(filenum, self._recover(filenum))
        self._placed = self.position
        self._logic_id_placed = self.logic_id
        self._file = _open_for_append(file_path(directory, filenum))
        #: Guards swapping the current file against a sync() from the everysec thread.
        self._file_lock = threading.Lock()
        self._manifest = self._open_manifest()
        self._write_manifest()
        self._latest: Batch | None = None

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
            item = BinlogItem.decode(payload)
            self.logic_id = max(self.logic_id, item.logic_id)
            self.last_item_term = item.term_id
        end = padding_end(data, end)
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

    def prepare(self, commands: list[list[bytes] | bytes | tuple[int, bytes, bytes]],
                exec_time: int | None = None) -> "Batch":
        """Place one item per command after the items already placed (positions and logic_ids
        are final), without writing them yet: :meth:`write` does, in placement order. Each
        item's pieces (record header, item header and content) go to the batch as they are,
        joined once per file when written. A command is its argv, its RESP content when the
        caller encoded it already (a type store's hot write, a string's state), or a ``(db,
        key, value)`` tuple for ``set key value`` (the :class:`~pypika_store.changes.StringSet`
        a plain SET notes, passed on as it is; the db is not read).

        This runs once per logged write, so an item that fits in its block's rest, nearly
        all of them, is framed right here as the one FULL record :func:`.format.frame_into`
        would make: the type byte and the item header are packed as one, so the CRC is one
        call over them and the content, and the record header before them is its length and
        check alone; the two pieces are appended as they are (a tuple added to the list cost
        more). A ``set key value``'s typed item is one join of the header and the content's
        pieces (its size from the tables), with no content built on its own. Any other item
        takes :func:`.format.frame`. Nothing else is noted per item (see :class:`Batch`)."""
        now = int(time.time()) if exec_time is None else exec_time
        filenum, offset = self._placed
        logic_id, term, file_size = self._logic_id_placed, self.term, self.file_size
        batch = Batch(self.mark(), logic_id + 1, 1)
        turn_fields = _pack_turn_fields(FULL, ITEM_TYPE_COMMAND, now, term)
        parts = batch.parts_at(filenum, offset)
        add = parts.append
        for argv in commands:
            if offset > file_size:  # Pika checks the size before each append
                filenum, offset = filenum + 1, 0
                parts = batch.parts_at(filenum, offset)
                add = parts.append
            logic_id += 1
            kind = argv.__class__
            if kind is bytes or kind is list:
                content = argv if kind is bytes else encode_command(argv)
                typed = _pack_typed_item_header(turn_fields, logic_id, filenum, offset, len(content)) + content
            else:  # a plain SET's (db, key, value): its typed item in one join, its size from the tables
                _db, key, value = argv
                try:
                    typed = _join((_pack_typed_item_header(turn_fields, logic_id, filenum, offset,
                                                           SET_SIZES_BY_KEY[len(key)] + BULK_SIZES[len(value)]),
                                   SET_HEADS[len(key)], key, BULK_STARTS[len(value)], value, b"\r\n"))
                except IndexError:  # a key or value of 4 KiB or more, past the tables
                    content = encode_command([b"set", key, value])
                    typed = _pack_typed_item_header(turn_fields, logic_id, filenum, offset, len(content)) + content
            length = len(typed) - 1
            if offset % BLOCK_SIZE + length <= _FULL_ITEM_ROOM:  # so length < 64 Ki: its high byte is 0
                add(_pack_length_and_check(length, crc32c(typed)))
                add(typed)
                offset += HEADER_SIZE + length
            else:
                framed = frame(typed[1:], offset, True, now)
                add(framed)
                add(b"")
                batch.split_payloads[logic_id] = typed
                offset += len(framed)
        if commands:
            self.last_item_term = term
        self._placed = batch.end = _new(Position, (filenum, offset))
        self._logic_id_placed = batch.last_logic_id = logic_id
        return batch

    @property
    def placed_logic_id(self) -> int:
        """The logic id of the last item placed (written or about to be, this turn)."""
        return self._logic_id_placed

    def prepare_replicated(self, items: list[ReplicatedItem]) -> "Batch":
        """Place items received from a master at the positions they have in the master's
        binlog (a slave keeps its binlog byte-aligned with its master's). Each item must start
        exactly where the previous one ends here, or at offset 0 of the next file (the master
        rotated); otherwise :class:`MisalignedItem` is raised and nothing is placed. The
        items' logic ids and terms are the caller's, read from their headers when it checked
        them (decoding each item again here cost ~8 % of a slave's time)."""
        filenum, offset = self._placed
        logic_id, term = self._logic_id_placed, self.last_item_term
        batch = Batch(self.mark(), logic_id + 1, 0, noted=True)
        now = int(time.time())
        for start, logic_id, term, payload in items:
            if start.filenum == filenum + 1 and start.offset == 0:
                filenum, offset = start
            elif start != (filenum, offset):
                raise MisalignedItem(f"item at {start.filenum}:{start.offset}, binlog at {filenum}:{offset}")
            end = offset + frame_into(batch.parts_at(filenum, offset), payload, offset, True, now)
            batch.items.append((filenum, offset, end, logic_id))
            batch.payloads.append(payload)
            offset = end
        if items:
            self._placed = batch.end = _new(Position, (filenum, offset))
            self._logic_id_placed = batch.last_logic_id = logic_id
            self.last_item_term = term
        return batch

    def mark(self) -> "Mark":
        """Where this binlog stands now, written and placed, for :meth:`rewind`."""
        return _new(Mark, (self.position, self.logic_id, self.last_item_term))

    def write(self, batch: "Batch") -> None:
        """Write a prepared batch (one ``write`` per file it touches) and advance the position.

        The file is written with unbuffered ``pwrite`` calls at the offsets the items were
        placed at, so nothing of a failed write stays in a buffer to reach the file later. If
        a write fails (ENOSPC, EIO) the binlog is cut back to where it stood before the batch
        (:meth:`rewind`) and the error propagates: the batch's items are not in the binlog.
        """
        mark = self.mark()
        written = 0
        try:
            for filenum, start, data in batch.chunks():
                if filenum != self.position.filenum:
                    self._switch_to(filenum)
                _write_all(self._file, data, start)
                written += len(data)
        except OSError:
            self.rewind(mark)
            raise
        self.position, self.logic_id = batch.end, batch.last_logic_id
        self._latest = batch if written <= LATEST_BATCH_LIMIT else None

    @property
    def latest_batch(self) -> "Batch | None":
        """The batch written last (up to :data:`LATEST_BATCH_LIMIT` bytes), as long as the
        binlog ends with it (a rewind or a reset forgets it): a master's pump takes the items it has just written from it
        (:meth:`~pypika_store.binlog.tail.BinlogTail.read`) instead of reading them back."""
        return self._latest

    def rewind(self, mark: "Mark") -> None:
        """Cut the binlog back to ``mark`` (from :meth:`mark`): the file is truncated to the
        mark's offset, files opened after it are removed, and the items placed since are
        forgotten, so the next item is placed where the mark stands. A turn whose LMDB commit
        failed after its binlog write, or whose write failed part-way, leaves no item."""
        position = mark.position
        with self._file_lock:
            if self.position.filenum != position.filenum:
                os.close(self._file)
                for number in file_numbers(self.directory):
                    if number > position.filenum:
                        os.unlink(file_path(self.directory, number))
                self._file = _open_for_append(file_path(self.directory, position.filenum))
            os.ftruncate(self._file, position.offset)
            self.position = self._placed = position
            self._latest = None
            self.logic_id = self._logic_id_placed = mark.logic_id
            self.last_item_term = mark.last_item_term
            self._write_manifest()

    def _switch_to(self, filenum: int) -> None:
        """Rotate: the next bytes go to ``write2file<filenum>``, from offset 0."""
        with self._file_lock:  # sync() may be running in another thread
            os.close(self._file)
            self._file = _open_for_append(file_path(self.directory, filenum))
            self.position = Position(filenum, 0)
            self._write_manifest()

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
            os.fsync(self._file)
            self._write_manifest()
            os.fsync(self._manifest)

    def reset_to(self, position: Position, logic_id: int, term: int, padded: str | None = None) -> None:
        """Start this binlog over at ``position``, its next item numbered ``logic_id + 1``: a
        slave that loaded its master's snapshot taken at ``position`` keeps its binlog
        byte-aligned with the master's (Pika's SetProducerStatus). Every file is removed and
        ``write2file<filenum>`` is recreated holding only kBadRecord padding up to the offset:
        ``padded``, a file of this directory :func:`write_padding_file` made for that offset,
        is moved into place instead of writing the padding now."""
        _padding(position.offset)  # refuses an offset no item can start at, before anything changes
        prepared = padded is not None and os.path.isfile(padded) and os.path.getsize(padded) == position.offset
        with self._file_lock:
            os.close(self._file)
            for number in file_numbers(self.directory):
                os.unlink(file_path(self.directory, number))
            path = file_path(self.directory, position.filenum)
            if prepared:
                os.replace(padded, path)
            else:
                write_padding_file(path, position.offset)
            self._file = _open_for_append(path)
            self.position = self._placed = position
            self._latest = None
            self.logic_id = self._logic_id_placed = logic_id
            self.term = self.last_item_term = term
            self._write_manifest()
            os.fsync(self._manifest)

    def size(self) -> int:
        """Bytes in all this binlog's files (INFO's log_size)."""
        return sum(os.path.getsize(file_path(self.directory, number)) for number in file_numbers(self.directory))

    def close(self) -> None:
        with self._file_lock:
            try:
                self._write_manifest()
            finally:
                os.close(self._file)
                os.close(self._manifest)


class Mark(NamedTuple):
    """A binlog's written position, logic id and last item's term at one moment."""

    position: Position
    logic_id: int
    last_item_term: int


def _open_for_append(path: str) -> int:
    """A write descriptor on a binlog file (created if missing); bytes go where
    :func:`_write_all` puts them, never through a buffer."""
    return os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)


def _write_all(descriptor: int, data: bytes, offset: int) -> None:
    """``pwrite`` all of ``data`` at ``offset`` (a regular file may take it in several calls;
    the first takes it all but for a signal or a huge batch, so the rest is a view only then)."""
    written = os.pwrite(descriptor, data, offset)
    if written == len(data):
        return
    view = memoryview(data)[written:]
    offset += written
    while view:
        written = os.pwrite(descriptor, view, offset)
        view = view[written:]
        offset += written
