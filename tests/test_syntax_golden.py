"""Golden tests: every syntax form parses to the expected AST (tests/golden/syntax.txt),
and every common mistake gives the expected diagnostic (tests/golden/parse_errors.txt)."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from nixeval.diagnostics import render_gcc
from nixeval.frontend import parse_checked
from nixeval.syntax import Source, SyntaxFailure, nodes, parse
from nixeval.syntax.dump import dump
from nixeval.syntax.printer import _PRINT, to_nix

from .golden_format import Chunk, check, load

GOLDEN = Path(__file__).parent / "golden"
SYNTAX = load(GOLDEN / "syntax.txt")
ERRORS = load(GOLDEN / "parse_errors.txt")


def _dump_of(source: str) -> str:
    return dump(parse(source, "golden.nix"))


def _errors_of(source: str) -> str:
    expr, diagnostics = parse_checked(Source("golden.nix", source))
    assert expr is None and diagnostics, f"expected an error for {source!r}"
    return render_gcc(diagnostics).rstrip("\n")


@pytest.mark.parametrize("chunk", SYNTAX, ids=lambda c: c.id)
def test_syntax_form(chunk: Chunk) -> None:
    check(chunk, _dump_of(chunk.source), lambda: {c.title: _dump_of(c.source) for c in SYNTAX})


@pytest.mark.parametrize("chunk", SYNTAX, ids=lambda c: c.id)
def test_syntax_form_round_trips(chunk: Chunk) -> None:
    expr = parse(chunk.source)
    assert parse(to_nix(expr)) == expr


@pytest.mark.parametrize("chunk", ERRORS, ids=lambda c: c.id)
def test_parse_error(chunk: Chunk) -> None:
    check(chunk, _errors_of(chunk.source), lambda: {c.title: _errors_of(c.source) for c in ERRORS})


def test_goldens_cover_every_form() -> None:
    assert len(SYNTAX) >= 80 and len(ERRORS) >= 30


def test_the_printer_has_a_method_for_every_expression_class() -> None:
    """`to_nix` finds a node's printer by its class (no ``match`` that mypy checks for
    exhaustiveness), so a new class of expression needs one too."""
    assert set(_PRINT) == set(typing.get_args(nodes.Expr))


def test_parse_errors_raise_syntax_failure_with_a_position() -> None:
    with pytest.raises(SyntaxFailure) as info:
        parse("[ 1, 2 ]", "x.nix")
    assert info.value.issue.span.start == 3
