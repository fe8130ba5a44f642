"""Every mode that reads a project evaluates it purely (design §7, issue 12 item 6): the main
job (JSON, ``--format text``, ``--list``) and ``run FILE -A`` as ``check`` does. Reads only
inside the repository and the ``-I`` paths (E112 otherwise, the value never printed),
``builtins.getEnv`` is ``""``, ``builtins.currentTime`` is missing as in Nix's pure
evaluation, ``$NIX_PATH`` is not consulted. ``--impure`` is the main job's way out; ``run``
has none. Real ``ci-eval`` processes on real git repositories.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.effect_files import ci_nix

ROOT = Path(__file__).resolve().parent.parent
SECRET = "outside-value-7f3a9c"
NIX = shutil.which("nix-instantiate")


def ci_eval(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m nixeval ARGS` in `cwd`, with a known HOME and no NIX_PATH unless given."""
    environ = {k: v for k, v in os.environ.items() if k != "NIX_PATH"}
    environ.update(PYTHONPATH=str(ROOT), HOME=str(cwd.parent / "home"), NO_COLOR="1")
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def project(tmp_path: Path, effects: str) -> Path:
    """tmp/repo, a git repository whose ci.nix has `effects`; beside it (outside the
    repository) tmp/outside/secret.txt and tmp/somewhere/default.nix."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET)
    (tmp_path / "somewhere").mkdir()
    (tmp_path / "somewhere" / "default.nix").write_text('"from-somewhere"\n')
    (tmp_path / "home").mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "ci.nix").write_text(ci_nix(effects))
    return repo


def env_of(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The env of the one effect of a JSON description."""
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    env: dict[str, object] = document["effects"][0]["env"]
    return env


READ_THROUGH_LINK = """\
  leak = pkgs.effects.mkEffect {
    name = "leak";
    effectScript = "echo ${builtins.readFile ./link}";
  };
"""


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    repo = project(tmp_path, READ_THROUGH_LINK)
    (repo / "link").symlink_to(tmp_path / "outside" / "secret.txt")
    return repo


