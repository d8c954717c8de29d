"""SORT and SORT_RO (Redis' generic group): parse the options, let pypika_store/sort.py sort,
reply with the values or store them as a list (logged as the whole list)."""

from __future__ import annotations

from pypika_store import sort as sorting
from pypika_store.errors import SortByDeniedError, SortGetDeniedError, SyntaxErrorReply

from ..arguments import Arguments
from ..connection import Client
from ..registry import KeyAndFlags, KeySpec, command, key_at


def _options(argv: list[bytes], may_store: bool, all_keys: bool) -> tuple[sorting.SortOptions, bytes | None]:
    """SORT's options in any order, the last of each winning (GET patterns accumulate), and
    the STORE destination. Without ``all_keys`` (the ACL user may read every key) BY with a
    pattern and GET are refused, as Redis 7 refuses them."""
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
            if not all_keys and b"*" in by:
                raise SortByDeniedError()
        elif option == b"GET" and args:
            if not all_keys:
                raise SortGetDeniedError()
            gets.append(args.take())
        else:
            raise SyntaxErrorReply()
    options = sorting.SortOptions(by, limit, tuple(gets), descending, alpha, destination is not None)
    return options, destination


#: The keys SORT reads: the one it sorts, and those BY and GET patterns name (found only from
#: the sorted values: "unknown").
_READ_KEYS = (key_at(1, "RO access"),
              KeySpec(None, None, ("RO", "access"), notes="For the optional BY/GET keyword. It is marked 'unknown' "
                      "because the key names derive from the content of the key we sort"))
#: SORT's STORE destination, which may come anywhere among the options.
_STORE_KEY = KeySpec(None, None, ("OW", "update"), notes="For the optional STORE keyword. It is marked 'unknown' "
                     "because the keyword can appear anywhere in the argument array")
#: Options followed by arguments that are no keys, and how many (as Redis' sortGetKeys skips them).
_SKIPPED_OPTIONS = {b"LIMIT": 2, b"GET": 1, b"BY": 1}


def _sort_keys(argv: list[bytes]) -> list[KeyAndFlags]:
    """The sorted key (read) and the last STORE's destination (overwritten), as Redis'
    sortGetKeys finds them (without checking the options: a call's syntax errors are the
    command's to reply)."""
    store: bytes | None = None
    position = 2
    while position < len(argv):
        option = argv[position].upper()
        if option in _SKIPPED_OPTIONS:
            position += _SKIPPED_OPTIONS[option]
        elif option == b"STORE" and position + 1 < len(argv):
            store = argv[position + 1]
        position += 1
    sorted_key = (argv[1], _READ_KEYS[0].flags)
    return [sorted_key] if store is None else [sorted_key, (store, _STORE_KEY.flags)]


@command("sort", arity=-2, flags="write denyoom", keys=(*_READ_KEYS, _STORE_KEY), getkeys=_sort_keys,
         group="generic", acl="set sortedset list dangerous",
         syntax="key [BY pattern:pattern#1] [LIMIT offset_count:<offset:integer count:integer>] "
                "[GET pattern:pattern#1 [GET pattern ...]] order:[ASC | DESC] [sorting:ALPHA] [STORE destination:key]")
def sort(client: Client, argv: list[bytes]) -> object:
    """Sort the elements in a list, set or sorted set, optionally storing the result."""
    options, destination = _options(argv, may_store=True, all_keys=client.user.reads_all_keys())
    values = sorting.sort(client.keyspace, argv[1], options)
    if destination is None:
        return values
    client.server.engine.turn.lookup_counter = None  # the destination's is a write's lookup: uncounted
    return client.keyspace.lists.replace(destination, sorting.stored_values(values), b"sortstore")


@command("sort_ro", arity=-2, flags="readonly", keys=_READ_KEYS, group="generic",
         acl="set sortedset list dangerous",
         syntax="key [BY pattern:pattern#1] [LIMIT offset_count:<offset:integer count:integer>] "
                "[GET pattern:pattern#1 [GET pattern ...]] order:[ASC | DESC] [sorting:ALPHA]")
def sort_ro(client: Client, argv: list[bytes]) -> object:
    """Sort the elements in a list, set or sorted set. Read-only variant of SORT."""
    options, _destination = _options(argv, may_store=False, all_keys=client.user.reads_all_keys())
    return sorting.sort(client.keyspace, argv[1], options)
