"""``# ci-eval: ignore`` comments drop warnings only: an error is always reported, a comment
naming an error code (W008) or an unknown code (W009) is warned about, and a comment never
changes what else ``ci-eval check`` checks. Real runs of ``python -m nixeval check``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A ci.nix whose effect has a typo'd argument (E207), and a let binding at LINE that the
# tests replace (`{binding}`).
CI_NIX = """\
{ src ? { ref = null; } }: # ci-eval: ignore[W002]
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runNixOps;
  inherit (pkgs) lib;
{binding}
in
{
  web = runNixOps {
    name = "web";
    src = lib.cleanSource ./.;
    {network}
  };
}
"""
GOOD_NETWORK = 'networkFiles = [ "network.nix" ];'
TYPO_NETWORK = 'networkfiles = [ "network.nix" ];'
LINE = 9  # where {binding} is
GCC = re.compile(r"^(.+):(\d+):(\d+): (error|warning|note)\[(\w+)\]: (.*)$")


def project(tmp_path: Path, binding: str, network: str = GOOD_NETWORK) -> Path:
    (tmp_path / "network.nix").write_text("{ }\n")
    ci = tmp_path / "ci.nix"
    ci.write_text(CI_NIX.replace("{binding}", binding).replace("{network}", network))
    return ci


def check(ci: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", "check", *flags, ci.name],
        cwd=ci.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def found(done: subprocess.CompletedProcess[str]) -> list[tuple[int, int, str]]:
    """(line, column, code) of each gcc diagnostic (not its notes)."""
    return [
        (int(m.group(2)), int(m.group(3)), m.group(5))
        for line in done.stdout.splitlines()
        if (m := GCC.match(line)) and m.group(4) != "note"
    ]


def codes(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [code for _, _, code in found(done)]


def show(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"


def test_an_ignored_undefined_variable_is_still_an_error(tmp_path: Path) -> None:
    """The issue's file: an ``ignore[E006]`` made it exit 0, hiding the E006 and (as the
    file was not evaluated) the E207 too. Now the E006 stays and fails the check; it stops
    the evaluation, as in Nix, so the E207 is found once the E006 is fixed."""
    ci = project(tmp_path, "  broken = undefinedThing; # ci-eval: ignore[E006, W001]", TYPO_NETWORK)
    done = check(ci, "--format", "gcc")
    assert done.returncode == 1, show(done)
    assert (LINE, 12, "E006") in found(done), show(done)
    column = ci.read_text().splitlines()[LINE - 1].index("E006") + 1
    assert (LINE, column, "W008") in found(done), show(done)
    assert "E006 is an error, and errors cannot be ignored" in done.stdout, show(done)
    assert "W001" not in codes(done), "the warning it names is still suppressed"

    fixed = project(tmp_path, "  broken = 1; # ci-eval: ignore[E006, W001]", TYPO_NETWORK)
    done = check(fixed, "--format", "gcc")
    assert done.returncode == 1, show(done)
    assert sorted(codes(done)) == ["E207", "W008"], show(done)


@pytest.mark.parametrize("comment", ["# ci-eval: ignore", "# ci-eval: ignore[E207]"])
def test_an_ignore_on_an_effect_error_does_not_hide_it(tmp_path: Path, comment: str) -> None:
    ci = project(tmp_path, "", f"{TYPO_NETWORK} {comment}")
    done = check(ci, "--format", "gcc")
    assert done.returncode == 1, show(done)
    assert "E207" in codes(done), show(done)
    assert ("W008" in codes(done)) == ("E207" in comment), show(done)


def test_a_bare_ignore_does_not_hide_an_undefined_variable(tmp_path: Path) -> None:
    done = check(
        project(tmp_path, "  broken = undefinedThing; # ci-eval: ignore"), "--format", "gcc"
    )
    assert done.returncode == 1, show(done)
    assert codes(done) == ["E006"], show(done)  # the W001 is dropped, the error is not


@pytest.mark.parametrize("comment", ["# ci-eval: ignore[W001]", "# ci-eval: ignore"])
def test_an_ignore_covering_a_warning_still_works(tmp_path: Path, comment: str) -> None:
    plain = check(project(tmp_path, "  unused = 1;"), "--format", "gcc")
    assert codes(plain) == ["W001"], show(plain)
    done = check(project(tmp_path, f"  unused = 1; {comment}"), "--format", "gcc")
    assert done.returncode == 0, show(done)
    assert codes(done) == [], show(done)
    done = check(project(tmp_path, f"  {comment}\n  unused = 1;"), "--format", "gcc")
    assert codes(done) == [], "a comment alone on its line covers the next line"


@pytest.mark.parametrize("listed", ["W999", "w999", "E999X", "bogus"])
def test_an_unknown_code_warns(tmp_path: Path, listed: str) -> None:
    ci = project(tmp_path, f"  unused = 1; # ci-eval: ignore[W001, {listed}]")
    done = check(ci, "--format", "gcc")
    assert done.returncode == 0, show(done)  # a warning
    column = ci.read_text().splitlines()[LINE - 1].index(listed) + 1
    assert found(done) == [(LINE, column, "W009")], show(done)
    assert f"'{listed.upper()}' is not a ci-eval diagnostic code" in done.stdout, show(done)
    assert check(ci, "--format", "gcc", "--warnings-as-errors").returncode == 1


@pytest.mark.parametrize("format", ["human", "gcc", "json", "sarif"])
def test_the_warnings_about_comments_in_every_format(tmp_path: Path, format: str) -> None:
    ci = project(tmp_path, "  broken = undefinedThing; # ci-eval: ignore[E006, W999]")
    done = check(ci, "--format", format)
    assert done.returncode == 1, show(done)
    if format == "json":
        shown = [(d["code"], d["range"]["start"]["line"] + 1) for d in json.loads(done.stdout)]
    elif format == "sarif":
        results = json.loads(done.stdout)["runs"][0]["results"]
        shown = [
            (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in results
        ]
    elif format == "human":
        heads = re.findall(r"^(?:error|warning)\[(\w+)\]", done.stdout, re.MULTILINE)
        places = re.findall(r"--> ci\.nix:(\d+):", done.stdout)
        shown = list(zip(heads, map(int, places), strict=True))
    else:
        shown = [(code, line) for line, _, code in found(done)]
    assert sorted(shown) == [("E006", LINE), ("W001", LINE), ("W008", LINE), ("W009", LINE)]


def test_a_comment_never_changes_what_else_is_checked(tmp_path: Path) -> None:
    """The same file with and without ignore comments of every kind elsewhere: the same
    diagnostics, apart from the comments' own warnings."""
    plain = check(project(tmp_path, "  unused = 1;", TYPO_NETWORK), "--format", "gcc")
    assert sorted(codes(plain)) == ["E207", "W001"], show(plain)
    commented = (
        "  unused = 1;\n"
        "  # ci-eval: ignore\n"
        "  # ci-eval: ignore[E006, W999]\n"
        "  x = 1; # ci-eval: ignore[W001]"
    )
    done = check(project(tmp_path, commented, TYPO_NETWORK), "--format", "gcc")
    assert done.returncode == 1, show(done)
    assert sorted(codes(done)) == ["E207", "W001", "W008", "W009"], show(done)