@pytest.mark.parametrize(
    "args",
    [
        ["ci.nix", "-A", "leak"],
        ["ci.nix", "-A", "leak", "--format", "text"],
        ["ci.nix", "--list"],
        ["ci.nix", "--list", "--format", "text"],
        ["run", "ci.nix", "-A", "leak", "--backend", "plan"],
        ["run", "ci.nix", "-A", "leak", "--backend", "plan", "--format", "json"],
        ["run", "ci.nix", "-A", "leak", "--backend", "script"],
    ],
)
def test_a_symlink_out_of_the_repository_is_not_read(leaky: Path, args: list[str]) -> None:
    done = ci_eval(leaky, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error[E112]: access to canonical path" in done.stderr
    assert "ci.nix:" in done.stderr  # at the readFile, in the user's file
    assert SECRET not in done.stdout + done.stderr
    # The main job has a way out and says so; run has none.
    assert ("--impure" in done.stderr) == (args[0] != "run")


def test_only_the_main_job_offers_impure(leaky: Path) -> None:
    main_job = ci_eval(leaky, "ci.nix", "-A", "leak")
    assert "= help: ci-eval reads only the repository and the -I paths; --impure" in (
        main_job.stderr
    )
    # check evaluates with the same pure machine, and has no way out.
    checked = ci_eval(leaky, "check", "ci.nix")
    assert checked.returncode == 1
    assert "error[E112]" in checked.stdout and SECRET not in checked.stdout + checked.stderr
    assert "--impure" not in checked.stdout


@pytest.mark.parametrize("output", [[], ["--format", "text"]])
def test_impure_reads_through_the_link(leaky: Path, output: list[str]) -> None:
    done = ci_eval(leaky, "ci.nix", "-A", "leak", "--impure", *output)
    assert done.returncode == 0, done.stderr
    assert SECRET in done.stdout


def test_run_has_no_impure(leaky: Path) -> None:
    done = ci_eval(leaky, "run", "ci.nix", "-A", "leak", "--impure")
    assert done.returncode == 2 and "unrecognized arguments: --impure" in done.stderr
    help_text = ci_eval(leaky, "run", "--help").stdout
    assert "evaluated purely, with no way out" in " ".join(help_text.split())


ENVIRONMENT = """\
  probe = pkgs.effects.mkEffect {
    name = "probe";
    effectScript = "true";
    env.HOME_SEEN = builtins.getEnv "HOME";
    env.SECRET_SEEN = builtins.getEnv "CI_EVAL_TEST_SECRET";
  };
"""


def test_getenv_is_empty(tmp_path: Path) -> None:
    repo = project(tmp_path, ENVIRONMENT)
    env = {"CI_EVAL_TEST_SECRET": SECRET}
    pure = env_of(ci_eval(repo, "ci.nix", "-A", "probe", env=env))
    assert pure["HOME_SEEN"] == "" and pure["SECRET_SEEN"] == ""
    plan = ci_eval(repo, "run", "ci.nix", "-A", "probe", "--format", "json", env=env)
    assert plan.returncode == 0, plan.stderr
    assert SECRET not in plan.stdout and str(tmp_path / "home") not in plan.stdout
    impure = env_of(ci_eval(repo, "ci.nix", "-A", "probe", "--impure", env=env))
    assert impure["HOME_SEEN"] == str(tmp_path / "home")
    assert impure["SECRET_SEEN"] == SECRET


SEARCH_PATH = """\
  probe = pkgs.effects.mkEffect {
    name = "probe";
    effectScript = "true";
    env.FOO = import <foo>;
  };
"""


def test_nix_path_is_not_consulted_but_minus_i_is(tmp_path: Path) -> None:
    repo = project(tmp_path, SEARCH_PATH)
    somewhere = str(tmp_path / "somewhere")
    nix_path = {"NIX_PATH": f"foo={somewhere}"}
    # Not found, so unknown offline (as check has it), never read.
    pure = env_of(ci_eval(repo, "ci.nix", "-A", "probe", env=nix_path))
    foo = pure["FOO"]
    assert isinstance(foo, dict) and foo["unknown"] == "import <foo>", foo
    plan = ci_eval(repo, "run", "ci.nix", "-A", "probe", env=nix_path)
    assert plan.returncode == 0 and "from-somewhere" not in plan.stdout, plan.stderr
    # -I names it: found, and readable although it is outside the repository.
    for args in (["ci.nix", "-A", "probe"], ["run", "ci.nix", "-A", "probe"]):
        named = ci_eval(repo, *args, "-I", f"foo={somewhere}")
        assert named.returncode == 0, named.stderr
        assert "from-somewhere" in named.stdout
    # --impure: $NIX_PATH as nix-instantiate reads it.
    impure = env_of(ci_eval(repo, "ci.nix", "-A", "probe", "--impure", env=nix_path))
    assert impure["FOO"] == "from-somewhere"


def test_a_search_path_entry_reads_only_below_itself(tmp_path: Path) -> None:
    # -I makes its directory readable, not the rest of the file system.
    repo = project(tmp_path, SEARCH_PATH)
    (tmp_path / "somewhere" / "default.nix").write_text("builtins.readFile ../outside/secret.txt\n")
    done = ci_eval(repo, "ci.nix", "-A", "probe", "-I", f"foo={tmp_path / 'somewhere'}")
    assert done.returncode == 1 and "error[E112]" in done.stderr
    assert SECRET not in done.stdout + done.stderr


CLOCK = """\
  probe = pkgs.effects.mkEffect {
    name = "probe";
    effectScript = "true";
    env.HAS = builtins.toJSON (builtins ? currentTime);
    env.OR = toString (builtins.currentTime or "none");
  };
  clock = pkgs.effects.mkEffect {
    name = "clock";
    effectScript = "true";
    env.T = toString builtins.currentTime;
  };
"""
# What the probe's env says, as one Nix expression for nix-instantiate.
CLOCK_EXPR = (
    "{ HAS = builtins.toJSON (builtins ? currentTime);"
    ' OR = toString (builtins.currentTime or "none"); }'
)
PURE_NIX = [str(NIX), "--eval", "--option", "pure-eval", "true"]


def test_current_time_is_missing_as_in_nix_pure_evaluation(tmp_path: Path) -> None:
    repo = project(tmp_path, CLOCK)
    pure = env_of(ci_eval(repo, "ci.nix", "-A", "probe"))
    assert (pure["HAS"], pure["OR"]) == ("false", "none")
    done = ci_eval(repo, "ci.nix", "-A", "clock")
    assert done.returncode == 1
    assert "error[E105]: attribute 'currentTime' missing" in done.stderr
    checked = ci_eval(repo, "check", "ci.nix")
    assert "error[E105]: attribute 'currentTime' missing" in checked.stdout
    if NIX is not None:  # the oracle: Nix's own pure evaluation
        nix = subprocess.run(
            [*PURE_NIX, "--strict", "--json", "-E", CLOCK_EXPR],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(nix.stdout) == {"HAS": pure["HAS"], "OR": pure["OR"]}
        missing = subprocess.run(
            [*PURE_NIX, "-E", "builtins.currentTime"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "error: attribute 'currentTime' missing" in missing.stderr


def test_impure_has_the_clock(tmp_path: Path) -> None:
    repo = project(tmp_path, CLOCK)
    before = int(time.time())
    impure = env_of(ci_eval(repo, "ci.nix", "-A", "clock", "--impure"))
    assert before <= int(str(impure["T"])) <= int(time.time())


def test_eval_stays_impure_as_nix_instantiate(tmp_path: Path) -> None:
    repo = project(tmp_path, READ_THROUGH_LINK)
    (repo / "link").symlink_to(tmp_path / "outside" / "secret.txt")
    assert ci_eval(repo, "ci.nix", "-A", "leak").returncode == 1  # the main job: pure
    done = ci_eval(
        repo,
        "--eval",
        "--strict",
        "-E",
        '[ (builtins.readFile ./link) (builtins.getEnv "HOME") (import <foo>) ]',
        env={"NIX_PATH": f"foo={tmp_path / 'somewhere'}"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f'[ "{SECRET}" "{tmp_path / "home"}" "from-somewhere" ]\n'


def test_the_repository_is_the_git_root(tmp_path: Path) -> None:
    # A nix/ci.nix may read the rest of its repository (as check does), nothing above it.
    repo = project(tmp_path, "")
    (repo / "shared.txt").write_text("shared")
    (repo / "nix").mkdir()
    (repo / "nix" / "ci.nix").write_text(
        ci_nix(
            '  up = pkgs.effects.mkEffect {\n    name = "up";\n'
            "    effectScript = builtins.readFile ../shared.txt;\n  };\n"
            '  out = pkgs.effects.mkEffect {\n    name = "out";\n'
            "    effectScript = builtins.readFile ../../outside/secret.txt;\n  };\n"
        )
    )
    (repo / "ci.nix").unlink()
    done = ci_eval(repo, "-A", "up", "--format", "text")
    assert done.returncode == 0, done.stderr
    assert "shared" in done.stdout
    out = ci_eval(repo, "-A", "out", "--format", "text")
    assert out.returncode == 1 and "error[E112]: access to absolute path" in out.stderr
    assert SECRET not in out.stdout + out.stderr
