"""LOLWUT: computer art and the Redis version.

``LOLWUT VERSION 5 [cols [squares-per-row [squares-per-col]]]`` draws Georg Nees' Schotter as
Redis 5's LOLWUT does: a grid of squares, turned and shifted more at random the lower the
row, drawn on a canvas of pixels printed as Braille characters (2 x 4 pixels each). Every
other version prints only the version line, as Redis 7.0 does for the versions it has no art
for; its version 6 draws a Plaguemon landscape, not reproduced here: version 6 checks its
arguments (columns, rows) as Redis does, then prints the version line too.
"""

from __future__ import annotations

import math
import random

from pypika_store import REDIS_VERSION

from ..arguments import Arguments, parse_int
from ..registry import command
from ..resp.replies import Verbatim

#: Braille dot bits of the pixels of one character cell, by (x, y) inside the 2 x 4 cell.
_BRAILLE_BITS = {(0, 0): 0x01, (0, 1): 0x02, (0, 2): 0x04, (1, 0): 0x08,
                 (1, 1): 0x10, (1, 2): 0x20, (0, 3): 0x40, (1, 3): 0x80}
_VERSION_LINE = f"Redis ver. {REDIS_VERSION}\n"


class _Canvas:
    """A black-and-white pixel canvas."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(width * height)

    def set(self, x: int, y: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[y * self.width + x] = 1

    def line(self, x1: int, y1: int, x2: int, y2: int) -> None:
        """Bresenham's line, both ends included."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        step_x, step_y = (1 if x1 < x2 else -1), (1 if y1 < y2 else -1)
        error = dx - dy
        while True:
            self.set(x1, y1)
            if x1 == x2 and y1 == y2:
                return
            doubled = error * 2
            if doubled > -dy:
                error -= dy
                x1 += step_x
            if doubled < dx:
                error += dx
                y1 += step_y

    def square(self, x: int, y: int, side: float, angle: float) -> None:
        """A square centred on (x, y), turned by ``angle`` radians."""
        half_diagonal = round(side / math.sqrt(2))
        corners = [(round(math.sin(math.pi / 4 + angle + j * math.pi / 2) * half_diagonal + x),
                    round(math.cos(math.pi / 4 + angle + j * math.pi / 2) * half_diagonal + y))
                   for j in range(4)]
        for j in range(4):
            self.line(*corners[j], *corners[(j + 1) % 4])

    def render(self) -> str:
        """The canvas as lines of Braille characters, each ended by a newline but when the
        last pixel row starts a line (Redis' renderCanvas)."""
        lines = []
        for top in range(0, self.height, 4):
            cells = []
            for left in range(0, self.width, 2):
                bits = 0
                for (dx, dy), bit in _BRAILLE_BITS.items():
                    x, y = left + dx, top + dy
                    if x < self.width and y < self.height and self.pixels[y * self.width + x]:
                        bits |= bit
                cells.append(chr(0x2800 + bits))
            lines.append("".join(cells) + ("\n" if top != self.height - 1 else ""))
        return "".join(lines)


def _schotter(columns: int, squares_per_row: int, squares_per_column: int) -> str:
    """Redis 5's LOLWUT drawing: the first two rows straight, the next ones ever more disordered."""
    width = columns * 2
    padding = 2 if width > 4 else 0
    side = (width - padding * 2) / squares_per_row
    canvas = _Canvas(width, int(side * squares_per_column + padding * 2))
    for row in range(squares_per_column):
        for column in range(squares_per_row):
            x = int(column * side + side / 2 + padding)
            y = int(row * side + side / 2 + padding)
            angle = 0.0
            if row > 1:
                shift_x, shift_y, angle = (random.uniform(-1, 1) / squares_per_column * row for _ in range(3))
                x += int(shift_x * side / 3)
                y += int(shift_y * side / 3)
            canvas.square(x, y, side, angle)
    return canvas.render()


def _clamped(args: Arguments, default: int, low: int, high: int) -> int:
    return min(max(args.take_int(), low), high) if args else default


@command("lolwut", arity=-1, flags="readonly fast", group="server", syntax="[VERSION version:integer]")
def lolwut(client: object, argv: list[bytes]) -> object:
    """Display some computer art and the Redis version."""
    version = parse_int(argv[2]) if len(argv) >= 3 and argv[1].lower() == b"version" else None
    args = Arguments(argv, 3)
    if version == 6:
        _clamped(args, 0, 0, 0)
        _clamped(args, 0, 0, 0)
    if version != 5:
        return Verbatim(_VERSION_LINE)
    columns = _clamped(args, 66, 1, 1000)
    squares_per_row = _clamped(args, 8, 1, 200)
    squares_per_column = _clamped(args, 12, 1, 200)
    art = _schotter(columns, squares_per_row, squares_per_column)
    return Verbatim(f"{art}\nGeorg Nees - schotter, plotter on paper, 1968. {_VERSION_LINE}")
