"""String commands: GET, SET and its variants, counters, ranges, LCS, Pika's PKSETEXAT."""

from __future__ import annotations

from fractions import Fraction

from pypika_store import lcs, long_double
from pypika_store.errors import (
    DecrementOverflowError,
    LcsLenAndIdxError,
    LcsNotStringError,
    LcsTooLargeError,
    NanOrInfinityError,
    NotFloatError,
    OffsetOutOfRangeError,
    OverflowErrorReply,
    StringTooLongError,
    SyntaxErrorReply,
    WrongTypeError,
    invalid_expire_time,
    wrong_arity,
)
from pypika_store.keyspace import KEEP_TTL, Keyspace

from ..connection import Client
from ..arguments import INT64_MAX, INT64_MIN, Arguments, parse_int
from ..registry import BeginIndex, FindRange, KeyAndFlags, KeySpec, command, key_at
from ..resp.replies import OK, ONE, ZERO, Map

_EXPIRY_UNITS = (b"EX", b"PX", b"EXAT", b"PXAT")


def absolute_expiry_ms(client: Client, unit: bytes, arg: bytes, command_name: str) -> int:
    """The absolute expiry in unix ms for an EX/PX/EXAT/PXAT argument (must be positive)."""
    value = parse_int(arg)
    if value <= 0:
        raise invalid_expire_time(command_name)
    if unit in (b"EX", b"EXAT"):
        if value > INT64_MAX // 1000:
            raise invalid_expire_time(command_name)
        value *= 1000
    if unit in (b"EX", b"PX"):
        value += client.server.engine.now_ms()
        if value > INT64_MAX:
            raise invalid_expire_time(command_name)
    return value


def check_string_length(client: Client, size: int) -> None:
    """Refuse values longer than proto-max-bulk-len, as Redis' checkStringLength does."""
    if size > client.server.config.get_int("proto-max-bulk-len"):
        raise StringTooLongError()


def _store(keyspace: Keyspace, key: bytes, value: bytes, expire_at_ms: int, now_ms: int) -> None:
    """Write a string whose expiry may already be past (GETEX EXAT, PKSETEXAT): then delete it."""
    if expire_at_ms and expire_at_ms <= now_ms:
        keyspace.delete(key)
    else:
        keyspace.set_string(key, value, expire_at_ms, expiry_event=True)


# -- GET / SET family ----------------------------------------------------------------------------


@command("get", arity=2, flags="readonly fast", keys=(1, 1, 1), group="string", syntax="key")
def get(client: Client, argv: list[bytes]) -> object:
    """Get the value of a key."""
    return client.keyspace.get_string(argv[1])


class _ExtendedOptions:
    """SET's and GETEX's options, parsed as Redis' parseExtendedStringArgumentsOrReply does:
    repeating an option is allowed (the last expiry wins), only conflicting ones are errors."""

    __slots__ = ("condition", "want_old", "keep_ttl", "persist", "unit", "amount")

    def __init__(self, argv: list[bytes], for_set: bool) -> None:
        self.condition = b""
        self.want_old = self.keep_ttl = self.persist = False
        self.unit = self.amount = b""
        args = Arguments(argv, 3 if for_set else 2)
        while args:
            option = args.keyword()
            if for_set and option in (b"NX", b"XX") and self.condition in (b"", option):
                self.condition = option
            elif for_set and option == b"GET":
                self.want_old = True
            elif for_set and option == b"KEEPTTL" and not self.unit:
                self.keep_ttl = True
            elif not for_set and option == b"PERSIST" and not self.unit:
                self.persist = True
            elif (option in _EXPIRY_UNITS and self.unit in (b"", option) and not self.keep_ttl
                  and not self.persist and args):
                self.unit = option
                self.amount = args.take()
            else:
                raise SyntaxErrorReply()

    def expire_at(self, client: Client, command_name: str) -> int:
        """The absolute expiry asked for (0: none; KEEP_TTL for SET ... KEEPTTL)."""
        if self.unit:
            return absolute_expiry_ms(client, self.unit, self.amount, command_name)
        return KEEP_TTL if self.keep_ttl else 0


def _set_keys(argv: list[bytes]) -> list[KeyAndFlags]:
    """SET's key as Redis' setGetKeys flags it: read and updated with GET, else overwritten."""
    reads = any(option.upper() == b"GET" for option in argv[3:])
    return [(argv[1], ("RW", "access", "update") if reads else ("OW", "update"))]


@command("set", arity=-3, flags="write denyoom", group="string", keys=(
    KeySpec(BeginIndex(1), FindRange(), ("RW", "access", "update", "variable_flags"),
            notes="RW and ACCESS due to the optional `GET` argument"),),
         syntax="key value condition:[NX | XX] [GET] "
                "expiration:[EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT "
                "unix-time-milliseconds:unix-time | KEEPTTL]", getkeys=_set_keys)
