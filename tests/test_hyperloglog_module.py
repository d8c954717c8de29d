"""pypika_store.hyperloglog against a real redis-server, byte for byte.

Every test runs the same PFADD / PFCOUNT / PFMERGE calls on redis-server and on the pure
functions, then compares what GET returns with the bytes we computed, the replies, and the error
texts. Elements that land on a chosen register with a chosen run length are built by inverting
MurmurHash64A, so rare cases (register values above 32, the maximum 51) are reached directly.
"""

from __future__ import annotations

import random

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypika_store import hyperloglog as hll
from pypika_store.errors import CommandError, CorruptedHLLError, InvalidHllError

pytestmark = pytest.mark.redis_server

# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def server(private_redis):
    """A client of this module's own redis-server."""
    client = private_redis.client()
    yield client
    client.close()


@pytest.fixture
def r(server):
    server.flushall()
    server.config_set("hll-sparse-max-bytes", 3000)
    yield server
    server.flushall()
    server.config_set("hll-sparse-max-bytes", 3000)


# ---------------------------------------------------------------------------------------------
# Helpers

_M = 0xC6A4A7935BD1E995
_M_INV = pow(_M, -1, 1 << 64)
_MASK = (1 << 64) - 1


def _unshift47(x: int) -> int:
    return x ^ (x >> 47)  # x ^= x >> 47 is its own inverse (47 >= 32)


def element_for(index: int, count: int, noise: int = 0) -> bytes:
    """An 8-byte element whose hash selects register ``index`` with run length ``count``."""
    assert 0 <= index < hll.REGISTERS and 1 <= count <= 51
    if count == 51:
        target = index
    else:
        high = ((noise * 0x9E3779B97F4A7C15) & _MASK) >> (14 + count)
        target = index | (1 << (14 + count - 1)) | (high << (14 + count))
    target &= _MASK
    h = _unshift47(target)
    h = (h * _M_INV) & _MASK
    h = _unshift47(h)
    h = (h * _M_INV) & _MASK  # before the final h *= m of the block loop
    h0 = 0xADC83B19 ^ ((8 * _M) & _MASK)
    k = h ^ h0
    k = (k * _M_INV) & _MASK
    k = _unshift47(k)
    k = (k * _M_INV) & _MASK
    element = k.to_bytes(8, "little")
    assert hll.pattern_length(element) == (index, count)
    return element


def redis_pfadd(r: redis.Redis, key: str, elements: list[bytes]) -> int:
    return r.execute_command("PFADD", key, *elements)


def redis_error(r: redis.Redis, *args) -> str | None:
    try:
        r.execute_command(*args)
    except redis.ResponseError as error:
        return str(error)
    return None


def add_both(r: redis.Redis, key: str, value: bytes | None, elements: list[bytes]) -> bytes:
    reply = redis_pfadd(r, key, elements)
    new, changed = hll.pfadd(value, elements)
    assert r.get(key) == new
    assert reply == int(changed)
    return new


def count_both(r: redis.Redis, keys: list[str], values: list[bytes | None]) -> list[bytes | None]:
    """PFCOUNT on both sides; returns the values as stored afterwards."""
    reply = r.execute_command("PFCOUNT", *keys)
    card, updates = hll.pfcount(values)
    assert card == reply
    after = [update if update is not None else value for value, update in zip(values, updates)]
    for key, value in zip(keys, after):
        assert r.get(key) == value
    return after


def random_elements(rng: random.Random, n: int) -> list[bytes]:
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            out.append(b"")
        elif kind < 0.5:
            out.append(rng.randbytes(rng.randint(1, 40)))
        else:
            out.append(str(rng.randint(0, 10**9)).encode())
    return out


def sparse_value(body: bytes, card: bytes = bytes(8)) -> bytes:
    """A sparse HLL with the given opcode bytes (possibly corrupt)."""
    return b"HYLL\x01\x00\x00\x00" + card + body


# ---------------------------------------------------------------------------------------------
# Pure checks (no server needed, but cheap)


