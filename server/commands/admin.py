"""Server commands: FLUSHDB, FLUSHALL, DBSIZE, SHUTDOWN, INFO, TIME, DEBUG."""

from __future__ import annotations

import random
import re
import secrets
import time
from typing import Callable

from pypika_store import dump_payload
from pypika_store.config.options import ConfigError, parse_memory
from pypika_store.digest import dataset_digest, value_digest
from pypika_store.errors import (CommandError, DebugReloadOptionError, NoShutdownInProgressError, NoSuchKeyError,
                                 PackedThresholdError, Resp2NotSupportedError, SyntaxErrorReply,
                                 WrongProtocolTypeError, subcommand_syntax_error)
from pypika_store.glob import compile_glob
from pypika_store.replication.slave import REPLICATION_ID_KEY
from pypika_store.storage.records import TAG_STRING

from ..arguments import Arguments
from ..connection import Client
from ..info import render
from ..registry import command, container, help_reply
from ..resp.replies import NO_REPLY, OK, Map, Raw, SetReply, Status, Verbatim, encode


def _flush_mode(argv: list[bytes]) -> None:
    """FLUSHDB/FLUSHALL accept ASYNC or SYNC; both empty the DB before replying here."""
    args = Arguments(argv, 1)
    args.one_of(b"ASYNC", b"SYNC")
    args.expect_end()


@command("flushdb", arity=-1, flags="write", group="server", acl="keyspace dangerous", syntax="async:[ASYNC | SYNC]")
def flushdb(client: Client, argv: list[bytes]) -> object:
    """Remove all keys from the current database."""
    _flush_mode(argv)
    client.keyspace.flush()
    client.server.blocking.signal_db(client.db)
    return OK


@command("flushall", arity=-1, flags="write", group="server", acl="keyspace dangerous", syntax="async:[ASYNC | SYNC]")
def flushall(client: Client, argv: list[bytes]) -> object:
    """Remove all keys from all databases."""
    _flush_mode(argv)
    for keyspace in client.server.engine.keyspaces:
        keyspace.flush()
        client.server.blocking.signal_db(keyspace.index)
    return OK


@command("dbsize", arity=1, flags="readonly fast", group="server", acl="keyspace")
def dbsize(client: Client, argv: list[bytes]) -> object:
    """Return the number of keys in the selected database."""
    return client.keyspace.size()


@command("shutdown", arity=-1, flags="admin noscript loading stale no_multi allow_busy", group="server",
         syntax="nosave_save:[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]")
def shutdown(client: Client, argv: list[bytes]) -> object:
    """Synchronously save the dataset to disk and then shut down the server.

    Every write is already in LMDB, so SAVE and NOSAVE both stop cleanly with nothing lost;
    NOW, FORCE and ABORT are accepted as Redis 7 accepts them.
    """
    args = Arguments(argv, 1)
    options = set()
    while args:
        option = args.one_of(b"SAVE", b"NOSAVE", b"NOW", b"FORCE", b"ABORT")
        if option is None:
            raise SyntaxErrorReply()
        options.add(option)
    if b"ABORT" in options:
        raise NoShutdownInProgressError()
    client.server.request_shutdown()
    return NO_REPLY


@command("info", arity=-1, flags="loading stale", group="server", acl="dangerous", syntax="[section [section ...]]")
def info(client: Client, argv: list[bytes]) -> object:
    """Get information and statistics about the server."""
    return Verbatim(render(client.server, [arg.decode("utf-8", "replace") for arg in argv[1:]]))


@command("time", arity=1, flags="loading stale fast", group="server")
def time_(client: Client, argv: list[bytes]) -> object:
    """Return the current server time (seconds and microseconds)."""
    now_us = client.server.engine.clock.now_us()  # the data's clock: CHAOS CLOCK moves it
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


container("debug", arity=-2, flags="admin noscript loading stale", group="server",
          summary="A container for debugging commands (DIGEST, OBJECT, PROTOCOL, RELOAD, SLEEP...).",
          lists_subcommands=False, subcommand_error=subcommand_syntax_error)

