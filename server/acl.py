"""ACL users, their rules and the permission check, as Redis 7.0 has them.

A :class:`User` holds a root :class:`Selector` and any number of extra selectors; a command is
allowed when one of them allows the command, all its keys (through the key specs' access flags,
as ``%R~``/``%W~`` need) and all its channels. :class:`AccessControl` is the server's set of
users with the ACL LOG; the dispatcher asks it only for clients whose user is restricted
(:attr:`User.unrestricted` is kept up to date by every change), so the all-permissive default
user costs one attribute test per command.

The categories are the command table's (COMMAND INFO's, :func:`.commands.introspection.acl_categories`);
ACL LIST's command rules are rebuilt from the permissions as Redis 7.0 rebuilds them: ``+@all``
or ``-@all``, then each category that more than half matches, then the single commands left.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from pypika_store.config import ConfigError
from pypika_store.errors import (CommandError, NoPermissionChannelError, NoPermissionKeyError, acl_file_error,
                                 acl_rule_error, no_permission_command, unmatched_selector)
from pypika_store.glob import compile_glob

from .commands.clients import describe
from .commands.introspection import _CATEGORY_ORDER as CATEGORY_ORDER, acl_categories
from .registry import NO_AUTH, TABLE, CommandSpec, find_keys, resolve_subcommand

if TYPE_CHECKING:
    from pypika_store.config.store import Config

    from .connection import Client

#: Check results, ordered as Redis ranks them when no selector allows a call (the highest wins).
ALLOWED, DENIED_COMMAND, DENIED_KEY, DENIED_AUTH, DENIED_CHANNEL = range(5)
#: ACL LOG's reason of each denial.
REASONS = {DENIED_COMMAND: "command", DENIED_KEY: "key", DENIED_AUTH: "auth", DENIED_CHANNEL: "channel"}
#: Key-spec flags that make a key read or written (Redis' ACL reads these, not RO/RW).
_READ_FLAGS = frozenset(("access",))
_WRITE_FLAGS = frozenset(("insert", "delete", "update"))
#: Commands whose arguments (from the first) are channels, and those whose are patterns.
_CHANNEL_COMMANDS = {"publish": (1, 2), "spublish": (1, 2), "subscribe": (1, None), "ssubscribe": (1, None)}
_PATTERN_COMMANDS = {"psubscribe": (1, None)}
#: ACL LOG's contexts: a command sent by the client, queued in or run by MULTI/EXEC, run by a script.
TOPLEVEL, MULTI, LUA = "toplevel", "multi", "lua"
#: An ACL LOG entry is counted again (not added) when it repeats within this many seconds.
_LOG_GROUPING_SECONDS = 60.0


class AclRuleError(Exception):
    """A rule ACL SETUSER (or a user line) cannot apply; the text is Redis' reason."""


