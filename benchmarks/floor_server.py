"""The floor: the least a pure-Python Redis-protocol server can do per request under issue #16's rules.

    python benchmarks/floor_server.py --port 7000 --dir /tmp/floor --level binlog [--gc freeze]

A measuring instrument, not a second server: it answers SET, GET, INCR and LPUSH (what
``redis-benchmark -t set,get,incr,lpush`` sends) and PING (the start-up check of
benchmarks/compare_redis.py's ServerProcess); anything else is an error. It starts on an empty
``--dir`` and keeps no state across restarts that it does not need for the measurement.

Each ``--level`` adds one layer of what pypika-store must do, so benchmarks/floor.py can say
what each layer costs at its cheapest:

- ``dict``: an asyncio Protocol (uvloop when installed), hiredis' Reader, a dict as the store,
  the replies of one read joined and written once;
- ``lmdb``: the store is LMDB (py-lmdb, opened as pypika-store opens it under ``sync-policy
  everysec``): a write transaction opened at the event-loop turn's first write and committed in
  a ``loop.call_soon`` callback, before the replies that waited for it are written; reads go
  through the turn's write transaction or a read transaction (reset at the turn's end). A string
  is one record (type byte + value), a list a meta record (id, head, tail) and one entry per
  element;
- ``binlog``: ``lmdb`` plus one Pika binlog item per write (INCR logs ``set key <new value>``,
  as pypika-store does), written with pypika-store's own :class:`BinlogWriter` (it needs no
  engine): one ``prepare`` and one ``pwrite`` per turn, before the commit.

``--gc freeze`` or ``--gc disable`` call :func:`gc.freeze` / :func:`gc.disable` once started, to
see whether the cyclic collector costs anything here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import struct
import sys
from collections import deque
from typing import Callable

import hiredis
import lmdb

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.binlog import BinlogWriter  # noqa: E402

LEVELS = ("dict", "lmdb", "binlog")

OK = b"+OK\r\n"
NIL = b"$-1\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_AN_INTEGER = b"-ERR value is not an integer or out of range\r\n"
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

#: The first byte of a key's record in LMDB: its type.
STRING, LIST = b"s"[0], b"l"[0]
#: A list's meta record: type byte, list id, head and tail (its elements are at head .. tail-1).
LIST_META = struct.Struct("<BQQQ")
#: A list element's key: list id and index, big-endian so that a list's entries sort together.
LIST_ENTRY = struct.Struct(">QQ")
#: A new list's head and tail: the middle of the index range, so LPUSH can go down from it.
LIST_START = 1 << 62


class WrongType(Exception):
    """The key holds a value of another type."""


class DictStore:
    """``--level dict``: strings as bytes and lists as deques in a dict; nothing to commit."""

    def __init__(self) -> None:
        self.values: dict[bytes, bytes | deque[bytes]] = {}

    def get(self, key: bytes) -> bytes | None:
        value = self.values.get(key)
        if value is not None and value.__class__ is not bytes:
            raise WrongType
        return value  # type: ignore[return-value]

    def set(self, key: bytes, value: bytes) -> None:
        self.values[key] = value

    def lpush(self, argv: list[bytes]) -> int:
        elements = self.values.get(argv[1])
        if elements is None:
            elements = self.values[argv[1]] = deque()
        elif elements.__class__ is not deque:
            raise WrongType
        elements.extendleft(argv[2:])  # type: ignore[union-attr]
        return len(elements)

    def send(self, transport: asyncio.Transport, replies: bytes) -> None:
        transport.write(replies)


class LmdbStore:
    """``--level lmdb`` and ``binlog``: the data in LMDB, one write transaction per event-loop
    turn, committed (after the turn's binlog write, when there is a binlog) before the replies
    that waited for it go out."""

    def __init__(self, directory: str, binlog: BinlogWriter | None) -> None:
        self.env = lmdb.open(os.path.join(directory, "db"), map_size=8 << 30, max_dbs=2, sync=False,
                             metasync=False, readahead=False, max_spare_txns=1)
        self.meta = self.env.open_db(b"meta")
        self.members = self.env.open_db(b"members")
        self.binlog = binlog
        self.records: list[list[bytes]] = []
        self.next_list_id = 0
        self.write_txn: lmdb.Transaction | None = None
        self.read_txn: lmdb.Transaction | None = None
        #: Replies written once the turn's commit is done: (transport, joined replies).
        self.waiting: list[tuple[asyncio.Transport, bytes]] = []

    def _writer(self) -> lmdb.Transaction:
        if self.write_txn is None:
            if self.read_txn is None:  # the turn's first transaction: end it after this turn's reads
                asyncio.get_running_loop().call_soon(self.end_turn)
            self.write_txn = self.env.begin(write=True)
        return self.write_txn

    def _reader(self) -> lmdb.Transaction:
        if self.write_txn is not None:
            return self.write_txn
        if self.read_txn is None:
            asyncio.get_running_loop().call_soon(self.end_turn)
            self.read_txn = self.env.begin()
        return self.read_txn

    def end_turn(self) -> None:
        """Write the turn's binlog items (one pwrite), commit, and send the replies that waited."""
        if self.read_txn is not None:
            self.read_txn.abort()  # reset and kept for the next turn (max_spare_txns)
            self.read_txn = None
        if self.write_txn is not None:
            if self.records:
                self.binlog.write(self.binlog.prepare(self.records))  # type: ignore[union-attr]
                self.records = []
            self.write_txn.commit()
            self.write_txn = None
        waiting, self.waiting = self.waiting, []
        for transport, replies in waiting:
            transport.write(replies)

    def get(self, key: bytes) -> bytes | None:
        record = self._reader().get(key, db=self.meta)
        if record is None:
            return None
        if record[0] != STRING:
            raise WrongType
        return record[1:]

    def set(self, key: bytes, value: bytes) -> None:
        txn = self._writer()
        old = txn.replace(key, b"s" + value, db=self.meta)
        if old is not None and old[0] == LIST:  # the list's elements go with it
            self._delete_entries(txn, LIST_META.unpack(old)[1])
        if self.binlog is not None:
            self.records.append([b"set", key, value])

    def _delete_entries(self, txn: lmdb.Transaction, list_id: int) -> None:
        prefix = LIST_ENTRY.pack(list_id, 0)[:8]
        cursor = txn.cursor(db=self.members)
        if cursor.set_range(prefix):
            while cursor.key().startswith(prefix) and cursor.delete():  # delete() moves to the next
                pass

    def lpush(self, argv: list[bytes]) -> int:
        txn = self._writer()
        key = argv[1]
        meta = txn.get(key, db=self.meta)
        if meta is None:
            list_id, head, tail = self.next_list_id, LIST_START, LIST_START
            self.next_list_id += 1
        elif meta[0] != LIST:
            raise WrongType
        else:
            _type, list_id, head, tail = LIST_META.unpack(meta)
        for element in argv[2:]:
            head -= 1
            txn.put(LIST_ENTRY.pack(list_id, head), element, db=self.members)
        txn.put(key, LIST_META.pack(LIST, list_id, head, tail), db=self.meta)
        if self.binlog is not None:
            self.records.append(argv)
        return tail - head

    def send(self, transport: asyncio.Transport, replies: bytes) -> None:
        if self.write_txn is None:
            transport.write(replies)
        else:
            self.waiting.append((transport, replies))


Store = DictStore | LmdbStore


def get(store: Store, argv: list[bytes]) -> bytes:
    value = store.get(argv[1])
    return NIL if value is None else b"$%d\r\n%b\r\n" % (len(value), value)


def set_(store: Store, argv: list[bytes]) -> bytes:
    store.set(argv[1], argv[2])
    return OK


def incr(store: Store, argv: list[bytes]) -> bytes:
    value = store.get(argv[1])
    try:
        number = int(value) if value is not None else 0
    except ValueError:
        return NOT_AN_INTEGER
    if not INT64_MIN <= number < INT64_MAX:
        return OVERFLOW if number == INT64_MAX else NOT_AN_INTEGER
    written = b"%d" % (number + 1)
    store.set(argv[1], written)
    return b":%b\r\n" % written


def lpush(store: Store, argv: list[bytes]) -> bytes:
    return b":%d\r\n" % store.lpush(argv)


def ping(store: Store, argv: list[bytes]) -> bytes:
    return b"+PONG\r\n"


#: name -> (handler, arity: the argument count, or minus the least count).
COMMANDS: dict[bytes, tuple[Callable[[Store, list[bytes]], bytes], int]] = {
    b"GET": (get, 2), b"SET": (set_, 3), b"INCR": (incr, 2), b"LPUSH": (lpush, -3), b"PING": (ping, 1)}


def execute(store: Store, argv: list[bytes]) -> bytes:
    """One command's reply: the name looked up as sent (redis-benchmark's are upper case), then
    upper-cased; the arity checked; the handler called."""
    name = argv[0]
    entry = COMMANDS.get(name) or COMMANDS.get(name.upper())
    if entry is None:
        return b"-ERR unknown command '%b' (the floor server answers %b only)\r\n" % (
            name, b", ".join(COMMANDS))
    handler, arity = entry
    if len(argv) != arity if arity > 0 else len(argv) < -arity:
        return b"-ERR wrong number of arguments for '%b' command\r\n" % name.lower()
    try:
        return handler(store, argv)
    except WrongType:
        return WRONGTYPE


class FloorConnection(asyncio.Protocol):
    """One client: every command of a read is run and its replies are sent as one write."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reader = hiredis.Reader()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader, store = self.reader, self.store
        reader.feed(data)
        replies = []
        try:
            while (argv := reader.gets()) is not False:
                replies.append(execute(store, argv))
        except hiredis.ProtocolError:
            self.transport.close()  # type: ignore[union-attr]
            return
        if replies:
            store.send(self.transport, b"".join(replies))  # type: ignore[arg-type]


def open_store(level: str, directory: str) -> Store:
    if level == "dict":
        return DictStore()
    binlog = BinlogWriter(os.path.join(directory, "log", "log_db0")) if level == "binlog" else None
    return LmdbStore(directory, binlog)


async def serve(port: int, store: Store, collector: str) -> None:
    server = await asyncio.get_running_loop().create_server(lambda: FloorConnection(store), "127.0.0.1", port)
    if collector == "freeze":
        gc.freeze()
    elif collector == "disable":
        gc.disable()
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True, help="an empty folder for LMDB and the binlog")
    parser.add_argument("--level", choices=LEVELS, required=True)
    parser.add_argument("--gc", choices=("default", "freeze", "disable"), default="default")
    options = parser.parse_args()
    store = open_store(options.level, options.dir)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(options.port, store, options.gc))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(options.port, store, options.gc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
