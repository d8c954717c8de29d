"""COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS), answered from the command table."""

from __future__ import annotations

from pypika_store.errors import InvalidArgumentCountError, InvalidCommandError, NoKeyArgumentsError, SyntaxErrorReply
from pypika_store.glob import compile_glob

from ..arguments import Arguments
from ..connection import Client
from ..registry import ADMIN, FAST, TABLE, WRITE, CommandSpec, command, container, help_reply
from ..resp.replies import Map, Status


def _acl_categories(spec: CommandSpec) -> list[Status]:
    """ACL categories derived from the spec, in Redis' naming."""
    categories = ["@" + spec.group] if spec.group not in ("generic", "server") else []
    categories.append("@write" if WRITE in spec.flags else "@read")
    categories.append("@fast" if FAST in spec.flags else "@slow")
    if ADMIN in spec.flags:
        categories += ["@admin", "@dangerous"]
    return [Status(category) for category in categories]


def describe(spec: CommandSpec) -> list:
    """COMMAND INFO's entry for one command (Redis 7's ten fields)."""
    return [
        spec.full_name.encode(),
        spec.arity,
        [Status(flag) for flag in sorted(spec.flags)],
        spec.first_key,
        spec.last_key,
        spec.key_step,
        _acl_categories(spec),
        [],
        [],
        [describe(sub) for sub in spec.shown_subcommands()],
    ]


def _lookup(name: bytes) -> CommandSpec | None:
    parent, _, sub = name.decode("utf-8", "replace").lower().partition("|")
    spec = TABLE.get(parent.encode())
    if spec is not None and sub:
        return next((each for each in spec.shown_subcommands() if each.name == sub), None)
    return spec


_FLAGS = "loading stale"


@container("command", arity=-1, flags=_FLAGS, group="server",
           help=("(no subcommand)", "    Return details about all Redis commands."))
def command_(client: Client, argv: list[bytes]) -> object:
    """Get array of command details (COUNT, INFO, DOCS, LIST, GETKEYS as subcommands)."""
    return [describe(spec) for spec in TABLE]


# The subcommands in the order of COMMAND HELP.


@command("command|count", arity=2, flags=_FLAGS, group="server",
         help=("COUNT", "    Return the total number of commands in this Redis server."))
def command_count(client: Client, argv: list[bytes]) -> object:
    """Get total number of commands (subcommands are not counted, as in Redis)."""
    return len(TABLE)


@command("command|list", arity=-2, flags=_FLAGS, group="server",
         help=("LIST", "    Return a list of all commands in this Redis server."))
def command_list(client: Client, argv: list[bytes]) -> object:
    """Get an array of command names (and subcommands, as parent|sub)."""
    names = [spec.full_name.encode() for spec in TABLE.all_specs()]
    args = Arguments(argv, 2)
    if not args:
        return names
    if len(argv) == 5 and args.flag(b"FILTERBY") and args.flag(b"PATTERN"):
        matches = compile_glob(args.take(), nocase=True)
        return [name for name in names if matches(name)]
    raise SyntaxErrorReply()


@command("command|info", arity=-2, flags=_FLAGS, group="server",
         help=("INFO [<command-name> ...]", "    Return details about multiple Redis commands."))
def command_info(client: Client, argv: list[bytes]) -> object:
    """Get array of specific command details (all commands without names)."""
    if len(argv) == 2:
        return [describe(spec) for spec in TABLE]
    return [None if (spec := _lookup(name)) is None else describe(spec) for name in argv[2:]]


@command("command|docs", arity=-2, flags=_FLAGS, group="server",
         help=("DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands."))
def command_docs(client: Client, argv: list[bytes]) -> object:
    """Get array of specific command documentation (all commands without names)."""
    names = argv[2:]
    specs = [spec for spec in (_lookup(name) for name in names) if spec] if names else list(TABLE)
    return Map(
        (spec.full_name.encode(), Map([(b"summary", spec.summary.encode()), (b"group", spec.group.encode())]))
        for spec in specs
    )


@command("command|getkeys", arity=-4, flags=_FLAGS, group="server",
         help=("GETKEYS <full-command>", "    Return the keys from a full Redis command."))
def command_getkeys(client: Client, argv: list[bytes]) -> object:
    """Extract keys given a full Redis command."""
    call = argv[2:]
    spec = TABLE.get(call[0])
    if spec is None:
        raise InvalidCommandError()
    if not spec.first_key:
        raise NoKeyArgumentsError()
    if not spec.arity_ok(len(call)):
        raise InvalidArgumentCountError()
    return spec.keys(call)


@command("command|help", arity=2, flags=_FLAGS, group="server", help=("HELP", "    Print this help."))
def command_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
