"""TLS: the tls-* options, real clients (redis-cli --tls, redis-py ssl=True), certificates
reloaded by CONFIG SET (compared with a TLS redis-server), and replication over TLS."""

from __future__ import annotations

import socket
import ssl
import subprocess

import pytest
import redis

from pypika_store.testing import Certificates, PikaGroup, PikaServer, free_port
from pypika_store.testing.certificates import KEY_PASSWORD

from .support import RealRedis, require_redis_server, wait_until


@pytest.fixture(scope="module")
def certificates():
    made = Certificates()
    yield made
    made.remove()


@pytest.fixture(scope="module")
def tls_server(certificates):
    with PikaServer(tls=certificates) as server:
        yield server


@pytest.fixture
def reset_tls(tls_server, certificates):
    """Put the TLS settings a test changes back to the fixture's."""
    yield
    tls_server.client().config_set("tls-auth-clients", "yes")
    tls_server.client().execute_command("CONFIG", "SET", *sum(certificates.server_settings().items(), ()))


def handshake(port: int, certificates: Certificates, **context_settings) -> ssl.SSLSocket:
    """A raw TLS connection with the client certificate (``maximum_version=...`` and such)."""
    context = ssl.create_default_context(cafile=certificates.ca_cert)
    context.check_hostname = False
    context.load_cert_chain(certificates.client_cert, certificates.client_key)
    for name, value in context_settings.items():
        setattr(context, name, value)
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))


def ping_over(sock: ssl.SSLSocket) -> bytes:
    sock.sendall(b"PING\r\n")
    return sock.recv(100)


def test_redis_py_with_a_client_certificate(tls_server):
    client = tls_server.tls_client()
    client.set("over-tls", "yes")
    assert client.get("over-tls") == b"yes"
    assert tls_server.client().get("over-tls") == b"yes"  # one dataset whatever the port


def test_redis_cli_tls(tls_server, certificates):
    base = ["redis-cli", "--tls", "--cacert", certificates.ca_cert, "-p", str(tls_server.tls_port)]
    with_cert = base + ["--cert", certificates.client_cert, "--key", certificates.client_key]
    assert subprocess.run(with_cert + ["PING"], capture_output=True, text=True, timeout=10).stdout == "PONG\n"
    listed = subprocess.run(with_cert + ["CLIENT", "LIST"], capture_output=True, text=True, timeout=10).stdout
    assert f"laddr=127.0.0.1:{tls_server.tls_port} " in listed
    refused = subprocess.run(base + ["PING"], capture_output=True, text=True, timeout=10)
    assert "PONG" not in refused.stdout  # tls-auth-clients yes: no certificate, no connection


def test_tls_auth_clients_is_read_per_connection(tls_server, reset_tls, caplog):
    with pytest.raises(redis.ConnectionError):
        tls_server.tls_client(certificate=False).ping()
    assert "Error accepting a client connection: PEER_DID_NOT_RETURN_A_CERTIFICATE" in caplog.messages
    for mode in ("optional", "no"):
        tls_server.client().config_set("tls-auth-clients", mode)
        assert tls_server.tls_client(certificate=False).ping()
        assert tls_server.tls_client().ping()


