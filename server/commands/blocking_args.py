"""The timeout argument of blocking commands, read as Redis' getTimeoutFromObjectOrReply."""

from __future__ import annotations

from pypika_store import long_double
from pypika_store.errors import CommandError

#: Redis keeps timeouts in milliseconds in a long long.
_MAX_MS = 2**63 - 1


def parse_timeout(arg: bytes) -> float:
    """Seconds to wait (0: forever), with Redis' errors for bad and negative values."""
    value = long_double.parse(arg)
    if value is None:
        raise CommandError("ERR timeout is not a float or out of range")
    # Redis 7.0 converts the milliseconds to a long long unchecked: on x86 anything out of
    # range (infinities included) becomes LLONG_MIN, hence "negative".
    if value < 0 or isinstance(value, float) or value * 1000 > _MAX_MS:
        raise CommandError("ERR timeout is negative")
    return float(value)
