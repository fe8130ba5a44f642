"""Golden tests for evaluation errors: code, message, position and notes, in gcc format
(tests/golden/eval_errors.txt; each expression is evaluated with `--eval --strict -E`)."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from nixeval.cli import main

from .golden_format import Chunk, check, load

ERRORS = load(Path(__file__).parent / "golden" / "eval_errors.txt")


def _errors_of(source: str) -> str:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        status = main(["--eval", "--strict", "--format", "gcc", "-E", "--", source])
    assert status == 1, f"expected an error for {source!r}"
    return err.getvalue().rstrip("\n")


@pytest.mark.parametrize("chunk", ERRORS, ids=lambda c: c.id)
def test_eval_error(chunk: Chunk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIX_PATH", raising=False)
    outputs = {c.title: _errors_of(c.source).replace(str(tmp_path), "@CWD@") for c in ERRORS}
    check(chunk, outputs[chunk.title], lambda: outputs)
