"""``python -m nixeval`` in a real process, timed, for the tests of budgets and bad inputs."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest

# The main job and ``check`` on the sample project, as the cold-start tests run them.
on_main_job_and_check = pytest.mark.parametrize(
    "command",
    [
        ["fixtures/neat-network/ci.nix", "-A", "neat-network", "--as-branch", "main"],
        ["check", "--format", "gcc", "fixtures/neat-network/ci.nix"],
    ],
    ids=["main-job", "check"],
)


def ci_eval(
    cwd: Path,
    *argv: str,
    stdin: int | None = subprocess.DEVNULL,
    as_user: bool = False,
    timeout: float = 120,
    **environ: str,
) -> tuple[int, str, str, float]:
    """Status, stdout, stderr and seconds taken by ``python -m nixeval ARGV`` in `cwd`
    (with `environ` added to the environment; `as_user`: without root's right to read
    any file), killed after `timeout` seconds so that a hang fails the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIX")} | environ
    env["HOME"] = str(cwd)
    env["NO_COLOR"] = "1"
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "nixeval", *argv],
        cwd=cwd,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_without_root_file_access if as_user and os.geteuid() == 0 else None,
    )
    return result.returncode, result.stdout, result.stderr, time.monotonic() - start


def ci_eval_with(
    *argv: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, str, str]:
    """Status, stdout and stderr of ``python -m nixeval ARGV`` in `cwd`, with this
    process's environment and `env` added (the tests of real inputs set the store, the
    cache and the archive URLs there)."""
    done = subprocess.run(
        [sys.executable, "-m", "nixeval", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


NIX_INSTANTIATE = shutil.which("nix-instantiate")


def nix_instantiate(cwd: Path, *argv: str) -> tuple[int, str, str]:
    """Status, stdout and stderr of the real ``nix-instantiate ARGV`` (Nix 2.8, the oracle)
    in `cwd`, as the differential tests run it (`nix_instantiate_run`)."""
    done = nix_instantiate_run(cwd, *argv)
    return done.returncode, done.stdout, done.stderr


def nix_instantiate_run(
    cwd: Path, *argv: str, stdin: IO[Any] | None = None, text: bool = True
) -> subprocess.CompletedProcess[Any]:
    """The real ``nix-instantiate ARGV`` run in `cwd` as the differential tests run it: no
    Nix store (``NIX_REMOTE=dummy://``), none of this process's other NIX variables, HOME
    at `cwd` (as `ci_eval` has it); its output as text, or as bytes when not `text`."""
    assert NIX_INSTANTIATE is not None, "nix-instantiate is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIX")}
    return subprocess.run(
        [NIX_INSTANTIATE, *argv],
        cwd=cwd,
        env={**env, "NIX_REMOTE": "dummy://", "HOME": str(cwd)},
        stdin=stdin,
        capture_output=True,
        text=text,
        timeout=120,
    )


def _without_root_file_access() -> None:
    """In the child, before exec: drop the capabilities that let root read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set, so that after exec a
    file with mode 000 is EACCES for it as for anyone (tests run as root here)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
