"""SLAVEOF / REPLICAOF, ROLE, and the PIKAREPL requests a slave sends its master."""

from __future__ import annotations

from pypika_store.binlog import Position
from pypika_store.errors import CommandError, SyntaxErrorReply

from ..connection import Client
from ..registry import command
from ..resp.replies import NO_REPLY, OK
from ..arguments import parse_int


def _master(client: Client):
    return client.server.replication_master


def _db(client: Client, arg: bytes) -> int:
    db = parse_int(arg)
    if not 0 <= db < len(client.server.engine.binlogs):
        raise CommandError("ERR DB index is out of range")
    return db


def _position(argv: list[bytes], first: int) -> Position:
    return Position(parse_int(argv[first]), parse_int(argv[first + 1]))


def _session(client: Client):
    session = _master(client).sessions.get(client.id)
    if session is None:
        raise CommandError("ERR PIKAREPL META first")
    _master(client).heard_from(client)
    return session


@command("pikarepl|meta", arity=-4, flags="admin noscript", group="server")
def pikarepl_meta(client: Client, argv: list[bytes]) -> object:
    """MetaSync ``port replication-id [announce-ip]``: register as a slave; the master's
    replication id, DB count, run id and binlog file size (a slave counts its offsets in the
    master's file size, so every node's offsets share one scale, as Sentinel compares them)."""
    if not client.server.engine.binlogs:
        raise CommandError("ERR this server does not write a binlog (write-binlog no): it cannot be a master")
    if len(argv) > 5:
        raise SyntaxErrorReply()
    session = _master(client).register(client, parse_int(argv[2]))
    if len(argv) == 5 and argv[4]:
        session.host = argv[4].decode("utf-8", "replace")
    server = client.server
    return [server.replication_id.encode(), len(server.engine.keyspaces), server.run_id.encode(),
            server.engine.binlogs[0].file_size]


@command("pikarepl|trysync", arity=7, flags="admin noscript", group="server")
def pikarepl_trysync(client: Client, argv: list[bytes]) -> object:
    """TrySync: may the slave stream this DB from its position? (Pika's checks)."""
    _session(client)
    db = _db(client, argv[2])
    verdict = _master(client).sync_point(db, _position(argv, 3), parse_int(argv[5]), parse_int(argv[6]))
    if verdict != "OK":
        binlog = client.server.engine.binlogs[db]
        raise CommandError(f"{verdict} master binlog ends at {binlog.position.filenum} {binlog.position.offset} "
                           f"logic {binlog.logic_id}")
    return OK


@command("pikarepl|stream", arity=-5, flags="admin noscript", group="server")
def pikarepl_stream(client: Client, argv: list[bytes]) -> object:
    """Start pushing binlog items on this connection: ``db filenum offset`` for each DB, all in
    one request so that the one reply comes before any pushed item."""
    session = _session(client)
    if (len(argv) - 2) % 3:
        raise SyntaxErrorReply()
    requests = [(_db(client, argv[index]), _position(argv, index + 1)) for index in range(2, len(argv), 3)]
    for db, position in requests:
        if position > client.server.engine.binlogs[db].position:
            raise CommandError("LARGER")
    for db, position in requests:
        _master(client).start_stream(session, db, position)
    client.server.loop.call_soon(_master(client).pump, session)
    return OK


@command("pikarepl|ack", arity=5, flags="admin noscript fast", group="server")
def pikarepl_ack(client: Client, argv: list[bytes]) -> object:
    """The slave's position in a DB after applying what it received (no reply)."""
    _master(client).acknowledge(_session(client), _db(client, argv[2]), _position(argv, 3))
    return NO_REPLY


# -- roles ----------------------------------------------------------------------------------------


def _slaveof(client: Client, argv: list[bytes]) -> object:
    server = client.server
    if len(argv) == 3 and argv[1].lower() == b"no" and argv[2].lower() == b"one":
        server.become_master()
        return OK
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3].lower() != b"force"):
        raise SyntaxErrorReply()
    host = argv[1].decode("utf-8", "replace")
    port = parse_int(argv[2])
    if not 0 < port < 65536:
        raise CommandError("ERR Invalid master port")
    if port == server.port and host in ("127.0.0.1", "localhost", *server.config.get_str("bind").split()):
        raise CommandError("ERR The master ip:port and the slave ip:port are the same")
    server.become_slave(host, port, force_full=len(argv) == 4)
    return OK


@command("slaveof", arity=-3, flags="admin noscript stale", group="server")
def slaveof(client: Client, argv: list[bytes]) -> object:
    """Make the server a slave of another instance, or promote it as master (NO ONE)."""
    return _slaveof(client, argv)


@command("replicaof", arity=-3, flags="admin noscript stale", group="server")
def replicaof(client: Client, argv: list[bytes]) -> object:
    """Make the server a replica of another instance, or promote it as master (NO ONE)."""
    return _slaveof(client, argv)


@command("role", arity=1, flags="noscript loading stale fast", group="server")
def role(client: Client, argv: list[bytes]) -> object:
    """Return the role of the instance in the context of replication (Redis' reply shapes)."""
    server = client.server
    replica = server.replica
    offset = server.repl_offset()
    if replica is None:
        file_size = server.engine.binlogs[0].file_size if server.engine.binlogs else 0
        slaves = [[session.host.encode(), b"%d" % session.port, b"%d" % session.acked_offset(file_size)]
                  for session in server.replication_master.sessions.values()]
        return [b"master", offset, slaves]
    state = b"connected" if replica.link_up else (b"sync" if replica.sync_in_progress else b"connect")
    return [b"slave", replica.host.encode(), replica.port, state, offset]


@command("wait", arity=3, flags="noscript", group="generic")
def wait(client: Client, argv: list[bytes]) -> object:
    """Wait until numslaves slaves acknowledged this server's position, or the timeout."""
    wanted = parse_int(argv[1])
    timeout = parse_int(argv[2])
    if timeout < 0:
        raise CommandError("ERR timeout is negative")
    server = client.server
    if server.replica is not None:
        raise CommandError("ERR WAIT cannot be used with replica instances. Please also note that since "
                           "Redis 4.0 if a replica is configured to be writable (which is not the default) "
                           "writes to replicas are just local and are not propagated.")
    return server.wait_for_slaves(client, wanted, server.repl_offset(), timeout / 1000)



