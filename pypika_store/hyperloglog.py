"""HyperLogLog values (PFADD, PFCOUNT, PFMERGE), byte-compatible with Redis 7.0.

A HyperLogLog is an ordinary string value, so whatever we store must be exactly the string
redis-server would store for the same commands: clients GET it, copy it between servers with
DUMP/RESTORE or SET, and replicas/AOF files carry it verbatim. These are pure functions on bytes;
the commands read and write the values through the keyspace.

Layout (16-byte header, then registers):

* ``b"HYLL"``, one encoding byte (0 dense, 1 sparse), three unused bytes;
* 8 bytes of cached cardinality, little endian; the top bit of the last byte set means the
  cache is stale (PFADD/PFMERGE only set that bit, the other cached bytes stay as they were);
* dense: 16384 registers of 6 bits packed LSB first (12288 bytes, 12304 in all);
* sparse: opcodes ``00xxxxxx`` ZERO (1..64 zero registers), ``01xxxxxx yyyyyyyy`` XZERO
  (1..16384 zero registers) and ``1vvvvvxx`` VAL (1..4 registers of value 1..32).

The sparse form is not canonical: its bytes depend on the order registers were set in (splits
happen in place and only neighbouring VAL opcodes are coalesced). To match Redis byte for byte we
replay its algorithm (hllSparseSet) opcode by opcode. The opcode bytes live in a bytearray next
to a list of the register each byte starts at, so finding a register's opcode is a bisect and an
update a slice assignment, both in C; the parsed form of the sparse values we return is kept in
a small cache so the next command on the same value does not parse it again. Dense registers
are unpacked, packed, merged and counted with ``bytes.translate``, slicing and big-integer
arithmetic rather than a Python loop per register.

Invalid values behave as in Redis: a string that is not an HLL gives ``WRONGTYPE Key is not a
valid HyperLogLog string value.``; a sparse HLL whose opcodes do not cover exactly 16384
registers gives ``INVALIDOBJ Corrupted HLL object detected`` when a command has to walk it.
Corrupt sparse values are followed into Redis' odd corners too (an XZERO cut by the end of the
string reads the byte after the end; PFADD keeps the updates made before it met the
corruption), and the redis-server we compare with (Debian's 7.0.15) carries the CVE-2025-32023
fix, which rejects any opcode running past the last register.
"""

from __future__ import annotations

import math
import random
import re
import struct
import threading
from bisect import bisect_right
from itertools import accumulate
from typing import Callable

from pypika_store.errors import CorruptedHLLError, InvalidHllError, hll_self_test_failed

__all__ = [
    "CorruptedHLLError",
    "DEFAULT_SPARSE_MAX_BYTES",
    "DENSE",
    "DENSE_SIZE",
    "HEADER_SIZE",
    "REGISTERS",
    "SPARSE",
    "cached_cardinality",
    "encoding_of",
    "hash_element",
    "is_hll",
    "new_hll",
    "pattern_length",
    "pfadd",
    "pfcount",
    "pfmerge",
    "registers",
    "self_test",
    "to_dense",
]


P = 14  # register index bits
Q = 64 - P  # hash bits left for the run of zeroes
REGISTERS = 1 << P  # 16384
REGISTER_MAX = 63  # 6-bit registers
HEADER_SIZE = 16
DENSE_SIZE = HEADER_SIZE + (REGISTERS * 6 + 7) // 8  # 12304
DENSE = 0
SPARSE = 1
DEFAULT_SPARSE_MAX_BYTES = 3000  # redis.conf hll-sparse-max-bytes
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384
_ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2), as Redis spells it

_MAGIC = b"HYLL"
_SEED = 0xADC83B19
_M = 0xC6A4A7935BD1E995
_MASK64 = (1 << 64) - 1
_P_MASK = REGISTERS - 1
_Q_GUARD = 1 << Q  # stops the zero run at Q+1

# ---------------------------------------------------------------------------------------------
# Hashing


_BLOCKS: dict[int, struct.Struct] = {}


