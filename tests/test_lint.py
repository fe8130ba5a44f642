"""The static checks of `ci-eval check` (nixeval.lint): W001–W007 and suppressions."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from nixeval.diagnostics import Diagnostic, Severity, error, warning
from nixeval.lint import _EXPR, BUILTIN_ATTRS, LINT_CODES, apply_suppressions, lint
from nixeval.syntax import Source, SyntaxFailure, nodes, parse_source
from nixeval.syntax.nodes import Span

ROOT = Path(__file__).resolve().parent.parent


def run(text: str, name: str = "t.nix") -> tuple[Source, list[Diagnostic]]:
    source = Source(name, text)
    return source, lint(parse_source(source), source)


def found(text: str) -> list[tuple[str, str, str]]:
    """(code, message, "line:column") of every warning of `text`."""
    source, diagnostics = run(text)
    out = []
    for d in diagnostics:
        pos = source.position(d.span.start)
        out.append((d.code, d.message, f"{pos.line}:{pos.column}"))
    return out


def codes(text: str) -> list[str]:
    return [d.code for d in run(text)[1]]


def only(text: str) -> Diagnostic:
    diagnostics = run(text)[1]
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def spanned(text: str) -> list[str]:
    """The source text under each warning's primary span."""
    source, diagnostics = run(text)
    return [source.text[d.span.start : d.span.end] for d in diagnostics]


# --- W001 unused let binding ----------------------------------------------------------------


def test_w001_fires_at_the_name() -> None:
    assert found("let\n  x = 1;\nin 2") == [("W001", "unused let binding 'x'", "2:3")]
    d = only("let x = 1; in 2")
    assert d.severity is Severity.WARNING
    assert d.notes == ("help: remove it",)


@pytest.mark.parametrize(
    ("text", "unused", "where"),
    [
        ("let inherit x; in 1", "x", "1:13"),
        ("let inherit (y) a b; in b", "a", "1:17"),
        ("y: let a.b = 1; in y", "a", "1:8"),
        ("let f = n: f n; in 1", "f", "1:5"),  # used only by itself: unused, as deadnix says
        ("let a = 1; in let a = 2; in a", "a", "1:5"),  # shadowed, never reached
    ],
)
def test_w001_fires(text: str, unused: str, where: str) -> None:
    assert [(c, w) for c, _, w in found(text) if c == "W001"] == [("W001", where)]
    assert [m for c, m, _ in found(text) if c == "W001"] == [f"unused let binding '{unused}'"]


def test_w001_self_reference_says_so() -> None:
    assert only("let f = n: f n; in 1").notes[0] == "note: it is only used in its own definition"


@pytest.mark.parametrize(
    "text",
    [
        "let _x = 1; in 2",
        "let x = 1; in x",
        "let a = b; b = 1; in a",  # b is used by a
        "let a = 1; b = a; in b",
        "let x = 1; in { inherit x; }",
        "let x = 1; in rec { y = x; z = y; }",
        "let s = { a = 1; }; in with s; a",
        "let x = 1; in ''${x}''",
        "let f = n: if n == 0 then 0 else f (n - 1); in f 3",
        "let a = 1; inherit (a) b; in b",  # a is used by the inherit's source
    ],
)
def test_w001_does_not_fire(text: str) -> None:
    assert "W001" not in codes(text)


# --- W002 unused function argument ----------------------------------------------------------


def test_w002_plain_parameter() -> None:
    assert found("x:\n  1") == [("W002", "unused function argument 'x'", "1:1")]
    assert only("x: 1").notes == ("help: rename it to '_x' if it is unused on purpose",)
    assert spanned("((x: 1))") == ["x"]


def test_w002_formal_with_ellipsis() -> None:
    assert found("{ a, b ? 1, ... }: a") == [("W002", "unused function argument 'b'", "1:6")]
    d = only("{ a, b ? 1, ... }: a")
    assert d.notes == ("help: remove it (the '...' still accepts it)",)
    assert spanned("{ a, b ? 1, ... }: a") == ["b"]


def test_w002_formal_without_ellipsis_suggests_ignoring() -> None:
    d = only("{ a, b }: a")
    assert d.message == "unused function argument 'b'"
    assert any("ignore[W002]" in note for note in d.notes)
    assert any("would fail" in note for note in d.notes)