@pytest.mark.parametrize("element, expected", [
    # (register, run length) read back from redis-server 7.0 with PFDEBUG GETREG.
    (b"", (5938, 2)),
    (b"a", (12711, 2)),
    (b"hello", (9216, 1)),
    (b"12345678", (10579, 3)),
    (b"hello world, HLL", (13675, 2)),
    (b"\x00\xff" * 9 + b"x", (14954, 1)),
])
def test_pattern_length_known_values(element, expected):
    assert hll.pattern_length(element) == expected
    value, changed = hll.pfadd(None, [element])
    registers = hll.registers(value)
    assert changed and registers[expected[0]] == expected[1] and sum(map(bool, registers)) == 1


def test_new_hll_layout():
    assert hll.new_hll() == b"HYLL\x01" + bytes(11) + b"\x7f\xff"
    value, changed = hll.pfadd(None, [])
    assert changed and value == b"HYLL\x01" + bytes(10) + b"\x80\x7f\xff"


def test_cache_does_not_leak_between_calls():
    base, _ = hll.pfadd(None, [b"x%d" % i for i in range(50)])
    first, _ = hll.pfadd(base, [b"first"])
    again, _ = hll.pfadd(base, [b"first"])  # base's parsed form was taken by the first call
    assert again == first
    hll._CACHE.clear()
    assert hll.pfadd(base, [b"first"])[0] == first


# ---------------------------------------------------------------------------------------------
# Differential tests


def test_pfadd_creates_and_reports(r):
    value = add_both(r, "k", None, [])
    value = add_both(r, "k", value, [])
    value = add_both(r, "k", value, [b"a", b"b", b""])
    value = add_both(r, "k", value, [b"a", b"b", b""])  # nothing new: reply 0, same bytes
    count_both(r, ["k"], [value])


def test_pfadd_random_sequences_until_dense(r):
    rng = random.Random(7)
    value = None
    batch_sizes = [1, 1, 2, 5, 1, 10, 30, 3, 100, 1, 250, 400, 7, 800, 1500, 2000]
    for step, size in enumerate(batch_sizes):
        value = add_both(r, "k", value, random_elements(rng, size))
        if step % 3 == 0:
            (value,) = count_both(r, ["k"], [value])
    assert value[4] == hll.DENSE  # promoted by size along the way
    for _ in range(5):
        value = add_both(r, "k", value, random_elements(rng, 50))
        (value,) = count_both(r, ["k"], [value])


def test_sparse_single_element_steps(r):
    # One element per PFADD exercises every split/merge path, checking the bytes after each.
    rng = random.Random(11)
    value = None
    for i in range(400):
        if i % 4 == 0:
            index = rng.randrange(hll.REGISTERS)
            element = element_for(index, rng.randint(1, 6), i)
        elif i % 4 == 1 and value is not None:
            # A neighbour of a register already set, to make adjacent VAL runs merge.
            regs = hll.registers(value)
            used = [j for j, v in enumerate(regs) if v]
            j = min(hll.REGISTERS - 1, rng.choice(used) + rng.choice([-1, 1, 2]))
            element = element_for(max(0, j), rng.choice([regs[used[0]] or 1, 1, 2]), i)
        else:
            element = rng.randbytes(rng.randint(0, 12))
        value = add_both(r, "k", value, [element])
    assert value[4] == hll.SPARSE
    count_both(r, ["k"], [value])


def test_promotion_by_register_value_above_32(r):
    value = add_both(r, "k", None, [b"a", b"b"])
    value = add_both(r, "k", value, [element_for(100, 33)])
    assert value[4] == hll.DENSE
    value = add_both(r, "k", value, [element_for(16383, 51), element_for(0, 32), b"c"])
    (value,) = count_both(r, ["k"], [value])
    value = add_both(r, "k", value, [element_for(16383, 51)])  # unchanged: reply 0
    # 32 still fits a sparse VAL op.
    other = add_both(r, "o", None, [element_for(16383, 32), element_for(16382, 32)])
    assert other[4] == hll.SPARSE