def hash_element(element: bytes) -> int:
    """MurmurHash64A with Redis' seed (0xadc83b19), reading 8-byte blocks little endian.

    Redis made its copy endian-neutral, so little-endian reading is the reference everywhere.
    """
    length = len(element)
    h = _SEED ^ ((length * _M) & _MASK64)
    blocks = length >> 3
    if blocks:
        unpacker = _BLOCKS.get(blocks)
        if unpacker is None:
            unpacker = _BLOCKS[blocks] = struct.Struct(f"<{blocks}Q")
        for k in unpacker.unpack_from(element):
            k = (k * _M) & _MASK64
            k ^= k >> 47
            h ^= (k * _M) & _MASK64
            h = (h * _M) & _MASK64
    tail = length & 7
    if tail:
        h ^= int.from_bytes(element[length - tail:], "little")
        h = (h * _M) & _MASK64
    h ^= h >> 47
    h = (h * _M) & _MASK64
    return h ^ (h >> 47)


def pattern_length(element: bytes) -> tuple[int, int]:
    """(register index, run length) for an element: the low 14 hash bits pick the register,
    the count is 1 + trailing zeroes of the remaining 50 bits (so 1..51)."""
    h = hash_element(element)
    rest = (h >> P) | _Q_GUARD
    return h & _P_MASK, (rest & -rest).bit_length()


# ---------------------------------------------------------------------------------------------
# Header helpers


def is_hll(value: bytes) -> bool:
    """True if Redis would accept ``value`` as an HLL (its isHLLObjectOrReply checks).

    Only the header and, for dense, the exact length are checked; a sparse body is only found
    corrupt when a command walks it.
    """
    if len(value) < HEADER_SIZE or value[:4] != _MAGIC:
        return False
    encoding = value[4]
    if encoding == DENSE:
        return len(value) == DENSE_SIZE
    return encoding == SPARSE


def _check(value: bytes) -> None:
    if not is_hll(value):
        raise InvalidHllError()


def encoding_of(value: bytes) -> str:
    """``"dense"`` or ``"sparse"`` (what PFDEBUG ENCODING says) for a valid HLL value."""
    _check(value)
    return "dense" if value[4] == DENSE else "sparse"


def cached_cardinality(value: bytes) -> int | None:
    """The cardinality cached in the header, or None when the stale bit is set."""
    if value[15] & 0x80:
        return None
    return int.from_bytes(value[8:16], "little")


def _invalidated(header: bytes | bytearray, encoding: int | None = None) -> bytes:
    """The header with the stale-cache bit set (and the encoding byte replaced if given)."""
    h = bytearray(header[:HEADER_SIZE])
    h[15] |= 0x80
    if encoding is not None:
        h[4] = encoding
    return bytes(h)


_EMPTY_SPARSE_HEADER = _MAGIC + bytes([SPARSE]) + bytes(11)
_XZERO_FULL = bytes([0x40 | ((SPARSE_XZERO_MAX_LEN - 1) >> 8), (SPARSE_XZERO_MAX_LEN - 1) & 0xFF])


def new_hll() -> bytes:
    """A fresh HLL exactly as Redis creates it: sparse, one XZERO op over all registers,
    cached cardinality 0 (and still valid)."""
    return _EMPTY_SPARSE_HEADER + _XZERO_FULL


# ---------------------------------------------------------------------------------------------
# Sparse opcodes
#
# A sparse body is kept as a bytearray of its opcodes plus ``starts``, one entry per byte and
# one more: starts[j] is the first register of the opcode starting at byte j, and the last entry
# the total number of registers covered. The second byte of an XZERO gets a span of zero (its
# entry equals the next one), so a bisect on ``starts`` always lands on an opcode's first byte,
# and "byte j is an XZERO's second byte" reads ``starts[j] == starts[j + 1]``.


def _table(fn: Callable[[int], int]) -> bytes:
    """A 256-byte translate() table mapping each byte b to fn(b) & 0xff."""
    return bytes(fn(b) & 0xFF for b in range(256))


_VAL = [[0] * (SPARSE_VAL_MAX_LEN + 1)] + [
    [0] + [0x80 | ((value - 1) << 2) | (length - 1) for length in range(1, SPARSE_VAL_MAX_LEN + 1)]
    for value in range(1, SPARSE_VAL_MAX_VALUE + 1)
]
# Registers covered by a one-byte opcode (XZERO first bytes are patched by the parser).
_SPAN1 = _table(lambda b: (b & 3) + 1 if b & 0x80 else (b & 0x3F) + 1)
# The registers a one-byte opcode stands for, one byte per register.
_EXPAND = [bytes([((b >> 2) & 0x1F) + 1]) * ((b & 3) + 1) if b & 0x80 else bytes((b & 0x3F) + 1)
           for b in range(256)]
