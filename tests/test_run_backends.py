"""``ci-eval run``: the input (a JSON description, stdin, or a file evaluated on the spot),
the backend registry, the plan backend, and the script backend (shellcheck, quoting,
refusals, and the script run against the stand-ins in tests/standins/)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nixeval.backends import backend, names
from nixeval.cli import main
from tests.effect_files import ci_nix

ROOT = Path(__file__).resolve().parent.parent
STANDINS = ROOT / "tests" / "standins"
GOLDEN = ROOT / "tests" / "golden" / "run"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

NIX_PATH = "NIX_PATH=nixpkgs=/srv/nixpkgs"
REV = "0123456789abcdef0123456789abcdef01234567"
TYPICAL = f'{{ ref = "refs/heads/main"; rev = "{REV}"; }}'
PRODUCTION = f'{{ ref = "refs/heads/production"; rev = "{REV}"; }}'


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """`ci-eval` in this process, from the repository root."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd(), sys.stdin, sys.stdout, sys.stderr
    os.chdir(ROOT)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        status = main(argv)
    finally:
        os.chdir(old[0])
        sys.stdin, sys.stdout, sys.stderr = old[1], old[2], old[3]
    return status, out.getvalue(), err.getvalue()


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path} (UPDATE_GOLDEN=1 writes it)"
    assert text == path.read_text(encoding="utf-8")


# --- the registry ---------------------------------------------------------------------------


def test_backends_are_the_modules_of_the_package() -> None:
    assert names() == ["local", "plan", "script"]
    for name in names():
        found = backend(name)
        assert found.name == name and found.summary


# --- plan -----------------------------------------------------------------------------------

PLANS = [
    ("nixops-secrets", "fixtures/nixops-secrets/ci.nix", ["-A", "neat-network"]),
    ("cachix-deploy", "fixtures/cachix-deploy/ci.nix", ["-A", "deploy"]),
    ("cachix-deploy-json-file", "fixtures/cachix-deploy-json-file/ci.nix", ["-A", "deploy"]),
    # typical reads src.rev: pass the whole src, as Hercules CI would (git would give HEAD).
    ("typical-main", "fixtures/typical/ci.nix", ["--as-branch", "main", "--arg", "src", TYPICAL]),
    (
        "typical-production",
        "fixtures/typical/ci.nix",
        ["--as-branch", "production", "--arg", "src", PRODUCTION],
    ),
]


@pytest.mark.parametrize(("name", "file", "args"), PLANS, ids=[p[0] for p in PLANS])
def test_plan_text_and_json(name: str, file: str, args: list[str]) -> None:
    status, text, err = run(["run", file, *args])
    assert status == 0, err
    golden(f"plan-{name}.txt", text)
    status, out, err = run(["run", file, *args, "--format", "json"])
    assert status == 0, err
    plan = json.loads(out)
    golden(f"plan-{name}.json", out)
    for effect in plan["effects"]:
        phases = [p["phase"] for p in effect["phases"]]
        order = ["init", "unpack", "getState", "userSetup", "priorCheck", "effect", "putState"]
        order.append("effectCheck")
        assert phases == [p for p in order if p in phases] and phases[0] == "init"


def test_plan_shows_the_secret_that_sets_the_token() -> None:
    status, text, _ = run(["run", "fixtures/cachix-deploy-json-file/ci.nix", "-A", "deploy"])
    assert status == 0
    assert "CACHIX_ACTIVATE_TOKEN=<secret default-cachix-activate.cachixActivateToken>" in text
    assert "activate = default-cachix-activate (cachixActivateToken)" in text
    status, text, _ = run(["run", "fixtures/cachix-custom-secret/ci.nix", "-A", "deploy"])
    assert status == 0 and "<secret " in text and "default-cachix-activate" not in text


