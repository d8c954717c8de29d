"""The kinds of configuration values and their checks, with Redis 7.0's exact error texts.

Each kind is a constructor returning an :class:`Option` whose ``parse`` turns CONFIG SET's
text into the stored value or raises :class:`ConfigError` with the text Redis puts after
``ERR CONFIG SET failed (possibly related to argument '<name>') - ``. The rules are Redis'
(``config.c``): integers are exact decimal (no spaces, no ``+``, no leading zeros), memory
values are digits with an optional unit (``1gb``, ``100k``; an empty text is 0), booleans are
``yes``/``no`` in any case, enums match in any case and are stored in lowercase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

INT_MIN, INT_MAX, UINT_MAX = -2**31, 2**31 - 1, 2**32 - 1
LLONG_MAX, ULLONG_MAX = 2**63 - 1, 2**64 - 1

#: Redis' texts for a refused CONFIG SET of an option that cannot change at run time.
IMMUTABLE = "can't set immutable config"
PROTECTED = "can't set protected config"
#: The documentation of an option kept only so Redis tools can read and set it.
NO_EFFECT = "Redis 7.0's: accepted, checked and kept as Redis does; no effect here."


class ConfigError(ValueError):
    """A value that does not parse for its option; the text completes Redis' CONFIG SET error."""


@dataclass(frozen=True)
class Option:
    """One configuration option.

    ``parse`` checks and converts a text (bounds and choices included); ``refusal`` is the
    error CONFIG SET answers when the option cannot change while the server runs (None: it
    can); ``merge`` combines the old value with a new one for options a CONFIG SET only
    partly replaces (client-output-buffer-limit's classes).
    """

    name: str
    default: object
    parse: Callable[[str], object]
    format: Callable[[object], str] = str
    refusal: str | None = None
    aliases: tuple[str, ...] = field(default=())
    doc: str = NO_EFFECT
    merge: Callable[[object, object], object] | None = None

    @property
    def mutable(self) -> bool:
        return self.refusal is None

    def convert(self, text: str) -> object:
        """Parse ``text``; raises :class:`ConfigError`."""
        return self.parse(text)


# -- numbers -------------------------------------------------------------------------------

_INTEGER_RE = re.compile(r"^(0|-?[1-9][0-9]*)$")
_MEMORY_RE = re.compile(r"^([0-9]*)([a-zA-Z]*)$")
_MEMORY_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3,
}


def parse_integer(text: str) -> int:
    """A decimal integer exactly as Redis' string2ll takes it (a 64-bit signed value)."""
    if not _INTEGER_RE.match(text) or not -2**63 <= int(text) <= LLONG_MAX:
        raise ConfigError("argument couldn't be parsed into an integer")
    return int(text)


def parse_memory(text: str) -> int:
    """Redis' memory notation (``512mb``, ``1gb``, ``100k``) in bytes; saturates at 2**64-1
    as strtoull does, so an oversized value fails the option's bounds, not its syntax."""
    match = _MEMORY_RE.match(text)
    if not match or match.group(2).lower() not in _MEMORY_UNITS:
        raise ConfigError("argument must be a memory value")
    digits = int(match.group(1) or "0")
    return min(ULLONG_MAX, min(ULLONG_MAX, digits) * _MEMORY_UNITS[match.group(2).lower()])


def _bounded(parse: Callable[[str], int], minimum: int, maximum: int) -> Callable[[str], int]:
    def parse_bounded(text: str) -> int:
        value = parse(text)
        if not minimum <= value <= maximum:
            raise ConfigError(f"argument must be between {minimum} and {maximum} inclusive")
        return value
    return parse_bounded


def integer(name: str, default: int, minimum: int, maximum: int, **kw) -> Option:
    return Option(name, default, _bounded(parse_integer, minimum, maximum), **kw)


def memory(name: str, default: int, minimum: int, maximum: int, **kw) -> Option:
    return Option(name, default, _bounded(parse_memory, minimum, maximum), **kw)


# -- words ---------------------------------------------------------------------------------

def parse_yes_no(text: str) -> bool:
    value = text.lower()
    if value not in ("yes", "no"):
        raise ConfigError("argument must be 'yes' or 'no'")
    return value == "yes"


def format_yes_no(value: object) -> str:
    return "yes" if value else "no"


def boolean(name: str, default: bool, **kw) -> Option:
    return Option(name, default, parse_yes_no, format_yes_no, **kw)


def enum(name: str, default: str, choices: tuple[str, ...], **kw) -> Option:
    """One of ``choices`` (Redis lists them in its own order in the error)."""
    def parse_choice(text: str) -> str:
        value = text.lower()
        if value not in choices:
            raise ConfigError("argument(s) must be one of the following: " + ", ".join(choices))
        return value
    return Option(name, default, parse_choice, **kw)


def string(name: str, default: str, **kw) -> Option:
    return Option(name, default, str, **kw)


def fixed(name: str, default: str, **kw) -> Option:
    """An option Redis reads only at start-up (CONFIG SET: immutable)."""
    return Option(name, default, str, refusal=IMMUTABLE, **kw)