def test_plain_text_on_the_tls_port_gets_no_reply(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        assert b"PONG" not in sock.recv(100)
    assert tls_server.client().ping()


def test_port_0_serves_tls_only(certificates):
    with PikaServer(tls=certificates, config={"port": 0}) as server:
        assert server.port == 0
        assert server.tls_client().info("server")["tcp_port"] == 0
        assert server.tls_client().ping()


def test_port_0_tls_only_in_process_mode(certificates):
    with PikaServer(mode="process", tls=certificates, config={"port": 0}) as server:
        assert server.port == 0
        assert server.tls_client().set("k", "v")


def test_encrypted_key_with_its_password(certificates):
    settings = {"tls-key-file": certificates.encrypted_server_key, "tls-key-file-pass": KEY_PASSWORD}
    with PikaServer(tls=certificates, config=settings) as server:
        assert server.tls_client().ping()
    with pytest.raises(RuntimeError, match="failed to start"):
        PikaServer(tls=certificates, config={**settings, "tls-key-file-pass": "wrong"}).start()


def test_tls_protocols(certificates):
    with PikaServer(tls=certificates, config={"tls-protocols": "TLSv1.3"}) as server:
        with handshake(server.tls_port, certificates) as sock:
            assert sock.version() == "TLSv1.3"
        with pytest.raises((ssl.SSLError, ConnectionError)):
            handshake(server.tls_port, certificates, maximum_version=ssl.TLSVersion.TLSv1_2)
    with PikaServer(tls=certificates, config={"tls-protocols": "tlsv1.2"}) as server:
        with handshake(server.tls_port, certificates) as sock:
            assert sock.version() == "TLSv1.2"
            assert ping_over(sock) == b"+PONG\r\n"


def test_ciphers_and_ciphersuites(certificates):
    settings = {"tls-ciphersuites": "TLS_CHACHA20_POLY1305_SHA256", "tls-ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256"}
    with PikaServer(tls=certificates, config=settings) as server:
        with handshake(server.tls_port, certificates) as sock:
            assert sock.cipher()[0] == "TLS_CHACHA20_POLY1305_SHA256"
        with handshake(server.tls_port, certificates, maximum_version=ssl.TLSVersion.TLSv1_2) as sock:
            assert sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"


def test_prefer_server_ciphers(certificates):
    server_order = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
    settings = {"tls-ciphers": server_order, "tls-prefer-server-ciphers": "yes", "tls-protocols": "TLSv1.2"}
    with PikaServer(tls=certificates, config=settings) as server:
        with handshake(server.tls_port, certificates) as sock:  # the client lists AES256 first
            assert sock.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"


def _subject_name(sock: ssl.SSLSocket) -> str:
    return dict(entry[0] for entry in sock.getpeercert()["subject"])["commonName"]


def test_config_set_reloads_the_certificate(tls_server, certificates, reset_tls):
    cert, key = certificates.issue("renewed", "/CN=renewed.example", "subjectAltName=DNS:renewed.example\n")
    with handshake(tls_server.tls_port, certificates) as before:
        assert _subject_name(before) == "localhost"
        tls_server.client().execute_command("CONFIG", "SET", "tls-cert-file", cert, "tls-key-file", key)
        with handshake(tls_server.tls_port, certificates) as after:
            assert _subject_name(after) == "renewed.example"
        assert ping_over(before) == b"+PONG\r\n"  # a connection made before keeps working


@pytest.fixture(scope="module")
def tls_redis(certificates):
    """A Debian redis-server serving TLS with the same certificates (the reference for reloads)."""
    require_redis_server()
    real = RealRedis("--tls-port", str(free_port()), "--tls-cert-file", certificates.server_cert,
                     "--tls-key-file", certificates.server_key, "--tls-ca-cert-file", certificates.ca_cert)
    yield real
    real.stop()


BAD_TLS_SETTINGS = [
    ("tls-cert-file", "/nonexistent/cert.pem"),
    ("tls-key-file", "/nonexistent/key.pem"),
    ("tls-ca-cert-file", "/nonexistent/ca.pem"),
    ("tls-protocols", "TLSv1.2 SSLv3"),
    ("tls-ciphers", "no-such-cipher"),
    ("tls-ciphersuites", "no-such-suite"),
]


@pytest.mark.parametrize(("name", "value"), BAD_TLS_SETTINGS)
def test_a_bad_tls_setting_is_refused_as_redis_does(tls_server, tls_redis, reset_tls, name, value):
    replies = []
    for client in (tls_server.client(), tls_redis.client()):
        before = client.config_get(name)
        with pytest.raises(redis.ResponseError) as refused:
            client.config_set(name, value)
        replies.append(str(refused.value))
        assert client.config_get(name) == before  # the old value stays
    assert replies[0] == replies[1] == (f"CONFIG SET failed (possibly related to argument '{name}') - "
                                        "Unable to update TLS configuration. Check server logs.")
    assert tls_server.tls_client().ping()  # the old context still serves


def test_a_bad_value_undoes_the_whole_config_set(tls_server, certificates, reset_tls):
    client = tls_server.client()
    with pytest.raises(redis.ResponseError, match="Unable to update TLS configuration"):
        client.execute_command("CONFIG", "SET", "maxclients", "777", "tls-key-file", certificates.client_key)
    assert client.config_get("maxclients") == {"maxclients": "10000"}
    assert client.config_get("tls-key-file") == {"tls-key-file": certificates.server_key}


def test_replication_over_tls():
    with PikaGroup(slaves=1, tls=True) as group:
        master = group.master.tls_client()
        master.set("before-sync", "1")  # reaches the slave by a full sync or the binlog, over TLS
        for index in range(200):
            master.hset("h", f"f{index}", index)
        group.wait_synced()
        slave = group.slaves[0]
        assert slave.tls_client().hget("h", "f199") == b"199"
        links = [line for line in master.execute_command("CLIENT", "LIST", "TYPE", "replica").splitlines()]
        assert links and all(f"laddr=127.0.0.1:{group.master.tls_port} " in line.decode() for line in links)
        assert group.master.client().info("replication")["slave0"]["port"] == slave.tls_port


def test_full_sync_over_tls(certificates):
    with PikaServer(tls=certificates) as master_server, \
            PikaServer(tls=certificates, config={"tls-replication": "yes"}) as slave_server:
        master = master_server.tls_client()
        for index in range(300):
            master.set(f"key:{index}", "x" * 100)
        slave = slave_server.client()
        slave.slaveof(master_server.host, master_server.tls_port)
        wait_until(lambda: slave.info("replication").get("master_link_status") == "up" and slave.dbsize() == 300,
                   timeout=60, what="the full sync over TLS")
        assert slave.info("replication")["repl_full_syncs"] == 1
        assert slave.get("key:299") == b"x" * 100


def test_config_set_tls_port_as_redis_does(certificates):
    """Turning TLS on at run time: no certificate yet fails, a taken port fails, then it listens;
    tls-port 0 stops listening. redis-server is put through the same steps."""
    require_redis_server()
    real = RealRedis()
    try:
        with PikaServer() as ours:
            for server in (ours, real):
                client = server.client()
                taken, port = client.connection_pool.connection_kwargs["port"], free_port()
                with pytest.raises(redis.ResponseError) as no_certificate:
                    client.config_set("tls-port", port)
                assert str(no_certificate.value) == ("CONFIG SET failed (possibly related to argument 'tls-port') "
                                                     "- Unable to update TLS configuration. Check server logs.")
                client.execute_command("CONFIG", "SET", *sum(certificates.server_settings().items(), ()))
                with pytest.raises(redis.ResponseError) as busy:
                    client.config_set("tls-port", taken)
                assert str(busy.value) == ("CONFIG SET failed (possibly related to argument 'tls-port') - "
                                           "Unable to listen on this port. Check server logs.")
                assert client.config_get("tls-port") == {"tls-port": "0"}
                client.config_set("tls-port", port)
                tls_client = redis.Redis(port=port, **certificates.client_kwargs())
                wait_until(lambda: _answers(tls_client), what="the new TLS listener")
                client.config_set("tls-port", 0)
                with pytest.raises(redis.ConnectionError):
                    redis.Redis(port=port, **certificates.client_kwargs()).ping()
                assert tls_client.ping()  # a connection made meanwhile stays
    finally:
        real.stop()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
