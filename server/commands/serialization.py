"""DUMP, RESTORE and RESTORE-ASKING (values moved between pypika-store servers), and OBJECT."""

from __future__ import annotations

from pypika_store import dump_payload
from pypika_store.errors import (
    BusyKeyError,
    InvalidFreqError,
    InvalidIdleTimeError,
    InvalidTtlError,
    NoLfuPolicyError,
    SyntaxErrorReply,
)
from pypika_store.keyspace import Keyspace, Record
from pypika_store.storage.records import TAG_STRING

from ..connection import Client
from ..arguments import INT64_MAX, Arguments, parse_int
from ..registry import command, container, help_reply, key_at
from ..resp.replies import OK


@command("dump", arity=2, flags="readonly", keys=(1, 1, 1), group="keyspace", syntax="key")
def dump(client: Client, argv: list[bytes]) -> object:
    """Return a serialized version of the value stored at the specified key."""
    record = client.keyspace.get_record(argv[1])
    return None if record is None else dump_value(client.keyspace, record)


def dump_value(keyspace: Keyspace, record: Record) -> bytes:
    """The DUMP payload of a key's ``record`` (DUMP's reply, MIGRATE's RESTORE argument)."""
    members = [] if record.tag == TAG_STRING else keyspace.members_of(record)
    return dump_payload.encode(record, members)


class _RestoreOptions:
    """RESTORE's REPLACE, ABSTTL, IDLETIME and FREQ (the last two are accepted and checked,
    as pypika-store keeps no LRU/LFU data; only one of them may be given)."""

    def __init__(self, argv: list[bytes]) -> None:
        self.replace = self.absolute = False
        idle = freq = None
        args = Arguments(argv, 4)
        while args:
            option = args.keyword()
            if option == b"REPLACE":
                self.replace = True
            elif option == b"ABSTTL":
                self.absolute = True
            elif option == b"IDLETIME" and args and freq is None:
                idle = args.take_int()
                if idle < 0:
                    raise InvalidIdleTimeError()
            elif option == b"FREQ" and args and idle is None:
                freq = args.take_int()
                if not 0 <= freq <= 255:
                    raise InvalidFreqError()
            else:
                raise SyntaxErrorReply()


_RESTORE_SYNTAX = ("key ttl:integer serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds:integer] "
                   "[FREQ frequency:integer]")


@command("restore-asking", arity=-4, flags="write denyoom asking", keys=(key_at(1, "OW update"),),
         group="server", acl="keyspace dangerous", summary="An internal command for migrating keys in a cluster",
         syntax=_RESTORE_SYNTAX)
@command("restore", arity=-4, flags="write denyoom", keys=(key_at(1, "OW update"),), group="keyspace",
         acl="dangerous", syntax=_RESTORE_SYNTAX)
def restore(client: Client, argv: list[bytes]) -> object:
    """Create a key using the provided serialized value, previously obtained using DUMP."""
    options = _RestoreOptions(argv)
    keyspace = client.keyspace
    key = argv[1]
    if not options.replace and keyspace.exists(key):
        raise BusyKeyError()
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise InvalidTtlError()
    record, members = dump_payload.decode(argv[3])
    expire_at = 0
    if ttl:
        expire_at = ttl if options.absolute else min(ttl + client.server.engine.now_ms(), INT64_MAX)
        if expire_at <= client.server.engine.now_ms():
            if options.replace:
                keyspace.delete(key)
            return OK
    if record.tag != TAG_STRING:
        record = keyspace.adopt(record, members)
    keyspace.put_record(key, Record(record.tag, expire_at, record.body), event=b"restore")
    return OK


# -- OBJECT -------------------------------------------------------------------------------------

container("object", arity=-2, group="keyspace")

def _record(client: Client, key: bytes) -> Record | None:
    return client.keyspace.get_record(key)


# The subcommands in the order of OBJECT HELP.


@command("object|encoding", arity=3, flags="readonly", keys=(key_at(2, "RO"),), group="keyspace", help=(
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
), syntax="key")
def object_encoding(client: Client, argv: list[bytes]) -> object:
    """The encoding Redis 7.0 would use for the value (pypika-store's own is LMDB records)."""
    record = _record(client, argv[2])
    return None if record is None else client.keyspace.redis_encoding(argv[2], record).encode()


@command("object|freq", arity=3, flags="readonly", keys=(key_at(2, "RO"),), group="keyspace", help=(
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
), syntax="key")
def object_freq(client: Client, argv: list[bytes]) -> object:
    """Redis' answer when no LFU policy is set (pypika-store never evicts)."""
    if _record(client, argv[2]) is None:
        return None
    raise NoLfuPolicyError()


@command("object|idletime", arity=3, flags="readonly", keys=(key_at(2, "RO"),), group="keyspace", help=(
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
), syntax="key")
def object_idletime(client: Client, argv: list[bytes]) -> object:
    """No access times are kept (no LRU eviction): 0 for an existing key."""
    return None if _record(client, argv[2]) is None else 0


@command("object|refcount", arity=3, flags="readonly", keys=(key_at(2, "RO"),), group="keyspace", help=(
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
), syntax="key")
def object_refcount(client: Client, argv: list[bytes]) -> object:
    """Values are never shared in pypika-store: 1 for an existing key."""
    return None if _record(client, argv[2]) is None else 1


@command("object|help", arity=2, flags="loading stale", group="keyspace", help=("HELP", "    Prints this help."))
def object_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
