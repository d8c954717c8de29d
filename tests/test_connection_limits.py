"""Connection limits as Redis 7.0 has them: maxclients, timeout, tcp-keepalive,
client-output-buffer-limit (normal, slave, pubsub; hard and soft), protected-mode, bind with
several and optional addresses, unixsocket / unixsocketperm. Where a real redis-server can be
put in the same situation, both are and must behave alike."""

from __future__ import annotations

import os
import socket
import stat
import time

import pytest
import redis

from pypika_store.errors import MaxClientsError, ProtectedModeError
from pypika_store.testing import PikaGroup, PikaServer, free_port

from .support import RealRedis, require_redis_server, wait_until

OUTPUT_LIMIT_LOG = "scheduled to be closed ASAP for overcoming of output buffer limits."


@pytest.fixture
def servers():
    """A fresh pypika-store and a fresh redis-server (limits change what every client sees)."""
    require_redis_server()
    ours, real = PikaServer().start(), RealRedis()
    yield {"pypika": ours.client(), "redis": real.client()}, (ours.port, real.port)
    ours.stop()
    real.stop()


def both(servers):
    clients, ports = servers
    return [(clients["pypika"], ports[0]), (clients["redis"], ports[1])]


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except (socket.timeout, BlockingIOError):
        return False


# -- maxclients ------------------------------------------------------------------------------


def test_maxclients_refuses_with_redis_error(servers):
    for client, port in both(servers):
        client.config_set("maxclients", "2")
        client.ping()  # this client is one of the two
        with socket.create_connection(("127.0.0.1", port)) as second:
            second.sendall(b"PING\r\n")
            assert second.recv(100) == b"+PONG\r\n"
            with socket.create_connection(("127.0.0.1", port)) as third:
                assert read_all(third) == f"-{MaxClientsError.message}\r\n".encode()
        assert client.info("stats")["rejected_connections"] == 1
        client.config_set("maxclients", "10000")


def test_maxclients_drops_a_tls_connection_before_its_handshake():
    with PikaServer(tls=True) as server:
        admin = server.client()
        admin.config_set("maxclients", "1")  # this connection is the one
        with pytest.raises(redis.ConnectionError):
            server.tls_client().ping()
        assert admin.info("stats")["rejected_connections"] >= 1


# -- timeout ---------------------------------------------------------------------------------


def test_timeout_closes_idle_clients_only(servers):
    for client, port in both(servers):
        client.config_set("timeout", "1")
        idle = socket.create_connection(("127.0.0.1", port))
        blocked = socket.create_connection(("127.0.0.1", port))
        blocked.sendall(b"BLPOP waiting-list 0\r\n")
        subscriber = socket.create_connection(("127.0.0.1", port))
        subscriber.sendall(b"SUBSCRIBE news\r\n")
        monitor = socket.create_connection(("127.0.0.1", port))
        monitor.sendall(b"MONITOR\r\n")
        assert monitor.recv(100) == b"+OK\r\n"
        wait_until(lambda: closed_by_server(idle), timeout=10, what="the idle client to be closed")
        client.config_set("timeout", "0")
        for survivor in (blocked, subscriber, monitor):
            assert not closed_by_server(survivor)
        client.rpush("waiting-list", "served")
        blocked.settimeout(5)
        assert blocked.recv(100) == b"*2\r\n$12\r\nwaiting-list\r\n$6\r\nserved\r\n"
        for sock in (idle, blocked, subscriber, monitor):
            sock.close()


def test_timeout_spares_a_slaves_link():
    with PikaGroup(slaves=1, config={"timeout": "1"}) as group:
        group.wait_synced()
        master = group.master.client()
        link = [entry["id"] for entry in master.client_list(_type="replica")]
        assert link
        idle = socket.create_connection(("127.0.0.1", group.master.port))
        wait_until(lambda: closed_by_server(idle), timeout=10, what="an idle client to be closed")
        assert [entry["id"] for entry in master.client_list(_type="replica")] == link
        idle.close()


# -- tcp-keepalive ---------------------------------------------------------------------------


