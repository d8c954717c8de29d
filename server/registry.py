"""The command table: one entry per command, built from the ``@command`` decorator.

Each command is one function ``handler(client, argv) -> reply`` registered with its spec, as in
Redis' command table: arity (negative means "at least"), flags, and where the keys are. The
dispatcher checks arity and flags before calling the handler, so handlers only parse their own
options.

Container commands (CONFIG, CLIENT, COMMAND...) hold their subcommands the same way, registered
as ``"config|get"``; :func:`container` declares the container itself, before or after its
subcommands (whichever module is imported first). Each subcommand carries its lines of the
container's HELP, which :func:`help_reply` assembles as Redis prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pypika_store.errors import CommandError, unknown_subcommand

from .resp.replies import Status

if TYPE_CHECKING:
    from .connection import Client

Handler = Callable[["Client", list[bytes]], object]
#: A container's reply to a call naming a subcommand it lacks (given the call's argv).
SubcommandError = Callable[[list[bytes]], CommandError]

#: Flags the server itself acts on (the others are reported by COMMAND INFO, as Redis names them).
WRITE = "write"
ADMIN = "admin"
FAST = "fast"
NO_AUTH = "no_auth"
NO_MULTI = "no_multi"

#: The subcommand whose HELP lines close every container's HELP reply.
_HELP = "help"


@dataclass
class CommandSpec:
    """One command's specification and implementation."""

    name: str
    handler: Handler | None
    arity: int
    flags: frozenset[str]
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    group: str = "generic"
    summary: str = ""
    subcommands: dict[str, "CommandSpec"] = field(default_factory=dict)
    parent: "CommandSpec | None" = None
    #: This command's entry in its container's HELP (for a container: its call without
    #: subcommand, as COMMAND's "(no subcommand)").
    help: tuple[str, ...] = ()
    #: False for a command whose subcommands are its own business, as Redis' DEBUG: COMMAND
    #: shows one command, calls are counted and named as the container's, and a subcommand
    #: called with the wrong number of arguments gets the container's ``subcommand_error``.
    lists_subcommands: bool = True
    #: The container's reply to an unknown subcommand (None: Redis' usual "unknown subcommand").
    subcommand_error: SubcommandError | None = None
    #: False while a container is only known from its subcommands (see :meth:`CommandTable.add`).
    declared: bool = True
    #: Calls and failures, for INFO commandstats.
    calls: int = 0
    failed_calls: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.parent.name}|{self.name}" if self.parent else self.name

    def arity_ok(self, argc: int) -> bool:
        arity = self.arity
        return argc == arity if arity > 0 else argc >= -arity

    def keys(self, argv: list[bytes]) -> list[bytes]:
        """The key arguments of a call, from the spec's key positions."""
        if not self.first_key:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return argv[self.first_key : last + 1 : self.key_step]

    def shown_subcommands(self) -> list["CommandSpec"]:
        """The subcommands COMMAND lists (none for DEBUG, as in Redis)."""
        return list(self.subcommands.values()) if self.lists_subcommands else []


class CommandTable:
    """All registered commands, looked up by their lower-case name as bytes."""

    def __init__(self) -> None:
        self.by_name: dict[bytes, CommandSpec] = {}

    def __iter__(self):
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)

    def all_specs(self) -> list[CommandSpec]:
        """Every command and, after each container, the subcommands it lists."""
        specs = []
        for spec in self.by_name.values():
            specs.append(spec)
            specs.extend(spec.shown_subcommands())
        return specs

    def get(self, name: bytes) -> CommandSpec | None:
        return self.by_name.get(name) or self.by_name.get(name.lower())

    def add(self, spec: CommandSpec) -> None:
        """Register a command, or (``"parent|sub"``) a subcommand: a container not declared yet
        is held as a placeholder that :meth:`declare` fills in, so modules register in any
        order."""
        if "|" in spec.name:
            parent_name, sub_name = spec.name.split("|", 1)
            parent = self.by_name.get(parent_name.encode())
            if parent is None:
                parent = CommandSpec(name=parent_name, handler=None, arity=-2, flags=frozenset(), declared=False)
                self.by_name[parent_name.encode()] = parent
            if sub_name in parent.subcommands:
                raise ValueError(f"command {spec.name!r} registered twice")
            spec.name = sub_name
            spec.parent = parent
            parent.subcommands[sub_name] = spec
            return
        key = spec.name.encode()
        if key in self.by_name:
            raise ValueError(f"command {spec.name!r} registered twice")
        self.by_name[key] = spec

    def declare(self, spec: CommandSpec) -> None:
        """Register a container, taking over the subcommands registered before it."""
        key = spec.name.encode()
        placeholder = self.by_name.get(key)
        if placeholder is not None:
            if placeholder.declared:
                raise ValueError(f"command {spec.name!r} registered twice")
            spec.subcommands = placeholder.subcommands
            for sub in spec.subcommands.values():
                sub.parent = spec
        self.by_name[key] = spec

    def check_declared(self) -> None:
        """Fail when subcommands were registered for a container nobody declared (a typo in
        ``"parent|sub"`` would otherwise make a new command)."""
        missing = [spec.name for spec in self.by_name.values() if not spec.declared]
        if missing:
            raise ValueError(f"subcommands registered for undeclared containers: {', '.join(missing)}")


