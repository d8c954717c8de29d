"""COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS), answered
from the command table as Redis 7.0 answers them."""

from __future__ import annotations

from pypika_store.errors import (InvalidArgumentCountError, InvalidCommandError, InvalidKeyArgumentsError,
                                 NoKeyArgumentsError, SyntaxErrorReply)
from pypika_store.glob import compile_glob

from ..arguments import Arguments
from ..connection import Client
from ..command_syntax import Arg
from ..registry import (ADMIN, FAST, FLAG_ORDER, TABLE, WRITE, BeginIndex, BeginKeyword, CommandSpec, FindKeynum,
                        FindRange, KeySpec, command, container, help_reply)
from ..resp.replies import Map, SetReply, Status

#: The ACL category each group implies (Redis' ``acl_categories`` of the group's commands; not
#: the pubsub group's: Redis gives ``@pubsub`` to commands with the ``pubsub`` flag, as below, so
#: PUBSUB HELP has none).
_GROUP_CATEGORIES = {"keyspace": "keyspace", "sorted-set": "sortedset", "transactions": "transaction",
                     "string": "string", "list": "list", "set": "set", "hash": "hash", "bitmap": "bitmap",
                     "hyperloglog": "hyperloglog", "geo": "geo", "stream": "stream",
                     "connection": "connection", "scripting": "scripting"}
#: ACL categories in the order Redis prints them.
_CATEGORY_ORDER = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
                   "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
                   "connection", "transaction", "scripting")
#: COMMAND DOCS' group for ours where Redis names it otherwise.
_DOCS_GROUPS = {"keyspace": "generic"}


def acl_categories(spec: CommandSpec) -> list[str]:
    """The command's ACL categories (without '@'), as Redis' setImplicitACLCategories adds
    them to the declared ones."""
    categories = set(spec.acl_categories)
    if spec.group in _GROUP_CATEGORIES and not spec.shown_subcommands():  # a container has none of its own
        categories.add(_GROUP_CATEGORIES[spec.group])
    implied = {WRITE: ("write",), "readonly": ("read",), ADMIN: ("admin", "dangerous"), "pubsub": ("pubsub",),
               FAST: ("fast",), "blocking": ("blocking",)}
    for flag, names in implied.items():
        if flag in spec.flags:
            categories.update(names)
    if "scripting" in categories:
        categories.discard("read")
    if "fast" not in categories:
        categories.add("slow")
    return sorted(categories, key=lambda name: _CATEGORY_ORDER.index(name) if name in _CATEGORY_ORDER else 99)


def _ordered_flags(spec: CommandSpec) -> list[Status]:
    """The flags COMMAND INFO reports, in Redis' order (the server's own, as ``no_auth``, too)."""
    rank = {flag: position for position, flag in enumerate(FLAG_ORDER)}
    return [Status(flag) for flag in sorted(spec.flags, key=lambda flag: (rank.get(flag, len(rank)), flag))]


def _begin_search(begin: BeginIndex | BeginKeyword | None) -> Map:
    if isinstance(begin, BeginIndex):
        return Map([(b"type", b"index"), (b"spec", Map([(b"index", begin.index)]))])
    if isinstance(begin, BeginKeyword):
        return Map([(b"type", b"keyword"),
                    (b"spec", Map([(b"keyword", begin.keyword.encode()), (b"startfrom", begin.startfrom)]))])
    return Map([(b"type", b"unknown"), (b"spec", Map())])


def _find_keys(find: FindRange | FindKeynum | None) -> Map:
    if isinstance(find, FindRange):
        return Map([(b"type", b"range"), (b"spec", Map([(b"lastkey", find.lastkey), (b"keystep", find.keystep),
                                                         (b"limit", find.limit)]))])
    if isinstance(find, FindKeynum):
        return Map([(b"type", b"keynum"), (b"spec", Map([(b"keynumidx", find.keynumidx),
                                                          (b"firstkey", find.firstkey), (b"keystep", find.keystep)]))])
    return Map([(b"type", b"unknown"), (b"spec", Map())])


