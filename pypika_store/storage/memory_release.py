"""Memory the process can give back after a big request, through the C library (Linux, glibc).

Two kinds stay with the process after a big value has come and gone:

- **pages of LMDB's map** the process touched (a read of the value, the DEL that read it to
  delete it): they are the data file's page cache mapped in, counted in the resident size
  until the kernel needs them. ``madvise(MADV_DONTNEED)`` drops them from this process; LMDB
  maps its file read-only and writes with ``pwrite``, so the next read faults them back in
  from the page cache, unchanged.
- **free heap** glibc keeps for later allocations (values below its mmap threshold, which
  grows to 32 MB after a big allocation was freed): ``malloc_trim(0)`` returns it.

Where the C library lacks either call (not Linux, musl), the call does nothing.
"""

from __future__ import annotations

import ctypes
import os

_MADV_DONTNEED = 4
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

try:
    _libc: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no C library to load symbols from
    _libc = None
_madvise = getattr(_libc, "madvise", None)
_malloc_trim = getattr(_libc, "malloc_trim", None)
if _madvise is not None:
    _madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    _madvise.restype = ctypes.c_int
if _malloc_trim is not None:
    _malloc_trim.argtypes = (ctypes.c_size_t,)
    _malloc_trim.restype = ctypes.c_int


def drop_mapped_pages(path: str) -> int:
    """Drop this process' resident pages of every mapping of the file ``path``; the bytes of
    the mappings advised (0 where madvise or /proc/self/maps is missing)."""
    if _madvise is None:
        return 0
    target = os.path.realpath(path)
    advised = 0
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            ranges = [line.split(None, 5) for line in maps]
    except OSError:
        return 0
    for fields in ranges:
        if len(fields) == 6 and fields[5].rstrip("\n") == target:
            start, end = (int(address, 16) for address in fields[0].split("-"))
            if _madvise(start, end - start, _MADV_DONTNEED) == 0:
                advised += end - start
    return advised


def mapped_resident_bytes() -> int:
    """Resident bytes of this process that are mapped files (statm's shared pages); 0 where
    /proc is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[2]) * _PAGE_SIZE
    except OSError:
        return 0


def trim_heap() -> bool:
    """Return glibc's free heap to the system; True if some was returned."""
    return bool(_malloc_trim(0)) if _malloc_trim is not None else False
