"""The engine's clock: what "now" is for the data (TTLs, TIME, stream ids, binlog exec times).

Every reading of wall time that means "now" for the data goes through one :class:`Clock` per
engine, so a test can freeze it, move it, or skew it from real time (``CHAOS CLOCK``) and every
decision that depends on it follows: a key expires when the clock passes its deadline, whatever
the real time is. Each engine has its own clock, so the nodes of a replication group running in
one process can disagree about the time as real machines do.

Monotonic time (timeouts of links and clients, the event loop's timers) is not this clock's:
moving the data's clock does not make a connection time out.

The clock is real time plus an offset, or a frozen instant. Moving it (:meth:`Clock.advance`,
:meth:`Clock.set`) calls the :attr:`Clock.on_moved` hooks, so whatever became due can act at
once (the server runs its active expiry).
"""

from __future__ import annotations

import time
from typing import Callable


class Clock:
    """Real time, optionally frozen and offset; in unix milliseconds."""

    def __init__(self) -> None:
        #: Added to real time while the clock runs.
        self._offset_ms = 0
        #: The instant the clock stands at while frozen, None while it runs.
        self._frozen_ms: int | None = None
        #: Called after the clock moved forward or was set (things that became due act then).
        self.on_moved: list[Callable[[], None]] = []

    # -- reading ---------------------------------------------------------------------------

    def now_ms(self) -> int:
        """Now, in unix milliseconds."""
        frozen = self._frozen_ms
        if frozen is not None:
            return frozen
        return time.time_ns() // 1_000_000 + self._offset_ms

    def now_us(self) -> int:
        """Now, in unix microseconds (TIME): real microseconds while running, so successive
        readings still differ within one millisecond."""
        frozen = self._frozen_ms
        if frozen is not None:
            return frozen * 1000
        return time.time_ns() // 1000 + self._offset_ms * 1000

    def now_s(self) -> int:
        """Now, in whole unix seconds (a binlog item's exec time)."""
        return self.now_ms() // 1000

    @property
    def frozen(self) -> bool:
        return self._frozen_ms is not None

    @property
    def offset_ms(self) -> int:
        """How far this clock stands from real time right now (negative: behind)."""
        return self.now_ms() - time.time_ns() // 1_000_000

    @property
    def is_real(self) -> bool:
        """True when the clock is real time (nothing to heal)."""
        return self._frozen_ms is None and self._offset_ms == 0

    # -- moving ----------------------------------------------------------------------------

    def freeze(self) -> None:
        """Stop the clock where it stands (no-op when frozen already)."""
        if self._frozen_ms is None:
            self._frozen_ms = self.now_ms()

    def resume(self) -> None:
        """Let a frozen clock run again from where it stands: it stays behind real time by as
        long as it was frozen (as a machine's clock after a suspend), until reset or set."""
        frozen = self._frozen_ms
        if frozen is not None:
            self._frozen_ms = None
            self._offset_ms = frozen - time.time_ns() // 1_000_000

    def advance(self, milliseconds: int) -> None:
        """Move the clock by ``milliseconds`` (negative: back), frozen or running."""
        if self._frozen_ms is not None:
            self._frozen_ms += milliseconds
        else:
            self._offset_ms += milliseconds
        self._moved()

    def set(self, unix_ms: int) -> None:
        """Put the clock at ``unix_ms``; a frozen clock stays frozen there."""
        self.advance(unix_ms - self.now_ms())

    def skew(self, milliseconds: int) -> None:
        """Make the clock real time plus ``milliseconds`` (frozen there if it was frozen)."""
        self.set(time.time_ns() // 1_000_000 + milliseconds)

    def reset(self) -> None:
        """Back to real time, running."""
        self._frozen_ms = None
        self._offset_ms = 0
        self._moved()

    def _moved(self) -> None:
        for hook in self.on_moved:
            hook()
