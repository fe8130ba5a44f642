"""A one-line progress bar for a download, drawn on a terminal and nowhere else.

On a terminal the line is redrawn in place (at most ten times a second) and erased when
the download ends, so what is printed after it starts on a clean line. Anything that is
not a terminal (a CI log, a pipe, a file) gets nothing: a log full of carriage returns
helps no one. Written here rather than taken from a library: one line, a few numbers.
"""

from __future__ import annotations

import os
import time
from typing import IO

from ..terminal import escape

_INTERVAL = 0.1
_MIB = 1024 * 1024


def is_terminal(stream: IO[str] | None) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _columns(stream: IO[str]) -> int:
    """The width of the terminal `stream` is (80 when it cannot be told)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


class Progress:
    """The bar of one download: `label` (escaped: it comes from the project), bytes
    received and, when the server said, the total."""

    def __init__(self, stream: IO[str] | None, label: str) -> None:
        self._stream = stream if is_terminal(stream) else None
        self._label = escape(label)
        self._total: int | None = None
        self._done = 0
        self._drawn_at = 0.0
        self._shown = False

    def start(self, total: int | None) -> None:
        self._total = total
        self._draw(force=True)

    def advance(self, count: int) -> None:
        self._done += count
        self._draw(force=False)

    def close(self) -> None:
        """Erase the line (carriage return, erase to the end of the line)."""
        if self._stream is not None and self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False

    def line(self, width: int) -> str:
        """The text of the bar, at most `width` characters."""
        done = f"{self._done / _MIB:.1f}"
        if not self._total:
            return f"{self._label}  {done} MiB"[:width]
        fraction = min(self._done / self._total, 1.0)
        numbers = f"  {done}/{self._total / _MIB:.1f} MiB {fraction:4.0%}"
        room = width - len(self._label) - len(numbers) - 3
        if room < 10:
            return f"{self._label}{numbers}"[:width]
        filled = int(room * fraction)
        return f"{self._label} [{'#' * filled}{'.' * (room - filled)}]{numbers}"

    def _draw(self, force: bool) -> None:
        if self._stream is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < _INTERVAL:
            return
        self._drawn_at = now
        width = _columns(self._stream) - 1
        self._stream.write(f"\r{self.line(width)}\x1b[K")
        self._stream.flush()
        self._shown = True