# One XZERO (possibly cut by the end of the string). Searching from an opcode boundary, every
# match is an opcode: the bytes skipped in between are all one-byte opcodes.
_XZERO_OP = re.compile(rb"[\x40-\x7f][\x00-\xff]?")


def _zero_run(seq: bytearray, spans: list[int], length: int) -> None:
    """Append a run of zero registers as Redis writes it when splitting: ZERO up to 64, XZERO
    above."""
    if length > SPARSE_ZERO_MAX_LEN:
        seq.append(0x40 | ((length - 1) >> 8))
        seq.append((length - 1) & 0xFF)
        spans.append(length)
        spans.append(0)
    else:
        seq.append(length - 1)
        spans.append(length)


class _Sparse:
    """A sparse HLL being updated: header, opcode bytes and the register each byte starts at.

    ``phantom`` is the byte just past the end of Redis' buffer. It is the 0 terminator, except
    that when Redis splits an XZERO cut by the end of a corrupt value it writes the whole new
    sequence after moving the terminator, so the last byte lands past the end; a truncated
    XZERO at the end then reads it as its second byte for the rest of the command. (Redis keeps
    that byte in memory across commands too; a value read back from storage cannot carry it.)
    """

    __slots__ = ("header", "body", "starts", "updated", "phantom")

    def __init__(self, header: bytes, body: bytearray, starts: list[int]) -> None:
        self.header = header
        self.body = body
        self.starts = starts
        self.updated = False
        self.phantom = 0

    @classmethod
    def parse(cls, value: bytes) -> _Sparse:
        data = value[HEADER_SIZE:]
        spans = list(data.translate(_SPAN1))
        for match in _XZERO_OP.finditer(data):
            j = match.start()
            if match.end() - j == 2:
                spans[j] = (((data[j] & 0x3F) << 8) | data[j + 1]) + 1
                spans[j + 1] = 0
            else:  # cut by the end: Redis reads the terminator, 0, as the second byte
                spans[j] = ((data[j] & 0x3F) << 8) + 1
        return cls(value[:HEADER_SIZE], bytearray(data), list(accumulate(spans, initial=0)))

    def size(self) -> int:
        """The string length Redis has (header included), compared with hll-sparse-max-bytes."""
        return HEADER_SIZE + len(self.body)

    def ends_truncated(self) -> bool:
        """Whether the last opcode is an XZERO missing its second byte (corrupt values only)."""
        body = self.body
        return bool(body) and body[-1] & 0xC0 == 0x40 and self.starts[-1] != self.starts[-2]

    def set_phantom(self, byte: int) -> None:
        """Change the byte past the end, and with it the span of a truncated final XZERO."""
        if self.ends_truncated():
            self.starts[-1] = self.starts[-2] + (((self.body[-1] & 0x3F) << 8) | byte) + 1
        self.phantom = byte

    def to_bytes(self) -> bytes:
        header = _invalidated(self.header) if self.updated else self.header
        return header + self.body


# Parsed sparse values we handed out, keyed by the value; taken out (pop) while in use so two
# threads never share one. Small and bounded: it only saves re-parsing for the next command.
_CACHE: dict[bytes, _Sparse] = {}
_CACHE_LIMIT = 64
_CACHE_LOCK = threading.Lock()


def _take_sparse(value: bytes) -> _Sparse:
    with _CACHE_LOCK:
        state = _CACHE.pop(value, None)
    if state is None:
        return _Sparse.parse(value)
    state.updated = False
    return state


def _keep_sparse(value: bytes, state: _Sparse) -> None:
    # The cached state must describe ``value`` exactly as a fresh parse would: header included,
    # and nothing depending on a byte past the end.
    if state.phantom and state.ends_truncated():
        return
    state.header = value[:HEADER_SIZE]
    state.updated = False
    state.phantom = 0
    with _CACHE_LOCK:
        _CACHE[value] = state
        while len(_CACHE) > _CACHE_LIMIT:
            del _CACHE[next(iter(_CACHE))]


