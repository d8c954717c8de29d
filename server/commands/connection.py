"""Connection commands: PING, ECHO, QUIT, AUTH, SELECT, HELLO."""

from __future__ import annotations

import hmac

from pypika_store import REDIS_VERSION
from pypika_store.errors import CommandError

from ..connection import PUBSUB, Client
from ..registry import command
from ..resp.replies import OK, PONG, Map
from ..arguments import parse_int

_PONG_SUBSCRIBED = [b"pong", b""]


@command("ping", arity=-1, flags="fast stale", group="connection")
def ping(client: Client, argv: list[bytes]) -> object:
    """Ping the server."""
    if len(argv) > 2:
        raise CommandError("ERR wrong number of arguments for 'ping' command")
    if client.kind == PUBSUB and client.resp == 2:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else PONG


@command("echo", arity=2, flags="fast", group="connection")
def echo(client: Client, argv: list[bytes]) -> object:
    """Echo the given string."""
    return argv[1]


@command("quit", arity=-1, flags="no_auth fast stale loading", group="connection")
def quit_(client: Client, argv: list[bytes]) -> object:
    """Close the connection."""
    client.close()
    return OK


def _check_password(client: Client, username: bytes | None, password: bytes) -> None:
    """AUTH's check; ``username`` is None for the one-argument (password only) form."""
    required = client.server.config.get_str("requirepass")
    if not required and username is None:
        raise CommandError(
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?"
        )
    if username not in (None, b"default") or not hmac.compare_digest(password, required.encode()):
        raise CommandError("WRONGPASS invalid username-password pair or user is disabled.")
    client.authenticated = True


@command("auth", arity=-2, flags="no_auth fast stale loading noscript", group="connection")
def auth(client: Client, argv: list[bytes]) -> object:
    """Authenticate to the server."""
    if len(argv) > 3:
        raise CommandError("ERR syntax error")
    username = argv[1] if len(argv) == 3 else None
    _check_password(client, username, argv[-1])
    return OK


@command("select", arity=2, flags="fast loading stale", group="connection")
def select(client: Client, argv: list[bytes]) -> object:
    """Change the selected database for the current connection."""
    index = parse_int(argv[1])
    if not 0 <= index < len(client.server.engine.keyspaces):
        raise CommandError("ERR DB index is out of range")
    client.select(index)
    return OK


@command("hello", arity=-1, flags="no_auth fast stale loading noscript", group="connection")
def hello(client: Client, argv: list[bytes]) -> object:
    """Handshake with the server and choose RESP2 or RESP3."""
    args = argv[1:]
    if args:
        try:
            version = parse_int(args[0])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        if version not in (2, 3):
            raise CommandError("NOPROTO unsupported protocol version")
        args = args[1:]
    else:
        version = client.resp
    while args:
        option = args[0].upper()
        if option == b"AUTH" and len(args) >= 3:
            _check_password(client, args[1], args[2])
            args = args[3:]
        elif option == b"SETNAME" and len(args) >= 2:
            client.name = args[1]
            args = args[2:]
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{args[0].decode('utf-8', 'replace')}'")
    if not client.authenticated:
        raise CommandError("NOAUTH HELLO must be called with the client already authenticated, "
                           "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                           "authenticate the client and select the RESP protocol version at the same time")
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
