"""Set commands (SADD ... SSCAN), over the engine's set store."""

from __future__ import annotations

from pypika_store.errors import LimitNegativeError, NumkeysError, SyntaxErrorReply, TooManyKeysError
from pypika_store.keyspace import Keyspace

from ..connection import Client
from ..registry import after_index, command, key_at, keynum
from ..resp.replies import SetReply
from ..arguments import Arguments, parse_count, parse_int, random_count
from ..scanning import scan_collection



@command("sadd", arity=-3, flags="write denyoom fast", keys=(key_at(1, "RW insert"),), group="set",
         syntax="key member [member ...]")
def sadd(client: Client, argv: list[bytes]) -> object:
    """Add one or more members to a set."""
    return client.keyspace.sets.add(argv[1], argv[2:])


@command("srem", arity=-3, flags="write fast", keys=(key_at(1, "RW delete"),), group="set",
         syntax="key member [member ...]")
def srem(client: Client, argv: list[bytes]) -> object:
    """Remove one or more members from a set."""
    return len(client.keyspace.sets.remove(argv[1], argv[2:]))


@command("scard", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="set", syntax="key")
def scard(client: Client, argv: list[bytes]) -> object:
    """Get the number of members in a set."""
    return client.keyspace.sets.cardinality(argv[1])


@command("sismember", arity=3, flags="readonly fast", keys=(key_at(1, "RO"),), group="set", syntax="key member")
def sismember(client: Client, argv: list[bytes]) -> object:
    """Determine if a given value is a member of a set."""
    return int(client.keyspace.sets.contains(argv[1], [argv[2]])[0])


@command("smismember", arity=-3, flags="readonly fast", keys=(1, 1, 1), group="set", syntax="key member [member ...]")
def smismember(client: Client, argv: list[bytes]) -> object:
    """Returns the membership associated with the given elements for a set."""
    return [int(found) for found in client.keyspace.sets.contains(argv[1], argv[2:])]


@command("smembers", arity=2, flags="readonly", keys=(1, 1, 1), group="set", syntax="key")
def smembers(client: Client, argv: list[bytes]) -> object:
    """Get all the members in a set."""
    return SetReply(client.keyspace.sets.members(argv[1]))


@command("spop", arity=-2, flags="write fast", keys=(key_at(1, "RW access delete"),), group="set",
         syntax="key [count:integer]")
def spop(client: Client, argv: list[bytes]) -> object:
    """Remove and return one or multiple random members from a set (logged as SREM)."""
    if len(argv) > 3:
        raise SyntaxErrorReply()
    count = parse_count(argv[2]) if len(argv) == 3 else None
    picked = client.keyspace.sets.pop(argv[1], 1 if count is None else count)
    if picked is None:
        return None if count is None else SetReply()
    return picked[0] if count is None else SetReply(picked)


@command("srandmember", arity=-2, flags="readonly", keys=(1, 1, 1), group="set", syntax="key [count:integer]")
def srandmember(client: Client, argv: list[bytes]) -> object:
    """Get one or multiple random members from a set (a negative count allows repeats)."""
    if len(argv) > 3:
        raise SyntaxErrorReply()
    count = random_count(argv[2]) if len(argv) == 3 else None
    sets = client.keyspace.sets
    collection = sets.open(argv[1])
    if collection is None:
        return None if count is None else []
    if count is None:
        return sets.random_members(collection, 1, distinct=True)[0][0]
    if not count:
        return []
    picked = [member for member, _ in sets.random_members(collection, abs(count), distinct=count > 0)]
    return SetReply(picked) if count > 0 else picked


@command("smove", arity=4, flags="write fast", keys=(key_at(1, "RW access delete"), key_at(2, "RW insert")),
         group="set", syntax="source:key destination:key member")
def smove(client: Client, argv: list[bytes]) -> object:
    """Move a member from one set to another."""
    return int(client.keyspace.sets.move(argv[1], argv[2], argv[3]))


def _sets_of(keyspace: Keyspace, keys: list[bytes]) -> list[set[bytes] | None]:
    """The members of each key (None for a missing key); WRONGTYPE if any is not a set."""
    sets = keyspace.sets
    found: list[set[bytes] | None] = []
    for key in keys:
        collection = sets.open(key)
        found.append(None if collection is None else {member for member, _ in sets.iter_members(collection)})
    return found


