"""LATENCY DOCTOR / GRAPH / HISTORY / LATEST / RESET / HISTOGRAM / HELP (the monitor itself is
:mod:`..latency`, the per-command histograms :mod:`..stats`)."""

from __future__ import annotations

import time

from pypika_store.errors import no_latency_samples

from ..connection import Client
from ..info import resident_memory
from ..latency import doctor_report, graph_report
from ..registry import TABLE, CommandSpec, command, container, help_reply
from ..resp.replies import Map, Verbatim
from ..stats import LatencyHistogram

container("latency", arity=-2, flags="", group="server", summary="A container for latency diagnostics commands")


@command("latency|doctor", arity=2, flags="admin noscript loading stale", group="server",
         help=("DOCTOR", "    Return a human readable latency analysis report."))
def latency_doctor(client: Client, argv: list[bytes]) -> object:
    """Return a human readable latency analysis report."""
    server = client.server
    return Verbatim(doctor_report(server.dispatcher.latency, server.config, _fork_rate(server.engine.lock.exclusive_holds)))


def _fork_rate(holds: list[float]) -> float:
    """Redis' fork rate (the memory forked per second, in GB/s), for the ``fork`` event here:
    the resident memory over the last bgsave's hold of the DB lock (0 before any)."""
    return resident_memory() / holds[-1] / (1 << 30) if holds and holds[-1] > 0 else 0.0


@command("latency|graph", arity=3, flags="admin noscript loading stale", group="server",
         help=("GRAPH <event>", "    Return an ASCII latency graph for the <event> class."), syntax="event")
def latency_graph(client: Client, argv: list[bytes]) -> object:
    """Return a latency graph for the event."""
    series = client.server.dispatcher.latency.events.get(argv[2])
    if series is None:
        raise no_latency_samples(argv[2])
    return Verbatim(graph_report(argv[2], series, int(time.time())))


@command("latency|history", arity=3, flags="admin noscript loading stale", group="server",
         help=("HISTORY <event>", "    Return time-latency samples for the <event> class."), syntax="event")
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
), syntax="[event [event ...]]")
def latency_reset(client: Client, argv: list[bytes]) -> object:
    """Reset latency data for one or more events."""
    return client.server.dispatcher.latency.reset(argv[2:] if len(argv) > 2 else None)


def _histogram_reply(histogram: LatencyHistogram) -> Map:
    return Map([("calls", histogram.total), ("histogram_usec", Map(histogram.cumulative_usec()))])


def _named_specs(name: bytes) -> list[CommandSpec]:
    """The command a HISTOGRAM argument names (``set``, ``config|get``) and, for a container,
    its subcommands; none for an unknown name (skipped, as Redis skips it)."""
    parent, _, sub = name.partition(b"|")
    spec = TABLE.get(parent)
    if spec is None or not sub:
        return [] if spec is None else [spec, *spec.shown_subcommands()]
    found = spec.subcommands.get(sub.decode("utf-8", "replace").lower()) if spec.lists_subcommands else None
    return [found] if found is not None else []


@command("latency|histogram", arity=-2, flags="admin noscript loading stale", group="server", help=(
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
), syntax="[command [command ...]]")
def latency_histogram(client: Client, argv: list[bytes]) -> object:
    """Return the cumulative distribution of latencies of a subset of commands or all."""
    specs = [spec for name in argv[2:] for spec in _named_specs(name)] if len(argv) > 2 else TABLE.all_specs()
    replies = []
    for spec in specs:
        times = client.server.stats.commands.get(spec.full_name)
        if times is not None and times.histogram.total:
            replies.append((spec.full_name, _histogram_reply(times.histogram)))
    return Map(replies)


@command("latency|help", arity=2, flags="loading stale", group="server", help=("HELP", "    Prints this help."))
def latency_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
