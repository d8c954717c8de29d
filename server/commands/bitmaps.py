"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD (on string values)."""

from __future__ import annotations

from pypika_store import bitops
from pypika_store.errors import (
    BitArgumentError,
    BitfieldOverflowTypeError,
    BitfieldReadOnlyError,
    BitfieldTypeError,
    BitOffsetError,
    BitopNotArityError,
    BitValueError,
    SyntaxErrorReply,
)

from ..connection import Client
from ..registry import BeginIndex, FindRange, KeyAndFlags, KeySpec, after_index, command, key_at
from ..arguments import INT64_MIN, Arguments, c_string, parse_int

def _bit_offset(client: Client, arg: bytes, field_width: int = 0) -> int:
    """A bit offset as Redis' getBitOffsetFromArgument reads it: within proto-max-bulk-len
    bytes (2^32 bits by default). For BITFIELD (``field_width``: its type's bits) ``#n`` is
    the n-th field of that width; Redis multiplies in 64 bits unchecked, so an overflowing
    ``#n`` wraps (and is then refused if negative)."""
    by_field = field_width > 0 and arg[:1] == b"#"
    offset = parse_int(arg[1:] if by_field else arg, BitOffsetError)
    if by_field:
        offset = (offset * field_width - INT64_MIN) % 2**64 + INT64_MIN
    if offset < 0 or offset >> 3 >= client.server.config.get_int("proto-max-bulk-len"):
        raise BitOffsetError()
    return offset


@command("setbit", arity=4, flags="write denyoom", keys=(1, 1, 1), group="bitmap",
         syntax="key offset:integer value:integer")
def setbit(client: Client, argv: list[bytes]) -> object:
    """Sets or clears the bit at offset in the string value stored at key."""
    offset = _bit_offset(client, argv[2])
    if argv[3] not in (b"0", b"1"):
        raise BitValueError()
    keyspace = client.keyspace
    old_value, expire_at = keyspace.get_string_entry(argv[1]) or (b"", 0)
    value, old_bit = bitops.set_bit(old_value, offset, argv[3] == b"1")
    if value != old_value:  # as Redis: a bit already so (in a string long enough) writes nothing
        keyspace.set_string(argv[1], value, expire_at, event=b"setbit")
    return old_bit


@command("getbit", arity=3, flags="readonly fast", keys=(1, 1, 1), group="bitmap", syntax="key offset:integer")
def getbit(client: Client, argv: list[bytes]) -> object:
    """Returns the bit value at offset in the string value stored at key."""
    offset = _bit_offset(client, argv[2])
    value = client.keyspace.get_string(argv[1])
    return 0 if value is None else bitops.get_bit(value, offset)


def _bit_range(argv: list[bytes], start_index: int, length: int) -> tuple[int, int, bool]:
    """Redis' [start, end] argument pair (BYTE by default, or BIT) as an inclusive bit range.

    Returns ``(first_bit, last_bit, end_given)``; an empty range has first_bit > last_bit.
    """
    unit_is_bit = False
    if len(argv) > start_index + 2:
        unit = argv[start_index + 2].upper()
        if unit not in (b"BYTE", b"BIT"):
            raise SyntaxErrorReply()
        unit_is_bit = unit == b"BIT"
    total = length * 8 if unit_is_bit else length
    start = parse_int(argv[start_index]) if len(argv) > start_index else 0
    end_given = len(argv) > start_index + 1
    end = parse_int(argv[start_index + 1]) if end_given else total - 1
    if start < 0:
        start += total
    if end < 0:
        end += total
    start, end = max(start, 0), max(end, 0)
    end = min(end, total - 1)
    if start > end:
        return 1, 0, end_given
    if unit_is_bit:
        return start, end, end_given
    return start * 8, end * 8 + 7, end_given


@command("bitcount", arity=-2, flags="readonly", keys=(1, 1, 1), group="bitmap",
         syntax="key index:[start:integer end:integer index_unit:[BYTE | BIT]]")
def bitcount(client: Client, argv: list[bytes]) -> object:
    """Count set bits in a string."""
    if len(argv) not in (2, 4, 5):
        raise SyntaxErrorReply()
    if len(argv) >= 4:
        parse_int(argv[2])
        parse_int(argv[3])
        if len(argv) == 5 and argv[4].upper() not in (b"BYTE", b"BIT"):
            raise SyntaxErrorReply()
    value = client.keyspace.get_string(argv[1])
    if value is None:
        return 0
    first_bit, last_bit, _end_given = _bit_range(argv, 2, len(value))
    return bitops.count_bits(value, first_bit, last_bit)


@command("bitpos", arity=-3, flags="readonly", keys=(1, 1, 1), group="bitmap",
         syntax="key bit:integer index:[start:integer end_index:[end:integer index_unit:[BYTE | BIT]]]")
def bitpos(client: Client, argv: list[bytes]) -> object:
    """Find first bit set or clear in a string."""
    bit = parse_int(argv[2])
    if bit not in (0, 1):
        raise BitArgumentError()
    value = client.keyspace.get_string(argv[1])
    if value is None:
        return -1 if bit else 0
    if len(argv) > 6:
        raise SyntaxErrorReply()
    first_bit, last_bit, end_given = _bit_range(argv, 3, len(value))
    if first_bit > last_bit:
        return -1
    position = bitops.find_bit(value, bit, first_bit, last_bit)
    if position < 0 and bit == 0 and not end_given:
        return last_bit + 1  # all ones: the first clear bit is just past the string
    return position


@command("bitop", arity=-4, flags="write denyoom", keys=(key_at(2, "OW update"), after_index(3, "RO access")),
         group="bitmap", syntax="operation destkey:key key [key ...]")