def _combine(kind: str, groups: list[set[bytes] | None]) -> set[bytes]:
    if kind == "inter":
        if any(group is None for group in groups):
            return set()
        result = set(min(groups, key=len))  # type: ignore[arg-type]
        for group in groups:
            result &= group  # type: ignore[operator]
        return result
    if kind == "union":
        return set().union(*(group for group in groups if group))
    result = set(groups[0] or ())
    for group in groups[1:]:
        result -= group or set()
    return result


def _algebra(client: Client, keys: list[bytes], kind: str) -> object:
    return SetReply(sorted(_combine(kind, _sets_of(client.keyspace, keys))))


def _algebra_store(client: Client, argv: list[bytes], kind: str) -> object:
    result = _combine(kind, _sets_of(client.keyspace, argv[2:]))
    return client.keyspace.sets.replace(argv[1], sorted(result), b"s%sstore" % kind.encode())


@command("sinter", arity=-2, flags="readonly", keys=(1, -1, 1), group="set", syntax="key [key ...]")
def sinter(client: Client, argv: list[bytes]) -> object:
    """Intersect multiple sets."""
    return _algebra(client, argv[1:], "inter")


@command("sunion", arity=-2, flags="readonly", keys=(1, -1, 1), group="set", syntax="key [key ...]")
def sunion(client: Client, argv: list[bytes]) -> object:
    """Add multiple sets."""
    return _algebra(client, argv[1:], "union")


@command("sdiff", arity=-2, flags="readonly", keys=(1, -1, 1), group="set", syntax="key [key ...]")
def sdiff(client: Client, argv: list[bytes]) -> object:
    """Subtract multiple sets."""
    return _algebra(client, argv[1:], "diff")


@command("sinterstore", arity=-3, flags="write denyoom", keys=(key_at(1, "RW update"), after_index(2, "RO access")),
         group="set", syntax="destination:key key [key ...]")
def sinterstore(client: Client, argv: list[bytes]) -> object:
    """Intersect multiple sets and store the resulting set in a key."""
    return _algebra_store(client, argv, "inter")


#: SUNIONSTORE's and SDIFFSTORE's destination (overwritten) and sources.
_STORE_KEYS = (key_at(1, "OW update"), after_index(2, "RO access"))


@command("sunionstore", arity=-3, flags="write denyoom", keys=_STORE_KEYS, group="set",
         syntax="destination:key key [key ...]")
def sunionstore(client: Client, argv: list[bytes]) -> object:
    """Add multiple sets and store the resulting set in a key."""
    return _algebra_store(client, argv, "union")


@command("sdiffstore", arity=-3, flags="write denyoom", keys=_STORE_KEYS, group="set",
         syntax="destination:key key [key ...]")
def sdiffstore(client: Client, argv: list[bytes]) -> object:
    """Subtract multiple sets and store the resulting set in a key."""
    return _algebra_store(client, argv, "diff")


@command("sintercard", arity=-3, flags="readonly", keys=(keynum(1, "RO access"),), group="set",
         syntax="numkeys:integer key [key ...] [LIMIT limit:integer]")
def sintercard(client: Client, argv: list[bytes]) -> object:
    """Intersect multiple sets and return the cardinality of the result."""
    numkeys = parse_int(argv[1], NumkeysError)
    if numkeys <= 0:
        raise NumkeysError()
    if numkeys > len(argv) - 2:
        raise TooManyKeysError()
    limit = 0
    args = Arguments(argv, 2 + numkeys)
    while args:
        if args.keyword() != b"LIMIT" or args.peek() is None:
            raise SyntaxErrorReply()
        limit = args.take_int(LimitNegativeError)
        if limit < 0:
            raise LimitNegativeError()
    size = len(_combine("inter", _sets_of(client.keyspace, argv[2:2 + numkeys])))
    return min(size, limit) if limit else size


@command("sscan", arity=-3, flags="readonly", keys=(1, 1, 1), group="set",
         syntax="key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")
def sscan(client: Client, argv: list[bytes]) -> object:
    """Incrementally iterate Set elements."""
    return scan_collection(client, client.keyspace.sets, argv, lambda member, _value: (member,))

