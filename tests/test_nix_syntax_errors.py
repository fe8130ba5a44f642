"""Nix 2.8's first line for syntax errors in nix-instantiate's modes (``ci-eval --parse``
and ``--eval``): ``error: syntax error, unexpected ';', expecting ELSE``, the words of
Nix's Bison parser and of its scanner, for scripts that look for them. ci-eval's code and
position follow on the next line, and its own words become a note.

Differential against real ``nix-instantiate`` (the oracle) on hand-picked inputs (each
token where an expression, an attribute name, a ``;``, ``}``, ``]``, ``)``, ``then``,
``else``, ``in``, ``:``, ``=`` … is expected; strings, paths and interpolations left
open; characters Nix has no token for; the places where Nix's parser tries two readings)
and on a fixed-seed random sample of broken fixtures (truncated at a token, a token
deleted, inserted or swapped with the next). `KNOWN_DIFFERENCES` lists the cases that do
not agree yet, each a strict xfail: there are none (0 of the hand-picked, 0 of the
sample).
"""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nixeval.frontend import parse_only
from nixeval.syntax import Source, nix_syntax_errors
from nixeval.syntax.lexer import Lexer, LexError
from tests.cli_process import NIX_INSTANTIATE, ci_eval, nix_instantiate

pytestmark = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)

ROOT = Path(__file__).resolve().parent.parent

HAND_PICKED = [
    # an expression expected
    "{ a = ; }",
    "let a = ; in a",
    "x: ",
    "let a = 1; in",
    "if a then b else",
    "assert ; 1",
    "with ; 1",
    "( )",
    "1 + ",
    "a -> b -> ",
    "[ 1, 2 ]",
    "f (a ; b)",
    "[ a b ; ]",
    '"${ }"',
    "",
    "# only a comment\n",
    # an attribute name expected
    "a.b.",
    "{ a = 1; }.a.",
    "a ? b.",
    "{ a. = 1; }",
    "{ inherit (a) b c = 1; }",
    # ';' '}' ']' ')' expected
    "{ a = 1 }",
    "let a = 1 in a",
    "with a",
    "assert 1",
    "{ a.${x} = 1",
    "{ ... , a }: 1",
    "[ 1 2",
    "(1",
    "{ inherit (a b; }",
    # then, else, in expected
    "if a ; ",
    "if 1 then 2",
    "if a then b ; ",
    "let a = 1; a",
    # ':' '=' '@' '.' '{' end of file expected
    "{ a, b }",
    "x @ { a } 1",
    "{ a } @ x 1",
    "a @ b",
    "{ a = 1; b",
    "{ a.b c = 1; }",
    '{ "a" = 1; "b" }',
    "rec",
    "rec 1",
    "f ;",
    "a b: c",
    "1 ! 2",
    "x ${",
    # where Nix's parser tries an attribute set and a function's formals at once
    "{ } ;",
    "{ } @",
    "{ a",
    "{ a, ",
    "{ , }: 1",
    "{ a ? }: 1",
    # operators that do not chain, keywords and tokens out of place
    "1 == 2 == 3",
    "1 < 2 < 3",
    "a ? b c",
    "...",
    "a ... b",
    "or",
    "a.b or ;",
    "inherit",
    "${",
    "..",
    "<a/>",
    "then",
    # strings, paths and interpolations left open, comments never closed
    '"abc',
    "''abc",
    '"a${1',
    "''a${1",
    '"${a" b',
    "./a${b",
    "/* never closed",
    "1 /* never closed",
    '{ x = "\\',
    '"a$',
    '{ a = "x\\',
    '"a$\\',
    '"${x}a$',
    "''a$",
    "''a'",
    # characters Nix has no token for
    "$",
    "&",
    "'",
    "`",
    "a é",
    "1 + %",
]

# Case id -> why it does not agree yet (a strict xfail). None do at the time of writing.
KNOWN_DIFFERENCES: dict[str, str] = {}

# Tokens inserted by the random mutations.
_POOL = ["(", ")", "{", "}", "[", "]", ";", ":", "=", ".", ",", "@", "?", "...", "${", '"']
_POOL += ["if", "then", "else", "let", "in", "with", "assert", "rec", "inherit", "or", "x"]
_POOL += ["1", "+", "-", "==", "->", "//", "++", "!", "<", "''", "./p", "<n>"]
SEED = 20240517
SAMPLE_SIZE = 100


def _token_spans(text: str) -> list[tuple[int, int]]:
    try:
        return [(t.start, t.end) for t in Lexer(Source("f", text)).tokens() if t.end > t.start]
    except LexError:
        return []


