"""Hypothesis: random sequences of the string, key and collection commands publish the same
keyspace notifications (every class, new keys included), in the same order, on both servers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_notifications import EventFeed, publish_marker
from .test_random_collections import BY_TYPE, COMMON
from .test_random_multipop import BITFIELDS, MULTIPOPS, SORTS
from .test_random_sequences import COMMANDS as STRING_COMMANDS

ALL_COMMANDS = st.one_of(STRING_COMMANDS, *COMMON, *MULTIPOPS, *SORTS, *BITFIELDS,
                         *(command for commands in BY_TYPE.values() for command in commands))


@pytest.fixture
def feeds(diff, real_redis, pika_server):
    """An event feed on each server, notifications on (all classes and ``new``)."""
    diff.both("CONFIG", "SET", "notify-keyspace-events", "KEAn")
    subscribed = [EventFeed(real_redis.port), EventFeed(pika_server.port)]
    yield subscribed
    for feed in subscribed:
        feed.close()
    diff.both("CONFIG", "SET", "notify-keyspace-events", "")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(ALL_COMMANDS, min_size=1, max_size=25))
def test_random_sequences_publish_what_redis_publishes(diff, feeds, sequence):
    diff.both("FLUSHALL")
    for command in sequence:
        diff.check(*command)
    published = []
    for connection, feed in zip((diff.redis, diff.pika), feeds):
        publish_marker(connection)
        published.append(feed.until_marker())
    redis_events, pika_events = published
    assert pika_events == redis_events, sequence
