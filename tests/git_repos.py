"""Real git repositories for the tests that run git, pre-commit and pip as a user would:
an environment isolated from the caller's git configuration, and a snapshot of this
checkout (committed and uncommitted work alike) as a repository of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment without the caller's git state or configuration (the tests may run
    from inside a git hook), with a private pre-commit cache, and without PYTHONPATH (what
    runs must be the ci-eval that was installed, not this checkout by accident)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "PYTHONPATH"
    }
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    env.update(
        GIT_CONFIG_GLOBAL=str(empty),
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_COLOR="1",
    )
    return env


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = run(["git", *args], cwd, env)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def new_repo(path: Path, env: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, env, "init", "-q", "-b", "main")
    git(path, env, "config", "user.name", "ci-eval tests")
    git(path, env, "config", "user.email", "tests@ci-eval.invalid")
    git(path, env, "config", "commit.gpgsign", "false")


def snapshot_of_this_repository(dest: Path, env: dict[str, str]) -> str:
    """Copy the working tree's files that git would see (tracked, and untracked but not
    ignored: work not yet committed is what is tested) and commit them in a new repository
    at `dest`; return the commit."""
    listed = git(ROOT, env, "ls-files", "-z", "-co", "--exclude-standard")
    for name in sorted(set(filter(None, listed.split("\0")))):
        source, target = ROOT / name, dest / name
        if not os.path.lexists(source):  # tracked but deleted in the working tree
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    new_repo(dest, env)
    git(dest, env, "add", "-A")
    git(dest, env, "commit", "-q", "--no-verify", "-m", "snapshot of the ci-eval working tree")
    return git(dest, env, "rev-parse", "HEAD").strip()
