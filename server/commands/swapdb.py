"""SWAPDB: exchange two logical DBs, as Redis 7.0 does (clients stay on their DB index and
see the other DB's keys; watches on either DB's keys break; blocked clients wake)."""

from __future__ import annotations

from pypika_store.errors import (CommandError, DbIndexOutOfRangeError, InvalidFirstDbIndexError,
                                 InvalidSecondDbIndexError)

from ..arguments import parse_int
from ..connection import Client
from ..registry import command
from ..resp.replies import OK

#: Redis reads the indexes as C ints.
_INT_RANGE = range(-(1 << 31), 1 << 31)


def _db_index(arg: bytes, error: type[CommandError]) -> int:
    index = parse_int(arg, error)
    if index not in _INT_RANGE:
        raise error()
    return index


@command("swapdb", arity=3, flags="write fast", group="keyspace", acl="dangerous", since="4.0.0",
         complexity="O(N) where N is the count of keys in both databases (a copy here; O(N) for "
                    "watching and blocked clients in Redis)",
         syntax="index1:integer index2:integer")
def swapdb(client: Client, argv: list[bytes]) -> object:
    """Swaps two Redis databases."""
    first = _db_index(argv[1], InvalidFirstDbIndexError)
    second = _db_index(argv[2], InvalidSecondDbIndexError)
    databases = len(client.server.engine.keyspaces)
    if not (0 <= first < databases and 0 <= second < databases):
        raise DbIndexOutOfRangeError()
    client.server.engine.swap_databases(first, second)
    for index in (first, second):  # a stream a client waits on with XREADGROUP may be gone
        client.server.blocking.signal_db(index)
    return OK