def key_spec_reply(spec: KeySpec) -> Map:
    fields = [(b"notes", spec.notes.encode())] if spec.notes else []
    fields += [(b"flags", SetReply(Status(flag) for flag in spec.flags)), (b"begin_search", _begin_search(spec.begin)),
               (b"find_keys", _find_keys(spec.find))]
    return Map(fields)


def describe(spec: CommandSpec) -> list:
    """COMMAND INFO's entry for one command (Redis 7's ten fields)."""
    subcommands = spec.shown_subcommands()
    return [
        spec.full_name.encode(),
        spec.arity,
        SetReply(_ordered_flags(spec)),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply(Status("@" + category) for category in acl_categories(spec)),
        SetReply(),
        SetReply(key_spec_reply(key_spec) for key_spec in spec.key_specs),
        [describe(sub) for sub in subcommands] if subcommands else SetReply(),  # Redis: an empty set
    ]


def _describe_argument(argument: Arg) -> Map:
    fields: list[tuple[bytes, object]] = [(b"name", argument.name.encode()), (b"type", argument.type.encode())]
    if argument.key_spec_index >= 0:
        fields.append((b"key_spec_index", argument.key_spec_index))
    if argument.token is not None:
        fields.append((b"token", argument.token.encode()))
    flags = [name for name, present in (("optional", argument.optional), ("multiple", argument.multiple),
                                        ("multiple_token", argument.multiple_token)) if present]
    if flags:
        fields.append((b"flags", SetReply(Status(flag) for flag in flags)))
    if argument.arguments:
        fields.append((b"arguments", [_describe_argument(each) for each in argument.arguments]))
    return Map(fields)


def document(spec: CommandSpec) -> Map:
    """COMMAND DOCS' entry for one command: what its spec declares."""
    fields: list[tuple[bytes, object]] = [(b"summary", spec.summary.encode())]
    if spec.since:
        fields.append((b"since", spec.since.encode()))
    fields.append((b"group", _DOCS_GROUPS.get(spec.group, spec.group).encode()))
    if spec.complexity:
        fields.append((b"complexity", spec.complexity.encode()))
    if spec.arguments:
        fields.append((b"arguments", [_describe_argument(argument) for argument in spec.arguments]))
    subcommands = spec.shown_subcommands()
    if subcommands:
        fields.append((b"subcommands", Map((sub.full_name.encode(), document(sub)) for sub in subcommands)))
    return Map(fields)


def _lookup(name: bytes) -> CommandSpec | None:
    parent, _, sub = name.decode("utf-8", "replace").lower().partition("|")
    spec = TABLE.get(parent.encode())
    if spec is not None and sub:
        return next((each for each in spec.shown_subcommands() if each.name == sub), None)
    return spec


_FLAGS = "loading stale"
_ACL = "connection"


@container("command", arity=-1, flags=_FLAGS, group="server", acl=_ACL,
           help=("(no subcommand)", "    Return details about all Redis commands."))
def command_(client: Client, argv: list[bytes]) -> object:
    """Get array of command details (COUNT, INFO, DOCS, LIST, GETKEYS as subcommands)."""
    return [describe(spec) for spec in TABLE]


# The subcommands in the order of COMMAND HELP.


@command("command|count", arity=2, flags=_FLAGS, group="server", acl=_ACL, since="2.8.13", complexity="O(1)",
         help=("COUNT", "    Return the total number of commands in this Redis server."))
def command_count(client: Client, argv: list[bytes]) -> object:
    """Get total number of Redis commands (subcommands are not counted, as in Redis)."""
    return len(TABLE)


#: COMMAND DOCS of GETKEYS and GETKEYSANDFLAGS (Redis 7.0 documents no arguments for them).
_GETKEYS_DOCS: dict = {"complexity": "O(N) where N is the number of arguments to the command"}


@command("command|getkeys", arity=-4, flags=_FLAGS, group="server", acl=_ACL, since="2.8.13", **_GETKEYS_DOCS,
         help=("GETKEYS <full-command>", "    Return the keys from a full Redis command."))
def command_getkeys(client: Client, argv: list[bytes]) -> object:
    """Extract keys given a full Redis command."""
    return _call_keys(argv[2:], with_flags=False)


