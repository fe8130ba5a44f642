"""Inputs that cannot be read end in a clear E007, quickly, in every command.

Each input shape — /dev/zero, a FIFO with no writer, a directory where a file is needed, a
missing file, a symlink loop (ELOOP) and a file without read permission (EACCES) — is given
to each command that reads a file: the main job (``ci-eval FILE``), ``ci-eval run FILE -A``,
``ci-eval run DESCRIPTION.json``, ``ci-eval check``, ``--parse`` and ``--eval``. Each run is a
real ``python -m nixeval`` process with a ``timeout=``, so a hang fails the test. The error
names the input as the user named it, with no line or column (nothing of it was read), and
no traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_process import ci_eval

ROOT = Path(__file__).resolve().parent.parent

# How long a refused input may take, process start-up included (far below any budget).
QUICK_SECONDS = 10.0


# --- the input shapes ---------------------------------------------------------------------
# Each makes the input in `tmp` under a name ending in `suffix` (.nix or .json) and returns
# the name to give on the command line and what the message must say.

Shape = Callable[[Path, str], tuple[str, str]]


def dev_zero(tmp: Path, suffix: str) -> tuple[str, str]:
    if suffix == ".json":  # a description path must end in .json: a link to the device
        (tmp / "zero.json").symlink_to("/dev/zero")
        return "zero.json", "it is a character device, not a file"
    return "/dev/zero", "it is a character device, not a file"


def fifo(tmp: Path, suffix: str) -> tuple[str, str]:
    os.mkfifo(tmp / f"pipe{suffix}")  # nobody ever writes to it
    return f"pipe{suffix}", "it is a named pipe (FIFO), not a file"


def directory(tmp: Path, suffix: str) -> tuple[str, str]:
    (tmp / f"dir{suffix}").mkdir()  # no ci file, no default.nix in it
    return f"dir{suffix}", ""  # the message depends on the command: see `expected`


def missing(tmp: Path, suffix: str) -> tuple[str, str]:
    return f"missing{suffix}", "no such file or directory"


def symlink_loop(tmp: Path, suffix: str) -> tuple[str, str]:
    (tmp / f"loop{suffix}").symlink_to(f"loop{suffix}")
    return f"loop{suffix}", "too many levels of symbolic links"


def unreadable(tmp: Path, suffix: str) -> tuple[str, str]:
    path = tmp / f"secret{suffix}"
    path.write_text("{ }\n" if suffix == ".nix" else "{}\n")
    path.chmod(0)
    return f"secret{suffix}", "permission denied"


SHAPES: dict[str, Shape] = {
    "dev-zero": dev_zero,
    "fifo": fifo,
    "directory": directory,
    "missing": missing,
    "symlink-loop": symlink_loop,
    "unreadable": unreadable,
}

# command name -> (argv around the input, suffix, whether diagnostics go to stdout)
COMMANDS: dict[str, tuple[Callable[[str], list[str]], str, bool]] = {
    "main": (lambda name: [name, "--timeout", "5"], ".nix", False),
    "run-file": (lambda name: ["run", name, "-A", "x", "--timeout", "5"], ".nix", False),
    "run-description": (lambda name: ["run", name, "--timeout", "5"], ".json", False),
    "check": (lambda name: ["check", "--timeout", "5", name], ".nix", True),
    "parse": (lambda name: ["--parse", name], ".nix", False),
    "eval": (lambda name: ["--eval", name], ".nix", False),
}


def expected(shape: str, command: str, name: str, reason: str) -> str:
    """The start of the message: ``cannot read 'NAME': REASON`` (a directory: what was
    looked for in it)."""
    if shape != "directory":
        return f"cannot read '{name}': {reason}"
    if command in ("parse", "eval"):  # Nix's meaning: the directory's default.nix
        return f"cannot read '{name}/default.nix': no such file or directory"
    if command == "run-description":
        return f"cannot read '{name}': it is a directory, not a file"
    return f"no ci file in '{name}': looked for"


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("command", COMMANDS)
def test_unreadable_input_is_e007_at_the_name(tmp_path: Path, shape: str, command: str) -> None:
    argv, suffix, to_stdout = COMMANDS[command]
    name, reason = SHAPES[shape](tmp_path, suffix)
    gcc = command in ("check", "parse", "eval")  # the others print descriptions
    status, out, err, seconds = ci_eval(
        tmp_path, *argv(name), *(["--format", "gcc"] if gcc else []), as_user=shape == "unreadable"
    )
    shown = out if to_stdout else err
    assert status == 1, (out, err)
    assert seconds < QUICK_SECONDS
    assert "Traceback" not in out + err
    message = expected(shape, command, name, reason)
    if gcc:  # the name, and no line and column: nothing of the input was read
        assert shown.startswith(f"{name}: error[E007]: {message}"), shown
    else:  # human: `--> NAME`, not `--> NAME:1:1`
        assert shown.startswith(f"error[E007]: {message}"), shown
        assert f" --> {name}\n" in shown


def test_the_unplaced_error_in_every_format(tmp_path: Path) -> None:
    """Human and gcc show the name only; SARIF gives the artifact and no region; JSON
    keeps the LSP range (editors need one) at the start."""
    status, out, _, _ = ci_eval(tmp_path, "check", "--format", "human", "missing.nix")
    assert status == 1 and " --> missing.nix\n" in out and "missing.nix:1:1" not in out
    status, out, _, _ = ci_eval(tmp_path, "check", "--format", "sarif", "missing.nix")
    (result,) = json.loads(out)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert result["ruleId"] == "E007" and "region" not in location
    assert location["artifactLocation"]["uri"].endswith("missing.nix")
    status, out, _, _ = ci_eval(tmp_path, "check", "--format", "json", "missing.nix")
    (diagnostic,) = json.loads(out)
    assert diagnostic["file"] == "missing.nix" and diagnostic["code"] == "E007"


def test_no_ci_file_in_the_current_directory(tmp_path: Path) -> None:
    """Without a FILE and with nothing to find, the error is about the directory, not
    about a made-up ci.nix."""
    status, out, _, _ = ci_eval(tmp_path, "check", "--format", "gcc")
    assert status == 1
    assert out.startswith(".: error[E007]: no ci file in '.': looked for nix/ci.nix")
    status, _, err, _ = ci_eval(tmp_path)
    assert status == 1
    assert "error[E007]: no ci file in the current directory" in err and " --> .\n" in err


def test_a_directory_means_the_file_hercules_picks_in_it(tmp_path: Path) -> None:
    """``check DIR`` checks (and evaluates) the ci.nix in it, named as the user named
    the directory."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "ci.nix").write_text('{ x = throw "boom"; }\n')
    status, out, _, _ = ci_eval(tmp_path, "check", "--format", "gcc", "project")
    assert status == 1
    assert out.startswith("project/ci.nix:1:7: error[E101]"), out


