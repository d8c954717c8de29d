"""CLUSTER, READONLY, READWRITE, ASKING answer as a redis-server without cluster support."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("call", [
    ("CLUSTER", "INFO"), ("CLUSTER", "info", "x"), ("CLUSTER", "HELP"), ("CLUSTER", "KEYSLOT", "a"),
    ("CLUSTER", "KEYSLOT"), ("CLUSTER", "NOSUCH"), ("CLUSTER",), ("CLUSTER", "NODES"), ("CLUSTER", "SLOTS"),
    ("CLUSTER", "SETSLOT", "1", "NODE", "x"), ("CLUSTER", "RESET", "HARD"), ("READONLY",), ("READWRITE",),
    ("ASKING",), ("READONLY", "x"),
])
def test_cluster_commands_answer_as_redis_without_cluster(diff, call):
    diff.check(*call)


def test_cluster_command_info_is_redis(diff):
    for name in ("cluster|info", "cluster|setslot", "readonly", "asking"):
        expected, actual = diff.both("COMMAND", "INFO", name)
        assert actual[0][:7] == expected[0][:7], name
