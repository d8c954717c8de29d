"""PIKAREPL SNAPSHOT and PIKAREPL FILE: the full sync's file service on the client port
(docs/replication-protocol.md); the work is done by
:class:`pypika_store.replication.fullsync.SnapshotService`."""

from __future__ import annotations

from pypika_store.replication.fullsync import SnapshotService

from ..connection import Client
from ..registry import command
from ..arguments import parse_int


@command("pikarepl|snapshot", arity=2, flags="admin noscript", group="server")
def pikarepl_snapshot(client: Client, argv: list[bytes]) -> object:
    """Describe the snapshot a slave may fetch for a full sync (TRYAGAIN while it is being made)."""
    client.server.replication_master.heard_from(client, full_syncing=True)
    return SnapshotService.of(client.server).describe()


@command("pikarepl|file", arity=6, flags="admin noscript", group="server")
def pikarepl_file(client: Client, argv: list[bytes]) -> object:
    """Read a chunk of a snapshot file, with its CRC-32C (STALE when the snapshot changed)."""
    client.server.replication_master.heard_from(client)
    uuid, name = (arg.decode("utf-8", "surrogateescape") for arg in argv[2:4])
    return SnapshotService.of(client.server).read_chunk(uuid, name, parse_int(argv[4]), parse_int(argv[5]))
