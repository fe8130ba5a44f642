"""Syntax trees kept on disk between processes (nixeval/syntax/stored.py): the pinned
sources a project imports are parsed once, not in every process; a changed file is a new
entry; a planted or damaged entry is parsed again and never runs code."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from nixeval.frontend import parse_checked
from nixeval.syntax import Source, parse_source, stored

# A library file.
LIBRARY = (
    "{ lib }:\nrec {\n"
    + "".join(f'  f{i} = x: lib.g (x + {i}) "{"padding " * 4}";\n' for i in range(120))
    + "  g = x: y: x;\n}\n"
)


def run(cwd: Path, cache: Path, expression: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", "--eval", "--strict", "-E", expression],
        cwd=cwd,
        env={**os.environ, "CI_EVAL_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def project(tmp_path: Path) -> tuple[Path, Path, str]:
    """A library outside the project directory, and an expression that imports it."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "big.nix").write_text(LIBRARY)
    work = tmp_path / "project"
    work.mkdir()
    expression = f"(import {tmp_path}/lib/big.nix {{ lib = {{ g = x: y: x; }}; }}).f7 35"
    return work, tmp_path / "cache", expression


def entries(cache: Path) -> list[Path]:
    directory = cache / "syntax"
    return sorted(directory.glob("*.tree")) if directory.is_dir() else []


def test_a_library_file_is_stored_and_read_back(tmp_path: Path) -> None:
    work, cache, expression = project(tmp_path)
    first = run(work, cache, expression)
    assert (first.returncode, first.stdout) == (0, "42\n"), first.stderr
    [entry] = entries(cache)
    assert entry.name == stored.entry_name(LIBRARY, frozenset())
    again = run(work, cache, expression)
    assert (again.returncode, again.stdout) == (0, "42\n")
    # the stored tree is the parsed one
    assert stored.load(entry) == parse_source(Source("big.nix", LIBRARY))


def test_a_changed_file_is_a_new_entry(tmp_path: Path) -> None:
    work, cache, expression = project(tmp_path)
    assert run(work, cache, expression).returncode == 0
    (tmp_path / "lib" / "big.nix").write_text(LIBRARY.replace("(x + 7)", "(x + 8)"))
    changed = run(work, cache, expression)
    assert changed.stdout == "43\n", changed.stderr
    assert len(entries(cache)) == 2


def test_project_files_are_not_stored_and_small_library_files_are(tmp_path: Path) -> None:
    work, cache, _ = project(tmp_path)
    (work / "big.nix").write_text(LIBRARY)
    (tmp_path / "small.nix").write_text("x: x + 1")
    expression = (
        f"[ ((import ./big.nix {{ lib = {{ g = x: y: x; }}; }}).f1 1) "
        f"((import {tmp_path}/small.nix) 1) ]"
    )
    done = run(work, cache, expression)
    assert done.stdout == "[ 2 2 ]\n", done.stderr
    [entry] = entries(cache)  # small.nix's, not big.nix's (in the project)
    assert parse_checked(Source(str(tmp_path / "small.nix"), "x: x + 1"))[0] == stored.load(entry)
    assert run(work, cache, expression).stdout == "[ 2 2 ]\n"


def test_a_damaged_entry_is_parsed_again(tmp_path: Path) -> None:
    work, cache, expression = project(tmp_path)
    assert run(work, cache, expression).returncode == 0
    [entry] = entries(cache)
    entry.write_bytes(b"not a pickle")
    done = run(work, cache, expression)
    assert (done.returncode, done.stdout) == (0, "42\n"), done.stderr


class _Planted:
    """A pickle that would run a command when loaded by a plain unpickler."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_entry_runs_nothing(tmp_path: Path) -> None:
    work, cache, expression = project(tmp_path)
    marker = tmp_path / "ran"
    (cache / "syntax").mkdir(parents=True)
    (cache / "syntax" / stored.entry_name(LIBRARY, frozenset())).write_bytes(
        pickle.dumps(_Planted(marker))
    )
    done = run(work, cache, expression)
    assert (done.returncode, done.stdout) == (0, "42\n"), done.stderr
    assert not marker.exists()


def test_a_file_with_errors_is_not_stored(tmp_path: Path) -> None:
    # Only a tree that resolved without errors is kept: the errors are said each time.
    source = Source(str(tmp_path / "bad.nix"), LIBRARY.replace("g = x: y: x;", "g = x: y: z;"))
    cache = tmp_path / "cache"
    os.environ["CI_EVAL_CACHE_DIR"], saved = str(cache), os.environ.get("CI_EVAL_CACHE_DIR", "")
    try:
        expr, problems = parse_checked(source)
    finally:
        os.environ["CI_EVAL_CACHE_DIR"] = saved
    assert expr is None and "undefined variable 'z'" in problems[0].message
    assert entries(cache) == []


def test_ci_evals_own_models_are_stored_even_from_its_checkout(tmp_path: Path) -> None:
    # nixeval/nixpkgs/*.nix change only with ci-eval: stored when run from its own tree too
    root = Path(__file__).resolve().parent.parent
    model = root / "nixeval" / "nixpkgs" / "lib.nix"
    done = run(root, tmp_path / "cache", "builtins.isAttrs (import ./nixeval/nixpkgs/lib.nix)")
    assert done.stdout == "true\n", done.stderr
    text = model.read_text(encoding="utf-8")
    assert (tmp_path / "cache" / "syntax" / stored.entry_name(text, frozenset())).is_file()
