"""A prototype, not the store's format: LRANGE's read and reply if a list kept several elements per
LMDB entry (issue #16, docs/benchmarks.md "The read path, round 5").

    python benchmarks/list_chunks.py                     # LRANGE 0 99 of 3-byte elements
    python benchmarks/list_chunks.py --size 100 --chunk 16,64

Today a list keeps one LMDB entry per element (docs/storage-format.md), so LRANGE 0 99 is a
cursor walk of 100 steps (py-lmdb releases and retakes the GIL at each one and makes a bytes
object) and a reply that looks up 100 length headers. The prototype stores ``--chunk`` elements
per entry, already in their reply's encoding (``$<length>\\r\\n<element>\\r\\n`` each) behind a
table of their offsets, so a range is a walk of one step per chunk, a slice of the first and last
chunks and one join. Both layouts are written in one LMDB environment and read alternately, the
best of ``--rounds`` rounds of CPU time per LRANGE printed; the replies are checked equal.
"""

from __future__ import annotations

import argparse
import struct
import sys
import tempfile
import time
from itertools import islice
from typing import Callable

import lmdb

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])
from pypika_store.server.resp.replies import BulkStrings, encode  # noqa: E402

_POSITION = struct.Struct(">Q")
_OBJECT = _POSITION.pack(7)
_OFFSET = struct.Struct(">I")


def chunk_value(elements: list[bytes]) -> bytes:
    """The elements' offsets (u32 each, and the end) and the elements encoded as in a reply."""
    encoded = [b"$%d\r\n%s\r\n" % (len(element), element) for element in elements]
    table_size = _OFFSET.size * (len(encoded) + 1)
    offsets, position = [], table_size
    for part in encoded:
        offsets.append(position)
        position += len(part)
    offsets.append(position)
    return struct.pack(">%dI" % len(offsets), *offsets) + b"".join(encoded)


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
    """The prototype's read: one walk step per chunk; the first and last chunks sliced at their
    offsets, the whole ones in between taken past their offset tables."""
    first, last = start // chunk, stop // chunk
    cursor.set_range(_OBJECT + _POSITION.pack(first))
    values = list(islice(cursor.iternext(keys=False, values=True), last - first + 1))
    parts = [b"*%d\r\n" % (stop - start + 1)]
    for index, value in enumerate(values):
        count = _OFFSET.unpack_from(value)[0] // _OFFSET.size - 1
        low = start - (first + index) * chunk if index == 0 else 0
        high = stop - (first + index) * chunk + 1 if index == len(values) - 1 else count
        begin, = _OFFSET.unpack_from(value, _OFFSET.size * low)
        end, = _OFFSET.unpack_from(value, _OFFSET.size * high)
        parts.append(value[begin:end])
    return b"".join(parts)


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
            env.close()


if __name__ == "__main__":
    main()
