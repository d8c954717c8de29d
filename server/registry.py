"""The command table: one entry per command, built from the ``@command`` decorator.

Each command is one function ``handler(client, argv) -> reply`` registered with its spec, as in
Redis' command table: arity (negative means "at least"), flags, and where the keys are. The
dispatcher checks arity and flags before calling the handler, so handlers only parse their own
options. Container commands (CONFIG, CLIENT, COMMAND) hold their subcommands the same way,
registered as ``"config|get"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pypika_store.errors import unknown_subcommand

if TYPE_CHECKING:
    from .connection import Client

Handler = Callable[["Client", list[bytes]], object]

#: Flags the server itself acts on (the others are reported by COMMAND INFO, as Redis names them).
WRITE = "write"
ADMIN = "admin"
FAST = "fast"
NO_AUTH = "no_auth"
NO_MULTI = "no_multi"


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


class CommandTable:
    """All registered commands, looked up by their lower-case name as bytes."""

    def __init__(self) -> None:
        self.by_name: dict[bytes, CommandSpec] = {}

    def __iter__(self):
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)

    def all_specs(self) -> list[CommandSpec]:
        """Every command and, after each container, its subcommands."""
        specs = []
        for spec in self.by_name.values():
            specs.append(spec)
            specs.extend(spec.subcommands.values())
        return specs

    def get(self, name: bytes) -> CommandSpec | None:
        return self.by_name.get(name) or self.by_name.get(name.lower())

    def add(self, spec: CommandSpec) -> None:
        if "|" in spec.name:
            parent_name, sub_name = spec.name.split("|", 1)
            parent = self.by_name[parent_name.encode()]
            spec.name = sub_name
            spec.parent = parent
            parent.subcommands[sub_name] = spec
            return
        key = spec.name.encode()
        if key in self.by_name:
            raise ValueError(f"command {spec.name!r} registered twice")
        self.by_name[key] = spec


#: The server's command table; command modules register into it when imported.
TABLE = CommandTable()


def command(name: str, arity: int, flags: str = "", keys: tuple[int, int, int] = (0, 0, 0),
            group: str = "generic") -> Callable[[Handler], Handler]:
    """Register ``handler`` as command ``name`` (``"parent|sub"`` for a subcommand).

    The first line of the handler's docstring becomes its COMMAND DOCS summary.
    """

    def register(handler: Handler) -> Handler:
        summary = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
        TABLE.add(CommandSpec(name=name.lower(), handler=handler, arity=arity,
                              flags=frozenset(flags.split()), first_key=keys[0], last_key=keys[1],
                              key_step=keys[2], group=group, summary=summary))
        return handler

    return register


def container(name: str, arity: int, flags: str = "", group: str = "server") -> None:
    """Register a command made of subcommands (CONFIG, CLIENT, ...)."""
    TABLE.add(CommandSpec(name=name, handler=None, arity=arity, flags=frozenset(flags.split()), group=group))


def resolve_subcommand(spec: CommandSpec, argv: list[bytes]) -> CommandSpec:
    """The subcommand a container call names; Redis' error when there is none such."""
    sub = spec.subcommands.get(argv[1].decode("utf-8", "replace").lower())
    if sub is None:
        raise unknown_subcommand(spec.name, argv[1])
    return sub


def register_variant(name: str, handler: Callable[..., object], arity: int, flags: str, summary: str,
            keys: tuple[int, int, int] = (0, 0, 0), group: str = "generic") -> None:
    """Register ``handler``, a shared handler with some arguments fixed (a ``partial``:
    ZREVRANGEBYSCORE is ZRANGE's handler with BYSCORE and REV), as command ``name``;
    ``summary`` is its COMMAND DOCS summary, as a handler's docstring is for :func:`command`."""
    handler.__doc__ = summary
    command(name, arity, flags, keys, group)(handler)  # type: ignore[arg-type]