def test_small_sparse_max_bytes(r):
    r.config_set("hll-sparse-max-bytes", 60)
    rng = random.Random(3)
    value = None
    while value is None or value[4] == hll.SPARSE:
        elements = random_elements(rng, rng.randint(1, 3))
        reply = redis_pfadd(r, "k", elements)
        value, changed = hll.pfadd(value, elements, sparse_max_bytes=60)
        assert r.get("k") == value and reply == int(changed)
    count_both(r, ["k"], [value])


def test_pfcount_single_and_multi(r):
    rng = random.Random(5)
    small = add_both(r, "small", None, random_elements(rng, 20))
    big = add_both(r, "big", None, random_elements(rng, 5000))
    empty = add_both(r, "empty", None, [])
    assert big[4] == hll.DENSE and small[4] == hll.SPARSE
    keys = ["small", "big", "empty", "missing"]
    values = [small, big, empty, None]
    count_both(r, keys, values)  # multi-key: no value changes
    small, big, empty, _ = [count_both(r, [k], [v])[0] for k, v in zip(keys, values)]
    # Cached now: a second count changes nothing.
    assert hll.pfcount([small])[1] == [None]
    count_both(r, ["small"], [small])
    count_both(r, ["missing"], [None])
    count_both(r, ["small", "small"], [small, small])
    count_both(r, ["missing", "small"], [None, small])


def test_pfcount_cardinalities_over_range(r):
    rng = random.Random(9)
    value = None
    for size in [1, 2, 5, 10, 40, 100, 300, 1000, 3000, 10000]:
        value = add_both(r, "k", value, random_elements(rng, size))
        (value,) = count_both(r, ["k"], [value])


def test_pfmerge_sparse_sources_stay_sparse(r):
    rng = random.Random(13)
    a = add_both(r, "a", None, random_elements(rng, 30))
    b = add_both(r, "b", None, random_elements(rng, 40))
    merged = hll.pfmerge(None, [a, b])
    assert r.pfmerge("d", "a", "b")
    assert r.get("d") == merged and merged[4] == hll.SPARSE
    # Existing sparse destination, whose own registers are part of the union; missing sources.
    merged = hll.pfmerge(merged, [None, add_both(r, "c", None, random_elements(rng, 25))])
    assert r.pfmerge("d", "nosuch", "c")
    assert r.get("d") == merged
    count_both(r, ["d"], [merged])
    # No sources at all.
    assert r.execute_command("PFMERGE", "fresh")
    assert r.get("fresh") == hll.pfmerge(None, [])
    (counted,) = count_both(r, ["a"], [a])
    assert r.execute_command("PFMERGE", "a")
    assert r.get("a") == hll.pfmerge(counted, [])


def test_pfmerge_with_dense(r):
    rng = random.Random(17)
    sparse = add_both(r, "s", None, random_elements(rng, 50))
    dense = add_both(r, "dn", None, random_elements(rng, 4000))
    assert dense[4] == hll.DENSE
    for dest_key, dest in [("s", sparse), ("dn", dense), ("new", None)]:
        sources = [("s", sparse), ("dn", dense)]
        merged = hll.pfmerge(dest, [v for _, v in sources])
        assert r.pfmerge(dest_key, *[k for k, _ in sources])
        assert r.get(dest_key) == merged and merged[4] == hll.DENSE
        if dest_key == "s":
            sparse = merged
        elif dest_key == "dn":
            dense = merged
    # A sparse destination with a dense source of value > 32 registers.
    high = add_both(r, "h", None, [element_for(7, 45), element_for(9000, 51)])
    low = add_both(r, "l", None, [element_for(7, 3)])
    merged = hll.pfmerge(low, [high])
    assert r.pfmerge("l", "h")
    assert r.get("l") == merged
    count_both(r, ["l", "h", "s"], [merged, high, sparse])


def test_pfmerge_promotes_while_merging(r):
    rng = random.Random(19)
    parts = []
    for i in range(4):
        value = None
        while value is None or len(value) < 2500:
            value = add_both(r, f"p{i}", value, random_elements(rng, 100))
        assert value[4] == hll.SPARSE
        parts.append(value)
    merged = hll.pfmerge(None, parts)
    assert r.pfmerge("d", "p0", "p1", "p2", "p3")
    assert r.get("d") == merged and merged[4] == hll.DENSE
    count_both(r, ["d"], [merged])


