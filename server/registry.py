"""The command table: one entry per command, built from the ``@command`` decorator.

Each command is one function ``handler(client, argv) -> reply`` registered with its spec, as in
Redis' command table: arity (negative means "at least"), flags, and where the keys are. The
dispatcher checks arity and flags before calling the handler, so handlers only parse their own
options.

Container commands (CONFIG, CLIENT, COMMAND...) hold their subcommands the same way, registered
as ``"config|get"``; :func:`container` declares the container itself, before or after its
subcommands (whichever module is imported first). Each subcommand carries its lines of the
container's HELP, which :func:`help_reply` assembles as Redis prints it.

A command's ``syntax=`` is its usage line as Redis documents it, parsed once here into COMMAND
DOCS' argument tree (:mod:`.command_syntax` has the grammar). What a usage line cannot say is
written in: ``name:`` names a group or a renamed token (``condition:[NX | XX]``,
``[change:CH]``), ``:type`` an argument's type (``score:double``), ``<...>`` is a required
group, ``x [x ...]`` repeats, and key arguments take the key specs in order (``key2:key#0`` says
otherwise). A line that does not parse, or names a key spec the command lacks, fails the import.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, Union

from pypika_store.errors import CommandError, unknown_subcommand

from .command_syntax import Arg, SyntaxDeclarationError, parse_syntax
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

#: Command flags in the order Redis 7.0 prints them (COMMAND INFO); ``movablekeys`` is derived.
FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading",
              "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "may_replicate", "sentinel",
              "only_sentinel", "no_mandatory_keys", "protected", "module_getkeys", "module_no_cluster",
              "no_async_loading", "no_multi", "movablekeys", "allow_busy")
MOVABLE_KEYS = "movablekeys"


@dataclass(frozen=True)
class BeginIndex:
    """Key search starts at a fixed argument."""

    index: int


@dataclass(frozen=True)
class BeginKeyword:
    """Key search starts after ``keyword``, looked for from argument ``startfrom`` (negative:
    backwards from the end)."""

    keyword: str
    startfrom: int


@dataclass(frozen=True)
class FindRange:
    """Keys run from the search's start to ``lastkey`` (relative to it; negative: from the end
    of the call, or with ``limit`` > 1 the call's remaining arguments divided by ``limit``)."""

    lastkey: int = 0
    keystep: int = 1
    limit: int = 0


@dataclass(frozen=True)
class FindKeynum:
    """The argument ``keynumidx`` after the search's start counts the keys, the first of them
    ``firstkey`` arguments after the start."""

    keynumidx: int = 0
    firstkey: int = 1
    keystep: int = 1


@dataclass(frozen=True)
class KeySpec:
    """One of Redis 7's key specs: where the key search begins and how keys are found from
    there. ``begin``/``find`` None is Redis' "unknown" (keys no fixed rule finds, as SORT's
    STORE, which the command's own ``getkeys`` finds)."""

    begin: BeginIndex | BeginKeyword | None
    find: FindRange | FindKeynum | None
    flags: tuple[str, ...] = ()
    notes: str = ""


def key_at(index: int, flags: str) -> KeySpec:
    """The one key at argument ``index`` (ZUNIONSTORE's destination); ``flags`` as Redis'
    key-spec flags ("RO access", "OW update", "RW access delete"...)."""
    return KeySpec(BeginIndex(index), FindRange(), tuple(flags.split()))


def after_index(index: int, flags: str) -> KeySpec:
    """Every argument from ``index`` to the end is a key (DEL, EXISTS)."""
    return KeySpec(BeginIndex(index), FindRange(-1), tuple(flags.split()))


def before_last(index: int, flags: str) -> KeySpec:
    """Every argument from ``index`` to the one before the last is a key (BLPOP's and BZPOPMIN's:
    the last is the timeout)."""
    return KeySpec(BeginIndex(index), FindRange(-2), tuple(flags.split()))


def keynum(index: int, flags: str) -> KeySpec:
    """Keys counted by argument ``index`` and following it (ZUNION's numkeys, EVAL's)."""
    return KeySpec(BeginIndex(index), FindKeynum(), tuple(flags.split()))


def after_keyword(keyword: str, flags: str, startfrom: int = 1, lastkey: int = -1, limit: int = 0) -> KeySpec:
    """Keys after ``keyword`` (XREAD's STREAMS, up to the remaining half: ``limit=2``)."""
    return KeySpec(BeginKeyword(keyword, startfrom), FindRange(lastkey, 1, limit), tuple(flags.split()))


