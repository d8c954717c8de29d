"""Full sync, round 4 of issue #16: the binlogs' padding written while the snapshot's files come
(and moved into place by the load), and the whole-file check computed from the chunks as they
are written (a file is read back only when its chunks came out of order or it was resumed)."""

from __future__ import annotations

import asyncio
import os

import pytest

from pypika_store.binlog import BinlogWriter, Position
from pypika_store.binlog.reader import file_numbers
from pypika_store.binlog.writer import write_padding_file
from pypika_store.engine import Engine
from pypika_store.replication import fetcher
from pypika_store.replication.fetcher import FullSyncError
from pypika_store.snapshot import take_snapshot
from pypika_store.sync_load import PADDING_PREFIX, load_snapshot, plan_padding, write_padding

from .test_full_sync import CorruptingLink, _fetch, master  # noqa: F401 (master: the module's fixture)


def _binlog_bytes(directory: str) -> dict[int, bytes]:
    result = {}
    for number in file_numbers(directory):
        with open(os.path.join(directory, f"write2file{number}"), "rb") as handle:
            result[number] = handle.read()
    return result


@pytest.mark.parametrize("prepared_size", ["right", "wrong"])
def test_a_prepared_padding_file_is_moved_into_place(tmp_path, prepared_size):
    """reset_to with a prepared file leaves the same bytes as writing the padding itself; a
    file of another size is not used (the padding is written as before)."""
    offset = 3 * 65536 + 100
    reference, prepared = (BinlogWriter(str(tmp_path / name), file_size=1 << 20) for name in ("reference", "prepared"))
    for writer in (reference, prepared):
        writer.append([[b"SET", b"a", b"1"]])
    reference.reset_to(Position(2, offset), logic_id=9, term=1)
    padding = str(tmp_path / "prepared" / f"{PADDING_PREFIX}{offset}")
    write_padding_file(padding, offset if prepared_size == "right" else offset - 100)
    prepared.reset_to(Position(2, offset), logic_id=9, term=1, padded=padding)
    assert os.path.exists(padding) == (prepared_size == "wrong")
    for writer in (reference, prepared):
        ((start, _end, logic_id),) = writer.append([[b"SET", b"b", b"2"]])
        assert (start, logic_id) == (Position(2, offset), 10)
        writer.close()
    assert _binlog_bytes(str(tmp_path / "reference")) == _binlog_bytes(str(tmp_path / "prepared"))


def _engine(path: str) -> Engine:
    return Engine(os.path.join(path, "db"), databases=2, map_size=1 << 30, binlog_path=os.path.join(path, "log"))


def test_the_load_uses_the_padding_written_ahead(tmp_path):
    """plan_padding + write_padding (a worker thread's job during the fetch) prepare exactly the
    files the load moves into place: the binlogs end as a load without them leaves them, the
    files are consumed, and leftovers of an earlier attempt are removed."""
    master = _engine(str(tmp_path / "master"))
    for number in range(3000):
        master.keyspaces[0].set_string(b"key:%d" % number, b"v" * 50)
        master.log_changes()
    master.end_turn()
    snapshot = take_snapshot(master, str(tmp_path / "dump"), "127.0.0.1", 1)
    positions = [[p.index, p.binlog.filenum, p.binlog.offset, p.logic_id, p.term] for p in snapshot.positions]
    master.close()
    assert positions[0][2] > 65536 and positions[1][2] == 0  # DB 1 is empty: its binlog is not reset

    plain, ahead = _engine(str(tmp_path / "plain")), _engine(str(tmp_path / "ahead"))
    try:
        load_snapshot(plain, snapshot.path, positions)
        leftover = os.path.join(ahead.binlogs[1].directory, f"{PADDING_PREFIX}12345")
        write_padding_file(leftover, 12345)
        plan = plan_padding(ahead, positions)
        assert set(plan.files) == {0}
        write_padding(plan)
        assert not os.path.exists(leftover) and os.path.getsize(plan.paths[0]) == positions[0][2]
        load_snapshot(ahead, snapshot.path, positions, plan.paths)
        assert not os.path.exists(plan.paths[0])
        for db in range(2):
            assert _binlog_bytes(plain.binlogs[db].directory) == _binlog_bytes(ahead.binlogs[db].directory)
            assert ahead.binlogs[db].position == plain.binlogs[db].position == Position(*positions[db][1:3])
            assert not [name for name in os.listdir(ahead.binlogs[db].directory) if name.startswith(PADDING_PREFIX)]
    finally:
        plain.close()
        ahead.close()


