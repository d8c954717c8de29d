"""CRC-32C (Castagnoli), the engine's one checksum (binlog records, DUMP payloads), computed by
the fastest implementation this machine has, chosen once at import.

Every logged write computes one CRC over its item, so where it runs matters: the ``crc32c``
package (the ``fast`` extra) uses the CPU's SSE4.2 instruction, about 0.1 µs for a SET's item;
crcmod's C extension, which the project always installs, takes about three times that through
its Python wrapper; a crcmod built without a compiler leaves only Python, about 0.2 µs per byte.
All give the same checksums: :func:`crc32c` is ``crc32c(data, crc)`` with ``crc`` the checksum
of the bytes before ``data`` (0 to start), whichever implementation backs it.
"""

from __future__ import annotations

from typing import Callable

#: ``(data, crc of the bytes before) -> crc``.
Crc32c = Callable[[bytes, int], int]

#: CRC-32C's polynomial, bit-reflected (the form a table-driven CRC over LSB-first bytes uses).
_REFLECTED_POLYNOMIAL = 0x82F63B78


def _python_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _REFLECTED_POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _python_table()


def python_crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C in Python, one table lookup per byte: the last resort, and the reference the
    tests compare the others with."""
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _from_crc32c_package() -> tuple[str, Crc32c] | None:
    """The ``crc32c`` package: ``hardware`` when it uses SSE4.2 (or ARMv8's CRC instructions),
    ``c`` when it fell back to its own C table code."""
    try:
        import crc32c
    except ImportError:
        return None
    return ("hardware" if crc32c.hardware_based else "c"), crc32c.crc32c


def _from_crcmod_extension() -> tuple[str, Crc32c] | None:
    """crcmod's C extension, when it was built (crcmod itself silently falls back to Python
    when ``crcmod._crcfunext`` does not import: that case is :func:`python_crc32c`'s)."""
    try:
        import crcmod._crcfunext  # noqa: F401  (only whether it imports)
    except ImportError:
        return None
    import crcmod.predefined

    return "c", crcmod.predefined.mkCrcFun("crc-32c")


def available() -> list[tuple[str, Crc32c]]:
    """Every implementation importable here, fastest first, as ``(kind, function)``; the last
    is always :func:`python_crc32c`."""
    found = [choice for choice in (_from_crc32c_package(), _from_crcmod_extension()) if choice is not None]
    return [*found, ("python", python_crc32c)]


def choose() -> tuple[str, Crc32c]:
    """The fastest implementation: ``(kind, function)``, ``kind`` being ``hardware``, ``c`` or
    ``python`` (INFO's binlog_crc_implementation)."""
    return available()[0]


IMPLEMENTATION, crc32c = choose()
