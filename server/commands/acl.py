"""ACL and its subcommands (users, rules, the log, the ACL file), answered as Redis 7.0 answers
them; the users and the check are :mod:`..acl`."""

from __future__ import annotations

import secrets
import time

from pypika_store.errors import (DefaultUserUndeletableError, GenpassBitsError, NoAclFileError,
                                 dryrun_command_not_found, subcommand_syntax_error, unknown_acl_category,
                                 user_not_found, wrong_arity)

from ..acl import (ALLOWED, CATEGORIES, CATEGORY_ORDER, DENIED_CHANNEL, DENIED_COMMAND, AccessControl, User, as_bytes,
                   as_text)
from ..arguments import parse_int
from ..connection import Client
from ..registry import TABLE, command, container, help_reply, resolve_subcommand
from ..resp.replies import OK, Double, Map, SetReply

container("acl", arity=-2, flags="", group="server", summary="A container for Access List Control commands")

_ADMIN = "admin noscript loading stale"
_PUBLIC = "noscript loading stale"
_DEFAULT_PASSWORD_BITS = 256
_MAX_PASSWORD_BITS = 4096
_RESET = b"RESET"


def _access(client: Client) -> AccessControl:
    return client.server.dispatcher.acl


@command("acl|cat", arity=-2, flags=_PUBLIC, group="server", since="6.0.0",
         complexity="O(1) since the categories and commands are a fixed set.", syntax="[categoryname]",
         help=("CAT [<category>]",
               "    List all commands that belong to <category>, or all command categories",
               "    when no category is specified."))
def acl_cat(client: Client, argv: list[bytes]) -> object:
    """List the ACL categories or the commands inside a category"""
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    if len(argv) == 2:
        return [category.encode() for category in CATEGORY_ORDER]
    members = CATEGORIES.members.get(argv[2].decode("utf-8", "replace").lower())
    if members is None:
        raise unknown_acl_category(argv[2])
    return [spec.full_name.encode() for spec in members]


@command("acl|deluser", arity=-3, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(1) amortized time considering the typical user.", syntax="username [username ...]",
         help=("DELUSER <username> [<username> ...]", "    Delete a list of users."))
def acl_deluser(client: Client, argv: list[bytes]) -> object:
    """Remove the specified ACL users and the associated rules"""
    access = _access(client)
    if b"default" in argv[2:]:
        raise DefaultUserUndeletableError()
    deleted = 0
    for name in argv[2:]:
        user = access.users.pop(name, None)
        if user is None:
            continue
        deleted += 1
        for each in access.clients_of(client.server.clients.values(), user):
            each.user, each.authenticated = access.default, False
            each.close()
    return deleted


@command("acl|dryrun", arity=-4, flags=_ADMIN, group="server", since="7.0.0", complexity="O(1).",
         syntax="username command [arg [arg ...]]",
         help=("DRYRUN <username> <command> [<arg> ...]",
               "    Returns whether the user can execute the given command without executing the command."))
def acl_dryrun(client: Client, argv: list[bytes]) -> object:
    """Returns whether the user can execute the given command without executing the command."""
    user = _access(client).users.get(argv[2])
    if user is None:
        raise user_not_found(argv[2])
    call = argv[3:]
    spec = TABLE.get(call[0])
    if spec is None:
        raise dryrun_command_not_found(call[0])
    if spec.subcommands:
        spec = resolve_subcommand(spec, call)
    if not spec.arity_ok(len(call)):
        raise wrong_arity(call)
    result, index = user.check(spec, call)
    if result == ALLOWED:
        return OK
    if result == DENIED_COMMAND:
        return f"This user has no permissions to run the '{spec.full_name}' command".encode()
    kind = "channel" if result == DENIED_CHANNEL else "key"
    return b"This user has no permissions to access the '%s' %s" % (call[index], kind.encode())


@command("acl|getuser", arity=3, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of password, command and pattern rules that the user has.",
         syntax="username", help=("GETUSER <username>", "    Get the user's details."))
def acl_getuser(client: Client, argv: list[bytes]) -> object:
    """Get the rules for a specific ACL user"""
    user = _access(client).users.get(argv[2])
    if user is None:
        return None
    root = user.root
    return Map([
        (b"flags", SetReply(flag.encode() for flag in user.flags())),
        (b"passwords", [digest.encode() for digest in user.passwords]),
        (b"commands", as_bytes(root.command_rules())),
        (b"keys", as_bytes(root.keys_rule())),
        (b"channels", as_bytes(root.channels_rule())),
        (b"selectors", [Map([(b"commands", as_bytes(selector.command_rules())),
                             (b"keys", as_bytes(selector.keys_rule())),
                             (b"channels", as_bytes(selector.channels_rule()))]) for selector in user.selectors]),
    ])


