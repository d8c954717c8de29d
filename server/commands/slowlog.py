"""SLOWLOG GET / LEN / RESET / HELP (the log itself is :mod:`..slowlog`)."""

from __future__ import annotations

from pypika_store.errors import SlowlogCountError, subcommand_syntax_error

from ..arguments import parse_int
from ..connection import Client
from ..registry import command, container, help_reply
from ..resp.replies import OK

container("slowlog", arity=-2, flags="", group="server", summary="A container for slow log commands")

#: Entries SLOWLOG GET returns without a count.
_DEFAULT_COUNT = 10


@command("slowlog|get", arity=-2, flags="admin loading stale", group="server", help=(
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
), syntax="[count:integer]")
def slowlog_get(client: Client, argv: list[bytes]) -> object:
    """Get the slow log's entries."""
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    count = parse_int(argv[2], SlowlogCountError) if len(argv) == 3 else _DEFAULT_COUNT
    if count < -1:
        raise SlowlogCountError()
    entries = list(client.server.dispatcher.slowlog.entries)
    return entries if count == -1 else entries[:count]


@command("slowlog|len", arity=2, flags="admin loading stale", group="server",
         help=("LEN", "    Return the length of the slowlog."))
def slowlog_len(client: Client, argv: list[bytes]) -> object:
    """Get the slow log's length."""
    return len(client.server.dispatcher.slowlog.entries)


@command("slowlog|reset", arity=2, flags="admin loading stale", group="server",
         help=("RESET", "    Reset the slowlog."))
def slowlog_reset(client: Client, argv: list[bytes]) -> object:
    """Clear all entries from the slow log."""
    client.server.dispatcher.slowlog.reset()
    return OK


@command("slowlog|help", arity=2, flags="loading stale", group="server", help=("HELP", "    Prints this help."))
def slowlog_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
