"""SORT and SORT_RO (Redis' generic group): parse the options, let pypika_store/sort.py sort,
reply with the values or store them as a list (logged as the whole list)."""

from __future__ import annotations

from pypika_store import sort as sorting
from pypika_store.errors import SyntaxErrorReply

from ..arguments import Arguments
from ..connection import Client
from ..registry import command


def _options(argv: list[bytes], may_store: bool) -> tuple[sorting.SortOptions, bytes | None]:
    """SORT's options in any order, the last of each winning (GET patterns accumulate), and
    the STORE destination."""
    by: bytes | None = None
    limit: tuple[int, int] | None = None
    gets: list[bytes] = []
    descending = alpha = False
    destination: bytes | None = None
    args = Arguments(argv, 2)
    while args:
        option = args.keyword()
        if option in (b"ASC", b"DESC"):
            descending = option == b"DESC"
        elif option == b"ALPHA":
            alpha = True
        elif option == b"LIMIT" and args.remaining() >= 2:
            limit = (args.take_int(), args.take_int())
        elif option == b"STORE" and may_store and args:
            destination = args.take()
        elif option == b"BY" and args:
            by = args.take()
        elif option == b"GET" and args:
            gets.append(args.take())
        else:
            raise SyntaxErrorReply()
    options = sorting.SortOptions(by, limit, tuple(gets), descending, alpha, destination is not None)
    return options, destination


@command("sort", arity=-2, flags="write denyoom movablekeys", keys=(1, 1, 1), group="generic")
def sort(client: Client, argv: list[bytes]) -> object:
    """Sort the elements in a list, set or sorted set, optionally storing the result."""
    options, destination = _options(argv, may_store=True)
    values = sorting.sort(client.keyspace, argv[1], options)
    if destination is None:
        return values
    return client.keyspace.lists.replace(destination, sorting.stored_values(values))


@command("sort_ro", arity=-2, flags="readonly movablekeys", keys=(1, 1, 1), group="generic")
def sort_ro(client: Client, argv: list[bytes]) -> object:
    """Sort the elements in a list, set or sorted set. Read-only variant of SORT."""
    options, _destination = _options(argv, may_store=False)
    return sorting.sort(client.keyspace, argv[1], options)