_PROMOTE = 2


def _sparse_set(state: _Sparse, index: int, count: int, max_bytes: int) -> int:
    """Raise register ``index`` to ``count`` the way Redis' hllSparseSet does.

    Returns 1 if it changed, 0 if the register was already >= count, -1 if the opcodes do not
    reach ``index`` (corrupt), ``_PROMOTE`` if Redis would convert to dense first (count > 32, or
    the string would grow past ``max_bytes``). Nothing is modified unless 1 is returned.
    """
    if count > SPARSE_VAL_MAX_VALUE:
        return _PROMOTE
    body = state.body
    starts = state.starts
    n = len(body)
    k = bisect_right(starts, index) - 1
    if k >= n:
        return -1
    b = body[k]
    first = starts[k]
    last = starts[k + 1] - 1
    seq = bytearray()
    spans: list[int] = []
    if b & 0x80:  # VAL
        old = ((b >> 2) & 0x1F) + 1
        if old >= count:
            return 0
        if b & 3 == 0:  # covers only this register: rewrite in place
            body[k] = _VAL[count][1]
            return _coalesce(state, k)
        if index != first:
            seq.append(_VAL[old][index - first])
            spans.append(index - first)
        seq.append(_VAL[count][1])
        spans.append(1)
        if index != last:
            seq.append(_VAL[old][last - index])
            spans.append(last - index)
        oldlen = 1
    else:
        if b == 0:  # ZERO of one register: becomes a VAL in place
            body[k] = _VAL[count][1]
            return _coalesce(state, k)
        if index != first:
            _zero_run(seq, spans, index - first)
        seq.append(_VAL[count][1])
        spans.append(1)
        if index != last:
            _zero_run(seq, spans, last - index)
        oldlen = 2 if b & 0x40 else 1
    delta = len(seq) - oldlen
    if delta > 0 and n + HEADER_SIZE + delta > max_bytes:
        return _PROMOTE
    if oldlen == 2 and k == n - 1:
        # An XZERO cut by the end of the string (corrupt value). Redis writes the whole new
        # sequence but the length only grows by ``delta``: the last byte ends up just past the
        # end (see _Sparse.phantom), and a cut XZERO may be left at the end again.
        del body[k:]
        body += seq[:-1]
        del starts[k:]
        starts += accumulate(spans[:-1], initial=first)
        state.set_phantom(seq[-1])
    else:
        body[k:k + oldlen] = seq
        starts[k:k + oldlen] = accumulate(spans[:-1], initial=first)
        if state.phantom:
            state.set_phantom(0)  # Redis re-terminates the string after the splice
    return _coalesce(state, k)


def _coalesce(state: _Sparse, k: int) -> int:
    """Redis' step 4: from the op before the updated one, scan up to 5 ops and merge adjacent
    VAL ops of equal value while the run fits in 4 registers."""
    state.updated = True
    body = state.body
    starts = state.starts
    if k == 0:
        i = 0
    elif k >= 2 and starts[k - 1] == starts[k]:  # byte k-1 ends an XZERO
        i = k - 2
    else:
        i = k - 1
    n = len(body)
    budget = 5
    while i < n and budget:
        budget -= 1
        b = body[i]
        if b & 0xC0 == 0x40:
            i += 2
            continue
        if b & 0x80 and i + 1 < n:
            c = body[i + 1]
            # Both VAL, same value bits, lengths summing to at most 4.
            if c & 0x80 and (b ^ c) & 0x7C == 0 and (b & 3) + (c & 3) + 2 <= SPARSE_VAL_MAX_LEN:
                body[i] = (b & 0xFC) | ((b & 3) + (c & 3) + 1)
                del body[i + 1]
                del starts[i + 1]
                n -= 1
                if state.phantom:
                    state.set_phantom(0)
                continue
        i += 1
    return 1


