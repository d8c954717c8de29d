"""Issue #16's replication changes: the slave's batched apply (runs of consecutive items), the
item decoder, the TrySync boundary check that scans one block, and the full sync's progress
and phases in INFO and the log."""

from __future__ import annotations

import crcmod.predefined
import pytest
from redis.exceptions import TryAgainError

from pypika_store.binlog import BinlogReader, BinlogWriter, Position
from pypika_store.binlog.format import BLOCK_SIZE, BinlogItem, CorruptRecord, decode_command, encode_command
from pypika_store.binlog.reader import file_path, scan_file
from pypika_store.engine import Engine
from pypika_store.replication import checksums, frames
from pypika_store.replication import master as master_module
from pypika_store.replication.fetcher import SYNC_PHASES, SyncProgress
from pypika_store.replication.frames import BinlogMessage, CorruptFrame, item_command
from pypika_store.testing import PikaServer

from .support import wait_until
from .test_replication import converged


# -- the item decoder ------------------------------------------------------------------------


def _pushed(content: bytes, logic_id: int = 7, term: int = 2, header_logic_id: int | None = None) -> BinlogMessage:
    item = BinlogItem(0, term, logic_id if header_logic_id is None else header_logic_id, 0, 0, content)
    return BinlogMessage(0, Position(0, 0), logic_id, term, item.encode())


@pytest.mark.parametrize("argv", [[b"set", b"k", b"v"], [b"del"], [b"hset", b"h", b"", b"\r\n" * 50],
                                  [b"x" * 70_000, b"y"], [b"a"] * 300])
def test_item_command_reads_what_decode_command_reads(argv):
    content = encode_command(argv)
    assert item_command(_pushed(content)) == decode_command(content) == argv


@pytest.mark.parametrize("content", [b"", b"+OK\r\n", b"$1\r\na\r\n", b"*1\r\n:1\r\n", b"*1\r\n*1\r\n$1\r\na\r\n",
                                     b"*1\r\n$1\r\nab\r\n", b"*2\r\n$1\r\na\r\n",
                                     b"\x00junk", encode_command([b"set", b"k", b"v"]) + b"*"])
def test_item_command_refuses_what_is_not_one_command(content):
    with pytest.raises(CorruptRecord):
        item_command(_pushed(content))
    assert item_command(_pushed(encode_command([b"get", b"k"]))) == [b"get", b"k"]  # a refusal leaves it usable


def test_item_command_refuses_a_header_the_frame_contradicts():
    content = encode_command([b"set", b"k", b"v"])
    for pushed in (_pushed(content, header_logic_id=8), _pushed(content)._replace(term=3),
                   _pushed(content)._replace(payload=_pushed(content).payload[:20]),
                   _pushed(content)._replace(payload=_pushed(content).payload + b"x")):
        with pytest.raises(CorruptFrame):
            item_command(pushed)


# -- TrySync's boundary check ------------------------------------------------------------------


def _full_scan(directory: str, position: Position):
    """What the boundary check found before: the item ending at ``position``, scanning from 0."""
    with open(file_path(directory, position.filenum), "rb") as handle:
        data = handle.read(position.offset)
    found = None
    for _start, end, payload in scan_file(data, 0, checked=True):
        if end == position.offset:
            found = payload
    return found


def test_the_item_ending_at_a_position_is_found_from_its_block(tmp_path):
    directory = str(tmp_path / "binlog")
    writer = BinlogWriter(directory)
    sizes = [10, 3 * BLOCK_SIZE, 200, BLOCK_SIZE - 30, 5, 2 * BLOCK_SIZE + 7, 40] * 3
    for number, size in enumerate(sizes):
        writer.write(writer.prepare([[b"set", b"k%d" % number, b"v" * size]], 0))
    writer.close()
    ends = [end.offset for _start, end, _item in BinlogReader(directory).items()]
    probes = ends + [end - 1 for end in ends] + [end + 3 for end in ends[:-1]] + [BLOCK_SIZE, 2 * BLOCK_SIZE]
    with open(file_path(directory, 0), "rb") as handle:
        for offset in probes:
            item = master_module._item_ending_at(handle, offset)
            assert (item.encode() if item else None) == _full_scan(directory, Position(0, offset))
    assert sum(master_module._item_ending_at(open(file_path(directory, 0), "rb"), end) is not None
               for end in ends) == len(ends)


# -- the apply loop and the full sync's progress ---------------------------------------------------


def test_a_slave_keeps_up_through_runs_of_several_dbs_and_duplicates(tmp_path):
    """Batches mixing DBs (a run ends at each switch) and items re-sent after a reconnect
    (duplicates end a run) leave the slave equal to the master."""
    with PikaServer(data_dir=str(tmp_path / "m")) as master, PikaServer(data_dir=str(tmp_path / "s")) as slave:
        m, s = master.client(), slave.client()
        s.slaveof(master.host, master.port)
        wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link")
        pipe = m.pipeline(transaction=False)
        for number in range(3000):
            pipe.execute_command("SELECT", number % 3)
            pipe.set(f"k{number}", number)
            pipe.incr("counter")
        pipe.execute()
        s.execute_command("CLIENT", "KILL", "TYPE", "master")  # reconnects, TrySyncs from its position
        for db in range(3):
            m.execute_command("SELECT", db)
            m.rpush("list", *range(50))
        for db in range(3):
            m.execute_command("SELECT", db)
            s.execute_command("SELECT", db)
            wait_until(lambda: converged(m, s), timeout=30, what=f"db{db} to converge")
        assert s.info("replication")["repl_full_syncs"] == 1


