"""Reading Nix sources and turning them into checked ASTs, with diagnostics for failures.

This is what ``nix-instantiate --parse`` does: parse, then bind variables, and report an
undefined variable as an error. Syntax errors stop at the first (the parser cannot go
on); undefined variables are all reported.
"""

from __future__ import annotations

from pathlib import Path

from . import diagnostics as diag
from .diagnostics import Diagnostic, Label
from .resolve import undefined_variables
from .syntax import Source, SyntaxFailure, parse_source
from .syntax.nodes import Expr, Span


class InputError(Exception):
    """The input cannot be read at all (missing file, unreadable, a directory without
    default.nix)."""


def read_source(path: str) -> Source:
    """A file as a Source; a directory means its default.nix, as in Nix."""
    p = Path(path)
    if p.is_dir():
        p = p / "default.nix"
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"cannot read '{p}': no such file") from None
    except IsADirectoryError:
        raise InputError(f"cannot read '{p}': it is a directory") from None
    except OSError as e:
        raise InputError(f"cannot read '{p}': {e.strerror or e}") from None
    # Nix works on bytes; undecodable ones survive as surrogate escapes, so nothing is lost.
    return Source(str(path if p == Path(path) else p), data.decode("utf-8", "surrogateescape"))


def parse_checked(
    source: Source, extra_names: frozenset[str] = frozenset()
) -> tuple[Expr | None, list[Diagnostic]]:
    """Parse and resolve names (the base environment, plus `extra_names` for
    scopedImport): the expression, or None and the errors.

    Results are kept for the process (syntax trees are immutable): ``check`` evaluates a
    file once per branch, each time with a fresh machine that imports the same files."""
    key = (source.name, source.text, extra_names)
    cached = _PARSED.get(key)
    if cached is not None:
        return cached[0], list(cached[1])
    expr, problems = parse_only(source)
    if expr is not None:
        problems = undefined_variable_errors(expr, source, extra_names)
        expr = None if problems else expr
    if len(_PARSED) >= _PARSED_LIMIT:
        del _PARSED[next(iter(_PARSED))]  # the oldest
    _PARSED[key] = (expr, tuple(problems))
    return expr, problems


_PARSED: dict[tuple[str, str, frozenset[str]], tuple[Expr | None, tuple[Diagnostic, ...]]] = {}
_PARSED_LIMIT = 512


def parse_only(source: Source) -> tuple[Expr | None, list[Diagnostic]]:
    """The syntax tree, or None and the syntax error (parsing stops at the first)."""
    try:
        return parse_source(source), []
    except SyntaxFailure as failure:
        issue = failure.issue
        labels = [Label(span, text) for span, text in issue.related]
        notes = [f"help: {issue.hint}"] if issue.hint else []
        return None, [diag.error(issue.code, issue.message, source, issue.span, labels, notes)]


def undefined_variable_errors(
    expr: Expr, source: Source, extra_names: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    """E006 for every variable Nix would reject as undefined, with a "did you mean"."""
    return [
        diag.error(
            "E006",
            f"undefined variable '{u.name}'",
            source,
            u.span,
            notes=[f"help: did you mean '{u.suggestion}'?"] if u.suggestion else [],
        )
        for u in undefined_variables(expr, extra_names)
    ]


def internal_error(source: Source, exc: BaseException) -> Diagnostic:
    """A bug of ours, reported against the file it happened on instead of a traceback."""
    return diag.error(
        "E999",
        f"internal error: {type(exc).__name__}: {exc}",
        source,
        Span(0, 0),
        notes=["this is a bug in ci-eval; run again with --debug for the traceback"],
    )
