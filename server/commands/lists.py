"""List commands (LPUSH ... LMOVE) and their blocking forms (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE)."""

from __future__ import annotations

from pypika_store.errors import CommandError, NoSuchKeyError, SyntaxErrorReply, wrong_arity
from pypika_store.types.collection import Collection

from ..blocking import Block
from ..connection import Client
from ..registry import command
from ..resp.replies import OK, NULL_ARRAY
from ..arguments import parse_count, parse_int, parse_timeout



# -- pushing and popping ------------------------------------------------------------------------------


def _push(client: Client, argv: list[bytes], left: bool, only_existing: bool = False) -> int:
    return client.keyspace.lists.push(argv[1], argv[2:], left, only_existing)


@command("lpush", arity=-3, flags="write denyoom fast", keys=(1, 1, 1), group="list")
def lpush(client: Client, argv: list[bytes]) -> object:
    """Prepend one or multiple elements to a list."""
    return _push(client, argv, left=True)


@command("rpush", arity=-3, flags="write denyoom fast", keys=(1, 1, 1), group="list")
def rpush(client: Client, argv: list[bytes]) -> object:
    """Append one or multiple elements to a list."""
    return _push(client, argv, left=False)


@command("lpushx", arity=-3, flags="write denyoom fast", keys=(1, 1, 1), group="list")
def lpushx(client: Client, argv: list[bytes]) -> object:
    """Prepend elements to a list, only if the list exists."""
    return _push(client, argv, left=True, only_existing=True)


@command("rpushx", arity=-3, flags="write denyoom fast", keys=(1, 1, 1), group="list")
def rpushx(client: Client, argv: list[bytes]) -> object:
    """Append elements to a list, only if the list exists."""
    return _push(client, argv, left=False, only_existing=True)


def _pop(client: Client, argv: list[bytes], left: bool) -> object:
    if len(argv) > 3:
        raise wrong_arity(argv)
    if len(argv) == 2:
        popped = client.keyspace.lists.pop(argv[1], 1, left)
        return popped[0] if popped else None
    count = parse_count(argv[2])
    lists = client.keyspace.lists
    if lists.open(argv[1]) is None:
        return NULL_ARRAY
    return lists.pop(argv[1], count, left) if count else []


@command("lpop", arity=-2, flags="write fast", keys=(1, 1, 1), group="list")
def lpop(client: Client, argv: list[bytes]) -> object:
    """Remove and get the first elements in a list."""
    return _pop(client, argv, left=True)


@command("rpop", arity=-2, flags="write fast", keys=(1, 1, 1), group="list")
def rpop(client: Client, argv: list[bytes]) -> object:
    """Remove and get the last elements in a list."""
    return _pop(client, argv, left=False)


# -- reading ------------------------------------------------------------------------------------------


@command("llen", arity=2, flags="readonly fast", keys=(1, 1, 1), group="list")
def llen(client: Client, argv: list[bytes]) -> object:
    """Get the length of a list."""
    return client.keyspace.lists.length(argv[1])


def _normalize(index: int, length: int) -> int:
    return index + length if index < 0 else index


@command("lindex", arity=3, flags="readonly", keys=(1, 1, 1), group="list")
def lindex(client: Client, argv: list[bytes]) -> object:
    """Get an element from a list by its index."""
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    index = parse_int(argv[2])
    if collection is None:
        return None
    index = _normalize(index, collection.count)
    return lists.element(collection, index) if 0 <= index < collection.count else None


def _clamped_range(collection: Collection, start: int, stop: int) -> tuple[int, int]:
    """LRANGE's and LTRIM's index rules: negatives from the end, clamped to the list."""
    length = collection.count
    start, stop = _normalize(start, length), _normalize(stop, length)
    start = max(start, 0)
    stop = min(stop, length - 1)
    return start, stop


@command("lrange", arity=4, flags="readonly", keys=(1, 1, 1), group="list")
def lrange(client: Client, argv: list[bytes]) -> object:
    """Get a range of elements from a list."""
    start, stop = parse_int(argv[2]), parse_int(argv[3])
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    if collection is None:
        return []
    return lists.range(collection, *_clamped_range(collection, start, stop))


@command("lpos", arity=-3, flags="readonly", keys=(1, 1, 1), group="list")
def lpos(client: Client, argv: list[bytes]) -> object:
    """Return the index of matching elements on a list."""
    rank, count, max_len = 1, None, 0
    index = 3
    while index < len(argv):
        option = argv[index].upper()
        if index + 1 >= len(argv):
            raise SyntaxErrorReply()
        value = argv[index + 1]
        if option == b"RANK":
            rank = parse_int(value)
            if rank == 0:
                raise CommandError("ERR RANK can't be zero: use 1 to start from the first match, "
                                   "2 from the second ... or use negative to start from the end of the list")
        elif option == b"COUNT":
            count = parse_int(value)
            if count < 0:
                raise CommandError("ERR COUNT can't be negative")
        elif option == b"MAXLEN":
            max_len = parse_int(value)
            if max_len < 0:
                raise CommandError("ERR MAXLEN can't be negative")
        else:
            raise SyntaxErrorReply()
        index += 2
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


@command("lset", arity=4, flags="write denyoom", keys=(1, 1, 1), group="list")
def lset(client: Client, argv: list[bytes]) -> object:
    """Set the value of an element in a list by its index."""
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    index = parse_int(argv[2])
    if collection is None:
        raise NoSuchKeyError()
    index = _normalize(index, collection.count)
    if not 0 <= index < collection.count:
        raise CommandError("ERR index out of range")
    lists.set_element(collection, index, argv[3])
    return OK


