"""CRC-32C, the checksum of the full sync's transfer (docs/replication-protocol.md, step 3):
the master lists every snapshot file's and sends every chunk's, the slave checks both."""

from __future__ import annotations

import crcmod.predefined

crc32c = crcmod.predefined.mkCrcFun("crc-32c")

#: Bytes read at a time when checksumming a whole file.
_READ_BLOCK = 1 << 20


def file_crc32c(path: str) -> int:
    """The CRC-32C of a whole file, read a block at a time."""
    crc = crc32c(b"")
    with open(path, "rb") as handle:
        while block := handle.read(_READ_BLOCK):
            crc = crc32c(block, crc)
    return crc