#: What ``keys=`` takes: Redis' legacy ``(first, last, step)`` or the command's key specs.
KeysArgument = Union[tuple[int, int, int], Sequence[KeySpec]]
#: A key of a call and its key-spec flags (``(b"k", ("RW", "access", "update"))``).
KeyAndFlags = tuple[bytes, tuple[str, ...]]
#: The command's own key finder (Redis' getkeys_proc), for what its specs cannot say: keys no
#: spec finds (SORT's STORE) or flags that vary with the arguments (SET's GET, BITFIELD's
#: subcommands, ``variable_flags`` specs): each key of a call with its flags, None when the
#: call is malformed where its keys should be.
GetKeys = Callable[[list[bytes]], "list[KeyAndFlags] | None"]


def legacy_key_specs(keys: tuple[int, int, int], flags: frozenset[str]) -> tuple[KeySpec, ...]:
    """``(first, last, step)`` as the one range spec Redis would derive; its flags from the
    command's (RO/access for a read, RW/access/update for a write: declare ``KeySpec``s where
    the truth is finer)."""
    first, last, step = keys
    if not first:
        return ()
    key_flags = ("RW", "access", "update") if WRITE in flags else ("RO", "access")
    return (KeySpec(BeginIndex(first), FindRange(last - first if last >= 0 else last, step, 0), key_flags),)


def legacy_range(specs: Sequence[KeySpec]) -> tuple[tuple[int, int, int], bool]:
    """COMMAND INFO's first/last/step from the key specs, and whether the keys are movable, as
    Redis' populateCommandLegacyRangeSpec derives them: consecutive index/range specs of step
    one merge; any other spec makes the keys movable."""
    plain = [spec for spec in specs if isinstance(spec.begin, BeginIndex) and isinstance(spec.find, FindRange)]
    if len(specs) == 1 and plain:
        spec = plain[0]
        return _absolute(spec.begin.index, spec.find.lastkey, spec.find.keystep), "incomplete" in spec.flags
    movable = len(plain) != len(specs)
    first, last, previous_last = None, 0, 0
    for spec in plain:
        begin, find = spec.begin.index, spec.find
        if find.keystep != 1 or (previous_last and previous_last != begin - 1):
            movable = True
            continue
        movable = movable or "incomplete" in spec.flags
        first = begin if first is None else min(first, begin)
        end = find.lastkey + begin if find.lastkey >= 0 else find.lastkey
        last = max(last, end, key=lambda value: value % (1 << 32))  # Redis compares unsigned
        previous_last = last
    if first is None:
        return (0, 0, 0), movable
    return _absolute(first, last - first if last >= 0 else last, 1), movable


def _absolute(first: int, lastkey: int, step: int) -> tuple[int, int, int]:
    return first, first + lastkey if lastkey >= 0 else lastkey, step


def find_keys(specs: Sequence[KeySpec], argv: list[bytes]) -> list[tuple[int, KeySpec]] | None:
    """The positions of a call's keys and the spec that found each, as Redis'
    getKeysUsingKeySpecs: a spec whose keyword is absent finds nothing, one that runs out of
    the call (or names a bad count) makes the call's keys unknown (None)."""
    found: list[tuple[int, KeySpec]] = []
    argc = len(argv)
    for spec in specs:
        if spec.begin is None or spec.find is None:
            continue
        if isinstance(spec.begin, BeginIndex):
            first = spec.begin.index
        else:
            first = _after_keyword(spec.begin, argv)
            if first is None:
                continue
        find = spec.find
        if isinstance(find, FindRange):
            if find.lastkey >= 0:
                last = first + find.lastkey
            elif find.limit <= 1:
                last = argc + find.lastkey
            else:
                last = first + (argc - first) // find.limit + find.lastkey
            step = find.keystep
        else:
            if first + find.keynumidx >= argc:
                return None
            try:
                count = int(argv[first + find.keynumidx])
            except ValueError:
                return None
            if count < 0:
                return None
            first += find.firstkey
            last = first + count - 1
            step = find.keystep
        if last >= argc or last < first or first >= argc:
            return None
        found.extend((position, spec) for position in range(first, last + 1, step))
    return found


def _after_keyword(begin: BeginKeyword, argv: list[bytes]) -> int | None:
    """The argument after ``begin.keyword`` (Redis never takes the call's last argument as it)."""
    argc = len(argv)
    keyword = begin.keyword.encode()
    if begin.startfrom > 0:
        positions = range(begin.startfrom, argc - 1)
    else:
        positions = range(argc + begin.startfrom, 0, -1)
    for position in positions:
        if 1 <= position < argc and argv[position].upper() == keyword:
            return position + 1
    return None


