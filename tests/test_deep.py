"""Deep nesting parses (or fails cleanly): the driver is iterative, and the passes that
recurse run with a big stack. Never a RecursionError, never a crash."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nixeval.cli import main

DEPTH = 10_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("parentheses", "(" * DEPTH + "1" + ")" * DEPTH),
        ("lists", "[" * DEPTH + "1" + "]" * DEPTH),
        ("select", "let a = {}; in a" + ".b" * DEPTH),
        ("attrsets", "{ a = " * DEPTH + "1" + "; }" * DEPTH),
        ("lambdas", "x: " * DEPTH + "x"),
        ("negation", "-" * DEPTH + "1"),
        ("not", "!" * DEPTH + "true"),
        ("interpolation", '"${' * DEPTH + "1" + '}"' * DEPTH),
        ("let", "let a = 1; in " * DEPTH + "a"),
        ("addition", " + ".join(["1"] * DEPTH)),
        ("concat (right associative)", " ++ ".join(["[]"] * DEPTH)),
    ],
    ids=lambda x: x if len(x) < 40 else "",
)
def test_ten_thousand_deep(name: str, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--parse", "-E", "--", text]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.strip()


def test_far_deeper_nesting_answers_without_crashing() -> None:
    text = "(" * 200_000 + "1" + ")" * 200_000
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", "--parse", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "RecursionError" not in proc.stderr
