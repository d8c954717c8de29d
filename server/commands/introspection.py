"""COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS), answered from the command table."""

from __future__ import annotations

from pypika_store.errors import CommandError, SyntaxErrorReply
from pypika_store.glob import compile_glob

from ..connection import Client
from ..registry import ADMIN, FAST, TABLE, WRITE, CommandSpec, command
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
        [describe(sub) for sub in spec.subcommands.values()],
    ]


def _lookup(name: bytes) -> CommandSpec | None:
    parent, _, sub = name.decode("utf-8", "replace").lower().partition("|")
    spec = TABLE.get(parent.encode())
    if spec is not None and sub:
        return spec.subcommands.get(sub)
    return spec


@command("command", arity=-1, flags="loading stale", group="server")
def command_(client: Client, argv: list[bytes]) -> object:
    """Get array of command details (COUNT, INFO, DOCS, LIST, GETKEYS as subcommands)."""
    if len(argv) == 1:
        return [describe(spec) for spec in TABLE]
    sub = argv[1].upper()
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        raise CommandError(f"ERR unknown subcommand '{argv[1].decode('utf-8', 'replace')}'. Try COMMAND HELP.")
    return handler(argv[2:])


def _count(args: list[bytes]) -> object:
    if args:
        raise CommandError("ERR wrong number of arguments for 'command|count' command")
    return len(TABLE)


def _info(args: list[bytes]) -> object:
    if not args:
        return [describe(spec) for spec in TABLE]
    return [None if (spec := _lookup(name)) is None else describe(spec) for name in args]


def _docs(args: list[bytes]) -> object:
    specs = [spec for spec in (_lookup(name) for name in args) if spec] if args else list(TABLE)
    return Map(
        (spec.full_name.encode(), Map([(b"summary", spec.summary.encode()), (b"group", spec.group.encode())]))
        for spec in specs
    )


def _list(args: list[bytes]) -> object:
    names = [spec.full_name.encode() for spec in TABLE.all_specs()]
    if not args:
        return names
    if len(args) == 3 and args[0].upper() == b"FILTERBY" and args[1].upper() == b"PATTERN":
        matches = compile_glob(args[2], nocase=True)
        return [name for name in names if matches(name)]
    raise SyntaxErrorReply()


def _getkeys(args: list[bytes]) -> object:
    if len(args) < 2:
        raise CommandError("ERR wrong number of arguments for 'command|getkeys' command")
    spec = TABLE.get(args[0])
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not spec.first_key:
        raise CommandError("ERR The command has no key arguments")
    if not spec.arity_ok(len(args)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    return spec.keys(args)


_HELP = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "HELP",
    "    Print this help.",
]

_SUBCOMMANDS = {
    b"COUNT": _count,
    b"INFO": _info,
    b"DOCS": _docs,
    b"LIST": _list,
    b"GETKEYS": _getkeys,
    b"HELP": lambda args: [Status(line) for line in _HELP],
}
