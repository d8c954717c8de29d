"""SLAVEOF / REPLICAOF, ROLE and WAIT: the replication commands clients send (the requests a
slave sends its master are PIKAREPL's, in :mod:`.pikarepl`)."""

from __future__ import annotations

from pypika_store.errors import (
    InvalidMasterPortError,
    SlaveOfItselfError,
    SyntaxErrorReply,
    TimeoutNegativeError,
    WaitOnReplicaError,
)

from ..arguments import parse_int
from ..connection import Client
from ..registry import command
from ..resp.replies import OK


@command("replicaof", arity=-3, flags="admin noscript stale no_async_loading", group="server", aliases=("slaveof",))
def replicaof(client: Client, argv: list[bytes]) -> object:
    """Make the server a replica (slave) of another instance, or promote it as master (NO ONE)."""
    server = client.server
    if len(argv) == 3 and argv[1].lower() == b"no" and argv[2].lower() == b"one":
        server.become_master()
        return OK
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3].lower() != b"force"):
        raise SyntaxErrorReply()
    host = argv[1].decode("utf-8", "replace")
    port = parse_int(argv[2])
    if not 0 < port < 65536:
        raise InvalidMasterPortError()
    if port == server.port and host in ("127.0.0.1", "localhost", *server.config.get_str("bind").split()):
        raise SlaveOfItselfError()
    server.become_slave(host, port, force_full=len(argv) == 4)
    return OK


@command("role", arity=1, flags="noscript loading stale fast", group="server", acl="admin dangerous")
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


@command("wait", arity=3, flags="noscript", group="generic", acl="connection")
def wait(client: Client, argv: list[bytes]) -> object:
    """Wait until numslaves slaves acknowledged this server's position, or the timeout."""
    wanted = parse_int(argv[1])
    timeout = parse_int(argv[2])
    if timeout < 0:
        raise TimeoutNegativeError()
    server = client.server
    if server.replica is not None:
        raise WaitOnReplicaError()
    return server.wait_for_slaves(client, wanted, server.repl_offset(), timeout / 1000)
