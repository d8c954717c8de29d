"""What a write command changed, and the binlog records that reproduce it.

The keyspace notes every key a command changes; after the command the engine turns those notes
into binlog records that give the keys' resulting state, so a record replays to the same effect
whenever and however often it is replayed (Pika's rule: SET EX is logged with an absolute
expiry, INCR as the value it produced, a multi-key DEL as one DEL per key, FLUSHALL as one
FLUSHDB per DB). Collection types, whose state can be large, will log their own commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .storage.records import TAG_STRING

if TYPE_CHECKING:
    from .keyspace import Keyspace

#: Kinds of change, in increasing strength: a later, stronger change of a key replaces a weaker one.
EXPIRY = 1
VALUE = 2
FLUSH = 3


def state_record(keyspace: "Keyspace", key: bytes, kind: int) -> list[bytes]:
    """The record that brings ``key`` to its current state."""
    record = keyspace.get_record(key)
    if record is None:
        return [b"del", key]
    expire_at = record.expire_at_ms
    if kind == EXPIRY:
        return [b"pexpireat", key, b"%d" % expire_at] if expire_at else [b"persist", key]
    if record.tag != TAG_STRING:
        raise NotImplementedError(f"no state record for a {record.type_name} value")
    if not expire_at:
        return [b"set", key, record.body]
    if expire_at % 1000 == 0:
        return [b"pksetexat", key, b"%d" % (expire_at // 1000), record.body]
    return [b"set", key, record.body, b"pxat", b"%d" % expire_at]


def records_for(changes: list[tuple["Keyspace", bytes | None, int]]) -> list[tuple[int, list[bytes]]]:
    """Binlog records ``(db index, argv)`` for one command's changes, in the order of their last
    change; a FLUSH of a DB drops the records of that DB's earlier changes."""
    latest: dict[tuple[int, bytes | None], tuple["Keyspace", int]] = {}
    for keyspace, key, kind in changes:
        if kind == FLUSH:
            for stale in [entry for entry in latest if entry[0] == keyspace.index]:
                del latest[stale]
        previous = latest.pop((keyspace.index, key), (keyspace, 0))[1]
        latest[(keyspace.index, key)] = (keyspace, max(previous, kind))
    records = []
    for (index, key), (keyspace, kind) in latest.items():
        argv = [b"flushdb"] if kind == FLUSH else state_record(keyspace, key, kind)  # type: ignore[arg-type]
        records.append((index, argv))
    return records