def set_(client: Client, argv: list[bytes]) -> object:
    """Set the string value of a key, with optional expiry, condition and GET."""
    if len(argv) == 3:  # the hot path: plain SET, nothing read beyond its two arguments
        client.keyspace.set_string(argv[1], argv[2])
        return OK
    key, value = argv[1], argv[2]
    keyspace = client.keyspace
    options = _ExtendedOptions(argv, for_set=True)
    expire_at = options.expire_at(client, "set")
    old = None
    if options.want_old:  # a read Redis counts in keyspace_hits/misses, as GET's
        client.server.dispatcher.count_lookups(client, [key])
        old = keyspace.get_string(key)
    if options.condition:
        exists = old is not None or (not options.want_old and keyspace.exists(key))
        if exists == (options.condition == b"NX"):
            return old if options.want_old else None
    keyspace.set_string(key, value, expire_at, expiry_event=True)
    return old if options.want_old else OK


@command("setnx", arity=3, flags="write denyoom fast", keys=(key_at(1, "OW insert"),), group="string",
         syntax="key value")
def setnx(client: Client, argv: list[bytes]) -> object:
    """Set the value of a key, only if the key does not exist."""
    keyspace = client.keyspace
    if keyspace.exists(argv[1]):
        return ZERO
    keyspace.set_string(argv[1], argv[2])
    return ONE


def _set_with_ttl(client: Client, argv: list[bytes], unit: bytes, command_name: str) -> object:
    expire_at = absolute_expiry_ms(client, unit, argv[2], command_name)
    client.keyspace.set_string(argv[1], argv[3], expire_at, expiry_event=True)
    return OK


@command("setex", arity=4, flags="write denyoom", keys=(key_at(1, "OW update"),), group="string",
         syntax="key seconds:integer value")
def setex(client: Client, argv: list[bytes]) -> object:
    """Set the value and expiration of a key (seconds)."""
    return _set_with_ttl(client, argv, b"EX", "setex")


@command("psetex", arity=4, flags="write denyoom", keys=(key_at(1, "OW update"),), group="string",
         syntax="key milliseconds:integer value")
def psetex(client: Client, argv: list[bytes]) -> object:
    """Set the value and expiration in milliseconds of a key."""
    return _set_with_ttl(client, argv, b"PX", "psetex")


@command("pksetexat", arity=4, flags="write denyoom", keys=(1, 1, 1), group="string",
         syntax="key timestamp:unix-time value")
def pksetexat(client: Client, argv: list[bytes]) -> object:
    """Pika: set a value expiring at an absolute unix time in seconds (0: no expiry).

    This is the form Pika's binlog gives SET EX, SETEX and the counters, so that replaying it
    gives the same expiry whenever it is replayed.
    """
    timestamp = parse_int(argv[2])
    now = client.server.engine.now_ms()
    expire_at = timestamp * 1000 if timestamp > 0 else 0
    if expire_at > INT64_MAX:
        raise invalid_expire_time("pksetexat")
    _store(client.keyspace, argv[1], argv[3], expire_at, now)
    return OK


@command("getset", arity=3, flags="write denyoom fast", keys=(1, 1, 1), group="string", syntax="key value")
def getset(client: Client, argv: list[bytes]) -> object:
    """Set the string value of a key and return its old value."""
    keyspace = client.keyspace
    old = keyspace.get_string(argv[1])
    keyspace.set_string(argv[1], argv[2])
    return old


@command("getdel", arity=2, flags="write fast", keys=(key_at(1, "RW access delete"),), group="string", syntax="key")
def getdel(client: Client, argv: list[bytes]) -> object:
    """Get the value of a key and delete the key."""
    keyspace = client.keyspace
    value = keyspace.get_string(argv[1])
    if value is not None:
        keyspace.delete(argv[1])
    return value


@command("getex", arity=-2, flags="write fast", group="string", keys=(
    KeySpec(BeginIndex(1), FindRange(), ("RW", "access", "update"), notes="RW and UPDATE because it changes the TTL"),),
         syntax="key "
                "expiration:[EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT "
                "unix-time-milliseconds:unix-time | PERSIST]")
def getex(client: Client, argv: list[bytes]) -> object:
    """Get the value of a key and optionally set or remove its expiration."""
    options = _ExtendedOptions(argv, for_set=False)
    keyspace = client.keyspace
    value = keyspace.get_string(argv[1])
    if value is None:
        return None
    if options.unit:
        expire_at = options.expire_at(client, "getex")
        if expire_at <= client.server.engine.now_ms():
            keyspace.delete(argv[1])
        else:
            keyspace.set_expire(argv[1], expire_at)
    elif options.persist and keyspace.expire_at(argv[1]):
        keyspace.set_expire(argv[1], 0)
    return value