def random_sample() -> list[str]:
    """`SAMPLE_SIZE` broken variants of the small .nix files of fixtures/ and tests/corpus,
    each a syntax error to ci-eval (so one to Nix too, or the test says otherwise)."""
    files = sorted(
        p
        for d in (ROOT / "fixtures", ROOT / "tests" / "corpus")
        for p in d.rglob("*.nix")
        if p.stat().st_size < 4000
    )
    texts = [p.read_text(encoding="utf-8") for p in files]
    rng = random.Random(SEED)
    sample: list[str] = []
    while len(sample) < SAMPLE_SIZE:
        text = rng.choice(texts)
        spans = _token_spans(text)
        if len(spans) < 2:
            continue
        k = rng.randrange(len(spans) - 1)
        (start, end), (start2, end2) = spans[k], spans[k + 1]
        how = rng.choice(["truncate", "delete", "insert", "swap"])
        if how == "truncate":
            broken = text[:end]
        elif how == "delete":
            broken = text[:start] + text[end:]
        elif how == "insert":
            broken = f"{text[:start]}{rng.choice(_POOL)} {text[start:]}"
        else:
            broken = text[:start] + text[start2:end2] + text[end:start2] + text[start:end]
            broken += text[end2:]
        problems = parse_only(Source("case.nix", broken))[1]
        if problems and problems[0].code in ("E001", "E002") and broken not in sample:
            sample.append(broken)
    return sample


CASES = {f"hand-{i:02d}": text for i, text in enumerate(HAND_PICKED)}
CASES |= {f"random-{i:03d}": text for i, text in enumerate(random_sample())}


def first_error_line(stderr: str) -> str:
    return next((line for line in stderr.splitlines() if line.startswith("error")), "")


_WHERE = re.compile(r"^ *--> (?P<file>.+?):\d+:\d+ \((?P<code>E\d{3})\)$")


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str, str]]:
    """Case id -> (Nix's first line, ci-eval's first line, ci-eval's code): every case a
    file, Nix run on each, one ci-eval process on all of them (it goes on after an error)."""
    directory = tmp_path_factory.mktemp("cases")
    for case, text in CASES.items():
        (directory / f"{case}.nix").write_text(text, encoding="utf-8")
    names = [f"{case}.nix" for case in CASES]
    status, _, err, _ = ci_eval(directory, "--parse", *names, timeout=300)
    assert status == 1
    ours: dict[str, tuple[str, str]] = {}
    lines = err.splitlines()
    for line, below in itertools.pairwise(lines):
        where = _WHERE.match(below)
        if line.startswith("error") and where:
            ours.setdefault(where["file"], (line, where["code"]))
    result = {}
    for case, name in zip(CASES, names, strict=True):
        expected = first_error_line(nix_instantiate(directory, "--parse", name)[2])
        line, code = ours.get(name, ("", ""))
        result[case] = (expected, line, code)
    return result


def _params() -> list[object]:
    return [
        pytest.param(
            case,
            id=case,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[case])]
            if case in KNOWN_DIFFERENCES
            else [],
        )
        for case in CASES
    ]


@pytest.mark.parametrize("case", _params())
def test_first_line_is_nix_s(answers: dict[str, tuple[str, str, str]], case: str) -> None:
    expected, line, code = answers[case]
    assert expected.startswith("error: "), f"Nix accepted {CASES[case]!r}: {expected!r}"
    assert (line, code in ("E001", "E002")) == (expected, True), CASES[case]


def test_code_position_and_ci_eval_s_words_follow(tmp_path: Path) -> None:
    (tmp_path / "bad.nix").write_text("{\n  a = 1\n}\n")
    for argv in (
        ["--parse", "bad.nix"],
        ["--eval", "bad.nix"],
        ["--eval", "-E", "import ./bad.nix"],
    ):
        expected = first_error_line(nix_instantiate(tmp_path, *argv)[2])
        status, _, err, _ = ci_eval(tmp_path, *argv)
        lines = err.splitlines()
        assert status == 1
        assert lines[0] == expected == "error: syntax error, unexpected '}', expecting ';'"
        assert re.fullmatch(r" *--> (\S*/)?bad\.nix:3:1 \(E002\)", lines[1]), lines[1]
        assert "  = note: unexpected '}', expected ';'" in lines, err
        assert "  = help: is a ';' missing? Every binding ends with ';'" in lines, err


@pytest.mark.parametrize("text", ["if a ; ", '"a${1', "1 /* never closed", "x @ { a } 1"])
def test_expressions_on_the_command_line(tmp_path: Path, text: str) -> None:
    for mode in ("--parse", "--eval"):
        expected = first_error_line(nix_instantiate(tmp_path, mode, "-E", text)[2])
        assert first_error_line(ci_eval(tmp_path, mode, "-E", text)[2]) == expected


def test_generated_tables_are_the_model_s() -> None:
    committed = nix_syntax_errors.TABLES_PATH.read_text(encoding="utf-8")
    assert committed == nix_syntax_errors.render_tables(), (
        "the model changed: run `python -m nixeval.syntax.regenerate`"
    )


def test_the_model_is_built_when_its_tables_are_stale(tmp_path: Path) -> None:
    # A fresh interpreter whose generated tables say they were made from another model.
    code = (
        "import sys, types\n"
        "sys.modules['nixeval.syntax._nix_error_tables'] = types.SimpleNamespace("
        "FINGERPRINT='stale')\n"
        "from nixeval.syntax.nix_syntax_errors import nix_syntax_message\n"
        "from nixeval.syntax import Source\n"
        "print(nix_syntax_message(Source('x', 'if 1 then 2')))\n"
    )

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = first_error_line(nix_instantiate(tmp_path, "--parse", "-E", "if 1 then 2")[2])
    assert f"error: {done.stdout}" == expected + "\n"
