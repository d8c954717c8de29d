"""The server's resident memory around one big value: set, read back, deleted, then idle.

    python benchmarks/memory_after_big_value.py --size-mb 100 --count 1 --settle 5

A fresh pypika-server process per run (``--parser hiredis`` or ``reference``); the figures are
its resident memory from /proc, in MB, the heap (RssAnon) and LMDB's mapped data file (RssFile)
apart: after start, after SET of ``--count`` values, after GET of them, after DEL of them, and
``--settle`` seconds later. docs/memory.md has the figures and where the memory went.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing import PikaServer  # noqa: E402


def resident_mb(pid: int) -> tuple[float, float]:
    """``(anonymous, file-backed)`` resident memory of ``pid`` in MB: the process' own heap
    and buffers, and the pages of mapped files (LMDB's data file) it has touched."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _colon, value = line.partition(":")
            fields[name] = value
    return int(fields["RssAnon"].split()[0]) / 1024, int(fields["RssFile"].split()[0]) / 1024


def run(size: int, count: int, settle: float, use_hiredis: bool) -> dict[str, tuple[float, float]]:
    config = {"use-hiredis": "yes" if use_hiredis else "no"}
    with PikaServer(mode="process", config=config) as server:
        pid = server.pid
        assert pid is not None
        client = server.client()
        client.ping()
        figures = {"started": resident_mb(pid)}
        keys = [b"big%d" % index for index in range(count)]
        for key in keys:
            client.set(key, os.urandom(size))
        figures["after SET"] = resident_mb(pid)
        for key in keys:
            assert len(client.get(key)) == size
        figures["after GET"] = resident_mb(pid)
        client.delete(*keys)
        figures["after DEL"] = resident_mb(pid)
        time.sleep(settle)
        figures[f"{settle:g} s later"] = resident_mb(pid)
        client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--count", type=int, default=1, help="values of --size-mb each")
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--parser", choices=("hiredis", "reference"), default="hiredis")
    options = parser.parse_args()
    figures = run(options.size_mb * 1024 * 1024, options.count, options.settle, options.parser == "hiredis")
    print("MB (heap + mapped file) | " + " | ".join(figures))
    print(f"{options.parser} | " + " | ".join(f"{heap:.0f} + {mapped:.0f}" for heap, mapped in figures.values()))


if __name__ == "__main__":
    main()