@dataclass
class CommandSpec:
    """One command's specification and implementation."""

    name: str
    handler: Handler | None
    arity: int
    flags: frozenset[str]
    #: Where the keys are (Redis 7's key specs).
    key_specs: tuple[KeySpec, ...] = ()
    #: The command's own key finder, for keys its specs cannot say (Redis' getkeys_proc).
    getkeys: GetKeys | None = None
    group: str = "generic"
    summary: str = ""
    #: COMMAND DOCS' extras, where declared.
    since: str = ""
    complexity: str = ""
    #: COMMAND DOCS' argument tree, parsed from the command's ``syntax=``.
    arguments: tuple[Arg, ...] = ()
    #: ACL categories beyond those the flags and group imply (as ``@dangerous``).
    acl_categories: tuple[str, ...] = ()
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
    #: Which key lookups of a call count in INFO keyspace_hits/misses (``stats.counted_lookups``,
    #: set by the dispatcher).
    counted_lookups: object = None

    def __post_init__(self) -> None:
        #: The name COMMAND, INFO and errors give (``config|get``): registered as such, kept as a
        #: plain attribute because the dispatcher reads it on every call.
        self.full_name = self.name
        #: The argument counts the arity allows (with the command's name), as two bounds: the
        #: dispatcher compares with them on every call.
        self.fewest_args = abs(self.arity)
        self.most_args = self.arity if self.arity > 0 else sys.maxsize
        (self.first_key, self.last_key, self.key_step), movable = legacy_range(self.key_specs)
        if movable:  # from the specs alone, as Redis: SET's finder (flags only) moves no key
            self.flags = self.flags | {MOVABLE_KEYS}

    def arity_ok(self, argc: int) -> bool:
        return self.fewest_args <= argc <= self.most_args

    def keys_and_flags(self, argv: list[bytes]) -> list[KeyAndFlags] | None:
        """Each key of a call with its flags (None: the call is malformed where its keys should
        be), from the command's own finder where it has one (it has one only where Redis'
        specs cannot say, so Redis uses its getkeys_proc there too), else its key specs."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        found = find_keys(self.key_specs, argv)
        return None if found is None else [(argv[position], spec.flags) for position, spec in found]

    @property
    def has_keys(self) -> bool:
        """Whether the command takes keys at all (Redis' doesCommandHaveKeys: a spec marked
        not_key, as SSUBSCRIBE's channels, names no key)."""
        return any("not_key" not in spec.flags for spec in self.key_specs) or self.getkeys is not None

    def shown_subcommands(self) -> list["CommandSpec"]:
        """The subcommands COMMAND lists (none for DEBUG, as in Redis)."""
        return list(self.subcommands.values()) if self.lists_subcommands else []


class CommandTable:
    """All registered commands, looked up by their lower-case name as bytes."""

    def __init__(self) -> None:
        self.by_name: dict[bytes, CommandSpec] = {}
        #: The same specs under their lower- and upper-case names: clients send one or the
        #: other (redis-benchmark and most clients upper case), so :meth:`get` finds them in one
        #: lookup and lower-cases only the mixed spellings.
        #: The dispatcher subscripts it (the interpreter specialises a dictionary's subscript; a
        #: call of its ``get`` costs more) and calls :meth:`get` on a KeyError.
        self.spellings: dict[bytes, CommandSpec] = {}

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
        return self.spellings.get(name) or self.by_name.get(name.lower())

    def _put(self, key: bytes, spec: CommandSpec) -> None:
        self.by_name[key] = self.spellings[key] = self.spellings[key.upper()] = spec

    def add(self, spec: CommandSpec) -> None:
        """Register a command, or (``"parent|sub"``) a subcommand: a container not declared yet
        is held as a placeholder that :meth:`declare` fills in, so modules register in any
        order."""
        if "|" in spec.name:
            parent_name, sub_name = spec.name.split("|", 1)
            parent = self.by_name.get(parent_name.encode())
            if parent is None:
                parent = CommandSpec(name=parent_name, handler=None, arity=-2, flags=frozenset(), declared=False)
                self._put(parent_name.encode(), parent)
            if sub_name in parent.subcommands:
                raise ValueError(f"command {spec.name!r} registered twice")
            spec.name = sub_name
            spec.parent = parent
            parent.subcommands[sub_name] = spec
            return
        key = spec.name.encode()
        if key in self.by_name:
            raise ValueError(f"command {spec.name!r} registered twice")
        self._put(key, spec)

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
        self._put(key, spec)

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


def command(name: str, arity: int, flags: str = "", keys: KeysArgument = (0, 0, 0),
            group: str = "generic", help: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
            summary: str = "", getkeys: GetKeys | None = None, since: str = "", complexity: str = "",
            syntax: str = "", acl: str = "") -> Callable[[Handler], Handler]:
    """Register ``handler`` as command ``name`` (``"parent|sub"`` for a subcommand).

    ``keys`` is Redis' legacy ``(first, last, step)`` or a sequence of :class:`KeySpec`
    (numkeys-style commands: ``FindKeynum``; XREAD: ``BeginKeyword("STREAMS", 1)``);
    ``getkeys`` finds the keys no spec can (SORT's STORE), as Redis' getkeys_proc. The first
    line of the handler's docstring becomes its COMMAND DOCS summary, unless ``summary`` is
    given (a family of commands registering one function with :func:`functools.partial`);
    ``since`` and ``complexity`` complete COMMAND DOCS, and ``syntax`` is the usage line COMMAND
    DOCS' arguments come from (the arguments after the command's name, as Redis documents them,
    with names, types and key specs written in: see :mod:`.command_syntax`; ZADD's ``key
    condition:[NX | XX] ... score_member:<score:double member> [score_member ...]``); ``acl`` names ACL
    categories the flags and group do not imply. ``help`` is a subcommand's entry in its
    container's HELP. Each of ``aliases`` (SUBSTR for GETRANGE) is a command of its own for
    COMMAND and INFO, as in Redis, answered by the same handler.
    """
    flag_set = frozenset(flags.split())
    key_specs = legacy_key_specs(keys, flag_set) if _is_legacy(keys) else tuple(keys)  # type: ignore[arg-type]
    arguments = _arguments(name, syntax, len(key_specs))

    def register(handler: Handler) -> Handler:
        for each in (name, *aliases):
            TABLE.add(CommandSpec(name=each.lower(), handler=handler, arity=arity, flags=flag_set,
                                  key_specs=key_specs, getkeys=getkeys, group=group,
                                  summary=summary or _summary(handler), since=since, complexity=complexity,
                                  arguments=arguments, acl_categories=tuple(acl.split()), help=help))
        return handler

    return register


def _arguments(name: str, syntax: str, key_spec_count: int) -> tuple[Arg, ...]:
    """The argument tree of ``syntax``, failing the import on a line that does not parse or names
    a key spec the command lacks."""
    try:
        arguments = parse_syntax(syntax)
    except SyntaxDeclarationError as error:
        raise SyntaxDeclarationError(f"command {name!r}: {error}") from None
    for argument in _walk(arguments):
        if argument.key_spec_index >= key_spec_count:
            raise SyntaxDeclarationError(f"command {name!r}: argument {argument.name!r} names key spec "
                                         f"{argument.key_spec_index}, and the command has {key_spec_count}")
    return arguments


def _walk(arguments: tuple[Arg, ...]) -> Iterator[Arg]:
    for argument in arguments:
        yield argument
        yield from _walk(argument.arguments)


def _is_legacy(keys: KeysArgument) -> bool:
    return len(keys) == 3 and all(isinstance(each, int) for each in keys)


def container(name: str, arity: int, flags: str = "", group: str = "server", summary: str = "",
              help: tuple[str, ...] = (), lists_subcommands: bool = True,
              subcommand_error: SubcommandError | None = None, acl: str = "") -> Callable[[Handler], Handler]:
    """Declare a command made of subcommands (CONFIG, CLIENT, ...), registered as
    ``"name|sub"`` before or after this call.

    Used as a decorator, the function answers the call without subcommand (COMMAND alone) and
    its docstring gives the summary; ``help`` is that call's entry in the container's HELP.
    With ``lists_subcommands=False`` the container is one command to Redis (DEBUG): see
    :attr:`CommandSpec.lists_subcommands`; ``acl`` as for :func:`command`.
    """
    spec = CommandSpec(name=name, handler=None, arity=arity, flags=frozenset(flags.split()), group=group,
                       summary=summary, help=help, lists_subcommands=lists_subcommands,
                       subcommand_error=subcommand_error, acl_categories=tuple(acl.split()))
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
