"""``pypika-binlog``: print a binlog directory's items, one per line.

    pypika-binlog ./log/log_db0                  # pypika-store's or real Pika's binlog
    pypika-binlog ./log/log_db0 --from 0:4096    # from an item boundary
    pypika-binlog ./log/log_db0 --unchecked      # force reading without CRC checks (Pika's files)

Each line: ``filenum:offset logic_id=N term=N time=YYYY-MM-DDTHH:MM:SSZ command args...`` with
arguments shown as Python byte-string literals where they are not plain printable text.
"""

from __future__ import annotations

import argparse
import sys
import time

from .format import Position, decode_command
from .reader import BinlogReader
from .writer import read_manifest


def _show(arg: bytes) -> str:
    text = arg.decode("ascii", "replace")
    if arg.isascii() and text.isprintable() and " " not in text and text:
        return text
    return repr(arg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pypika-binlog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", help="a binlog folder such as ./log/log_db0")
    parser.add_argument("--from", dest="start", default="0:0", help="FILENUM:OFFSET to start at")
    parser.add_argument("--unchecked", action="store_true", help="read records without CRC checks")
    args = parser.parse_args(argv)
    filenum, _, offset = args.start.partition(":")
    manifest = read_manifest(args.directory)
    checked = not args.unchecked and (manifest is None or manifest[3])
    reader = BinlogReader(args.directory, checked=checked)
    count = 0
    for start, _end, item in reader.items(Position(int(filenum), int(offset or 0))):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(item.exec_time))
        command = " ".join(_show(arg) for arg in decode_command(item.content))
        print(f"{start.filenum}:{start.offset} logic_id={item.logic_id} term={item.term_id} time={stamp} {command}")
        count += 1
    print(f"# {count} items", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