def test_invalid_values(r):
    sparse = add_both(r, "ok", None, [b"x"])
    bad = {
        "plain": b"hello world, not an hll",
        "short": b"HYLL\x01\x00\x00",
        "int": b"12345",
        "encoding": b"HYLL\x02" + bytes(11) + b"\x7f\xff",
        "densesize": b"HYLL\x00" + bytes(11) + bytes(100),
        "magic": b"HYLX\x01" + bytes(11) + b"\x7f\xff",
    }
    for key, value in bad.items():
        r.set(key, value)
        assert not hll.is_hll(value)
        assert redis_error(r, "PFADD", key, "a") == InvalidHllError.message
        assert redis_error(r, "PFCOUNT", key) == InvalidHllError.message
        assert redis_error(r, "PFCOUNT", "ok", key) == InvalidHllError.message
        assert redis_error(r, "PFMERGE", key, "ok") == InvalidHllError.message
        assert redis_error(r, "PFMERGE", "ok", key) == InvalidHllError.message
        for call in (lambda: hll.pfadd(value, [b"a"]), lambda: hll.pfcount([value]),
                     lambda: hll.pfcount([sparse, value]), lambda: hll.pfmerge(value, [sparse]),
                     lambda: hll.pfmerge(sparse, [value])):
            with pytest.raises(CommandError) as info:
                call()
            assert info.value.message == InvalidHllError.message
        assert r.get(key) == value and r.get("ok") == sparse


