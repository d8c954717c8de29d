"""The messages a master pushes to a streaming slave (docs/replication-protocol.md, "Pushed by
the master"): built here for the master, read here for the slave, so both sides share one
definition of their layout.

- ``["binlog", db, filenum, offset, logic-id, term, item]``: one binlog item, ``(filenum,
  offset)`` being where it starts in the master's binlog;
- ``["ping"]``: a keepalive.
"""

from __future__ import annotations

from typing import NamedTuple

from pypika_store.binlog import Position

#: The pushed keepalive, ``["ping"]``.
PING = b"*1\r\n$4\r\nping\r\n"

_BINLOG_KIND = b"binlog"


class BinlogMessage(NamedTuple):
    """One pushed binlog item, as the slave applies it."""

    db: int
    #: Where the item starts in the master's binlog (the slave places it at the same position).
    start: Position
    logic_id: int
    term: int
    #: The encoded BinlogItem (Pika's header and the RESP content).
    payload: bytes


def encode_binlog(db: int, start: Position, logic_id: int, term: int, payload: bytes) -> bytes:
    """The pushed ``["binlog", db, filenum, offset, logic_id, term, item]`` message."""
    return (b"*7\r\n$6\r\nbinlog\r\n:%d\r\n:%d\r\n:%d\r\n:%d\r\n:%d\r\n$%d\r\n%s\r\n"
            % (db, start.filenum, start.offset, logic_id, term, len(payload), payload))


def decode_pushed(message: list) -> BinlogMessage | None:
    """A pushed message as read off the link: its binlog item, or None for a keepalive (the
    slave acks its position either way)."""
    if message[0] != _BINLOG_KIND:
        return None
    _kind, db, filenum, offset, logic_id, term, payload = message
    return BinlogMessage(db, Position(filenum, offset), logic_id, term, payload)
