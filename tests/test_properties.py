"""Property tests: printing round-trips, and no input makes the front end misbehave."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nixeval.frontend import parse_checked
from nixeval.spelling import closest, distance
from nixeval.syntax import Source, SyntaxFailure, parse
from nixeval.syntax.printer import to_nix

from .nixgen import EXPRESSIONS

ROOT = Path(__file__).resolve().parent.parent


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_printed_programs_parse_to_the_same_ast(text: str) -> None:
    try:
        expr = parse(text)
    except SyntaxFailure:
        assume(False)
        raise
    printed = to_nix(expr)
    assert parse(printed) == expr, printed
    assert to_nix(parse(printed)) == printed


def _answers_cleanly(text: str) -> None:
    """A parse gives an AST, or diagnostics whose spans lie inside the text; quickly."""
    source = Source("fuzz.nix", text)
    started = time.perf_counter()
    expr, diagnostics = parse_checked(source)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"took {elapsed:.2f}s"
    assert (expr is None) == bool(diagnostics)
    for d in diagnostics:
        assert 0 <= d.span.start <= d.span.end <= len(text)
        position = source.position(d.span.start)
        assert position.line >= 1 and position.column >= 1
        assert d.message


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_give_a_diagnostic_or_an_ast(data: bytes) -> None:
    _answers_cleanly(data.decode("utf-8", "surrogateescape"))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("{}[]()\"'$;:.=?@,!-+*/<>~#\\ \naxy01./_")), max_size=200)
)
def test_random_nix_punctuation_gives_a_diagnostic_or_an_ast(text: str) -> None:
    _answers_cleanly(text)


def _valid_files() -> list[str]:
    files = sorted(ROOT.glob("fixtures/**/*.nix"))
    return [p.read_text(encoding="utf-8") for p in files]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_truncated_files_give_a_diagnostic_or_an_ast(data: st.DataObject) -> None:
    files = _valid_files()
    assume(files)
    text = data.draw(st.sampled_from(files))
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    _answers_cleanly(text[:cut])


_NAMES = st.text(alphabet="abcAB_-'İ", max_size=9)


@settings(max_examples=400, deadline=None)
@given(_NAMES, st.lists(_NAMES, max_size=12))
def test_closest_is_the_nearest_near_enough_name(name: str, candidates: list[str]) -> None:
    """ "Did you mean" skips the candidates whose length alone puts them too far; what it
    suggests is still the nearest within the limit of every candidate, by distance then
    name (or one equal but for case)."""
    limit = max(1, len(name) // 3)
    near = sorted(
        (0 if c.lower() == name.lower() else distance(name, c), c)
        for c in set(candidates)
        if c != name
    )
    expected = near[0][1] if near and near[0][0] <= limit else None
    assert closest(name, candidates) == expected