@command("command|getkeysandflags", arity=-4, flags=_FLAGS, group="server", acl=_ACL, since="7.0.0",
         **_GETKEYS_DOCS, help=("GETKEYSANDFLAGS <full-command>",
                                "    Return the keys and the access flags from a full Redis command."))
def command_getkeysandflags(client: Client, argv: list[bytes]) -> object:
    """Extract keys and access flags given a full Redis command."""
    return _call_keys(argv[2:], with_flags=True)


def _call_keys(call: list[bytes], with_flags: bool) -> list:
    """The keys of ``call`` (each with its spec's flags), with Redis' errors for a call whose
    keys cannot be told."""
    spec = TABLE.get(call[0])
    if spec is not None and spec.subcommands and len(call) > 1:
        spec = spec.subcommands.get(call[1].decode("utf-8", "replace").lower()) if spec.lists_subcommands else spec
    if spec is None:
        raise InvalidCommandError()
    if not spec.has_keys:
        raise NoKeyArgumentsError()
    if not spec.arity_ok(len(call)):
        raise InvalidArgumentCountError()
    found = spec.keys_and_flags(call)
    if not found:
        if "no_mandatory_keys" in spec.flags:
            return []
        raise InvalidKeyArgumentsError()
    if with_flags:
        return [[key, SetReply(Status(flag) for flag in flags)] for key, flags in found]
    return [key for key, _flags in found]


@command("command|list", arity=-2, flags=_FLAGS, group="server", acl=_ACL, since="7.0.0",
         complexity="O(N) where N is the total number of Redis commands",
         syntax="[FILTERBY filterby:<MODULE module-name | ACLCAT category | PATTERN pattern:pattern>]",
         help=("LIST", "    Return a list of all commands in this Redis server."))
def command_list(client: Client, argv: list[bytes]) -> object:
    """Get an array of Redis command names (and subcommands, as parent|sub)."""
    specs = TABLE.all_specs()
    args = Arguments(argv, 2)
    if not args:
        return [spec.full_name.encode() for spec in specs]
    if len(argv) != 5 or not args.flag(b"FILTERBY"):
        raise SyntaxErrorReply()
    kind = args.one_of(b"MODULE", b"ACLCAT", b"PATTERN")
    value = args.take()
    if kind == b"MODULE":
        return []  # no modules can be loaded
    if kind == b"ACLCAT":
        category = value.decode("utf-8", "replace").lower()
        return [spec.full_name.encode() for spec in specs if category in acl_categories(spec)]
    if kind == b"PATTERN":
        matches = compile_glob(value, nocase=True)
        return [spec.full_name.encode() for spec in specs if matches(spec.full_name.encode())]
    raise SyntaxErrorReply()


@command("command|info", arity=-2, flags=_FLAGS, group="server", acl=_ACL, since="2.8.13",
         complexity="O(N) where N is the number of commands to look up",
         syntax="[command-name [command-name ...]]",
         help=("INFO [<command-name> ...]", "    Return details about multiple Redis commands."))
def command_info(client: Client, argv: list[bytes]) -> object:
    """Get array of specific Redis command details, or all when no argument is given."""
    if len(argv) == 2:
        return [describe(spec) for spec in TABLE]
    return [None if (spec := _lookup(name)) is None else describe(spec) for name in argv[2:]]


@command("command|docs", arity=-2, flags=_FLAGS, group="server", acl=_ACL, since="7.0.0",
         complexity="O(N) where N is the number of commands to look up",
         syntax="[command-name [command-name ...]]",
         help=("DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands."))
def command_docs(client: Client, argv: list[bytes]) -> object:
    """Get array of specific Redis command documentation (all commands without names)."""
    names = argv[2:]
    specs = [spec for spec in (_lookup(name) for name in names) if spec] if names else list(TABLE)
    return Map((spec.full_name.encode(), document(spec)) for spec in specs)


@command("command|help", arity=2, flags=_FLAGS, group="server", acl=_ACL, since="5.0.0", complexity="O(1)",
         help=("HELP", "    Print this help."))
def command_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