@command("mget", arity=-2, flags="readonly fast", keys=(1, -1, 1), group="string", syntax="key [key ...]")
def mget(client: Client, argv: list[bytes]) -> object:
    """Get the values of all the given keys (nil for missing keys and other types)."""
    get_string = client.keyspace.get_string
    values = []
    for key in argv[1:]:
        try:  # a key of another type is rare: the common lookup builds no Record
            values.append(get_string(key))
        except WrongTypeError:
            values.append(None)
    return values


def _pairs(argv: list[bytes]) -> list[tuple[bytes, bytes]]:
    if len(argv) % 2 == 0:
        raise wrong_arity(argv)
    return list(zip(argv[1::2], argv[2::2]))


@command("mset", arity=-3, flags="write denyoom", keys=(KeySpec(BeginIndex(1), FindRange(-1, 2), ("OW", "update")),),
         group="string", syntax="key_value:<key value> [key_value ...]")
def mset(client: Client, argv: list[bytes]) -> object:
    """Set multiple keys to multiple values."""
    keyspace = client.keyspace
    for key, value in _pairs(argv):
        keyspace.set_string(key, value)
    return OK


@command("msetnx", arity=-3, flags="write denyoom", keys=(KeySpec(BeginIndex(1), FindRange(-1, 2), ("OW", "insert")),),
         group="string", syntax="key_value:<key value> [key_value ...]")
def msetnx(client: Client, argv: list[bytes]) -> object:
    """Set multiple keys to multiple values, only if none of the keys exist."""
    pairs = _pairs(argv)
    keyspace = client.keyspace
    if any(keyspace.exists(key) for key, _value in pairs):
        return ZERO
    for key, value in pairs:
        keyspace.set_string(key, value)
    return ONE


# -- byte ranges -----------------------------------------------------------------------------------


@command("append", arity=3, flags="write denyoom fast", keys=(key_at(1, "RW insert"),), group="string",
         syntax="key value")
def append(client: Client, argv: list[bytes]) -> object:
    """Append a value to a key."""
    keyspace = client.keyspace
    entry = keyspace.get_string_entry(argv[1])
    if entry is None:
        keyspace.set_string(argv[1], argv[2], event=b"append")
        return len(argv[2])
    old, expire_at = entry
    check_string_length(client, len(old) + len(argv[2]))
    value = old + argv[2]
    keyspace.set_string(argv[1], value, expire_at, event=b"append")
    return len(value)


@command("strlen", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="string", syntax="key")
def strlen(client: Client, argv: list[bytes]) -> object:
    """Get the length of the value stored in a key."""
    value = client.keyspace.get_string(argv[1])
    return 0 if value is None else len(value)


def byte_range(start: int, end: int, length: int) -> tuple[int, int] | None:
    """Redis' inclusive [start, end] with negative indexes from the end; None when empty."""
    if start < 0 and end < 0 and start > end:
        return None
    if start < 0:
        start = max(length + start, 0)
    if end < 0:
        end = max(length + end, 0)
    end = min(end, length - 1)
    if start > end or length == 0:
        return None
    return start, end


@command("getrange", arity=4, flags="readonly", keys=(1, 1, 1), group="string", aliases=("substr",),
         syntax="key start:integer end:integer")
def getrange(client: Client, argv: list[bytes]) -> object:
    """Get a substring of the string stored at a key (SUBSTR is its old name)."""
    start, end = parse_int(argv[2]), parse_int(argv[3])
    value = client.keyspace.get_string(argv[1])
    if value is None:
        return b""
    bounds = byte_range(start, end, len(value))
    return b"" if bounds is None else value[bounds[0] : bounds[1] + 1]


@command("setrange", arity=4, flags="write denyoom", keys=(key_at(1, "RW update"),), group="string",
         syntax="key offset:integer value")
def setrange(client: Client, argv: list[bytes]) -> object:
    """Overwrite part of a string at key starting at the specified offset."""
    offset = parse_int(argv[2])
    if offset < 0:
        raise OffsetOutOfRangeError()
    patch = argv[3]
    keyspace = client.keyspace
    current, expire_at = keyspace.get_string_entry(argv[1]) or (None, 0)
    if not patch:
        return 0 if current is None else len(current)
    check_string_length(client, offset + len(patch))
    current = current or b""
    if len(current) < offset:
        current += b"\x00" * (offset - len(current))
    value = current[:offset] + patch + current[offset + len(patch) :]
    keyspace.set_string(argv[1], value, expire_at, event=b"setrange")
    return len(value)


