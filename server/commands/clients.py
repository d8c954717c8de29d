"""CLIENT: connection introspection (LIST, INFO, ID, names), KILL, PAUSE, REPLY, UNBLOCK, client
tracking (TRACKING, CACHING, GETREDIR, TRACKINGINFO: the tables are :mod:`..tracking`'s), HELP."""

from __future__ import annotations

from typing import Callable, Iterable

from pypika_store.errors import (
    CachingNoWithoutOptOutError,
    CachingWithoutTrackingError,
    CachingYesWithoutOptInError,
    ClientIdNotPositiveError,
    CommandError,
    ClientNameError,
    InvalidClientIdError,
    NoSuchClientError,
    PauseModeError,
    SyntaxErrorReply,
    TimeoutNegativeError,
    TimeoutNotIntegerError,
    TrackingRedirectMissingError,
    TrackingSingleRedirectError,
    UnblockedError,
    UnblockReasonError,
    no_such_user,
    subcommand_syntax_error,
    unknown_client_type,
)

from ..arguments import Arguments, parse_int
from ..connection import MASTER, NORMAL, PUBSUB, REPLICA, REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT, Client
from ..registry import command, container, help_reply
from ..resp.replies import NO_REPLY, OK, ONE, ZERO, Map, SetReply, Verbatim, error_line
from ..tracking import TrackingOptions

container("client", arity=-2, flags="", group="connection")

#: CLIENT KILL TYPE / CLIENT LIST TYPE names and the connection kind each selects.
_TYPES = {"normal": NORMAL, "master": MASTER, "replica": REPLICA, "slave": REPLICA, "pubsub": PUBSUB}
#: CLIENT LIST's flag letter of each kind of connection (a normal one has none).
_KIND_FLAGS = {MASTER: "M", REPLICA: "S", PUBSUB: "P"}


def describe(client: Client) -> str:
    """One line of CLIENT LIST, with Redis 7.0's fields in Redis' order."""
    transport = client.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    fd = sock.fileno() if sock is not None else -1
    output = transport.get_write_buffer_size() if transport is not None else 0
    pending = client.pending_input()
    pubsub = client.server.pubsub
    queued = len(client.transaction.queued) if client.transaction is not None else -1
    return (
        f"id={client.id} addr={client.address} laddr={client.local_address} fd={fd} "
        f"name={client.name.decode('utf-8', 'replace')} age={int(client.age_seconds())} "
        f"idle={int(client.idle_seconds())} flags={_flags(client)} db={client.db} "
        f"sub={pubsub.channels.count(client)} psub={pubsub.patterns.count(client)} "
        f"ssub={pubsub.shard_channels.count(client)} "
        f"multi={queued} qbuf={pending} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 "
        f"omem={output} tot-mem={pending + output} events=r cmd={client.last_command} user={client.user.name.decode('utf-8', 'replace')} "
        f"redir={client.tracking.redirect if client.tracking is not None else -1} resp={client.resp}"
    )


def _flags(client: Client) -> str:
    """CLIENT LIST's flags in Redis' order: ``O`` for MONITOR, the kind's letter, ``x`` in MULTI, ``b`` blocked
    (or held by CLIENT PAUSE), ``t`` tracking (``R`` its redirect client gone, ``B`` in BCAST mode), ``U`` a
    Unix socket, ``e`` no-evict; ``N`` when there is none of these."""
    letters = "O" if client in client.server.dispatcher.monitors else ""
    letters += _KIND_FLAGS.get(client.kind, "")
    if client.transaction is not None:
        letters += "x"
    if client.blocked is not None:
        letters += "b"
    tracking = client.tracking
    if tracking is not None:
        letters += "t" + "R" * tracking.broken_redirect + "B" * tracking.bcast
    if client.unix_socket:
        letters += "U"
    if client.no_evict:
        letters += "e"
    return letters or "N"


def _client_type(arg: bytes) -> str:
    name = arg.decode("utf-8", "replace").lower()
    if name not in _TYPES:
        raise unknown_client_type(arg)
    return _TYPES[name]


# The subcommands in the order of CLIENT HELP.