def _sparse_to_raw(state: _Sparse) -> bytearray | None:
    """Registers of a sparse HLL, one per byte, or None if its opcodes do not cover exactly
    16384 registers.

    Redis' walks (hllSparseToDense, hllMerge, hllSparseRegHisto) give up at the first opcode
    running past register 16383 since the CVE-2025-32023 fix (in Debian's 7.0.15 as in upstream
    7.2.10+), and otherwise require the total to be 16384; spans being positive, both come down
    to "the spans sum to 16384".
    """
    starts = state.starts
    if starts[-1] != REGISTERS:
        return None
    body = state.body
    expand = _EXPAND.__getitem__
    parts = []
    pos = 0
    for match in _XZERO_OP.finditer(body):
        j = match.start()
        parts += map(expand, body[pos:j])
        parts.append(bytes(starts[match.end()] - starts[j]))
        pos = match.end()
    parts += map(expand, body[pos:])
    return bytearray(b"".join(parts))


# ---------------------------------------------------------------------------------------------
# Dense registers, vectorised with translate() and big-integer bit operations


_AND63 = _table(lambda b: b & 63)
_SHR6 = _table(lambda b: b >> 6)
_SHR4 = _table(lambda b: b >> 4)
_SHR2 = _table(lambda b: b >> 2)
_LOW4_SHL2 = _table(lambda b: (b & 15) << 2)
_LOW2_SHL4 = _table(lambda b: (b & 3) << 4)
_LOW2_SHL6 = _table(lambda b: (b & 3) << 6)
_LOW4_SHL4 = _table(lambda b: (b & 15) << 4)
_SHL2 = _table(lambda b: b << 2)


def _or(a: bytes, b: bytes) -> bytes:
    n = len(a)
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(n, "little")


