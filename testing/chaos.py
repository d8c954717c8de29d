"""The Python side of CHAOS (docs/fault-injection.md): faults on one :class:`PikaServer`.

Every control sends the same ``CHAOS`` command a test in another language would, so it works
the same on a server in a thread or in a child process. A control that turns a fault on
returns a :class:`Healing`: use it in a ``with`` block (leaving the block heals the fault) or
call :meth:`Healing.heal`.

    with server.clock.freeze():               # TTLs stop running out
        server.clock.advance(10_000)          # ...until the clock moves: due keys expire now
    with server.fault(command="get", key="user:*", error="LOADING Redis is loading"):
        ...
    with slave.link.drop():                   # master_link_status:down at once, no reconnect
        ...
    with server.stall():                      # the whole node stops, as under SIGSTOP
        ...
"""

from __future__ import annotations

import itertools
import os
import signal
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple

if TYPE_CHECKING:
    from .embedded import PikaServer
    from .relay import SentinelRelay

_fault_names = itertools.count(1)
#: How long a stall lasts at most when nobody ends it (a test that forgot must not hang forever).
STALL_LIMIT_MS = 600_000


class Healing:
    """A fault that is on; :meth:`heal` (or leaving its ``with`` block) turns it off.
    ``value`` is the control's reply (the clock's time for clock controls)."""

    def __init__(self, heal: Callable[[], object], value: Any = None) -> None:
        self._heal = heal
        self._healed = False
        self.value = value

    def heal(self) -> None:
        if not self._healed:
            self._healed = True
            self._heal()

    def __enter__(self) -> "Healing":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.heal()


class ClockControl:
    """``server.clock``: the node's data clock (CHAOS CLOCK). Times are unix milliseconds."""

    def __init__(self, server: "PikaServer") -> None:
        self._server = server

    def _clock(self, *args: object) -> int:
        return int(self._server.chaos("CLOCK", *args))

    def freeze(self) -> Healing:
        """Stop the clock; healing puts it back to real time."""
        return Healing(self.reset, self._clock("FREEZE"))

    def resume(self) -> int:
        """Let a frozen clock run on from where it stands."""
        return self._clock("RESUME")

    def advance(self, milliseconds: int, timeouts: bool = False) -> int:
        """Move the clock (keys now due expire at once); ``timeouts``: blocked clients'
        timeouts come as much closer."""
        return self._clock("ADVANCE", milliseconds, *(["TIMEOUTS"] if timeouts else []))

    def set(self, unix_ms: int) -> Healing:
        """Put the clock at ``unix_ms``; healing puts it back to real time."""
        return Healing(self.reset, self._clock("SET", unix_ms))

    def skew(self, milliseconds: int) -> Healing:
        """Make the clock real time plus ``milliseconds``; healing removes the skew."""
        return Healing(self.reset, self._clock("SKEW", milliseconds))

    def reset(self) -> int:
        """Back to real time, running."""
        return self._clock("RESET")

    def now_ms(self) -> int:
        """The node's time, as TIME answers it."""
        seconds, micros = self._server.control_client().time()
        return seconds * 1000 + micros // 1000


class LinkControl:
    """``slave.link``: faults of a slave's link to its master (CHAOS LINK), both ways."""

    def __init__(self, server: "PikaServer") -> None:
        self._server = server

    def _link(self, *args: object) -> Healing:
        self._server.chaos("LINK", *args)
        return Healing(self.resume)

    def drop(self) -> Healing:
        """Close the link and keep it closed (no reconnection) until healed."""
        return self._link("DROP")

    def delay(self, milliseconds: int, jitter: int = 0) -> Healing:
        """Deliver everything ``milliseconds`` ± ``jitter`` late."""
        return self._link("DELAY", milliseconds, "JITTER", jitter)

    def bandwidth(self, bytes_per_second: int) -> Healing:
        return self._link("BANDWIDTH", bytes_per_second)

    def stall(self) -> Healing:
        """Pass nothing, the connection kept open: only repl-timeout notices."""
        return self._link("STALL")

    def block(self, host: str, port: int, direction: str = "both") -> Healing:
        """Partition from the master at ``host:port``: links to it pass nothing ``"in"`` (from
        it), ``"out"`` (to it) or ``"both"``; healing ends every block of that address."""
        self._server.chaos("LINK", "BLOCK", host, port, direction.upper())
        return Healing(lambda: self._server.chaos("LINK", "UNBLOCK", host, port))

    def resume(self) -> None:
        """Heal every link fault."""
        self._server.chaos("LINK", "RESUME")


