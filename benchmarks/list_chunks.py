"""A prototype, not the store's format: LRANGE's read and reply if a list kept several elements per
LMDB entry (issue #16, docs/benchmarks.md "The read path, round 5").

    python benchmarks/list_chunks.py                     # LRANGE 0 99 of 3-byte elements
    python benchmarks/list_chunks.py --size 100 --chunk 16,64

Today a list keeps one LMDB entry per element (docs/storage-format.md), so LRANGE 0 99 is a
cursor walk of 100 steps (~90 ns each in py-lmdb's iterator, a bytes object made at each) and a
reply that looks up 100 length headers. The prototype stores ``--chunk`` elements
per entry, already in their reply's encoding (``$<length>\\r\\n<element>\\r\\n`` each) behind a
table of their sizes, so a range is a walk of one step per chunk, a slice of the first and last
chunks and one join. Both layouts are written in one LMDB environment and read alternately, the
best of ``--rounds`` rounds of CPU time per LRANGE printed; the replies are checked equal.

The price is on the write side: a push rewrites its end's chunk (read it, add a size and the
element, put it back) where today it puts one entry. The last table times that: an LPUSH of one
element onto a half-full chunk against today's put of one entry, in a write transaction.
"""

from __future__ import annotations

import argparse
import struct
import tempfile
import time
from itertools import islice
from typing import Callable

import lmdb

from pypika_store.server.resp.replies import BulkStrings, encode

_POSITION = struct.Struct(">Q")
_OBJECT = _POSITION.pack(7)
_COUNT = struct.Struct(">H")
_SIZE = struct.Struct(">I")


def encoded(element: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(element), element)


def chunk_value(elements: list[bytes]) -> bytes:
    """The count (u16), each element's encoded size (u32), then the elements encoded as in a
    reply. Sizes, not offsets: a push at either end adds one size and one element and moves no
    other (one concatenation in C); a range sums the sizes before it (``sum`` of one unpack)."""
    parts = [encoded(element) for element in elements]
    return _COUNT.pack(len(parts)) + struct.pack(">%dI" % len(parts), *map(len, parts)) + b"".join(parts)