@pytest.mark.parametrize(
    ("text", "where", "name", "help"),
    [
        ("args@{ a }: a", "1:1", "args", "help: remove 'args@'"),
        ("{ a }@args: a", "1:7", "args", "help: remove '@args'"),
        ("{ a } @ /* c */ args: a", "1:17", "args", "help: remove '@args'"),
    ],
)
def test_w002_at_name(text: str, where: str, name: str, help: str) -> None:
    assert found(text) == [("W002", f"unused function argument '{name}'", where)]
    assert only(text).notes == (help,)
    assert spanned(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "_: 1",
        "_x: 1",
        "{ _a, ... }: 1",
        "x: x",
        "{ a, b ? a }: b",  # a is used by b's default
        "args@{ a, ... }: args.b + a",
        "{ a }: { inherit a; }",
        "x: with x; y",
    ],
)
def test_w002_does_not_fire(text: str) -> None:
    assert "W002" not in codes(text)


def test_w002_own_default_does_not_count() -> None:
    assert codes("{ a ? a, b }: b") == ["W002"]


# --- W003 rec that needs no rec -------------------------------------------------------------


def test_w003_fires_at_rec() -> None:
    assert found("{ x =\n  rec { a = 1; b = 2; };\n}") == [
        ("W003", "this attribute set does not need 'rec'", "2:3")
    ]
    assert only("(rec { a = 1; })").notes == ("help: remove 'rec'",)
    assert spanned("( # comment\n rec { a = 1; })") == ["rec"]


@pytest.mark.parametrize(
    "text",
    [
        "rec { }",
        "x: rec { a = x; }",
        "rec { inherit (builtins) map; b = 1; }",
        "let a = 1; in rec { inherit a; }",  # inherit looks outside the set
        "rec { a = { b = 1; }; c = { a = 2; }.a; }",
    ],
)
def test_w003_fires(text: str) -> None:
    assert codes(text) == ["W003"]


@pytest.mark.parametrize(
    "text",
    [
        "rec { a = 1; b = a; }",
        "rec { a = a; }",
        "rec { a = { inherit b; }; b = 1; }",
        "rec { inherit (a) b; a = { b = 1; }; }",
        'rec { ${a} = 1; a = "x"; }',
        "rec { a = 1; b = with x; a; }",
        "rec { a = 1; b = x: a; }",
    ],
)
def test_w003_does_not_fire(text: str) -> None:
    assert "W003" not in codes(text)


def test_legacy_let_is_not_w003() -> None:
    assert codes("let { body = 1; }") == ["W006"]


# --- W004 with shadowing --------------------------------------------------------------------


def test_w004_let_bound_set() -> None:
    text = "let\n  x = 1;\n  s = { x = 2; };\nin with s; x"
    assert found(text) == [
        (
            "W004",
            "'x' refers to the let binding at line 2, not to the attribute of the enclosing 'with'",
            "4:12",
        )
    ]
    d = only(text)
    assert "help: write 's.x' if the attribute is meant" in d.notes
    source = Source("t.nix", text)
    assert [source.text[lab.span.start : lab.span.end] for lab in d.labels] == ["s", "x"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("x: with { x = 1; }; x", "function argument"),
        ("{ map }: with builtins; map", "function argument"),
        ("rec { a = 1; b = with { a = 2; }; a; }", "attribute of the recursive set"),
        ("let x = 1; in with { x = 2; }; with y; x", "let binding"),
        ("let x = 1; in with { x = 2; }; { inherit x; }", "let binding"),
    ],
)
def test_w004_fires(text: str, kind: str) -> None:
    assert codes(text) == ["W004"]
    assert f"refers to the {kind} at line 1" in only(text).message


@pytest.mark.parametrize(
    "text",
    [
        "x: with { y = 1; }; x",  # the with does not provide x
        "with { x = 1; }; x",  # x comes only from the with
        "x: with { y = 1; }; y",
        "x: with pkgs; x",  # what pkgs provides is not known
        "x: with { inherit x; }; x",
        "with builtins; map",  # the global map, same as builtins.map
        "let inherit (builtins) map; in with builtins; map",  # one and the same value
        "x: with { x = 1; }; 1 + (with { }; 2)",
        "let s = f { x = 1; }; x = 1; in with s; x",
    ],
)
def test_w004_does_not_fire(text: str) -> None:
    assert "W004" not in codes(text)


# --- W005 unknown builtins ------------------------------------------------------------------


