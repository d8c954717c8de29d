"""Redis-style log lines: ``pid:role dd Mon yyyy HH:MM:SS.mmm <level> message``.

Levels print as Redis prints them: ``.`` debug, ``-`` verbose, ``*`` notice, ``#`` warning.
"""

from __future__ import annotations

import logging
import os
import sys
import time

VERBOSE = 15
logging.addLevelName(VERBOSE, "VERBOSE")

LEVELS = {"debug": logging.DEBUG, "verbose": VERBOSE, "notice": logging.INFO, "warning": logging.WARNING}


class RedisFormatter(logging.Formatter):
    """Formats records the way redis-server writes its log."""

    def __init__(self, role: str = "M") -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno >= logging.WARNING:
            mark = "#"
        elif record.levelno >= logging.INFO:
            mark = "*"
        elif record.levelno >= VERBOSE:
            mark = "-"
        else:
            mark = "."
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(record.created))
        line = f"{os.getpid()}:{self.role} {stamp}.{int(record.msecs):03d} {mark} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str, logfile: str) -> None:
    """Send the ``pypika_store`` loggers to ``logfile`` (stdout when empty) at ``level``."""
    handler: logging.Handler
    handler = logging.FileHandler(logfile) if logfile else logging.StreamHandler(sys.stdout)
    handler.setFormatter(RedisFormatter())
    root = logging.getLogger("pypika_store")
    root.handlers[:] = [handler]
    root.setLevel(LEVELS.get(level, logging.INFO))
    root.propagate = False
