"""One Diagnostic type for every phase, and its renderers: human, gcc one-line, JSON.

Codes are stable; each is listed once in `CODES` (and in docs/diagnostics.md):

    E001  a character or token that cannot be lexed (unterminated string, stray '$', …)
    E002  a token the grammar does not allow here (a syntax error)
    E003  an attribute defined twice
    E004  a formal function argument declared twice
    E005  a dynamic attribute name where Nix forbids one (let, inherit)
    E006  an undefined variable
    E007  an input that cannot be read (missing file, directory without default.nix)
    E999  an internal error of ci-eval itself (a bug: please report it)
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from .syntax.nodes import Span
from .syntax.source import Source

CODES: dict[str, str] = {
    "E001": "lexical error",
    "E002": "syntax error",
    "E003": "attribute already defined",
    "E004": "duplicate formal function argument",
    "E005": "dynamic attribute not allowed here",
    "E006": "undefined variable",
    "E007": "cannot read input",
    "E999": "internal error",
}


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Label:
    """A secondary span with a short message (``first defined here``)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem at a place: severity, stable code, message, primary span, labels, notes.

    Notes are complete sentences shown after the snippet; a note starting with ``help:``
    is a suggestion for fixing the problem.
    """

    severity: Severity
    code: str
    message: str
    source: Source
    span: Span
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(
    code: str,
    message: str,
    source: Source,
    span: Span,
    labels: Iterable[Label] = (),
    notes: Iterable[str] = (),
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, source, span, tuple(labels), tuple(notes))


# --- renderers -----------------------------------------------------------------------------

_COLOURS = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.NOTE: "\x1b[1;36m",
}
_BOLD, _BLUE, _RESET = "\x1b[1m", "\x1b[1;34m", "\x1b[0m"


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _location(d: Diagnostic, offset: int | None = None) -> str:
    pos = d.source.position(d.span.start if offset is None else offset)
    return f"{d.source.name}:{pos.line}:{pos.column}"


def render_human(diagnostics: Sequence[Diagnostic], colour: bool = False) -> str:
    """rustc-style: a headline, the location, the source line with carets, then notes."""
    return "".join(_human(d, colour) for d in diagnostics)


def _human(d: Diagnostic, colour: bool) -> str:
    def paint(style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if colour else text

    lines: list[str] = []
    head = paint(_COLOURS[d.severity], f"{d.severity.value}[{d.code}]")
    lines.append(f"{head}{paint(_BOLD, ': ' + d.message)}")
    spans = [(d.span, "", "^", _COLOURS[d.severity])]
    spans += [(lab.span, lab.message, "-", _BLUE) for lab in d.labels]
    by_line: dict[int, list[tuple[Span, str, str, str]]] = {}
    for item in spans:
        by_line.setdefault(d.source.position(item[0].start).line, []).append(item)
    gutter = len(str(max(by_line)))
    pad = " " * gutter
    lines.append(f"{pad}{paint(_BLUE, '-->')} {_location(d)}")
    if d.source.text:
        lines.append(f"{pad} {paint(_BLUE, '|')}")
        for line_no in sorted(by_line):
            text = d.source.line_text(line_no)
            lines.append(f"{str(line_no).rjust(gutter)} {paint(_BLUE, '|')} {text.expandtabs(4)}")
            for span, message, mark, style in sorted(by_line[line_no], key=lambda x: x[0].start):
                marks = _underline(d.source, span, text, mark, message)
                lines.append(f"{pad} {paint(_BLUE, '|')} {paint(style, marks)}")
    for note in d.notes:
        kind, _, rest = note.partition(": ")
        if kind in ("help", "note") and rest:
            lines.append(f"{pad} {paint(_BLUE, '=')} {paint(_BOLD, kind)}: {rest}")
        else:
            lines.append(f"{pad} {paint(_BLUE, '=')} note: {note}")
    return "\n".join(lines) + "\n\n"


def _underline(source: Source, span: Span, text: str, mark: str, message: str) -> str:
    """Marks under the part of `span` on its first line (at least one), then the message."""
    column = source.position(span.start).column
    line_start = span.start - (column - 1)
    covered_end = max(span.start, min(span.end, line_start + len(text)))
    indent = len(text[: column - 1].expandtabs(4))
    width = max(1, covered_end - span.start)
    return " " * indent + mark * width + (" " + message if message else "")


def render_gcc(diagnostics: Sequence[Diagnostic]) -> str:
    """``file:line:col: severity[CODE]: message`` one per line; notes as ``note:`` lines."""
    out: list[str] = []
    for d in diagnostics:
        out.append(f"{_location(d)}: {d.severity.value}[{d.code}]: {d.message}\n")
        for lab in d.labels:
            out.append(f"{_location(d, lab.span.start)}: note: {lab.message}\n")
        for note in d.notes:
            out.append(f"{_location(d)}: note: {note}\n")
    return "".join(out)


def _lsp_range(source: Source, span: Span) -> dict[str, Any]:
    def point(offset: int) -> dict[str, int]:
        return {
            "line": source.position(offset).line - 1,
            "character": source.utf16_column(offset),
        }

    return {"start": point(span.start), "end": point(span.end)}


def to_json(d: Diagnostic) -> dict[str, Any]:
    """A diagnostic as a JSON object, with 0-based LSP ranges (UTF-16 columns)."""
    return {
        "file": d.source.name,
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
        "range": _lsp_range(d.source, d.span),
        "related": [
            {"message": lab.message, "range": _lsp_range(d.source, lab.span)} for lab in d.labels
        ],
        "notes": list(d.notes),
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([to_json(d) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"


RENDERERS = {
    "human": render_human,
    "gcc": render_gcc,
    "json": render_json,
}
