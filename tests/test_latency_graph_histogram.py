"""LATENCY GRAPH and LATENCY HISTOGRAM against redis-server (timings aside)."""

from __future__ import annotations

import re
import time

import pytest

from server.latency import LatencySeries, graph_report
from server.stats import LatencyHistogram

from .raw_replies import RawReplies
from .support import wait_until
from .test_latency import monitoring  # noqa: F401  (the fixture: threshold 5 ms, reset around the test)


def test_graph_errors_match_redis(diff):
    diff.both("LATENCY", "RESET")
    for args in [("GRAPH",), ("GRAPH", "command"), ("GRAPH", "nosuch"), ("GRAPH", "a", "b")]:
        diff.check("LATENCY", *args)


def _without_measures(graph: bytes) -> bytes:
    """A graph with its header's milliseconds left out (each server's timing), and the digits of
    its age labels (the rows under the bars: a sample's age, which differs by a second when the
    two servers are asked either side of a second's turn; test_graph_renders_redis_sparkline
    checks the labels exactly)."""
    graph = re.sub(rb"high \d+ ms, low \d+ ms \(all time high \d+ ms\)", b"<measures>", graph)
    return re.sub(rb"(?m)^[0-9smhd ]*[0-9][0-9smhd ]*$", lambda row: re.sub(rb"[0-9]", b"N", row.group()), graph)


def test_graph_of_one_sample_matches_redis(monitoring):
    monitoring.check("DEBUG", "SLEEP", "0.02")
    monitoring.check("LATENCY", "GRAPH", "command", normalize=_without_measures)


def test_graph_of_samples_in_two_seconds_matches_redis(monitoring):
    monitoring.check("DEBUG", "SLEEP", "0.02")
    second = int(time.time())
    wait_until(lambda: int(time.time()) > second, what="the next second")
    monitoring.check("DEBUG", "SLEEP", "0.08")
    monitoring.check("LATENCY", "GRAPH", "command", normalize=_without_measures)


def test_graph_is_verbatim_in_resp3(monitoring, real_redis, pika_server):
    monitoring.check("DEBUG", "SLEEP", "0.02")
    for port in (real_redis.port, pika_server.port):
        server = RawReplies(port)
        server.call_raw("HELLO", "3")
        assert server.call_raw("LATENCY", "GRAPH", "command").startswith(b"=")
        server.close()


def test_graph_renders_redis_sparkline():
    series = LatencySeries()
    for when, milliseconds in [(100, 10), (101, 40), (102, 25), (160, 70)]:
        series.add(when, milliseconds)
    assert graph_report(b"command", series, now=3700).split("\n") == [
        "command - high 70 ms, low 10 ms (all time high 70 ms)", "-" * 80,
        "   #", " _ |", " |_|", "_|||", "    ", "1555", "h999", " mmm", ""]


def test_graph_wraps_at_80_columns():
    series = LatencySeries()
    for when in range(100):
        series.add(when, 10 + when % 7)
    lines = graph_report(b"x", series, now=100).split("\n")
    assert max(map(len, lines[2:])) == 80 and lines.count("") == 2  # blocks separated by one empty line


def test_histogram_shape_and_calls_match_redis(diff):
    diff.both("CONFIG", "RESETSTAT")
    diff.check_all([("SET", "a", "1"), ("SET", "a", "2"), ("GET", "a"), ("CONFIG", "GET", "maxmemory")])
    for names in [("set",), ("SET", "nosuch", "get", "set"), ("config|get",), ("CONFIG|GET",), ("config|nosuch",),
                  ("config|get|x",), ("lpush",), ("config",)]:
        expected, actual = diff.both("LATENCY", "HISTOGRAM", *names)
        # A whole container's subcommands come in Redis' hash-table order: compare them by name.
        ours_by_name, theirs_by_name = dict(zip(actual[::2], actual[1::2])), dict(zip(expected[::2], expected[1::2]))
        if names == ("config",):
            assert sorted(ours_by_name) == sorted(theirs_by_name), names
        else:
            assert actual[::2] == expected[::2], names
        for name, ours in ours_by_name.items():
            theirs = theirs_by_name[name]
            assert ours[:3] == theirs[:3] and ours[3][1::2][-1] == theirs[3][1::2][-1] == ours[1]  # calls


def test_histogram_of_all_commands_names_those_called(diff):
    diff.both("CONFIG", "RESETSTAT")
    diff.check("SET", "a", "1")
    expected, actual = diff.both("LATENCY", "HISTOGRAM")
    assert set(actual[::2]) == set(expected[::2]) == {b"set", b"config|resetstat"}


def test_histogram_in_resp3_is_maps(real_redis, pika_server):
    for port in (real_redis.port, pika_server.port):
        server = RawReplies(port)
        server.call_raw("HELLO", "3")
        server.call_raw("PING")
        assert re.fullmatch(rb"%1\r\n\$4\r\nping\r\n%2\r\n\$5\r\ncalls\r\n:\d+\r\n\$14\r\nhistogram_usec\r\n%\d+\r\n(:\d+\r\n)+",
                            server.call_raw("LATENCY", "HISTOGRAM", "ping"))
        server.close()


def test_histogram_buckets_are_redis_log2_levels():
    histogram = LatencyHistogram()
    for usec in [0, 1, 7, 130, 5, 3000]:
        histogram.record_usec(usec)
    assert histogram.cumulative_usec() == [(1, 2), (8, 4), (132, 5), (4227, 6)]
