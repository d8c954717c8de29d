"""CHAOS: faults on demand for tests (docs/fault-injection.md); the state is server/chaos.py.

Refused unless ``enable-chaos-command`` is ``yes`` (or ``local``: loopback clients only), as
Redis refuses DEBUG under ``enable-debug-command``; the testing fixtures turn it on. Every
subcommand parses its arguments, calls one method of ``server.chaos`` and replies.
"""

from __future__ import annotations

import functools
from typing import Callable

from pypika_store.errors import (ChaosFaultActionError, ChaosNotAllowedError, ChaosProbabilityError,
                                 DbIndexOutOfRangeError, NotPositiveError, SyntaxErrorReply, chaos_fault_exists,
                                 chaos_unknown_command)
from pypika_store.glob import compile_glob
from pypika_store.replication.link import IN, OUT

from ..arguments import Arguments
from ..chaos import ACTIONS, Chaos, CommandFault
from ..connection import Client
from ..registry import TABLE, Handler, command, container, help_reply
from ..resp.replies import OK

container("chaos", arity=-2, flags="admin noscript loading stale", group="server",
          summary="A container for fault-injection commands (CLOCK, FAULT, LINK, SUSPEND, RESET, LIST...).")

_FLAGS = "admin noscript loading stale"
#: The addresses ``enable-chaos-command local`` lets in.
_LOOPBACK = ("127.0.0.1", "::1")


def _allowed(client: Client) -> bool:
    setting = client.server.config.get_str("enable-chaos-command")
    if setting == "yes" or client.transport is None:
        return True
    host = client.address.rsplit(":", 1)[0].strip("[]")
    return setting == "local" and host in _LOOPBACK


def _chaos_command(name: str, arity: int, help: tuple[str, ...], syntax: str = ""):
    """Register ``CHAOS <name>``, refused (after the dispatcher's own checks, as Redis'
    protected commands) while enable-chaos-command does not allow the client."""
    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def guarded(client: Client, argv: list[bytes]) -> object:
            if not _allowed(client):
                raise ChaosNotAllowedError()
            return handler(client, argv)

        return command(f"chaos|{name}", arity=arity, flags=_FLAGS, group="server", help=help,
                       syntax=syntax)(guarded)
    return register


def _non_negative(args: Arguments, minimum: int = 0) -> int:
    """The next argument, an integer of at least ``minimum`` (Redis' "must be positive" otherwise)."""
    value = args.take_int()
    if value < minimum:
        raise NotPositiveError()
    return value


# -- the clock --------------------------------------------------------------------------------

_CLOCK_SYNTAX = ("operation:<FREEZE | RESUME | RESET | advance:<ADVANCE milliseconds:integer [TIMEOUTS]> "
                 "| SET unix-time-milliseconds:unix-time | SKEW milliseconds:integer>")


@_chaos_command("clock", arity=-3, help=(
    "CLOCK FREEZE|RESUME|RESET|ADVANCE <ms> [TIMEOUTS]|SET <unix-ms>|SKEW <ms>",
    "    Stop, restart, reset or move this node's clock (TTLs, TIME, stream ids, binlog",
    "    times follow it). ADVANCE expires what became due; with TIMEOUTS blocked clients'",
    "    timeouts come that much closer too. Replies the clock's time in milliseconds.",
), syntax=_CLOCK_SYNTAX)
def chaos_clock(client: Client, argv: list[bytes]) -> object:
    """Freeze, resume, reset, advance, set or skew this node's clock."""
    chaos = client.server.chaos
    args = Arguments(argv, 2)
    _run_operation(_CLOCK_OPERATIONS, chaos, args)
    return chaos.clock.now_ms()


def _advance(chaos: Chaos, args: Arguments) -> None:
    milliseconds = args.take_int()
    timeouts = args.flag(b"TIMEOUTS")
    chaos.clock.advance(milliseconds)
    if timeouts:
        chaos.advance_timeouts(milliseconds)


#: Each operation reads its arguments and acts; the caller checks nothing is left over.
Operation = Callable[[Chaos, Arguments], None]

_CLOCK_OPERATIONS: dict[bytes, Operation] = {
    b"FREEZE": lambda chaos, args: chaos.clock.freeze(),
    b"RESUME": lambda chaos, args: chaos.clock.resume(),
    b"RESET": lambda chaos, args: chaos.clock.reset(),
    b"ADVANCE": _advance,
    b"SET": lambda chaos, args: chaos.clock.set(_non_negative(args)),
    b"SKEW": lambda chaos, args: chaos.clock.skew(args.take_int()),
}


