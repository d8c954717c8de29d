"""DUMP/RESTORE between pypika-store servers, and OBJECT's answers compared with redis-server."""

from __future__ import annotations

import pytest
import redis

from pypika_store.testing import PikaServer

from .test_collection_keys import FILL

ENCODINGS = [
    *FILL, ("SET", "int", "12345"), ("SET", "long", "x" * 45), ("SADD", "ints", "1", "2", "-3"),
    ("HSET", "bighash", "f", "x" * 65), ("ZADD", "bigz", "1", "m" * 65), ("SET", "neg", "-0"),
    *[("OBJECT", "ENCODING", key) for key in
      ("h", "l", "s", "z", "x", "str", "int", "long", "ints", "bighash", "bigz", "neg", "missing")],
    ("OBJECT", "REFCOUNT", "missing"), ("OBJECT", "FREQ", "missing"), ("OBJECT", "FOO", "h"), ("OBJECT", "ENCODING"),
    ("DUMP", "missing"), ("RESTORE", "h", "0", "payload"), ("RESTORE", "new", "0", "payload"),
    ("RESTORE", "new", "-1", "payload"), ("RESTORE", "new", "0", "payload", "FREQ", "300"),
    ("RESTORE", "new", "0", "payload", "IDLETIME", "-1"), ("RESTORE", "new", "0", "payload", "FOO"),
]


def test_object_and_restore_errors_match_redis(diff):
    for command in ENCODINGS:
        diff.check(*command)


def test_dump_restore_moves_every_type_between_servers(pika_server, r, tmp_path):
    for command in FILL:
        r.execute_command(*command)
    r.rpush("big", *range(3000))
    r.expire("h", 1000)
    payloads = {key: r.dump(key) for key in r.keys("*")}
    with PikaServer(data_dir=str(tmp_path)) as other:
        target = other.client()
        for key, payload in payloads.items():
            ttl = max(r.pttl(key), 0)
            assert target.restore(key, ttl, payload) == b"OK"
        assert target.execute_command("DEBUG", "DIGEST") == r.execute_command("DEBUG", "DIGEST")
        assert 0 < target.ttl("h") <= 1000
        with pytest.raises(redis.ResponseError, match="BUSYKEY"):
            target.restore("h", 0, payloads[b"h"])
        target.restore("h", 0, payloads[b"l"], replace=True)
        assert target.lrange("h", 0, -1) == [b"a", b"b", b"c"] and target.ttl("h") == -1
        corrupted = payloads[b"z"][:-1] + bytes([payloads[b"z"][-1] ^ 1])
        with pytest.raises(redis.ResponseError, match="checksum"):
            target.restore("z2", 0, corrupted)
        target.restore("gone", 1, payloads[b"s"], absttl=True)
        assert target.exists("gone") == 0
        before = target.execute_command("DEBUG", "DIGEST")
        other.restart()
        assert other.client().execute_command("DEBUG", "DIGEST") == before
