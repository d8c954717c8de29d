"""What the dispatcher counts per call, against redis-server 7.0 where both count the same
thing: INFO commandstats' calls and failures (each server its own, even two in one process),
total_commands_processed, calls of a millisecond or more (counted apart from the short ones),
and the lookups SET ... GET counts (none when its options are refused)."""

from __future__ import annotations

from pypika_store.testing import PikaServer

from .test_config import pair  # noqa: F401  (a private redis-server and pypika-store, reconfigured freely)


def _info(reply: bytes) -> dict[str, str]:
    return dict(line.split(":", 1) for line in reply.decode().split("\r\n") if ":" in line)


def _commandstat(reply: bytes, name: str) -> dict[str, str]:
    """One command's calls, usec, rejected_calls and failed_calls (usec_per_call left out)."""
    text = _info(reply).get(f"cmdstat_{name}")
    return {} if text is None else dict(part.split("=") for part in text.split(","))


def _counts(pair, name: str) -> list[tuple[str, str, str]]:  # noqa: F811
    """Each server's (calls, rejected_calls, failed_calls) of command ``name``."""
    stats = [_commandstat(reply, name) for reply in pair.both("INFO", "commandstats")]
    return [(stat.get("calls"), stat.get("rejected_calls"), stat.get("failed_calls")) for stat in stats]


def test_calls_and_failures_count_as_redis(pair):  # noqa: F811
    pair.both("CONFIG", "RESETSTAT")
    for command in (("SET", "k", "1"), ("SET", "k", "2"), ("INCR", "k"), ("LPUSH", "k", "x"),
                    ("SET", "k", "v", "BADOPTION"), ("GET", "k"), ("GET", "k", "extra")):
        pair.both(*command)
    for name in ("set", "incr", "lpush", "get"):
        expected, actual = _counts(pair, name)
        assert actual == expected, name
    assert _counts(pair, "set")[1] == ("3", "0", "1")
    assert _counts(pair, "get")[1] == ("1", "1", "0")


def test_config_resetstat_counts_its_own_call_after_the_reset(pair):  # noqa: F811
    pair.both("SET", "k", "1")
    pair.both("CONFIG", "RESETSTAT")
    expected, actual = _counts(pair, "config|resetstat")
    assert actual == expected == ("1", "0", "0")
    assert _counts(pair, "set") == [(None, None, None)] * 2


def test_total_commands_processed_counts_every_call(pair):  # noqa: F811
    pair.both("CONFIG", "RESETSTAT")
    for _ in range(5):
        pair.both("PING")
    pair.both("MULTI")
    pair.both("INCR", "n")
    pair.both("EXEC")
    expected, actual = (int(_info(reply)["total_commands_processed"]) for reply in pair.both("INFO", "stats"))
    assert actual == expected == 9  # the five PINGs, MULTI, EXEC, INCR, and CONFIG RESETSTAT itself


def test_a_call_of_a_millisecond_or_more_counts_its_whole_microseconds(pair):  # noqa: F811
    pair.both("CONFIG", "RESETSTAT")
    pair.pika.call("DEBUG", "SLEEP", "0.003")
    stat = _commandstat(pair.pika.call("INFO", "commandstats"), "debug")
    assert stat["calls"] == "1" and int(stat["usec"]) >= 3000
    latency = _info(pair.pika.call("INFO", "latencystats"))["latency_percentiles_usec_debug"]
    assert float(latency.split(",")[0].split("=")[1]) >= 3.0  # p50, in microseconds


def test_set_get_counts_its_lookup_unless_its_options_are_refused(pair):  # noqa: F811
    pair.both("FLUSHALL")
    pair.both("SET", "k", "v")
    for command, counted in ((("SET", "k", "v", "GET", "BADOPTION"), (0, 0)), (("SET", "k", "w", "GET"), (1, 0)),
                             (("SET", "nx", "w", "GET"), (0, 1)), (("SET", "k", "v", "EX", "0", "GET"), (0, 0))):
        pair.both("CONFIG", "RESETSTAT")
        pair.check(*command)
        for reply in pair.both("INFO", "stats"):
            info = _info(reply)
            assert (int(info["keyspace_hits"]), int(info["keyspace_misses"])) == counted, command


def test_two_servers_in_one_process_count_their_own_calls():
    with PikaServer() as first, PikaServer() as second:
        one, other = first.client(), second.client()
        one.config_resetstat()
        other.config_resetstat()
        for _ in range(3):
            one.set("k", "v")
        other.set("k", "v")
        assert one.info("commandstats")["cmdstat_set"]["calls"] == 3
        assert other.info("commandstats")["cmdstat_set"]["calls"] == 1
        one.close()
        other.close()
