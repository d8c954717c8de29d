"""Micro-benchmarks of the hot paths: parsing, dispatch + group commit, the engine's string ops.

    python -m pytest benchmarks/test_hot_paths.py --benchmark-only
    python -m pytest benchmarks/test_hot_paths.py --benchmark-only --benchmark-compare   # vs a saved run

Each benchmark handles a pipeline of 16 commands, like ``redis-benchmark -P 16``; divide by 16
for the cost of one command. Run before and after a change to a hot path.
"""

from __future__ import annotations

import pytest

from pypika_store.config import Config
from pypika_store.engine import Engine
from pypika_store.server.app import Server
from pypika_store.server.connection import Client
from pypika_store.server.resp.parser import HiredisRequestParser, RequestParser, hiredis
from pypika_store.server.resp.replies import encode

from .write_path import NullTransport

PIPELINE = 16
SET_PIPELINE = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nxxx\r\n" * PIPELINE
GET_PIPELINE = b"*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n" * PIPELINE


def _parse_all(parser, data: bytes) -> int:
    parser.feed(data)
    count = 0
    while parser.gets() is not False:
        count += 1
    return count


@pytest.mark.parametrize("parser_class", [
    RequestParser,
    pytest.param(HiredisRequestParser, marks=pytest.mark.skipif(hiredis is None, reason="hiredis not installed")),
])
def test_parse_set_pipeline(benchmark, parser_class):
    parser = parser_class()
    assert benchmark(_parse_all, parser, SET_PIPELINE) == PIPELINE


def test_encode_replies(benchmark):
    replies = [b"xxx", 42, None, [b"a", b"b", 3]] * 4
    benchmark(lambda: [encode(reply) for reply in replies])


@pytest.fixture
def server(tmp_path):
    server = Server(Config(None, {"db-path": str(tmp_path / "db")}))
    yield server
    server.engine.close()


@pytest.mark.parametrize("pipeline", [SET_PIPELINE, GET_PIPELINE], ids=["set", "get"])
def test_dispatch_and_commit(benchmark, server, pipeline):
    """One turn: parse 16 commands, run them, commit, write the replies."""
    client = Client(server)
    client.connection_made(NullTransport())

    def turn() -> None:
        client.data_received(pipeline)
        server.end_turn()

    benchmark(turn)
    assert client.transport.written > 0


def test_engine_set_get_turn(benchmark, tmp_path):
    engine = Engine(str(tmp_path / "db"), databases=1)
    keyspace = engine.keyspaces[0]
    keys = [b"key:%012d" % i for i in range(PIPELINE)]

    def turn() -> None:
        for key in keys:
            keyspace.set_string(key, b"xxx")
            keyspace.get_string(key)
        engine.end_turn()

    benchmark(turn)
    engine.close()


@pytest.mark.parametrize("batch", [1, 16])
@pytest.mark.parametrize("fsync", [False, True], ids=["no-fsync", "fsync"])
def test_binlog_append(benchmark, tmp_path, batch, fsync):
    """One turn's binlog write: `batch` SET records, one write (and one fsync when asked)."""
    from pypika_store.binlog import BinlogWriter

    writer = BinlogWriter(str(tmp_path / "log_db0"))
    commands = [[b"set", b"key:%012d" % n, b"xxx"] for n in range(batch)]

    def turn() -> None:
        writer.append(commands)
        if fsync:
            writer.sync()

    benchmark(turn)
    writer.close()


def test_cjson_round_trip(benchmark):
    """cjson (server/scripting/libraries: lua-cjson's rules written in Lua) encoding and decoding
    a document of about 3 KB, per round trip (docs/scripting-libraries.md's speed figures)."""
    import lupa.lua51 as lua51

    from pypika_store.server.scripting.libraries import install

    runtime = lua51.LuaRuntime(encoding=None)
    install(runtime)
    round_trips = runtime.execute(
        "local doc = {} for i = 1, 40 do doc['key' .. i] = {id = i, name = 'item ' .. i, tags = {'a', 'b'},"
        " score = i / 7} end local text = cjson.encode(doc)"
        " return function(n) for i = 1, n do cjson.decode(cjson.encode(doc)) end return #text end")
    assert benchmark(round_trips, 1) > 2000