class FullSyncControl:
    """``master.full_sync``: faults of the full syncs this master serves (CHAOS SYNC)."""

    def __init__(self, server: "PikaServer") -> None:
        self._server = server

    def _cut(self, action: str, at_bytes: int | None, fraction: float | None, file: str | None) -> Healing:
        if (at_bytes is None) == (fraction is None):
            raise ValueError("give exactly one of at_bytes and fraction")
        args: list[object] = ["SYNC", action] + (["BYTES", at_bytes] if at_bytes is not None else ["FRACTION", fraction])
        self._server.chaos(*args, *(["FILE", file] if file is not None else []))
        return Healing(self.resume)

    def abort(self, at_bytes: int | None = None, fraction: float | None = None, file: str | None = None) -> Healing:
        """Close the slave's connection once its transfer reached ``at_bytes`` (or ``fraction``)
        of snapshot file ``file`` or of the whole snapshot; it reconnects and resumes."""
        return self._cut("ABORT", at_bytes, fraction, file)

    def stall(self, at_bytes: int | None = None, fraction: float | None = None, file: str | None = None) -> Healing:
        """Hold the transfer there (the connection open) until healed."""
        return self._cut("STALL", at_bytes, fraction, file)

    def delay(self, milliseconds: int) -> Healing:
        """Answer snapshot requests TRYAGAIN for ``milliseconds`` from the next one."""
        self._server.chaos("SYNC", "DELAY", milliseconds)
        return Healing(self.resume)

    def resume(self) -> None:
        """End the full-sync faults; a stalled transfer goes on."""
        self._server.chaos("SYNC", "RESUME")


class StreamControl:
    """``master.stream_to(slave)``: faults of the next binlog items this master sends that slave
    (CHAOS STREAM). Each acts on the next items sent and is then spent (``CHAOS RESET`` drops
    the ones still pending); they wait for the slave across reconnections."""

    def __init__(self, master: "PikaServer", slave: "PikaServer") -> None:
        self._master = master
        self._slave = slave

    def _stream(self, *args: object) -> None:
        self._master.chaos("STREAM", self._slave.host, self._slave.port, *args)

    def duplicate(self, count: int = 1) -> None:
        """Send each of the next ``count`` items twice."""
        self._stream("DUPLICATE", "COUNT", count)

    def drop(self, count: int = 1) -> None:
        """Leave out the next ``count`` items (a gap)."""
        self._stream("DROP", "COUNT", count)

    def reorder(self, count: int = 1) -> None:
        """Swap the next item with the one after it (``count`` pairs)."""
        self._stream("REORDER", "COUNT", count)

    def corrupt(self, part: str = "body", count: int = 1) -> None:
        """Flip a bit of the ``"header"`` or ``"body"`` of the next ``count`` items, after
        their frame's check was computed."""
        self._stream("CORRUPT", part.upper(), "COUNT", count)

    def inject(self, *command: object) -> None:
        """Send, before the next item, an item never logged that carries ``command``."""
        self._stream("INJECT", *command)

    def rewind(self, items: int) -> None:
        """Send the last ``items`` items again, as from an older offset."""
        self._stream("REWIND", items)


def fault_command(name: str, command: str | None, key: str | None, client: str | None, db: int | None,
                  error: str | None, delay: int | None, drop: bool, close: bool, hang: bool, corrupt: bool,
                  nth: int | None, count: int | None, probability: float | None, after: bool) -> list[object]:
    """The arguments of ``CHAOS FAULT ADD`` for :meth:`PikaServer.fault`'s keywords."""
    args: list[object] = ["FAULT", "ADD", name]
    for option, value in (("COMMAND", command), ("KEY", key), ("CLIENT", client), ("DB", db),
                          ("ERROR", error), ("DELAY", delay), ("NTH", nth), ("COUNT", count),
                          ("PROBABILITY", probability)):
        if value is not None:
            args += [option, value]
    for flag, given in (("DROP", drop), ("CLOSE", close), ("HANG", hang), ("CORRUPT", corrupt), ("AFTER", after)):
        if given:
            args.append(flag)
    return args


