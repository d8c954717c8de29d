"""Every aggregate reply is its header line and its elements encoded one by one, in RESP2 and
RESP3: the encoder joins an aggregate of bulk strings with its header in one join (the header
first, an empty last part for the final CRLF), and the other aggregates by concatenation."""

from __future__ import annotations

import pytest

from pypika_store.server.resp.replies import BulkStrings, Map, Push, SetReply, encode, encode3

ELEMENT_LISTS = {
    "empty": [],
    "one empty string": [b""],
    "bulk strings": [b"a", b"bc", b"x" * 1023],
    "past the header table": [b"y" * 1024, b"z"],
    "mixed": [b"a", 7, None, [b"b"]],
}

#: Each aggregate's class and its header's first byte in RESP2 and RESP3.
KINDS = [(list, b"*", b"*"), (tuple, b"*", b"*"), (BulkStrings, b"*", b"*"), (SetReply, b"*", b"~"),
         (Push, b"*", b">")]


#: Each kind with each element list it may hold (BulkStrings holds bulk strings only).
CASES = [pytest.param(kind, resp2_type, resp3_type, items, id=f"{kind.__name__}-{name}")
         for kind, resp2_type, resp3_type in KINDS for name, items in ELEMENT_LISTS.items()
         if kind is not BulkStrings or all(type(item) is bytes for item in items)]


@pytest.mark.parametrize("kind, resp2_type, resp3_type, items", CASES)
def test_an_aggregate_is_its_header_then_its_elements(kind, resp2_type, resp3_type, items):
    for encoder, type_byte in ((encode, resp2_type), (encode3, resp3_type)):
        expected = type_byte + b"%d\r\n" % len(items) + b"".join(map(encoder, items))
        assert encoder(kind(items)) == expected


@pytest.mark.parametrize("pairs", [0, 5, 6, 40], ids=lambda pairs: f"{pairs} pairs")
def test_a_map_is_its_header_then_its_keys_and_values(pairs):
    items = [(b"f%d" % index, b"v" * index) for index in range(pairs)]
    body2 = b"".join(encode(part) for pair in items for part in pair)
    body3 = b"".join(encode3(part) for pair in items for part in pair)
    assert encode(Map(items)) == b"*%d\r\n" % (2 * pairs) + body2
    assert encode3(Map(items)) == b"%%%d\r\n" % pairs + body3
