"""Hash commands (HSET ... HSCAN), over the engine's hash store."""

from __future__ import annotations

from fractions import Fraction

from pypika_store import long_double
from pypika_store.errors import (
    HashNotFloatError,
    HashNotIntegerError,
    NanOrInfinityError,
    NotFiniteError,
    NotFloatError,
    OverflowErrorReply,
    SyntaxErrorReply,
    wrong_arity,
)

from ..connection import Client
from ..registry import command, key_at
from ..resp.replies import OK, BulkStrings, Map
from ..arguments import INT64_MAX, INT64_MIN, parse_int, random_count
from ..scanning import scan_collection
from .strings import check_string_length


@command("hset", arity=-4, flags="write denyoom fast", keys=(key_at(1, "RW update"),), group="hash",
         syntax="key field_value:<field value> [field_value ...]")
def hset(client: Client, argv: list[bytes]) -> object:
    """Set the string value of hash fields; how many fields were added."""
    if len(argv) % 2:  # field value pairs, each whole
        raise wrong_arity(argv)
    return client.keyspace.hashes.set_pairs(argv[1], argv[2:])


@command("hmset", arity=-4, flags="write denyoom fast", keys=(key_at(1, "RW update"),), group="hash",
         syntax="key field_value:<field value> [field_value ...]")
def hmset(client: Client, argv: list[bytes]) -> object:
    """Set multiple hash fields to multiple values (deprecated form of HSET)."""
    if len(argv) % 2:
        raise wrong_arity(argv)
    client.keyspace.hashes.set_pairs(argv[1], argv[2:])
    return OK


@command("hsetnx", arity=4, flags="write denyoom fast", keys=(key_at(1, "RW insert"),), group="hash",
         syntax="key field value")
def hsetnx(client: Client, argv: list[bytes]) -> object:
    """Set the value of a hash field, only if the field does not exist."""
    return client.keyspace.hashes.set_new_field(argv[1], argv[2], argv[3])


@command("hget", arity=3, flags="readonly fast", keys=(1, 1, 1), group="hash", syntax="key field")
def hget(client: Client, argv: list[bytes]) -> object:
    """Get the value of a hash field."""
    return client.keyspace.hashes.get_field(argv[1], argv[2])


@command("hmget", arity=-3, flags="readonly fast", keys=(1, 1, 1), group="hash", syntax="key field [field ...]")
def hmget(client: Client, argv: list[bytes]) -> object:
    """Get the values of all the given hash fields."""
    return client.keyspace.hashes.get_fields(argv[1], argv[2:])


@command("hdel", arity=-3, flags="write fast", keys=(key_at(1, "RW delete"),), group="hash",
         syntax="key field [field ...]")
def hdel(client: Client, argv: list[bytes]) -> object:
    """Delete one or more hash fields."""
    return client.keyspace.hashes.delete_fields(argv[1], argv[2:])


@command("hexists", arity=3, flags="readonly fast", keys=(key_at(1, "RO"),), group="hash", syntax="key field")
def hexists(client: Client, argv: list[bytes]) -> object:
    """Determine if a hash field exists."""
    return int(client.keyspace.hashes.get_field(argv[1], argv[2]) is not None)


@command("hlen", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="hash", syntax="key")
def hlen(client: Client, argv: list[bytes]) -> object:
    """Get the number of fields in a hash."""
    return client.keyspace.hashes.length(argv[1])


@command("hstrlen", arity=3, flags="readonly fast", keys=(key_at(1, "RO"),), group="hash", syntax="key field")
def hstrlen(client: Client, argv: list[bytes]) -> object:
    """Get the length of the value of a hash field."""
    value = client.keyspace.hashes.get_field(argv[1], argv[2])
    return 0 if value is None else len(value)


@command("hgetall", arity=2, flags="readonly", keys=(1, 1, 1), group="hash", syntax="key")
def hgetall(client: Client, argv: list[bytes]) -> object:
    """Get all the fields and values in a hash."""
    return Map(client.keyspace.hashes.entries(argv[1]))


@command("hkeys", arity=2, flags="readonly", keys=(1, 1, 1), group="hash", syntax="key")
def hkeys(client: Client, argv: list[bytes]) -> object:
    """Get all the fields in a hash."""
    return BulkStrings(client.keyspace.hashes.fields(argv[1]))


@command("hvals", arity=2, flags="readonly", keys=(1, 1, 1), group="hash", syntax="key")
def hvals(client: Client, argv: list[bytes]) -> object:
    """Get all the values in a hash."""
    return BulkStrings([value for _, value in client.keyspace.hashes.entries(argv[1])])


@command("hincrby", arity=4, flags="write denyoom fast", keys=(1, 1, 1), group="hash",
         syntax="key field increment:integer")
def hincrby(client: Client, argv: list[bytes]) -> object:
    """Increment the integer value of a hash field by the given number."""
    delta = parse_int(argv[3])

    def incremented(current: bytes | None) -> bytes:
        base = 0 if current is None else parse_int(current, HashNotIntegerError)
        result = base + delta
        if not INT64_MIN <= result <= INT64_MAX:
            raise OverflowErrorReply()
        return b"%d" % result

    return int(client.keyspace.hashes.update(argv[1], argv[2], incremented, b"hincrby"))


@command("hincrbyfloat", arity=4, flags="write denyoom fast", keys=(1, 1, 1), group="hash",
         syntax="key field increment:double")
def hincrbyfloat(client: Client, argv: list[bytes]) -> object:
    """Increment the float value of a hash field (in long double, as Redis)."""
    delta = long_double.parse(argv[3])
    if delta is None:
        raise NotFloatError()
    if isinstance(delta, float):
        raise NotFiniteError()

    def incremented(current: bytes | None) -> bytes:
        base = Fraction(0) if current is None else long_double.parse(current)
        if base is None:
            raise HashNotFloatError()
        if isinstance(base, float):
            raise NanOrInfinityError()
        result = long_double.to_long_double(base + delta)
        if not long_double.is_finite(result):
            raise NanOrInfinityError()
        text = long_double.format_human(result)
        check_string_length(client, len(text))
        return text

    return client.keyspace.hashes.update(argv[1], argv[2], incremented, b"hincrbyfloat")


@command("hrandfield", arity=-2, flags="readonly", keys=(1, 1, 1), group="hash",
         syntax="key options:[count:integer [WITHVALUES]]")
def hrandfield(client: Client, argv: list[bytes]) -> object:
    """Get one or multiple random fields (and values) from a hash."""
    hashes = client.keyspace.hashes
    with_values = len(argv) == 4 and argv[3].upper() == b"WITHVALUES"
    if len(argv) > 4 or (len(argv) == 4 and not with_values):
        raise SyntaxErrorReply()
    count = random_count(argv[2], with_values) if len(argv) >= 3 else None
    collection = hashes.open(argv[1])
    if collection is None:
        return None if count is None else []
    if count is None:
        return hashes.random_members(collection, 1, distinct=True)[0][0]
    picked = hashes.random_members(collection, abs(count), distinct=count >= 0) if count else []
    if not with_values:
        return [field for field, _ in picked]
    if client.resp == 3:
        return [[field, value] for field, value in picked]
    return [part for pair in picked for part in pair]


@command("hscan", arity=-3, flags="readonly", keys=(1, 1, 1), group="hash",
         syntax="key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")
def hscan(client: Client, argv: list[bytes]) -> object:
    """Incrementally iterate hash fields and associated values."""
    return scan_collection(client, client.keyspace.hashes, argv, lambda field, value: (field, value))