@command("linsert", arity=5, flags="write denyoom", keys=(1, 1, 1), group="list")
def linsert(client: Client, argv: list[bytes]) -> object:
    """Insert an element before or after another element in a list."""
    where = argv[2].upper()
    if where not in (b"BEFORE", b"AFTER"):
        raise SyntaxErrorReply()
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    if collection is None:
        return 0
    for position, element in enumerate(lists.iter_elements(collection)):
        if element == argv[3]:
            break
    else:
        return -1
    length = lists.insert(collection, position + (where == b"AFTER"), argv[4])
    lists.log(collection, [b"linsert", argv[1], where.lower(), argv[3], argv[4]])
    return length


@command("lrem", arity=4, flags="write", keys=(1, 1, 1), group="list")
def lrem(client: Client, argv: list[bytes]) -> object:
    """Remove elements from a list (count > 0 from the head, < 0 from the tail, 0 all)."""
    count = parse_int(argv[2])
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    if collection is None:
        return 0
    elements = list(lists.iter_elements(collection))
    order = range(len(elements) - 1, -1, -1) if count < 0 else range(len(elements))
    doomed: set[int] = set()
    for position in order:
        if elements[position] == argv[3]:
            doomed.add(position)
            if count and len(doomed) == abs(count):
                break
    if doomed:
        lists.rewrite(collection, [element for position, element in enumerate(elements) if position not in doomed])
        lists.log(collection, [b"lrem", argv[1], argv[2], argv[3]])
    return len(doomed)


@command("ltrim", arity=4, flags="write", keys=(1, 1, 1), group="list")
def ltrim(client: Client, argv: list[bytes]) -> object:
    """Trim a list to the specified range."""
    start, stop = parse_int(argv[2]), parse_int(argv[3])
    lists = client.keyspace.lists
    collection = lists.open(argv[1])
    if collection is None:
        return OK
    start, stop = _clamped_range(collection, start, stop)
    if start == 0 and stop == collection.count - 1:
        return OK
    lists.trim(collection, start, stop)
    lists.log(collection, [b"ltrim", argv[1], b"%d" % start, b"%d" % stop] if start <= stop
              else [b"del", argv[1]])
    return OK


# -- moving between lists -------------------------------------------------------------------------------


def _side(arg: bytes) -> bool:
    """True for LEFT, False for RIGHT."""
    side = arg.upper()
    if side not in (b"LEFT", b"RIGHT"):
        raise SyntaxErrorReply()
    return side == b"LEFT"


def _move(client: Client, source: bytes, target: bytes, from_left: bool, to_left: bool) -> bytes | None:
    """Pop from ``source``, push onto ``target`` (both checked for WRONGTYPE first)."""
    lists = client.keyspace.lists
    if lists.open(source) is None:
        return None
    lists.open(target)
    element = lists.pop(source, 1, from_left)[0]  # type: ignore[index]
    lists.push(target, [element], to_left)
    return element


@command("rpoplpush", arity=3, flags="write denyoom", keys=(1, 2, 1), group="list")
def rpoplpush(client: Client, argv: list[bytes]) -> object:
    """Remove the last element of a list, prepend it to another list and return it."""
    return _move(client, argv[1], argv[2], from_left=False, to_left=True)


@command("lmove", arity=5, flags="write denyoom", keys=(1, 2, 1), group="list")
def lmove(client: Client, argv: list[bytes]) -> object:
    """Pop an element from a list, push it to another list and return it."""
    return _move(client, argv[1], argv[2], _side(argv[3]), _side(argv[4]))


# -- blocking forms ---------------------------------------------------------------------------------------


def _blocking_pop(client: Client, argv: list[bytes], left: bool) -> object:
    timeout = parse_timeout(argv[-1])
    lists = client.keyspace.lists
    keys = argv[1:-1]
    for key in keys:
        if lists.open(key) is not None:
            return [key, lists.pop(key, 1, left)[0]]  # type: ignore[index]
    return Block(keys, timeout, NULL_ARRAY)


@command("blpop", arity=-3, flags="write blocking", keys=(1, -2, 1), group="list")
def blpop(client: Client, argv: list[bytes]) -> object:
    """Remove and get the first element in a list, or block until one is available."""
    return _blocking_pop(client, argv, left=True)


@command("brpop", arity=-3, flags="write blocking", keys=(1, -2, 1), group="list")
def brpop(client: Client, argv: list[bytes]) -> object:
    """Remove and get the last element in a list, or block until one is available."""
    return _blocking_pop(client, argv, left=False)


def _blocking_move(client: Client, argv: list[bytes], from_left: bool, to_left: bool, timeout_arg: bytes) -> object:
    timeout = parse_timeout(timeout_arg)
    element = _move(client, argv[1], argv[2], from_left, to_left)
    return Block([argv[1]], timeout, None) if element is None else element


@command("brpoplpush", arity=4, flags="write denyoom blocking", keys=(1, 2, 1), group="list")
def brpoplpush(client: Client, argv: list[bytes]) -> object:
    """Pop an element from a list, push it to another list and return it; or block."""
    return _blocking_move(client, argv, False, True, argv[3])


@command("blmove", arity=6, flags="write denyoom blocking", keys=(1, 2, 1), group="list")
def blmove(client: Client, argv: list[bytes]) -> object:
    """Pop an element from a list, push it to another list and return it; or block."""
    return _blocking_move(client, argv, _side(argv[3]), _side(argv[4]), argv[5])
