"""pypika_store/checksums.py: the CRC-32C implementations it chooses from give the same
checksums (so a binlog or a DUMP payload written with one is read with any other), and the
choice falls back in order when one is missing."""

from __future__ import annotations

import sys

import pytest

from pypika_store import checksums, dump_payload
from pypika_store.binlog import format as binlog_format
from pypika_store.keyspace import Record
from pypika_store.storage.records import TAG_STRING

#: CRC-32C's published check value (the CRC of b"123456789"), and a few more inputs: empty,
#: one byte, every byte value, a binlog-sized item, a long one.
CHECK_VALUE = 0xE3069283
SAMPLES = [b"", b"\x01", bytes(range(256)), b"*3\r\n$3\r\nset\r\n$16\r\nkey:000000000001\r\n$3\r\nxxx\r\n",
           bytes(range(256)) * 300]

IMPLEMENTATIONS = checksums.available()


def test_every_machine_has_at_least_the_c_extension_and_python():
    kinds = [kind for kind, _function in IMPLEMENTATIONS]
    assert kinds[-1] == "python" and "c" in kinds[:-1]
    assert checksums.IMPLEMENTATION == kinds[0] and checksums.crc32c is IMPLEMENTATIONS[0][1]


@pytest.mark.parametrize("kind,crc32c", IMPLEMENTATIONS, ids=[kind for kind, _ in IMPLEMENTATIONS])
def test_each_implementation_gives_the_same_checksums(kind, crc32c):
    assert crc32c(b"123456789", 0) == CHECK_VALUE
    for sample in SAMPLES:
        assert crc32c(sample, 0) == checksums.python_crc32c(sample)
        # continued over a split, as the binlog continues from its type byte's CRC
        middle = len(sample) // 2
        assert crc32c(sample[middle:], crc32c(sample[:middle], 0)) == checksums.python_crc32c(sample)


def test_the_choice_falls_back_when_an_implementation_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "crc32c", None)  # its import now fails
    assert checksums.choose()[0] == "c"
    monkeypatch.setitem(sys.modules, "crcmod._crcfunext", None)
    assert checksums.choose() == ("python", checksums.python_crc32c)


def test_the_binlog_and_dump_payloads_use_the_chosen_implementation():
    assert binlog_format.CRC_IMPLEMENTATION == checksums.IMPLEMENTATION
    item = SAMPLES[3]
    assert binlog_format.record_check(binlog_format.FULL, item) == checksums.python_crc32c(b"\x01" + item)
    payload = dump_payload.encode(Record(TAG_STRING, 0, b"value"), [])
    assert int.from_bytes(payload[-4:], "big") == checksums.python_crc32c(payload[:-4])
    assert dump_payload.decode(payload) == (Record(TAG_STRING, 0, b"value"), [])
