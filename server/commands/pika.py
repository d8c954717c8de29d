"""Pika's own range-scan and bulk-delete commands: PKSCANRANGE, PKRSCANRANGE, PKHSCANRANGE,
PKHRSCANRANGE, SCANX, HSCANX, PKPATTERNMATCHDEL (arguments, replies and errors as Pika 4.0
gives them)."""

from __future__ import annotations

from itertools import islice
from typing import Callable, Iterator

from pypika_store.errors import InvalidRangeError, NotIntegerError, SyntaxErrorReply, WrongTypeError, invalid_db_type
from pypika_store.storage.records import TAG_HASH, TAG_LIST, TAG_SET, TAG_STRING, TAG_ZSET

from ..connection import Client
from ..registry import command
from ..arguments import Arguments, key_matcher, parse_int

#: PKSCANRANGE's type argument → (tag, whether string values are returned too).
_TYPES = {b"string_with_value": (TAG_STRING, True), b"string": (TAG_STRING, False), b"hash": (TAG_HASH, False),
          b"set": (TAG_SET, False), b"zset": (TAG_ZSET, False), b"list": (TAG_LIST, False)}
#: Pika's limit on PKPATTERNMATCHDEL's count (storage::BATCH_DELETE_LIMIT).
BATCH_DELETE_LIMIT = 100


def _pattern_and_count(argv: list[bytes], start: int, count_word: bytes, count: int,
                       count_ok: Callable[[int], bool]) -> tuple[bytes, int]:
    """Pika's ``[MATCH pattern] [<count_word> n]`` options from ``argv[start]`` (repeatable,
    the last wins; ``count`` without one): a count ``count_ok`` refuses is "not an
    integer", as Pika answers it."""
    pattern = b"*"
    args = Arguments(argv, start)
    while args:
        option = args.keyword()
        if option not in (b"MATCH", count_word) or not args:
            raise SyntaxErrorReply()
        if option == b"MATCH":
            pattern = args.take()
            continue
        count = args.take_int()
        if not count_ok(count):
            raise NotIntegerError()
    return pattern, count


def _positive(count: int) -> bool:
    return count > 0


class _RangeOptions:
    """``[MATCH pattern] [LIMIT n]`` after the range (LIMIT defaults to 10)."""

    def __init__(self, argv: list[bytes]) -> None:
        self.pattern, self.limit = _pattern_and_count(argv, 4, b"LIMIT", 10, _positive)
        self.matches = key_matcher(self.pattern)

    def match(self, name: bytes) -> bool:
        return self.matches is None or self.matches(name)


def _in_order(start: bytes, end: bytes, reverse: bool) -> bool:
    """Pika's check: with both ends given, start must not pass end."""
    return not start or not end or (start >= end if reverse else start <= end)


def _within(name: bytes, end: bytes, reverse: bool) -> bool:
    return not end or (name >= end if reverse else name <= end)


def _key_range(client: Client, argv: list[bytes], reverse: bool) -> object:
    kind = _TYPES.get(argv[1].lower())
    if kind is None:
        raise invalid_db_type(argv)
    tag, with_values = kind
    start, end = argv[2], argv[3]
    options = _RangeOptions(argv)
    if not _in_order(start, end, reverse):
        raise WrongTypeError()  # Pika answers a reversed range with its kMultiKey reply
    found: list[bytes] = []
    next_key = b""
    for key, record in client.keyspace.iter_records(start, reverse=reverse):
        if not _within(key, end, reverse):
            break
        if record.tag != tag or not options.match(key):
            continue
        if len(found) == options.limit * (2 if with_values else 1):
            next_key = key
            break
        found.append(key)
        if with_values:
            found.append(record.body)
    return [next_key, found]


@command("pkscanrange", arity=-4, flags="readonly", group="keyspace",
         syntax="type key_start key_end [MATCH pattern:pattern] [LIMIT limit:integer]")
def pkscanrange(client: Client, argv: list[bytes]) -> object:
    """Pika: keys of one type between start and end (inclusive; empty = open), in order."""
    return _key_range(client, argv, reverse=False)


@command("pkrscanrange", arity=-4, flags="readonly", group="keyspace",
         syntax="type key_start key_end [MATCH pattern:pattern] [LIMIT limit:integer]")
def pkrscanrange(client: Client, argv: list[bytes]) -> object:
    """Pika: keys of one type from start down to end (inclusive; empty = open)."""
    return _key_range(client, argv, reverse=True)


def _fields(client: Client, key: bytes, start: bytes, reverse: bool) -> Iterator[tuple[bytes, bytes]]:
    store = client.keyspace.hashes
    collection = store.open(key)
    if collection is None:
        return iter(())
    return store.iter_members(collection, start=start, reverse=reverse)


