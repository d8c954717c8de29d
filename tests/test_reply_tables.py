"""The replies the dispatcher encodes itself from the encoder's tables (a bulk string under
``replies.TABLED`` bytes, an integer from 0 to ``TABLED - 1``), against redis-server, at the
tables' edges and past them, in RESP2 and RESP3, from a client, inside MULTI/EXEC and from a
script (whose commands reach the handlers through ``Dispatcher.call``)."""

from __future__ import annotations

import pytest

from pypika_store.server.resp.replies import TABLED

LENGTHS = (0, 1, TABLED - 1, TABLED, 3 * TABLED)
#: INCRBY's deltas from 0: the results at and past the integer table's edges, and negatives.
COUNTS = (0, 1, TABLED - 1, TABLED, -1, -TABLED, 2**62)


@pytest.mark.parametrize("protocol", ("2", "3"))
def test_bulk_strings_and_integers_at_the_tables_edges(diff, protocol: str) -> None:
    diff.both("HELLO", protocol)
    for length in LENGTHS:
        value = b"v" * length
        diff.check("SET", "s", value)
        diff.check("GET", "s")
        diff.check("SET", "s", b"w" * length, "GET")
        diff.check("STRLEN", "s")
    diff.check("GET", "missing")
    for count in COUNTS:
        diff.check("DEL", "n")
        diff.check("INCRBY", "n", count)
        diff.check("INCR", "n")
        diff.check("DECR", "n")
        diff.check("DECR", "n")


def test_inside_multi_and_from_a_script(diff) -> None:
    for length in (TABLED - 1, TABLED):
        diff.check("SET", "s", b"v" * length)
        diff.check("MULTI")
        diff.check("GET", "s")
        diff.check("INCRBY", "n", TABLED - 1)
        diff.check("INCR", "n")
        diff.check("EXEC")
        diff.check("EVAL", "return {redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}", "2", "s", "n")
        diff.check("DEL", "n")