def write(env: lmdb.Environment, per_element: lmdb._Database, chunked: lmdb._Database,
          elements: list[bytes], chunk: int) -> None:
    with env.begin(write=True) as txn:
        for position, element in enumerate(elements):
            txn.put(_OBJECT + _POSITION.pack(position), element, db=per_element)
        for number in range(0, len(elements), chunk):
            txn.put(_OBJECT + _POSITION.pack(number // chunk), chunk_value(elements[number:number + chunk]),
                    db=chunked)


def per_element_range(cursor: lmdb.Cursor, start: int, stop: int, chunk: int) -> bytes:
    """Today's read: one walk step per element, then the reply encoder."""
    cursor.set_range(_OBJECT + _POSITION.pack(start))
    return encode(BulkStrings(islice(cursor.iternext(keys=False, values=True), stop - start + 1)))


def chunked_range(cursor: lmdb.Cursor, start: int, stop: int, chunk: int) -> bytes:
    """The prototype's read: one walk step per chunk; the first and last chunks sliced where the
    sums of their sizes say, the whole ones in between taken past their size tables."""
    first, last = start // chunk, stop // chunk
    cursor.set_range(_OBJECT + _POSITION.pack(first))
    values = list(islice(cursor.iternext(keys=False, values=True), last - first + 1))
    parts = [b"*%d\r\n" % (stop - start + 1)]
    for index, value in enumerate(values):
        count, = _COUNT.unpack_from(value)
        body = _COUNT.size + _SIZE.size * count
        low = start - (first + index) * chunk if index == 0 else 0
        high = stop - (first + index) * chunk + 1 if index == len(values) - 1 else count
        if low == 0 and high == count:
            parts.append(value[body:])
            continue
        begin = body + sum(struct.unpack_from(">%dI" % low, value, _COUNT.size))
        end = begin + sum(struct.unpack_from(">%dI" % (high - low), value, _COUNT.size + _SIZE.size * low))
        parts.append(value[begin:end])
    return b"".join(parts)


def per_element_push(cursor: lmdb.Cursor, element: bytes, chunk: int) -> None:
    """Today's push: one new entry."""
    cursor.put(_OBJECT + _POSITION.pack(1 << 40), element)


def chunked_push(cursor: lmdb.Cursor, element: bytes, chunk: int) -> None:
    """The prototype's LPUSH onto the head chunk (kept half full: the rewritten chunk goes to a
    scratch key): the count and the size table grow by one, the element goes first."""
    value = cursor.get(_OBJECT + _POSITION.pack(0))
    count, = _COUNT.unpack_from(value)
    body = _COUNT.size + _SIZE.size * count
    part = encoded(element)
    cursor.put(_OBJECT + _POSITION.pack(1 << 40),
               b"".join((_COUNT.pack(count + 1), _SIZE.pack(len(part)), value[_COUNT.size:body], part, value[body:])))


def push_us(push: Callable[[lmdb.Cursor, bytes, int], None], cursor: lmdb.Cursor, element: bytes, chunk: int,
            calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        push(cursor, element, chunk)
    return (time.process_time() - started) / calls * 1e6


def best_us(read: Callable[[lmdb.Cursor, int, int, int], bytes], cursor: lmdb.Cursor, span: tuple[int, int],
            chunk: int, calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        read(cursor, span[0], span[1], chunk)
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=3, help="bytes per element")
    parser.add_argument("--length", type=int, default=600, help="elements in the list")
    parser.add_argument("--chunk", default="16,32,64", help="elements per entry (comma-separated)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=5000)
    options = parser.parse_args()
    elements = [(b"%0*d" % (options.size, number))[-options.size:] for number in range(options.length)]
    spans = {"0..99": (0, 99), "250..349 (unaligned)": (250, 349)}
    print(f"LRANGE of {options.size}-byte elements, µs of CPU per call (best of {options.rounds} rounds)")
    pushes: dict[int, tuple[float, float]] = {}
    print(f"{'range':22} {'chunk':>5} {'per element':>12} {'chunked':>8} {'chunked/per element':>20}")
    for chunk in map(int, options.chunk.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            env = lmdb.open(folder, max_dbs=2, map_size=1 << 28)
            per_element, chunked = env.open_db(b"per_element"), env.open_db(b"chunked")
            write(env, per_element, chunked, elements, chunk)
            with env.begin() as txn:
                cursors = txn.cursor(db=per_element), txn.cursor(db=chunked)
                for name, span in spans.items():
                    assert per_element_range(cursors[0], *span, chunk) == chunked_range(cursors[1], *span, chunk)
                    today = later = float("inf")
                    for _ in range(options.rounds):
                        today = min(today, best_us(per_element_range, cursors[0], span, chunk, options.calls))
                        later = min(later, best_us(chunked_range, cursors[1], span, chunk, options.calls))
                    print(f"{name:22} {chunk:5} {today:12.2f} {later:8.2f} {later / today:20.2f}")
            pushes[chunk] = measure_pushes(env, per_element, chunked, elements, chunk, options)
            env.close()
    print(f"\nLPUSH of one {options.size}-byte element, µs of CPU per push (best of {options.rounds} rounds)")
    print(f"{'chunk':>5} {'per element':>12} {'chunked':>8} {'chunked - per element':>22}")
    for chunk, (today, later) in pushes.items():
        print(f"{chunk:5} {today:12.2f} {later:8.2f} {later - today:22.2f}")


def measure_pushes(env: lmdb.Environment, per_element: lmdb._Database, chunked: lmdb._Database,
                   elements: list[bytes], chunk: int, options: argparse.Namespace) -> tuple[float, float]:
    """Best µs of a push in each layout, the chunk at ``_OBJECT | 0`` made half full first."""
    today = later = float("inf")
    with env.begin(write=True) as txn:
        txn.put(_OBJECT + _POSITION.pack(0), chunk_value(elements[:chunk // 2]), db=chunked)
        cursors = txn.cursor(db=per_element), txn.cursor(db=chunked)
        for _ in range(options.rounds):
            today = min(today, push_us(per_element_push, cursors[0], elements[0], chunk, options.calls))
            later = min(later, push_us(chunked_push, cursors[1], elements[0], chunk, options.calls))
        txn.abort()
    return today, later


if __name__ == "__main__":
    main()