def _dense_streams(value: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """Registers 4j, 4j+1, 4j+2, 4j+3 (for j in 0..4095) as four byte strings."""
    regs = value[HEADER_SIZE:DENSE_SIZE]
    b0 = regs[0::3]
    b1 = regs[1::3]
    b2 = regs[2::3]
    return (
        b0.translate(_AND63),
        _or(b0.translate(_SHR6), b1.translate(_LOW4_SHL2)),
        _or(b1.translate(_SHR4), b2.translate(_LOW2_SHL4)),
        b2.translate(_SHR2),
    )


def _dense_to_raw(value: bytes) -> bytearray:
    raw = bytearray(REGISTERS)
    r0, r1, r2, r3 = _dense_streams(value)
    raw[0::4] = r0
    raw[1::4] = r1
    raw[2::4] = r2
    raw[3::4] = r3
    return raw


def _raw_to_dense(raw: bytes | bytearray) -> bytes:
    """Pack 16384 register bytes (each <= 63) into the 12288-byte dense layout."""
    r0 = bytes(raw[0::4])
    r1 = bytes(raw[1::4])
    r2 = bytes(raw[2::4])
    r3 = bytes(raw[3::4])
    out = bytearray(DENSE_SIZE - HEADER_SIZE)
    out[0::3] = _or(r0, r1.translate(_LOW2_SHL6))
    out[1::3] = _or(r1.translate(_SHR2), r2.translate(_LOW4_SHL4))
    out[2::3] = _or(r2.translate(_SHR4), r3.translate(_SHL2))
    return bytes(out)


_LANE_HIGH = int.from_bytes(b"\x80" * REGISTERS, "little")


def _raw_max(a: int, b: int) -> int:
    """Per-byte maximum of two register arrays held as little-endian integers (SWAR).

    Each byte lane is < 128, so (a | 0x80) - b never borrows across lanes and its top bit says
    a >= b; that bit widened to 0xff selects a, else b.
    """
    select = (((a | _LANE_HIGH) - b) & _LANE_HIGH) >> 7
    select *= 0xFF
    return b ^ ((a ^ b) & select)


def _dense_set(buf: bytearray, index: int, count: int) -> bool:
    """Raise a register of a dense value held in ``buf`` (with one spare byte at the end, like
    the sds terminator Redis relies on for the last register)."""
    bit = index * 6
    pos = HEADER_SIZE + (bit >> 3)
    shift = bit & 7
    lo = buf[pos]
    hi = buf[pos + 1]
    if count <= ((lo >> shift) | (hi << (8 - shift))) & REGISTER_MAX:
        return False
    buf[pos] = (lo & ~(REGISTER_MAX << shift) & 0xFF) | ((count << shift) & 0xFF)
    buf[pos + 1] = (hi & ~(REGISTER_MAX >> (8 - shift))) | (count >> (8 - shift))
    return True


# ---------------------------------------------------------------------------------------------
# Cardinality estimate (Ertl's improved estimator, as in Redis >= 4)


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prev = z
        z += x * y
        y += y
        if z_prev == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prev = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if z_prev == z:
            return z / 3


_LLROUND_OVERFLOW = 1 << 63  # what llroundl gives on x86-64 when out of range (LLONG_MIN)


def _estimate(histogram: list[int]) -> int:
    """hllCount: the same floating-point operations in the same order, then llroundl, as the
    unsigned 64-bit number Redis caches.

    Registers that no hash can produce (all 51, or above 51) make the divisor 0 or tiny; Redis
    then gets LLONG_MIN from llroundl, caches 2^63 (which has the stale bit set) and replies
    -9223372036854775808. We do the same.
    """
    m = float(REGISTERS)
    z = m * _tau((m - histogram[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histogram[j]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    if z == 0.0:
        return _LLROUND_OVERFLOW
    e = _ALPHA_INF * m * m / z
    if not math.isfinite(e):
        return _LLROUND_OVERFLOW
    whole = math.floor(e)
    card = int(whole) + (1 if e - whole >= 0.5 else 0)  # round half away from zero
    return card if card < _LLROUND_OVERFLOW else _LLROUND_OVERFLOW


def _reply(card: int) -> int:
    """The cardinality as PFCOUNT replies it: Redis sends the uint64 as a signed long long."""
    return card - (1 << 64) if card >= 1 << 63 else card


def _histogram_of_bytes(raw: bytes | bytearray) -> list[int]:
    """How many registers hold each value 0..51 (one register per byte; values above 51 cannot
    come from a hash and do not enter the estimate)."""
    histogram = [0] * (Q + 2)
    left = len(raw)
    for v in range(Q + 2):
        c = raw.count(v)
        histogram[v] = c
        left -= c
        if not left:
            break
    return histogram


# ---------------------------------------------------------------------------------------------
# Commands


def _to_dense_buffer(state: _Sparse) -> bytearray | None:
    """hllSparseToDense on the current sparse state: a dense value with one spare byte, the
    header copied (cached cardinality and unused bytes included), or None if corrupt."""
    raw = _sparse_to_raw(state)
    if raw is None:
        return None
    buf = bytearray(_invalidated(state.header, DENSE) if state.updated else state.header)
    buf[4] = DENSE
    buf += _raw_to_dense(raw)
    buf.append(0)
    return buf


def to_dense(value: bytes) -> bytes:
    """PFDEBUG TODENSE / GETREG's conversion: the value in dense encoding.

    Like hllSparseToDense the header is copied unchanged (cached cardinality stays valid, since
    the registers do not change); a dense value is returned as is.
    """
    value = _as_bytes(value)
    _check(value)
    if value[4] == DENSE:
        return value
    buf = _to_dense_buffer(_Sparse.parse(value))
    if buf is None:
        raise CorruptedHLLError()
    del buf[-1]
    return bytes(buf)


def registers(value: bytes) -> list[int]:
    """All 16384 register values, in order (PFDEBUG GETREG; Redis also converts the key to
    dense with :func:`to_dense` when it was sparse)."""
    return list(_dense_to_raw(to_dense(value)))


def _as_bytes(value: bytes | bytearray | memoryview) -> bytes:
    """Immutable bytes (the parse cache is keyed by value)."""
    return value if type(value) is bytes else bytes(value)


def pfadd(value: bytes | None, elements: list[bytes], *,
          sparse_max_bytes: int = DEFAULT_SPARSE_MAX_BYTES) -> tuple[bytes, bool]:
    """PFADD: the new value and whether to reply 1 (a register changed or the key was created).

    ``value`` is the key's current string, None if the key does not exist. When nothing changed
    the input object itself is returned (nothing to write back). ``sparse_max_bytes`` is the
    server's hll-sparse-max-bytes. Raises InvalidHllError for a string that is
    not an HLL and CorruptedHLLError when a sparse value turns out corrupt.
    """
    created = value is None
    if created:
        state: _Sparse | None = _Sparse(_EMPTY_SPARSE_HEADER, bytearray(_XZERO_FULL),
                                        [0, REGISTERS, REGISTERS])
        dense = None
    else:
        value = _as_bytes(value)
        _check(value)
        if value[4] == DENSE:
            state = None
            dense = bytearray(value)
            dense.append(0)
        else:
            state = _take_sparse(value)
            dense = None
    changed = created
    for element in elements:
        index, count = pattern_length(element)
        if dense is not None:
            if _dense_set(dense, index, count):
                changed = True
            continue
        result = _sparse_set(state, index, count, sparse_max_bytes)
        if result == 1:
            changed = True
        elif result == _PROMOTE:
            dense = _to_dense_buffer(state)
            if dense is None:
                raise CorruptedHLLError(state.to_bytes() if state.updated else None)
            _dense_set(dense, index, count)
            changed = True
            state = None
        elif result == -1:
            raise CorruptedHLLError(state.to_bytes() if state.updated else None)
    if dense is not None:
        del dense[-1]
        if changed:
            dense[15] |= 0x80
        return (bytes(dense) if changed else value), changed
    if not changed:
        _keep_sparse(value, state)
        return value, False
    state.updated = True  # a created key is invalidated too
    out = state.to_bytes()
    _keep_sparse(out, state)
    return out, True


def pfcount(values: list[bytes | None]) -> tuple[int, list[bytes | None]]:
    """PFCOUNT: the estimated cardinality of the union of the given values (None = missing key).

    With one key Redis answers from the cached cardinality or recomputes it and stores it back
    into the header (PFCOUNT then writes the key): the second item has, per input, the bytes to
    store, or None when nothing must be written. With several keys nothing is cached. Values are
    checked in order, so the first invalid one decides the error, as in Redis (the caller checks
    the key types, which Redis also does key by key).

    The count is what Redis replies; for impossible register contents (every register 51, or
    above 51) its estimate overflows and it replies -9223372036854775808, and so do we.
    """
    if not values:
        raise ValueError("PFCOUNT needs at least one key")
    if len(values) == 1:
        value = values[0]
        if value is None:
            return 0, [None]
        value = _as_bytes(value)
        _check(value)
        cached = cached_cardinality(value)
        if cached is not None:
            return cached, [None]
        if value[4] == DENSE:
            card = _estimate(_histogram_of_bytes(b"".join(_dense_streams(value))))
            return _reply(card), [value[:8] + card.to_bytes(8, "little") + value[HEADER_SIZE:]]
        state = _take_sparse(value)
        raw = _sparse_to_raw(state)  # hllSparseRegHisto's validity rule is the same
        if raw is None:
            _keep_sparse(value, state)
            raise CorruptedHLLError()
        card = _estimate(_histogram_of_bytes(raw))
        out = value[:8] + card.to_bytes(8, "little") + value[HEADER_SIZE:]
        _keep_sparse(out, state)
        return _reply(card), [out]
    merged = _merge_registers(values)[0]
    raw = merged.to_bytes(REGISTERS, "little")
    return _reply(_estimate(_histogram_of_bytes(raw))), [None] * len(values)


def _merge_registers(values: list[bytes | None]) -> tuple[int, bool]:
    """Per-register maximum over the values (as a little-endian integer), and whether any of
    them is dense. Raises like Redis, in input order."""
    merged = 0
    any_dense = False
    for value in values:
        if value is None:
            continue
        value = _as_bytes(value)
        _check(value)
        if value[4] == DENSE:
            any_dense = True
            raw = _dense_to_raw(value)
        else:
            state = _take_sparse(value)
            raw = _sparse_to_raw(state)
            _keep_sparse(value, state)
            if raw is None:
                raise CorruptedHLLError()
        merged = _raw_max(merged, int.from_bytes(raw, "little"))
    return merged, any_dense


_NONZERO = re.compile(rb"[^\x00]")


def pfmerge(dest: bytes | None, sources: list[bytes | None], *,
            sparse_max_bytes: int = DEFAULT_SPARSE_MAX_BYTES) -> bytes:
    """PFMERGE: the destination's new value (None entries are missing keys).

    As in Redis 7.0 the destination's own registers are part of the union, the result stays
    sparse when the destination and every source are sparse (registers are then raised one by
    one in index order, which may still promote it past ``sparse_max_bytes``), and it is dense
    as soon as one input is dense. The header is the destination's (a new one if missing) with
    the stale-cache bit set.
    """
    merged, any_dense = _merge_registers([dest, *sources])
    raw = merged.to_bytes(REGISTERS, "little")
    dest = new_hll() if dest is None else _as_bytes(dest)
    if any_dense or dest[4] == DENSE:
        return _invalidated(dest, DENSE) + _raw_to_dense(raw)
    state = _take_sparse(dest)
    for match in _NONZERO.finditer(raw):
        index = match.start()
        result = _sparse_set(state, index, raw[index], sparse_max_bytes)
        if result == _PROMOTE:
            # From here on every register is set to the maximum, so the dense result is simply
            # the merged registers (the destination's never exceed them).
            return _invalidated(state.header, DENSE) + _raw_to_dense(raw)
        # -1 cannot happen: the destination was validated by the merge above.
    state.updated = True
    out = state.to_bytes()
    _keep_sparse(out, state)
    return out


# ---------------------------------------------------------------------------------------------
# PFSELFTEST

#: How many random register sets PFSELFTEST packs and unpacks (Redis: 1000, in C).
SELF_TEST_ROUNDS = 5
#: The largest cardinality PFSELFTEST counts up to, checking at each power of ten (Redis goes to
#: 10,000,000 in C; a tenth of a second per 100,000 elements here).
SELF_TEST_LARGEST = 100_000


def self_test(sparse_max_bytes: int = DEFAULT_SPARSE_MAX_BYTES, seed: int | None = None) -> None:
    """PFSELFTEST: check this implementation as Redis' hllSelftestCommand checks its own, and
    raise ``TESTFAILED ...`` (Redis' texts) at the first fault.

    1. Registers: random values (0..63) set one by one in a dense value read back as set, and
       pack and unpack to the same registers.
    2. Counting: the same distinct elements (``j ^ seed``, as 8 bytes) go to a sparse and a
       dense HLL; at each power of ten the sparse one must still be sparse while small (below
       ``sparse_max_bytes / 2`` elements), both must hold the same registers and count, and
       the count must be within six standard errors (1.04 / sqrt(16384)) of the truth (one
       for ten elements, as Redis allows).
    """
    rng = random.Random(seed)
    for _ in range(SELF_TEST_ROUNDS):
        expected = bytes(rng.randrange(REGISTER_MAX + 1) for _ in range(REGISTERS))
        built = bytearray(_invalidated(new_hll(), DENSE) + bytes(DENSE_SIZE - HEADER_SIZE + 1))
        for index, count in enumerate(expected):
            _dense_set(built, index, count)
        del built[-1]
        for actual in (_dense_to_raw(bytes(built)), _dense_to_raw(built[:HEADER_SIZE] + _raw_to_dense(expected))):
            if actual != expected:
                index = next(i for i in range(REGISTERS) if actual[i] != expected[i])
                raise hll_self_test_failed(f"Register error at index {index}: {actual[index]}, expected {expected[index]}")
    element_seed = rng.getrandbits(64)
    sparse, dense = new_hll(), to_dense(new_hll())
    added = 0
    checkpoint = 1
    relative_error = 1.04 / math.sqrt(REGISTERS)
    while checkpoint <= SELF_TEST_LARGEST:
        elements = [struct.pack("<Q", j ^ element_seed) for j in range(added + 1, checkpoint + 1)]
        sparse = pfadd(sparse, elements, sparse_max_bytes=sparse_max_bytes)[0]
        dense = pfadd(dense, elements, sparse_max_bytes=sparse_max_bytes)[0]
        added = checkpoint
        if checkpoint < sparse_max_bytes / 2 and sparse[4] != SPARSE:
            raise hll_self_test_failed("sparse encoding not used")
        count = pfcount([dense])[0]
        if registers(sparse) != registers(dense) or pfcount([sparse])[0] != count:
            raise hll_self_test_failed("dense/sparse disagree")
        error = abs(checkpoint - count)
        if error > (1 if checkpoint == 10 else math.ceil(relative_error * 6 * checkpoint)):
            raise hll_self_test_failed(f"Too big error. card:{checkpoint} abserr:{error}")
        checkpoint *= 10
