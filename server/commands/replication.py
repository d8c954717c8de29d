"""SLAVEOF / REPLICAOF, ROLE, WAIT and FAILOVER: the replication commands clients send (the requests a
slave sends its master are PIKAREPL's, in :mod:`.pikarepl`)."""

from __future__ import annotations

from pypika_store.errors import (
    FailoverForceError,
    FailoverInProgressError,
    FailoverNoReplicasError,
    FailoverOnReplicaError,
    FailoverTargetError,
    FailoverTargetOfflineError,
    FailoverTimeoutError,
    NoFailoverError,
    InvalidMasterPortError,
    SlaveOfItselfError,
    SyntaxErrorReply,
    TimeoutNegativeError,
    WaitOnReplicaError,
)

from ..arguments import Arguments, parse_int
from ..connection import Client
from ..pause import DURING_FAILOVER
from ..registry import command
from ..resp.replies import OK


@command("replicaof", arity=-3, flags="admin noscript stale no_async_loading", group="server", aliases=("slaveof",),
         syntax="args:<host-port:<host port:integer [FORCE]> | no-one:<NO ONE>>")
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


@command("wait", arity=3, flags="noscript", group="generic", acl="connection",
         syntax="numreplicas:integer timeout:integer")
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


#: How long FAILOVER's pause of writes may last: until the failover ends (Redis: forever).
FAILOVER_PAUSE_MS = 10 * 365 * 24 * 3600 * 1000


@command("failover", arity=-1, flags="admin noscript stale", group="server",
         syntax="[TO target:<host port:integer [FORCE]>] [ABORT] [TIMEOUT milliseconds:integer]")
def failover(client: Client, argv: list[bytes]) -> object:
    """Start a coordinated failover between this server and one of its replicas."""
    server = client.server
    master = server.replication_master
    if len(argv) == 2 and argv[1].lower() == b"abort":
        if master.failover is None:
            raise NoFailoverError()
        master.failover.abort("Failover manually aborted")
        return OK
    target, timeout_ms, force = _failover_options(Arguments(argv))
    if master.failover is not None:
        raise FailoverInProgressError()
    if server.replica is not None:
        raise FailoverOnReplicaError()
    if not master.sessions:
        raise FailoverNoReplicasError()
    if force and (not timeout_ms or target is None):
        raise FailoverForceError()
    if target is not None:
        session = master.find_slave(*target)
        if session is None:
            raise FailoverTargetError()
        if not session.streams:
            raise FailoverTargetOfflineError()
    dispatcher = server.dispatcher
    master.start_failover(target, timeout_ms, force,
                          pause=lambda: dispatcher.pause_clients(FAILOVER_PAUSE_MS, True, DURING_FAILOVER),
                          unpause=lambda: dispatcher.unpause(DURING_FAILOVER))
    return OK


def _failover_options(args: Arguments) -> tuple[tuple[str, int] | None, int, bool]:
    """``[TO host port [FORCE]] [TIMEOUT ms]`` in any order, each once, as Redis reads them
    (an option short of its values is a syntax error; a bad number fails where it is read)."""
    target: tuple[str, int] | None = None
    timeout_ms = 0
    force = False
    while args:
        option = args.keyword()
        if option == b"TIMEOUT" and args.remaining() >= 1 and not timeout_ms:
            timeout_ms = args.take_int()
            if timeout_ms <= 0:
                raise FailoverTimeoutError()
        elif option == b"TO" and args.remaining() >= 2 and target is None:
            host = args.take()
            port = args.take_int()
            target = (host.decode("utf-8", "replace"), port)
        elif option == b"FORCE" and not force:
            force = True
        else:
            raise SyntaxErrorReply()
    return target, timeout_ms, force