@command("client|caching", arity=3, flags="noscript loading stale", group="connection",
         help=("CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes."),
         since="6.0.0", complexity="O(1)", syntax="mode:<YES | NO>")
def client_caching(client: Client, argv: list[bytes]) -> object:
    """Instruct the server about tracking or not keys in the next request."""
    tracking = client.tracking
    if tracking is None:
        raise CachingWithoutTrackingError()
    answer = argv[2].lower()
    if answer == b"yes":
        if not tracking.optin:
            raise CachingYesWithoutOptInError()
    elif answer == b"no":
        if not tracking.optout:
            raise CachingNoWithoutOptOutError()
    else:
        raise SyntaxErrorReply()
    tracking.caching = True
    return OK


@command("client|getredir", arity=2, flags="noscript loading stale", group="connection",
         help=("GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled."))
def client_getredir(client: Client, argv: list[bytes]) -> object:
    """Get tracking notifications redirection client ID if any."""
    return client.tracking.redirect if client.tracking is not None else -1


@command("client|getname", arity=2, flags="noscript loading stale", group="connection",
         help=("GETNAME", "    Return the name of the current connection."))
def client_getname(client: Client, argv: list[bytes]) -> object:
    """Get the current connection name."""
    return client.name or None


@command("client|id", arity=2, flags="noscript loading stale", group="connection",
         help=("ID", "    Return the ID of the current connection."))
def client_id(client: Client, argv: list[bytes]) -> object:
    """Get the current connection ID."""
    return client.id


@command("client|info", arity=2, flags="noscript loading stale", group="connection",
         help=("INFO", "    Return information about the current client connection."))
def client_info(client: Client, argv: list[bytes]) -> object:
    """Get information about the current connection."""
    return Verbatim(describe(client) + "\n")


def _kill_filters(client: Client, argv: list[bytes]) -> tuple[list[Callable[[Client], bool]], bool, str | None]:
    """CLIENT KILL's new-style filters, whether to spare the caller (SKIPME, default yes), and
    the TYPE asked for, if any."""
    filters: list[Callable[[Client], bool]] = []
    skip_me = True
    kind = None
    if len(argv) % 2:
        raise SyntaxErrorReply()
    args = Arguments(argv, 2)
    while args:
        option = args.keyword()
        value = args.take()
        text = value.decode("utf-8", "replace")
        if option == b"ID":
            wanted_id = parse_int(value, ClientIdNotPositiveError)
            if wanted_id <= 0:
                raise ClientIdNotPositiveError()
            filters.append(lambda each, wanted=wanted_id: each.id == wanted)
        elif option == b"TYPE":
            kind = _client_type(value)
            filters.append(lambda each, wanted=kind: each.kind == wanted)
        elif option == b"ADDR":
            filters.append(lambda each, wanted=text: each.address == wanted)
        elif option == b"LADDR":
            filters.append(lambda each, wanted=text: each.local_address == wanted)
        elif option == b"USER":
            user = client.server.dispatcher.acl.users.get(value)
            if user is None:
                raise no_such_user(value)
            filters.append(lambda each, wanted=user: each.user is wanted)
        elif option == b"SKIPME":
            if value.lower() not in (b"yes", b"no"):
                raise SyntaxErrorReply()
            skip_me = value.lower() == b"yes"
        else:
            raise SyntaxErrorReply()
    return filters, skip_me, kind


@command("client|kill", arity=-3, flags="admin noscript loading stale", group="connection", help=(
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
),
         syntax="filter:<ip:port:string | new-format:<[ID client-id:integer] | [TYPE "
                "normal_master_slave_pubsub:<NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR "
                "ip:port:string] | [LADDR ip:port:string] | [SKIPME yes/no]> [new-format ...]>")
def client_kill(client: Client, argv: list[bytes]) -> object:
    """Kill connections: by address (old form) or by filters (returns how many)."""
    clients = list(client.server.clients.values())
    if len(argv) == 3:  # CLIENT KILL addr:port
        address = argv[2].decode("utf-8", "replace")
        victims = [each for each in clients if each.address == address]
        if not victims:
            raise NoSuchClientError()
        for victim in victims:
            victim.kill()
        return OK
    filters, skip_me, kind = _kill_filters(client, argv)
    victims = [each for each in clients
               if all(matches(each) for matches in filters) and not (skip_me and each is client)]
    for victim in victims:
        victim.kill()
    replica = client.server.replica
    if kind == MASTER and replica is not None and replica.drop_link():  # this slave's link to its master
        return len(victims) + 1
    return len(victims)


