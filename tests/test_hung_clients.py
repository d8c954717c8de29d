"""Clients that leave while the server holds them: a CHAOS HANG fault's held command, or replies
they do not read. However they go (closing, resetting, CLIENT KILL), over TCP or TLS, the server
forgets them: CLIENT LIST no longer shows them, the fault holds nobody."""

from __future__ import annotations

import socket
import ssl
import struct

import pytest

from pypika_store.testing import PikaServer

from .support import encode_command, wait_until


@pytest.fixture(scope="module")
def node():
    with PikaServer(tls=True) as server:
        yield server


def _connect(node: PikaServer, transport: str) -> socket.socket:
    if transport == "tcp":
        return socket.create_connection((node.host, node.port), timeout=10)
    tls = node.certificates.client_kwargs()  # type: ignore[union-attr]
    context = ssl.create_default_context(cafile=tls["ssl_ca_certs"])
    context.check_hostname = False
    context.load_cert_chain(tls["ssl_certfile"], tls["ssl_keyfile"])
    return context.wrap_socket(socket.create_connection((node.host, node.tls_port), timeout=10))


def _named(sock: socket.socket, name: str) -> None:
    sock.sendall(encode_command(("CLIENT", "SETNAME", name)))
    assert sock.recv(100) == b"+OK\r\n"


def _listed(client, name: str) -> list[dict]:
    return [entry for entry in client.client_list() if entry["name"] == name]


def _held(node: PikaServer) -> int:
    return sum(entry["held-clients"] for entry in node.chaos_list() if entry["kind"] == "fault")


def _leave(sock: socket.socket, how: str, client, name: str) -> None:
    """The hung client goes: its socket closed, reset (RST), or killed by another client."""
    if how == "close":
        sock.close()
    elif how == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    elif how == "kill-id":
        assert client.execute_command("CLIENT", "KILL", "ID", _listed(client, name)[0]["id"]) == 1
    else:
        assert client.execute_command("CLIENT", "KILL", _listed(client, name)[0]["addr"]) == b"OK"


@pytest.mark.parametrize("pipelined", [False, True], ids=["alone", "pipelined"])
@pytest.mark.parametrize("how", ["close", "reset", "kill-id", "kill-addr"])
@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_a_hung_client_that_goes_is_forgotten(node, transport, how, pipelined):
    client = node.client()
    name = f"hung-{transport}-{how}"
    sock = _connect(node, transport)
    try:
        _named(sock, name)
        with node.fault(command="get", client=name, hang=True):
            behind = [("SET", "k", "v"), ("PING",)] if pipelined else []
            sock.sendall(b"".join(encode_command(args) for args in [("GET", "k"), *behind]))
            wait_until(lambda: _held(node) == 1, what="the GET to hang")
            _leave(sock, how, client, name)
            # Well under the 30 s a TLS close waited for a peer's answer before giving up.
            wait_until(lambda: not _listed(client, name), timeout=15, what="CLIENT LIST to forget the client")
            assert _held(node) == 0
        assert client.get("k") is None  # what it pipelined behind the hung GET never ran
    finally:
        sock.close()
        client.close()


def _unread_replies(port: int, name: str) -> socket.socket:
    """A client that asks for far more than it reads: its replies pile up in the server."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    _named(sock, name)
    sock.sendall(encode_command(("GET", "big")) * 64)
    return sock


def _waiting_output(client, name: str) -> bool:
    listed = _listed(client, name)
    return bool(listed) and int(listed[0]["omem"]) > 0


def test_client_kill_forgets_a_client_that_reads_nothing_as_redis_does(real_redis, node):
    """Redis frees a killed client at once, its unsent replies dropped; here it stayed listed for
    as long as its peer read nothing (and a TLS peer until it answered the close)."""
    for server in (real_redis, node):
        client = server.client()
        client.set("big", "x" * 1_000_000)
        sock = _unread_replies(server.port, "reads-nothing")
        try:
            wait_until(lambda: _waiting_output(client, "reads-nothing"), what="replies to pile up")
            assert client.execute_command("CLIENT", "KILL", _listed(client, "reads-nothing")[0]["addr"]) == b"OK"
            wait_until(lambda: not _listed(client, "reads-nothing"), what="CLIENT LIST to forget the client")
        finally:
            sock.close()
            client.delete("big")
            client.close()
