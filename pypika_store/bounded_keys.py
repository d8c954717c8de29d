"""Storing keys and members of any length under LMDB's 511-byte key limit, in their byte order.

An LMDB key (a meta table's stored key, or a members table's ``object_id | suffix``) of up to
:data:`MAX_STORED` bytes is stored as it is. A longer one is stored *cut*: its first
:data:`CUT` bytes and a 16-byte BLAKE2b digest of everything after its ``fixed`` head (the
object id of a member, which a copy under a new id replaces; nothing for a meta key), always
exactly :data:`MAX_STORED` bytes; its value is *wrapped*: ``length u32 | whole tail | value``,
so the entry carries the whole key and every lookup compares it (docs/storage-format.md,
"Long keys and members"). A key of exactly :data:`MAX_STORED` bytes, stored as it is, has its
value wrapped too when written, so that no value a client chooses can pass for a cut entry's.

Order: a cut key sorts exactly where its whole key does among keys that differ from it in the
first :data:`CUT` bytes. Only the stored keys longer than :data:`CUT` that share their first
:data:`CUT` bytes (a *group*: contiguous in LMDB's order) may be out of order among
themselves, so :func:`walk` reads such a group whole and sorts it by the whole keys.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Iterator

from .errors import DigestCollisionError

#: LMDB's limit on a key's size (its default MDB_MAXKEYSIZE).
MAX_STORED = 511
DIGEST_SIZE = 16
#: How much of a long key is kept in front of its digest.
CUT = MAX_STORED - DIGEST_SIZE

_LENGTH = struct.Struct(">I")


def _digest(tail: bytes) -> bytes:
    return hashlib.blake2b(tail, digest_size=DIGEST_SIZE).digest()


def stored_form(whole: bytes, fixed: int) -> bytes:
    """The LMDB key of ``whole``: itself, or cut when longer than :data:`MAX_STORED`."""
    if len(whole) <= MAX_STORED:
        return whole
    return whole[:CUT] + _digest(whole[fixed:])


def wrap(whole: bytes, fixed: int, value: bytes) -> bytes:
    """The stored value of ``whole``'s entry: ``value``, wrapped with the key when the stored
    key is :data:`MAX_STORED` bytes long (cut, or exactly that long)."""
    if len(whole) < MAX_STORED:
        return value
    tail = whole[fixed:]
    return _LENGTH.pack(len(tail)) + tail + value


def unwrap(stored: bytes, fixed: int, raw: bytes) -> tuple[bytes, bytes]:
    """``(whole key, value)`` of a stored entry. A cut entry is recognised by its length and
    by a wrapped key that cuts to it (a value that merely looks like a wrapper cannot pass
    the digest)."""
    if len(stored) == MAX_STORED and len(raw) >= _LENGTH.size:
        length = _LENGTH.unpack_from(raw)[0]
        end = _LENGTH.size + length
        if fixed + length >= MAX_STORED and end <= len(raw):
            whole = stored[:fixed] + raw[_LENGTH.size:end]
            if stored_form(whole, fixed) == stored:
                return whole, raw[end:]
    return stored, raw


def _owned_value(whole: bytes, fixed: int, stored: bytes, raw: bytes | None) -> bytes | None:
    """The value ``whole`` has in an entry read at its stored key ``stored`` (None: none); an
    entry of another key there (a digest collision) reads as missing."""
    if raw is None or len(stored) < MAX_STORED:
        return raw
    found, value = unwrap(stored, fixed, raw)
    return value if found == whole else None


def read(txn, table, whole: bytes, fixed: int) -> bytes | None:
    """The value of the entry ``whole`` in ``table`` (None: none)."""
    if len(whole) < MAX_STORED:  # stored as it is, never wrapped: one lookup (every GET)
        return txn.get(whole, db=table)
    stored = stored_form(whole, fixed)
    return _owned_value(whole, fixed, stored, txn.get(stored, db=table))


def replace(txn, table, whole: bytes, fixed: int, value: bytes) -> bytes | None:
    """Give the entry ``whole`` in ``table`` the value ``value``; the value it replaces (None:
    none). DigestCollisionError rather than overwrite another key's entry."""
    if len(whole) < MAX_STORED:  # stored as it is, never wrapped: one put returning the old value
        return txn.replace(whole, value, db=table)
    stored = stored_form(whole, fixed)
    old = txn.get(stored, db=table)
    if old is not None:
        found, old = unwrap(stored, fixed, old)
        if found != whole:
            raise DigestCollisionError()
    txn.put(stored, wrap(whole, fixed, value), db=table)
    return old