_DEBUG_FLAGS = "admin noscript loading stale"

# The subcommands in the order of Redis' DEBUG HELP.


@command("debug|change-repl-id", arity=2, flags=_DEBUG_FLAGS, group="server", help=(
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
))
def debug_change_repl_id(client: Client, argv: list[bytes]) -> object:
    """A new replication id: slaves of this node full-sync at their next connection."""
    server = client.server
    server.replication_id = secrets.token_hex(20)
    server.engine.set_system_value(REPLICATION_ID_KEY, server.replication_id.encode())
    return OK


@command("debug|digest", arity=2, flags=_DEBUG_FLAGS, group="server", help=(
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
))
def debug_digest(client: Client, argv: list[bytes]) -> object:
    """The digest of the whole dataset, as redis-server computes it for the same data."""
    return Status(dataset_digest(client.server.engine.keyspaces).hex())


@command("debug|digest-value", arity=-2, flags=_DEBUG_FLAGS, group="server", help=(
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
))
def debug_digest_value(client: Client, argv: list[bytes]) -> object:
    """The digest of each key's value (zeros for a missing key)."""
    keyspace = client.keyspace
    digests = []
    for key in argv[2:]:
        record = keyspace.get_record(key)
        digests.append(Status((bytes(20) if record is None else value_digest(keyspace, key, record)).hex()))
    return digests


@command("debug|object", arity=3, flags=_DEBUG_FLAGS, group="server", help=(
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
))
def debug_object(client: Client, argv: list[bytes]) -> object:
    """Redis' line about a value, with what is true here: the encoding OBJECT ENCODING answers,
    the length of this server's DUMP payload as serializedlength, no LRU clock (idle 0, as
    OBJECT IDLETIME), one reference."""
    keyspace = client.keyspace
    key = argv[2]
    record = keyspace.get_record(key)
    if record is None:
        raise NoSuchKeyError()
    members = [] if record.tag == TAG_STRING else keyspace.members_of(record)
    length = len(dump_payload.encode(record, members))
    return Status(f"Value at:{id(record):#x} refcount:1 encoding:{keyspace.redis_encoding(key, record)} "
                  f"serializedlength:{length} lru:0 lru_seconds_idle:0")


@command("debug|protocol", arity=3, flags=_DEBUG_FLAGS, group="server", help=(
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
))
def debug_protocol(client: Client, argv: list[bytes]) -> object:
    """Redis' test value of one RESP type (RESP3's own types as their RESP2 fallbacks in RESP2)."""
    kind = argv[2].decode("utf-8", "replace").lower()
    if kind not in _TEST_VALUES:
        raise WrongProtocolTypeError()
    value = _TEST_VALUES[kind]
    return value(client.resp == 3) if callable(value) else value


def _resp_pair(resp3: bytes, resp2: bytes | CommandError) -> Callable[[bool], object]:
    """A test value whose RESP3 encoding has no reply type of its own here."""
    return lambda is_resp3: Raw(resp3) if is_resp3 else (resp2 if isinstance(resp2, bytes) else _raise(resp2))


def _raise(error: CommandError) -> object:
    raise error


