"""Which binlog files may be deleted: Pika's StableLog::PurgeFiles rules, plus holders.

Files are walked oldest first and the walk stops at the first file that is kept. A file goes
when it is at or below a PURGELOGSTO target, or when more than ``expire-logs-nums`` files
exist, or when more than 10 would remain and it is older than ``expire-logs-days``. It never
goes when it is one of the 10 newest files, the file being written, or a file a *holder* (a
bgsave in progress, a slave still reading) needs.
"""

from __future__ import annotations

import os

from .reader import file_numbers, file_path

#: Pika never purges the newest 10 files (BinlogCloudPurge).
KEEP_NEWEST = 10


def purgeable(numbers: list[int], current: int, expire_logs_nums: int, expire_logs_days: int,
              mtimes: dict[int, float], now: float, target: int | None = None,
              oldest_needed: int | None = None) -> list[int]:
    """The file numbers to delete, oldest first (pure: the caller gives the facts)."""
    doomed = []
    remaining = len(numbers)
    for number in numbers:
        if number >= current or number > current - KEEP_NEWEST:
            break
        if oldest_needed is not None and number >= oldest_needed:
            break
        expired = remaining > KEEP_NEWEST and now - mtimes[number] > expire_logs_days * 86400
        if not ((target is not None and number <= target) or remaining > expire_logs_nums or expired):
            break
        doomed.append(number)
        remaining -= 1
    return doomed


def purge(directory: str, current: int, expire_logs_nums: int, expire_logs_days: int, now: float,
          target: int | None = None, oldest_needed: int | None = None) -> list[int]:
    """Delete what :func:`purgeable` allows; returns the deleted file numbers."""
    numbers = file_numbers(directory)
    mtimes = {number: os.path.getmtime(file_path(directory, number)) for number in numbers}
    doomed = purgeable(numbers, current, max(expire_logs_nums, KEEP_NEWEST), max(expire_logs_days, 1), mtimes,
                       now, target, oldest_needed)
    for number in doomed:
        os.unlink(file_path(directory, number))
    return doomed
