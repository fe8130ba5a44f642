"""The part of a source line a human-format diagnostic shows, with the columns of its marks.

A line is shown as the terminal should see it: each character `terminal.escape_char`-ed,
tabs expanded to 4-column stops. A line too long to show whole (a minified or generated
file can be one line of megabytes) is cut to a window of about `WIDTH` columns around the
marked spans, with ``…`` where it is cut, so each diagnostic prints a bounded amount
whatever the file. Mark columns are counted in what is shown, so the carets stay under the
characters they mark even where one character shows as several (``\\x1b``).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from .terminal import escape_char, is_plain

#: The widest source line shown whole, and about the widest window of a longer one.
WIDTH = 120
#: Columns kept before the first marked character of a window (when there are that many).
CONTEXT = 40
_CUT = "…"


@dataclass(frozen=True, slots=True)
class Mark:
    """Where a span's marks go under a `Row`: which span (its index in the request), the
    column of the first mark (0-based, in the row's text) and how many marks."""

    span: int
    column: int
    width: int


@dataclass(frozen=True, slots=True)
class Row:
    """A source line, or a window of it, as shown, and the marks under it."""

    text: str
    marks: tuple[Mark, ...]


def _cells(text: str, lo: int, hi: int) -> list[str]:
    """How each character of ``text[lo:hi]`` is shown; tab stops count from `lo`."""
    if is_plain(text[lo:hi]):
        return list(text[lo:hi])
    cells: list[str] = []
    column = 0
    for char in text[lo:hi]:
        cell = " " * (4 - column % 4) if char == "\t" else escape_char(char)
        cells.append(cell)
        column += len(cell)
    return cells


def rows(text: str, line_start: int, line_end: int, spans: Sequence[tuple[int, int]]) -> list[Row]:
    """The rows showing the line ``text[line_start:line_end]`` with each span marked.

    Spans are (start, end) offsets into `text` starting on this line; a span's marks stop at
    the end of the line (or of the window), and there is at least one. One row when the
    line fits in `WIDTH` columns or the spans are close together; otherwise a window per
    group of spans, each ``…``-cut where the line goes on. Only a bounded part of the line
    is ever looked at, however long it is."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    result: list[Row] = []
    k = 0
    while k < len(order):
        first = min(max(spans[order[k]][0], line_start), line_end)
        # Enough of the line for any window holding `first`: WIDTH columns on either side
        # (every character shows as at least one column).
        lo = max(line_start, first - WIDTH)
        hi = min(line_end, first + WIDTH)
        cells = _cells(text, lo, hi)
        cols = list(accumulate(map(len, cells), initial=0))  # where each cell starts
        total = cols[-1]
        if lo == line_start and hi == line_end and total <= WIDTH:
            a, b = 0, len(cells)  # the whole line
        else:
            right = min(total, max(0, cols[first - lo] - CONTEXT) + WIDTH)
            left = max(0, right - WIDTH)  # near the line's end, more context before
            a = bisect.bisect_left(cols, left)
            b = bisect.bisect_right(cols, right) - 1
        lead = _CUT if lo + a > line_start else ""
        trail = _CUT if lo + b < line_end else ""
        base = cols[a] - len(lead)
        marks: list[Mark] = []
        while k < len(order):
            i = order[k]
            start = min(max(spans[i][0], line_start), line_end)
            at_end = start == line_end == lo + b  # a mark just after the line's last character
            if marks and not (lo + a <= start < lo + b or at_end):
                break  # beyond this window: the next row shows it
            end = min(max(spans[i][1], start + 1), lo + b)
            width = max(1, cols[end - lo] - cols[start - lo]) if end > start else 1
            marks.append(Mark(i, cols[start - lo] - base, width))
            k += 1
        result.append(Row(lead + "".join(cells[a:b]) + trail, tuple(marks)))
    return result
