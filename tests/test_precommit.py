"""The `ci-eval` pre-commit hook, run by real pre-commit in real git repositories.

This repository's files (tracked, and untracked but not ignored, so work not yet committed
is what is tested) are copied into a temporary git repository and committed there; a second
temporary repository uses that copy as its hook repository at that commit. pre-commit
builds the hook's virtual environment (pip-installing the copy, as it would install this
repository for a user), then a commit of a good `ci.nix` goes through and a commit of one
with an undefined variable is refused with the gcc-format diagnostic.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "neat-network"
HOOK_FILES = re.compile(r"(^|/)((nix/)?ci|flake)\.nix$")  # as in .pre-commit-hooks.yaml


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment without the caller's git state or configuration (this test may run
    from inside a git hook), with a private pre-commit cache, and without PYTHONPATH (the
    hook must run the ci-eval that pre-commit installed, not this checkout)."""
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


def _run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    proc = _run(["git", *args], cwd, env)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _new_repo(path: Path, env: dict[str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, env, "init", "-q", "-b", "main")
    _git(path, env, "config", "user.name", "ci-eval tests")
    _git(path, env, "config", "user.email", "tests@ci-eval.invalid")
    _git(path, env, "config", "commit.gpgsign", "false")


def _snapshot_of_this_repository(dest: Path, env: dict[str, str]) -> str:
    """Copy the working tree's files that git would see (not the ignored ones) and commit
    them in a new repository at `dest`; return the commit."""
    listed = _git(ROOT, env, "ls-files", "-z", "-co", "--exclude-standard")
    for name in sorted(set(filter(None, listed.split("\0")))):
        source, target = ROOT / name, dest / name
        if not os.path.lexists(source):  # tracked but deleted in the working tree
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    _new_repo(dest, env)
    _git(dest, env, "add", "-A")
    _git(dest, env, "commit", "-q", "--no-verify", "-m", "snapshot of the ci-eval working tree")
    return _git(dest, env, "rev-parse", "HEAD").strip()


def test_manifest_declares_the_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"ci-eval", "ci-eval-all"}
    for hook in hooks.values():
        assert hook["entry"] == "ci-eval check --format gcc"
        assert hook["language"] == "python"
    assert hooks["ci-eval"]["files"] == HOOK_FILES.pattern
    assert hooks["ci-eval-all"]["files"] == r"\.nix$"
    matched = [
        f
        for f in ("ci.nix", "nix/ci.nix", "a/b/nix/ci.nix", "flake.nix", "sub/flake.nix")
        if re.search(hooks["ci-eval"]["files"], f)
    ]
    assert len(matched) == 5
    for other in ("default.nix", "myci.nix", "ci.nix.orig", "nix/network.nix"):
        assert not re.search(hooks["ci-eval"]["files"], other), other


def test_precommit_hook_accepts_a_good_ci_nix_and_blocks_a_bad_one(tmp_path: Path) -> None:
    env = _env(tmp_path)
    started = time.monotonic()
    timings: list[str] = []

    def lap(what: str) -> None:
        timings.append(f"{what}: {time.monotonic() - started:.1f}s")
        print(timings[-1])

    # Fail fast, and say why, when `ci-eval check` itself does not work on the good file:
    # everything below would only fail later, slower, for the same reason.
    direct = _run(
        [sys.executable, "-m", "nixeval", "check", "--format", "gcc", "ci.nix"],
        FIXTURE,
        {**env, "PYTHONPATH": str(ROOT)},
    )
    assert direct.returncode == 0, (
        "`ci-eval check --format gcc ci.nix` does not pass on fixtures/neat-network "
        f"(exit {direct.returncode}):\n{direct.stdout}{direct.stderr}"
    )

    hook_repo = tmp_path / "ci-eval"
    rev = _snapshot_of_this_repository(hook_repo, env)
    lap("snapshot")

    project = tmp_path / "project"
    _new_repo(project, env)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: ci-eval\n"
    )
    install = _run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert install.returncode == 0, install.stdout + install.stderr
    for item in FIXTURE.iterdir():  # ci.nix and the network files it names
        shutil.copy2(item, project / item.name)

    # A good ci.nix: the hook runs (building its environment first) and the commit is made.
    _git(project, env, "add", "-A")
    good = _run(["git", "commit", "-m", "good ci.nix"], project, env, timeout=1200)
    lap("first commit (hook environment built)")
    assert good.returncode == 0, f"{timings}\n{good.stdout}{good.stderr}"
    assert re.search(r"^ci-eval\.+Passed$", good.stdout + good.stderr, re.MULTILINE), (
        good.stdout + good.stderr
    )
    head = _git(project, env, "rev-parse", "HEAD").strip()

    # A bad one: an undefined variable. The commit is refused, with the diagnostic.
    text = (project / "ci.nix").read_text()
    assert text.count('name = "foo";') == 1
    bad_text = text.replace('name = "foo";', "name = fooName;")
    (project / "ci.nix").write_text(bad_text)
    offset = bad_text.index("fooName")
    line = bad_text.count("\n", 0, offset) + 1
    column = offset - (bad_text.rfind("\n", 0, offset) + 1) + 1
    _git(project, env, "add", "ci.nix")
    bad = _run(["git", "commit", "-m", "bad ci.nix"], project, env, timeout=600)
    lap("second commit")
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert re.search(r"^ci-eval\.+Failed$", output, re.MULTILINE), output
    assert f"ci.nix:{line}:{column}: error[E006]: " in output, output
    assert "fooName" in output, output
    assert _git(project, env, "rev-parse", "HEAD").strip() == head
