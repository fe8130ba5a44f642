"""``--timeout`` and ``--max-memory`` bound everything a command does with a project:
reading, parsing, evaluating and validating — in ``check``, the main job and ``run`` —
and take only numbers that make sense.

Real ``python -m nixeval`` processes, each with a ``timeout=`` so that a hang fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nixeval.budget import CHECK_MIB, CHECK_SECONDS, JOB_MIB, JOB_SECONDS
from tests.cli_process import ci_eval


def slow_to_parse(path: Path) -> Path:
    """A 5 MB ci.nix that takes ci-eval far longer than 2 s to parse (about 20 s before
    the budget covered parsing)."""
    terms = 5_000_000 // 4
    path.write_text("{ x = " + " + ".join(["1"] * terms) + "; }\n")
    assert path.stat().st_size >= 5_000_000
    return path


def hungry_to_parse(path: Path) -> Path:
    """A 5.5 MB ci.nix whose syntax tree alone takes far more than 50 MiB."""
    path.write_text("[ " + " ".join(['"abcdefgh"'] * 500_000) + " ]\n")
    return path


# The commands that take a budget, each given the ci.nix `name` and the options.
BUDGETED = {
    "check": lambda name, *options: ["check", "--format", "gcc", *options, name],
    "main": lambda name, *options: [name, *options],
    "run": lambda name, *options: ["run", name, "-A", "x", *options],
}


@pytest.mark.parametrize("command", BUDGETED)
def test_a_5mb_file_ends_within_the_time_budget(tmp_path: Path, command: str) -> None:
    slow_to_parse(tmp_path / "ci.nix")
    status, out, err, seconds = ci_eval(tmp_path, *BUDGETED[command]("ci.nix", "--timeout", "2"))
    assert status == 1
    assert seconds < 6, "ends soon after its 2 s (plus GRACE_SECONDS for a long C call)"
    if command == "check":
        assert out.startswith(
            "ci.nix:1:1: error[E113]: evaluation took longer than its time budget of 2 s"
        ), out
    else:
        assert err.startswith("error[E113]: evaluation took longer than its time budget of 2 s")
        assert " --> ci.nix:1:1\n" in err


@pytest.mark.parametrize("command", BUDGETED)
def test_a_memory_hungry_parse_ends_within_the_memory_budget(tmp_path: Path, command: str) -> None:
    hungry_to_parse(tmp_path / "ci.nix")
    status, out, err, seconds = ci_eval(
        # A time budget far out of reach: on a loaded machine, memory must still be what
        # stops it.
        tmp_path,
        *BUDGETED[command]("ci.nix", "--max-memory", "50", "--timeout", "120"),
    )
    assert status == 1
    shown = out if command == "check" else err
    assert "error[E114]: evaluation used more than its memory budget of 50 MiB" in shown, shown
    assert seconds < 30


def test_reading_a_description_is_under_the_budget(tmp_path: Path) -> None:
    """``run DESCRIPTION.json``: reading and validating it too (a time budget so small
    that nothing is left for it)."""
    (tmp_path / "d.json").write_text('{"effects": []}')
    status, _, err, _ = ci_eval(tmp_path, "run", "d.json", "--timeout", "1e-9")
    assert status == 1
    assert err.startswith("error[E113]: evaluation took longer than its time budget of 1e-09 s")


def test_an_evaluation_loop_ends_within_the_main_jobs_budget(tmp_path: Path) -> None:
    (tmp_path / "ci.nix").write_text(
        "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in { x = fib 40; }\n"
    )
    status, _, err, seconds = ci_eval(tmp_path, "ci.nix", "-A", "x", "--timeout", "1")
    assert status == 1 and seconds < 5
    assert err.startswith("error[E113]")


def test_generous_defaults_for_descriptions_tight_for_check() -> None:
    assert (CHECK_SECONDS, CHECK_MIB) == (10.0, 1024)
    assert JOB_SECONDS >= 60 and JOB_MIB >= 2048
    for argv, seconds, mib in (
        (["check", "--help"], CHECK_SECONDS, CHECK_MIB),
        (["run", "--help"], JOB_SECONDS, JOB_MIB),
        (["--help"], JOB_SECONDS, JOB_MIB),
    ):
        status, out, _, _ = ci_eval(Path.cwd(), *argv)
        text = " ".join(out.split())  # argparse wraps help
        assert status == 0
        assert f"{seconds:g}" in text and str(mib) in text, text


BAD_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "-1", "0", "-0.0", "ten", ""]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("option", ["--timeout", "--max-memory"])
@pytest.mark.parametrize("command", BUDGETED)
def test_budget_options_take_positive_finite_numbers(
    tmp_path: Path, command: str, option: str, value: str
) -> None:
    status, out, err, _ = ci_eval(tmp_path, *BUDGETED[command]("ci.nix", f"{option}={value}"))
    assert status == 2, (out, err)
    assert f"error: argument {option}: must be " in err
    assert out == ""


def test_max_memory_is_whole_mib(tmp_path: Path) -> None:
    status, _, err, _ = ci_eval(tmp_path, "check", "--max-memory", "1.5", "ci.nix")
    assert status == 2 and "argument --max-memory: must be a whole number of MiB" in err


@pytest.mark.parametrize("mode", ["--parse", "--eval"])
def test_parse_and_eval_take_no_budget(tmp_path: Path, mode: str) -> None:
    """They are nix-instantiate's: its --timeout (a build timeout) is accepted and means
    nothing here; it has no --max-memory."""
    status, out, err, _ = ci_eval(tmp_path, mode, "--timeout", "5", "-E", "1")
    assert (status, out.strip(), err) == (0, "1", "")
    status, _, err, _ = ci_eval(tmp_path, mode, "--max-memory", "5", "-E", "1")
    assert status == 2
    assert "--max-memory is for effect descriptions, not --parse or --eval" in err


def test_the_memory_budget_holds_under_a_big_parent(tmp_path: Path) -> None:
    """Linux carries the peak resident set over ``exec`` from the parent: started by a
    process that had 400 MiB resident (a test runner, an editor), ci-eval's own growth
    must still count (it was hidden below the inherited peak)."""
    hungry_to_parse(tmp_path / "ci.nix")
    parent = (
        "import subprocess, sys\n"
        "ballast = bytearray(400 * 1024 * 1024)\n"
        "ballast[:: 4096] = b'x' * len(ballast[:: 4096])  # resident, page by page\n"
        "p = subprocess.run([sys.executable, '-m', 'nixeval', 'ci.nix', '--max-memory', '50',\n"
        "                    '--timeout', '120'], capture_output=True, text=True)\n"
        "sys.stdout.write(p.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIX")}
    env["NO_COLOR"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", parent],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "error[E114]: evaluation used more than its memory budget of 50 MiB" in result.stdout, (
        result.stdout + result.stderr
    )
