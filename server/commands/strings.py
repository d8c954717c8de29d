"""String commands: GET, SET and its variants, counters, ranges."""

from __future__ import annotations

from pypika_store.errors import CommandError, SyntaxErrorReply
from pypika_store.keyspace import KEEP_TTL

from ..connection import Client
from ..registry import command
from ..resp.replies import OK
from .args import parse_int


@command("get", arity=2, flags="readonly fast", keys=(1, 1, 1), group="string")
def get(client: Client, argv: list[bytes]) -> object:
    """Get the value of a key."""
    return client.keyspace.get_string(argv[1])


def _expiry_ms(client: Client, unit: bytes, arg: bytes, command_name: str) -> int:
    """The absolute expiry in unix ms for SET's EX/PX/EXAT/PXAT argument."""
    value = parse_int(arg)
    if value <= 0:
        raise CommandError(f"ERR invalid expire time in '{command_name}' command")
    now = client.server.engine.now_ms()
    if unit == b"EX":
        value = value * 1000 + now
    elif unit == b"PX":
        value += now
    elif unit == b"EXAT":
        value *= 1000
    if value > 2**63 - 1 or value <= 0:
        raise CommandError(f"ERR invalid expire time in '{command_name}' command")
    return value


@command("set", arity=-3, flags="write denyoom", keys=(1, 1, 1), group="string")
def set_(client: Client, argv: list[bytes]) -> object:
    """Set the string value of a key, with optional expiry, condition and GET."""
    key, value = argv[1], argv[2]
    expire_at = 0
    condition = b""
    want_old = False
    expiry_given = False
    index = 3
    while index < len(argv):
        option = argv[index].upper()
        if option in (b"NX", b"XX") and not condition:
            condition = option
        elif option == b"GET" and not want_old:
            want_old = True
        elif option == b"KEEPTTL" and not expiry_given:
            expiry_given = True
            expire_at = KEEP_TTL
        elif option in (b"EX", b"PX", b"EXAT", b"PXAT") and not expiry_given and index + 1 < len(argv):
            expiry_given = True
            index += 1
            expire_at = _expiry_ms(client, option, argv[index], "set")
        else:
            raise SyntaxErrorReply()
        index += 1
    keyspace = client.keyspace
    if want_old:
        old = keyspace.get_string(key)
        exists = old is not None or keyspace.exists(key)
    elif condition:
        old = None
        exists = keyspace.exists(key)
    else:
        keyspace.set_string(key, value, expire_at)
        return OK
    if (condition == b"NX" and exists) or (condition == b"XX" and not exists):
        return old if want_old else None
    keyspace.set_string(key, value, expire_at)
    return old if want_old else OK