@command("client|list", arity=-2, flags="admin noscript loading stale", group="connection", help=(
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
),
         syntax="[TYPE normal_master_replica_pubsub:<NORMAL | MASTER | REPLICA | PUBSUB>] "
                "[ID id:<client-id:integer [client-id ...]>]")
def client_list(client: Client, argv: list[bytes]) -> object:
    """Get the list of client connections."""
    clients: Iterable[Client] = client.server.clients.values()
    args = Arguments(argv, 2)
    if len(argv) == 4 and args.flag(b"TYPE"):
        kind = _client_type(args.take())
        clients = [each for each in clients if each.kind == kind]
    elif len(argv) >= 4 and args.flag(b"ID"):
        ids = {parse_int(arg, InvalidClientIdError) for arg in args.rest()}
        clients = [each for each in clients if each.id in ids]
    elif len(argv) != 2:
        raise SyntaxErrorReply()
    return Verbatim("".join(describe(each) + "\n" for each in clients))


@command("client|unpause", arity=2, flags="admin noscript loading stale", group="connection",
         help=("UNPAUSE", "    Stop the current client pause, resuming traffic."))
def client_unpause(client: Client, argv: list[bytes]) -> object:
    """Resume processing of clients that were paused."""
    client.server.dispatcher.unpause()
    return OK


def _last_option(argv: list[bytes], options: dict[bytes, bool], error: type[CommandError]) -> bool:
    """The optional fourth argument of CLIENT PAUSE and CLIENT UNBLOCK, as its value in
    ``options`` (False when absent)."""
    if len(argv) > 4:
        raise subcommand_syntax_error(argv)
    if len(argv) < 4:
        return False
    value = options.get(argv[3].upper())
    if value is None:
        raise error()
    return value


#: CLIENT PAUSE's modes: whether the pause holds only what may write.
_PAUSE_MODES = {b"WRITE": True, b"ALL": False}
#: CLIENT UNBLOCK's reasons: whether the unblocked client gets an error.
_UNBLOCK_REASONS = {b"TIMEOUT": False, b"ERROR": True}


@command("client|pause", arity=-3, flags="admin noscript loading stale", group="connection",
         help=("PAUSE <timeout> [WRITE|ALL]",
               "    Suspend all, or just write, clients for <timeout> milliseconds."),
         syntax="timeout:integer mode:[WRITE | ALL]")
def client_pause(client: Client, argv: list[bytes]) -> object:
    """Stop processing commands from clients for some time."""
    writes_only = _last_option(argv, _PAUSE_MODES, PauseModeError)
    milliseconds = parse_int(argv[2], TimeoutNotIntegerError)
    if milliseconds < 0:
        raise TimeoutNegativeError()
    client.server.dispatcher.pause_clients(milliseconds, writes_only)
    return OK


_REPLY_MODES = {b"ON": REPLY_ON, b"OFF": REPLY_OFF, b"SKIP": REPLY_SKIP_NEXT}


@command("client|reply", arity=3, flags="noscript loading stale", group="connection",
         help=("REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection."),
         syntax="on_off_skip:<ON | OFF | SKIP>")
def client_reply(client: Client, argv: list[bytes]) -> object:
    """Instruct the server whether to reply to commands."""
    mode = _REPLY_MODES.get(argv[2].upper())
    if mode is None:
        raise SyntaxErrorReply()
    if mode == REPLY_ON:
        client.reply_mode = REPLY_ON
        return OK
    if mode == REPLY_OFF or client.reply_mode != REPLY_OFF:  # SKIP changes nothing while OFF
        client.reply_mode = mode
    return NO_REPLY


@command("client|setname", arity=3, flags="noscript loading stale", group="connection",
         help=("SETNAME <name>", "    Assign the name <name> to the current connection."), syntax="connection-name")
