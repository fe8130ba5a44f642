"""One Diagnostic type for every phase, and its renderers: human, gcc one-line, JSON, SARIF.

Codes are stable. `CODES` is the one table of them, each with a short description (used as
the SARIF rule's shortDescription); docs/diagnostics.md explains each with an example, and a
test keeps the two the same. Codes starting with ``E`` are errors, ``W`` warnings.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from . import __version__
from .records import Record
from .syntax.nodes import Span
from .syntax.source import Source
from .terminal import escape, escape_message

if TYPE_CHECKING:
    from .snippet import Row

CODES: dict[str, str] = {
    # syntax and static checks (--parse, check)
    "E001": "lexical error",
    "E002": "syntax error",
    "E003": "attribute already defined",
    "E004": "duplicate formal function argument",
    "E005": "dynamic attribute not allowed here",
    "E006": "undefined variable",
    "E007": "cannot read input",
    "E008": "no entry point for Hercules CI at the repository root, or two",
    # evaluation
    "E100": "evaluation error",
    "E101": "throw",
    "E102": "assertion failed",
    "E103": "abort",
    "E104": "value of the wrong type",
    "E105": "attribute missing",
    "E106": "infinite recursion",
    "E107": "division by zero",
    "E108": "function called with a missing or unexpected argument",
    "E109": "evaluation too deep",
    "E110": "file or search-path entry does not exist",
    "E111": "a value unknown offline is needed",
    "E112": "access to a path outside the repository and the -I paths is forbidden (pure mode)",
    "E113": "evaluation exceeded its time budget",
    "E114": "evaluation exceeded its memory budget",
    # effect descriptions
    "E200": "description does not validate against its schema",
    "E201": "runCachixDeploy given both deploy and deployJsonFile",
    "E202": "runCachixDeploy given neither deploy nor deployJsonFile",
    "E203": "runNixOps2 needs exactly one of flake and networkFiles",
    "E204": "runNixOps2 action other than switch without makeAnException",
    "E205": "unknown NixOps action",
    "E206": "runIf condition is not a Boolean",
    "E207": "unexpected argument (a likely typo)",
    "E208": "deploy is a deploy.json cachix rejects, for an effect that runs",
    "E210": "invalid secretsMap entry",
    "E211": "effect outside outputs.effects in herculesCI",
    "E212": "network file does not exist in src",
    "E213": "deployJsonFile missing or not a valid deploy.json",
    "E214": "secret missing from secrets.json",
    "E215": "invalid secret entry in secrets.json",
    "E216": "secret lacks a data field the effect reads",
    "E217": "secret condition does not hold for the branch",
    "E218": "cannot read or parse secrets.json",
    "E220": "invalid Hercules CI job: its when, enable, extraInputs or outputs",
    # ci-eval run
    "E300": "not a valid effect description",
    "E301": "a value the run needs is unknown",
    "E302": "secret not granted",
    "E303": "state directory in use or unusable, or state not written back",
    "E304": "the effect does not run on this ref",
    "E305": "the effect cannot be run here",
    "E306": "--env or --file does not name an unknown of the effect",
    # ci-eval fetch
    "E400": "flake.lock is not a lock file ci-eval can read",
    "E401": "a pinned input could not be made available",
    "E999": "internal error",
    # lint warnings (check)
    "W001": "unused let binding",
    "W002": "unused function argument",
    "W003": "rec that needs no rec",
    "W004": "variable resolves lexically although with provides the same name",
    "W005": "unknown builtins attribute",
    "W006": "deprecated legacy let { }",
    "W007": "deprecated unquoted URL",
    "W008": "an ignore comment names an error code (errors cannot be ignored)",
    "W009": "an ignore comment names an unknown code",
    # effect descriptions
    "W201": "argument accepted but ignored",
    "W202": "runNixOps2 argument given to runNixOps",
    "W203": "a value unknown offline stops the checks of an effect",
    "W204": "deploy.json field that cachix ignores",
    # pinned inputs
    "W110": "a pinned input is not available, so it is unknown",
}


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Label(Record):
    """A secondary span with a short message (``first defined here``)."""

    span: Span
    message: str


class Diagnostic(Record):
    """A problem at a place: severity, stable code, message, primary span, labels, notes.

    Notes are complete sentences shown after the snippet; a note starting with ``help:``
    is a suggestion for fixing the problem. `placed` is False for a problem with a whole
    input that has no line or column (it could not be read): shown at the file's name only.
    """

    severity: Severity
    code: str
    message: str
    source: Source
    span: Span
    labels: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    placed: bool = True

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
    return Diagnostic(
        Severity.ERROR, code, message, source, span, tuple(labels), tuple(notes), True
    )


def warning(
    code: str,
    message: str,
    source: Source,
    span: Span,
    labels: Iterable[Label] = (),
    notes: Iterable[str] = (),
) -> Diagnostic:
    # Every field given: made without looking up the defaults (lint makes thousands).
    return Diagnostic(
        Severity.WARNING, code, message, source, span, tuple(labels), tuple(notes), True
    )


def unplaced(code: str, message: str, name: str, notes: Iterable[str] = ()) -> Diagnostic:
    """An error about the whole input `name` (as the user named it), not a place in it."""
    return Diagnostic(
        Severity.ERROR, code, message, Source(name, ""), Span(0, 0), (), tuple(notes), False
    )


# --- renderers -----------------------------------------------------------------------------

_COLOURS = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.NOTE: "\x1b[1;36m",
}
_BOLD, _BLUE, _RESET = "\x1b[1m", "\x1b[1;34m", "\x1b[0m"


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal that has it: never when NO_COLOR is set or TERM is
    ``dumb`` (Emacs shells, some CI consoles)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _location(d: Diagnostic, name: str, offset: int) -> str:
    """``file:line:column`` for people (the human and gcc formats), with the file's name
    `name` escaped already (the gcc format escapes each file's name once)."""
    if not d.placed:
        return name
    line, column = d.source.position(offset)
    return f"{name}:{line}:{column}"


def render_human(
    diagnostics: Sequence[Diagnostic], colour: bool = False, nix_headline: bool = False
) -> str:
    """rustc-style: a headline, the location, the source line with carets, then notes.

    With `nix_headline` (``--eval`` and ``--parse``, nix-instantiate's modes) the headline
    is Nix's own first line, ``error: <message>``, for scripts that look for it, and the
    code follows the location: `` --> file:1:2 (E105)``.

    Everything from the project (message, notes, labels, source lines, the file name) is
    `escape`d; long source lines are shown as a window around the span (`snippet.rows`)."""
    return "".join(_human(d, colour, nix_headline) for d in diagnostics)


def _human(d: Diagnostic, colour: bool, nix_headline: bool = False) -> str:
    def paint(style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if colour else text

    lines: list[str] = []
    severity = d.severity.value if nix_headline else f"{d.severity.value}[{d.code}]"
    head = paint(_COLOURS[d.severity], severity)
    message, notes = d.message, d.notes
    nix_message = _nix_syntax_message(d) if nix_headline else None
    if nix_message is not None and nix_message != message:
        # Nix's words first; ci-eval's own (what was expected, in words) as a note.
        message, notes = nix_message, (f"note: {message}", *notes)
    message = escape_message(message, lines=True)
    lines.append(f"{head}{paint(_BOLD, ': ' + message)}")
    spans = [(d.span, "", "^", _COLOURS[d.severity])]
    spans += [(lab.span, lab.message, "-", _BLUE) for lab in d.labels]
    by_line: dict[int, list[tuple[Span, str, str, str]]] = {}
    for item in spans:
        by_line.setdefault(d.source.position(item[0].start).line, []).append(item)
    gutter = len(str(max(by_line)))
    pad = " " * gutter
    code = f" ({d.code})" if nix_headline else ""
    where = _location(d, escape(d.source.name), d.span.start)
    lines.append(f"{pad}{paint(_BLUE, '-->')} {where}{code}")
    # A sensitive source (a secrets file) is pointed at but never quoted.
    if d.source.text and not d.source.sensitive:
        lines.append(f"{pad} {paint(_BLUE, '|')}")
        for line_no in sorted(by_line):
            items = sorted(by_line[line_no], key=lambda x: x[0].start)
            for row in _rows(d.source, items[0][0].start, [item[0] for item in items]):
                lines.append(f"{str(line_no).rjust(gutter)} {paint(_BLUE, '|')} {row.text}")
                for m in row.marks:
                    _, message, mark, style = items[m.span]
                    label = f" {escape_message(message)}" if message else ""
                    marks = " " * m.column + mark * m.width + label
                    lines.append(f"{pad} {paint(_BLUE, '|')} {paint(style, marks)}")
    for note in notes:
        kind, _, rest = note.partition(": ")
        if kind in ("help", "note") and rest:
            shown = escape_message(rest, lines=True)
            lines.append(f"{pad} {paint(_BLUE, '=')} {paint(_BOLD, kind)}: {shown}")
        else:
            lines.append(f"{pad} {paint(_BLUE, '=')} note: {escape_message(note, lines=True)}")
    return "\n".join(lines) + "\n\n"


def _nix_syntax_message(d: Diagnostic) -> str | None:
    """Nix 2.8's first line for a syntax error (E001, E002) in a text we have, or None."""
    if d.code not in ("E001", "E002") or not d.placed:
        return None
    from .syntax.nix_syntax_errors import nix_syntax_message  # only when one is shown

    return nix_syntax_message(d.source)


def _rows(source: Source, offset: int, spans: Sequence[Span]) -> list[Row]:
    """The rows showing the line of `offset` with `spans` (starting on it) marked."""
    text = source.text
    line_start = offset - (source.position(offset).column - 1)
    # The line's end without copying it (a generated file can be one line of megabytes);
    # a line break's \r is not part of the line, as in Source.line_text.
    line_end = text.find("\n", line_start)
    line_end = len(text) if line_end < 0 else line_end
    while line_end > line_start and text[line_end - 1] == "\r":
        line_end -= 1
    # Imported here: most runs (gcc or JSON output, diagnostics without a span) show none.
    from .snippet import rows

    return rows(text, line_start, line_end, [(span.start, span.end) for span in spans])


def render_gcc(diagnostics: Sequence[Diagnostic]) -> str:
    """``file:line:col: severity[CODE]: message`` one per line; notes as ``note:`` lines.

    Each diagnostic and note is exactly one line, whatever it holds: the file name, message
    and notes are `escape`d (a line break in a message shows as ``\\n``)."""
    out: list[str] = []
    names = _Escaped()
    for d in diagnostics:
        name = names[d.source.name]
        where = _location(d, name, d.span.start)
        message = escape_message(d.message)
        out.append(f"{where}: {d.severity.value}[{d.code}]: {message}\n")
        for lab in d.labels:
            label = escape_message(lab.message)
            out.append(f"{_location(d, name, lab.span.start)}: note: {label}\n")
        for note in d.notes:
            # "note: x" is a note already; "help: x" stays a note saying "help: x".
            text = note[len("note: ") :] if note.startswith("note: ") else note
            out.append(f"{where}: note: {escape_message(text)}\n")
    return "".join(out)


class _Escaped(dict[str, str]):
    """Each text `escape`d once: a file's name, shown on every line of its diagnostics."""

    def __missing__(self, text: str) -> str:
        self[text] = shown = escape(text)
        return shown


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


# --- SARIF 2.1.0 ----------------------------------------------------------------------------

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: The project's home page, for the SARIF driver's informationUri; None: omitted.
PROJECT_URL: str | None = None


def _sarif_level(severity: Severity) -> str:
    return severity.value  # "error", "warning", "note" are SARIF's level names too


def _sarif_artifact(name: str, root: str) -> dict[str, str]:
    """An artifactLocation for a file name as the diagnostic has it (relative names are
    relative to the working directory): a file inside the repository root `root` as a
    relative reference against ``%SRCROOT%``, percent-encoded (so ``a b.nix`` is
    ``a%20b.nix`` and ``a:b.nix`` is not a scheme); any other as a ``file://`` URI."""
    path = os.path.abspath(name)
    if os.path.commonpath([root, path]) == root and path != root:
        relative = os.path.relpath(path, root)
        return {"uri": quote(relative.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}
    return {"uri": PurePath(path).as_uri()}


def _sarif_root(root: str) -> dict[str, Any]:
    """``run.originalUriBaseIds``: ``%SRCROOT%`` is the repository root, a directory URI."""
    uri = PurePath(root).as_uri()
    return {"%SRCROOT%": {"uri": uri if uri.endswith("/") else uri + "/"}}


def _sarif_region(source: Source, span: Span) -> dict[str, int]:
    """1-based lines and 1-based UTF-16 columns (run.columnKind); endColumn is exclusive."""
    start, end = source.position(span.start), source.position(max(span.start, span.end))
    return {
        "startLine": start.line,
        "startColumn": source.utf16_column(span.start) + 1,
        "endLine": end.line,
        "endColumn": source.utf16_column(max(span.start, span.end)) + 1,
    }


def _sarif_location(d: Diagnostic, span: Span, root: str) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": _sarif_artifact(d.source.name, root),
            **({"region": _sarif_region(d.source, span)} if d.placed else {}),
        }
    }


def _sarif_text(d: Diagnostic) -> str:
    """The message, then each note on a line of its own (``help: …``, ``note: …``)."""
    lines = [d.message]
    for note in d.notes:
        kind, _, rest = note.partition(": ")
        lines.append(note if kind in ("help", "note") and rest else f"note: {note}")
    return "\n".join(lines)


def _sarif_rule(code: str) -> dict[str, Any]:
    return {
        "id": code,
        "shortDescription": {"text": CODES.get(code, code)},
        "defaultConfiguration": {"level": "warning" if code.startswith("W") else "error"},
    }


def to_sarif(diagnostics: Sequence[Diagnostic], root: str | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run: a rule per code used (sorted), a result per diagnostic
    (in order), labels as relatedLocations. File URIs are relative to ``%SRCROOT%``, the
    repository root `root` (by default the working directory's, `checkout.repo_root`),
    so code scanning places them the same from any directory of the checkout."""
    if root is None:
        from .checkout import repo_root

        root = repo_root(os.getcwd())
    root = os.path.abspath(root)
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    results: list[dict[str, Any]] = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _sarif_level(d.severity),
            "message": {"text": _sarif_text(d)},
            "locations": [_sarif_location(d, d.span, root)],
        }
        if d.labels:
            result["relatedLocations"] = [
                {"id": i, **_sarif_location(d, lab.span, root), "message": {"text": lab.message}}
                for i, lab in enumerate(d.labels, 1)
            ]
        results.append(result)
    driver: dict[str, Any] = {"name": "ci-eval", "version": __version__}
    if PROJECT_URL:
        driver["informationUri"] = PROJECT_URL
    driver["rules"] = [_sarif_rule(code) for code in codes]
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": _sarif_root(root),
        "columnKind": "utf16CodeUnits",
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(diagnostics: Sequence[Diagnostic], root: str | None = None) -> str:
    return json.dumps(to_sarif(diagnostics, root), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {
    "human": render_human,
    "gcc": render_gcc,
    "json": render_json,
    "sarif": render_sarif,
}