def keepalive_of_a_new_connection(server: PikaServer) -> tuple[int, int, int, int]:
    """SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT of the server's end of a new connection."""
    client = server.client()
    sock = server.server.clients[client.client_id()].transport.get_extra_info("socket")
    options = (socket.SOL_SOCKET, socket.SO_KEEPALIVE), *((socket.IPPROTO_TCP, option) for option in (
        socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT))
    values = tuple(sock.getsockopt(level, option) for level, option in options)
    client.close()
    return values  # type: ignore[return-value]


def test_tcp_keepalive_is_set_on_new_connections():
    with PikaServer() as server:
        admin = server.client()
        assert keepalive_of_a_new_connection(server) == (1, 300, 100, 3)  # Redis' default and its derivations
        admin.config_set("tcp-keepalive", "30")
        assert keepalive_of_a_new_connection(server) == (1, 30, 10, 3)
        admin.config_set("tcp-keepalive", "0")
        assert keepalive_of_a_new_connection(server)[0] == 0


# -- client-output-buffer-limit --------------------------------------------------------------


def slow_reader(port: int) -> socket.socket:
    """A connection with a small receive buffer, so what it does not read stays in the server."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


def slow_subscriber(client: redis.Redis, port: int, limit: str) -> socket.socket:
    """Set ``limit`` for the pubsub class; a subscriber of ``news`` that reads nothing."""
    client.config_set("client-output-buffer-limit", limit)
    subscriber = slow_reader(port)
    subscriber.sendall(b"SUBSCRIBE news\r\n")
    wait_until(lambda: client.pubsub_numsub("news")[0][1] == 1, what="the subscription")
    return subscriber


def test_pubsub_hard_limit_disconnects_a_subscriber_that_does_not_read(servers, caplog):
    for client, port in both(servers):
        subscriber = slow_subscriber(client, port, "pubsub 256kb 0 0")
        message = b"m" * 65536
        for _ in range(200):
            client.publish("news", message)
            if client.pubsub_numsub("news")[0][1] == 0:
                break
        assert client.pubsub_numsub("news")[0][1] == 0  # disconnected, its subscription gone
        subscriber.close()
    assert any(OUTPUT_LIMIT_LOG in message for message in caplog.messages)


def test_pubsub_soft_limit_disconnects_after_its_seconds(servers):
    for client, port in both(servers):
        subscriber = slow_subscriber(client, port, "pubsub 0 256kb 1")
        message = b"m" * 65536
        # Well past the soft limit and the sockets' buffers, in well under a second: in one round
        # trip, as 160 of them took longer than that on a loaded machine.
        with client.pipeline(transaction=False) as pipe:
            for _ in range(160):
                pipe.publish("news", message)
            pipe.execute()
        started = time.monotonic()
        assert client.pubsub_numsub("news")[0][1] == 1  # over the soft limit, not for 1 s yet

        def gone() -> bool:
            client.publish("news", b"more")  # the limits are checked as output is added
            return client.pubsub_numsub("news")[0][1] == 0

        wait_until(gone, timeout=10, interval=0.1, what="the soft limit's disconnection")
        assert time.monotonic() - started >= 0.5
        subscriber.close()


def test_normal_hard_limit_disconnects_a_client_that_does_not_read(servers):
    """Here a client that does not read is paused once about 1 MiB of its replies wait (its
    further requests are not read), so the limit is met by a reply larger than it."""
    for client, port in both(servers):
        client.set("big", b"v" * (8 * 1024 * 1024))
        client.config_set("client-output-buffer-limit", "normal 1mb 0 0")
        reader = slow_reader(port)
        reader.sendall(b"CLIENT SETNAME slow\r\n")
        assert reader.recv(100) == b"+OK\r\n"
        reader.sendall(b"GET big\r\nGET big\r\n")
        wait_until(lambda: "slow" not in {entry["name"] for entry in client.client_list()},
                   what="the client that does not read to be disconnected")
        reader.close()
        client.config_set("client-output-buffer-limit", "normal 0 0 0")


def test_normal_class_has_no_limit_by_default():
    with PikaServer() as server:
        client = server.client()
        client.set("big", b"v" * 262144)
        reader = slow_reader(server.port)
        reader.sendall(b"CLIENT SETNAME patient\r\n" + b"GET big\r\n" * 40)
        received = 0
        reader.settimeout(10)
        expected = len(b"+OK\r\n") + 40 * len(b"$262144\r\n" + b"v" * 262144 + b"\r\n")
        while received < expected:
            received += len(reader.recv(1 << 20))
        assert received == expected
        reader.close()


def test_slave_limit_drops_the_replication_link(caplog):
    with PikaGroup(slaves=1) as group:
        group.wait_synced()
        master = group.master.client()
        master.config_set("client-output-buffer-limit", "slave 16kb 0 0")
        master.set("big", b"x" * (8 * 1024 * 1024))
        wait_until(lambda: any(OUTPUT_LIMIT_LOG in message for message in caplog.messages), timeout=30,
                   what="the slave link to pass its output limit")
        master.config_set("client-output-buffer-limit", "slave 256mb 64mb 60")
        group.wait_synced()  # the slave reconnects and gets it under the normal limit
        assert group.slaves[0].client().strlen("big") == 8 * 1024 * 1024


# -- protected-mode --------------------------------------------------------------------------


def non_loopback_address() -> str:
    """An address of this machine other than loopback (the one its default route leaves by)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # nothing is sent: this only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        address = ""
    finally:
        probe.close()
    if not address or address.startswith("127."):
        pytest.skip("this machine has no non-loopback address to test protected mode over")
    return address


