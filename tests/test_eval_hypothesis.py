"""Random well-formed closed expressions evaluate exactly as in real Nix 2.8."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import HealthCheck, given, settings

from nixeval.cli import main

from .evalgen import EXPRESSIONS

pytestmark = pytest.mark.skipif(
    not shutil.which("nix-instantiate"), reason="nix-instantiate not on PATH"
)


def _nix(expr: str) -> tuple[int, str]:
    proc = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "-E", expr],
        capture_output=True,
        text=True,
        env=dict(os.environ, NIX_REMOTE="dummy://"),
        timeout=60,
    )
    return proc.returncode, proc.stdout


def _ours(expr: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        status = main(["--eval", "--strict", "-E", expr])
    return status, out.getvalue()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS)
def test_random_expressions_agree_with_nix(expr: str) -> None:
    status, ours = _ours(expr)
    nix_status, theirs = _nix(expr)
    assert (status == 0) == (nix_status == 0), (
        f"{expr}\nnix: {nix_status} {theirs}\nci-eval: {status} {ours}"
    )
    assert ours == theirs, expr