@pytest.fixture
def file_reads(monkeypatch) -> list[str]:
    """The files the fetch's whole-file check reads back."""
    reads: list[str] = []
    original = fetcher.file_crc32c

    def counted(path: str) -> int:
        reads.append(os.path.basename(path))
        return original(path)

    monkeypatch.setattr(fetcher, "file_crc32c", counted)
    return reads


def test_a_clean_fetch_checks_its_files_without_reading_them_back(master, tmp_path, file_reads):  # noqa: F811
    _fetch(master, str(tmp_path))
    assert file_reads == []


class SecondChunkCorruptingLink(CorruptingLink):
    """Corrupts data.mdb's second chunk only (the chunk replies come in listing order: the two
    DBs' info files, then data.mdb's chunks)."""

    def __init__(self, link) -> None:
        super().__init__(link, times=1)
        self._replies_before = 4

    async def read(self, timeout: float | None = None) -> object:
        self._replies_before -= 1
        if self._replies_before:
            return await self._link.read(timeout)
        return await super().read(timeout)


def test_a_chunk_fetched_again_has_its_file_read_back(master, tmp_path, file_reads):  # noqa: F811
    """A corrupt chunk is fetched again after the chunks in flight behind it: that file's
    chunks came out of order, so its check reads it from disk (and it passes). A file's
    only chunk fetched again comes in order: no read back (test_full_sync's corrupted chunk)."""
    links = []

    def corrupting(link):
        links.append(SecondChunkCorruptingLink(link))
        return links[-1]

    _fetch(master, str(tmp_path), link_factory=corrupting)
    assert links[0].corrupted == 1 and file_reads == ["data.mdb"]


class WrongListingLink:
    """A link whose snapshot listing gives data.mdb a wrong CRC-32C."""

    def __init__(self, link) -> None:
        self._link = link

    def __getattr__(self, name: str):
        return getattr(self._link, name)

    async def call(self, *args, **options) -> object:
        reply = await self._link.call(*args, **options)
        if args[:2] == ("PIKAREPL", "SNAPSHOT"):
            uuid, positions, files = reply
            reply = [uuid, positions, [[name, size, crc ^ 1 if name == b"lmdb/data.mdb" else crc]
                                       for name, size, crc in files]]
        return reply


def test_chunks_that_do_not_add_up_to_the_listed_file_fail_the_fetch(master, tmp_path, file_reads):  # noqa: F811
    """Every chunk passes its own check, but together they are not the file the listing
    describes: the running CRC-32C tells, each round, and the fetch fails."""
    with pytest.raises(FullSyncError, match="still damaged"):
        _fetch(master, str(tmp_path), link_factory=WrongListingLink)
    assert file_reads == []


@pytest.mark.parametrize("with_ttl", [(), (b"key:7",), (b"L" * 600,), (b"key:7", b"L" * 600)])
def test_the_expiry_index_rebuilt_from_lmdb_holds_exactly_the_keys_with_a_ttl(tmp_path, with_ttl):
    """The rebuild (after a full sync's load, at start) first reads the values alone to see
    whether any key has a TTL; keys longer than LMDB's key limit (their values wrapped) and
    plain ones are found either way."""
    engine = Engine(str(tmp_path), databases=1, map_size=1 << 30)
    try:
        keyspace = engine.keyspaces[0]
        for key in [b"key:%d" % number for number in range(50)] + [b"L" * 600, b"M" * 700]:
            keyspace.set_string(key, b"v", expire_at_ms=4_000_000_000_000 if key in with_ttl else 0)
        engine.changes.clear()
        engine.end_turn()
        keyspace.rebuild_expiry_index()
        assert len(keyspace.expiry) == len(with_ttl)
        assert sorted(keyspace.expiry.due(4_000_000_000_000, 10)) == sorted(with_ttl)
    finally:
        engine.close()


def test_padding_no_load_took_is_removed(tmp_path):
    """A full sync that stops before its load (SLAVEOF NO ONE, a cut link, a failed fetch)
    leaves no padding file behind, even one still being written when it stopped."""
    from pypika_store.replication.slave import _PaddingWriter

    engine = _engine(str(tmp_path))
    positions = [[0, 0, 40 * 65536, 7, 0], [1, 0, 0, 0, 0]]

    async def stopped_early() -> None:
        padding = _PaddingWriter(engine)
        padding.start(positions)
        padding.discard()  # still writing: removed when it is done
        await padding.files(positions)
        await asyncio.sleep(0)

    try:
        asyncio.run(stopped_early())
        assert not [name for name in os.listdir(engine.binlogs[0].directory) if name.startswith(PADDING_PREFIX)]
    finally:
        engine.close()