def _field_range(client: Client, argv: list[bytes], reverse: bool) -> object:
    start, end = argv[2], argv[3]
    options = _RangeOptions(argv)
    if not _in_order(start, end, reverse):
        raise InvalidRangeError()
    found: list[bytes] = []
    next_field = b""
    scanned = 0
    for field, value in _fields(client, argv[1], start, reverse):
        if not _within(field, end, reverse):
            break
        if scanned == options.limit:  # Pika counts every field scanned, matching or not
            next_field = field
            break
        scanned += 1
        if options.match(field):
            found += (field, value)
    return [next_field, found]


@command("pkhscanrange", arity=-4, flags="readonly", keys=(1, 1, 1), group="hash",
         syntax="key field_start field_end [MATCH pattern:pattern] [LIMIT limit:integer]")
def pkhscanrange(client: Client, argv: list[bytes]) -> object:
    """Pika: fields (and values) of a hash between two fields (inclusive; empty = open)."""
    return _field_range(client, argv, reverse=False)


@command("pkhrscanrange", arity=-4, flags="readonly", keys=(1, 1, 1), group="hash",
         syntax="key field_start field_end [MATCH pattern:pattern] [LIMIT limit:integer]")
def pkhrscanrange(client: Client, argv: list[bytes]) -> object:
    """Pika: fields (and values) of a hash from one field down to another."""
    return _field_range(client, argv, reverse=True)


@command("pkpatternmatchdel", arity=-2, flags="write admin", group="keyspace",
         syntax="pattern:pattern [max_count:integer]")
def pkpatternmatchdel(client: Client, argv: list[bytes]) -> object:
    """Pika: delete up to max_count (1..100, default 100) keys matching a pattern."""
    max_count = BATCH_DELETE_LIMIT
    if len(argv) > 2:
        max_count = parse_int(argv[2])
        if not 1 <= max_count <= BATCH_DELETE_LIMIT:
            raise NotIntegerError()
    matches = key_matcher(argv[1])
    keyspace = client.keyspace
    doomed = []
    for key, _record in keyspace.iter_records():
        if matches is None or matches(key):
            doomed.append(key)
            if len(doomed) == max_count:
                break
    for key in doomed:
        keyspace.delete(key)
    return len(doomed)


#: SCANX's type argument → tag.
_SCANX_TYPES = {name: tag for name, (tag, with_values) in _TYPES.items() if not with_values}
#: SCANX / HSCANX's default COUNT.
_SCANX_COUNT = 10


def _scan_from(items: Iterator[tuple[bytes, bytes]], pattern: bytes, count: int) -> tuple[bytes, list]:
    """Pika's HScanx: ``count`` fields from the start (matching or not), the matching ones
    kept, and the field after them as the next start (empty at the end)."""
    matches = key_matcher(pattern)
    found = []
    for scanned, (name, value) in enumerate(items):
        if scanned == count:
            return name, found
        if matches is None or matches(name):
            found.append((name, value))
    return b"", found


def _tail_wildcard_prefix(pattern: bytes) -> bytes:
    """``abc*``'s ``abc`` (Pika's isTailWildcard: one trailing star, no other wildcard); else empty."""
    head = pattern[:-1]
    if len(pattern) < 2 or not pattern.endswith(b"*") or any(char in head for char in b"*?[]"):
        return b""
    return head


@command("scanx", arity=-3, flags="readonly", group="keyspace",
         syntax="type start_key [MATCH pattern:pattern] [COUNT count:integer]")
def scanx(client: Client, argv: list[bytes]) -> object:
    """Pika: up to COUNT matching keys of one type from a start key on, and the key to resume
    from (Pika counts the matching keys here, unlike HSCANX, which counts every field)."""
    tag = _SCANX_TYPES.get(argv[1].lower())
    if tag is None:
        raise invalid_db_type(argv)
    pattern, count = _pattern_and_count(argv, 3, b"COUNT", _SCANX_COUNT, _positive)
    matches = key_matcher(pattern)
    keys = (key for key, record in client.keyspace.iter_records(argv[2])
            if record.tag == tag and (matches is None or matches(key)))
    found = list(islice(keys, count))
    following = next(keys, b"")
    prefix = _tail_wildcard_prefix(pattern)  # Pika stops at the end of a prefix pattern's keys
    next_key = following if following <= prefix or following.startswith(prefix) else b""
    return [next_key, found]


@command("hscanx", arity=-3, flags="readonly", keys=(1, 1, 1), group="hash",
         syntax="key start_field [MATCH pattern:pattern] [COUNT count:integer]")
def hscanx(client: Client, argv: list[bytes]) -> object:
    """Pika: up to COUNT fields and values of a hash from a start field on, and the field to
    resume from."""
    pattern, count = _pattern_and_count(argv, 3, b"COUNT", _SCANX_COUNT, lambda count: True)
    if count < 0:  # HSCANX checks its count after the options, and calls it a syntax error
        raise SyntaxErrorReply()
    next_field, found = _scan_from(_fields(client, argv[1], argv[2], reverse=False), pattern, count)
    return [next_field, [part for pair in found for part in pair]]
