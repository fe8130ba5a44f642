"""A source text with its name, and line/column arithmetic for diagnostics."""

from __future__ import annotations

import bisect

from ..records import Record


class Position(Record):
    """A 1-based line and column (columns count characters)."""

    line: int
    column: int


class Source:
    """The text of one Nix file (or ``-E`` expression) and the name to show for it.

    Compared by identity. A plain class, as every class made at start should be that can:
    making a dataclass compiles its methods in every process (~0.7 ms a class)."""

    __slots__ = ("_line_starts", "name", "origin", "sensitive", "text")

    def __init__(
        self, name: str, text: str, origin: str | None = None, sensitive: bool = False
    ) -> None:
        self.name = name
        self.text = text
        # What Nix names the file in positions (__curPos, unsafeGetAttrPos), when that
        # differs from `name`: for `-E EXPR` Nix uses the expression text itself.
        self.origin = origin
        # The text is confidential (a secrets.json): diagnostics may point into it
        # (positions are computed as usual) but renderers never print any of it.
        self.sensitive = sensitive
        self._line_starts: list[int] = []

    def __repr__(self) -> str:
        text = "<not shown>" if self.sensitive else repr(self.text)
        return f"Source(name={self.name!r}, text={text}, origin={self.origin!r})"

    def renamed(self, name: str) -> Source:
        """The same text, shown under another name."""
        return Source(name, self.text, self.origin, self.sensitive)

    @property
    def position_file(self) -> str:
        return self.name if self.origin is None else self.origin

    def nix_position(self, offset: int) -> str:
        """A position as Nix 2.8 writes one inside a message ("already defined at
        (string):1:3"): the file's name, or ``(string)`` for an expression or stdin.
        (Nix writes a file's absolute path; ci-eval the name it shows for the file,
        which is absolute for every imported file.)"""
        pos = self.position(offset)
        text = self.origin is not None or self.name.startswith("«")  # «string», «stdin»
        return f"{'(string)' if text else self.name}:{pos.line}:{pos.column}"

    def own_start(self, start: int, end: int) -> int:
        """Where a node spanning `start`..`end` itself starts: a parenthesised expression
        spans its parentheses (`nixeval.syntax.lower`), Nix's position is the node's."""
        text = self.text
        while start < end and text[start] in "( \t\r\n":
            start += 1
        return start

    def _starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts.extend(starts)
        return self._line_starts

    def position(self, offset: int) -> Position:
        """The line and column of a character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        starts = self._starts()
        line = bisect.bisect_right(starts, offset) - 1
        return Position(line + 1, offset - starts[line] + 1)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        starts = self._starts()
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")

    def utf16_column(self, offset: int) -> int:
        """The 0-based UTF-16 column of an offset, as the Language Server Protocol counts."""
        pos = self.position(offset)
        start = self._starts()[pos.line - 1]
        prefix = self.text[start : start + pos.column - 1]
        return len(prefix.encode("utf-16-le", "surrogatepass")) // 2
