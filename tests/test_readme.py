"""README.md opens with the two newcomer commands, and .ci/run runs the second verbatim."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert head[0] == "# ci-eval" and head[2] == "```sh"
    assert len(_commands()) == 2


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == _commands()[1]


def test_readme_main_command_runs_on_the_fixture() -> None:
    install, run = (part.strip() for part in _commands()[0].split("&&"))
    assert install == "pip install ."
    args = shlex.split(run)
    assert args[0] == "ci-eval"
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", *args[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "runNixOps" in proc.stdout
