"""``pypika-bench lock-scope``: the bgsave lock-scope trade-off as a repeatable experiment.

Pika's PR #2818 widened the DB lock a bgsave takes from "the command" to "the command and its
binlog write" and measured 153,401 -> 152,590 SET/s (p99 3.279 -> 3.359 ms): one run each, so
the difference may be noise. This tool measures both scopes interleaved (A B, B A, A B, ...)
``--repetitions`` times, each run on a fresh server process, under a load of SET pipelines from
``--clients`` connections while BGSAVE runs every ``--interval-ms``, and reports per scope the
mean and 95% confidence interval of throughput, latency percentiles, the bgsave's lock wait and
hold, the turns' waits for it, and how many snapshots recorded a binlog offset that disagrees
with their data. A Welch t-test decides whether the throughput and p99 differences are
significant.

The load generator is our own asyncio client (not redis-benchmark) so every run lasts exactly
``--duration`` seconds; a pipeline's round trip is the latency of each request in it, as
redis-benchmark counts it. Each snapshot is verified by the server itself (the data's applied
binlog position against the recorded one, ``bgsave_offset_mismatches`` in INFO); the bench
waits for each BGSAVE to finish, so every request is one snapshot checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from pypika_store.locks import SCOPE_COMMAND, SCOPE_COMMAND_AND_BINLOG

from .embedded import PikaServer, wait_for

#: Wider scope first: it is the default, and the reference the narrow one is compared with.
SCOPES = (SCOPE_COMMAND_AND_BINLOG, SCOPE_COMMAND)

#: Two-sided 95% Student t critical values by degrees of freedom; beyond 30 the normal 1.96.
_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
          2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
          2.052, 2.048, 2.045, 2.042)

#: (field, label, unit) for every figure a run reports, in table order.
METRICS = (
    ("throughput", "SET/s", ""),
    ("p50_ms", "p50", "ms"),
    ("p99_ms", "p99", "ms"),
    ("p999_ms", "p99.9", "ms"),
    ("lock_wait_p99_us", "lock wait p99", "µs"),
    ("lock_hold_p99_us", "lock hold p99", "µs"),
    ("turn_wait_p99_us", "turn wait p99", "µs"),
    ("snapshots", "snapshots", ""),
    ("disagreeing", "data ≠ offset", ""),
)


@dataclass(frozen=True)
class Parameters:
    clients: int = 50
    pipeline: int = 16
    value_size: int = 3
    keyspace: int = 100_000
    interval_ms: float = 50.0
    duration: float = 10.0
    repetitions: int = 5


@dataclass
class Run:
    """One scope measured once, on a fresh server."""

    scope: str
    repetition: int
    throughput: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    lock_wait_p99_us: int
    lock_hold_p99_us: int
    snapshots: int
    disagreeing: int
    #: How long the turns that found a bgsave holding the lock waited (INFO turn_lock_wait_p99_us).
    turn_wait_p99_us: int = 0


# -- load ---------------------------------------------------------------------------------------

def _set_pipeline(parameters: Parameters, rng: random.Random) -> bytes:
    value = b"x" * parameters.value_size
    commands = []
    for _ in range(parameters.pipeline):
        key = b"key:%012d" % rng.randrange(parameters.keyspace)
        commands.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
    return b"".join(commands)


async def _client(port: int, parameters: Parameters, deadline: float, seed: int, latencies: list[float]) -> None:
    """Send SET pipelines until ``deadline``, recording each pipeline's round trip."""
    rng = random.Random(seed)
    payloads = [_set_pipeline(parameters, rng) for _ in range(64)]
    expected = b"+OK\r\n" * parameters.pipeline
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            sent_at = time.perf_counter()
            writer.write(payloads[rng.randrange(len(payloads))])
            reply = await reader.readexactly(len(expected))
            latencies.append(time.perf_counter() - sent_at)
            if reply != expected:
                raise RuntimeError(f"unexpected reply to SET: {reply[:80]!r}")
    finally:
        writer.close()


