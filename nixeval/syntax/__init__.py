"""The Nix front end: modal lexer, LALR parser (tables from grammar/nix.lark), typed AST.

    from nixeval.syntax import parse
    expr = parse(text, "ci.nix")      # a nodes.Expr, or raises SyntaxFailure

This package is the only one that imports lark, and only to regenerate its parse tables.
"""

from __future__ import annotations

from .nodes import Expr, Span
from .parser import ParseIssue, SyntaxFailure, parse_source
from .source import Position, Source


def parse(text: str, name: str = "«string»") -> Expr:
    """Parse the text of one Nix expression (syntax only: names are not resolved)."""
    return parse_source(Source(name, text))


__all__ = [
    "Expr",
    "ParseIssue",
    "Position",
    "Source",
    "Span",
    "SyntaxFailure",
    "parse",
    "parse_source",
]
