"""Binlog stream faults (``CHAOS STREAM``, docs/fault-injection.md): what a master does to the
next items it sends one slave, so a slave's checks (docs/replication-protocol.md, step 4) can
be tested from outside.

A fault names the slave by the address the master reports for it (INFO's ``slaveN:ip=,port=``)
and waits, across reconnections, until that many items were sent to it; faults of one slave act
one after another, in the order they were added:

- ``DUPLICATE``: the item is sent twice (the slave skips the second);
- ``DROP``: the item is not sent (the slave refuses the next one, a gap, and resyncs);
- ``REORDER``: the item is held and sent after the next one (a gap, then a duplicate);
- ``CORRUPT HEADER|BODY``: a bit of the item's header (its logic id) or of its command is
  flipped after the frame's check was computed, as a bad wire would (the slave refuses it);
- ``INJECT <command> ...``: before the next item, an item the master never logged, well
  formed, with that item's position and logic id (the slave takes it: it cannot tell; the
  real item then differs from what it took, and it resyncs in full);
- ``REWIND <n>``: the stream goes back ``n`` items (of its DB's binlog, sent in this
  connection or before it) and sends them again, as from an older offset (the slave skips
  them as duplicates).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pypika_store.binlog import Position
from pypika_store.binlog.format import ITEM_HEADER_SIZE, BinlogItem, encode_command

from .frames import encode_binlog, frame_check

if TYPE_CHECKING:
    from .master import DbStream

DUPLICATE, DROP, REORDER, CORRUPT_HEADER, CORRUPT_BODY, INJECT, REWIND = (
    "duplicate", "drop", "reorder", "corrupt-header", "corrupt-body", "inject", "rewind")
#: Where CORRUPT HEADER flips a bit: the low byte of the item header's logic id.
_LOGIC_ID_BYTE = 10

#: A slave as the master reports it: (host, listening port).
SlaveAddress = tuple[str, int]


@dataclass(eq=False)
class StreamFault:
    """One ``CHAOS STREAM``: its action, how many items it acts on, and how many it did."""

    action: str
    count: int = 1
    #: INJECT's command.
    argv: tuple[bytes, ...] = ()
    #: REWIND's distance, in items.
    items: int = 0
    done: int = 0
    #: REORDER: the frame held until the next item passes it.
    held: bytes | None = None

    def describe(self, slave: SlaveAddress) -> list[tuple[str, object]]:
        return [("kind", "stream"), ("slave", f"{slave[0]}:{slave[1]}"), ("action", self.action),
                ("count", self.count), ("done", self.done), ("held", int(self.held is not None))]


def _flipped(payload: bytes, index: int) -> bytes:
    return payload[:index] + bytes((payload[index] ^ 0x01,)) + payload[index + 1:]


class StreamFaults:
    """The pending stream faults of a master, per slave."""

    def __init__(self) -> None:
        self.pending: dict[SlaveAddress, deque[StreamFault]] = {}

    def add(self, slave: SlaveAddress, fault: StreamFault) -> None:
        self.pending.setdefault(slave, deque()).append(fault)

    def clear(self) -> None:
        self.pending.clear()

    def describe(self) -> list[list[tuple[str, object]]]:
        return [fault.describe(slave) for slave, faults in self.pending.items() for fault in faults]

    def _next(self, slave: SlaveAddress) -> StreamFault | None:
        faults = self.pending.get(slave)
        return faults[0] if faults else None

    def _count(self, slave: SlaveAddress, fault: StreamFault) -> None:
        fault.done += 1
        if fault.done >= fault.count:
            faults = self.pending[slave]
            faults.popleft()
            if not faults:
                del self.pending[slave]

    def rewind(self, slave: SlaveAddress, streams: list["DbStream"]) -> None:
        """A pending REWIND moves the slave's streams back before they read (every DB's last
        items are sent again)."""
        fault = self._next(slave)
        if fault is None or fault.action != REWIND or not streams:
            return
        for stream in streams:
            stream.rewind(fault.items)
        self._count(slave, fault)

    def frames(self, slave: SlaveAddress, db: int, start: Position, item: BinlogItem, payload: bytes,
               exec_time: int) -> list[bytes]:
        """What is sent for one item: its frame as the pending fault shapes it."""
        frame = encode_binlog(db, start, item.logic_id, item.term_id, payload)
        fault = self._next(slave)
        if fault is None or fault.action == REWIND:
            return [frame]
        sent: list[bytes]
        if fault.action == DUPLICATE:
            sent = [frame, frame]
        elif fault.action == DROP:
            sent = []
        elif fault.action in (CORRUPT_HEADER, CORRUPT_BODY):
            index = _LOGIC_ID_BYTE if fault.action == CORRUPT_HEADER else ITEM_HEADER_SIZE + len(item.content) // 2
            check = frame_check(db, start, item.logic_id, item.term_id, payload)
            sent = [encode_binlog(db, start, item.logic_id, item.term_id, _flipped(payload, index), check)]
        elif fault.action == INJECT:
            extra = BinlogItem(exec_time, item.term_id, item.logic_id, start.filenum, start.offset,
                               encode_command(list(fault.argv))).encode()
            sent = [encode_binlog(db, start, item.logic_id, item.term_id, extra), frame]
        elif fault.held is None:  # REORDER: hold this one until the next passes it
            fault.held = frame
            return []
        else:
            sent, fault.held = [frame, fault.held], None
        self._count(slave, fault)
        return sent
