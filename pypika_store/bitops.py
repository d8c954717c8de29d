"""Bit-level operations on string values (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD).

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


# -- BITFIELD ----------------------------------------------------------------------------------


class BitfieldType:
    """A BITFIELD integer type: ``i1``..``i64`` (signed) or ``u1``..``u63`` (unsigned)."""

    __slots__ = ("signed", "bits", "low", "high")

    def __init__(self, signed: bool, bits: int) -> None:
        self.signed = signed
        self.bits = bits
        self.low = -(1 << (bits - 1)) if signed else 0
        self.high = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1

    def wrap(self, number: int) -> int:
        """``number`` modulo 2^bits, read back as this type (two's complement when signed)."""
        number &= (1 << self.bits) - 1
        if self.signed and number > self.high:
            number -= 1 << self.bits
        return number


def get_field(value: bytes | bytearray, offset: int, field: BitfieldType) -> int:
    """The integer stored in the ``field.bits`` bits at bit ``offset`` (past the end: zeros)."""
    last_bit = offset + field.bits - 1
    chunk = value[offset >> 3 : (last_bit >> 3) + 1].ljust((last_bit >> 3) - (offset >> 3) + 1, b"\x00")
    number = (int.from_bytes(chunk, "big") >> (7 - (last_bit & 7))) & ((1 << field.bits) - 1)
    return field.wrap(number)


def set_field(buffer: bytearray, offset: int, field: BitfieldType, number: int) -> None:
    """Write ``number`` (already within the type) into the bits at ``offset`` of ``buffer``,
    which is long enough."""
    first_byte, last_bit = offset >> 3, offset + field.bits - 1
    last_byte = last_bit >> 3
    shift = 7 - (last_bit & 7)
    mask = ((1 << field.bits) - 1) << shift
    chunk = int.from_bytes(buffer[first_byte : last_byte + 1], "big")
    chunk = (chunk & ~mask) | ((number & ((1 << field.bits) - 1)) << shift)
    buffer[first_byte : last_byte + 1] = chunk.to_bytes(last_byte - first_byte + 1, "big")


#: OVERFLOW behaviours: wrap around, saturate at the type's limits, or fail (no write, nil).
WRAP, SAT, FAIL = "wrap", "sat", "fail"


def fit(field: BitfieldType, number: int, overflow: str) -> int | None:
    """``number`` made to fit ``field`` as Redis' check*BitfieldOverflow does; None when it
    does not fit and the overflow behaviour is FAIL."""
    if field.low <= number <= field.high:
        return number
    if overflow == WRAP:
        return field.wrap(number)
    if overflow == SAT:
        return field.high if number > field.high else field.low
    return None


class BitfieldOp:
    """One GET, SET or INCRBY of a BITFIELD call, with the OVERFLOW in force for it."""

    __slots__ = ("kind", "field", "offset", "argument", "overflow")

    def __init__(self, kind: str, field: BitfieldType, offset: int, argument: int, overflow: str) -> None:
        self.kind = kind
        self.field = field
        self.offset = offset
        self.argument = argument
        self.overflow = overflow


def bitfield(value: bytes, operations: list[BitfieldOp]) -> tuple[bytes, list[int | None]]:
    """Run BITFIELD's operations in order over ``value``: the resulting value (grown with zero
    bytes up to the farthest bit a SET or INCRBY reaches, even one that failed, as Redis grows
    it first) and one reply per operation (None: an overflow under FAIL)."""
    writes = [op for op in operations if op.kind != "get"]
    if not writes:
        return value, [get_field(value, op.offset, op.field) for op in operations]
    buffer = bytearray(value)
    needed = (max(op.offset + op.field.bits - 1 for op in writes) >> 3) + 1
    if needed > len(buffer):
        buffer.extend(bytes(needed - len(buffer)))
    replies: list[int | None] = []
    for op in operations:
        old = get_field(buffer, op.offset, op.field)
        if op.kind == "get":
            replies.append(old)
        elif (new := fit(op.field, _wanted(op, old), op.overflow)) is None:
            replies.append(None)
        else:
            set_field(buffer, op.offset, op.field, new)
            replies.append(old if op.kind == "set" else new)
    return bytes(buffer), replies


def _wanted(op: BitfieldOp, old: int) -> int:
    """The value a SET or INCRBY would write before it is made to fit the type."""
    if op.kind == "set":
        if not op.field.signed:  # Redis reads an unsigned type's new value as the argument's 64-bit pattern
            return op.argument & (2**64 - 1)
        if op.overflow == SAT and op.field.bits < 64 and op.field.high - op.argument >= 2**63:
            # Redis' check computes the type's maximum minus the value in 64 bits: that wraps
            # for a value this far below the type, and it saturates at the maximum.
            return op.field.high + 1
        return op.argument
    return old + op.argument
