"""LATENCY LATEST / HISTORY / RESET / HELP, compared with redis-server (times aside)."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def monitoring(diff):
    diff.both("LATENCY", "RESET")
    diff.both("CONFIG", "SET", "latency-monitor-threshold", "5")
    yield diff
    diff.both("CONFIG", "SET", "latency-monitor-threshold", "0")
    diff.both("LATENCY", "RESET")


def test_latency_errors_and_empty_replies_match_redis(diff):
    diff.both("LATENCY", "RESET")
    for args in [("LATEST",), ("LATEST", "x"), ("HISTORY",), ("HISTORY", "command"), ("HISTORY", "x", "y"),
                 ("RESET",), ("RESET", "a", "b"), ("NOSUCH",)]:
        diff.check("LATENCY", *args)
    diff.check("CONFIG", "GET", "latency-monitor-threshold")
    diff.check("LATENCY", "DOCTOR")          # disabled
    diff.check("CONFIG", "SET", "latency-monitor-threshold", "-1")
    diff.check("LATENCY", "HELP")


def _without_times(reply: list) -> list:
    """LATEST's or HISTORY's entries with their unix time and milliseconds left out."""
    return [[value for value in entry if type(value) is not int] for entry in reply]


def test_latency_samples_match_redis(monitoring):
    diff = monitoring
    diff.check("DEBUG", "SLEEP", "0.03")
    diff.check("DEBUG", "SLEEP", "0")        # under the threshold: no sample
    diff.check("GET", "k")
    latest = diff.check("LATENCY", "LATEST", normalize=_without_times)
    assert latest == [[b"command"]]
    history = diff.pika.call("LATENCY", "HISTORY", "command")
    assert len(history) == 1 and history[0][1] >= 30
    _event, when, last, worst = diff.pika.call("LATENCY", "LATEST")[0]
    assert [when, last] == history[0] and worst == last
    diff.check("LATENCY", "HISTORY", "fast-command")
    diff.check("LATENCY", "RESET", "command", "command", "x")
    diff.check("LATENCY", "LATEST")


def test_latency_doctor_matches_redis(monitoring):
    diff = monitoring
    diff.check("LATENCY", "DOCTOR")          # enabled, no spike yet
    diff.check("DEBUG", "SLEEP", "0.01")
    diff.check("DEBUG", "SLEEP", "0.03")     # the same second: one sample, its worst
    for slower_than in ("-1", "1000", "10000"):
        diff.check("CONFIG", "SET", "slowlog-log-slower-than", slower_than)
        diff.check("LATENCY", "DOCTOR", normalize=_without_numbers)
    diff.both("CONFIG", "SET", "slowlog-log-slower-than", "10000")


def _without_numbers(report: bytes) -> bytes:
    """A report with its spike line's measures left out (they depend on each server's timing)."""
    return re.sub(rb"\d+ latency spikes \(.*\)\. Worst all time event \d+ms", b"<spikes>", report)
