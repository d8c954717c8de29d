"""Pika's SCANX, HSCANX, COMPACT, COMPACTRANGE, CLEARREPLICATIONID, DISKRECOVERY, CACHE and
CLEARCACHE, with Pika 4.0's replies and errors (its storage's counting rules included)."""

from __future__ import annotations

import pytest
import redis

from pypika_store.testing import PikaServer

from .support import wait_until

LETTERS = "ACEGIKMOQS"


def _keys(letters: str) -> list[bytes]:
    return [f"PK_{letter}".encode() for letter in letters]


@pytest.fixture
def letters(r):
    r.mset({f"PK_{letter}": "VALUE" for letter in LETTERS})
    r.mset({"other": "1", "PK_hash": "no"})
    r.hset("PK_H", "f", "v")  # a hash among the strings: SCANX string never lists it
    return r


@pytest.mark.parametrize("args, expected", [
    (("", "COUNT", "3"), [b"PK_G", _keys("ACE")]),
    (("",), [b"PK_hash", _keys(LETTERS)]),  # COUNT 10 by default; the hash is not counted
    (("PK_F", "COUNT", "2"), [b"PK_K", _keys("GI")]),
    (("", "MATCH", "PK_*", "COUNT", "100"), [b"", _keys(LETTERS) + [b"PK_hash"]]),
    (("", "MATCH", "PK_*", "COUNT", "2"), [b"PK_E", _keys("AC")]),
    (("", "MATCH", "PK_[AC]", "COUNT", "1"), [b"PK_C", _keys("A")]),  # only matching keys count
    (("PK_T", "count", "5", "match", "*"), [b"", [b"PK_hash", b"other"]]),
])
def test_scanx_counts_matching_keys_of_its_type(letters, args, expected):
    assert letters.execute_command("SCANX", "string", *args) == expected


def test_scanx_of_other_types_and_errors(letters):
    assert letters.execute_command("SCANX", "HASH", "") == [b"", [b"PK_H"]]
    assert letters.execute_command("SCANX", "zset", "") == [b"", []]
    for args, error in [(("nosuch", ""), "invalid DB for 'scanx'"),
                        (("string", "", "COUNT", "0"), "value is not an integer"),
                        (("string", "", "COUNT", "x"), "value is not an integer"),
                        (("string", "", "MATCH"), "syntax error"), (("string", "", "LIMIT", "1"), "syntax error"),
                        (("string",), "wrong number of arguments for 'scanx'")]:
        with pytest.raises(redis.ResponseError, match=error):
            letters.execute_command("SCANX", *args)


def test_hscanx_counts_every_field_scanned(r):
    r.hset("h", mapping={f"f{number}": f"v{number}" for number in range(1, 6)})
    r.set("s", "x")
    assert r.execute_command("HSCANX", "h", "", "COUNT", "2") == [b"f3", [b"f1", b"v1", b"f2", b"v2"]]
    assert r.execute_command("HSCANX", "h", "f2", "MATCH", "*[24]", "COUNT", "3") == [b"f5", [b"f2", b"v2", b"f4", b"v4"]]
    all_fields = [part for number in range(1, 6) for part in (f"f{number}".encode(), f"v{number}".encode())]
    assert r.execute_command("HSCANX", "h", "") == [b"", all_fields]
    assert r.execute_command("HSCANX", "h", "f3", "COUNT", "0") == [b"f3", []]
    assert r.execute_command("HSCANX", "nosuch", "") == [b"", []]
    for args, error in [(("h", "", "COUNT", "-1"), "syntax error"), (("h", "", "COUNT", "x"), "value is not an integer"),
                        (("h", "", "NOSUCH", "1"), "syntax error"), (("s", ""), "WRONGTYPE")]:
        with pytest.raises(redis.ResponseError, match=error):
            r.execute_command("HSCANX", *args)


def test_compact_and_compactrange_check_db_names_and_succeed(r):
    for call in [("COMPACT",), ("COMPACT", "db0"), ("COMPACT", "db0,db1"), ("COMPACT", "db0", "extra"),
                 ("COMPACTRANGE", "db0", "a", "z"), ("COMPACTRANGE", "db0,db15", "", "")]:
        assert r.execute_command(*call) == b"OK", call
    for call, error in [(("COMPACT", "db16"), "invalid DB for 'db16'"), (("COMPACT", "db0,x"), "invalid DB for 'x'"),
                        (("COMPACT", "a", "b", "c"), "wrong number of arguments for 'compact'"),
                        (("COMPACTRANGE", "db99", "a", "b"), "invalid DB for 'db99'"),
                        (("COMPACTRANGE", "db0", "a"), "wrong number of arguments for 'compactrange'")]:
        with pytest.raises(redis.ResponseError, match=error):
            r.execute_command(*call)


def test_cache_commands_answer_as_pika_without_a_cache(r):
    for call in [("CACHE", "CLEAR", "DB"), ("CACHE", "clear", "hitratio"), ("CACHE", "DEL", "a", "b"), ("CLEARCACHE",)]:
        assert r.execute_command(*call) == b"OK", call
    assert r.execute_command("CACHE", "RANDOMKEY") is None
    for call in [("CACHE", "CLEAR"), ("CACHE", "DEL"), ("CACHE", "RANDOMKEY", "x"), ("CACHE", "NOSUCH")]:
        with pytest.raises(redis.ResponseError, match="Unknown cache subcommand or wrong # of args."):
            r.execute_command(*call)


def test_diskrecovery_succeeds_with_free_disk(r):
    assert r.execute_command("DISKRECOVERY") == b"OK"


def _resync(master, slave, value: str) -> int:
    """Detach the slave, write on the master, re-attach: how many full syncs that took."""
    slave.slaveof()
    master.set("k", value)
    slave.slaveof("127.0.0.1", master.connection_pool.connection_kwargs["port"])
    # The new link must be up: the old one may still have delivered the write before it closed.
    wait_until(lambda: slave.info("replication").get("master_link_status") == "up"
               and slave.get("k") == value.encode(), timeout=30, what="the slave to catch up")
    return slave.info("replication")["repl_full_syncs"]


def test_clearreplicationid_makes_a_slaves_next_sync_full(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "master")) as master, PikaServer(data_dir=str(tmp_path / "slave")) as slave:
        master_client, slave_client = master.client(), slave.client()
        master_client.set("k", "0")
        slave_client.slaveof("127.0.0.1", master.port)
        wait_until(lambda: slave_client.get("k") == b"0", timeout=30, what="the first sync")
        assert _resync(master_client, slave_client, "1") == 0  # same replication id: partial
        assert slave_client.execute_command("CLEARREPLICATIONID") == b"OK"
        assert slave_client.info("replication")["ReplicationID"] in ("", None)
        assert _resync(master_client, slave_client, "2") == 1
        assert slave_client.execute_command("DEBUG", "DIGEST") == master_client.execute_command("DEBUG", "DIGEST")
