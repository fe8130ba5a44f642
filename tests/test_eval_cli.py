"""`ci-eval --eval` takes nix-instantiate's options and prints what it prints: files,
-A paths (with auto-calling), --arg/--argstr, -I and NIX_PATH, --json, --strict."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from nixeval.cli import main

CI_NIX = """\
{ src ? { ref = null; }, system ? "x86_64-linux", count ? 1 }:
let lib = import ./lib.nix; in
{
  branch = src.ref;
  inherit system;
  items = lib.repeat count "x";
  nested = { deeper.value = count * 2; list = [ 10 20 30 ]; };
  fromPath = import <sample/lib.nix>;
}
"""
LIB_NIX = "{ repeat = n: x: builtins.genList (_: x) n; }\n"

CASES = [
    ["--eval", "ci.nix"],
    ["--eval", "--strict", "ci.nix"],
    ["--eval", "--strict", "ci.nix", "-A", "branch"],
    ["--eval", "--strict", "ci.nix", "-A", "nested.deeper.value"],
    ["--eval", "--strict", "ci.nix", "-A", "nested.list.1"],
    ["--eval", "--strict", "ci.nix", "-A", "items", "--arg", "count", "3"],
    [
        "--eval",
        "--strict",
        "ci.nix",
        "-A",
        "branch",
        "--arg",
        "src",
        '{ ref = "refs/heads/main"; }',
    ],
    ["--eval", "--strict", "ci.nix", "-A", "system", "--argstr", "system", "aarch64-linux"],
    ["--eval", "--strict", "--json", "ci.nix", "-A", "nested"],
    ["--eval", "--strict", "ci.nix", "-A", "branch", "-A", "system"],
    ["--eval", "--strict", "-I", "sample=.", "ci.nix", "-A", "fromPath"],
    ["--eval", "--strict", "ci.nix", "-A", "nested.missing"],
    ["--eval", "--strict", "ci.nix", "-A", "items.0"],
    ["--eval", "--strict", "-E", "{ a ? 1 }: a", "--arg", "a", "5"],
    ["--eval", "--strict", "-E", "{ a }: a"],
    ["--eval", "--strict", "-E", "{ a }: a", "--arg", "a", "5"],
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "ci.nix").write_text(CI_NIX)
    (tmp_path / "lib.nix").write_text(LIB_NIX)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIX_PATH", raising=False)
    return tmp_path


def _ours(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        status = main(argv)
    return status, out.getvalue()


@pytest.mark.skipif(not shutil.which("nix-instantiate"), reason="nix-instantiate not on PATH")
@pytest.mark.parametrize("argv", CASES, ids=lambda a: " ".join(a[1:]))
def test_same_as_nix_instantiate(argv: list[str], project: Path) -> None:
    nix = subprocess.run(
        ["nix-instantiate", *argv],
        capture_output=True,
        text=True,
        env=dict(os.environ, NIX_REMOTE="dummy://"),
    )
    status, out = _ours(argv)
    assert (status == 0) == (nix.returncode == 0), nix.stderr
    assert out == nix.stdout


def test_nix_path_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIX_PATH", f"other=/nonexistent:sample={project}")
    assert _ours(["--eval", "--strict", "-E", "import <sample/lib.nix>"])[1].startswith("{ repeat")


def test_missing_argument_has_a_hint(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--eval", "-E", "{ a }: a"]) == 0  # no automatic arguments: not called
    assert capsys.readouterr().out == "<LAMBDA>\n"
    assert main(["--eval", "-E", "{ a }: { x = a; }", "-A", "x"]) == 1
    err = capsys.readouterr().err
    assert "cannot evaluate a function that has an argument without a value ('a')" in err
    assert "help: pass it with --arg or --argstr" in err