def _run_operation(operations: dict[bytes, Operation], chaos: Chaos, args: Arguments) -> None:
    """The operation the next argument names, with its arguments (a syntax error otherwise)."""
    operation = operations.get(args.keyword())
    if operation is None:
        raise SyntaxErrorReply()
    operation(chaos, args)
    args.expect_end()


# -- command faults ---------------------------------------------------------------------------

_FAULT_SYNTAX = ("operation:<add:<ADD name [COMMAND command] [KEY key_pattern:pattern] [CLIENT client] "
                 "[DB db:integer] action:<ERROR text | DELAY milliseconds:integer | DROP | CLOSE | HANG | CORRUPT> "
                 "[NTH nth:integer] [COUNT count:integer] [PROBABILITY probability:double] [AFTER]> | DEL name>")


@_chaos_command("fault", arity=-4, help=(
    "FAULT ADD <name> [COMMAND <cmd>] [KEY <glob>] [CLIENT <name|addr>] [DB <n>]",
    "    ERROR <text>|DELAY <ms>|DROP|CLOSE|HANG|CORRUPT [NTH <n>] [COUNT <n>] [PROBABILITY <p>] [AFTER]",
    "    Make matching commands fail, wait, lose their reply, close the connection or hang.",
    "    AFTER runs the command first (the write lands, its reply is lost or replaced);",
    "    CORRUPT always does, and flips a bit of its reply's first bulk string.",
    "FAULT DEL <name>",
    "    Remove a fault; the clients it holds go on. Replies 1, or 0 when there is none.",
), syntax=_FAULT_SYNTAX)
def chaos_fault(client: Client, argv: list[bytes]) -> object:
    """Add or delete a command fault."""
    faults = client.server.chaos.faults
    args = Arguments(argv, 2)
    operation = args.keyword()
    name = args.take()
    if operation == b"DEL":
        args.expect_end()
        return int(faults.delete(name))
    if operation != b"ADD":
        raise SyntaxErrorReply()
    if name in faults.faults:
        raise chaos_fault_exists(name)
    faults.add(_parse_fault(client, name, args))
    return OK


def _parse_fault(client: Client, name: bytes, args: Arguments) -> CommandFault:
    """CHAOS FAULT ADD's filters, action and modifiers, in any order."""
    fault = CommandFault(name, action="")
    actions = 0
    while args:
        option = args.keyword()
        if option == b"COMMAND":
            fault.command = _command_name(args.take())
        elif option == b"KEY":
            fault.key_pattern = args.take()
            fault.key_matches = compile_glob(fault.key_pattern)
        elif option == b"CLIENT":
            fault.client = args.take()
            fault.client_matches = compile_glob(fault.client)
        elif option == b"DB":
            fault.db = args.take_int()
            if not 0 <= fault.db < len(client.server.engine.keyspaces):
                raise DbIndexOutOfRangeError()
        elif option.decode("latin-1").lower() in ACTIONS:
            actions += 1
            fault.action = option.decode("latin-1").lower()
            if option == b"ERROR":
                fault.error = args.take().decode("utf-8", "surrogateescape")
            elif option == b"DELAY":
                fault.delay_ms = _non_negative(args)
        elif option == b"NTH":
            fault.nth = _non_negative(args, 1)
        elif option == b"COUNT":
            fault.count = _non_negative(args, 1)
        elif option == b"PROBABILITY":
            fault.probability = args.take_double()
            if not 0.0 <= fault.probability <= 1.0:
                raise ChaosProbabilityError()
        elif option == b"AFTER":
            fault.after = True
        else:
            raise SyntaxErrorReply()
    if actions != 1:
        raise ChaosFaultActionError()
    return fault


def _command_name(raw: bytes) -> str:
    """A command's name as faults compare it (``set``, ``config`` or ``config|set``); it must exist."""
    name = raw.decode("utf-8", "replace").lower()
    parent, _, sub = name.partition("|")
    spec = TABLE.get(parent.encode())
    if spec is None or (sub and sub not in spec.subcommands):
        raise chaos_unknown_command(raw)
    return name


# -- the replication link ------------------------------------------------------------------------

_LINK_SYNTAX = ("operation:<DROP | delay:<DELAY milliseconds:integer [JITTER jitter:integer]> "
                "| BANDWIDTH bytes-per-second:integer | STALL | RESUME "
                "| block:<BLOCK host port:integer direction:<IN | OUT | BOTH>> | unblock:<UNBLOCK host port:integer>>")


