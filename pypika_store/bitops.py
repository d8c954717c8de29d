"""Bit-level operations on string values (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP).

Bits are numbered as Redis numbers them: bit 0 is the most significant bit of byte 0. These are
pure functions on bytes; the commands read and write the values through the keyspace.
"""

from __future__ import annotations

_INVERT = bytes(255 - value for value in range(256))


def get_bit(value: bytes, offset: int) -> int:
    byte_index = offset >> 3
    if byte_index >= len(value):
        return 0
    return (value[byte_index] >> (7 - (offset & 7))) & 1


def set_bit(value: bytes, offset: int, bit: int) -> tuple[bytes, int]:
    """The value with bit ``offset`` set to ``bit`` (growing it with zero bytes), and the old bit."""
    byte_index = offset >> 3
    buffer = bytearray(value)
    if byte_index >= len(buffer):
        buffer.extend(b"\x00" * (byte_index + 1 - len(buffer)))
    mask = 1 << (7 - (offset & 7))
    old = 1 if buffer[byte_index] & mask else 0
    if bit:
        buffer[byte_index] |= mask
    else:
        buffer[byte_index] &= ~mask & 0xFF
    return bytes(buffer), old


def _bits_as_int(value: bytes, first_bit: int, last_bit: int) -> int:
    """Bits first..last (inclusive) of ``value`` as an integer, first bit most significant."""
    first_byte, last_byte = first_bit >> 3, last_bit >> 3
    chunk = int.from_bytes(value[first_byte : last_byte + 1], "big")
    chunk >>= 7 - (last_bit & 7)
    return chunk & ((1 << (last_bit - first_bit + 1)) - 1)


def count_bits(value: bytes, first_bit: int, last_bit: int) -> int:
    """Set bits between two bit positions, inclusive (an empty range counts 0)."""
    if first_bit > last_bit:
        return 0
    if first_bit & 7 == 0 and last_bit & 7 == 7:
        return int.from_bytes(value[first_bit >> 3 : (last_bit >> 3) + 1], "big").bit_count()
    return _bits_as_int(value, first_bit, last_bit).bit_count()


def find_bit(value: bytes, bit: int, first_bit: int, last_bit: int) -> int:
    """The position of the first ``bit`` between two bit positions, inclusive; -1 if none."""
    if first_bit > last_bit:
        return -1
    width = last_bit - first_bit + 1
    chunk = _bits_as_int(value, first_bit, last_bit)
    if not bit:
        chunk = ~chunk & ((1 << width) - 1)
    if chunk == 0:
        return -1
    return first_bit + width - chunk.bit_length()


def bit_operation(operation: bytes, values: list[bytes]) -> bytes:
    """BITOP AND/OR/XOR/NOT over values padded with zero bytes to the longest."""
    if operation == b"NOT":
        return values[0].translate(_INVERT)
    length = max(map(len, values), default=0)
    if length == 0:
        return b""
    numbers = [int.from_bytes(value.ljust(length, b"\x00"), "big") for value in values]
    result = numbers[0]
    for number in numbers[1:]:
        if operation == b"AND":
            result &= number
        elif operation == b"OR":
            result |= number
        else:
            result ^= number
    return result.to_bytes(length, "big")