def test_plan_names_state_files_and_unknowns() -> None:
    _status, out, _ = run(
        ["run", "fixtures/nixops-secrets/ci.nix", "-A", "neat-network", "--format", "json"]
    )
    effect = json.loads(out)["effects"][0]
    assert effect["stateFiles"] == [
        {"name": "nixops-foo.json", "file": "nixops-state.json", "read": True, "write": True},
        {
            "name": "nixops-foo.known_hosts",
            "file": "~/.ssh/known_hosts",
            "read": True,
            "write": True,
        },
    ]
    needed = [u["where"] for u in effect["unknowns"] if u["needed"]]
    assert needed == ["env NIX_PATH"]
    assert {u["where"] for u in effect["unknowns"] if not u["needed"]} >= {"prebuilt"}


# --- the input ------------------------------------------------------------------------------


def description(file: str, *args: str) -> str:
    status, out, err = run([file, *args])
    assert status == 0, err
    return out


def test_a_json_description_and_stdin_give_the_same_plan(tmp_path: Path) -> None:
    text = description("fixtures/nixops-secrets/ci.nix", "-A", "neat-network")
    saved = tmp_path / "d.json"
    saved.write_text(text)
    status, out, err = run(["run", "fixtures/nixops-secrets/ci.nix", "-A", "neat-network"])
    # Evaluating says which pinned inputs were missing; the description has it already.
    assert "error" not in err and "W110" in err
    assert run(["run", str(saved)]) == (status, out, "")
    assert run(["run", "-"], stdin=text) == (status, out, "")


def test_invalid_json_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "d.json"
    bad.write_text('{\n  "file": "x",\n  "effects": [,]\n}\n')
    status, out, err = run(["run", str(bad)])
    assert status == 1 and out == ""
    assert "error[E300]: invalid JSON: Expecting value" in err
    assert f"{bad}:3:15" in err


def test_a_schema_problem_is_refused_at_the_value(tmp_path: Path) -> None:
    document = json.loads(description("fixtures/cachix-deploy/ci.nix", "-A", "deploy"))
    document["effects"][0]["mode"] = "maybe"
    bad = tmp_path / "d.json"
    text = json.dumps(document, indent=2)
    bad.write_text(text)
    line = next(i for i, s in enumerate(text.split("\n"), 1) if '"maybe"' in s)
    for backend_name in names():
        status, out, err = run(["run", str(bad), "--backend", backend_name])
        assert status == 1 and out == ""
        assert "error[E300]: not a valid description: 'maybe' is not one of" in err
        assert f"{bad}:{line}:" in err and "/effects/0/mode" in err


def test_a_description_run_for_another_ref_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "d.json"
    saved.write_text(description("fixtures/cachix-deploy/ci.nix", "-A", "deploy"))
    status, _, err = run(["run", str(saved), "--as-branch", "production"])
    assert status == 1
    assert "error[E305]: the description was made for refs/heads/main" in err


def test_usage_errors() -> None:
    assert run(["run", "x.json", "--backend", "script", "--format", "json"])[0] == 2
    assert run(["run", "x.json", "--env", "NOEQUALS"])[0] == 2
    assert run(["run", "x.json", "--backend", "nope"])[0] == 2
    assert run(["run", "x.json", "--arg", "a", "1"])[0] == 2
    status, _, err = run(["run", "missing.json"])
    assert status == 1 and "error[E007]: cannot read 'missing.json'" in err


def test_supplying_a_value_that_is_known_is_refused() -> None:
    args = ["run", "fixtures/nixops-secrets/ci.nix", "-A", "neat-network"]
    status, _, err = run([*args, "--env", "NIXOPS_DEPLOYMENT=other"])
    assert status == 1 and "error[E306]: --env NIXOPS_DEPLOYMENT=…" in err
    status, out, err = run([*args, "--env", NIX_PATH])
    assert status == 0, err
    assert "NIX_PATH=nixpkgs=/srv/nixpkgs" in out and "supplied: env NIX_PATH" in out


# --- script ---------------------------------------------------------------------------------