@_chaos_command("link", arity=-3, help=(
    "LINK DROP|DELAY <ms> [JITTER <ms>]|BANDWIDTH <bytes/s>|STALL|RESUME",
    "    Fault this slave's link to its master, both ways: DROP closes it and keeps it",
    "    closed, DELAY and BANDWIDTH slow it, STALL passes nothing on an open connection",
    "    (only repl-timeout notices), RESUME heals them all.",
    "LINK BLOCK <host> <port> IN|OUT|BOTH",
    "    Partition: links to the master at <host>:<port> pass nothing from it (IN), to it",
    "    (OUT) or either way, whenever this node follows it.",
    "LINK UNBLOCK <host> <port>",
    "    End that partition.",
), syntax=_LINK_SYNTAX)
def chaos_link(client: Client, argv: list[bytes]) -> object:
    """Drop, slow, stall or resume this slave's link to its master."""
    _run_operation(_LINK_OPERATIONS, client.server.chaos, Arguments(argv, 2))
    return OK


def _drop_link(chaos: Chaos, args: Arguments) -> None:
    chaos.link.drop()
    replica = chaos.server.replica
    if replica is not None:
        replica.drop_link()  # master_link_status:down at once


def _delay_link(chaos: Chaos, args: Arguments) -> None:
    delay = _non_negative(args)
    chaos.link.slow(delay, _non_negative(args) if args.flag(b"JITTER") else 0)


#: CHAOS LINK BLOCK's directions.
_DIRECTIONS = {b"IN": frozenset((IN,)), b"OUT": frozenset((OUT,)), b"BOTH": frozenset((IN, OUT))}


def _block_link(chaos: Chaos, args: Arguments) -> None:
    host, port = args.take().decode("utf-8", "replace"), _non_negative(args)
    directions = _DIRECTIONS.get(args.keyword())
    if directions is None:
        raise SyntaxErrorReply()
    chaos.link.block(host, port, directions)


_LINK_OPERATIONS: dict[bytes, Operation] = {
    b"BLOCK": _block_link,
    b"UNBLOCK": lambda chaos, args: chaos.link.unblock(args.take().decode("utf-8", "replace"), _non_negative(args)),
    b"DROP": _drop_link,
    b"DELAY": _delay_link,
    b"BANDWIDTH": lambda chaos, args: chaos.link.limit(_non_negative(args)),
    b"STALL": lambda chaos, args: chaos.link.stall(),
    b"RESUME": lambda chaos, args: chaos.link.resume(),
}


# -- the node -------------------------------------------------------------------------------

@_chaos_command("suspend", arity=3, help=(
    "SUSPEND <ms>",
    "    Stop this node as SIGSTOP would for <ms> milliseconds, once this reply is sent:",
    "    nothing is read or answered, no cron, expiry or replication runs; then it goes on.",
), syntax="milliseconds:integer")
def chaos_suspend(client: Client, argv: list[bytes]) -> object:
    """Stop the whole node for a while, as SIGSTOP then SIGCONT."""
    args = Arguments(argv, 2)
    milliseconds = _non_negative(args)
    client.server.chaos.suspension.suspend(client.server.loop, milliseconds)
    return OK


@_chaos_command("seed", arity=3, help=(
    "SEED <n>",
    "    Seed every random draw of the faults (PROBABILITY, JITTER), so a run replays.",
), syntax="seed:integer")
def chaos_seed(client: Client, argv: list[bytes]) -> object:
    """Seed the faults' random draws."""
    client.server.chaos.reseed(Arguments(argv, 2).take_int())
    return OK


@_chaos_command("list", arity=2, help=(
    "LIST",
    "    What is on: the seed, the clock if not real time, link faults, command faults",
    "    with their counters (matched, hits, clients held).",
))
def chaos_list(client: Client, argv: list[bytes]) -> object:
    """List the faults that are on, with their counters."""
    return client.server.chaos.describe()


@_chaos_command("reset", arity=2, help=(
    "RESET",
    "    Heal everything: faults removed (held clients go on), link faults off, the clock",
    "    back to real time, a suspension ended.",
))
def chaos_reset(client: Client, argv: list[bytes]) -> object:
    """Heal every fault."""
    client.server.chaos.reset()
    return OK


@_chaos_command("help", arity=2, help=("HELP", "    Print this help."))
def chaos_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