def test_a_large_description_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """The size read of a description is capped, for a file and for stdin."""
    from nixeval.execution.load import MAX_DESCRIPTION_BYTES

    big = tmp_path / "big.json"
    big.write_text('{"effects": "' + "x" * MAX_DESCRIPTION_BYTES + '"}')
    status, _, err, seconds = ci_eval(tmp_path, "run", "big.json")
    assert status == 1 and seconds < QUICK_SECONDS
    assert "error[E007]: cannot read 'big.json': it is larger than 16 MiB" in err
    with open("/dev/zero", "rb") as zero:
        status, _, err, seconds = ci_eval(tmp_path, "run", "-", stdin=zero.fileno())
    assert status == 1 and seconds < QUICK_SECONDS
    assert "error[E007]: cannot read '<stdin>': it is larger than 16 MiB" in err


def test_dev_zero_on_stdin_ends_within_checks_budget(tmp_path: Path) -> None:
    """stdin may be anything (an editor's buffer): reading it is under the budget."""
    with open("/dev/zero", "rb") as zero:
        status, out, _, seconds = ci_eval(
            tmp_path,
            "check",
            "--format",
            "gcc",
            "--timeout",
            "2",
            "--max-memory",
            "200",
            "-",
            stdin=zero.fileno(),
        )
    assert status == 1 and seconds < QUICK_SECONDS
    assert out.startswith(("<stdin>:1:1: error[E113]", "<stdin>:1:1: error[E114]")), out


def test_stdin_that_is_not_utf8_is_e007(tmp_path: Path) -> None:
    """Where Python decodes stdin strictly (a UTF-8 locale such as en_US.UTF-8, or as
    here PYTHONIOENCODING), bytes that are not UTF-8 are an E007 about stdin, not an
    internal error."""
    (tmp_path / "in").write_bytes(b"{ x = \xff; }\n")
    with open(tmp_path / "in", "rb") as given:
        status, out, err, _ = ci_eval(
            tmp_path,
            "check",
            "--format",
            "gcc",
            "-",
            stdin=given.fileno(),
            PYTHONIOENCODING="utf-8:strict",
        )
    assert status == 1 and "Traceback" not in err
    assert out.startswith("<stdin>: error[E007]: cannot read '<stdin>': it is not UTF-8 text"), out


def test_run_of_a_device_without_attribute_path(tmp_path: Path) -> None:
    """``run /dev/zero``: not a description name (no .json), so a file to evaluate; it is
    refused before it is read."""
    status, _, err, seconds = ci_eval(tmp_path, "run", "/dev/zero")
    assert status == 1 and seconds < QUICK_SECONDS
    assert err.startswith("error[E007]: cannot read '/dev/zero': it is a character device")