def new_fault_name() -> str:
    return f"fault-{next(_fault_names)}"


def stall_process(pid: int) -> Healing:
    """SIGSTOP a server process; healing sends SIGCONT."""
    os.kill(pid, signal.SIGSTOP)
    return Healing(lambda: os.kill(pid, signal.SIGCONT))


def parse_list(reply: list) -> list[dict[str, Any]]:
    """CHAOS LIST's entries (flat key/value lists in RESP2) as dicts of str to str or int."""
    entries = []
    for entry in reply:
        pairs = entry.items() if isinstance(entry, dict) else zip(entry[::2], entry[1::2])
        entries.append({_text(key): _text(value) for key, value in pairs})
    return entries


def _text(value: object) -> object:
    if isinstance(value, list):
        return [_text(each) for each in value]
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


# -- partitions -------------------------------------------------------------------------------

class SentinelNode(NamedTuple):
    """One sentinel of a SentinelGroup, as a node sees it: its connections are named
    ``sentinel-<first 8 characters of its id>-cmd`` and ``-pubsub`` (Redis' naming). ``relay``
    carries the links between the group's sentinels (testing/relay.py)."""

    port: int
    client_name_prefix: str
    relay: "SentinelRelay | None" = None


def partition(side_a: Iterable[object], side_b: Iterable[object], one_way: bool = False) -> Healing:
    """Cut the traffic between two groups of nodes (``PikaServer``, ``SentinelNode``, or a
    ``SentinelGroup`` for all its sentinels): from ``side_a`` to ``side_b`` and, unless
    ``one_way``, back. Healing ends it.

    Between two pypika-store nodes the only traffic is a slave's link to its master, so the
    cut is on each node's link faults, per address and direction, whichever of them follows
    the other now or after a failover. A node cut from a sentinel holds that sentinel's
    commands (a HANG fault on its connections) until healed, either way. Two sentinels of one
    SentinelGroup talk through its relay, which holds what one sends the other; sentinels of
    different groups cannot be cut from each other (ValueError).
    """
    senders, receivers = _members(side_a), _members(side_b)
    pairs = [(sender, receiver) for sender in senders for receiver in receivers]
    if not one_way:
        pairs += [(receiver, sender) for sender, receiver in pairs]
    healings: dict[object, Healing] = {}
    for sender, receiver in pairs:
        _cut(sender, receiver, healings)
    return Healing(lambda: [healing.heal() for healing in healings.values()])


def _members(side: Iterable[object]) -> list[object]:
    members: list[object] = []
    for member in side:
        expand = getattr(member, "members", None)
        members += expand() if callable(expand) else [member]
    return members


def _cut(sender: object, receiver: object, healings: dict[object, Healing]) -> None:
    """``receiver`` hears nothing from ``sender`` (``healings`` collects how to undo it, one per
    blocked direction or fault)."""
    sender_is_sentinel, receiver_is_sentinel = isinstance(sender, SentinelNode), isinstance(receiver, SentinelNode)
    if sender_is_sentinel and receiver_is_sentinel:
        relay = sender.relay  # type: ignore[union-attr]
        if relay is None or relay is not receiver.relay:  # type: ignore[union-attr]
            raise ValueError("only sentinels of one SentinelGroup (they talk through its relay) can be "
                             "partitioned from each other")
        pair = (sender.client_name_prefix, receiver.client_name_prefix)  # type: ignore[union-attr]
        if pair not in healings:
            healings[pair] = relay.cut(*pair)
        return
    if sender_is_sentinel or receiver_is_sentinel:
        node, sentinel = (receiver, sender) if sender_is_sentinel else (sender, receiver)
        key = (id(node), sentinel.port)  # type: ignore[union-attr]
        if key not in healings:
            prefix = sentinel.client_name_prefix  # type: ignore[union-attr]
            healings[key] = node.fault(f"partition-{prefix}", client=f"{prefix}-*", hang=True)  # type: ignore[union-attr]
        return
    # As the sender's slave the receiver hears nothing from it; as its master, nothing comes
    # from the sender's link to it.
    healings[(id(receiver), "in", sender.port)] = receiver.link.block(sender.host, sender.port, "in")  # type: ignore[attr-defined]
    healings[(id(sender), "out", receiver.port)] = sender.link.block(receiver.host, receiver.port, "out")  # type: ignore[attr-defined]