async def _load(port: int, parameters: Parameters) -> tuple[list[float], float]:
    """Pipeline round trips (seconds) from all clients, and the seconds the load lasted."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + parameters.duration
    await asyncio.gather(*(_client(port, parameters, deadline, seed, latencies)
                           for seed in range(parameters.clients)))
    return latencies, time.perf_counter() - started


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def measure(scope: str, repetition: int, parameters: Parameters) -> Run:
    """One run: a fresh server with ``scope``, the load, and BGSAVE after BGSAVE meanwhile."""
    with PikaServer(mode="process", config={"bgsave-lock-scope": scope}) as server:
        control = server.client()
        done = threading.Event()
        counts = {"snapshots": 0, "disagreeing": 0}

        def saving() -> bool:
            return bool(control.info("persistence")["rdb_bgsave_in_progress"])

        def bgsaves() -> None:
            while not done.wait(parameters.interval_ms / 1000):
                before = control.info("persistence")["bgsave_offset_mismatches"]
                control.bgsave()
                wait_for(lambda: not saving(), 60, "BGSAVE to finish", interval=0.002)
                counts["snapshots"] += 1
                counts["disagreeing"] += control.info("persistence")["bgsave_offset_mismatches"] - before

        saver = threading.Thread(target=bgsaves, name="bench-bgsave")
        saver.start()
        try:
            latencies, elapsed = asyncio.run(_load(server.port, parameters))
        finally:
            done.set()
            saver.join()
        info = control.info("persistence")
        control.close()
    latencies.sort()
    return Run(scope, repetition, len(latencies) * parameters.pipeline / elapsed,
               _percentile(latencies, 0.50) * 1000, _percentile(latencies, 0.99) * 1000,
               _percentile(latencies, 0.999) * 1000, info["bgsave_lock_wait_p99_us"],
               info["bgsave_lock_hold_p99_us"], counts["snapshots"], counts["disagreeing"],
               info["turn_lock_wait_p99_us"])


def experiment(parameters: Parameters, progress=print) -> list[Run]:
    """Both scopes ``repetitions`` times, the order alternating so drift in the machine's load
    falls on both alike."""
    runs = []
    for repetition in range(parameters.repetitions):
        for scope in SCOPES if repetition % 2 == 0 else SCOPES[::-1]:
            run = measure(scope, repetition, parameters)
            progress(f"  run {repetition + 1}/{parameters.repetitions} {scope:<15} {run.throughput:>9,.0f} SET/s  "
                     f"p99 {run.p99_ms:.2f} ms  {run.disagreeing}/{run.snapshots} snapshots disagree")
            runs.append(run)
    return runs


# -- statistics ---------------------------------------------------------------------------------

def t_critical(degrees_of_freedom: float) -> float:
    """The two-sided 95% t value (degrees of freedom rounded down, as tables are read)."""
    whole = max(1, math.floor(degrees_of_freedom))
    return _T_975[whole - 1] if whole <= len(_T_975) else 1.96


@dataclass(frozen=True)
class Estimate:
    mean: float
    half_width: float  # of the 95% confidence interval
    stdev: float
    count: int


def estimate(values: list[float]) -> Estimate:
    stdev = statistics.stdev(values)
    return Estimate(statistics.fmean(values), t_critical(len(values) - 1) * stdev / math.sqrt(len(values)),
                    stdev, len(values))


def welch(first: Estimate, second: Estimate) -> tuple[float, float]:
    """The difference of means (second - first) and its 95% confidence half-width (Welch)."""
    first_var, second_var = first.stdev ** 2 / first.count, second.stdev ** 2 / second.count
    spread = first_var + second_var
    if spread == 0:
        return second.mean - first.mean, 0.0
    degrees = spread ** 2 / (first_var ** 2 / (first.count - 1) + second_var ** 2 / (second.count - 1))
    return second.mean - first.mean, t_critical(degrees) * math.sqrt(spread)


def summarise(runs: list[Run]) -> dict[str, dict[str, Estimate]]:
    return {scope: {field: estimate([getattr(run, field) for run in runs if run.scope == scope])
                    for field, _, _ in METRICS} for scope in SCOPES}


def verdict(summary: dict[str, dict[str, Estimate]], runs: list[Run]) -> str:
    """One line: is the narrow scope's throughput/p99 significantly different, and does only it
    produce disagreeing snapshots?"""
    wide, narrow = (summary[scope] for scope in SCOPES)
    parts = []
    for field, label, unit in (("throughput", "throughput", "SET/s"), ("p99_ms", "p99", "ms")):
        difference, half_width = welch(wide[field], narrow[field])
        significant = abs(difference) > half_width
        relative = difference / wide[field].mean * 100 if wide[field].mean else 0.0
        parts.append(f"{label} {relative:+.1f}% ({difference:+,.2f} ± {half_width:,.2f} {unit}, "
                     f"{'significant' if significant else 'not significant'})")
    disagree = "; ".join(
        f"{scope}: {sum(run.disagreeing for run in runs if run.scope == scope)} of "
        f"{sum(run.snapshots for run in runs if run.scope == scope)} snapshots disagree" for scope in SCOPES)
    return f"verdict: narrow scope '{SCOPE_COMMAND}' vs '{SCOPE_COMMAND_AND_BINLOG}': " + "; ".join(parts) + \
        f"; {disagree}"


# -- report -------------------------------------------------------------------------------------

def _format(value: Estimate, unit: str) -> str:
    precision = ",.0f" if abs(value.mean) >= 100 else ".2f"
    return f"{value.mean:{precision}} ± {value.half_width:{precision}}{(' ' + unit) if unit else ''}"


def table(summary: dict[str, dict[str, Estimate]]) -> str:
    """Markdown: one row per scope, mean ± 95% CI half-width per metric."""
    header = "| bgsave-lock-scope | " + " | ".join(label for _, label, _ in METRICS) + " |"
    rows = [header, "|---|" + "---:|" * len(METRICS)]
    for scope in SCOPES:
        rows.append(f"| {scope} | " + " | ".join(_format(summary[scope][field], unit)
                                                 for field, _, unit in METRICS) + " |")
    return "\n".join(rows)


def text_chart(summary: dict[str, dict[str, Estimate]], width: int = 40) -> str:
    """Bars of the means with the CI marked, for when matplotlib is not installed."""
    lines = []
    for field, label, unit in METRICS:
        top = max(summary[scope][field].mean + summary[scope][field].half_width for scope in SCOPES) or 1.0
        lines.append(f"{label} ({unit})" if unit else label)
        for scope in SCOPES:
            value = summary[scope][field]
            bar = "#" * round(value.mean / top * width)
            lines.append(f"  {scope:<15} {bar:<{width}} {_format(value, unit)}")
    return "\n".join(lines)


def plot(summary: dict[str, dict[str, Estimate]], runs: list[Run], path: str, parameters: Parameters) -> None:
    """One panel per metric: each run as a dot, the mean as a bar with its 95% CI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 3, figsize=(12, 9))
    for axis, (field, label, unit) in zip(axes.flat, METRICS):
        means = [summary[scope][field].mean for scope in SCOPES]
        errors = [summary[scope][field].half_width for scope in SCOPES]
        axis.bar(range(len(SCOPES)), means, yerr=errors, capsize=6, color=["tab:blue", "tab:red"], alpha=0.6)
        for index, scope in enumerate(SCOPES):
            values = [getattr(run, field) for run in runs if run.scope == scope]
            axis.plot([index] * len(values), values, "k.", markersize=5)
        axis.set_xticks(range(len(SCOPES)), SCOPES)
        axis.set_title(f"{label} ({unit})" if unit else label)
    figure.suptitle(f"bgsave-lock-scope: {parameters.repetitions} interleaved runs × {parameters.duration:g} s, "
                    f"{parameters.clients} clients × pipeline {parameters.pipeline}, BGSAVE every "
                    f"{parameters.interval_ms:g} ms (bars: mean, 95% CI)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def lock_scope(parameters: Parameters, output: str) -> dict[str, Any]:
    """Run the experiment, print and save the results (``results.json``, ``results.md``, a
    plot) under ``output``; return what was saved."""
    os.makedirs(output, exist_ok=True)
    print(f"lock-scope: {parameters}", flush=True)
    runs = experiment(parameters, progress=lambda line: print(line, flush=True))
    summary = summarise(runs)
    line = verdict(summary, runs)
    report = table(summary) + "\n\n" + line + "\n"
    try:
        plot_path = os.path.join(output, "lock-scope.png")
        plot(summary, runs, plot_path, parameters)
    except ImportError:
        plot_path = os.path.join(output, "lock-scope.txt")
        with open(plot_path, "w", encoding="utf-8") as handle:
            handle.write(text_chart(summary) + "\n")
        print(text_chart(summary))
    print(report + f"plot: {plot_path}")
    results = {"parameters": asdict(parameters), "load": os.getloadavg(), "runs": [asdict(run) for run in runs],
               "summary": {scope: {field: asdict(value) for field, value in fields.items()}
                           for scope, fields in summary.items()},
               "verdict": line, "plot": plot_path}
    with open(os.path.join(output, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2, default=str)
    with open(os.path.join(output, "results.md"), "w", encoding="utf-8") as handle:
        handle.write(report)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pypika-bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    experiments = parser.add_subparsers(dest="experiment", required=True)
    command = experiments.add_parser("lock-scope", help="the bgsave lock-scope trade-off")
    defaults = Parameters()
    for name, help_text in (("clients", "load connections"), ("pipeline", "SETs per pipeline"),
                            ("value-size", "bytes per value"), ("keyspace", "distinct keys"),
                            ("interval-ms", "pause between the end of one BGSAVE and the next"),
                            ("duration", "seconds of load per run"), ("repetitions", "runs per scope")):
        default = getattr(defaults, name.replace("-", "_"))
        command.add_argument(f"--{name}", type=type(default), default=default,
                             help=f"{help_text} (default {default})")
    command.add_argument("--output", default="lock-scope-results", help="folder for results and the plot")
    args = parser.parse_args(argv)
    if args.repetitions < 2:
        parser.error("--repetitions must be at least 2: a confidence interval needs two runs per scope")
    parameters = Parameters(**{field: getattr(args, field) for field in asdict(defaults)})
    lock_scope(parameters, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