@command("acl|genpass", arity=-2, flags=_PUBLIC, group="server", since="6.0.0", complexity="O(1)",
         syntax="[bits:integer]",
         help=("GENPASS [<bits>]",
               "    Generate a secure 256-bit user password. The optional `bits` argument can",
               "    be used to specify a different size."))
def acl_genpass(client: Client, argv: list[bytes]) -> object:
    """Generate a pseudorandom secure password to use for ACL users"""
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    bits = parse_int(argv[2]) if len(argv) == 3 else _DEFAULT_PASSWORD_BITS
    if not 0 < bits <= _MAX_PASSWORD_BITS:
        raise GenpassBitsError()
    characters = (bits + 3) // 4  # one hex digit per 4 bits, rounded up
    return secrets.token_hex((characters + 1) // 2)[:characters].encode()


@command("acl|list", arity=2, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         help=("LIST", "    Show users details in config file format."))
def acl_list(client: Client, argv: list[bytes]) -> object:
    """List the current ACL rules in ACL config file format"""
    return [as_bytes(user.describe()) for user in _access(client).sorted_users()]


def _acl_file(client: Client) -> str:
    """The configured ``aclfile`` that ACL LOAD and SAVE work on (Redis' error when none is set)."""
    path = client.server.config.get_str("aclfile")
    if not path:
        raise NoAclFileError()
    return path


@command("acl|load", arity=2, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         help=("LOAD", "    Reload users from the ACL file."))
def acl_load(client: Client, argv: list[bytes]) -> object:
    """Reload the ACLs from the configured ACL file"""
    access = _access(client)
    replaced = access.load(_acl_file(client))
    for each in list(client.server.clients.values()):
        if each.user in replaced:
            each.user, each.authenticated = access.default, False
            each.close()
    return OK


@command("acl|log", arity=-2, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N) with N being the number of entries shown.",
         syntax="[operation:<count:integer | RESET>]",
         help=("LOG [<count> | RESET]", "    Show the ACL log entries."))
def acl_log(client: Client, argv: list[bytes]) -> object:
    """List latest events denied because of ACLs in place"""
    access = _access(client)
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    if len(argv) == 3 and argv[2].upper() == _RESET:
        access.log.clear()
        return OK
    count = parse_int(argv[2]) if len(argv) == 3 else 10
    now = time.time()
    return [Map([
        (b"count", entry.count),
        (b"reason", entry.reason.encode()),
        (b"context", entry.context.encode()),
        (b"object", entry.object),
        (b"username", entry.username),
        (b"age-seconds", Double(round(now - entry.created, 3))),
        (b"client-info", entry.client_info.encode()),
    ]) for entry in access.log[:max(count, 0)]]


@command("acl|save", arity=2, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         help=("SAVE", "    Save the current config to the ACL file."))
def acl_save(client: Client, argv: list[bytes]) -> object:
    """Save the current ACL rules in the configured ACL file"""
    _access(client).save(_acl_file(client))
    return OK


@command("acl|setuser", arity=-3, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of rules provided.", syntax="username [rule [rule ...]]",
         help=("SETUSER <username> <attribute> [<attribute> ...]",
               "    Create or modify a user with the specified attributes."))
def acl_setuser(client: Client, argv: list[bytes]) -> object:
    """Modify or create the rules for a specific ACL user"""
    rules = [as_text(rule) for rule in argv[3:]]
    user = _access(client).set_user(argv[2], rules)
    _kill_subscribers_denied(client, user)
    return OK


def _kill_subscribers_denied(client: Client, user: User) -> None:
    """Redis 7.0 disconnects the user's subscribers whose channels or patterns it may no longer use."""
    pubsub = client.server.pubsub
    for each in list(client.server.clients.values()):
        if each.user is not user:
            continue
        denied = (any(not user.may_use_channel(channel, False) for channel in pubsub.channels.of(each))
                  or any(not user.may_use_channel(pattern, True) for pattern in pubsub.patterns.of(each))
                  or any(not user.may_use_channel(channel, False) for channel in pubsub.shard_channels.of(each)))
        if denied:
            each.close()


@command("acl|users", arity=2, flags=_ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         help=("USERS", "    List all the registered usernames."))
def acl_users(client: Client, argv: list[bytes]) -> object:
    """List the username of all the configured ACL rules"""
    return [user.name for user in _access(client).sorted_users()]


@command("acl|whoami", arity=2, flags=_PUBLIC, group="server", since="6.0.0", complexity="O(1)",
         help=("WHOAMI", "    Return the current connection username."))
def acl_whoami(client: Client, argv: list[bytes]) -> object:
    """Return the name of the user associated to the current connection"""
    return client.user.name


@command("acl|help", arity=2, flags="loading stale", group="server", since="6.0.0", complexity="O(1)",
         help=("HELP", "    Prints this help."))
def acl_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands"""
    return help_reply(argv)
