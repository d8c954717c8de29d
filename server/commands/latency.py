"""LATENCY DOCTOR / HISTORY / LATEST / RESET / HELP (the monitor itself is :mod:`..latency`)."""

from __future__ import annotations

from ..connection import Client
from ..latency import doctor_report
from ..registry import command, container, help_reply
from ..resp.replies import Verbatim

container("latency", arity=-2, flags="", group="server", summary="A container for latency diagnostics commands")


@command("latency|doctor", arity=2, flags="admin noscript loading stale", group="server",
         help=("DOCTOR", "    Return a human readable latency analysis report."))
def latency_doctor(client: Client, argv: list[bytes]) -> object:
    """Return a human readable latency analysis report."""
    return Verbatim(doctor_report(client.server.dispatcher.latency, client.server.config))


@command("latency|history", arity=3, flags="admin noscript loading stale", group="server",
         help=("HISTORY <event>", "    Return time-latency samples for the <event> class."))
def latency_history(client: Client, argv: list[bytes]) -> object:
    """Return timestamp-latency samples for the event."""
    series = client.server.dispatcher.latency.events.get(argv[2])
    return [list(sample) for sample in series.samples] if series is not None else []


@command("latency|latest", arity=2, flags="admin noscript loading stale", group="server",
         help=("LATEST", "    Return the latest latency samples for all events."))
def latency_latest(client: Client, argv: list[bytes]) -> object:
    """Return the latest latency samples for all events."""
    return [[event, *series.samples[-1], series.worst]
            for event, series in client.server.dispatcher.latency.events.items()]


@command("latency|reset", arity=-2, flags="admin noscript loading stale", group="server", help=(
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
))
def latency_reset(client: Client, argv: list[bytes]) -> object:
    """Reset latency data for one or more events."""
    return client.server.dispatcher.latency.reset(argv[2:] if len(argv) > 2 else None)


@command("latency|help", arity=2, flags="loading stale", group="server", help=("HELP", "    Prints this help."))
def latency_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