def _reply_from(address: str, port: int) -> bytes:
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        return read_all(sock)


def _first_reply_from(address: str, port: int) -> bytes:
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        sock.settimeout(5)
        return sock.recv(4096)


def test_protected_mode_refuses_other_hosts_with_redis_text():
    require_redis_server()
    address = non_loopback_address()
    bind = f"127.0.0.1 {address}"
    denied = f"-{ProtectedModeError.message}\r\n".encode()
    real = RealRedis("--bind", bind)  # the later --bind replaces the default one
    ours = PikaServer(config={"bind": bind}).start()
    try:
        for port, client in ((ours.port, ours.client()), (real.port, real.client())):
            assert _reply_from(address, port) == denied
            assert client.info("stats")["rejected_connections"] == 1
            assert _first_reply_from("127.0.0.1", port) == b"+PONG\r\n"  # loopback is let in
            client.config_set("protected-mode", "no")
            assert _first_reply_from(address, port) == b"+PONG\r\n"
            client.config_set("protected-mode", "yes")
            client.config_set("requirepass", "secret")  # a password lets other hosts in too
            assert _first_reply_from(address, port) == b"-NOAUTH Authentication required.\r\n"
            client.execute_command("ACL", "SETUSER", "default", "nopass")  # no password, said through ACL
            assert _reply_from(address, port) == denied
    finally:
        ours.stop()
        real.stop()


# -- bind ------------------------------------------------------------------------------------


def test_bind_several_addresses_and_an_optional_absent_one():
    require_redis_server()
    bind = "127.0.0.1 ::1 -192.0.2.254"  # 192.0.2.254: not an address of this machine
    real = RealRedis("--bind", bind)
    try:
        with PikaServer(config={"bind": bind}) as server:
            for host in ("127.0.0.1", "::1"):
                assert redis.Redis(host=host, port=server.port).ping()
            assert server.client().config_get("bind") == {"bind": bind}
        assert real.client().config_get("bind") == {"bind": bind}
    finally:
        real.stop()


def test_bind_to_an_absent_address_without_dash_fails_the_start():
    with pytest.raises(RuntimeError, match="failed to start"):
        PikaServer(config={"bind": "127.0.0.1 192.0.2.254"}).start()


# -- unixsocket ------------------------------------------------------------------------------


def test_unixsocket_and_its_permissions(tmp_path):
    path = str(tmp_path / "pika.sock")
    with PikaServer(port=free_port(), config={"unixsocket": path, "unixsocketperm": "700"}) as server:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
        client = redis.Redis(unix_socket_path=path)
        client.set("via", "unix")
        assert server.client().get("via") == b"unix"
        entry = client.client_info()
        assert (entry["addr"], entry["laddr"], entry["flags"]) == (f"{path}:0", f"{path}:0", "U")
        assert client.config_get("unixsocketperm") == {"unixsocketperm": "700"}
    assert not os.path.exists(path)


def test_unixsocket_with_port_0_listens_on_the_socket_only(tmp_path):
    path = str(tmp_path / "only.sock")
    with PikaServer(config={"unixsocket": path, "port": 0}) as server:
        assert server.port == 0
        assert redis.Redis(unix_socket_path=path).info("server")["tcp_port"] == 0
