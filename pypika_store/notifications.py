"""Keyspace notifications' classes (Redis' notify-keyspace-events letters) and their parsing.

The engine notes keyspace events and never publishes them: a write that Redis announces notes
``(event, db, key)`` in its turn's :attr:`~pypika_store.turn.Turn.events`, filtered by the
classes the server enabled (:attr:`~pypika_store.turn.Turn.notify_classes`, 0 by default, so
noting costs one integer test), and the server publishes them on ``__keyspace@<db>__:<key>`` and
``__keyevent@<db>__:<event>`` once the command ran (``server/notifications.py``).
"""

from __future__ import annotations

#: One bit per class letter of notify-keyspace-events, in Redis 7.0's order.
(KEYSPACE, KEYEVENT, GENERIC, STRING, LIST, SET, HASH, ZSET, EXPIRED, EVICTED, STREAM, KEY_MISS, MODULE,
 NEW) = (1 << bit for bit in range(14))

#: The class letters and their bits.
CLASS_LETTERS = {"K": KEYSPACE, "E": KEYEVENT, "g": GENERIC, "$": STRING, "l": LIST, "s": SET, "h": HASH,
                 "z": ZSET, "x": EXPIRED, "e": EVICTED, "t": STREAM, "m": KEY_MISS, "d": MODULE, "n": NEW}

#: ``A``: every class of events but key misses and new keys (Redis' NOTIFY_ALL).
ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE

#: The event classes (what a write notes); K and E only say where events are published.
EVENT_CLASSES = ALL | KEY_MISS | NEW

#: The letters CONFIG SET's error names, in Redis' spelling.
_LETTERS_NAMED = "Ag$lshzxeKEtmdn"


class InvalidClassLetter(ValueError):
    """A letter notify-keyspace-events does not know (Redis' own error text)."""

    def __init__(self) -> None:
        super().__init__(f"Invalid event class character. Use '{_LETTERS_NAMED}'.")


def parse_classes(text: str) -> int:
    """The class bits a notify-keyspace-events value names, as Redis'
    keyspaceEventsStringToFlags reads it (any order, repeats allowed)."""
    flags = 0
    for letter in text:
        if letter == "A":
            flags |= ALL
        elif letter in CLASS_LETTERS:
            flags |= CLASS_LETTERS[letter]
        else:
            raise InvalidClassLetter()
    return flags


def format_classes(flags: int) -> str:
    """CONFIG GET's echo of the bits (Redis' keyspaceEventsFlagsToString): ``A`` when every
    class it covers is on, else their letters, ``n`` among them (so Redis echoes ``An`` as
    ``A``); then ``K``, ``E``, ``m``."""
    if flags & ALL == ALL:
        covered = "A"
    else:
        covered = "".join(letter for letter in "g$lshzxetdn" if flags & CLASS_LETTERS[letter])
    return covered + "".join(letter for letter in "KEm" if flags & CLASS_LETTERS[letter])


def published_classes(flags: int) -> int:
    """The event classes the server must note for ``flags``: none unless ``K`` or ``E`` says
    where to publish them (Redis accepts ``g$`` alone, and publishes nothing)."""
    return flags & EVENT_CLASSES if flags & (KEYSPACE | KEYEVENT) else 0