def put(txn, table, whole: bytes, fixed: int, value: bytes) -> None:
    """:func:`replace` for a caller that needs not the value replaced (a member known to be
    new, a collection's meta rewritten in place): a short key is one put, no lookup."""
    if len(whole) < MAX_STORED:
        txn.put(whole, value, db=table)
    else:
        replace(txn, table, whole, fixed, value)


def remove(txn, table, whole: bytes, fixed: int) -> bytes | None:
    """Remove the entry ``whole`` from ``table``; its value, None when there was none."""
    if len(whole) < MAX_STORED:  # stored as it is, never wrapped
        return txn.pop(whole, db=table)
    stored = stored_form(whole, fixed)
    old = _owned_value(whole, fixed, stored, txn.get(stored, db=table))
    if old is not None:
        txn.delete(stored, db=table)
    return old


def walk(cursor, start: bytes, fixed: int, reverse: bool = False,
         within: bytes = b"") -> Iterator[tuple[bytes, bytes, bytes]]:
    """``(whole key, stored key, value)`` of the keys starting with ``within`` in a cursor's
    table, from ``start`` (inclusive) in the whole keys' byte order (descending with
    ``reverse``; an empty ``start`` then means the end). A group (see the module's
    docstring) is read whole and sorted, which costs its size, only where stored keys longer
    than :data:`CUT` share their first :data:`CUT` bytes."""
    if reverse:
        if not _seek_last_at_or_before(cursor, start):
            return
        items = cursor.iterprev()
        below = start or None  # a descending walk from the group's end: its later members go
    else:
        if not cursor.set_range(start[:CUT]):
            return
        items = cursor.iternext()
        below = None
    # Forward from a long start, the walk begins at its group's head: what precedes it goes.
    above = start if not reverse and len(start) > CUT else None
    pending = next(items, None)
    while pending is not None:
        stored, value = pending
        if len(stored) <= CUT:
            if not stored.startswith(within):
                if (stored < within) != reverse:  # not there yet (a long start's group head)
                    pending = next(items, None)
                    continue
                return
            if above is None or stored >= above:
                yield stored, stored, value
            pending = next(items, None)
            continue
        head = stored[:CUT]
        group = []
        while pending is not None and pending[0].startswith(head):
            whole, unwrapped = unwrap(pending[0], fixed, pending[1])
            group.append((whole, pending[0], unwrapped))
            pending = next(items, None)
        group.sort(reverse=reverse)
        for entry in group:
            whole = entry[0]
            if not whole.startswith(within):
                if (whole < within) != reverse:  # not there yet
                    continue
                return
            if (above is None or whole >= above) and (below is None or whole <= below):
                yield entry


def _seek_last_at_or_before(cursor, start: bytes) -> bool:
    """Put the cursor where a descending walk from ``start`` begins: the last stored key not
    after ``start``, or (``start`` longer than :data:`CUT`) the last of its group."""
    if not start:
        return cursor.last()
    if len(start) > CUT:
        after = successor(start[:CUT])
        if after is None or not cursor.set_range(after):
            return cursor.last()
        return cursor.prev()
    if not cursor.set_range(start):
        return cursor.last()
    return True if cursor.key() == start else cursor.prev()


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