CORRUPT = {
    "empty-body": sparse_value(b"", card=bytes(7) + b"\x80"),
    "too-short": sparse_value(b"\x7f\xfe", card=bytes(7) + b"\x80"),  # 16383 registers
    "too-long": sparse_value(b"\x7f\xff\x80", card=bytes(7) + b"\x80"),  # a VAL past 16383
    "overflow-val": sparse_value(b"\x7f\xfd\x83", card=bytes(7) + b"\x80"),  # VAL past the end
    "truncated-xzero": sparse_value(b"\x7f\xfe\x40", card=bytes(7) + b"\x80"),  # reads p[1]=0
    "truncated-big": sparse_value(b"\x80\x7f", card=bytes(7) + b"\x80"),  # 1 + 16129 registers
    "cached": sparse_value(b"", card=(42).to_bytes(8, "little")),  # valid cache: PFCOUNT trusts it
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupted_sparse_values(r, name):
    value = CORRUPT[name]
    good = add_both(r, "good", None, [b"g1", b"g2"])
    elements_sets = [[b"a"], [element_for(16383, 3)], [element_for(0, 2), element_for(16383, 1)],
                     [element_for(5, 40)], [element_for(16383, 2), element_for(16382, 2)]]
    for elements in elements_sets:
        r.set("c", value)
        expected_error = redis_error(r, "PFADD", "c", *elements)
        stored = r.get("c")
        try:
            new, _ = hll.pfadd(value, elements)
        except hll.CorruptedHLLError as error:
            assert expected_error == CorruptedHLLError.message == error.message
            assert stored == (error.partial_value if error.partial_value is not None else value)
        else:
            assert expected_error is None and stored == new
    r.set("c", value)
    for keys, values in [(["c"], [value]), (["good", "c"], [good, value])]:
        expected_error = redis_error(r, "PFCOUNT", *keys)
        try:
            reply = hll.pfcount(values)
        except CommandError as error:
            assert error.message == expected_error
        else:
            assert expected_error is None and r.execute_command("PFCOUNT", *keys) == reply[0]
        r.set("c", value)
    for dest, sources in [("c", ["good"]), ("good", ["c"])]:
        before = {k: r.get(k) for k in ("c", "good")}
        expected_error = redis_error(r, "PFMERGE", dest, *sources)
        try:
            merged = hll.pfmerge(before[dest], [before[s] for s in sources])
        except CommandError as error:
            assert error.message == expected_error
        else:
            assert expected_error is None and r.get(dest) == merged
            r.set(dest, before[dest])


def dense_value(registers: list[int], card: bytes = bytes(7) + b"\x80") -> bytes:
    """A dense HLL with the given register values (packed LSB first, 6 bits each)."""
    packed = 0
    for i, v in enumerate(registers):
        packed |= v << (6 * i)
    return b"HYLL\x00\x00\x00\x00" + card + packed.to_bytes(12288, "little")


def test_dense_register_packing_roundtrip():
    rng = random.Random(29)
    registers = [rng.randrange(64) for _ in range(hll.REGISTERS)]
    value = dense_value(registers)
    assert hll.registers(value) == registers
    assert hll._raw_to_dense(bytes(registers)) == value[16:]


def test_pfcount_estimator_on_crafted_dense_values(r):
    # Register distributions of sets from ~10 to ~10^12 elements, plus values 52..63 that no
    # hash can produce (Redis ignores them in the estimate).
    rng = random.Random(31)
    values = []
    for scale in [0.0005, 0.01, 0.3, 1, 5, 60, 2000, 10**5, 10**8]:
        registers = []
        for _ in range(hll.REGISTERS):
            n = rng.expovariate(1 / scale) if scale < 10 else scale * rng.random()
            v = 0
            while n >= 1 and v < 51:
                n /= 2
                v += 1
            registers.append(v)
        values.append(dense_value(registers))
    values.append(dense_value([rng.choice([0, 3, 52, 63]) for _ in range(hll.REGISTERS)]))
    values.append(dense_value([51] * hll.REGISTERS))
    keys = [f"d{i}" for i in range(len(values))]
    for i, (key, value) in enumerate(zip(keys, values)):
        r.set(key, value)
        (values[i],) = count_both(r, [key], [value])  # caches the count (even 2^63, "stale")
        count_both(r, [key], [values[i]])
    assert r.pfcount(keys[-1]) == -(1 << 63)  # Redis' llroundl overflow, kept as is
    count_both(r, keys[:4], values[:4])
    count_both(r, keys[-3:], values[-3:])
    merged = hll.pfmerge(values[0], values[5:8])
    assert r.pfmerge(keys[0], *keys[5:8])
    assert r.get(keys[0]) == merged


def test_to_dense_matches_pfdebug(r):
    rng = random.Random(23)
    value = add_both(r, "k", None, random_elements(rng, 200))
    (value,) = count_both(r, ["k"], [value])
    assert r.execute_command("PFDEBUG", "TODENSE", "k") == 1
    assert r.get("k") == hll.to_dense(value)
    assert r.execute_command("PFDEBUG", "GETREG", "k") == hll.registers(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from("abc"),
                  st.lists(st.binary(max_size=12), max_size=30)),
        st.tuples(st.just("bulk"), st.sampled_from("abc"), st.integers(0, 2**32)),
        st.tuples(st.just("count"), st.lists(st.sampled_from("abcd"), min_size=1, max_size=3)),
        st.tuples(st.just("merge"), st.sampled_from("abcd"),
                  st.lists(st.sampled_from("abcd"), max_size=3)),
    ),
    max_size=12))
def test_random_command_sequences(r, commands):
    r.flushall()
    state: dict[str, bytes | None] = {k: None for k in "abcd"}
    for command in commands:
        if command[0] == "add":
            _, key, elements = command
            state[key] = add_both(r, key, state[key], elements)
        elif command[0] == "bulk":
            _, key, seed = command
            elements = random_elements(random.Random(seed), random.Random(seed).choice([200, 1500]))
            state[key] = add_both(r, key, state[key], elements)
        elif command[0] == "count":
            keys = command[1]
            after = count_both(r, keys, [state[k] for k in keys])
            if len(keys) == 1:
                state[keys[0]] = after[0]
        else:
            _, dest, sources = command
            state[dest] = hll.pfmerge(state[dest], [state[s] for s in sources])
            assert r.execute_command("PFMERGE", dest, *sources)
            assert r.get(dest) == state[dest]
