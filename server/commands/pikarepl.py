"""PIKAREPL: the replication protocol's requests, sent by slaves on the client port (see
docs/replication-protocol.md): MetaSync, TrySync, the full sync's file service (SNAPSHOT,
FILE), and the incremental stream (STREAM, ACK). The work is done by the server's
:class:`pypika_store.replication.master.ReplicationMaster` and
:class:`pypika_store.replication.snapshot_service.SnapshotService`."""

from __future__ import annotations

from pypika_store.binlog import Position
from pypika_store.errors import (
    FailoverReplidError,
    FailoverToMasterError,
    DbIndexOutOfRangeError,
    MetaSyncFirstError,
    NoBinlogMasterError,
    StreamAheadError,
    SyntaxErrorReply,
    sync_refused,
)
from pypika_store.replication.master import ReplicationMaster, SlaveSession

from ..arguments import parse_int
from ..connection import Client
from ..registry import command, container
from ..resp.replies import NO_REPLY, OK

container("pikarepl", arity=-2, flags="admin noscript", group="server")


def _master(client: Client) -> ReplicationMaster:
    return client.server.replication_master


def _db(client: Client, arg: bytes) -> int:
    db = parse_int(arg)
    if not 0 <= db < len(client.server.engine.binlogs):
        raise DbIndexOutOfRangeError()
    return db


def _position(argv: list[bytes], first: int) -> Position:
    return Position(parse_int(argv[first]), parse_int(argv[first + 1]))


def _session(client: Client) -> SlaveSession:
    session = _master(client).sessions.get(client.id)
    if session is None:
        raise MetaSyncFirstError()
    _master(client).heard_from(client)
    return session


# -- the full sync's file service (registered first: COMMAND lists subcommands in that order) -


@command("pikarepl|snapshot", arity=2, flags="admin noscript", group="server")
def pikarepl_snapshot(client: Client, argv: list[bytes]) -> object:
    """Describe the snapshot a slave may fetch for a full sync (TRYAGAIN while it is being made)."""
    _master(client).heard_from(client, full_syncing=True)
    return client.server.snapshot_service.describe()


@command("pikarepl|file", arity=6, flags="admin noscript", group="server",
         syntax="uuid name offset:integer count:integer")
def pikarepl_file(client: Client, argv: list[bytes]) -> object:
    """Read a chunk of a snapshot file, with its CRC-32C (STALE when the snapshot changed)."""
    _master(client).heard_from(client)
    uuid, name = (arg.decode("utf-8", "surrogateescape") for arg in argv[2:4])
    return client.server.snapshot_service.read_chunk(uuid, name, parse_int(argv[4]), parse_int(argv[5]))


# -- MetaSync, TrySync and the incremental stream ------------------------------------------------


@command("pikarepl|meta", arity=-4, flags="admin noscript", group="server",
         syntax="port:integer replication-id [announce-ip]")
def pikarepl_meta(client: Client, argv: list[bytes]) -> object:
    """MetaSync ``port replication-id [announce-ip]``: register as a slave; the master's
    replication id, DB count, run id and binlog file size (a slave counts its offsets in the
    master's file size, so every node's offsets share one scale, as Sentinel compares them)."""
    if not client.server.engine.binlogs:
        raise NoBinlogMasterError()
    if len(argv) > 5:
        raise SyntaxErrorReply()
    session = _master(client).register(client, parse_int(argv[2]))
    if len(argv) == 5 and argv[4]:
        session.host = argv[4].decode("utf-8", "replace")
    server = client.server
    return [server.replication_id.encode(), len(server.engine.keyspaces), server.run_id.encode(),
            server.engine.binlogs[0].file_size]


@command("pikarepl|trysync", arity=7, flags="admin noscript", group="server",
         syntax="db:integer filenum:integer offset:integer logic-id:integer term:integer")
def pikarepl_trysync(client: Client, argv: list[bytes]) -> object:
    """TrySync: may the slave stream this DB from its position? (Pika's checks)."""
    _session(client)
    db = _db(client, argv[2])
    verdict = _master(client).sync_point(db, _position(argv, 3), parse_int(argv[5]), parse_int(argv[6]))
    if verdict != "OK":
        binlog = client.server.engine.binlogs[db]
        raise sync_refused(verdict, binlog.position.filenum, binlog.position.offset, binlog.logic_id)
    return OK


@command("pikarepl|stream", arity=-5, flags="admin noscript", group="server",
         syntax="position:<db:integer filenum:integer offset:integer> [position ...]")
def pikarepl_stream(client: Client, argv: list[bytes]) -> object:
    """Start pushing binlog items on this connection: ``db filenum offset`` for each DB, all in
    one request so that the one reply comes before any pushed item."""
    session = _session(client)
    if (len(argv) - 2) % 3:
        raise SyntaxErrorReply()
    requests = [(_db(client, argv[index]), _position(argv, index + 1)) for index in range(2, len(argv), 3)]
    for db, position in requests:
        if position > client.server.engine.binlogs[db].position:
            raise StreamAheadError()
    for db, position in requests:
        _master(client).start_stream(session, db, position)
    client.server.loop.call_soon(_master(client).pump, session)
    return OK


@command("pikarepl|ack", arity=5, flags="admin noscript fast", group="server",
         syntax="db:integer filenum:integer offset:integer")
def pikarepl_ack(client: Client, argv: list[bytes]) -> object:
    """The slave's position in a DB after applying what it received (no reply)."""
    _master(client).acknowledge(_session(client), _db(client, argv[2]), _position(argv, 3))
    return NO_REPLY


@command("pikarepl|failover", arity=3, flags="admin noscript stale", group="server", syntax="replication-id")
def pikarepl_failover(client: Client, argv: list[bytes]) -> object:
    """FAILOVER's hand-over ``replication-id``: the master asks this slave to become master
    (as SLAVEOF NO ONE; every write it received stays), then follows it."""
    server = client.server
    if server.replica is None:
        raise FailoverToMasterError()
    if argv[2].decode("utf-8", "replace") != server.replication_id:
        raise FailoverReplidError()
    server.become_master()
    return OK