def client_setname(client: Client, argv: list[bytes]) -> object:
    """Set the current connection name."""
    name = argv[2]
    if any(byte < 0x21 or byte > 0x7E for byte in name):
        raise ClientNameError()
    client.name = name
    return OK


@command("client|unblock", arity=-3, flags="admin noscript loading stale", group="connection",
         help=("UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client."),
         syntax="client-id:integer timeout_error:[TIMEOUT | ERROR]")
def client_unblock(client: Client, argv: list[bytes]) -> object:
    """Unblock a client blocked in a blocking command from a different connection."""
    with_error = _last_option(argv, _UNBLOCK_REASONS, UnblockReasonError)
    target = client.server.clients.get(parse_int(argv[2]))
    waiting = target.blocked if target is not None else None
    if waiting is None:
        return ZERO
    if not waiting.keys:  # in WAIT (answered now), or held by CLIENT PAUSE (which UNBLOCK leaves held)
        return ONE if client.server.unblock_wait(target, UnblockedError.message if with_error else None) else ZERO
    client.server.blocking.release(waiting)
    target.resume(error_line(UnblockedError.message) if with_error else target.encode(waiting.timeout_reply))
    return ONE


@command("client|tracking", arity=-3, flags="noscript loading stale", group="connection", help=(
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
), since="6.0.0", complexity="O(1). Some options may introduce additional complexity.",
    syntax="status:<ON | OFF> [REDIRECT client-id:integer] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] "
           "[OPTOUT] [NOLOOP]")
def client_tracking(client: Client, argv: list[bytes]) -> object:
    """Enable or disable server assisted client side caching support."""
    options = _tracking_options(client, argv)
    switch = argv[2].lower()
    if switch == b"on":
        client.server.tracking.enable(client, options)
    elif switch == b"off":
        client.server.tracking.disable(client)
    else:
        raise SyntaxErrorReply()
    return OK


def _tracking_options(client: Client, argv: list[bytes]) -> TrackingOptions:
    """CLIENT TRACKING's options, read before ON/OFF is looked at, as Redis reads them."""
    options = TrackingOptions()
    args = Arguments(argv, 3)
    while args:
        option = args.keyword()
        if option == b"REDIRECT" and args:
            if options.redirect:
                raise TrackingSingleRedirectError()
            options.redirect = args.take_int()
            if options.redirect not in client.server.clients:
                raise TrackingRedirectMissingError()
        elif option == b"PREFIX" and args:
            options.prefixes.append(args.take())
        elif option in _TRACKING_FLAGS:
            setattr(options, _TRACKING_FLAGS[option], True)
        else:
            raise SyntaxErrorReply()
    return options


#: CLIENT TRACKING's options without a value, and the TrackingOptions field each sets.
_TRACKING_FLAGS = {b"BCAST": "bcast", b"OPTIN": "optin", b"OPTOUT": "optout", b"NOLOOP": "noloop"}


@command("client|trackinginfo", arity=2, flags="noscript loading stale", group="connection",
         help=("TRACKINGINFO", "    Report tracking status for the current connection."))
def client_trackinginfo(client: Client, argv: list[bytes]) -> object:
    """Return information about server assisted client side caching for the current connection."""
    tracking = client.tracking
    if tracking is None:
        return Map([(b"flags", SetReply([b"off"])), (b"redirect", -1), (b"prefixes", [])])
    return Map([(b"flags", SetReply(tracking.flags())), (b"redirect", tracking.redirect),
                (b"prefixes", sorted(tracking.prefixes))])


@command("client|no-evict", arity=3, flags="admin noscript loading stale", group="connection",
         help=("NO-EVICT (ON|OFF)", "    Protect current client connection from eviction."),
         syntax="enabled:<ON | OFF>")
def client_no_evict(client: Client, argv: list[bytes]) -> object:
    """Set client eviction mode for the current connection."""
    setting = argv[2].upper()
    if setting not in (b"ON", b"OFF"):
        raise SyntaxErrorReply()
    client.no_evict = setting == b"ON"
    return OK


@command("client|help", arity=2, flags="loading stale", group="connection", help=("HELP", "    Prints this help."))
def client_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