class RuleFailed(Exception):
    """A user's rules failed: which one, and Redis' reason."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(rule, reason)
        self.rule, self.reason = rule, reason


_UNKNOWN_NAME = "Unknown command or category name in ACL"
_SYNTAX = "Syntax error"
_KEYS_AFTER_ALL = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any "
                   "effect. Try 'resetkeys' to start with an empty list of patterns")
_CHANNELS_AFTER_ALL = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
                       "have any effect. Try 'resetchannels' to start with an empty list of channels")
_NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist"
_BAD_HASH = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
#: Redis' refusal to start with users in both redis.conf and an ACL file.
_USERS_IN_BOTH_PLACES = ("Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
                         "path is invalid. This setup is very likely to lead to configuration errors and security "
                         "holes, please define either an ACL file or declare users directly in your redis.conf, "
                         "but not both.")
_FIRST_ARG_OF_SUBCOMMAND = "Allowing first-arg of a subcommand is not supported"


def as_text(data: bytes) -> str:
    """Rules are text; keys, channels and passwords are bytes: any byte survives the way there
    and back (ACL SETUSER to ACL LIST)."""
    return data.decode("utf-8", "surrogateescape")


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def toplevel_error(reason: str, spec: CommandSpec) -> CommandError:
    """The NOPERM reply to a call a client sent itself (Redis 7.0's texts)."""
    if reason == "command":
        return no_permission_command(spec.full_name)
    return NoPermissionKeyError() if reason == "key" else NoPermissionChannelError()


def password_hash(password: bytes) -> str:
    """How a password is kept: its SHA-256 in lower-case hex (what ``#hash`` takes)."""
    return hashlib.sha256(password).hexdigest()


def _valid_hash(text: str) -> str:
    if len(text) != 64 or any(char not in "0123456789abcdef" for char in text):
        raise AclRuleError(_BAD_HASH)
    return text


def acl_name(spec: CommandSpec) -> str:
    """The name a permission is kept under: a listed subcommand's ``parent|sub``, otherwise the
    command's own (DEBUG's subcommands are DEBUG's business, as in Redis)."""
    parent = spec.parent
    if parent is not None and not parent.lists_subcommands:
        return parent.full_name
    return spec.full_name


class _Categories:
    """Which commands (and listed subcommands) each category holds, read once from the table."""

    def __init__(self) -> None:
        self._members: dict[str, list[CommandSpec]] | None = None

    @property
    def members(self) -> dict[str, list[CommandSpec]]:
        if self._members is None:
            members: dict[str, list[CommandSpec]] = {name: [] for name in CATEGORY_ORDER}
            for spec in TABLE.all_specs():
                for category in acl_categories(spec):
                    members.setdefault(category, []).append(spec)
            self._members = members
        return self._members

    def of(self, category: str) -> list[CommandSpec]:
        found = self.members.get(category.lower())
        if found is None:
            raise AclRuleError(_UNKNOWN_NAME)
        return found


CATEGORIES = _Categories()


@dataclass
class KeyPattern:
    """A key pattern and what it permits (``~`` both, ``%R~`` reads, ``%W~`` writes)."""

    pattern: bytes
    read: bool
    write: bool

    def __post_init__(self) -> None:
        self.matches = compile_glob(self.pattern)

    def rule(self) -> str:
        prefix = "~" if self.read and self.write else "%R~" if self.read else "%W~"
        return prefix + as_text(self.pattern)


@dataclass
class Selector:
    """One set of permissions: commands (with first arguments), key patterns, channels."""

    allowed: set[str] = field(default_factory=set)
    #: Redis' bit for commands added later: set by ``+@all``, it picks ``+@all``/``-@all`` in ACL LIST.
    future_commands: bool = False
    #: ``allcommands`` and nothing taken away since (the check then reads no set).
    all_commands: bool = False
    first_args: dict[str, list[bytes]] = field(default_factory=dict)
    key_patterns: list[KeyPattern] = field(default_factory=list)
    all_keys: bool = False
    channels: list[bytes] = field(default_factory=list)
    all_channels: bool = False

    def copy(self) -> "Selector":
        return Selector(set(self.allowed), self.future_commands, self.all_commands,
                        {name: list(args) for name, args in self.first_args.items()},
                        list(self.key_patterns), self.all_keys, list(self.channels), self.all_channels)

    @property
    def unrestricted(self) -> bool:
        return self.all_commands and self.all_keys and self.all_channels

    # -- rules -----------------------------------------------------------------------------------

    def apply(self, rule: str) -> None:
        """Apply one selector rule (keys, channels, commands); AclRuleError when it is not one."""
        lowered = rule.lower()
        if lowered in ("allkeys", "~*"):
            self.all_keys, self.key_patterns = True, []
        elif lowered == "resetkeys":
            self.all_keys, self.key_patterns = False, []
        elif rule.startswith("~") or rule.startswith("%"):
            self._add_key_pattern(rule)
        elif lowered in ("allchannels", "&*"):
            self.all_channels, self.channels = True, []
        elif lowered == "resetchannels":
            self.all_channels, self.channels = False, []
        elif rule.startswith("&"):
            if self.all_channels:
                raise AclRuleError(_CHANNELS_AFTER_ALL)
            channel = as_bytes(rule[1:])
            if channel not in self.channels:
                self.channels.append(channel)
        elif lowered in ("allcommands", "+@all"):
            self.allowed = {acl_name(spec) for spec in TABLE.all_specs()}
            self.future_commands = self.all_commands = True
            self.first_args = {}
        elif lowered in ("nocommands", "-@all"):
            self.allowed = set()
            self.future_commands = self.all_commands = False
            self.first_args = {}
        elif rule[:2] in ("+@", "-@"):
            allow = rule[0] == "+"
            for spec in CATEGORIES.of(rule[2:]):
                self._change(spec, allow)
        elif rule[:1] in ("+", "-"):
            self._command_rule(rule[1:].lower(), rule[0] == "+")
        else:
            raise AclRuleError(_SYNTAX)

    def _add_key_pattern(self, rule: str) -> None:
        read = write = True
        if rule.startswith("%"):
            flags, tilde, pattern_text = rule[1:].partition("~")
            if not tilde or not flags or any(flag not in "RWrw" for flag in flags):
                raise AclRuleError(_SYNTAX)
            read, write = "R" in flags.upper(), "W" in flags.upper()
        else:
            pattern_text = rule[1:]
        if self.all_keys:
            raise AclRuleError(_KEYS_AFTER_ALL)
        pattern = as_bytes(pattern_text)
        for index, existing in enumerate(self.key_patterns):
            if existing.pattern == pattern:
                self.key_patterns[index] = KeyPattern(pattern, existing.read or read, existing.write or write)
                return
        self.key_patterns.append(KeyPattern(pattern, read, write))

    def _command_rule(self, name: str, allow: bool) -> None:
        """``+cmd``, ``-cmd``, ``+cmd|sub``, ``-cmd|sub``, ``+cmd|first-arg``."""
        top, bar, rest = name.partition("|")
        spec = TABLE.get(as_bytes(top))
        if spec is None:
            raise AclRuleError(_UNKNOWN_NAME)
        if not bar:
            self._change(spec, allow)
            return
        if spec.lists_subcommands and spec.subcommands:
            sub_name, deeper, _first_arg = rest.partition("|")
            sub = spec.subcommands.get(sub_name)
            if sub is None or (deeper and not allow):
                raise AclRuleError(_UNKNOWN_NAME)
            if deeper:
                raise AclRuleError(_FIRST_ARG_OF_SUBCOMMAND)
            self._change(sub, allow)
            return
        if not allow or "|" in rest:
            raise AclRuleError(_UNKNOWN_NAME)
        if spec.full_name in self.allowed:
            return
        args = self.first_args.setdefault(spec.full_name, [])
        if as_bytes(rest) not in args:
            args.append(as_bytes(rest))

    def _change(self, spec: CommandSpec, allow: bool) -> None:
        """Allow or deny a command (a container: with all its subcommands), forgetting its first args."""
        names = [acl_name(spec)] + [sub.full_name for sub in spec.shown_subcommands()]
        for name in names:
            self.first_args.pop(name, None)
            if allow:
                self.allowed.add(name)
            else:
                self.allowed.discard(name)
        if not allow:
            self.all_commands = False

    # -- description -----------------------------------------------------------------------------

    def command_rules(self) -> str:
        """The command rules as ACL LIST and GETUSER print them (Redis 7.0's rebuilt form)."""
        additive = not self.future_commands
        rules = ["-@all" if additive else "+@all"]
        replica = Selector()
        replica.apply(rules[0])
        for category in CATEGORY_ORDER:
            # Counted against what the rules so far give (as redis-server 7.0.15 does): a
            # category is written when more of its commands still need it than oppose it.
            names = [acl_name(spec) for spec in CATEGORIES.members[category]]
            if additive:
                needing = sum(1 for name in names if name in self.allowed and name not in replica.allowed)
                opposing = sum(1 for name in names if name not in self.allowed)
            else:
                needing = sum(1 for name in names if name not in self.allowed and name in replica.allowed)
                opposing = sum(1 for name in names if name in self.allowed)
            if needing > opposing:
                rule = ("+@" if additive else "-@") + category
                replica.apply(rule)
                rules.append(rule)
        for spec in TABLE.all_specs():
            name = acl_name(spec)
            if name != spec.full_name:
                continue
            mine, theirs = name in self.allowed, name in replica.allowed
            if mine != theirs:
                rules.append(("+" if mine else "-") + name)
                replica._change(spec, mine)
            if not mine:
                rules.extend(f"+{name}|{as_text(arg)}" for arg in self.first_args.get(name, ()))
        return " ".join(rules)

    def keys_rule(self) -> str:
        if self.all_keys:
            return "~*"
        return " ".join(pattern.rule() for pattern in self.key_patterns)

    def channels_rule(self) -> str:
        if self.all_channels:
            return "&*"
        return " ".join("&" + as_text(channel) for channel in self.channels)

    def describe(self) -> str:
        """The selector in ACL LIST's form: keys, channels, then commands."""
        parts = []
        keys = self.keys_rule()
        if keys:
            parts.append(keys)
        channels = self.channels_rule()
        parts.append(channels if self.all_channels else " ".join(filter(None, ("resetchannels", channels))))
        parts.append(self.command_rules())
        return " ".join(parts)

    # -- the check ---------------------------------------------------------------------------------

    def check(self, spec: CommandSpec, argv: list[bytes]) -> tuple[int, int]:
        """Whether this selector allows the call: (a result, the index of the argument denied)."""
        if not self.all_commands and NO_AUTH not in spec.flags:
            name = acl_name(spec)
            if name not in self.allowed:
                args = self.first_args.get(name)
                if not args or len(argv) < 2 or argv[1].lower() not in args:
                    return DENIED_COMMAND, 0
        if not self.all_keys and spec.has_keys:
            for index, (key, flags) in enumerate(_keys_and_flags(spec, argv)):
                if not self.may_access_key(key, flags):
                    return DENIED_KEY, _argument_index(argv, key, index)
        if not self.all_channels:
            for index, channel, is_pattern in _channels_of(spec, argv):
                if not self.may_use_channel(channel, is_pattern):
                    return DENIED_CHANNEL, index
        return ALLOWED, 0

    def may_access_key(self, key: bytes, flags: Iterable[str]) -> bool:
        if self.all_keys:
            return True
        lowered = {flag.lower() for flag in flags}
        read = bool(lowered & _READ_FLAGS)
        write = bool(lowered & _WRITE_FLAGS)
        return any((pattern.read or not read) and (pattern.write or not write) and pattern.matches(key)
                   for pattern in self.key_patterns)

    def may_use_channel(self, channel: bytes, is_pattern: bool) -> bool:
        """A channel matches an allowed pattern; a subscription pattern must be one literally."""
        if self.all_channels:
            return True
        if is_pattern:
            return channel in self.channels
        return any(compile_glob(allowed)(channel) for allowed in self.channels)

    def reads_all_keys(self) -> bool:
        """Whether every key may be read (``allkeys``, or a ``*`` pattern that reads)."""
        return self.all_keys or any(pattern.read and pattern.pattern == b"*" for pattern in self.key_patterns)


def _keys_and_flags(spec: CommandSpec, argv: list[bytes]) -> list[tuple[bytes, tuple[str, ...]]]:
    """A call's keys with their key-spec flags. A command's own key finder (SORT's) gives keys
    without flags: a key its specs also find takes that spec's flags, any other (SORT's STORE
    destination) the flags of all its "unknown" specs together, so it needs every access they
    name (never less than Redis asks)."""
    found = spec.keys_and_flags(argv) or []
    if spec.getkeys is None:
        return found
    located = {argv[position]: key_spec.flags for position, key_spec in find_keys(spec.key_specs, argv) or ()}
    unknown = tuple(flag for key_spec in spec.key_specs if key_spec.begin is None for flag in key_spec.flags)
    return [(key, located.get(key, unknown)) for key, _flags in found]


def _argument_index(argv: list[bytes], key: bytes, ordinal: int) -> int:
    """The argument a denied key came from (for ACL LOG's object): its first occurrence."""
    for index in range(1, len(argv)):
        if argv[index] == key:
            return index
    return ordinal + 1


def _channels_of(spec: CommandSpec, argv: list[bytes]) -> Iterable[tuple[int, bytes, bool]]:
    """The channels a pub/sub call names: (argument index, channel, whether it is a pattern)."""
    name = spec.full_name
    for table, is_pattern in ((_CHANNEL_COMMANDS, False), (_PATTERN_COMMANDS, True)):
        found = table.get(name)
        if found is not None:
            start, stop = found
            for index in range(start, len(argv) if stop is None else min(stop, len(argv))):
                yield index, argv[index], is_pattern


@dataclass(eq=False)  # a user is itself (clients and sets hold it), whatever its rules
class User:
    """An ACL user: flags, password hashes, the root selector and the extra ones."""

    name: bytes
    enabled: bool = False
    nopass: bool = False
    #: None until ``sanitize-payload``/``skip-sanitize-payload`` is given.
    sanitize_payload: bool | None = None
    passwords: list[str] = field(default_factory=list)
    root: Selector = field(default_factory=Selector)
    selectors: list[Selector] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute :attr:`unrestricted` (the dispatcher's one test) after a change."""
        self.unrestricted = self.root.unrestricted

    def copy(self) -> "User":
        return User(self.name, self.enabled, self.nopass, self.sanitize_payload, list(self.passwords),
                    self.root.copy(), [selector.copy() for selector in self.selectors])

    def replace_with(self, other: "User") -> None:
        """Take ``other``'s rules in place, so clients holding this user see them."""
        self.enabled, self.nopass, self.sanitize_payload = other.enabled, other.nopass, other.sanitize_payload
        self.passwords, self.root, self.selectors = other.passwords, other.root, other.selectors
        self.refresh()

    def apply(self, rule: str, pubsub_default_all: bool) -> None:
        """Apply one ACL SETUSER rule."""
        lowered = rule.lower()
        if lowered == "on":
            self.enabled = True
        elif lowered == "off":
            self.enabled = False
        elif lowered == "nopass":
            self.nopass, self.passwords = True, []
        elif lowered == "resetpass":
            self.nopass, self.passwords = False, []
        elif lowered == "sanitize-payload":
            self.sanitize_payload = True
        elif lowered == "skip-sanitize-payload":
            self.sanitize_payload = False
        elif lowered == "clearselectors":
            self.selectors = []
        elif lowered == "reset":
            for each in ("resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors",
                         "-@all"):
                self.apply(each, pubsub_default_all)
            if pubsub_default_all:
                self.apply("allchannels", pubsub_default_all)
        elif rule.startswith(">"):
            self._add_password(password_hash(as_bytes(rule[1:])))
        elif rule.startswith("#"):
            self._add_password(_valid_hash(rule[1:]))
        elif rule.startswith("<"):
            self._remove_password(password_hash(as_bytes(rule[1:])))
        elif rule.startswith("!"):
            self._remove_password(_valid_hash(rule[1:]))
        elif rule.startswith("(") and rule.endswith(")"):
            selector = new_selector(pubsub_default_all)
            for part in rule[1:-1].split():
                selector.apply(part)
            self.selectors.append(selector)
        else:
            self.root.apply(rule)

    def _add_password(self, digest: str) -> None:
        self.nopass = False
        if digest not in self.passwords:
            self.passwords.append(digest)

    def _remove_password(self, digest: str) -> None:
        if digest not in self.passwords:
            raise AclRuleError(_NO_SUCH_PASSWORD)
        self.passwords.remove(digest)

    def accepts(self, password: bytes) -> bool:
        """Whether ``password`` logs in (an enabled user, with nopass or a matching hash)."""
        if not self.enabled:
            return False
        if self.nopass:
            return True
        digest = password_hash(password)
        return any(hmac.compare_digest(digest, kept) for kept in self.passwords)

    def flags(self) -> list[str]:
        flags = ["on" if self.enabled else "off"]
        if self.nopass:
            flags.append("nopass")
        if self.sanitize_payload is not None:
            flags.append("sanitize-payload" if self.sanitize_payload else "skip-sanitize-payload")
        return flags

    def describe(self) -> str:
        """The user as ACL LIST (and an ACL file) writes it."""
        parts = ["user", as_text(self.name), *self.flags()]
        parts.extend("#" + digest for digest in self.passwords)
        parts.append(self.root.describe())
        parts.extend(f"({selector.describe()})" for selector in self.selectors)
        return " ".join(parts)

    def check(self, spec: CommandSpec, argv: list[bytes]) -> tuple[int, int]:
        """Redis' ACLCheckAllUserCommandPerm: allowed if a selector allows it; otherwise the
        most relevant denial (the highest, then the furthest argument)."""
        worst, worst_index = DENIED_COMMAND, 0
        for selector in (self.root, *self.selectors):
            result, index = selector.check(spec, argv)
            if result == ALLOWED:
                return ALLOWED, 0
            if result > worst or (result == worst and index > worst_index):
                worst, worst_index = result, index
        return worst, worst_index

    def may_use_channel(self, channel: bytes, is_pattern: bool) -> bool:
        return any(selector.may_use_channel(channel, is_pattern) for selector in (self.root, *self.selectors))

    def reads_all_keys(self) -> bool:
        """Redis 7's condition for SORT's BY patterns and GET: a selector that may read every key."""
        return self.unrestricted or any(selector.reads_all_keys() for selector in (self.root, *self.selectors))


def new_selector(pubsub_default_all: bool) -> Selector:
    """A new selector: nothing allowed, channels per ``acl-pubsub-default``."""
    return Selector(all_channels=pubsub_default_all)


def merge_selector_arguments(rules: list[str]) -> list[str]:
    """ACL SETUSER's arguments with a selector split over several of them joined again
    (``(~x`` ``+get)``); Redis' error naming the unclosed one."""
    merged: list[str] = []
    opening: list[str] | None = None
    for rule in rules:
        if opening is not None:
            opening.append(rule)
            if rule.endswith(")"):
                merged.append(" ".join(opening))
                opening = None
        elif rule.startswith("(") and not rule.endswith(")"):
            opening = [rule]
        else:
            merged.append(rule)
    if opening is not None:
        raise unmatched_selector(opening[0])
    return merged


@dataclass
class LogEntry:
    """One ACL LOG entry (a denial or a failed AUTH), counted again when it repeats."""

    reason: str
    context: str
    object: bytes
    username: bytes
    client_info: str
    created: float
    updated: float
    count: int = 1

    def same_as(self, other: "LogEntry") -> bool:
        return (self.reason, self.context, self.object, self.username) == (
            other.reason, other.context, other.object, other.username)


class AccessControl:
    """The server's users (``default`` always among them) and its ACL LOG."""

    def __init__(self, pubsub_default_all: bool = False) -> None:
        self.pubsub_default_all = pubsub_default_all
        self.default = User(b"default", enabled=True, nopass=True)
        for rule in ("+@all", "~*", "&*"):
            self.default.apply(rule, True)
        self.default.refresh()
        self.users: dict[bytes, User] = {b"default": self.default}
        self.log: list[LogEntry] = []  # newest first
        self.log_max_len = 128

    def sorted_users(self) -> list[User]:
        return [self.users[name] for name in sorted(self.users)]

    def set_user(self, name: bytes, rules: list[str]) -> User:
        """ACL SETUSER: all rules apply or none (Redis' error names the failing rule)."""
        try:
            return self._set_user(name, rules)
        except RuleFailed as exc:
            raise acl_rule_error(exc.rule, exc.reason) from None

    def _set_user(self, name: bytes, rules: list[str]) -> User:
        """Create or change a user with all of ``rules``; RuleFailed (nothing changed) if one fails."""
        existing = self.users.get(name)
        user = existing.copy() if existing is not None else User(name, root=new_selector(self.pubsub_default_all))
        for rule in merge_selector_arguments(rules):
            try:
                user.apply(rule, self.pubsub_default_all)
            except AclRuleError as exc:
                raise RuleFailed(rule, str(exc)) from None
        user.refresh()
        if existing is None:
            self.users[name] = user
            return user
        existing.replace_with(user)
        return existing

    def set_default_password(self, password: str) -> None:
        """``requirepass``: the default user's one password (empty: nopass), as Redis sets it."""
        self.default.apply("resetpass", self.pubsub_default_all)
        self.default.apply(f">{password}" if password else "nopass", self.pubsub_default_all)

    def default_open(self) -> bool:
        """Whether a new connection is logged in as the default user without AUTH (Redis: it
        is on and needs no password)."""
        return self.default.enabled and self.default.nopass

    def authenticate(self, name: bytes, password: bytes) -> User | None:
        user = self.users.get(name)
        return user if user is not None and user.accepts(password) else None

    def record(self, reason: str, context: str, object_: bytes, username: bytes, client_info: str) -> None:
        """Add an ACL LOG entry, or count a recent identical one again (Redis' grouping)."""
        now = time.time()
        entry = LogEntry(reason, context, object_, username, client_info, now, now)
        for existing in self.log:
            if existing.same_as(entry) and now - existing.updated < _LOG_GROUPING_SECONDS:
                existing.count += 1
                existing.updated = now
                existing.client_info = client_info
                self.log.remove(existing)  # Redis moves it to the head again
                self.log.insert(0, existing)
                return
        self.log.insert(0, entry)
        del self.log[self.log_max_len:]

    def denial(self, client: "Client", spec: CommandSpec, argv: list[bytes], context: str) -> str | None:
        """The reason ("command", "key", "channel") the client's user may not run this call,
        logged in ACL LOG under ``context``; None when it may."""
        user = client.user
        result, index = user.check(spec, argv)
        if result == ALLOWED:
            return None
        reason = REASONS[result]
        denied = spec.full_name.encode() if result == DENIED_COMMAND else argv[index]
        self.record(reason, context, denied, user.name, describe(client))
        return reason

    def allows(self, user: User, argv: list[bytes]) -> bool | None:
        """Whether ``user`` may run the call (``redis.acl_check_cmd``, nothing logged); None
        when it names no command."""
        spec = TABLE.get(argv[0])
        if spec is None:
            return None
        if spec.subcommands:
            try:
                spec = resolve_subcommand(spec, argv)
            except CommandError:
                return None
        return user.unrestricted or user.check(spec, argv)[0] == ALLOWED

    def clients_of(self, clients: Iterable["Client"], user: User) -> list["Client"]:
        return [client for client in clients if client.user is user]

    # -- configuration ---------------------------------------------------------------------------

    def configure(self, config: "Config") -> None:
        """The users a server starts with: ``requirepass`` as the default user's password,
        Pika's ``userpass``/``userblacklist`` user ``limit``, redis.conf's ``user`` lines, then
        the ``aclfile`` (ConfigError when a line cannot apply)."""
        self.pubsub_default_all = config.get_str("acl-pubsub-default") == "allchannels"
        self.log_max_len = config.get_int("acllog-max-len")
        self.set_default_password(config.get_str("requirepass"))
        limit_password = config.get_str("userpass")
        if limit_password and limit_password != config.get_str("requirepass"):
            denied = [f"-{name.strip().lower()}" for name in config.get_str("userblacklist").split(",")
                      if name.strip()]
            self._configure_user(b"limit", ["on", f">{limit_password}", "~*", "&*", "+@all", *denied])
        if config.acl_user_lines and config.get_str("aclfile"):
            raise ConfigError(_USERS_IN_BOTH_PLACES)
        for line in config.acl_user_lines:
            name, *rules = line.split() or [""]
            self._configure_user(name.encode(), rules)
        path = config.get_str("aclfile")
        if path:
            try:
                self.load(path)
            except (OSError, CommandError) as exc:
                raise ConfigError(f"aclfile {path}: {getattr(exc, 'message', exc)}") from None

    def _configure_user(self, name: bytes, rules: list[str]) -> None:
        try:
            self.set_user(name, rules)
        except CommandError as exc:
            raise ConfigError(exc.message) from None

    def user_lines(self) -> list[str]:
        """Every user as a config file's ``user`` line gives it (name, then rules)."""
        return [user.describe().removeprefix("user ") for user in self.sorted_users()]

    def save(self, path: str) -> None:
        """ACL SAVE: every user as ACL LIST writes it, replacing the file atomically."""
        temporary = f"{path}.tmp-{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.writelines(user.describe() + "\n" for user in self.sorted_users())
        os.replace(temporary, path)

    def load(self, path: str) -> set[User]:
        """ACL LOAD: the file's users replace all others (the default user keeps its object,
        with the file's rules or the default ones); all or nothing, every faulty line reported
        as Redis reports it. The users replaced."""
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        loaded = AccessControl(self.pubsub_default_all)
        errors = []
        seen: set[bytes] = set()
        for number, line in enumerate(lines, 1):
            words = line.split()
            if not words:
                continue
            if len(words) < 2 or words[0] != "user":
                errors.append(f"{path}:{number} should start with user keyword followed by the username. ")
                continue
            name = words[1].encode()
            if name in seen:
                errors.append(f"WARNING: Duplicate user '{words[1]}' found on line {number}. ")
                continue
            seen.add(name)
            try:
                loaded._set_user(name, words[2:])
            except RuleFailed as exc:
                errors.append(f"{path}:{number}: Error in applying operation '{exc.rule}': {exc.reason}. ")
            except CommandError as exc:  # an unclosed selector
                errors.append(f"{path}:{number}: {exc.message.removeprefix('ERR ')} ")
        if errors:
            raise acl_file_error("".join(errors) + "WARNING: ACL errors detected, no change to the previously "
                                 "active ACL rules was performed")
        replaced = {user for user in self.users.values() if user is not self.default}
        self.default.replace_with(loaded.default)
        self.users = {name: user for name, user in loaded.users.items() if name != b"default"}
        self.users[b"default"] = self.default
        return replaced