def _lcs_operand(client: Client, key: bytes) -> bytes | None:
    """A key's string for LCS (a missing key is the empty string); None for another type."""
    record = client.keyspace.get_record(key)
    if record is None:
        return b""
    return record.body if record.type_name == "string" else None


@command("lcs", arity=-3, flags="readonly", keys=(1, 2, 1), group="string",
         syntax="key1:key key2:key#0 [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]")
def lcs_(client: Client, argv: list[bytes]) -> object:
    """Find the longest common substring."""
    first, second = _lcs_operand(client, argv[1]), _lcs_operand(client, argv[2])
    if first is None or second is None:
        raise LcsNotStringError()  # before the options, as Redis checks
    want_length = want_indexes = with_match_length = False
    min_match_length = 0
    args = Arguments(argv, 3)
    while args:
        option = args.keyword()
        if option == b"IDX":
            want_indexes = True
        elif option == b"LEN":
            want_length = True
        elif option == b"WITHMATCHLEN":
            with_match_length = True
        elif option == b"MINMATCHLEN" and args:
            min_match_length = max(args.take_int(), 0)
        else:
            raise SyntaxErrorReply()
    if want_indexes and want_length:
        raise LcsLenAndIdxError()
    if not lcs.within_limits(first, second):
        raise LcsTooLargeError()
    result = lcs.longest_common_subsequence(first, second, min_match_length)
    if want_length:
        return result.length
    if not want_indexes:
        return result.subsequence
    matches = []
    for match in result.matches:
        entry: list[object] = [[match.first_start, match.first_end], [match.second_start, match.second_end]]
        if with_match_length:
            entry.append(match.length)
        matches.append(entry)
    return Map([(b"matches", matches), (b"len", result.length)])


# -- counters --------------------------------------------------------------------------------------


def _increment(client: Client, key: bytes, delta: int) -> int:
    keyspace = client.keyspace
    entry = keyspace.get_string_entry(key)
    result = (0 if entry is None else parse_int(entry[0])) + delta
    if result < INT64_MIN or result > INT64_MAX:
        raise OverflowErrorReply()
    _write_counter(keyspace, key, b"%d" % result, entry, b"incrby")
    return result


def _write_counter(keyspace: Keyspace, key: bytes, value: bytes, entry: tuple[bytes, int] | None,
                   event: bytes) -> None:
    """Store a counter's new ``value``: over the live string read as ``entry`` in one put, keeping
    its TTL (:meth:`~pypika_store.keyspace.Keyspace.rewrite_string`), else as a new key."""
    if entry is None:
        keyspace.set_string(key, value, event=event)
    else:
        keyspace.rewrite_string(key, value, entry[1], event)


@command("incr", arity=2, flags="write denyoom fast", keys=(1, 1, 1), group="string", syntax="key")
def incr(client: Client, argv: list[bytes]) -> object:
    """Increment the integer value of a key by one."""
    return _increment(client, argv[1], 1)


@command("decr", arity=2, flags="write denyoom fast", keys=(1, 1, 1), group="string", syntax="key")
def decr(client: Client, argv: list[bytes]) -> object:
    """Decrement the integer value of a key by one."""
    return _increment(client, argv[1], -1)


@command("incrby", arity=3, flags="write denyoom fast", keys=(1, 1, 1), group="string", syntax="key increment:integer")
def incrby(client: Client, argv: list[bytes]) -> object:
    """Increment the integer value of a key by the given amount."""
    return _increment(client, argv[1], parse_int(argv[2]))


@command("decrby", arity=3, flags="write denyoom fast", keys=(1, 1, 1), group="string", syntax="key decrement:integer")
def decrby(client: Client, argv: list[bytes]) -> object:
    """Decrement the integer value of a key by the given number."""
    delta = parse_int(argv[2])
    if delta == INT64_MIN:
        raise DecrementOverflowError()
    return _increment(client, argv[1], -delta)


@command("incrbyfloat", arity=3, flags="write denyoom fast", keys=(1, 1, 1), group="string",
         syntax="key increment:double")
def incrbyfloat(client: Client, argv: list[bytes]) -> object:
    """Increment the float value of a key by the given amount (in long double, as Redis)."""
    keyspace = client.keyspace
    entry = keyspace.get_string_entry(argv[1])
    base = Fraction(0) if entry is None else long_double.parse(entry[0])
    delta = long_double.parse(argv[2])
    if base is None or delta is None:
        raise NotFloatError()
    if isinstance(base, float) or isinstance(delta, float):
        raise NanOrInfinityError()
    result = long_double.to_long_double(base + delta)
    if not long_double.is_finite(result):
        raise NanOrInfinityError()
    text = long_double.format_human(result)
    _write_counter(keyspace, argv[1], text, entry, b"incrbyfloat")
    return text
