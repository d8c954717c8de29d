"""What an entry costs in LMDB's B-tree, for MEMORY USAGE and MEMORY STATS.

The arithmetic is LMDB's own (mdb.c: ``mdb_leaf_size``, ``OVPAGES``): on a leaf page an entry
is a node (an 8-byte header, the key, the value) rounded up to an even size, plus the 2-byte
slot that points at it from the page's header. A value too large for a node (more than
``NODE_MAX`` bytes with its key and header) lives in overflow pages of its own, whole pages,
and the node keeps its page number instead. What this leaves out: the free space of partly
filled pages and the branch pages above the leaves (MEMORY STATS counts pages for those).
"""

from __future__ import annotations

import os

#: LMDB's page is the OS page (at most 64 KiB).
PAGE_SIZE = min(os.sysconf("SC_PAGE_SIZE"), 65536)
#: A page's header (``PAGEHDRSZ``).
PAGE_HEADER = 16
#: A node's header before its key (``NODESIZE``).
NODE_HEADER = 8
#: The slot pointing at a node from its page (``sizeof(indx_t)``).
NODE_SLOT = 2
#: An overflow page's number, kept in the node in place of a large value (``sizeof(pgno_t)``).
PAGE_NUMBER = 8
#: The largest node a leaf page holds inline (``me_nodemax``: two nodes at least per page).
NODE_MAX = (((PAGE_SIZE - PAGE_HEADER) // 2) & ~1) - NODE_SLOT


def entry_bytes(key_size: int, value_size: int) -> int:
    """The bytes one LMDB entry takes: its node and slot on a leaf page, and its overflow pages
    when the value does not fit in the node."""
    node = NODE_HEADER + key_size + value_size
    if node <= NODE_MAX:
        return node + (node & 1) + NODE_SLOT
    node = NODE_HEADER + key_size + PAGE_NUMBER
    overflow_pages = (PAGE_HEADER - 1 + value_size) // PAGE_SIZE + 1
    return node + (node & 1) + NODE_SLOT + overflow_pages * PAGE_SIZE


def table_bytes(stat: dict[str, int]) -> tuple[int, int]:
    """A table's pages as ``(index, data)`` bytes from its LMDB stat: the branch pages (the
    B-tree's index above the records) and the leaf and overflow pages (the records)."""
    size = stat["psize"]
    return stat["branch_pages"] * size, (stat["leaf_pages"] + stat["overflow_pages"]) * size
