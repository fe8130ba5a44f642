"""Running one expression through both evaluators: real Nix and ci-eval in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

NIX_TIMEOUT_S = 120.0


class Result(NamedTuple):
    status: int
    stdout: str
    stderr: str


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NIX_ABORT_ON_WARN", None)
    env["NIX_REMOTE"] = "dummy://"
    return env


def run_nix(expr: str, cwd: Path) -> Result:
    """``nix-instantiate --eval --strict --readonly-mode -E expr`` in `cwd`."""
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    proc = subprocess.run(
        [exe, "--eval", "--strict", "--readonly-mode", "-E", expr],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        errors="replace",
        timeout=NIX_TIMEOUT_S,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_ci_eval(
    expr: str, cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Result:
    """``ci-eval --eval --strict -E expr`` in `cwd`, in this process."""
    from nixeval.cli import main

    monkeypatch.chdir(cwd)
    monkeypatch.delenv("NIX_ABORT_ON_WARN", raising=False)
    capsys.readouterr()
    status = main(["--eval", "--strict", "-E", "--", expr])
    captured = capsys.readouterr()
    return Result(status, captured.out, captured.err)