_ATTRIBUTE_TEXT = b"Some real reply following the attribute"
_PUSH_TEXT = b"Some real reply following the push reply"
_VERBATIM_TEXT = b"This is a verbatim\nstring"
_BIGNUM = b"1234567999999999999999999999999999999"
#: DEBUG PROTOCOL's values, as Redis 7.0 sends them.
_TEST_VALUES: dict[str, object] = {
    "string": b"Hello World",
    "integer": 12345,
    "double": _resp_pair(b",3.141\r\n", b"3.141"),
    "bignum": _resp_pair(b"(" + _BIGNUM + b"\r\n", _BIGNUM),
    "null": None,
    "array": [0, 1, 2],
    "set": SetReply([0, 1, 2]),
    "map": Map([(0, False), (1, True), (2, False)]),
    "attrib": _resp_pair(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                         + encode(_ATTRIBUTE_TEXT), _ATTRIBUTE_TEXT),
    "push": _resp_pair(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n" + encode(_PUSH_TEXT), Resp2NotSupportedError()),
    "verbatim": _resp_pair(b"=%d\r\ntxt:%s\r\n" % (len(_VERBATIM_TEXT) + 4, _VERBATIM_TEXT), _VERBATIM_TEXT),
    "true": True,
    "false": False,
}


@command("debug|reload", arity=-2, flags=_DEBUG_FLAGS, group="server", help=(
    "RELOAD [option ...]",
    "    Re-read the state kept in memory (expiry indexes, counters, sorted-set ranks)",
    "    from LMDB, which always holds every write. Options MERGE, NOFLUSH, NOSAVE accepted.",
))
def debug_reload(client: Client, argv: list[bytes]) -> object:
    """Redis saves and reloads its RDB; every write is in LMDB here, so reloading is re-reading
    what the server mirrors in memory."""
    for option in argv[2:]:
        if option.upper() not in (b"MERGE", b"NOFLUSH", b"NOSAVE"):
            raise DebugReloadOptionError()
    client.server.engine.reload_state()
    return OK


@command("debug|set-active-expire", arity=3, flags=_DEBUG_FLAGS, group="server", help=(
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
))
def debug_set_active_expire(client: Client, argv: list[bytes]) -> object:
    """Turn the active expiry cycle off (0) or on (anything else read as a number, as Redis'
    atoi: a non-number is 0)."""
    client.server.active_expire = _atoi(argv[2]) != 0
    return OK


def _atoi(text: bytes) -> int:
    """C's atoi: the leading integer, 0 when there is none."""
    digits = re.match(rb"\s*[-+]?\d+", text)
    return int(digits.group()) if digits else 0


#: QUICKLIST-PACKED-THRESHOLD's largest value (Redis: 4 GB).
_PACKED_THRESHOLD_MAX = 1 << 32


@command("debug|quicklist-packed-threshold", arity=3, flags=_DEBUG_FLAGS, group="server", help=(
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Accepted and checked as Redis checks it; lists here have no quicklist nodes.",
))
def debug_quicklist_packed_threshold(client: Client, argv: list[bytes]) -> object:
    """Check the size as Redis does; there are no quicklist nodes here to pack."""
    try:
        size = parse_memory(argv[2].decode("utf-8", "replace"))
    except ConfigError:
        size = -1
    if not 0 <= size <= _PACKED_THRESHOLD_MAX:
        raise PackedThresholdError()
    return OK


@command("debug|sleep", arity=3, flags=_DEBUG_FLAGS, group="server",
         help=("SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed."))
def debug_sleep(client: Client, argv: list[bytes]) -> object:
    """Block the whole server for a while, as Redis' DEBUG SLEEP does (a bad number is 0)."""
    try:
        seconds = float(argv[2])
    except ValueError:
        seconds = 0.0
    time.sleep(max(seconds, 0.0))
    return OK


@command("debug|stringmatch-test", arity=2, flags=_DEBUG_FLAGS, group="server", help=(
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
))
def debug_stringmatch_test(client: Client, argv: list[bytes]) -> object:
    """Match random patterns against random strings (Redis' fuzz test of its glob matcher):
    the glob matcher must neither raise nor stall on any of them."""
    rng = random.Random()
    for _ in range(_FUZZ_ROUNDS):
        pattern = bytes(rng.choice(_FUZZ_ALPHABET) for _ in range(rng.randint(0, 32)))
        subject = bytes(rng.choice(_FUZZ_ALPHABET) for _ in range(rng.randint(0, 32)))
        compile_glob(pattern)(subject)
    return Status("Apparently Redis did not crash: test passed")


_FUZZ_ROUNDS = 1000
_FUZZ_ALPHABET = b"*?[]^-\\ab"


@command("debug|help", arity=2, flags=_DEBUG_FLAGS, group="server", help=("HELP", "    Prints this help."))
def debug_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
