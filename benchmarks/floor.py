"""The floor of issue #16: redis-server, benchmarks/floor_server.py at each level and pypika-store, interleaved.

    python benchmarks/floor.py                                   # set,get,incr,lpush at -P 1 and 16, 3 rounds
    python benchmarks/floor.py --rounds 5 --gc freeze,disable    # also the binlog floor with gc.freeze / gc.disable
    python benchmarks/floor.py --markdown floor.md

Every server takes one redis-benchmark run in turn, test by test (benchmarks/compare_redis.py's
ServerProcess and run_benchmark, -c 50), ``--rounds`` times; each figure is the median of its
rounds. Printed per server: requests per second, the ratio to redis-server's, and the server
process' CPU time (utime + stime from /proc) per request in µs, the figure that holds when the
machine is shared. redis-server runs with AOF and ``appendfsync everysec``, pypika-store with
``sync-policy everysec`` and its binlog, the floor servers as their levels say (LMDB without
fsync per commit, as pypika-store under everysec).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.compare_redis import HERE, ServerProcess, interleaved_runs, pypika_server, redis_server  # noqa: E402
from benchmarks.floor_server import LEVELS  # noqa: E402

FLOOR_SERVER = os.path.join(HERE, "benchmarks", "floor_server.py")


def floor_server(level: str, collector: str) -> ServerProcess:
    name = f"floor {level}" + ("" if collector == "default" else f" gc={collector}")
    return ServerProcess(name, [sys.executable, FLOOR_SERVER, "--port", "{port}", "--dir", "{dir}",
                                "--level", level, "--gc", collector])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50_000, help="per run at -P 1 (four times that when pipelined)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default="set,get,incr,lpush")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gc", default="", help="also the binlog floor with these gc settings: freeze,disable")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file")
    options = parser.parse_args()

    servers = [redis_server("everysec")]
    try:
        servers += [floor_server(level, "default") for level in LEVELS]
        servers += [floor_server("binlog", collector) for collector in options.gc.split(",") if collector]
        servers.append(pypika_server("pypika-store", HERE, "everysec", "yes"))
        rates, cpu = interleaved_runs(servers, options.tests, options.pipelines, options.requests, options.clients,
                                      options.rounds)
    finally:
        for server in servers:
            server.stop()

    names = [server.name for server in servers]
    lines = [f"{'test':<6} {'-P':>3}  {'server':<22} {'req/s':>10} {'ratio':>6} {'CPU µs/req':>10}"]
    markdown = ["| test | -P | redis-server req/s | " + " | ".join(f"{name}: ratio, CPU µs/req" for name in names) +
                " |", "|---|---:|---:|" + "---:|" * len(names)]
    for test, pipeline in dict.fromkeys((test, pipeline) for test, pipeline, _name in rates):
        median_rate = {name: statistics.median(rates[test, pipeline, name]) for name in names}
        median_cpu = {name: statistics.median(cpu[test, pipeline, name]) for name in names}
        redis = median_rate["redis-server"]
        for name in names:
            lines.append(f"{test.upper():<6} {pipeline:>3}  {name:<22} {median_rate[name]:>10,.0f} "
                         f"{median_rate[name] / redis:>6.2f} {median_cpu[name]:>10.2f}")
        markdown.append(f"| {test.upper()} | {pipeline} | {redis:,.0f} | " + " | ".join(
            f"{median_rate[name] / redis:.2f}, {median_cpu[name]:.2f}" for name in names) + " |")
    print("\n".join(lines))
    if options.markdown:
        with open(options.markdown, "w", encoding="utf-8") as handle:
            handle.write("\n".join(markdown) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
