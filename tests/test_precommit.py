"""The pre-commit hooks, run by real pre-commit in real git repositories.

README.md's `.pre-commit-config.yaml` is taken from README.md as written (a `repo: local`
hook running the installed `ci-eval`) and used in temporary projects: a good commit goes
through, and a commit that breaks the Hercules CI evaluation is refused even when it does
not touch the entry point (a deleted `networkFiles` file, a README-only commit on a broken
`ci.nix`), with a root `default.nix` as the entry point too.

This repository's hook manifest (`.pre-commit-hooks.yaml`) is tested as a hook repository:
this checkout (tracked files, and untracked but not ignored ones, so work not yet
committed is what is tested) is committed into a temporary repository that a project uses
at that commit; pre-commit builds the hooks' virtual environment (pip-installing the copy,
as it would install this repository for a user).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import yaml

from tests.git_repos import clean_env, git, new_repo, run, snapshot_of_this_repository

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "neat-network"
HOOK_FILES = re.compile(r"(^|/)((nix/)?ci|flake)\.nix$")  # as in .pre-commit-hooks.yaml
NETWORK_FILE = "network-aws.nix"  # named in the fixture's networkFiles


def _readme_config() -> str:
    """The YAML block of README.md's pre-commit section, exactly as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### pre-commit\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def _position(text: str, needle: str) -> str:
    """`line:column` (1-based) of the only occurrence of `needle` in `text`."""
    assert text.count(needle) == 1, needle
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def _break(path: Path) -> str:
    """Put an undefined variable in the fixture's ci.nix at `path`; its `line:column`."""
    text = path.read_text()
    assert text.count('name = "foo";') == 1
    broken = text.replace('name = "foo";', "name = fooName;")
    path.write_text(broken)
    return _position(broken, "fooName")


def _commit(project: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    git(project, env, "add", "-A")
    return run(["git", "commit", "-m", message], project, env, timeout=600)


def _hook_said(result: str, proc: subprocess.CompletedProcess[str], name: str = "ci-eval") -> None:
    output = proc.stdout + proc.stderr
    assert re.search(rf"^{re.escape(name)}\.+{result}$", output, re.MULTILINE), output


def _readme_project(tmp_path: Path, entry: str = "ci.nix") -> tuple[Path, dict[str, str]]:
    """A project with README.md's pre-commit configuration installed and the fixture (its
    ci.nix named `entry`) committed through the hook, which passed."""
    env = clean_env(tmp_path)
    # The hook is `language: system`: the ci-eval installed beside this Python runs it.
    scripts = sysconfig.get_path("scripts")
    assert (Path(scripts) / "ci-eval").exists(), f"ci-eval is not installed in {scripts}"
    env["PATH"] = f"{scripts}{os.pathsep}{env['PATH']}"
    project = tmp_path / "project"
    new_repo(project, env)
    (project / ".pre-commit-config.yaml").write_text(_readme_config())
    install = run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert install.returncode == 0, install.stdout + install.stderr
    for item in FIXTURE.iterdir():
        shutil.copy2(item, project / (entry if item.name == "ci.nix" else item.name))
    (project / "README.md").write_text("# a project deployed by Hercules CI\n")
    good = _commit(project, env, "the project")
    assert good.returncode == 0, good.stdout + good.stderr
    _hook_said("Passed", good)
    return project, env


def _head(project: Path, env: dict[str, str]) -> str:
    return git(project, env, "rev-parse", "HEAD").strip()


def test_readme_config_is_a_local_hook_of_the_installed_ci_eval() -> None:
    config = yaml.safe_load(_readme_config())
    (repo,) = config["repos"]
    (hook,) = repo["hooks"]
    assert repo["repo"] == "local" and "rev" not in repo
    assert hook["language"] == "system"
    assert hook["entry"] == "ci-eval check --hook --format gcc"
    assert hook["always_run"] is True and hook["files"] == HOOK_FILES.pattern


def test_readme_hook_refuses_a_commit_that_deletes_a_network_file(tmp_path: Path) -> None:
    project, env = _readme_project(tmp_path)
    head = _head(project, env)
    ci = (project / "ci.nix").read_text()
    git(project, env, "rm", "-q", NETWORK_FILE)

    proc = _commit(project, env, "remove a network file")

    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    _hook_said("Failed", proc)
    where = _position(ci, f'"{NETWORK_FILE}"')
    assert f"ci.nix:{where}: error[E212]: " in output, output
    assert _head(project, env) == head


def test_readme_hook_checks_a_root_default_nix_entry_point(tmp_path: Path) -> None:
    project, env = _readme_project(tmp_path, entry="default.nix")
    head = _head(project, env)
    where = _break(project / "default.nix")

    proc = _commit(project, env, "break default.nix")

    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    _hook_said("Failed", proc)
    assert f"default.nix:{where}: error[E006]: undefined variable 'fooName'" in output, output
    assert _head(project, env) == head


def test_readme_hook_refuses_a_readme_only_commit_while_ci_nix_is_broken(
    tmp_path: Path,
) -> None:
    project, env = _readme_project(tmp_path)
    where = _break(project / "ci.nix")
    git(project, env, "add", "-A")
    git(project, env, "commit", "-q", "--no-verify", "-m", "broken, hooks skipped")
    head = _head(project, env)
    with (project / "README.md").open("a") as readme:
        readme.write("More words.\n")

    proc = _commit(project, env, "only README.md")

    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    _hook_said("Failed", proc)
    assert f"ci.nix:{where}: error[E006]: " in output, output
    assert _head(project, env) == head


def test_manifest_declares_the_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"ci-eval", "ci-eval-all"}
    for hook in hooks.values():
        assert hook["entry"] == "ci-eval check --hook --format gcc"
        assert hook["language"] == "python"
        assert hook["always_run"] is True and hook["require_serial"] is True
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


