"""`ci-eval check --hook`: the Hercules CI agent's entry point of the repository, picked
as the agent picks it, checked together with the given `.nix` files, each once.

Real processes in real git repositories (`python -m nixeval` from a temporary project)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.git_repos import ROOT, clean_env, new_repo

GOOD = "{ }\n"
BROKEN = "{ a = oops; }\n"  # E006 at 1:7


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    project = tmp_path / "project"
    new_repo(project, clean_env(tmp_path))
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    return project


def _hook(cwd: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", "check", "--hook", "--format", "gcc", *files],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.stderr == "", proc.stderr
    return [line for line in proc.stdout.splitlines() if ": error[" in line]


def test_the_entry_point_is_checked_when_no_file_is_given(tmp_path: Path) -> None:
    project = _project(tmp_path, {"ci.nix": BROKEN})
    proc = _hook(project)
    assert proc.returncode == 1
    assert _errors(proc) == ["ci.nix:1:7: error[E006]: undefined variable 'oops'"]


def test_the_entry_point_is_checked_once_even_when_given(tmp_path: Path) -> None:
    project = _project(tmp_path, {"ci.nix": BROKEN})
    proc = _hook(project, "ci.nix", "./ci.nix")
    assert proc.returncode == 1
    assert _errors(proc) == ["ci.nix:1:7: error[E006]: undefined variable 'oops'"]


def test_given_nix_files_are_checked_too(tmp_path: Path) -> None:
    project = _project(tmp_path, {"ci.nix": GOOD, "lib/util.nix": BROKEN})
    proc = _hook(project, "lib/util.nix")
    assert proc.returncode == 1
    assert _errors(proc) == ["lib/util.nix:1:7: error[E006]: undefined variable 'oops'"]


def test_given_files_that_are_not_nix_are_not_checked(tmp_path: Path) -> None:
    project = _project(tmp_path, {"ci.nix": GOOD, "README.md": "# not ( Nix\n"})
    assert (
        subprocess.run(  # without --hook, README.md would be read as Nix
            [sys.executable, "-m", "nixeval", "check", "README.md"],
            cwd=project,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            timeout=120,
        ).returncode
        == 1
    )
    proc = _hook(project, "README.md")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("files", "checked"),
    [
        # The agent's order: nix/ci.nix or ci.nix, then flake.nix, then default.nix.
        ({"ci.nix": BROKEN, "flake.nix": "{ outputs = _: { }; }\n"}, "ci.nix"),
        ({"nix/ci.nix": BROKEN, "default.nix": GOOD}, "nix/ci.nix"),
        ({"flake.nix": "{ a = oops; outputs = _: { }; }\n", "default.nix": GOOD}, "flake.nix"),
        ({"default.nix": BROKEN}, "default.nix"),
    ],
    ids=["ci.nix-before-flake.nix", "nix-ci.nix", "flake.nix-before-default.nix", "default.nix"],
)
def test_the_entry_point_is_the_one_the_agent_picks(
    tmp_path: Path, files: dict[str, str], checked: str
) -> None:
    project = _project(tmp_path, files)
    proc = _hook(project)
    assert proc.returncode == 1
    assert [e.split(":", 1)[0] for e in _errors(proc)] == [checked]


def test_a_file_the_agent_does_not_pick_is_not_checked(tmp_path: Path) -> None:
    # flake.nix wins over default.nix: a broken default.nix there is not evaluated.
    project = _project(tmp_path, {"flake.nix": "{ outputs = _: { }; }\n", "default.nix": BROKEN})
    proc = _hook(project)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_both_nix_ci_nix_and_ci_nix_is_an_error(tmp_path: Path) -> None:
    project = _project(tmp_path, {"nix/ci.nix": GOOD, "ci.nix": GOOD})
    proc = _hook(project)
    assert proc.returncode == 1
    (line,) = _errors(proc)
    assert line.startswith("ci.nix: error[E008]: ")
    assert "nix/ci.nix" in line


@pytest.mark.parametrize("files", [{}, {"sub/ci.nix": GOOD}], ids=["nothing", "deeper-ci.nix"])
def test_no_entry_point_at_the_root_is_an_error(tmp_path: Path, files: dict[str, str]) -> None:
    project = _project(tmp_path, files)
    proc = _hook(project)
    assert proc.returncode == 1
    (line,) = _errors(proc)
    assert line.startswith(".: error[E008]: no ci file in ")
    assert "looked for nix/ci.nix, ci.nix, flake.nix or default.nix" in line


def test_the_repository_root_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    project = _project(tmp_path, {"ci.nix": BROKEN, "sub/x.nix": GOOD})
    proc = _hook(project / "sub", "x.nix")
    assert proc.returncode == 1
    assert _errors(proc) == ["../ci.nix:1:7: error[E006]: undefined variable 'oops'"]


def test_hook_with_stdin_is_a_usage_error(tmp_path: Path) -> None:
    proc = _hook(_project(tmp_path, {"ci.nix": GOOD}), "-")
    assert proc.returncode == 2
    assert "--hook checks files, not stdin" in proc.stderr