def test_w005_fires_with_did_you_mean() -> None:
    text = "{\n  src = builtins.fetchTarbal { url = x; };\n}"
    assert found(text) == [("W005", "'fetchTarbal' is not a builtin of Nix 2.8", "2:18")]
    assert only(text).notes == ("help: did you mean 'fetchTarball'?",)
    assert spanned(text) == ["fetchTarbal"]


def test_w005_without_suggestion_points_to_the_guards() -> None:
    d = only("builtins.quiteUnheardOf 1")
    assert "builtins.quiteUnheardOf or" in d.notes[0]
    assert "builtins ? quiteUnheardOf" in d.notes[0]


@pytest.mark.parametrize(
    "text",
    [
        "let inherit (builtins) fetchTarbal; in fetchTarbal",
        "builtins.mapp.x",
        "if builtins ? x then builtins.fetchTarbal else 1",
        "if !(builtins ? fetchTarbal) then builtins.fetchTarbal else 1",
    ],
)
def test_w005_fires(text: str) -> None:
    assert "W005" in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "builtins.fetchTarball",
        "builtins.map builtins.toString [ ]",
        "[ builtins.true builtins.builtins builtins.currentSystem builtins.nixVersion ]",
        "builtins.getFlake",  # experimental in Nix 2.8
        "builtins.fetchTarbal or null",
        "builtins.fetchTarbal.x or null",
        "builtins ? fetchTarbal",
        "if builtins ? fetchTarbal then builtins.fetchTarbal else 1",
        "if builtins ? a && builtins ? fetchTarbal then builtins.fetchTarbal else 1",
        "if !(builtins ? fetchTarbal) then 1 else builtins.fetchTarbal",
        "assert builtins ? fetchTarbal; builtins.fetchTarbal",
        "builtins ? fetchTarbal && builtins.fetchTarbal",
        "!(builtins ? fetchTarbal) || builtins.fetchTarbal",
        "builtins: builtins.fetchTarbal",  # rebound lexically
        "let builtins = { }; in builtins.fetchTarbal",
        "builtins.${x}",
    ],
)
def test_w005_does_not_fire(text: str) -> None:
    assert "W005" not in codes(text)


def test_builtin_attrs_are_nix_2_8s() -> None:
    assert {"map", "fetchTarball", "attrNames", "true", "builtins", "foldl'"} <= BUILTIN_ATTRS
    assert not any(name.startswith("__") for name in BUILTIN_ATTRS)


# --- W006 legacy let, W007 URL literals -----------------------------------------------------


def test_w006_legacy_let() -> None:
    text = "x:\n  let { a = x; body = a; }"
    assert found(text) == [("W006", "the legacy 'let { …; body = …; }' is deprecated", "2:3")]
    assert only(text).notes == ("help: use 'let … in …', with the value of 'body' after 'in'",)
    assert spanned("(let { body = 1; })") == ["let"]


def test_w006_not_for_let_in() -> None:
    assert codes("let a = 1; in a") == []


def test_w007_url_literal() -> None:
    text = "{ url =\n    https://example.org/a?b=c; }"
    assert found(text) == [("W007", "URL literals are deprecated", "2:5")]
    assert only(text).notes == ('help: quote it: "https://example.org/a?b=c"',)


def test_w007_not_for_strings_and_paths() -> None:
    assert codes('[ "https://example.org" ./a/b <nixpkgs> ]') == []


# --- general --------------------------------------------------------------------------------


def test_sorted_by_position_with_every_code_documented() -> None:
    text = "let u = 1; in x: { a = https://x.org; b = builtins.mapp; c = rec { }; d = let { body = 1; }; }"
    diagnostics = run(text)[1]
    assert [d.code for d in diagnostics] == ["W001", "W002", "W007", "W005", "W003", "W006"]
    assert all(d.code in LINT_CODES for d in diagnostics)
    assert all(d.severity is Severity.WARNING for d in diagnostics)


def test_shared_inherit_source_is_walked_once() -> None:
    assert codes("let s = { a = 1; b = 2; }; in { inherit (builtins.mapp s) a b; }") == ["W005"]


# --- suppressions ---------------------------------------------------------------------------


