"""Golden tests for evaluation errors: code, message, position and notes, in gcc format
(tests/golden/eval_errors.txt; each expression is evaluated with `--eval --strict -E`)."""

from __future__ import annotations

import functools
import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from nixeval.cli import main

from .golden_format import Chunk, check, load

GOLDEN_DIR = Path(__file__).parent / "golden"
ERRORS = load(GOLDEN_DIR / "eval_errors.txt")


@functools.cache
def _errors_of(source: str) -> str:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        status = main(["--eval", "--strict", "--format", "gcc", "-E", "--", source])
    assert status == 1, f"expected an error for {source!r}"
    return err.getvalue().rstrip("\n")


@pytest.mark.parametrize("chunk", ERRORS, ids=lambda c: c.id)
def test_eval_error(chunk: Chunk, monkeypatch: pytest.MonkeyPatch) -> None:
    # One fixed directory for every case, so each expression is evaluated once (cached).
    monkeypatch.chdir(GOLDEN_DIR)
    monkeypatch.delenv("NIX_PATH", raising=False)

    def rendered(c: Chunk) -> str:
        return _errors_of(c.source).replace(os.getcwd(), "@CWD@")

    check(chunk, rendered(chunk), lambda: {c.title: rendered(c) for c in ERRORS})
