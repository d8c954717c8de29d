"""MONITOR: every command the server runs, as one line to each monitoring client.

The dispatcher feeds each command right after its call (so a transaction's commands come
before their EXEC, as in Redis), unless it is an admin or skip-monitor command (CONFIG, DEBUG,
MONITOR itself...), it was refused before running, or it is a blocked command run again. The
line is Redis' replicationFeedMonitors': ``+<unix time with microseconds> [<db> <addr>]`` and the
arguments quoted as sdscatrepr quotes them, passwords (AUTH, HELLO ... AUTH) redacted. The
commands a slave applies from its master show the master's address.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from .connection import MASTER
from .registry import ADMIN, CommandSpec

if TYPE_CHECKING:
    from .connection import Client

#: Flags of the commands MONITOR does not show.
_HIDDEN = frozenset((ADMIN, "skip_monitor"))
_REDACTED = b"(redacted)"
#: How sdscatrepr writes the bytes it escapes; the other printable ASCII bytes are themselves.
_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
            0x07: "\\a", 0x08: "\\b"}
_REPR = [_ESCAPES.get(byte, chr(byte) if 0x20 <= byte <= 0x7E else f"\\x{byte:02x}") for byte in range(256)]


def quote(arg: bytes) -> str:
    """One argument as Redis' sdscatrepr writes it."""
    return '"' + "".join([_REPR[byte] for byte in arg]) + '"'


#: Commands with passwords among their options: where the options start and, for each option
#: before the passwords, how many arguments it takes and whether they are secret.
_SECRET_OPTIONS = {
    b"hello": (2, {b"AUTH": (2, True), b"SETNAME": (1, False)}),
    b"migrate": (6, {b"AUTH": (1, True), b"AUTH2": (2, True), b"COPY": (0, False), b"REPLACE": (0, False)}),
}


def redacted(argv: list[bytes]) -> list[bytes]:
    """The arguments with the passwords hidden, as Redis redacts AUTH, and HELLO's and
    MIGRATE's AUTH options once its parsing reached them."""
    name = argv[0].lower()
    if name == b"auth":
        return [argv[0], *[_REDACTED] * (len(argv) - 1)]
    if name not in _SECRET_OPTIONS:
        return argv
    index, options = _SECRET_OPTIONS[name]
    shown = list(argv)
    while index < len(argv):
        taken, secret = options.get(argv[index].upper(), (-1, False))
        if taken < 0 or index + taken >= len(argv):
            break
        if secret:
            shown[index + 1:index + 1 + taken] = [_REDACTED] * taken
        index += 1 + taken
    return shown


class Monitors:
    """The clients in MONITOR mode, and the feed of commands to them."""

    def __init__(self) -> None:
        self.clients: list["Client"] = []

    def add(self, client: "Client") -> None:
        if client not in self.clients:
            self.clients.append(client)
            client.on_close.append(lambda: self.remove(client))

    def remove(self, client: "Client") -> None:
        if client in self.clients:
            self.clients.remove(client)

    def __contains__(self, client: object) -> bool:
        return client in self.clients

    def feed(self, client: "Client", spec: CommandSpec, argv: list[bytes]) -> None:
        """Show one command of ``client`` that just ran to every monitor."""
        if not _HIDDEN.isdisjoint(spec.flags):
            return
        now = time.time()
        line = (f"+{int(now)}.{int(now * 1_000_000) % 1_000_000:06d} [{client.db} {peer_address(client)}] "
                + " ".join(quote(arg) for arg in redacted(argv)) + "\r\n")
        data = line.encode()
        for monitor in self.clients:
            if monitor is client:  # its own command: the line goes after the reply, as in Redis
                asyncio.get_running_loop().call_soon(monitor.push, data)
            else:
                monitor.push(data)


def peer_address(client: "Client") -> str:
    """The client address MONITOR and SLOWLOG show: a slave shows its master's for what it applies."""
    replica = client.server.replica
    if client.kind is MASTER and replica is not None:
        return f"{replica.host}:{replica.port}"
    return client.address
