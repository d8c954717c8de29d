"""List commands (LPUSH ... LMPOP) and their blocking forms (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP).

Each write is one call of the list store (pypika_store/types/lists.py), which logs it.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from pypika_store.errors import SyntaxErrorReply, cant_be_negative, rank_zero, wrong_arity
from pypika_store.types.lists import normalize

from ..arguments import Arguments, parse_count, parse_int, parse_timeout
from ..blocking import Block, RetryFor
from ..connection import Client
from ..pops import answer_multipop, retry_when_holding
from ..registry import KeysArgument, before_last, command, key_at, keynum
from ..resp.replies import OK, NULL_ARRAY, BulkStrings


#: The source and the destination of RPOPLPUSH, LMOVE and their blocking forms.
_MOVE_KEYS = (key_at(1, "RW access delete"), key_at(2, "RW insert"))
#: BLPOP's and BRPOP's keys: every argument but the timeout.
_BLOCKING_POP_KEYS = (before_last(1, "RW access delete"),)


def _register(name: str, handler: partial, arity: int, flags: str, summary: str,
              keys: KeysArgument = (1, 1, 1), syntax: str = "") -> None:
    command(name, arity, flags, keys, group="list", summary=summary, syntax=syntax)(handler)


# -- pushing and popping ------------------------------------------------------------------------------


def _push(left: bool, only_existing: bool, client: Client, argv: list[bytes]) -> int:
    """The push commands, registered as partials given their side and condition up front:
    positional ones, as keyword arguments would cost a dictionary per call."""
    return client.keyspace.lists.push(argv[1], argv[2:], left, only_existing)


_register("lpush", partial(_push, True, False), -3, "write denyoom fast",
          "Prepend one or multiple elements to a list.", keys=(key_at(1, "RW insert"),),
          syntax="key element [element ...]")
_register("rpush", partial(_push, False, False), -3, "write denyoom fast",
          "Append one or multiple elements to a list.", keys=(key_at(1, "RW insert"),),
          syntax="key element [element ...]")
_register("lpushx", partial(_push, True, True), -3, "write denyoom fast",
          "Prepend elements to a list, only if the list exists.", keys=(key_at(1, "RW insert"),),
          syntax="key element [element ...]")
_register("rpushx", partial(_push, False, True), -3, "write denyoom fast",
          "Append elements to a list, only if the list exists.", keys=(key_at(1, "RW insert"),),
          syntax="key element [element ...]")


def _pop(left: bool, client: Client, argv: list[bytes]) -> object:
    """LPOP and RPOP (given their side positionally, as :func:`_push`)."""
    if len(argv) > 3:
        raise wrong_arity(argv)
    if len(argv) == 2:
        popped = client.keyspace.lists.pop(argv[1], 1, left)
        return popped[0] if popped else None
    popped = client.keyspace.lists.pop(argv[1], parse_count(argv[2]), left)
    return NULL_ARRAY if popped is None else popped


_register("lpop", partial(_pop, True), -2, "write fast", "Remove and get the first elements in a list.",
          keys=(key_at(1, "RW access delete"),), syntax="key [count:integer]")
_register("rpop", partial(_pop, False), -2, "write fast", "Remove and get the last elements in a list.",
          keys=(key_at(1, "RW access delete"),), syntax="key [count:integer]")


def _pop_first(client: Client, keys: list[bytes], left: bool, count: int) -> list | None:
    """LMPOP's reply: ``[key, elements]`` of the first of ``keys`` that holds a list; None
    when none does."""
    for key in keys:
        popped = client.keyspace.lists.pop(key, count, left)
        if popped:
            return [key, popped]
    return None


def _multipop(client: Client, argv: list[bytes], blocking: bool) -> object:
    return answer_multipop(client, argv, blocking, (b"LEFT", b"RIGHT"), "list",
                           lambda keys, end, count: _pop_first(client, keys, end == b"LEFT", count))


_register("lmpop", partial(_multipop, blocking=False), -4, "write",
          "Pop elements from the first non-empty list of several keys.", keys=(keynum(1, "RW access delete"),),
          syntax="numkeys:integer key [key ...] where:<LEFT | RIGHT> [COUNT count:integer]")


# -- reading ------------------------------------------------------------------------------------------


@command("llen", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="list", syntax="key")
def llen(client: Client, argv: list[bytes]) -> object:
    """Get the length of a list."""
    return client.keyspace.lists.length(argv[1])


@command("lindex", arity=3, flags="readonly", keys=(1, 1, 1), group="list", syntax="key index:integer")
def lindex(client: Client, argv: list[bytes]) -> object:
    """Get an element from a list by its index."""
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    index = parse_int(argv[2])
    if collection is None:
        return None
    index = normalize(index, collection.count)
    return lists.element(collection, index) if 0 <= index < collection.count else None


@command("lrange", arity=4, flags="readonly", keys=(1, 1, 1), group="list", syntax="key start:integer stop:integer")
def lrange(client: Client, argv: list[bytes]) -> object:
    """Get a range of elements from a list."""
    start, stop = parse_int(argv[2]), parse_int(argv[3])
    elements = client.keyspace.lists.walk_range(argv[1], start, stop)
    return [] if elements is None else BulkStrings(elements)


@command("lpos", arity=-3, flags="readonly", keys=(1, 1, 1), group="list",
         syntax="key element [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]")
def lpos(client: Client, argv: list[bytes]) -> object:
    """Return the index of matching elements on a list."""
    rank, count, max_len = 1, None, 0
    args = Arguments(argv, 3)
    while args:
        option = args.keyword()
        if args.peek() is None:
            raise SyntaxErrorReply()
        if option == b"RANK":
            rank = args.take_int()
            if rank == 0:
                raise rank_zero()
        elif option == b"COUNT":
            count = args.take_int()
            if count < 0:
                raise cant_be_negative("COUNT")
        elif option == b"MAXLEN":
            max_len = args.take_int()
            if max_len < 0:
                raise cant_be_negative("MAXLEN")
        else:
            raise SyntaxErrorReply()
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    if collection is None:
        return None if count is None else []
    reverse = rank < 0
    skip = 0 if rank == -(2**63) else abs(rank) - 1  # Redis' negation overflows: acts as -1
    found: list[int] = []
    for checked, element in enumerate(lists.iter_elements(collection, reverse=reverse)):
        if max_len and checked >= max_len:
            break
        if element == argv[2]:
            if skip:
                skip -= 1
                continue
            found.append(collection.count - 1 - checked if reverse else checked)
            if count is None or (count and len(found) == count):
                break
    if count is None:
        return found[0] if found else None
    return found


# -- changing in place ----------------------------------------------------------------------------------


@command("lset", arity=4, flags="write denyoom", keys=(key_at(1, "RW update"),), group="list",
         syntax="key index:integer element")
def lset(client: Client, argv: list[bytes]) -> object:
    """Set the value of an element in a list by its index."""
    client.keyspace.lists.open(argv[1])  # WRONGTYPE before the index is read
    client.keyspace.lists.set(argv[1], parse_int(argv[2]), argv[3])
    return OK


@command("linsert", arity=5, flags="write denyoom", keys=(key_at(1, "RW insert"),), group="list",
         syntax="key where:<BEFORE | AFTER> pivot element")
def linsert(client: Client, argv: list[bytes]) -> object:
    """Insert an element before or after another element in a list."""
    where = argv[2].upper()
    if where not in (b"BEFORE", b"AFTER"):
        raise SyntaxErrorReply()
    return client.keyspace.lists.insert(argv[1], argv[3], argv[4], after=where == b"AFTER")


@command("lrem", arity=4, flags="write", keys=(key_at(1, "RW delete"),), group="list",
         syntax="key count:integer element")
def lrem(client: Client, argv: list[bytes]) -> object:
    """Remove elements from a list (count > 0 from the head, < 0 from the tail, 0 all)."""
    return client.keyspace.lists.remove(argv[1], parse_int(argv[2]), argv[3])


@command("ltrim", arity=4, flags="write", keys=(key_at(1, "RW delete"),), group="list",
         syntax="key start:integer stop:integer")
def ltrim(client: Client, argv: list[bytes]) -> object:
    """Trim a list to the specified range."""
    client.keyspace.lists.trim(argv[1], parse_int(argv[2]), parse_int(argv[3]))
    return OK


# -- moving between lists -------------------------------------------------------------------------------


def _side(arg: bytes) -> bool:
    """True for LEFT, False for RIGHT."""
    side = arg.upper()
    if side not in (b"LEFT", b"RIGHT"):
        raise SyntaxErrorReply()
    return side == b"LEFT"


@command("rpoplpush", arity=3, flags="write denyoom", keys=_MOVE_KEYS, group="list",
         syntax="source:key destination:key")
def rpoplpush(client: Client, argv: list[bytes]) -> object:
    """Remove the last element of a list, prepend it to another list and return it."""
    return client.keyspace.lists.move(argv[1], argv[2], from_left=False, to_left=True)


@command("lmove", arity=5, flags="write denyoom", keys=_MOVE_KEYS, group="list",
         syntax="source:key destination:key wherefrom:<LEFT | RIGHT> whereto:<LEFT | RIGHT>")
def lmove(client: Client, argv: list[bytes]) -> object:
    """Pop an element from a list, push it to another list and return it."""
    return client.keyspace.lists.move(argv[1], argv[2], _side(argv[3]), _side(argv[4]))


# -- blocking forms ---------------------------------------------------------------------------------------


def _retry_on_lists(client: Client, argv_for_key: Callable[[bytes], list[bytes]]) -> RetryFor:
    return retry_when_holding(client, "list", argv_for_key)


def _blocking_pop(client: Client, argv: list[bytes], left: bool) -> object:
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    popped = _pop_first(client, keys, left, 1)
    if popped is not None:
        return [popped[0], popped[1][0]]
    return Block(keys, timeout, NULL_ARRAY,
                 retry_for=_retry_on_lists(client, lambda key: [argv[0], key, argv[-1]]))


_register("blpop", partial(_blocking_pop, left=True), -3, "write noscript blocking",
          "Remove and get the first element in a list, or block until one is available.", keys=_BLOCKING_POP_KEYS,
          syntax="key [key ...] timeout:double")
_register("brpop", partial(_blocking_pop, left=False), -3, "write noscript blocking",
          "Remove and get the last element in a list, or block until one is available.", keys=_BLOCKING_POP_KEYS,
          syntax="key [key ...] timeout:double")


def _blocking_move(client: Client, argv: list[bytes], from_left: bool, to_left: bool, timeout_arg: bytes) -> object:
    timeout = parse_timeout(timeout_arg)
    element = client.keyspace.lists.move(argv[1], argv[2], from_left, to_left)
    if element is not None:
        return element
    return Block([argv[1]], timeout, None, retry_for=_retry_on_lists(client, lambda key: argv))


@command("brpoplpush", arity=4, flags="write denyoom noscript blocking", keys=_MOVE_KEYS, group="list",
         syntax="source:key destination:key timeout:double")
def brpoplpush(client: Client, argv: list[bytes]) -> object:
    """Pop an element from a list, push it to another list and return it; or block."""
    return _blocking_move(client, argv, False, True, argv[3])


@command("blmove", arity=6, flags="write denyoom noscript blocking", keys=_MOVE_KEYS, group="list",
         syntax="source:key destination:key wherefrom:<LEFT | RIGHT> whereto:<LEFT | RIGHT> timeout:double")
def blmove(client: Client, argv: list[bytes]) -> object:
    """Pop an element from a list, push it to another list and return it; or block."""
    return _blocking_move(client, argv, _side(argv[3]), _side(argv[4]), argv[5])


_register("blmpop", partial(_multipop, blocking=True), -5, "write blocking",
          "Pop elements from the first non-empty list of several keys, or block until one is available.",
          keys=(keynum(2, "RW access delete"),),
          syntax="timeout:double numkeys:integer key [key ...] where:<LEFT | RIGHT> [COUNT count:integer]")
