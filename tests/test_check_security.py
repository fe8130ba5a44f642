"""``ci-eval check`` on an untrusted ci.nix: no reads outside the repository, no
environment, no process, no network, and a budget for time and memory.

Each case runs the installed command line in a child Python with an audit hook
(``sys.addaudithook``) that records every file opened and every process or socket
started; the test then looks at the diagnostics and at that record.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import nixeval

CHILD = r"""
import json, sys
events = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        events.append(("open", str(args[0], "utf-8", "replace") if isinstance(args[0], bytes) else args[0]))
    elif event in ("os.listdir", "os.scandir") and args and isinstance(args[0], str):
        events.append(("list", args[0]))
    elif event.startswith(("subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
                           "os.fork", "socket.", "urllib.")):
        events.append(("forbidden", event))
sys.addaudithook(hook)
from nixeval.cli import main
status = main(sys.argv[1:])
sys.stderr.write("\nAUDIT " + json.dumps({"status": status, "events": events}) + "\n")
"""


def run_check(
    repo: Path, *argv: str, timeout: float = 60
) -> tuple[int, str, list[tuple[str, str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIX")}
    env["HOME"] = str(repo.parent / "home")  # a HOME the ci.nix must not be able to see
    run = subprocess.run(
        [sys.executable, "-c", CHILD, "check", "--format", "gcc", *argv],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    _, _, audit = run.stderr.rpartition("\nAUDIT ")
    record = json.loads(audit)
    return record["status"], run.stdout, [tuple(e) for e in record["events"]]


# The process's own resident set, which the memory budget reads (`nixeval.budget`): the
# process's own bookkeeping, nothing of the machine or the user.
OWN_MEMORY = "/proc/self/statm"


def allowed(path: str, repo: Path) -> bool:
    """Inside the repository, or Python's and ci-eval's own installation, or the
    process's own memory use, or where pinned sources are looked up: the Nix store and
    ci-eval's cache (design §7: the resolved input sources are readable)."""
    from nixeval.sources import cache_dir, store_dir

    given = os.path.normpath(os.path.join(repo, path))
    if given == OWN_MEMORY:
        return True
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
    roots |= {store_dir(), str(cache_dir())}
    roots.add(os.path.dirname(nixeval.__file__))  # (its data are symlinks in a checkout)
    roots.add(str(repo))
    roots |= {os.path.realpath(r) for r in roots}
    return any(given == r or given.startswith(r + os.sep) for r in roots)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """tmp/repo is a git repository (a .git directory on main); tmp/outside.nix is not in
    it; tmp/home is the HOME the child runs with."""
    root = tmp_path / "repo"
    (root / ".git" / "refs" / "heads").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / "sub").mkdir()
    (tmp_path / "outside.nix").write_text('{ secret = "outside"; }\n')
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "token").write_text("TOPSECRET\n")
    return root


def assert_contained(repo: Path, events: list[tuple[str, str]]) -> None:
    assert not [e for e in events if e[0] == "forbidden"], events
    outside = [p for kind, p in events if kind in ("open", "list") and not allowed(p, repo)]
    assert outside == [], outside


def test_reading_etc_passwd_is_refused(repo: Path) -> None:
    (repo / "ci.nix").write_text("{\n  users = builtins.readFile /etc/passwd;\n}\n")
    status, out, events = run_check(repo, "ci.nix")
    assert status == 1
    assert out.startswith(
        "ci.nix:2:11: error[E112]: access to absolute path '/etc/passwd' is forbidden in "
        "restricted mode"
    ), out
    assert_contained(repo, events)
    assert ("open", "/etc/passwd") not in events


def test_importing_outside_the_repository_is_refused(repo: Path) -> None:
    (repo / "sub" / "ci.nix").write_text("{\n  x = (import ../../outside.nix).secret;\n}\n")
    status, out, events = run_check(repo, "sub/ci.nix")
    assert status == 1
    assert "error[E112]: access to absolute path" in out and "outside.nix" in out, out
    assert out.startswith("sub/ci.nix:2:"), out
    assert_contained(repo, events)


def test_reading_home_through_the_environment_finds_nothing(repo: Path) -> None:
    (repo / "ci.nix").write_text(
        '{\n  home = assert builtins.getEnv "HOME" == ""; builtins.pathExists ./ci.nix;\n}\n'
    )
    status, out, events = run_check(repo, "ci.nix")
    assert (status, out) == (0, "")
    assert_contained(repo, events)


def test_home_paths_are_refused(repo: Path) -> None:
    (repo / "ci.nix").write_text("{\n  token = builtins.readFile ~/token;\n}\n")
    status, out, events = run_check(repo, "ci.nix")
    assert status == 1 and "error[E112]" in out, out
    assert "TOPSECRET" not in out
    assert_contained(repo, events)


def test_a_loop_is_stopped_by_the_time_budget(repo: Path) -> None:
    (repo / "ci.nix").write_text(
        "{\n  sum = builtins.foldl' (a: b: a + b) 0 (builtins.genList (i: i) 100000000);\n}\n"
    )
    status, out, events = run_check(repo, "--timeout", "1.5", "ci.nix")
    assert status == 1
    assert out.startswith(
        "ci.nix:1:1: error[E113]: evaluation took longer than its time budget of 1.5 s"
    ), out
    assert_contained(repo, events)


def test_a_memory_hog_is_stopped_by_the_memory_budget(repo: Path) -> None:
    (repo / "ci.nix").write_text(
        "{\n  n = builtins.length (builtins.genList (i: [ i i ]) 300000000);\n}\n"
    )
    status, out, _ = run_check(repo, "--max-memory", "200", "--timeout", "60", "ci.nix")
    assert status == 1
    assert out.startswith(
        "ci.nix:1:1: error[E114]: evaluation used more than its memory budget of 200 MiB"
    ), out


def test_a_good_ci_nix_touches_nothing_outside(repo: Path) -> None:
    """The whole pipeline (offline nixpkgs and effects models, descriptions, schemas) on
    a fixture: no process (not even git), no socket, no file outside."""
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "neat-network"
    for f in fixture.iterdir():
        (repo / f.name).write_bytes(f.read_bytes())
    status, out, events = run_check(repo, "ci.nix")
    assert status == 0, out
    assert_contained(repo, events)
