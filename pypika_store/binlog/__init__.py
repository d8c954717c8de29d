"""Pika's binlog: write2file<N> files of 64 KiB blocks, items addressed by (filenum, offset).

See docs/binlog-format.md for the byte layout.
"""

from .format import BinlogItem, CorruptRecord, Position
from .reader import BinlogReader
from .writer import BinlogWriter

__all__ = ["BinlogItem", "BinlogReader", "BinlogWriter", "CorruptRecord", "Position"]
