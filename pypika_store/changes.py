"""What a write command changed, and the binlog records that reproduce it.

The keyspace notes every key a command changes; after the command the engine turns those notes
into binlog records, so a record replays to the same effect whenever it is replayed (Pika's
rule: SET EX is logged with an absolute expiry, INCR as the value it produced, a multi-key DEL
as one DEL per key, FLUSHALL as one FLUSHDB per DB).

- A string key's change is logged as the key's resulting state (``set``, ``pksetexat``...).
- A collection's member change is logged as the member-level command its store chose
  (``hset key f v``, ``lpop key 2``): the collection may be huge, its state is not logged.
- A collection written as a whole (MOVE, COPY, RESTORE, a *STORE command) is logged as a DEL
  followed by the commands that add its members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .storage.records import HEADER_SIZE, TAG_STRING, decode_header

if TYPE_CHECKING:
    from .keyspace import Keyspace

#: Kinds of change.
EXPIRY = 1
VALUE = 2
FLUSH = 3
#: A change whose record the command gave itself (the change's payload is the argv).
COMMAND = 4
#: A key changed by a record logged under another key's change (RENAME's source): no record
#: of its own, noted so that watchers of the key know it changed.
COVERED = 5


def state_record(key: bytes, kind: int, raw: bytes | None) -> list[bytes]:
    """The record that brings a string ``key`` to the state ``raw`` (its meta record after the
    command; None when it no longer exists), or sets its expiry (``kind`` EXPIRY)."""
    if raw is None:
        return [b"del", key]
    expire_at = decode_header(raw)[1]
    if kind == EXPIRY:
        return [b"pexpireat", key, b"%d" % expire_at] if expire_at else [b"persist", key]
    value = raw[HEADER_SIZE:]
    if not expire_at:
        return [b"set", key, value]
    if expire_at % 1000 == 0:
        return [b"pksetexat", key, b"%d" % (expire_at // 1000), value]
    return [b"set", key, value, b"pxat", b"%d" % expire_at]


Change = tuple["Keyspace", "bytes | None", int, "bytes | list[bytes] | None"]


def records_for(changes: list[Change]) -> list[tuple[int, list[bytes]]]:
    """Binlog records ``(db index, argv)`` for one command's changes ``(keyspace, key, kind,
    payload)``, in the order the changes happened (so each replays onto the state the one
    before it left)."""
    records: list[tuple[int, list[bytes]]] = []
    for keyspace, key, kind, payload in changes:
        index = keyspace.index
        if kind == COMMAND:
            records.append((index, payload))  # type: ignore[arg-type]
        elif kind == COVERED:
            continue
        elif kind == FLUSH:
            records.append((index, [b"flushdb"]))
        elif kind == VALUE and payload is not None and payload[0] != TAG_STRING:  # type: ignore[index]
            records.extend((index, argv) for argv in keyspace.state_records(key, payload))  # type: ignore[arg-type]
        else:
            records.append((index, state_record(key, kind, payload)))  # type: ignore[arg-type]
    return records