def bitop(client: Client, argv: list[bytes]) -> object:
    """Perform bitwise operations between strings."""
    operation = argv[1].upper()
    if operation not in (b"AND", b"OR", b"XOR", b"NOT"):
        raise SyntaxErrorReply()
    sources = argv[3:]
    if operation == b"NOT" and len(sources) != 1:
        raise BitopNotArityError()
    keyspace = client.keyspace
    values = [keyspace.get_string(key) or b"" for key in sources]
    result = bitops.bit_operation(operation, values)
    if result:
        keyspace.set_string(argv[2], result)
    else:
        keyspace.delete(argv[2])
    return len(result)


# -- BITFIELD ----------------------------------------------------------------------------------

_OVERFLOWS = {b"WRAP": bitops.WRAP, b"SAT": bitops.SAT, b"FAIL": bitops.FAIL}
#: Arguments after the subcommand name: type, offset and (SET, INCRBY) the value.
_OPERAND_COUNTS = {b"GET": 2, b"SET": 3, b"INCRBY": 3}


def _bitfield_type(arg: bytes) -> bitops.BitfieldType:
    """``i1``..``i64`` or ``u1``..``u63`` (lower case only, as Redis reads them)."""
    text = c_string(arg)
    signed = text[:1] == b"i"
    if not (signed or text[:1] == b"u"):
        raise BitfieldTypeError()
    bits = parse_int(text[1:], BitfieldTypeError)
    if bits < 1 or bits > (64 if signed else 63):
        raise BitfieldTypeError()
    return bitops.BitfieldType(signed, bits)


def _bitfield_operations(client: Client, argv: list[bytes]) -> list[bitops.BitfieldOp]:
    """Parse every subcommand first, as Redis does: an error runs none of them."""
    operations = []
    overflow = bitops.WRAP
    args = Arguments(argv, 2)
    while args:
        name = args.keyword()
        if name == b"OVERFLOW" and args:
            behaviour = args.keyword()
            if behaviour not in _OVERFLOWS:
                raise BitfieldOverflowTypeError()
            overflow = _OVERFLOWS[behaviour]
            continue
        if name not in _OPERAND_COUNTS or args.remaining() < _OPERAND_COUNTS[name]:
            raise SyntaxErrorReply()
        field = _bitfield_type(args.take())
        offset = _bit_offset(client, args.take(), field.bits)
        argument = args.take_int() if name != b"GET" else 0
        operations.append(bitops.BitfieldOp(name.decode().lower(), field, offset, argument, overflow))
    return operations


def _bitfield(client: Client, argv: list[bytes], read_only: bool) -> object:
    operations = _bitfield_operations(client, argv)
    keyspace = client.keyspace
    writes = any(op.kind != "get" for op in operations)
    if not writes:
        value = keyspace.get_string(argv[1]) or b""
        return bitops.bitfield(value, operations)[1]
    if read_only:
        raise BitfieldReadOnlyError()
    entry = keyspace.get_string_entry(argv[1])
    old_value, expire_at = entry or (b"", 0)
    value, replies = bitops.bitfield(old_value, operations)
    if entry is None or value != old_value:
        # Announced only if a SET or INCRBY applied (not refused by OVERFLOW FAIL), as Redis does.
        applied = any(reply is not None for op, reply in zip(operations, replies) if op.kind != "get")
        keyspace.set_string(argv[1], value, expire_at, event=b"setbit" if applied else None)
    return replies


#: Arguments after each BITFIELD subcommand (Redis' bitfieldGetKeys reads them so).
_BITFIELD_ARGUMENTS = {b"GET": 2, b"SET": 3, b"INCRBY": 3, b"OVERFLOW": 1}


def _bitfield_keys(argv: list[bytes]) -> list[KeyAndFlags]:
    """BITFIELD's key as Redis' bitfieldGetKeys flags it: only read while every subcommand is
    a GET (or OVERFLOW), else read and updated (a malformed call too)."""
    position, reads_only = 2, True
    while position < len(argv):
        operation = argv[position].upper()
        needed = _BITFIELD_ARGUMENTS.get(operation)
        if needed is None or len(argv) - position - 1 < needed or operation in (b"SET", b"INCRBY"):
            reads_only = False
            break
        position += needed + 1
    return [(argv[1], ("RO", "access") if reads_only else ("RW", "access", "update"))]


@command("bitfield", arity=-2, flags="write denyoom", group="bitmap", keys=(
    KeySpec(BeginIndex(1), FindRange(), ("RW", "access", "update", "variable_flags"),
            notes="This command allows both access and modification of the key"),),
         syntax="key "
                "[operation:<GET encoding_offset:<encoding offset:integer> | write:<[OVERFLOW wrap_sat_fail:<WRAP | "
                "SAT | FAIL>] write_operation:<SET encoding_offset_value:<encoding offset:integer "
                "value:integer> | INCRBY encoding_offset_increment:<encoding offset:integer "
                "increment:integer>>>> [operation ...]]", getkeys=_bitfield_keys)
def bitfield(client: Client, argv: list[bytes]) -> object:
    """Perform arbitrary bitfield integer operations on strings."""
    return _bitfield(client, argv, read_only=False)


@command("bitfield_ro", arity=-2, flags="readonly fast", keys=(1, 1, 1), group="bitmap",
         syntax="key [GET encoding_offset:<encoding offset:integer> [GET encoding_offset ...]]")
def bitfield_ro(client: Client, argv: list[bytes]) -> object:
    """Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD."""
    return _bitfield(client, argv, read_only=True)
