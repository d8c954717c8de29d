"""The server end to end: pipelining, binary safety, protocol errors, real Redis tools."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest

from pypika_store.testing import PikaServer

from .support import Err, RawConnection, RealRedis, Stat, encode_command, require_redis_server, wait_until


@pytest.fixture(scope="module", params=["hiredis", "python"])
def server(request):
    """A server per parser: hiredis when installed, and the pure-Python reference."""
    with PikaServer(config={"use-hiredis": "yes" if request.param == "hiredis" else "no"}) as server:
        yield server


@pytest.fixture
def raw(server):
    connection = RawConnection(server.port)
    yield connection
    connection.call("FLUSHALL")
    connection.close()


def test_ten_thousand_pipelined_commands_answer_in_order(raw):
    commands = [("SET", f"k{n}", f"v{n}") if n % 2 == 0 else ("GET", f"k{n - 1}") for n in range(10_000)]
    replies = raw.pipeline(commands)
    assert replies[0::2] == [Stat("OK")] * 5000
    assert replies[1::2] == [f"v{n}".encode() for n in range(0, 10_000, 2)]


@pytest.mark.parametrize("size", [1024 * 1024 + 1, 10 * 1024 * 1024])
def test_big_binary_values_round_trip(raw, size):
    value = bytes(range(256)) * (size // 256) + b"\x00" * (size % 256)
    assert raw.call("SET", b"\xff\x00key", value) == Stat("OK")
    assert raw.call("GET", b"\xff\x00key") == value
    assert raw.call("STRLEN", b"\xff\x00key") == size


def test_inline_commands_like_telnet(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"PING\r\nSET greeting \"hello world\"\nGET greeting\r\n")
        expected = b"+PONG\r\n+OK\r\n$11\r\nhello world\r\n"
        received = b""
        while len(received) < len(expected):
            received += sock.recv(1024)
        assert received == expected


@pytest.mark.parametrize("request_bytes, error", [
    (b"*1\r\n$-5\r\n", "invalid bulk length"),
    (b"*2147483648\r\n", "invalid multibulk length"),
    (b"*4294967295\r\n", "invalid multibulk length"),
])
def test_protocol_error_closes_only_that_client(server, request_bytes, error):
    bystander = RawConnection(server.port)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(request_bytes)
        reply = b""
        while chunk := sock.recv(1024):
            reply += chunk
        assert reply == b"-ERR Protocol error: %s\r\n" % error.encode()
    assert bystander.call("PING") == Stat("PONG")
    bystander.close()


def test_a_pending_huge_count_does_not_hold_other_clients(server):
    """Redis waits for the arguments of ``*2147483647``; so do we, without allocating them."""
    with socket.create_connection(("127.0.0.1", server.port)) as waiting:
        waiting.sendall(b"*2147483647\r\n$4\r\nPING\r\n")
        bystander = RawConnection(server.port)
        assert bystander.call("PING") == Stat("PONG")
        bystander.close()


def test_unknown_command_and_arity_errors(raw):
    assert raw.call("NOPE", "a", "b") == "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "
    assert raw.call("GET") == "ERR wrong number of arguments for 'get' command"
    assert raw.call("CONFIG", "GET") == "ERR wrong number of arguments for 'config|get' command"
    assert raw.call("get", "k") is None  # command names are case-insensitive


def _output_buffers(server) -> list[int]:
    info = RawConnection(server.port)
    listing = info.call("CLIENT", "LIST").decode()
    info.close()
    return [int(field.split("=")[1]) for line in listing.splitlines() for field in line.split()
            if field.startswith("omem=")]


def test_a_client_that_does_not_read_does_not_grow_the_server_without_bound(server):
    """Backpressure: once its replies back up, the server stops running that client's commands."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(encode_command(("SET", "big", b"x" * 100_000)))
        assert sock.recv(5) == b"+OK\r\n"
        request = encode_command(("GET", "big")) * 1_000_000  # 100 GB of replies if all were run
        sock.setblocking(False)
        sent = 0
        try:
            while sent < len(request):
                sent += sock.send(request[sent:sent + 65536])
        except BlockingIOError:
            pass
        assert sent < len(request)  # the server stopped reading: the pipe filled up
        assert max(_output_buffers(server)) < 64 * 1024 * 1024
        received = 0
        sock.setblocking(True)
        while received < 5_000_000:  # reading the replies lets the server go on
            received += len(sock.recv(1 << 20))


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
def test_redis_cli_works(server):
    def cli(*args: str) -> str:
        return subprocess.run(["redis-cli", "-p", str(server.port), *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()

    assert cli("PING") == "PONG"
    assert cli("SET", "cli", "hello world") == "OK"
    assert cli("GET", "cli") == "hello world"
    assert cli("INCR", "counter") == "1"
    piped = subprocess.run(["redis-cli", "-p", str(server.port)], input="SET a 1\nGET a\n", capture_output=True,
                           text=True, timeout=30, check=True).stdout.split()
    assert piped == ["OK", "1"]


@pytest.mark.skipif(shutil.which("redis-benchmark") is None, reason="redis-benchmark is not installed")
def test_redis_benchmark_runs_against_the_server(server):
    result = subprocess.run(["redis-benchmark", "-p", str(server.port), "-n", "2000", "-c", "10", "-P", "4",
                             "-t", "set,get,incr,mset,ping", "-q"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("requests per second") >= 5


# -- limits, compared with redis-server ----------------------------------------------------------

#: How long a connection that got no reply is watched for one (a reply, when there is one,
#: comes within milliseconds).
QUIET = 0.5


def exchange(port: int, *chunks: bytes) -> tuple[bytes, str]:
    """Send ``chunks`` on a new connection; what came back and whether the connection was then
    ``"open"`` (nothing more for :data:`QUIET` seconds) or ``"closed"`` by the server."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for chunk in chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(QUIET)
        received = b""
        while True:
            try:
                data = sock.recv(1 << 16)
            except TimeoutError:
                return received, "open"
            except ConnectionResetError:
                return received, "closed"
            if not data:
                return received, "closed"
            received += data


@pytest.fixture(scope="module")
def protected_pair(request, private_redis):
    """redis-server and pypika-store (each parser) with requirepass set."""
    admin = private_redis.client()
    admin.config_set("requirepass", "pw")
    servers = [PikaServer(config={"requirepass": "pw", "use-hiredis": parser}).start() for parser in ("yes", "no")]
    yield private_redis.port, [server.port for server in servers]
    for server in servers:
        server.stop()
    admin.execute_command("AUTH", "pw")
    admin.config_set("requirepass", "")
    admin.close()


AUTH = encode_command(("AUTH", "pw"))


@pytest.mark.parametrize("chunks", [
    [b"*10\r\n"],
    [b"*11\r\n"],
    [b"*1\r\n$16384\r\n"],
    [b"*1\r\n$16385\r\n"],
    [b"*-1\r\n*11\r\n"],
    [b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n"],
    [AUTH + b"*11\r\n"],
    [AUTH, b"*11\r\n"],
    [AUTH + b"*1\r\n$16385\r\n"],
    [encode_command(("AUTH", "wrong")) + b"*11\r\n"],
    [AUTH + encode_command(("RESET",)) + b"*11\r\n"],
    [b"PING " + b"x" * 20000 + b"\r\n"],  # inline requests have no such limit
], ids=["count 10", "count 11", "bulk 16384", "bulk 16385", "after an empty one", "third argument",
        "after AUTH", "after AUTH, apart", "bulk after AUTH", "after a wrong AUTH", "after RESET", "inline"])
def test_a_client_that_must_authenticate_is_held_to_redis_limits(protected_pair, chunks):
    redis_port, our_ports = protected_pair
    expected = exchange(redis_port, *chunks)
    for port in our_ports:
        assert exchange(port, *chunks) == expected


@pytest.fixture
def limited_pair():
    """redis-server and pypika-store (each parser) with both protocol limits at 1 MB, set by
    CONFIG SET while a connection of each is already open; that connection, per server."""
    require_redis_server()
    real_redis = RealRedis()
    servers = [PikaServer(config={"use-hiredis": parser}).start() for parser in ("yes", "no")]
    ports = [real_redis.port] + [server.port for server in servers]
    connections = {port: RawConnection(port) for port in ports}
    for connection in connections.values():
        assert connection.call("PING") == Stat("PONG")
    for port in ports:
        admin = RawConnection(port)
        for option in ("proto-max-bulk-len", "client-query-buffer-limit"):
            assert admin.call("CONFIG", "SET", option, "1mb") == Stat("OK")
        admin.close()
    yield ports, connections
    for connection in connections.values():
        connection.close()
    for server in servers:
        server.stop()
    real_redis.stop()


def test_config_set_of_the_protocol_limits_holds_clients_already_connected(limited_pair):
    ports, connections = limited_pair
    for port, connection in connections.items():
        connection.send_raw(b"*1\r\n$1048577\r\n")
        assert connection.read_reply() == Err("ERR Protocol error: invalid bulk length"), port
        with pytest.raises(ConnectionError):
            connection.read_reply()  # then the close
    # A bulk over the query buffer limit (proto-max-bulk-len allows it): closed, no reply.
    results = []
    for port in ports:
        admin = RawConnection(port)
        admin.call("CONFIG", "SET", "proto-max-bulk-len", "4mb")
        admin.close()
        results.append(exchange(port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n", b"x" * 2_000_000))
    assert results == [(b"", "closed")] * len(ports)
    # A pipeline longer than the limit is not a buffer over it: commands are run as they come.
    for port in ports:
        connection = RawConnection(port)
        assert connection.pipeline([("SET", "k", "v")] * 100_000) == [Stat("OK")] * 100_000
        connection.close()