SCRIPTS = [
    ("nixops-secrets", ["fixtures/nixops-secrets/ci.nix", "-A", "neat-network", "--env", NIX_PATH]),
    ("nixops-plain", ["fixtures/nixops-plain/ci.nix", "-A", "neat-network", "--env", NIX_PATH]),
    (
        "typical-production",
        [
            "fixtures/typical/ci.nix",
            "-A",
            "production",
            "--as-branch",
            "production",
            "--env",
            NIX_PATH,
        ],
    ),
    ("cachix-json-file", ["fixtures/cachix-deploy-json-file/ci.nix", "-A", "deploy"]),
    (
        "cachix-deploy",
        [
            "fixtures/cachix-deploy/ci.nix",
            "-A",
            "deploy",
            "--file",
            "deploy.json=fixtures/cachix-deploy-json-file/deploy.json",
        ],
    ),
]


def script_for(args: list[str]) -> str:
    status, out, err = run(["run", "--backend", "script", *args])
    assert status == 0, err
    return out


@pytest.mark.parametrize(("name", "args"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_scripts_pass_shellcheck(name: str, args: list[str], tmp_path: Path) -> None:
    script = tmp_path / f"{name}.sh"
    script.write_text(script_for(args))
    result = subprocess.run(
        ["shellcheck", "--shell=sh", "--severity=style", str(script)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert subprocess.run(["dash", "-n", str(script)]).returncode == 0


def test_a_script_is_refused_while_values_it_needs_are_unknown() -> None:
    status, out, err = run(
        ["run", "--backend", "script", "fixtures/typical/ci.nix", "-A", "staging"]
    )
    assert status == 1 and out == ""
    for agent in ("staging-1", "staging-2"):
        assert f"error[E301]: file <deploy.json>.agents.{agent} is unknown" in err
    assert "error[E301]: file <deploy.json>.rollbackScript.x86_64-linux is unknown" in err
    assert err.count("error[E301]") == 3
    assert "help: give the file with --file deploy.json=PATH" in err
    status, _, err = run(
        ["run", "--backend", "script", "fixtures/nixops-secrets/ci.nix", "-A", "neat-network"]
    )
    assert status == 1 and "error[E301]: env NIX_PATH is unknown" in err
    assert "--> fixtures/nixops-secrets/ci.nix:30:15" in err
    assert "help: give its value with --env NIX_PATH=VALUE" in err


def test_an_effect_that_does_not_run_is_not_scripted() -> None:
    status, _, err = run(
        [
            "run",
            "--backend",
            "script",
            "fixtures/typical/ci.nix",
            "-A",
            "production",
            "--as-branch",
            "main",
        ]
    )
    assert status == 1
    assert "error[E304]: the effect production does not run on this ref: runIf" in err


# The script run against the stand-ins --------------------------------------------------------


def standin_path(tmp_path: Path, **switches: str) -> str:
    """A bin directory whose cachix/nixops/nix are the stand-ins with these switches."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    settings = " ".join(f"{k}={v!r}" for k, v in switches.items())
    for program in ("cachix", "nixops", "nix"):
        wrapper = bin_dir / program
        wrapper.write_text(
            f"#!/bin/sh\nexec env STANDIN_LOG={tmp_path / 'log.jsonl'} {settings} "
            f'{sys.executable} -S {STANDINS / program} "$@"\n'
        )
        wrapper.chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


def calls(tmp_path: Path) -> list[tuple[str, list[str]]]:
    log = tmp_path / "log.jsonl"
    if not log.exists():
        return []
    lines = log.read_text().splitlines()
    return [(c["program"], c["argv"]) for c in map(json.loads, lines)]


AWS = {
    "aws": {
        "kind": "Secret",
        "data": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "s3cr3t-key"},
    }
}


def run_script(
    tmp_path: Path, script: str, env: dict[str, str], wait: bool = True
) -> subprocess.Popen[str]:
    path = tmp_path / "effect.sh"
    path.write_text(script)
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps(AWS))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    full = {
        "HOME": str(home),
        "HERCULES_CI_SECRETS_JSON": str(secrets),
        "CI_EVAL_STATE_DIR": str(tmp_path / "state"),
        **env,
    }
    process = subprocess.Popen(
        ["sh", str(path)],
        env=full,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if wait:
        process.wait(timeout=60)
    return process


NIXOPS_SECRETS = ["fixtures/nixops-secrets/ci.nix", "-A", "neat-network", "--env", NIX_PATH]


def test_the_nixops_script_runs_the_phases_in_order(tmp_path: Path) -> None:
    script = script_for(NIXOPS_SECRETS)
    p = run_script(tmp_path, script, {"PATH": standin_path(tmp_path)})
    assert p.returncode == 0, p.stderr.read() if p.stderr else ""
    networks = ["network.nix", "network-aws.nix"]
    first = [
        ("nixops", ["create", *networks]),
        ("nixops", ["set-args"]),
        ("nixops", ["check"]),
        ("nixops", ["--version"]),
        ("nixops", ["deploy", "--confirm", "--allow-reboot", "--allow-recreate"]),
        ("nixops", ["export"]),
        ("nixops", ["check"]),
    ]
    assert calls(tmp_path) == first
    state = tmp_path / "state" / "nixops-foo.json"
    exported = json.loads(state.read_text())
    assert len(exported) == 1
    assert (tmp_path / "state" / "nixops-foo.known_hosts").exists()
    credentials = (tmp_path / "home").glob("**/.aws/credentials")
    assert not list(credentials), "the effect's HOME is its own, not the caller's"
    # The second run imports the state the first wrote back.
    (tmp_path / "log.jsonl").unlink()
    p = run_script(tmp_path, script, {"PATH": standin_path(tmp_path)})
    assert p.returncode == 0
    assert calls(tmp_path)[:2] == [
        ("nixops", ["import", "--include-keys"]),
        ("nixops", ["modify", *networks]),
    ]
    assert (tmp_path / "state" / "nixops-foo.json.previous").read_text() == json.dumps(
        exported, indent=2
    ) + "\n" or json.loads((tmp_path / "state" / "nixops-foo.json.previous").read_text())


def test_a_failing_deploy_still_puts_state(tmp_path: Path) -> None:
    script = script_for(NIXOPS_SECRETS)
    path = standin_path(tmp_path, STANDIN_FAIL="nixops deploy")
    p = run_script(tmp_path, script, {"PATH": path})
    assert p.returncode == 1
    programs = calls(tmp_path)
    assert programs[-1] == ("nixops", ["export"]), "putState runs after the failure"
    assert ("nixops", ["check"]) in programs[:3] and programs.count(("nixops", ["check"])) == 1
    assert json.loads((tmp_path / "state" / "nixops-foo.json").read_text())


def test_an_empty_export_is_not_put(tmp_path: Path) -> None:
    script = script_for(NIXOPS_SECRETS)
    assert run_script(tmp_path, script, {"PATH": standin_path(tmp_path)}).returncode == 0
    before = (tmp_path / "state" / "nixops-foo.json").read_text()
    bin_dir = tmp_path / "empty"
    bin_dir.mkdir()
    (bin_dir / "nixops").write_text(
        '#!/bin/sh\nif [ "$1" = export ]; then exit 0; fi\n'
        f'exec {sys.executable} -S {STANDINS / "nixops"} "$@"\n'
    )
    (bin_dir / "nixops").chmod(0o755)
    p = run_script(tmp_path, script, {"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert p.returncode == 1
    assert p.stderr is not None
    assert "NixOps state export was empty. Upload cancelled." in p.stderr.read()
    assert (tmp_path / "state" / "nixops-foo.json").read_text() == before


def test_an_interrupted_script_still_puts_state(tmp_path: Path) -> None:
    script = script_for(NIXOPS_SECRETS)
    marker = tmp_path / "marker"
    path = standin_path(tmp_path, STANDIN_PAUSE="nixops deploy", STANDIN_PAUSE_MARKER=str(marker))
    p = run_script(tmp_path, script, {"PATH": path}, wait=False)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists()
    os.killpg(p.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole foreground group
    assert p.wait(timeout=30) == 130
    assert calls(tmp_path)[-1] == ("nixops", ["export"])
    assert json.loads((tmp_path / "state" / "nixops-foo.json").read_text())


def test_values_are_quoted(tmp_path: Path) -> None:
    """Every value the script did not write is one word, whatever it holds."""
    nasty = 'it\'s "$HOME" `id` $(echo no) \\ \n; exit 3 #'
    ci = tmp_path / "ci.nix"
    ci.write_text(
        (ROOT / "fixtures" / "cachix-deploy-json-file" / "ci.nix")
        .read_text()
        .split("  inherit (pkgs.effects)")[0]
        + "in {\n  e = pkgs.effects.mkEffect {\n"
        f"    NASTY = {json.dumps(nasty)};\n"
        '    effectScript = \'\'printf "%s|" "$NASTY"; echo "it'
        "'"
        "s $(echo ok)\"'';\n"
        "  };\n}\n"
    )
    status, out, err = run(["run", "--backend", "script", str(ci), "-A", "e"])
    assert status == 0, err
    p = run_script(tmp_path, out, {"PATH": os.environ["PATH"]})
    assert p.returncode == 0, p.stderr.read() if p.stderr else ""
    assert p.stdout is not None and p.stdout.read() == nasty + "|it's ok\n"


NIXOPS2 = ci_nix(
    """\
  net = pkgs.effects.runNixOps2 {
    name = "net";
    src = ./.;
    networkFiles = [ "nixops.nix" ];
    nixops = pkgs.nixops_unstable_minimal;
    forgetState = true;
    prebuild = false;
    extraDeployArgs = [ "--max-concurrent-copy" "2" ];
  };
"""
)


def test_the_local_backend_runs_the_nixops2_sequence(tmp_path: Path) -> None:
    """runNixOps2 (hercules-effects.md §6.2): no state scripts (the storage plugin keeps
    state), priorCheck and effectCheck `nixops check`, deploy with the flags the arguments
    give; the unknown `nixops` package attribute does not stop the run."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "ci.nix").write_text(NIXOPS2)
    (project / "nixops.nix").write_text('{ network.description = "net"; machine = { }; }\n')
    path = standin_path(tmp_path, STANDIN_NIXOPS_VERSION="2")
    (tmp_path / "tmp").mkdir()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "nixeval", "run", "ci.nix", "-A", "net"),
            *("--backend", "local", "--env", NIX_PATH, "--state-dir", str(tmp_path / "state")),
        ],
        cwd=project,
        env={"PATH": path, "HOME": str(tmp_path), "TMPDIR": str(tmp_path / "tmp")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    deploy = ["deploy", "--confirm", "--allow-reboot", "--allow-recreate"]
    assert calls(tmp_path) == [
        ("nixops", ["check"]),
        ("nixops", [*deploy, "--max-concurrent-copy", "2"]),
        ("nixops", ["check"]),
    ]
    logged = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    for call in logged:
        env = call["env"]
        assert env["NIXOPS_DEPLOYMENT"] == "net" and env["NIX_PATH"] == "nixpkgs=/srv/nixpkgs"
        assert env["IN_HERCULES_CI_EFFECT"] == "true" and "nixops" not in env
        assert call["cwd"].endswith("/src"), "nixops runs in the copy of src (its nixops.nix)"
    assert list((tmp_path / "tmp").iterdir()) == [], "the build directory is removed"


def test_a_git_token_cannot_be_had_locally(tmp_path: Path) -> None:
    """Only the Hercules CI backend issues a GitToken: the local backend refuses the run,
    while the plan shows it and the script reads it like any secret."""
    ci = tmp_path / "ci.nix"
    ci.write_text(
        ci_nix(
            '  push = pkgs.effects.mkEffect {\n    secretsMap.git = { type = "GitToken"; };\n'
            "    effectScript = ''readSecretString git .token >/dev/null'';\n  };\n"
        )
    )
    secrets = tmp_path / "secrets.json"
    secrets.write_text("{}")
    local = ["run", str(ci), "-A", "push", "--backend", "local", "--secrets", str(secrets)]
    status, out, err = run([*local, "--state-dir", str(tmp_path / "state")])
    assert status == 1 and out == ""
    assert "error[E305]: secretsMap.git asks for a GitToken" in err
    status, out, _ = run(["run", str(ci), "-A", "push"])
    assert status == 0 and 'git = {"type": "GitToken"}' in out
    status, out, _ = run(["run", str(ci), "-A", "push", "--backend", "script"])
    assert status == 0 and "jq -e --arg name git" in out


def test_the_local_backend_runs_user_texts_with_bash(tmp_path: Path) -> None:
    """Effects' scripts are bash in the sandbox (stdenv's builder): a bash-ism works."""
    ci = tmp_path / "ci.nix"
    ci.write_text(
        ci_nix(
            "  e = pkgs.effects.mkEffect {\n"
            "    effectScript = ''if [[ $HOME == */home ]]; then echo bash-ok; fi'';\n  };\n"
        )
    )
    local = ["run", str(ci), "-A", "e", "--backend", "local"]
    status, out, err = run([*local, "--state-dir", str(tmp_path / "state")])
    assert status == 0, err
    assert out == "bash-ok\n"


def test_sigterm_is_an_interrupt_for_the_local_backend(tmp_path: Path) -> None:
    """A cancelled CI job (SIGTERM) stops the effect as Ctrl-C does: putState still runs,
    the state is written back, nothing is left running or lying about, exit 130."""
    marker = tmp_path / "marker"
    path = standin_path(tmp_path, STANDIN_PAUSE="nixops deploy", STANDIN_PAUSE_MARKER=str(marker))
    (tmp_path / "tmp").mkdir()
    command = [sys.executable, "-m", "nixeval", "run", "fixtures/nixops-plain/ci.nix"]
    command += ["-A", "neat-network", "--backend", "local", "--env", NIX_PATH]
    process = subprocess.Popen(
        [*command, "--state-dir", str(tmp_path / "state")],
        cwd=ROOT,
        env={"PATH": path, "HOME": str(tmp_path), "TMPDIR": str(tmp_path / "tmp")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert marker.exists(), process.communicate()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert calls(tmp_path)[-1] == ("nixops", ["export"]), "putState ran"
    assert json.loads((tmp_path / "state" / "nixops-foo.json").read_text())
    assert list((tmp_path / "tmp").iterdir()) == [], "the build directory is removed"


def test_build_directories_of_killed_runs_are_removed(tmp_path: Path) -> None:
    """A run killed with SIGKILL cannot remove its build directory (and the private
    secrets.json in it): the next local run does, once that run and its effect are gone."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not _exists(pid))
    stale = tmp / f"ci-eval-run-{dead}-abc"
    stale.mkdir()
    (stale / "secrets.json").write_text('{"x": {"kind": "Secret", "data": {}}}')
    running = tmp / f"ci-eval-run-{os.getpid()}-def"  # this process: alive
    running.mkdir()
    effect_alive = tmp / f"ci-eval-run-{dead}-ghi"  # its ci-eval died, its effect runs on
    effect_alive.mkdir()
    (effect_alive / "group").write_text(str(os.getpgid(0)))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nixeval",
            "run",
            "fixtures/nixops-plain/ci.nix",
            "-A",
            "neat-network",
            "--backend",
            "local",
            "--env",
            NIX_PATH,
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=ROOT,
        env={"PATH": standin_path(tmp_path), "HOME": str(tmp_path), "TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"ci-eval run: removed {stale}, left by a run that was killed" in result.stderr
    assert sorted(p.name for p in tmp.iterdir()) == sorted([running.name, effect_alive.name])


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