def test_manifest_hooks_accept_a_good_ci_nix_and_refuse_broken_ones(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    started = time.monotonic()
    timings: list[str] = []

    def lap(what: str) -> None:
        timings.append(f"{what}: {time.monotonic() - started:.1f}s")
        print(timings[-1])

    # Fail fast, and say why, when `ci-eval check` itself does not work on the good file:
    # everything below would only fail later, slower, for the same reason.
    direct = run(
        [sys.executable, "-m", "nixeval", "check", "--format", "gcc", "ci.nix"],
        FIXTURE,
        {**env, "PYTHONPATH": str(ROOT)},
    )
    assert direct.returncode == 0, (
        "`ci-eval check --format gcc ci.nix` does not pass on fixtures/neat-network "
        f"(exit {direct.returncode}):\n{direct.stdout}{direct.stderr}"
    )

    hook_repo = tmp_path / "ci-eval"
    rev = snapshot_of_this_repository(hook_repo, env)
    lap("snapshot")

    project = tmp_path / "project"
    new_repo(project, env)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: ci-eval\n      - id: ci-eval-all\n"
    )
    install = run([sys.executable, "-m", "pre_commit", "install"], project, env)
    assert install.returncode == 0, install.stdout + install.stderr
    for item in FIXTURE.iterdir():  # ci.nix and the network files it names
        shutil.copy2(item, project / item.name)

    # A good ci.nix: the hooks run (building their environment first), the commit is made.
    good = _commit(project, env, "good ci.nix")
    lap("first commit (hook environment built)")
    assert good.returncode == 0, f"{timings}\n{good.stdout}{good.stderr}"
    _hook_said("Passed", good)
    _hook_said("Passed", good, "ci-eval (all .nix files)")

    # A bad one: an undefined variable. The commit is refused, with the diagnostic.
    where = _break(project / "ci.nix")
    bad = _commit(project, env, "bad ci.nix")
    lap("second commit")
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    _hook_said("Failed", bad)
    _hook_said("Failed", bad, "ci-eval (all .nix files)")
    assert f"ci.nix:{where}: error[E006]: " in output, output

    # Committed anyway, hooks skipped: a commit that touches no .nix file is refused too.
    git(project, env, "commit", "-q", "--no-verify", "-m", "bad ci.nix, hooks skipped")
    head = _head(project, env)
    (project / "README.md").write_text("# a project\n")
    readme_only = _commit(project, env, "only README.md")
    lap("third commit")
    output = readme_only.stdout + readme_only.stderr
    assert readme_only.returncode != 0, output
    _hook_said("Failed", readme_only)
    _hook_said("Failed", readme_only, "ci-eval (all .nix files)")
    assert f"ci.nix:{where}: error[E006]: " in output, output
    assert _head(project, env) == head
