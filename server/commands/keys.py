"""Generic key commands: DEL, EXISTS, TYPE, expiry, KEYS, SCAN, RENAME, MOVE, COPY ..."""

from __future__ import annotations

from functools import partial

from pypika_store.errors import (
    DbIndexOutOfRangeError,
    GtWithLtError,
    NoSuchKeyError,
    NxWithOtherConditionsError,
    SameObjectError,
    SyntaxErrorReply,
    invalid_expire_time,
    unsupported_option,
)
from pypika_store.keyspace import Keyspace
from pypika_store.notifications import GENERIC

from ..arguments import (
    INT64_MAX,
    INT64_MIN,
    Arguments,
    ScanOptions,
    c_string,
    key_matcher,
    parse_c_int,
    parse_cursor,
    parse_int,
)
from ..connection import Client
from ..registry import after_index, command, key_at
from ..resp.replies import OK, ONE, ZERO, Status

# -- existence --------------------------------------------------------------------------------------


@command("del", arity=-2, flags="write", keys=(after_index(1, "RM delete"),), group="keyspace", syntax="key [key ...]")
def del_(client: Client, argv: list[bytes]) -> object:
    """Delete keys."""
    keyspace = client.keyspace
    return sum(keyspace.delete(key) for key in argv[1:])


@command("unlink", arity=-2, flags="write fast", keys=(after_index(1, "RM delete"),), group="keyspace",
         syntax="key [key ...]")
def unlink(client: Client, argv: list[bytes]) -> object:
    """Delete keys (members of big collections are reclaimed in the background, as with DEL)."""
    return del_(client, argv)


@command("exists", arity=-2, flags="readonly fast", keys=(after_index(1, "RO"),), group="keyspace", aliases=("touch",),
         syntax="key [key ...]")
def exists(client: Client, argv: list[bytes]) -> object:
    """Count how many of the given keys exist (a key named twice counts twice).

    TOUCH is the same command: no access time is kept, so there is nothing else to update.
    """
    keyspace = client.keyspace
    return sum(keyspace.exists(key) for key in argv[1:])


@command("type", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="keyspace", syntax="key")
def type_(client: Client, argv: list[bytes]) -> object:
    """Determine the type stored at key."""
    return Status(client.keyspace.type_name(argv[1]))


# -- expiry ------------------------------------------------------------------------------------------

_EXPIRE_FLAGS = (b"NX", b"XX", b"GT", b"LT")


def _expire_flags(argv: list[bytes]) -> set[bytes]:
    args = Arguments(argv, 3)
    flags = set()
    while args:
        arg = args.take()
        flag = c_string(arg).upper()
        if flag not in _EXPIRE_FLAGS:
            raise unsupported_option(c_string(arg))
        flags.add(flag)
    if b"NX" in flags and flags & {b"XX", b"GT", b"LT"}:
        raise NxWithOtherConditionsError()
    if b"GT" in flags and b"LT" in flags:
        raise GtWithLtError()
    return flags


def _expire(client: Client, argv: list[bytes], in_seconds: bool, relative: bool) -> object:
    """EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: Redis 7's rules, option by option."""
    flags = _expire_flags(argv)
    when = parse_int(argv[2])
    invalid = invalid_expire_time(argv[0].decode("utf-8", "replace").lower())
    if in_seconds:
        if when > INT64_MAX // 1000 or when < -(-INT64_MIN // 1000):
            raise invalid
        when *= 1000
    now = client.server.engine.now_ms()
    if relative:
        if when > INT64_MAX - now:
            raise invalid
        when += now
    keyspace = client.keyspace
    current = keyspace.expire_at(argv[1])
    if current is None:
        return ZERO
    if flags:
        has_ttl = current != 0
        if (b"NX" in flags and has_ttl) or (b"XX" in flags and not has_ttl):
            return ZERO
        if b"GT" in flags and (not has_ttl or when <= current):
            return ZERO
        if b"LT" in flags and has_ttl and when >= current:
            return ZERO
    if when <= now:
        keyspace.delete(argv[1])
    else:
        keyspace.set_expire(argv[1], when)
    return ONE


# The four differ only in the unit of the time and whether it is relative to now.
for _name, _summary, _in_seconds, _relative, _time in (
    ("expire", "Set a key's time to live in seconds.", True, True, "seconds:integer"),
    ("pexpire", "Set a key's time to live in milliseconds.", False, True, "milliseconds:integer"),
    ("expireat", "Set the expiration for a key as a UNIX timestamp in seconds.", True, False,
     "unix-time-seconds:unix-time"),
    ("pexpireat", "Set the expiration for a key as a UNIX timestamp in milliseconds.", False, False,
     "unix-time-milliseconds:unix-time"),
):
    command(_name, arity=-3, flags="write fast", keys=(key_at(1, "RW update"),), group="keyspace", summary=_summary,
            syntax=f"key {_time} condition:[NX | XX | GT | LT]")(
        partial(_expire, in_seconds=_in_seconds, relative=_relative))


def _ttl(client: Client, argv: list[bytes], in_ms: bool, absolute: bool) -> int:
    """TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 without expiry."""
    expire_at = client.keyspace.expire_at(argv[1])
    if expire_at is None:
        return -2
    if expire_at == 0:
        return -1
    value = expire_at if absolute else max(expire_at - client.server.engine.now_ms(), 0)
    return value if in_ms else (value + 500) // 1000


