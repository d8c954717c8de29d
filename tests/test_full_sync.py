"""Full sync: the master's file service (PIKAREPL SNAPSHOT / FILE), the slave's resumable,
verified fetch, loading a fetched snapshot into a live engine, and binlog reset_to."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import time

import pytest
import redis
from redis.exceptions import TryAgainError

from pypika_store import sync_load
from pypika_store.binlog import BinlogReader, BinlogWriter, Position
from pypika_store.binlog.format import BLOCK_SIZE
from pypika_store.binlog.reader import file_numbers
from pypika_store.binlog.writer import read_manifest
from pypika_store.digest import dataset_digest
from pypika_store.engine import Engine
from pypika_store.replication.checksums import crc32c, file_crc32c
from pypika_store.replication.fetcher import FullSyncError, SyncProgress, fetch_snapshot
from pypika_store.replication.link import MasterLink
from pypika_store.replication.snapshot_service import SERVED_PREFIX, SnapshotService
from pypika_store.sync_load import SnapshotLoadError, load_snapshot
from pypika_store.testing import PikaServer

from .support import wait_until

CHUNK = 64 * 1024
MASTER_CONFIG = {"databases": 2, "repl-chunk-size": CHUNK}


def _fill(client: redis.Redis) -> None:
    """A few thousand keys of several types in two DBs, some with a TTL."""
    for db, strings in ((0, 2500), (1, 1200)):
        client.execute_command("SELECT", db)
        pipe = client.pipeline(transaction=False)
        for number in range(strings):
            pipe.set(f"s{number}", f"value-{number}-" + "x" * (number % 40))
        for number in range(60):
            pipe.hset(f"h{number}", mapping={f"f{field}": field * number for field in range(25)})
            pipe.rpush(f"l{number}", *[f"e{element}" for element in range(30)])
            pipe.zadd(f"z{number}", {f"m{member}": member / 7 for member in range(25)})
            pipe.expire(f"s{number}", 3600)
        pipe.execute()
    client.execute_command("SELECT", 0)


@pytest.fixture(scope="module")
def master():
    with PikaServer(config=MASTER_CONFIG) as server:
        client = server.client()
        _fill(client)
        client.close()
        yield server


def _listing(client: redis.Redis) -> list:
    """PIKAREPL SNAPSHOT, waiting through TRYAGAIN."""
    def ask():
        try:
            return client.execute_command("PIKAREPL", "SNAPSHOT")
        except TryAgainError:  # redis-py's name for a -TRYAGAIN reply
            return None
    return wait_until(ask, timeout=20, what="a snapshot listing")


def _bgsave(client: redis.Redis) -> None:
    before = client.lastsave()
    client.bgsave()
    wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
    assert client.info("persistence")["rdb_last_bgsave_status"] == "ok" and client.lastsave() >= before


async def _open(server: PikaServer) -> MasterLink:
    return await MasterLink.open("127.0.0.1", server.port, 5)


def _fetch(server: PikaServer, root: str, throttle: int = 0, link_factory=None,
           progress: SyncProgress | None = None) -> tuple[str, list, SyncProgress, int]:
    """fetch_snapshot on a fresh link: the folder, the positions, the progress, bytes received."""
    progress = progress or SyncProgress()

    async def run():
        link = await _open(server)
        wrapped = link_factory(link) if link_factory else link
        try:
            folder, positions = await fetch_snapshot(wrapped, root, CHUNK, 4, throttle, progress)
        finally:
            link.close()
        return folder, positions, link.bytes_received

    folder, positions, received = asyncio.run(run())
    return folder, positions, progress, received


def _fetch_cancelled(server: PikaServer, root: str, fraction: float) -> SyncProgress:
    """Start a fetch and cancel it once ``fraction`` of the bytes arrived: the master holds the
    transfer there (CHAOS SYNC STALL), where a throttled transfer could end before a loaded
    machine ran the loop watching it."""
    progress = SyncProgress()

    async def run():
        link = await _open(server)
        task = asyncio.create_task(fetch_snapshot(link, root, CHUNK, 4, 0, progress))
        while not (progress.total_bytes and progress.received_bytes >= int(fraction * progress.total_bytes)):
            assert not task.done()
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        link.close()

    with server.full_sync.stall(fraction=fraction):
        asyncio.run(run())
    return progress


def _files_match_listing(folder: str, listing_files: dict[str, tuple[int, int]]) -> bool:
    return all(file_crc32c(os.path.join(folder, name)) == crc and os.path.getsize(os.path.join(folder, name)) == size
               for name, (size, crc) in listing_files.items())


@pytest.fixture(scope="module")
def fetched(master, tmp_path_factory):
    """One complete fetch of the master's snapshot, with the master's digest of that data."""
    root = str(tmp_path_factory.mktemp("fetched"))
    folder, positions, progress, _received = _fetch(master, root)
    digest = master.client().execute_command("DEBUG", "DIGEST")
    return folder, positions, progress, digest.decode() if isinstance(digest, bytes) else digest


# -- the master's file service -----------------------------------------------------------------


def test_snapshot_answers_tryagain_then_a_listing(tmp_path):
    with PikaServer(data_dir=str(tmp_path), config=MASTER_CONFIG) as server:
        client = server.client()
        client.set("k", "v")
        client.execute_command("SELECT", 1)
        client.rpush("list", "a", "b")
        with pytest.raises(TryAgainError):
            client.execute_command("PIKAREPL", "SNAPSHOT")
        uuid, positions, files = _listing(client)
        assert len(uuid) == 40 and int(uuid, 16) >= 0
        assert [position[0] for position in positions] == [0, 1]
        assert [position[3] for position in positions] == [1, 1]  # one write in each DB
        assert all(position[1] == 0 and position[2] > 0 for position in positions)
        names = {name.decode(): (size, crc) for name, size, crc in files}
        assert set(names) == {"lmdb/data.mdb", "db0/info", "db1/info"}
        folder = os.path.join(server.data_dir, "dump", SERVED_PREFIX + uuid.decode())
        assert _files_match_listing(folder, names)
        assert client.execute_command("PIKAREPL", "SNAPSHOT")[0] == uuid  # served again, no new bgsave
        service = server.server.snapshot_service
        assert isinstance(service, SnapshotService)
        assert service.held_positions() == [0, 0]


def test_one_bgsave_serves_concurrent_requests(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="pypika_store.server")
    with PikaServer(data_dir=str(tmp_path), config=MASTER_CONFIG) as server:
        clients = [server.client() for _ in range(3)]
        clients[0].set("k", "v")
        with pytest.raises(TryAgainError):  # no snapshot yet: one is started
            clients[0].execute_command("PIKAREPL", "SNAPSHOT")
        for client in clients[1:]:  # asking meanwhile starts no other (it may even be done)
            try:
                client.execute_command("PIKAREPL", "SNAPSHOT")
            except TryAgainError:
                pass
        uuids = {_listing(client)[0] for client in clients}
        assert len(uuids) == 1
    assert [record.getMessage() for record in caplog.records].count("Background saving started") == 1


def test_file_chunks_verify(master):
    client = master.client()
    uuid, _positions, files = _listing(client)
    size, crc = next((size, crc) for name, size, crc in files if name == b"lmdb/data.mdb")
    assert size > 4 * CHUNK
    data = b""
    while len(data) < size:
        chunk, chunk_crc = client.execute_command("PIKAREPL", "FILE", uuid, "lmdb/data.mdb", len(data), 1 << 20)
        assert 0 < len(chunk) <= CHUNK and crc32c(chunk) == chunk_crc  # capped at repl-chunk-size
        data += chunk
    assert len(data) == size and crc32c(data) == crc
    assert client.execute_command("PIKAREPL", "FILE", uuid, "lmdb/data.mdb", size, 10) == [b"", 0]


@pytest.mark.parametrize("args, error", [
    (("0" * 40, "lmdb/data.mdb", 0, 10), "STALE"),
    (("{uuid}", "../../../etc/passwd", 0, 10), "no such file"),
    (("{uuid}", "lmdb/../db0/info", 0, 10), "no such file"),
    (("{uuid}", "db0/info", -1, 10), "offset"),
    (("{uuid}", "db0/info", 0, "x"), "value is not an integer"),
])
def test_file_refuses_bad_requests(master, args, error):
    """(redis-py drops the ERR prefix of error replies.)"""
    client = master.client()
    uuid = _listing(client)[0].decode()
    with pytest.raises(redis.ResponseError, match=f"^{error}"):
        client.execute_command("PIKAREPL", "FILE", *(str(arg).format(uuid=uuid) for arg in args))


# -- fetching ----------------------------------------------------------------------------------


def test_fetch_downloads_a_verified_snapshot(master, fetched):
    folder, positions, progress, _digest = fetched
    listing = master.server.snapshot_service.served
    assert os.path.basename(folder) == listing.uuid and positions == listing.positions
    assert _files_match_listing(folder, listing.files)
    assert progress.received_bytes == progress.total_bytes == sum(size for size, _crc in listing.files.values())
    assert progress.left_bytes == 0 and progress.eta_seconds() == 0 and progress.resumed_bytes == 0


def test_cut_transfer_resumes_without_refetching(master, tmp_path):
    root = str(tmp_path)
    total = _fetch(master, str(tmp_path / "reference"))[2].total_bytes
    cut = _fetch_cancelled(master, root, fraction=0.4)
    assert 0 < cut.received_bytes < total
    folder, _positions, progress, received = _fetch(master, root)
    assert progress.resumed_bytes >= CHUNK and progress.received_bytes == total
    assert received < total - progress.resumed_bytes + CHUNK  # only the missing part came again
    assert _files_match_listing(folder, master.server.snapshot_service.served.files)


def test_changed_uuid_starts_over(master, tmp_path):
    root = str(tmp_path)
    total = _fetch(master, str(tmp_path / "reference"))[2].total_bytes
    _fetch_cancelled(master, root, fraction=0.4)
    (old_uuid,) = os.listdir(root)
    _bgsave(master.client())
    folder, _positions, progress, received = _fetch(master, root)
    assert os.path.basename(folder) != old_uuid and os.listdir(root) == [os.path.basename(folder)]
    assert progress.resumed_bytes == 0 and received >= progress.total_bytes
    dump = os.path.join(master.data_dir, "dump")
    assert [name for name in os.listdir(dump) if name.startswith(SERVED_PREFIX)] == [SERVED_PREFIX + os.path.basename(folder)]


def test_snapshot_replaced_mid_transfer_restarts_with_the_new_one(master, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="pypika_store.replication")
    root = str(tmp_path)
    client = master.client()
    first_uuid = _listing(client)[0].decode()
    progress = SyncProgress()

    async def run():
        link = await _open(master)
        # The transfer is held past its first chunks until the new snapshot is served: unheld,
        # it could end first (a bgsave on a loaded machine outlasted the whole transfer).
        stall = master.full_sync.stall(at_bytes=2 * CHUNK)
        try:
            task = asyncio.create_task(fetch_snapshot(link, root, CHUNK, 2, 1024 * 1024, progress))
            await asyncio.to_thread(wait_until, lambda: progress.received_bytes > CHUNK)
            await asyncio.to_thread(_bgsave, client)
            await asyncio.to_thread(_listing, client)  # makes the master serve the new snapshot
        finally:
            stall.heal()
        result = await task
        link.close()
        return result

    folder, _positions = asyncio.run(run())
    served = master.server.snapshot_service.served
    assert os.path.basename(folder) == served.uuid != first_uuid
    assert f"full sync: the master replaced snapshot {first_uuid}, starting over" in caplog.messages
    assert _files_match_listing(folder, served.files)


class CorruptingLink:
    """A link whose FILE replies have one byte flipped, ``times`` times."""

    def __init__(self, link: MasterLink, times: int) -> None:
        self._link = link
        self.left = times
        self.corrupted = 0

    def __getattr__(self, name: str):
        return getattr(self._link, name)

    async def read(self, timeout: float | None = None) -> object:
        reply = await self._link.read(timeout)
        if self.left and isinstance(reply, list) and reply[0]:
            data = bytearray(reply[0])
            data[len(data) // 2] ^= 0xFF
            reply = [bytes(data), reply[1]]
            self.left -= 1
            self.corrupted += 1
        return reply


def test_corrupted_chunk_is_fetched_again(master, tmp_path):
    links = []

    def corrupt_once(link):
        links.append(CorruptingLink(link, times=1))
        return links[-1]

    folder, _positions, progress, _received = _fetch(master, str(tmp_path), link_factory=corrupt_once)
    assert links[0].corrupted == 1
    assert _files_match_listing(folder, master.server.snapshot_service.served.files)
    assert progress.received_bytes == progress.total_bytes


def test_chunks_that_keep_failing_fail_the_fetch(master, tmp_path):
    with pytest.raises(FullSyncError, match="bad chunks"):
        _fetch(master, str(tmp_path), link_factory=lambda link: CorruptingLink(link, times=10**9))
    (uuid,) = os.listdir(str(tmp_path))
    journal = os.path.join(str(tmp_path), uuid, ".progress")
    assert not os.path.exists(journal) or not any(json.load(open(journal)).values())  # nothing counts as verified


def test_throttle_is_honoured(master, tmp_path):
    total = _fetch(master, str(tmp_path / "reference"))[2].total_bytes
    rate = int(total / 0.6)
    started = time.monotonic()
    _folder, _positions, progress, _received = _fetch(master, str(tmp_path / "throttled"), throttle=rate)
    assert time.monotonic() - started >= 0.95 * progress.total_bytes / rate


# -- loading -----------------------------------------------------------------------------------


def _engine(path) -> Engine:
    """A live engine with data of its own, to be replaced by the snapshot."""
    engine = Engine(str(path / "db"), databases=2, map_size=1 << 30, binlog_path=str(path / "log"))
    keyspace = engine.keyspaces[1]
    keyspace.set_string(b"old", b"value")
    keyspace.hashes.set_fields(b"old-hash", [(b"f", b"v")])
    engine.log_changes()
    engine.end_turn()
    return engine


def _state(engine: Engine) -> tuple:
    return (dataset_digest(engine.keyspaces), [engine.applied_position(db) for db in range(2)],
            [binlog.position for binlog in engine.binlogs])


def test_load_snapshot_matches_the_master(fetched, tmp_path):
    folder, positions, _progress, master_digest = fetched
    engine = _engine(tmp_path)
    try:
        load_snapshot(engine, folder, positions)
        assert dataset_digest(engine.keyspaces).hex() == master_digest
        for db, filenum, offset, logic_id, term in positions:
            assert engine.applied_position(db) == (Position(filenum, offset), logic_id)
            binlog = engine.binlogs[db]
            assert (binlog.position, binlog.logic_id, binlog.term) == (Position(filenum, offset), logic_id, term)
        assert len(engine.keyspaces[0].expiry) == 60  # the expiry index follows the new data
        keyspace = engine.keyspaces[0]
        keyspace.hashes.set_fields(b"new-hash", [(b"f", b"v")])  # a fresh object id clashes with nothing
        engine.log_changes()
        engine.end_turn()
        assert dict(keyspace.hashes.entries(b"h7")) == {b"f%d" % field: b"%d" % (field * 7) for field in range(25)}
        ((start, _end, item),) = BinlogReader(engine.binlogs[0].directory).items(Position(*positions[0][1:3]))
        assert start == Position(*positions[0][1:3]) and item.logic_id == positions[0][3] + 1
    finally:
        engine.close()


def test_failed_load_leaves_the_data_intact(fetched, tmp_path, monkeypatch):
    folder, positions, _progress, _digest = fetched
    engine = _engine(tmp_path)
    try:
        before = _state(engine)
        truncated = str(tmp_path / "truncated")
        shutil.copytree(folder, truncated)
        data = os.path.join(truncated, "lmdb", "data.mdb")
        os.truncate(data, os.path.getsize(data) // 2)
        with pytest.raises(SnapshotLoadError, match="truncated"):
            load_snapshot(engine, truncated, positions)
        assert _state(engine) == before
        with pytest.raises(SnapshotLoadError, match="DBs"):
            load_snapshot(engine, folder, positions[:1])
        assert _state(engine) == before

        def fail(*args):  # after the tables were replaced, before the commit
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(sync_load, "_replace_system", fail)
        with pytest.raises(RuntimeError, match="disk on fire"):
            load_snapshot(engine, folder, positions)
        assert _state(engine) == before
        assert engine.keyspaces[1].get_string(b"old") == b"value"
    finally:
        engine.close()


# -- binlog reset_to ---------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 8, 1000, BLOCK_SIZE - 3, BLOCK_SIZE, BLOCK_SIZE + 20, 3 * BLOCK_SIZE - 8])
def test_reset_to_pads_so_the_next_item_starts_there(tmp_path, offset):
    directory = str(tmp_path / "log_db0")
    writer = BinlogWriter(directory, file_size=1 << 20)
    writer.append([[b"SET", b"a", b"1"], [b"SET", b"b", b"2"]])
    writer.reset_to(Position(3, offset), logic_id=41, term=2)
    assert file_numbers(directory) == [3] and os.path.getsize(os.path.join(directory, "write2file3")) == offset
    assert read_manifest(directory)[:3] == (Position(3, offset), 41, 2)
    writer.close()
    writer = BinlogWriter(directory, file_size=1 << 20)  # a restart keeps the padding
    assert (writer.position, writer.logic_id, writer.term) == (Position(3, offset), 41, 2)
    ((start, _end, logic_id),) = writer.append([[b"SET", b"c", b"3"]])
    writer.close()
    assert (start, logic_id) == (Position(3, offset), 42)
    items = list(BinlogReader(directory).items(Position(3, 0)))
    assert [(item_start, item.logic_id, item.term_id) for item_start, _end, item in items] == [(start, 42, 2)]
    assert list(BinlogReader(directory).items(start))[0][0] == start


def test_reset_to_refuses_an_offset_no_item_can_start_at(tmp_path):
    writer = BinlogWriter(str(tmp_path), file_size=1 << 20)
    writer.append([[b"SET", b"a", b"1"]])
    with pytest.raises(ValueError):
        writer.reset_to(Position(1, BLOCK_SIZE + 3), 5, 0)
    assert file_numbers(str(tmp_path)) == [0] and writer.logic_id == 1
    writer.close()