#: The server's command table; command modules register into it when imported.
TABLE = CommandTable()


def _summary(handler: Handler) -> str:
    """The first line of a handler's docstring: its COMMAND DOCS summary."""
    return handler.__doc__.strip().splitlines()[0] if handler.__doc__ else ""


def command(name: str, arity: int, flags: str = "", keys: tuple[int, int, int] = (0, 0, 0),
            group: str = "generic", help: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
            summary: str = "") -> Callable[[Handler], Handler]:
    """Register ``handler`` as command ``name`` (``"parent|sub"`` for a subcommand).

    The first line of the handler's docstring becomes its COMMAND DOCS summary, unless
    ``summary`` is given (a family of commands registering one function with
    :func:`functools.partial`); ``help`` is a subcommand's entry in its container's HELP. Each
    of ``aliases`` (SUBSTR for GETRANGE) is a command of its own for COMMAND and INFO, as in
    Redis, answered by the same handler.
    """

    def register(handler: Handler) -> Handler:
        for each in (name, *aliases):
            TABLE.add(CommandSpec(name=each.lower(), handler=handler, arity=arity,
                                  flags=frozenset(flags.split()), first_key=keys[0], last_key=keys[1],
                                  key_step=keys[2], group=group, summary=summary or _summary(handler),
                                  help=help))
        return handler

    return register


def container(name: str, arity: int, flags: str = "", group: str = "server", summary: str = "",
              help: tuple[str, ...] = (), lists_subcommands: bool = True,
              subcommand_error: SubcommandError | None = None) -> Callable[[Handler], Handler]:
    """Declare a command made of subcommands (CONFIG, CLIENT, ...), registered as
    ``"name|sub"`` before or after this call.

    Used as a decorator, the function answers the call without subcommand (COMMAND alone) and
    its docstring gives the summary; ``help`` is that call's entry in the container's HELP.
    With ``lists_subcommands=False`` the container is one command to Redis (DEBUG): see
    :attr:`CommandSpec.lists_subcommands`.
    """
    spec = CommandSpec(name=name, handler=None, arity=arity, flags=frozenset(flags.split()), group=group,
                       summary=summary, help=help, lists_subcommands=lists_subcommands,
                       subcommand_error=subcommand_error)
    if not lists_subcommands:
        spec.handler = lambda client, argv: _find_subcommand(spec, argv).handler(client, argv)  # type: ignore[misc]
    TABLE.declare(spec)

    def answer_without_subcommand(handler: Handler) -> Handler:
        if not lists_subcommands:
            raise ValueError(f"{name!r} runs its subcommands: it has no call without subcommand")
        spec.handler = handler
        spec.summary = spec.summary or _summary(handler)
        return handler

    return answer_without_subcommand


def _find_subcommand(spec: CommandSpec, argv: list[bytes]) -> CommandSpec:
    """The subcommand ``argv[1]`` names; the container's error when there is none such (or,
    for a container that checks them itself, when the argument count does not fit)."""
    sub = spec.subcommands.get(argv[1].decode("utf-8", "replace").lower())
    if sub is None or (not spec.lists_subcommands and not sub.arity_ok(len(argv))):
        if spec.subcommand_error is not None:
            raise spec.subcommand_error(argv)
        raise unknown_subcommand(spec.name, argv[1])
    return sub


def resolve_subcommand(spec: CommandSpec, argv: list[bytes]) -> CommandSpec:
    """The spec a container call runs as: the subcommand it names (Redis' error when there is
    no such subcommand), or the container itself for its call without subcommand (COMMAND)
    and for one that keeps its subcommands to itself (DEBUG: its handler finds the subcommand,
    so that its errors come after the checks of a command, as in Redis)."""
    if len(argv) == 1 or not spec.lists_subcommands:
        return spec
    return _find_subcommand(spec, argv)


def help_reply(argv: list[bytes]) -> list[Status]:
    """``<CONTAINER> HELP``, as Redis' addReplyHelp prints it: the header naming the command as
    called, the container's own entry, each subcommand's in the order they were registered,
    and HELP's last."""
    spec = TABLE.get(argv[0])
    assert spec is not None, "help_reply answers a registered container's HELP"
    entries = [sub.help for sub in spec.subcommands.values() if sub.name != _HELP]
    lines = [f"{argv[0].decode('utf-8', 'replace').upper()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
             *spec.help, *(line for entry in entries for line in entry), *spec.subcommands[_HELP].help]
    return [Status(line) for line in lines]