def suppressed(text: str) -> list[str]:
    source, diagnostics = run(text)
    return [d.code for d in apply_suppressions(source, diagnostics)]


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("let x = 1; in 2 # ci-eval: ignore[W001]", []),
        ("let x = 1; in 2 # ci-eval: ignore", []),
        ("let x = 1; in 2 #ci-eval:ignore[w001] because", []),
        ("# ci-eval: ignore[W001]\nlet x = 1; in 2", []),
        ("  # ci-eval: ignore[W001]\n  let x = 1; in 2", []),
        ("# ci-eval: ignore[W003, W001]\nlet x = 1; in 2", []),
        ("# ci-eval: ignore[W003,W001,]\nlet x = 1; in 2", []),
        ("let x = 1; in rec { } # ci-eval: ignore[W001]", ["W003"]),
        ("let x = 1; in 2 # ci-eval: ignore[W002]", ["W001"]),  # another code
        ("let x = 1; in 2 # ci-eval: ignore[]", ["W001"]),
        ("let x = 1; in 2 # ci-eval: ignored", ["W001"]),
        ("let x = 1; in 2 # ci-eval: ignore[W001", ["W001"]),
        ("let x = 1; in 2 # see ci-eval: ignore[W001]", ["W001"]),
        ("# ci-eval: ignore[W001]\n\nlet x = 1; in 2", ["W001"]),  # two lines above
        ("[ # ci-eval: ignore[W001]\n(let x = 1; in 2) ]", ["W001"]),  # not alone on its line
        ("let x = 1; in 2\n# ci-eval: ignore[W001]", ["W001"]),  # the line after
        ("let x = 1; in 2 /* ci-eval: ignore[W001] */", ["W001"]),
        ("let x = 1; in 2 /* # ci-eval: ignore[W001] */", ["W001"]),
        ('let x = 1; in "# ci-eval: ignore[W001]"', ["W001"]),  # in a string
        ("let x = 1; in ''\n  # ci-eval: ignore[W001]\n''", ["W001"]),
        ("let y = ''\n# ci-eval: ignore[W001]\n''; x = 1; in y", ["W001"]),
        ("let x = 1; in ./a/${'' # ci-eval: ignore''}", ["W001"]),
    ],
)
def test_suppressions(text: str, left: list[str]) -> None:
    assert suppressed(text) == left


def test_suppression_line_before_covers_multi_line_spans_by_start() -> None:
    text = "{\n  # ci-eval: ignore[W003]\n  a = rec {\n    b = 1;\n  };\n  c = rec { };\n}"
    assert suppressed(text) == ["W003"]
    source, diagnostics = run(text)
    assert source.position(apply_suppressions(source, diagnostics)[0].span.start).line == 6


def test_suppressions_apply_to_warnings_of_this_source_only() -> None:
    text = "{ a = x; } # ci-eval: ignore[W201]"
    source = Source("ci.nix", text)
    other = Source("other.nix", text)
    ours = warning("W201", "ignored", source, Span(6, 7))
    theirs = warning("W201", "ignored", other, Span(6, 7))
    kept = warning("W202", "not named", source, Span(6, 7))
    assert apply_suppressions(source, [ours, theirs, kept]) == [theirs, kept]


def test_suppressions_survive_a_lexical_error() -> None:
    text = 'let x = 1; in 2 # ci-eval: ignore[W001]\n"unterminated'
    source = Source("t.nix", text)
    before = warning("W001", "early", source, Span(0, 1))
    after = error("E001", "unterminated string", source, Span(40, 41))
    assert apply_suppressions(source, [before, after]) == [after]


def test_no_marker_no_work() -> None:
    source, diagnostics = run("let x = 1; in 2")
    assert apply_suppressions(source, diagnostics) == diagnostics


# --- real files -----------------------------------------------------------------------------


def _nix_files() -> list[Path]:
    return sorted([*(ROOT / "fixtures").rglob("*.nix"), *(ROOT / "nixeval/nixpkgs").glob("*.nix")])


def test_real_files_never_crash() -> None:
    files = _nix_files()
    assert len(files) > 10
    linted = 0
    for path in files:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        source = Source(str(path), text)
        try:
            expr = parse_source(source)
        except SyntaxFailure:  # the broken-syntax fixtures
            continue
        diagnostics = apply_suppressions(source, lint(expr, source))
        assert all(d.code in LINT_CODES for d in diagnostics)
        assert [d.span.start for d in diagnostics] == sorted(d.span.start for d in diagnostics)
        linted += 1
    assert linted > 10


def test_every_expression_class_is_linted() -> None:
    """The linter finds a node's walk by its class (no ``match`` that mypy checks for
    exhaustiveness), so a new class of expression needs one too."""
    assert set(_EXPR) == set(typing.get_args(nodes.Expr))
