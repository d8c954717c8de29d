"""What a write command changed, and the binlog records that reproduce it.

The keyspace notes every key a command changes; after the command the engine turns those notes
into binlog records that give the keys' resulting state, so a record replays to the same effect
whenever and however often it is replayed (Pika's rule: SET EX is logged with an absolute
expiry, INCR as the value it produced, a multi-key DEL as one DEL per key, FLUSHALL as one
FLUSHDB per DB). Collection types, whose state can be large, will log their own commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .storage.records import HEADER_SIZE, TAG_STRING, TYPE_NAMES, decode_header

if TYPE_CHECKING:
    from .keyspace import Keyspace

#: Kinds of change, in increasing strength: a later, stronger change of a key replaces a weaker one.
EXPIRY = 1
VALUE = 2
FLUSH = 3


def state_record(key: bytes, kind: int, raw: bytes | None) -> list[bytes]:
    """The record that brings ``key`` to the state ``raw`` (its meta record after the command;
    None when it no longer exists)."""
    if raw is None:
        return [b"del", key]
    tag, expire_at = decode_header(raw)
    if kind == EXPIRY:
        return [b"pexpireat", key, b"%d" % expire_at] if expire_at else [b"persist", key]
    if tag != TAG_STRING:
        raise NotImplementedError(f"no state record for a {TYPE_NAMES[tag]} value")
    value = raw[HEADER_SIZE:]
    if not expire_at:
        return [b"set", key, value]
    if expire_at % 1000 == 0:
        return [b"pksetexat", key, b"%d" % (expire_at // 1000), value]
    return [b"set", key, value, b"pxat", b"%d" % expire_at]


Change = tuple["Keyspace", "bytes | None", int, "bytes | None"]


def records_for(changes: list[Change]) -> list[tuple[int, list[bytes]]]:
    """Binlog records ``(db index, argv)`` for one command's changes ``(keyspace, key, kind,
    raw record after the change)``, in the order of each key's last change; a FLUSH of a DB
    drops the records of that DB's earlier changes."""
    if len(changes) == 1:  # the common case: one key changed once (SET, INCR, DEL of one key)
        keyspace, key, kind, raw = changes[0]
        return [(keyspace.index, [b"flushdb"] if kind == FLUSH else state_record(key, kind, raw))]  # type: ignore[arg-type]
    if len({(keyspace.index, key) for keyspace, key, _kind, _raw in changes}) == len(changes) and all(
            kind != FLUSH for _keyspace, _key, kind, _raw in changes):  # each key changed once (MSET)
        return [(keyspace.index, state_record(key, kind, raw)) for keyspace, key, kind, raw in changes]  # type: ignore[arg-type]
    latest: dict[tuple[int, bytes | None], tuple[int, bytes | None]] = {}
    for keyspace, key, kind, raw in changes:
        if kind == FLUSH:
            for stale in [entry for entry in latest if entry[0] == keyspace.index]:
                del latest[stale]
        previous = latest.pop((keyspace.index, key), (0, None))[0]
        latest[(keyspace.index, key)] = (max(previous, kind), raw)
    return [(index, [b"flushdb"] if kind == FLUSH else state_record(key, kind, raw))  # type: ignore[arg-type]
            for (index, key), (kind, raw) in latest.items()]