def test_full_sync_progress_and_phases_in_info_and_the_log(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m")) as master:
        m = master.client()
        pipe = m.pipeline(transaction=False)
        for number in range(20_000):
            pipe.set(f"bulk:{number}", "x" * 100)
        pipe.execute()
        with PikaServer(data_dir=str(tmp_path / "s"), mode="process",
                        config={"throttle-bytes-per-second": 1_500_000, "repl-chunk-size": 65536}) as slave:
            s = slave.client()
            s.slaveof(master.host, master.port)
            # A percentage past 0.00: the first chunk may be a file of a few hundred bytes (0.005 %).
            wait_until(lambda: float(s.info("replication").get("master_sync_perc", 0)) > 0, timeout=30,
                       what="the transfer to start")
            info = s.info("replication")
            assert info["master_sync_in_progress"] == 1 and info["master_sync_phase"] == "fetch", info
            total, read = info["master_sync_total_bytes"], info["master_sync_read_bytes"]
            assert 0 < read < total and info["master_sync_left_bytes"] == total - read
            assert 0 < float(info["master_sync_perc"]) < 100
            assert 0 <= info["master_sync_read_files"] < info["master_sync_total_files"]
            assert info["master_sync_rate_bytes_per_sec"] > 0 and info["master_sync_eta_seconds"] >= 0
            assert 0 <= info["master_sync_last_io_seconds_ago"] <= 5, info  # a chunk came just now (a busy machine may lag)
            wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=60, what="the full sync")
            info = s.info("replication")
            assert "master_sync_total_bytes" not in info and converged(m, s)
            phases = info["repl_last_full_sync_phases"]
            assert list(phases) == list(SYNC_PHASES) and phases["fetch"] > 0.5  # throttled
            assert float(info["repl_last_full_sync_seconds"]) == pytest.approx(sum(phases.values()), abs=0.01)
            with open(slave.log_path, encoding="utf-8") as handle:
                log_text = handle.read()
            assert "full sync: " in log_text and "MB/s, ETA" in log_text
            assert "full sync of" in log_text and "fetch " in log_text


def test_sync_progress_counts_phases_rate_and_eta():
    progress = SyncProgress()
    progress.enter("fetch")
    progress.begin(total=1000, resumed=200, files=4, resumed_files=1)
    assert progress.percent() == 20 and progress.left_bytes == 800
    progress.started_at -= 2
    progress.add(400)
    assert progress.bytes_per_second() == pytest.approx(200, rel=0.05)
    assert progress.eta_seconds() == pytest.approx(2, rel=0.05)
    progress.enter("load")
    phases = progress.finish()
    assert list(phases) == list(SYNC_PHASES) and phases["connect"] == 0 and phases["fetch"] >= 0


def test_the_served_copy_is_prepared_once_the_bgsave_ends_without_another_request(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "m")) as master:
        client = master.client()
        client.set("k", "v")
        with pytest.raises(TryAgainError):  # starts the bgsave
            client.execute_command("PIKAREPL", "SNAPSHOT")
        wait_until(lambda: master.server.snapshot_service.served is not None, timeout=30,
                   what="the served copy, with no request after the first")
        uuid = client.execute_command("PIKAREPL", "SNAPSHOT")[0]
        assert uuid.decode() == master.server.snapshot_service.served.uuid


def test_the_expiry_index_rebuilt_from_lmdb_holds_long_and_short_keys(tmp_path):
    """rebuild_expiry_index (a full sync's load, a start) reads entries in stored order: a long
    key's cut entry is unwrapped to its whole key."""
    engine = Engine(str(tmp_path / "data"), databases=1)
    try:
        db = engine.keyspaces[0]
        long_key = b"L" * 2000
        db.set_string(b"short", b"v", expire_at_ms=10_000)
        db.set_string(long_key, b"v", expire_at_ms=20_000)
        db.set_string(b"forever", b"v")
        engine.log_changes()
        engine.end_turn()
        db.expiry.clear()
        db.rebuild_expiry_index()
        assert db.expiry.due(30_000, 10) == [b"short", long_key] and db.expiry.due(15_000, 10) == [b"short"]
    finally:
        engine.close()


def test_the_hardware_crc32c_matches_crcmods():
    """Nodes with and without the crc32c package check each other's chunks and frames."""
    crcmod_crc32c = crcmod.predefined.mkCrcFun("crc-32c")
    data = bytes(range(256)) * 300 + b"tail"
    assert checksums.crc32c(data) == crcmod_crc32c(data) and checksums.crc32c(b"") == crcmod_crc32c(b"") == 0
    assert checksums.crc32c(data[1000:], checksums.crc32c(data[:1000])) == crcmod_crc32c(data)


@pytest.mark.parametrize("content", [encode_command([b"set", b"k", b"v"]), encode_command([]), b"*1\r\n:1\r\n",
                                     encode_command([b"a"]) + b"x", b"*2\r\n$1\r\na\r\n"])
def test_the_fallback_content_reader_agrees_with_hiredis(content):
    """frames' pure-Python path (no hiredis) reads and refuses what the hiredis path does."""
    payload = BinlogItem(0, 0, 1, 0, 0, content).encode()
    results = []
    for reader in (frames._hiredis_command_reader(), frames._decode_content):
        try:
            results.append(reader(payload))
        except CorruptRecord:
            results.append("refused")
    assert results[0] == results[1]
