"""Server counters for INFO stats, and the instantaneous rates Redis derives from them."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, fields

#: Rates average over this many samples, taken by the server cron (as Redis' STATS_METRIC_SAMPLES).
SAMPLES = 16


@dataclass
class Stats:
    """Counters behind INFO stats; CONFIG RESETSTAT zeroes them."""

    connections_received: int = 0
    commands_processed: int = 0
    rejected_connections: int = 0
    expired_keys: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    _samples: deque = field(default_factory=lambda: deque(maxlen=SAMPLES), repr=False)

    def sample(self) -> None:
        """Remember the counters now; the rates are computed over the remembered window."""
        self._samples.append((time.monotonic(), self.commands_processed, self.net_input_bytes,
                              self.net_output_bytes))

    def _rate(self, column: int) -> float:
        if len(self._samples) < 2:
            return 0.0
        first, last = self._samples[0], self._samples[-1]
        elapsed = last[0] - first[0]
        return (last[column] - first[column]) / elapsed if elapsed > 0 else 0.0

    def ops_per_sec(self) -> int:
        return int(self._rate(1))

    def input_kbps(self) -> float:
        return self._rate(2) / 1024

    def output_kbps(self) -> float:
        return self._rate(3) / 1024

    def reset(self) -> None:
        for counter in fields(self):
            if not counter.name.startswith("_"):
                setattr(self, counter.name, 0)
        self._samples.clear()
