"""Deep recursion is not a Python problem: deep Nix recursion works, and unbounded
recursion ends with a clean, positioned error within seconds."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from nixeval.cli import main


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 10000", "10000"),
        ("builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 100000)", "4999950000"),
        ("builtins.length (builtins.genList (x: { a = x; }) 100000)", "100000"),
        (
            "let xs = builtins.genList (x: [ x ]) 100000; "
            "in builtins.deepSeq xs (builtins.length xs)",
            "100000",
        ),
        (
            "let mk = n: if n == 0 then [ ] else [ (mk (n - 1)) ]; in mk 5000 == mk 5000",
            "true",
        ),
        (
            "let mk = n: if n == 0 then { } else { a = mk (n - 1); }; "
            'in builtins.toJSON (mk 3000) != ""',
            "true",
        ),
    ],
    ids=[
        "recursion-10000",
        "foldl-100000",
        "genList-100000",
        "deepSeq-100000",
        "eq-5000",
        "json-3000",
    ],
)
def test_deep(expr: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--eval", "--strict", "-E", expr]) == 0
    assert capsys.readouterr().out == expected + "\n"


def test_genlist_deep_forced_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--eval", "--strict", "-E", "builtins.genList (x: x * 2) 100000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[ 0 2 4 ") and out.endswith(" 199998 ]\n")


@pytest.mark.parametrize(
    "expr",
    ["let f = x: f x; in f 1", "let f = x: 1 + f x; in f 1", "let x = { a = x.a; }; in x.a"],
)
def test_unbounded_recursion_is_a_clean_error(expr: str) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", "--eval", "--format", "gcc", "-E", expr],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    assert proc.stderr.startswith("«string»:1:"), proc.stderr
    assert "recursion" in proc.stderr
    assert elapsed < 30, f"took {elapsed:.1f}s"


DEEPER_THAN_NIX = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 100000"


def test_recursion_nix_overflows_on_is_evaluated(capsys: pytest.CaptureFixture[str]) -> None:
    """A documented difference (README, `ci-eval --eval`): Nix 2.8's stack overflows
    at about 10^5 nested calls; ci-eval's evaluation thread has room for them."""
    import shutil

    nix = shutil.which("nix-instantiate")
    if nix is None:
        pytest.skip("nix-instantiate (Nix 2.8, the oracle) is not installed")
    done = subprocess.run(
        [nix, "--eval", "-E", DEEPER_THAN_NIX],
        capture_output=True,
        text=True,
        env={"NIX_REMOTE": "dummy://", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode != 0 and "stack overflow" in done.stderr
    assert main(["--eval", "-E", DEEPER_THAN_NIX]) == 0
    assert capsys.readouterr().out == "100000\n"
