"""Connection commands: PING, ECHO, QUIT, AUTH, SELECT, HELLO, RESET, MONITOR."""

from __future__ import annotations

from pypika_store import REDIS_VERSION
from pypika_store.errors import (
    DbIndexOutOfRangeError,
    HelloNoAuthError,
    MonitorDenyBlockingError,
    NoPasswordConfiguredError,
    NoProtocolError,
    ProtocolVersionError,
    SyntaxErrorReply,
    WrongPassError,
    hello_option_error,
    wrong_arity,
)

from ..connection import NORMAL, PUBSUB, REPLY_ON, Client
from ..arguments import Arguments, c_string, parse_int
from ..registry import command
from ..resp.replies import NO_REPLY, OK, PONG, Map, Status
from .clients import describe
from .transactions import end_transaction

_PONG_SUBSCRIBED = [b"pong", b""]


@command("ping", arity=-1, flags="fast", group="connection", syntax="[message]")
def ping(client: Client, argv: list[bytes]) -> object:
    """Ping the server."""
    if len(argv) > 2:
        raise wrong_arity(argv)
    if client.kind == PUBSUB and client.resp == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo", arity=2, flags="loading stale fast", group="connection", syntax="message")
def echo(client: Client, argv: list[bytes]) -> object:
    """Echo the given string."""
    return argv[1]


@command("quit", arity=-1, flags="noscript loading stale fast no_auth allow_busy", group="connection")
def quit_(client: Client, argv: list[bytes]) -> object:
    """Close the connection."""
    client.close()
    return OK


def _authenticate(client: Client, argv: list[bytes], username: bytes | None, password: bytes) -> None:
    """AUTH's and HELLO's login: ``username`` None is the one-argument form (the default user,
    refused when it needs no password); a failure is logged in ACL LOG as Redis logs it (the
    command's name as sent is the entry's object)."""
    access = client.server.dispatcher.acl
    if username is None:
        if access.default.nopass:
            raise NoPasswordConfiguredError()
        username = b"default"
    user = access.authenticate(username, password)
    if user is None:
        access.record("auth", "toplevel" if client.transaction is None else "multi", argv[0], username,
                      describe(client))
        raise WrongPassError()
    client.user, client.authenticated = user, True


@command("auth", arity=-2, flags="noscript loading stale fast no_auth allow_busy", group="connection",
         syntax="[username] password")
def auth(client: Client, argv: list[bytes]) -> object:
    """Authenticate to the server."""
    if len(argv) > 3:
        raise SyntaxErrorReply()
    username = argv[1] if len(argv) == 3 else None
    _authenticate(client, argv, username, argv[-1])
    return OK


@command("select", arity=2, flags="fast loading stale", group="connection", syntax="index:integer")
def select(client: Client, argv: list[bytes]) -> object:
    """Change the selected database for the current connection."""
    index = parse_int(argv[1])
    if not 0 <= index < len(client.server.engine.keyspaces):
        raise DbIndexOutOfRangeError()
    client.select(index)
    return OK


@command("hello", arity=-1, flags="noscript loading stale fast no_auth allow_busy", group="connection",
         syntax="arguments:[protover:integer [AUTH username_password:<username password>] [SETNAME clientname]]")
def hello(client: Client, argv: list[bytes]) -> object:
    """Handshake with the server and choose RESP2 or RESP3."""
    args = Arguments(argv, 1)
    version = args.take_int(ProtocolVersionError) if args else client.resp
    if version not in (2, 3):
        raise NoProtocolError()
    while args:
        option = args.take()
        name = c_string(option).upper()
        if name == b"AUTH" and args.remaining() >= 2:
            _authenticate(client, argv, args.take(), args.take())
        elif name == b"SETNAME" and args:
            client.name = args.take()
        else:
            raise hello_option_error(option)
    if not client.authenticated:
        raise HelloNoAuthError()
    client.set_protocol(version)
    return Map([
        (b"server", b"redis"),
        (b"version", REDIS_VERSION.encode()),
        (b"proto", version),
        (b"id", client.id),
        (b"mode", b"standalone"),
        (b"role", client.server.role.encode()),
        (b"modules", []),
    ])


_RESET = Status("RESET")


@command("reset", arity=1, flags="noscript loading stale fast no_auth allow_busy", group="connection")
def reset(client: Client, argv: list[bytes]) -> object:
    """Reset the connection."""
    # Redis' clearClientConnectionState: as if the client had just connected.
    end_transaction(client)  # leaves MULTI and forgets the watched keys
    server = client.server
    server.pubsub.forget(client)  # no unsubscribe confirmations, as in Redis
    server.dispatcher.monitors.remove(client)
    server.tracking.disable(client)
    if client.kind is PUBSUB:
        client.kind = NORMAL
    client.select(0)
    client.set_protocol(2)
    client.user = server.dispatcher.acl.default
    client.authenticated = server.dispatcher.acl.default_open()
    client.name = b""
    client.no_evict = False
    client.reply_mode = REPLY_ON
    return _RESET


@command("monitor", arity=1, flags="admin noscript loading stale", group="server")
def monitor(client: Client, argv: list[bytes]) -> object:
    """Listen for all requests received by the server in real time."""
    if client.in_transaction:
        raise MonitorDenyBlockingError()
    monitors = client.server.dispatcher.monitors
    if client in monitors:
        return NO_REPLY  # already monitoring: Redis ignores it, without a reply
    monitors.add(client)
    return OK
