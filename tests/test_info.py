"""INFO against redis-server 7.0: the sections of each form of the command and their order,
every section's field names in Redis' order, and the counters with Redis' meaning
(commandstats' calls/rejected/failed, errorstats by error code, latencystats' percentiles)."""

from __future__ import annotations

import pytest

from .test_config import pair  # noqa: F401  (a private redis-server and pypika-store, reconfigured freely)

#: Pika's own sections and fields (kept where Pika prints them; Redis has none of them).
PIKA_SECTIONS = {"# Data"}


def headers(text: bytes) -> list[str]:
    return [line for line in text.decode().split("\r\n") if line.startswith("#") and line not in PIKA_SECTIONS]


def sections(text: bytes) -> dict[str, list[tuple[str, str]]]:
    """Section header -> its (field, value) lines, in order."""
    found: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.decode().split("\r\n"):
        if line.startswith("# "):
            current = found.setdefault(line, [])
        elif line and current is not None:
            name, _, value = line.partition(":")
            current.append((name, value))
    return found


@pytest.mark.parametrize("args", [(), ("default",), ("all",), ("everything",), ("server", "clients"),
                                  ("clients", "server"), ("KEYSPACE", "default"), ("nosuch",), ("server", "nosuch"),
                                  ("commandstats",), ("errorstats", "latencystats"), ("modules",), ("cluster",),
                                  ("cpu", "Memory", "persistence", "stats", "replication")])
def test_info_sections_and_their_order_as_redis(pair, args):
    expected, actual = pair.both("INFO", *args)
    assert headers(actual) == headers(expected)


def test_every_redis_field_in_redis_order(pair):
    """Each section's Redis fields all appear, in Redis' order (Pika's may sit among them)."""
    pair.both("CONFIG", "RESETSTAT")
    pair.both("SET", "k", "v")
    pair.both("LPUSH", "k", "x")  # an error for errorstats
    expected, actual = (sections(reply) for reply in pair.both("INFO", "everything"))
    for header, redis_fields in expected.items():
        names = [name for name, _ in redis_fields]
        ours = [name for name, _ in actual[header]]
        if header in ("# Commandstats", "# Latencystats"):  # the commands each server ran (tested below)
            prefix = "cmdstat_" if header == "# Commandstats" else "latency_percentiles_usec_"
            assert {prefix + "set", prefix + "lpush"} <= set(ours), header
            continue
        assert [name for name in ours if name in names] == names, header
    assert dict(actual["# Cluster"]) == {"cluster_enabled": "0"}
    assert dict(actual["# Server"])["redis_mode"] == "standalone"


def test_commandstats_and_errorstats_count_as_redis(pair):
    pair.both("CONFIG", "RESETSTAT")
    pair.check_all([
        ("SET", "n", "abc"), ("INCR", "n"), ("GET",), ("GET", "n"), ("LPUSH", "n", "x"), ("NOSUCHCOMMAND",),
        ("MULTI",), ("GET",), ("EXEC",), ("HGET", "n"),
    ])
    expected, actual = (sections(reply) for reply in pair.both("INFO", "commandstats", "errorstats"))
    assert dict(actual["# Errorstats"]) == dict(expected["# Errorstats"])

    def counts(fields):
        result = {}
        for name, value in fields:
            stats = dict(item.split("=") for item in value.split(","))
            assert list(stats) == ["calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"]
            result[name] = (stats["calls"], stats["rejected_calls"], stats["failed_calls"])
        return result

    redis_counts, our_counts = counts(expected["# Commandstats"]), counts(actual["# Commandstats"])
    for name in ("cmdstat_set", "cmdstat_incr", "cmdstat_get", "cmdstat_lpush", "cmdstat_exec", "cmdstat_hget"):
        assert our_counts[name] == redis_counts[name], name


def test_latencystats_prints_the_configured_percentiles(pair):
    pair.both("CONFIG", "RESETSTAT")
    for _ in range(20):
        pair.both("PING")
    expected, actual = (dict(sections(reply)["# Latencystats"]) for reply in pair.both("INFO", "latencystats"))
    ours = actual["latency_percentiles_usec_ping"]
    assert [item.split("=")[0] for item in ours.split(",")] == ["p50", "p99", "p99.9"]
    assert all(len(item.split("=")[1].split(".")[1]) == 3 for item in ours.split(","))
    assert set(expected) == set(actual)  # Redis lists them in its hash table's order
    pair.both("CONFIG", "SET", "latency-tracking-info-percentiles", "10 90")
    expected, actual = (dict(sections(reply)["# Latencystats"]) for reply in pair.both("INFO", "latencystats"))
    assert [item.split("=")[0] for item in actual["latency_percentiles_usec_ping"].split(",")] == ["p10", "p90"]
    pair.both("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")


def test_a_client_library_reads_what_it_needs_at_start_up(pika_server):
    client = pika_server.client()
    info = client.info()
    assert info["redis_version"] and info["arch_bits"] == 64
    assert info["redis_mode"] == "standalone" and info["cluster_enabled"] == 0
    assert client.info("memory")["maxmemory_policy"] == "noeviction"
    assert client.info("server", "clients").keys() >= {"redis_version", "connected_clients"}
    client.close()
