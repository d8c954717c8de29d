"""Start-up recovery: apply the binlog items that LMDB's data does not include yet.

A turn writes its binlog items before it commits LMDB, and the commit records the binlog
position the data includes. A crash between the two leaves items in the binlog that the data
lacks; they are replayed here through the ordinary command table (their records are
deterministic, so replaying gives the effect the original command had), and the applied
position moves with them in the same transactions.

A replay that cannot write (a full disk) must not fail the start: the server starts with the
data as far as the replay got, refuses writes (a write now would be logged after items the data
lacks) and tries the replay again until it completes (:func:`replay_or_refuse_writes`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.binlog.reader import file_numbers
from pypika_store.binlog.writer import read_manifest
from pypika_store.engine import Engine
from pypika_store.errors import CommitFailed, replay_unfinished

if TYPE_CHECKING:
    from .connection import Client

log = logging.getLogger(__name__)

#: Items replayed per LMDB transaction.
_BATCH = 1000


def replay_or_refuse_writes(engine: Engine, client: "Client") -> bool:
    """Replay the binlogs; True when done. If a commit fails, the items committed so far stay
    (each batch moves the applied position with it), writes are refused with MISCONF, and
    False tells the caller to try again later."""
    engine.refuse_writes(None)
    try:
        replayed = replay_binlogs(engine, client)
    except CommitFailed as exc:
        engine.refuse_writes(replay_unfinished(str(exc.__cause__ or exc)))  # the disk's own words
        log.error("The binlog replay could not write (%s): writes are refused until it completes", exc)
        return False
    if replayed:
        log.warning("Replayed %d binlog items that the data did not include yet", replayed)
    return True


def replay_binlogs(engine: Engine, client: "Client") -> int:
    """Replay every DB's missing items with ``client`` (an internal client); returns how many."""
    replayed = 0
    engine.recording = False
    try:
        for index, writer in enumerate(engine.binlogs):
            replayed += _replay(engine, client, index, writer.directory)
    finally:
        engine.recording = True
    return replayed


def _replay(engine: Engine, client: "Client", index: int, directory: str) -> int:
    """Replay one DB's items past the position its data includes."""
    if not file_numbers(directory):
        return 0
    applied = engine.applied_position(index)
    manifest = read_manifest(directory)
    reader = BinlogReader(directory, checked=manifest is None or manifest[3])
    start, applied_logic_id = applied if applied is not None else (None, 0)
    client.select(index)
    replayed = pending = 0
    for _item_start, item_end, item in reader.items(start) if start is not None else reader.items():
        if item.logic_id <= applied_logic_id:
            continue
        client.execute(decode_command(item.content))
        engine.set_applied_position(index, item_end, item.logic_id)
        replayed += 1
        pending += 1
        if pending == _BATCH:
            engine.end_turn()
            pending = 0
    engine.end_turn()
    return replayed
