"""Every sample project under ``fixtures/`` is well-formed where it should be.

* Every ``fixtures/**/*.nix`` parses (and its names resolve) with ci-eval, except
  ``broken-syntax/ci.nix``, which gives exactly one error diagnostic, at the ``=`` right
  after the line with the missing ``;``.
* When ``nix-instantiate`` is on PATH, real Nix accepts and rejects the same files
  (``NIX_REMOTE=dummy:// nix-instantiate --parse FILE``).
* Every ``.json`` file in the fixtures (``secrets.json``, ``deploy.json``, ``flake.lock``,
  …) is valid JSON; checking them against the schemas is done elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nixeval.frontend import parse_checked
from nixeval.syntax import Source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NIX_FILES: list[Path] = sorted(FIXTURES.rglob("*.nix"))
JSON_FILES: list[Path] = sorted(FIXTURES.rglob("*.json"))

# The one deliberately unparsable file, and where its single diagnostic must point:
# the `;` is missing at the end of line 17, so the parser stops at the `=` of the
# following binding (`pkgs = import nixpkgs {`), line 18, column 8 — as Nix does.
BROKEN_SYNTAX = FIXTURES / "broken-syntax" / "ci.nix"
BROKEN_SYNTAX_LINE = 18
BROKEN_SYNTAX_COLUMN = 8

NIX_TIMEOUT_S = 60.0


def _rel(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def _parses_with_ci_eval(path: Path) -> bool:
    source = Source(_rel(path), path.read_text(encoding="utf-8"))
    expr, diagnostics = parse_checked(source)
    return expr is not None and not any(d.is_error for d in diagnostics)


def test_fixture_files_found() -> None:
    assert len(NIX_FILES) >= 40
    assert BROKEN_SYNTAX in NIX_FILES
    names = {p.name for p in JSON_FILES}
    assert {"secrets.json", "deploy.json"} <= names
    for flake in FIXTURES.rglob("flake.nix"):
        assert flake in NIX_FILES


@pytest.mark.parametrize("path", [p for p in NIX_FILES if p != BROKEN_SYNTAX], ids=_rel)
def test_fixture_parses_with_ci_eval(path: Path) -> None:
    source = Source(_rel(path), path.read_text(encoding="utf-8"))
    expr, diagnostics = parse_checked(source)
    assert diagnostics == [], [f"{d.code} {d.message}" for d in diagnostics]
    assert expr is not None


def test_broken_syntax_gives_one_diagnostic_at_the_missing_semicolon() -> None:
    text = BROKEN_SYNTAX.read_text(encoding="utf-8")
    source = Source(_rel(BROKEN_SYNTAX), text)
    expr, diagnostics = parse_checked(source)
    assert expr is None
    assert len(diagnostics) == 1
    (diagnostic,) = diagnostics
    assert diagnostic.is_error
    start = source.position(diagnostic.span.start)
    assert (start.line, start.column) == (BROKEN_SYNTAX_LINE, BROKEN_SYNTAX_COLUMN)
    assert "';'" in diagnostic.message
    # The `;` really is missing at the end of the line before: restoring it fixes the file.
    lines = text.split("\n")
    assert lines[BROKEN_SYNTAX_LINE - 2] == "  }"
    lines[BROKEN_SYNTAX_LINE - 2] = "  };"
    fixed = Source(_rel(BROKEN_SYNTAX), "\n".join(lines))
    fixed_expr, fixed_diagnostics = parse_checked(fixed)
    assert fixed_diagnostics == []
    assert fixed_expr is not None


def _nix_accepts(path: Path, exe: str) -> tuple[bool, str]:
    env = dict(os.environ)
    env["NIX_REMOTE"] = "dummy://"
    proc = subprocess.run(
        [exe, "--parse", str(path)],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=NIX_TIMEOUT_S,
        check=False,
    )
    return proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("path", NIX_FILES, ids=_rel)
def test_nix_agrees(path: Path) -> None:
    exe = shutil.which("nix-instantiate")
    if exe is None:
        pytest.skip("nix-instantiate not on PATH")
    nix_ok, stderr = _nix_accepts(path, exe)
    assert nix_ok == (path != BROKEN_SYNTAX), stderr
    assert _parses_with_ci_eval(path) == nix_ok
    if not nix_ok:
        assert f"{path.name}:{BROKEN_SYNTAX_LINE}:{BROKEN_SYNTAX_COLUMN}" in stderr, stderr


@pytest.mark.parametrize("path", JSON_FILES, ids=_rel)
def test_json_files_are_valid(path: Path) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    if path.name in {"secrets.json", "deploy.json"}:
        assert isinstance(value, dict)