# The four differ only in the unit of the answer and whether it is the time left or the deadline.
for _name, _summary, _in_ms, _absolute in (
    ("ttl", "Get the time to live for a key in seconds.", False, False),
    ("pttl", "Get the time to live for a key in milliseconds.", True, False),
    ("expiretime", "Get the expiration Unix timestamp for a key in seconds.", False, True),
    ("pexpiretime", "Get the expiration Unix timestamp for a key in milliseconds.", True, True),
):
    command(_name, arity=2, flags="readonly fast", keys=(1, 1, 1), group="keyspace", summary=_summary,
            syntax="key")(partial(_ttl, in_ms=_in_ms, absolute=_absolute))


@command("persist", arity=2, flags="write fast", keys=(key_at(1, "RW update"),), group="keyspace", syntax="key")
def persist(client: Client, argv: list[bytes]) -> object:
    """Remove the expiration from a key."""
    keyspace = client.keyspace
    if not keyspace.expire_at(argv[1]):
        return ZERO
    keyspace.set_expire(argv[1], 0)
    return ONE


# -- iteration ----------------------------------------------------------------------------------------


@command("keys", arity=2, flags="readonly", group="keyspace", acl="dangerous", syntax="pattern:pattern")
def keys(client: Client, argv: list[bytes]) -> object:
    """Find all keys matching the given pattern."""
    matches = key_matcher(argv[1])
    return [key for key, _record in client.keyspace.iter_records() if matches is None or matches(key)]


@command("scan", arity=-2, flags="readonly", group="keyspace",
         syntax="cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type]")
def scan(client: Client, argv: list[bytes]) -> object:
    """Incrementally iterate the keys space."""
    cursor = parse_cursor(argv[1])
    options = ScanOptions(argv, 2, allow_type=True)
    keyspace = client.keyspace
    expired: list[bytes] = []
    found, resume = keyspace.scan(keyspace.cursors.resume_key(cursor), options.count, expired)
    keyspace.expire_found([key for key in expired if options.match(key)])  # after the walk's cursor closed
    type_name = options.type_name
    result = [key for key, record in found
              if options.match(key) and (type_name is None or record.type_name == type_name)]
    next_cursor = 0 if resume is None else keyspace.cursors.save(resume)
    return [b"%d" % next_cursor, result]


@command("randomkey", arity=1, flags="readonly", group="keyspace")
def randomkey(client: Client, argv: list[bytes]) -> object:
    """Return a random key from the keyspace."""
    return client.keyspace.random_key()


# -- moving keys --------------------------------------------------------------------------------------


def _rename(client: Client, argv: list[bytes], only_if_new: bool) -> object:
    """RENAME and RENAMENX: the source's record (value and TTL) moves to the target name."""
    source, target = argv[1], argv[2]
    keyspace = client.keyspace
    record = keyspace.get_record(source)
    if record is None:
        raise NoSuchKeyError()
    if source == target:
        return ZERO if only_if_new else OK
    if only_if_new and keyspace.exists(target):
        return ZERO
    keyspace.rename(source, target, record)
    return ONE if only_if_new else OK


@command("rename", arity=3, flags="write", keys=(key_at(1, "RW access delete"), key_at(2, "OW update")),
         group="keyspace", syntax="key newkey:key")
def rename(client: Client, argv: list[bytes]) -> object:
    """Rename a key (replacing the target)."""
    return _rename(client, argv, only_if_new=False)


@command("renamenx", arity=3, flags="write fast", keys=(key_at(1, "RW access delete"), key_at(2, "OW insert")),
         group="keyspace", syntax="key newkey:key")
def renamenx(client: Client, argv: list[bytes]) -> object:
    """Rename a key, only if the new key does not exist."""
    return _rename(client, argv, only_if_new=True)


def _database(client: Client, arg: bytes) -> Keyspace:
    """The keyspace of a DB index argument (MOVE, COPY ... DB), with SELECT's errors."""
    index = parse_c_int(arg)
    keyspaces = client.server.engine.keyspaces
    if not 0 <= index < len(keyspaces):
        raise DbIndexOutOfRangeError()
    return keyspaces[index]


@command("move", arity=3, flags="write fast", keys=(1, 1, 1), group="keyspace", syntax="key db:integer")
def move(client: Client, argv: list[bytes]) -> object:
    """Move a key to another database (only if it is not there already).

    Each DB has its own members table, so a collection's members are copied into the
    target DB under a new object id (logged there as the whole collection), and the source
    key is deleted (its members reclaimed in the background).
    """
    target = _database(client, argv[2])
    source = client.keyspace
    if target is source:
        raise SameObjectError()
    record = source.get_record(argv[1])
    if record is None or target.exists(argv[1]):
        return ZERO
    target.put_record(argv[1], source.duplicate(record, target))
    source.delete(argv[1], event=b"move_from")
    target.notify(GENERIC, b"move_to", argv[1])
    return ONE


@command("copy", arity=-3, flags="write denyoom", keys=(key_at(1, "RO access"), key_at(2, "OW update")),
         group="keyspace", syntax="source:key destination:key [DB destination-db:integer] [REPLACE]")
def copy(client: Client, argv: list[bytes]) -> object:
    """Copy a key, optionally to another database and replacing the target.

    A collection's members are copied under a fresh object id, so the copies are independent.
    """
    target = client.keyspace
    replace = False
    args = Arguments(argv, 3)
    while args:
        option = args.keyword()
        if option == b"REPLACE":
            replace = True
        elif option == b"DB" and args:
            target = _database(client, args.take())
        else:
            raise SyntaxErrorReply()
    source = client.keyspace
    if target is source and argv[1] == argv[2]:
        raise SameObjectError()
    record = source.get_record(argv[1])
    if record is None or (not replace and target.exists(argv[2])):
        return ZERO
    target.put_record(argv[2], source.duplicate(record, target), event=b"copy_to")
    return ONE
