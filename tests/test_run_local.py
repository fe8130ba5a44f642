"""``ci-eval run --backend local``: real runs of ``python -m nixeval run …`` against the
stand-in ``nixops`` and ``cachix`` (tests/standins), checking what the effects ran, with
which environment and secrets, what became of the state, and that no secret is shown.

The local backend passes only PATH, LANG, … from the caller to the effect, so the
``STANDIN_*`` switches cannot be set in ci-eval's environment: each test has a ``bin``
directory on PATH whose ``nixops``/``cachix`` run `SNAP` (written next to them), which
records what only the running command can see (its private secrets.json and its mode, the
files of its working directory, the deploy.json it was given), applies the switches of
the test's ``switches.json`` and then runs the real stand-in.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.effect_files import ci_nix

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
STANDINS = ROOT / "tests" / "standins"

_MISSING = [tool for tool in ("jq", "sh") if shutil.which(tool) is None]
if _MISSING:  # not a skip: CI installs jq, and without it these tests would prove nothing
    raise RuntimeError(f"tests/test_run_local.py needs {' and '.join(_MISSING)} on PATH")

NIX_PATH = "nixpkgs=/nix/var/nix/profiles/per-user/root/channels/nixpkgs"
DEPLOY = ["deploy", "--confirm", "--allow-reboot", "--allow-recreate"]
TOKEN = "cachix-activate-7f3c9a1e5b2d4c6e"
DENIED = (
    "Secret {name} does not exist or access was denied, so we can't get a secret for {local}. "
    "Please make sure that the secret name matches a secret on your agents and make sure that "
    "its condition applies."
)
SSH_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBqZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleWZha2UAAAAJ\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
#: What the effect gets besides its own variables: from the caller (PATH, LANG), from
#: mkEffect's init (HOME, IN_HERCULES_CI_EFFECT) and from the backend.
BASE_ENV = {
    "PATH",
    "LANG",
    "HOME",
    "IN_HERCULES_CI_EFFECT",
    "HERCULES_CI_SECRETS_JSON",
    "CI_EVAL_STATE_DIR",
    "CI_EVAL_BUILD_DIR",
    "TMPDIR",
}
#: What sh itself adds, and what the wrappers add for the stand-ins.
SHELL_ENV = {"PWD", "OLDPWD", "SHLVL", "_"}

# The wrapper: `python3 -S SNAP PROGRAM ARGS…` (standard library only).
SNAP = r"""
import json, os, stat, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))
config = json.load(open(os.path.join(here, "switches.json")))
program, args = sys.argv[1], sys.argv[2:]
standin = os.path.join(config["standins"], program)
seen = {"program": program, "argv": args}
secrets = os.environ.get("HERCULES_CI_SECRETS_JSON")
if secrets and os.path.isfile(secrets):
    seen["secrets_mode"] = stat.S_IMODE(os.stat(secrets).st_mode)
    with open(secrets) as f:
        seen["secrets"] = json.load(f)
try:
    seen["cwd_files"] = sorted(os.listdir("."))
    if os.path.isfile("network.nix"):
        with open("network.nix") as f:
            seen["network.nix"] = f.read()
except OSError:
    seen["cwd_files"] = None
if program == "cachix" and len(args) > 2 and os.path.isfile(args[2]):
    with open(args[2]) as f:
        seen["deploy.json"] = f.read()
credentials = os.path.join(os.environ.get("HOME", "/nonexistent"), ".aws", "credentials")
if os.path.isfile(credentials):
    with open(credentials) as f:
        seen["aws_credentials"] = f.read()
with open(os.path.join(here, "seen.jsonl"), "a") as f:
    f.write(json.dumps(seen) + "\n")

words = args[:1]
gate = config.get("gate")
if gate and program == "nixops" and words == [gate]:
    partial = config["marker"] + ".tmp"
    with open(partial, "w") as f:
        f.write(str(os.getpid()))
    os.replace(partial, config["marker"])
    deadline = time.monotonic() + 60
    while not os.path.exists(config["release"]) and time.monotonic() < deadline:
        time.sleep(0.02)
if program == "nixops" and words == ["export"] and config.get("empty_export"):
    sys.exit(0)
env = dict(os.environ, STANDIN_LOG=os.path.join(here, "log.jsonl"), **config["env"])
argv = [sys.executable, "-S", standin, *args]
if program == "nixops" and words == ["export"] and config.get("tee_export"):
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE)
    with open(os.path.join(here, "export.json"), "wb") as f:
        f.write(done.stdout)
    sys.stdout.buffer.write(done.stdout)
    sys.exit(done.returncode)
if program == "nixops" and words and words[0] in config.get("record_exit", []):
    status = subprocess.run(argv, env=env).returncode
    with open(os.path.join(here, "exits.jsonl"), "a") as f:
        f.write(json.dumps({"argv": args, "status": status}) + "\n")
    sys.exit(status)
os.execve(sys.executable, argv, env)
"""


class Rig:
    """One test's directories, wrappers and runs of ci-eval.

    ``rec``: what the stand-ins and wrappers recorded (outside every directory that is
    checked for secrets: the stand-in log holds each command's whole environment);
    ``tmp``: ci-eval's TMPDIR; ``work``: its working directory; ``state``: --state-dir;
    ``conf``: secrets files; ``home``: the caller's HOME (which the effect must not get).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ("bin", "rec", "tmp", "work", "state", "conf", "home"):
            path = root / name
            path.mkdir()
            setattr(self, name, path)
        self.bin: Path
        self.rec: Path
        self.tmp: Path
        self.work: Path
        self.state: Path
        self.conf: Path
        self.home: Path
        self.marker = self.rec / "marker"
        self.release = self.rec / "release"
        (self.rec / "snap.py").write_text(SNAP)
        for program in ("nixops", "cachix"):
            wrapper = self.bin / program
            wrapper.write_text(
                f'#!/bin/sh\nexec "{sys.executable}" -S "{self.rec / "snap.py"}" {program} "$@"\n'
            )
            wrapper.chmod(0o755)
        self.switches: dict[str, Any] = {}
        self.configure()

    def configure(self, *, env: dict[str, str] | None = None, **options: Any) -> None:
        """The stand-ins' STANDIN_* switches (`env`) and the wrappers' own options
        (``gate``: pause ``nixops GATE`` until `release` exists; ``empty_export``;
        ``tee_export``: keep a copy of what ``nixops export`` printed; ``record_exit``: the
        nixops commands whose exit status is appended to ``exits.jsonl``, `Rig.exits`)."""
        config = {
            "standins": str(STANDINS),
            "marker": str(self.marker),
            "release": str(self.release),
            "env": env or {},
            **options,
        }
        (self.rec / "switches.json").write_text(json.dumps(config))

    # --- projects and inputs ---

    def project(self, fixture: str, *, name: str | None = None, remote: str | None = None) -> Path:
        """A copy of ``fixtures/FIXTURE`` (a git repository with one commit, and a GitHub
        ``origin`` when `remote` is OWNER/REPO)."""
        target = self.root / (name or f"proj-{fixture}")
        shutil.copytree(FIXTURES / fixture, target)
        git_init(target, remote)
        return target

    def secrets(self, data: dict[str, Any], name: str = "secrets.json") -> Path:
        path = self.conf / name
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    def seed_state(self, name: str, content: str) -> bytes:
        path = self.state / name
        path.write_text(content)
        return path.read_bytes()

    # --- running ci-eval ---

    def environment(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "TMPDIR": str(self.tmp),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "LEAK_ME": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(ROOT),
        }

    def argv(self, *args: str | Path) -> list[str]:
        return [sys.executable, "-m", "nixeval", "run", *map(str, args)]

    def local_args(self, ci_nix: Path, attr: str, *extra: str | Path) -> list[str | Path]:
        return [ci_nix, "-A", attr, "--backend", "local", "--state-dir", self.state, *extra]

    def run(self, *args: str | Path, clean: bool = True) -> subprocess.CompletedProcess[str]:
        """``ci-eval run ARGS``; with `clean`, also checks that it left nothing in TMPDIR."""
        done = subprocess.run(
            self.argv(*args),
            cwd=self.work,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if clean:
            left = sorted(os.listdir(self.tmp))
            assert left == [], f"ci-eval left {left} in its TMPDIR\n{show(done)}"
        return done

    def local(
        self, ci_nix: Path, attr: str, *extra: str | Path, clean: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run(*self.local_args(ci_nix, attr, *extra), clean=clean)

    def start(self, *args: str | Path, **popen: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.work,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=(self.rec / "ci-eval.out").open("w"),
            stderr=(self.rec / "ci-eval.err").open("w"),
            text=True,
            **popen,
        )

    def output(self) -> str:
        return (self.rec / "ci-eval.out").read_text() + (self.rec / "ci-eval.err").read_text()

    def wait_for_marker(self, proc: subprocess.Popen[str], timeout: float = 30) -> int:
        """The pid in the marker, once it appears (the stand-in or wrapper is paused)."""
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"ci-eval ended ({proc.returncode}) before the pause:\n{self.output()}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"no pause marker after {timeout} s:\n{self.output()}")
            time.sleep(0.02)
        return int(self.marker.read_text().split()[0])

    # --- what happened ---

    def calls(self) -> list[dict[str, Any]]:
        """The stand-ins' records, in order."""
        return read_lines(self.rec / "log.jsonl")

    def seen(self) -> list[dict[str, Any]]:
        """The wrappers' records, in the same order."""
        return read_lines(self.rec / "seen.jsonl")

    def exits(self) -> list[dict[str, Any]]:
        """How the commands named in ``record_exit`` ended: ``{"argv": …, "status": …}``."""
        return read_lines(self.rec / "exits.jsonl")

    def commands(self) -> list[tuple[str, list[str]]]:
        return [(c["program"], c["argv"]) for c in self.calls()]

    def forget(self) -> None:
        for name in ("log.jsonl", "seen.jsonl", "export.json"):
            (self.rec / name).unlink(missing_ok=True)


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def git_init(directory: Path, remote: str | None = None) -> str:
    """Make `directory` a git repository on ``main`` with one commit; its full hash."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=directory,
            env={"PATH": os.environ["PATH"], "HOME": str(directory), "GIT_CONFIG_NOSYSTEM": "1"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    if remote is not None:
        git("remote", "add", "origin", f"https://github.com/{remote}")
    git("add", "-A")
    git("commit", "-q", "-m", "fixture")
    return git("rev-parse", "HEAD")


def show(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def files_under(*directories: Path) -> Iterator[Path]:
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_file():
                yield path


def secret(data: dict[str, Any], condition: Any = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": "Secret", "data": data}
    if condition is not None:
        entry["condition"] = condition
    return entry


def nixops_commands(
    files: list[str], set_args: list[str], *, again: bool
) -> list[tuple[str, list[str]]]:
    """What runNixOps runs (spec §5.3): the first time (no state) or again (state)."""
    if again:
        start = [("nixops", ["import", "--include-keys"]), ("nixops", ["modify", *files])]
    else:
        start = [("nixops", ["create", *files])]
    return [
        *start,
        ("nixops", ["set-args", *set_args]),
        ("nixops", ["check"]),  # priorCheck
        ("nixops", ["--version"]),
        ("nixops", DEPLOY),
        ("nixops", ["export"]),  # putState
        ("nixops", ["check"]),  # effectCheck
    ]


def export_of(uuid: str, name: str, deploy_count: int) -> str:
    """A NixOps 1.x export as the stand-in writes it (spec §5.3)."""
    deployment = {
        "args": {},
        "deployCount": deploy_count,
        "name": name,
        "nixExprs": ["/previous/build/network.nix"],
        "resources": {"machine": {"targetHost": "machine", "type": "none"}},
    }
    return json.dumps({uuid: deployment}, indent=2, sort_keys=True) + "\n"


UUID = "0b5c1f0e-8d1c-4c2a-9d6e-6a2f1d3b7c11"
KNOWN_HOSTS = "machine ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPreviousRunHostKey\n"


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def seeded_nixops(rig: Rig, name: str = "foo") -> bytes:
    """A previous run's state: the NixOps export and a known_hosts with a host key."""
    rig.seed_state(f"nixops-{name}.known_hosts", KNOWN_HOSTS)
    return rig.seed_state(f"nixops-{name}.json", export_of(UUID, name, 5))


# --- 1. commands and environment per fixture ------------------------------------------------

NIXOPS_FILES = ["network.nix", "network-aws.nix"]
CASES: dict[str, dict[str, Any]] = {
    "nixops-secrets": {
        "attr": "neat-network",
        "flags": [],
        "network": "nixops",
        "files": NIXOPS_FILES,
        "env": {"NIXOPS_DEPLOYMENT": "foo", "deployOnlyNetworkFiles": ""},
        "secrets": {"aws": "neat-aws"},
    },
    "nixops-plain": {
        "attr": "neat-network",
        "flags": [],
        "network": "nixops",
        "files": NIXOPS_FILES,
        "env": {"NIXOPS_DEPLOYMENT": "foo", "deployOnlyNetworkFiles": ""},
        "secrets": {},
    },
    "nixops-production": {
        "attr": "neat-network",
        "flags": ["--as-branch", "production"],
        "network": "nixops",
        "files": [*NIXOPS_FILES, "network-deploy.nix"],
        "env": {"NIXOPS_DEPLOYMENT": "foo", "deployOnlyNetworkFiles": "network-deploy.nix"},
        "secrets": {"aws": "neat-aws"},
    },
    "typical-production": {
        "fixture": "typical",
        "attr": "production",
        "flags": ["--as-branch", "production"],
        "network": "nixops",
        "src": "nixops",
        "name": "production",
        "files": NIXOPS_FILES,
        "env": {"NIXOPS_DEPLOYMENT": "production", "deployOnlyNetworkFiles": ""},
        "secrets": {"aws": "neat-aws", "ssh": "neat-deploy-ssh"},
    },
    "typical-staging": {
        "fixture": "typical",
        "attr": "staging",
        "flags": ["--as-branch", "main"],
        "supplied_deploy_json": True,
        "argv_tail": [],
        "env": {"async": ""},
        "secret": "staging-cachix-activate",
    },
    "cachix-deploy-json-file": {
        "attr": "deploy",
        "flags": ["--as-branch", "main"],
        "argv_tail": ["--async"],
        "env": {"async": "1"},
        "deployJsonFile": True,
        "secret": "default-cachix-activate",
    },
    "cachix-deploy": {
        "attr": "deploy",
        "flags": ["--as-branch", "main"],
        "supplied_deploy_json": True,
        "argv_tail": ["--async"],
        "env": {"async": "1"},
        "secret": "default-cachix-activate",
    },
    "cachix-custom-secret": {
        "attr": "deploy",
        "flags": ["--as-branch", "main"],
        "supplied_deploy_json": True,
        "argv_tail": [],
        "env": {},
        "secret": "my-cachix-token",
    },
}
SUPPLIED_DEPLOY = {
    "agents": {
        "machine1": "/nix/store/0c6h3cm1xw0xq8jx0s5k2y4x7lr8c9i1-nixos-system-machine1",
        "staging-1": "/nix/store/1l6vk4w8kcdm5pxm7hhn5k3yqy2f1d6z-nixos-system-staging-1",
    },
    "rollbackScript": {"x86_64-linux": "/nix/store/7d1wq6m2jv9qf3n2q0w8y5z4x3c2b1a0-check-app"},
}


def check_environment(
    rig: Rig, call: dict[str, Any], own: dict[str, str], what: str
) -> tuple[Path, Path]:
    """The environment of one recorded command: exactly the base variables and the
    effect's own (`own`, all with these values), nothing of the caller's; returns its
    HOME and secrets file."""
    env = call["env"]
    names = {n for n in env if not n.startswith("STANDIN_")} - SHELL_ENV
    assert names == BASE_ENV | set(own), (
        f"{what}: unexpected environment variables {sorted(names - BASE_ENV - set(own))}, "
        f"missing {sorted((BASE_ENV | set(own)) - names)}"
    )
    assert "LEAK_ME" not in env, f"{what}: the caller's LEAK_ME reached the effect"
    for name, value in own.items():
        assert env[name] == value, f"{what}: {name}={env[name]!r}, expected {value!r}"
    assert env["IN_HERCULES_CI_EFFECT"] == "true", what
    assert env["LANG"] == "C.UTF-8", f"{what}: LANG is passed from the caller"
    home, secrets = Path(env["HOME"]), Path(env["HERCULES_CI_SECRETS_JSON"])
    for label, path in (("HOME", home), ("HERCULES_CI_SECRETS_JSON", secrets)):
        assert path.is_relative_to(rig.tmp), f"{what}: {label}={path} is not in TMPDIR {rig.tmp}"
    assert home != rig.home, f"{what}: the effect got the caller's HOME"
    return home, secrets


@pytest.mark.parametrize("case", CASES)
def test_commands_and_environment(rig: Rig, case: str) -> None:
    spec = CASES[case]
    fixture = spec.get("fixture", case)
    project = rig.project(fixture, remote="neat-org/neat-repo")
    # The fixture's own secrets.json, whose conditions hold for neat-org/neat-repo.
    secrets_file = rig.conf / "secrets.json"
    shutil.copyfile(project / "secrets.json", secrets_file)
    fixture_secrets = json.loads(secrets_file.read_text())
    flags = [*spec["flags"], "--secrets", secrets_file]
    runs = 1
    if spec.get("network") == "nixops":
        flags += ["--env", f"NIX_PATH={NIX_PATH}"]
        runs = 2  # the second run starts from the first one's state
    supplied = rig.conf / "deploy.json"
    if spec.get("supplied_deploy_json"):
        supplied.write_text(json.dumps(SUPPLIED_DEPLOY))
        flags += ["--file", f"deploy.json={supplied}"]

    homes: list[Path] = []
    for run in range(runs):
        rig.forget()
        previous = None
        if run:
            previous = (rig.state / f"nixops-{spec.get('name', 'foo')}.json").read_text()
        done = rig.local(project / "ci.nix", spec["attr"], *flags)
        assert done.returncode == 0, show(done)
        calls, seen = rig.calls(), rig.seen()
        assert len(calls) == len(seen), "every command went through the wrapper"

        if spec.get("network") == "nixops":
            name = spec.get("name", "foo")
            rev = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True
            ).stdout[:8]
            set_args = []
            if fixture == "typical":
                set_args = [
                    "--arg", "domain", 'builtins.fromJSON "\\"neat.example.org\\""',
                    "--arg", "revision", f'builtins.fromJSON "\\"{rev}\\""',
                ]  # fmt: skip
            expected = nixops_commands(spec["files"], set_args, again=bool(run))
            assert rig.commands() == expected, f"run {run + 1} ran:\n{rig.commands()}"
            if run:
                assert calls[0]["stdin"] == previous, "nixops import got the previous state"
            else:
                assert all(c["stdin"] is None for c in calls), "no stdin but for import"
            own = {
                "NIX_PATH": NIX_PATH,
                "networkFiles": " ".join(NIXOPS_FILES),
                "stateName": f"nixops-{name}.json",
                "knownHostsName": f"nixops-{name}.known_hosts",
                **spec["env"],
            }
            src = project / spec.get("src", ".")
            cleaned = sorted(
                p.name
                for p in src.iterdir()
                if p.name not in (".git",) and not p.name.endswith("~")
            )
            for call, view in zip(calls, seen, strict=True):
                what = f"run {run + 1}: nixops {' '.join(call['argv'])}"
                home, _ = check_environment(rig, call, own, what)
                homes.append(home)
                assert Path(call["cwd"]).name == "src" and Path(call["cwd"]).is_relative_to(
                    rig.tmp
                ), f"{what}: cwd {call['cwd']} is not a copy of src in the build directory"
                files = [f for f in view["cwd_files"] if f != "nixops-state.json"]
                assert files == cleaned, f"{what}: the working directory holds {files}"
                assert view["network.nix"] == (src / "network.nix").read_text(), what
        else:
            secret_name = spec["secret"]
            token = fixture_secrets[secret_name]["data"]["cachixActivateToken"]
            deploy_json = supplied if spec.get("supplied_deploy_json") else project / "deploy.json"
            expected = [("cachix", ["deploy", "activate", str(deploy_json), *spec["argv_tail"]])]
            assert rig.commands() == expected, f"ran:\n{rig.commands()}"
            own = {"CACHIX_ACTIVATE_TOKEN": token, **spec["env"]}
            if spec.get("deployJsonFile"):
                own["deployJsonFile"] = str(project / "deploy.json")
            home, _ = check_environment(rig, calls[0], own, "cachix")
            homes.append(home)
            assert seen[0]["deploy.json"] == deploy_json.read_text(), "the deploy.json given"
            assert Path(calls[0]["cwd"]).is_relative_to(rig.tmp), calls[0]["cwd"]

        # The private secrets.json: the secretsMap's secrets by local name, 0600.
        wanted = spec.get("secrets", {"activate": spec.get("secret")})
        private = {
            local: {"kind": "Secret", "data": fixture_secrets[name]["data"]}
            for local, name in wanted.items()
        }
        for view in seen:
            assert view["secrets"] == private, f"{view['argv']}: secrets {list(view['secrets'])}"
            assert view["secrets_mode"] == 0o600, oct(view["secrets_mode"])
        for call in calls:
            for variable in ("HOME", "HERCULES_CI_SECRETS_JSON", "TMPDIR"):
                path = Path(call["env"][variable])
                assert not path.exists(), f"{variable} {path} still exists after the run"
    assert len(set(homes)) == runs, "each run has a HOME of its own"


def test_first_deploy_without_state_and_host_keys_writes_back(rig: Rig) -> None:
    """Spec §5.3: putState exports, then ``putStateFile`` both state files; an empty
    ~/.ssh/known_hosts (machines without host keys, as the stand-in's) is uploaded as is."""
    project = rig.project("nixops-plain")
    done = rig.local(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    assert rig.commands() == nixops_commands(NIXOPS_FILES, [], again=False)
    assert done.returncode == 0, f"a successful first deploy fails:\n{show(done)}"
    assert "E303" not in done.stderr, show(done)
    assert (rig.state / "nixops-foo.json").stat().st_size > 0, "the export is written back"
    known_hosts = rig.state / "nixops-foo.known_hosts"
    assert known_hosts.is_file() and known_hosts.read_bytes() == b"", "known_hosts, empty"


# --- 2. secrets -----------------------------------------------------------------------------


def test_private_secrets_file_has_only_the_mapped_secrets(rig: Rig) -> None:
    project = rig.project("typical", remote="neat-org/neat-repo")
    aws = {
        "aws_access_key_id": "AKIAEXAMPLEKEYID01",
        "aws_secret_access_key": "wJalr/K7MDENG+bPxRfi",
    }
    ssh = {"privateKey": SSH_KEY, "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake t@e"}
    secrets_file = rig.secrets(
        {
            "neat-aws": secret(aws),
            "neat-deploy-ssh": secret(ssh),
            "staging-cachix-activate": secret({"cachixActivateToken": TOKEN}),
            "unrelated": secret({"password": "hunter2-unrelated"}),
        }
    )
    rig.seed_state("nixops-production.known_hosts", KNOWN_HOSTS)
    done = rig.local(
        project / "ci.nix", "production", "--as-branch", "production",
        "--secrets", secrets_file, "--env", f"NIX_PATH={NIX_PATH}",
    )  # fmt: skip
    assert done.returncode == 0, show(done)
    seen = rig.seen()
    assert seen, "nothing ran"
    expected = {
        "aws": {"kind": "Secret", "data": aws},
        "ssh": {"kind": "Secret", "data": ssh},
    }
    for view in seen:
        assert view["secrets"] == expected, (
            f"nixops {' '.join(view['argv'])} saw secrets {sorted(view['secrets'])}, "
            "expected exactly aws and ssh (local names), without the conditions"
        )
        assert view["secrets_mode"] == 0o600, oct(view["secrets_mode"])
    # userSetup ran before the effect: writeAWSSecret wrote ~/.aws/credentials.
    deploy = next(v for v in seen if v["argv"][:1] == ["deploy"])
    assert deploy["aws_credentials"] == (
        "[default]\naws_access_key_id = AKIAEXAMPLEKEYID01\n"
        "aws_secret_access_key = wJalr/K7MDENG+bPxRfi\n"
    )
    secrets_path = Path(rig.calls()[0]["env"]["HERCULES_CI_SECRETS_JSON"])
    assert not secrets_path.exists(), "the private secrets.json is removed"


# --- 3. the token never appears -------------------------------------------------------------


def assert_nowhere(rig: Rig, outputs: list[str], secret_texts: list[str], where: str) -> None:
    for text in secret_texts:
        for i, output in enumerate(outputs):
            assert text not in output, f"{where}: {text!r} shown in output {i}:\n{output}"
        for path in files_under(rig.state, rig.tmp, rig.work):
            assert text.encode() not in path.read_bytes(), f"{where}: {text!r} in {path}"


def test_token_never_shown(rig: Rig) -> None:
    project = rig.project("cachix-deploy-json-file")
    secrets_file = rig.secrets(
        {
            "default-cachix-activate": secret({"cachixActivateToken": TOKEN}),
            "unused": secret({"x": "unused-secret-value"}),
        }
    )
    args = rig.local_args(
        project / "ci.nix", "deploy", "--as-branch", "main", "--secrets", secrets_file
    )
    label = "<secret default-cachix-activate.cachixActivateToken>"
    for fail in (None, "cachix"):
        env = {"STANDIN_ECHO": "CACHIX_ACTIVATE_TOKEN"}
        if fail:
            env["STANDIN_FAIL"] = fail
        rig.configure(env=env)
        rig.forget()
        done = rig.run(*args)
        assert done.returncode == (1 if fail else 0), show(done)
        assert rig.calls()[0]["env"]["CACHIX_ACTIVATE_TOKEN"] == TOKEN, "the stand-in got it"
        for stream in (done.stdout, done.stderr):
            assert f"CACHIX_ACTIVATE_TOKEN={label}" in stream, (
                f"redacted echo missing:\n{show(done)}"
            )
        if fail:
            assert "stand-in failure of ‘cachix deploy activate’" in done.stderr, show(done)
        assert_nowhere(rig, [done.stdout, done.stderr], [TOKEN], f"local run (fail={fail})")
    plan_args = [
        project / "ci.nix",
        "-A",
        "deploy",
        "--as-branch",
        "main",
        "--secrets",
        secrets_file,
    ]
    for fmt in ("text", "json"):
        done = rig.run(*plan_args, "--backend", "plan", "--format", fmt)
        assert done.returncode == 0, show(done)
        assert "cachixActivateToken" in done.stdout, "the plan names the secret"
        assert_nowhere(rig, [done.stdout, done.stderr], [TOKEN], f"plan {fmt}")


MK_EFFECT_NIX = ci_nix(
    """\
  show-key = effects.mkEffect {
    secretsMap.ssh = "my-ssh";
    userSetupScript = "writeSSHKey ssh";
    effectScript = "cat ~/.ssh/id_rsa; cat ~/.ssh/id_rsa >&2";
  };
"""
)


def test_ssh_key_lines_never_shown(rig: Rig) -> None:
    project = rig.root / "mk"
    project.mkdir()
    (project / "ci.nix").write_text(MK_EFFECT_NIX)
    public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests t@e"
    secrets_file = rig.secrets({"my-ssh": secret({"privateKey": SSH_KEY, "publicKey": public})})
    done = rig.local(project / "ci.nix", "show-key", "--secrets", secrets_file)
    assert done.returncode == 0, show(done)
    assert "<secret my-ssh.privateKey>" in done.stdout, show(done)
    assert "<secret my-ssh.privateKey>" in done.stderr, show(done)
    lines = [line for line in SSH_KEY.splitlines() if line.strip()]
    assert_nowhere(rig, [done.stdout, done.stderr], lines, "writeSSHKey")


# --- 4. state -------------------------------------------------------------------------------


def test_failed_deploy_still_writes_state_back(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    seeded = seeded_nixops(rig)
    rig.configure(env={"STANDIN_FAIL": "nixops deploy"}, tee_export=True)
    done = rig.local(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    assert done.returncode == 1, f"the effect's status\n{show(done)}"
    assert rig.commands() == nixops_commands(NIXOPS_FILES, [], again=True)[:-1], (
        f"putState runs after the failed deploy, the effectCheck does not:\n{rig.commands()}"
    )
    exported = (rig.rec / "export.json").read_bytes()
    state = (rig.state / "nixops-foo.json").read_bytes()
    assert state == exported, "the state file is what nixops export printed"
    assert json.loads(state)[UUID]["deployCount"] == 5, "the failed deploy changed nothing"
    assert (rig.state / "nixops-foo.json.previous").read_bytes() == seeded, "previous kept"
    assert "written back" in done.stderr, show(done)


def test_empty_export_is_refused(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    seeded = seeded_nixops(rig)
    rig.configure(empty_export=True)
    done = rig.local(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    assert done.returncode != 0, show(done)
    assert "NixOps state export was empty. Upload cancelled." in done.stderr, show(done)
    assert (rig.state / "nixops-foo.json").read_bytes() == seeded, "previous state intact"
    assert not (rig.state / "nixops-foo.json.previous").exists()
    # The wrapper answers `nixops export` itself: the stand-in logs all but that one.
    assert [v["argv"] for v in rig.seen()][-2:] == [DEPLOY, ["export"]], "no effectCheck after"


# --- 5. SIGINT ------------------------------------------------------------------------------


def effect_group(rig: Rig, proc: subprocess.Popen[str]) -> int:
    """Once the stand-in is paused: the process group of the effect's script (ci-eval
    starts it in a session of its own), to end what ci-eval may leave running."""
    return os.getpgid(rig.wait_for_marker(proc))


def interrupt(rig: Rig, proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)  # to ci-eval only: it must pass it on
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"ci-eval did not end after SIGINT:\n{rig.output()}")


def group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def kill_leftovers(group: int) -> None:
    """End the effect's processes (our grandchildren) if ci-eval left them running."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def test_sigint_during_deploy_writes_state_back(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    seeded = seeded_nixops(rig)
    rig.configure(
        env={"STANDIN_PAUSE": "nixops deploy", "STANDIN_PAUSE_MARKER": str(rig.marker)},
        tee_export=True,
    )
    proc = rig.start(
        *rig.local_args(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    )
    group = effect_group(rig, proc)
    try:
        interrupt(rig, proc)
        assert proc.returncode == 130, f"exit {proc.returncode}\n{rig.output()}"
        assert rig.commands() == nixops_commands(NIXOPS_FILES, [], again=True)[:-1], (
            f"putState runs after the interrupted deploy:\n{rig.commands()}"
        )
        state = (rig.state / "nixops-foo.json").read_bytes()
        assert state == (rig.rec / "export.json").read_bytes(), "the export is written back"
        assert (rig.state / "nixops-foo.json.previous").read_bytes() == seeded
        assert os.listdir(rig.tmp) == [], "the build directory (and its secrets) is removed"
    finally:
        kill_leftovers(group)


def test_sigint_during_export_keeps_previous_state(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    seeded = seeded_nixops(rig)
    rig.configure(env={"STANDIN_PAUSE": "nixops export", "STANDIN_PAUSE_MARKER": str(rig.marker)})
    proc = rig.start(
        *rig.local_args(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    )
    group = effect_group(rig, proc)
    try:
        interrupt(rig, proc)
        state = (rig.state / "nixops-foo.json").read_bytes()
        assert state == seeded, "the half-written export is not written back"
        json.loads(state)
        assert proc.returncode == 130, f"exit {proc.returncode}\n{rig.output()}"
        assert os.listdir(rig.tmp) == [], "the build directory (and its secrets) is removed"
    finally:
        kill_leftovers(group)


# --- 6. SIGKILL -----------------------------------------------------------------------------


def test_sigkill_during_export_keeps_state_and_no_stale_lock(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    seeded = seeded_nixops(rig)
    rig.configure(
        env={
            "STANDIN_PAUSE": "nixops export",
            "STANDIN_PAUSE_MARKER": str(rig.marker),
            "STANDIN_EXPORT_BYTES": str(8 << 20),
        }
    )
    args = rig.local_args(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    proc = rig.start(*args, start_new_session=True)
    group = effect_group(rig, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    kill_leftovers(group)  # the effect runs in a session of its own: end it too
    assert proc.returncode == -signal.SIGKILL
    state = (rig.state / "nixops-foo.json").read_bytes()
    assert state == seeded, "the stored state is the previous one, whole"
    json.loads(state)
    assert not list(rig.state.glob(".*.tmp-*")), "no temporary file left"

    rig.configure()
    rig.forget()
    left = os.listdir(rig.tmp)
    assert len(left) == 1, "the killed run could not remove its build directory"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and group_exists(group):
        time.sleep(0.05)
    done = rig.local(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    assert f"removed {rig.tmp / left[0]}, left by a run that was killed" in done.stderr
    assert done.returncode == 0, f"the second run is blocked:\n{show(done)}"
    assert "E303" not in done.stderr, show(done)
    assert rig.calls()[0]["stdin"] == seeded.decode(), "it starts from the previous state"
    assert json.loads((rig.state / "nixops-foo.json").read_text())[UUID]["deployCount"] == 6


# --- 7. the lock ----------------------------------------------------------------------------


def test_second_run_on_the_same_state_dir_is_refused(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    seeded_nixops(rig)
    rig.configure(gate="deploy")
    args = rig.local_args(project / "ci.nix", "neat-network", "--env", f"NIX_PATH={NIX_PATH}")
    first = rig.start(*args)
    try:
        rig.wait_for_marker(first)
        before = len(rig.calls())
        second = rig.run(*args, clean=False)
        assert second.returncode == 1, show(second)
        assert "error[E303]" in second.stderr, show(second)
        assert str(rig.state / ".lock") in second.stderr, f"the lock is named\n{show(second)}"
        assert len(rig.calls()) == before, "the second run ran nothing"
    finally:
        rig.release.touch()
    assert first.wait(timeout=30) == 0, rig.output()
    assert os.listdir(rig.tmp) == [], "the first run cleans up"
    assert rig.commands() == nixops_commands(NIXOPS_FILES, [], again=True)
    assert json.loads((rig.state / "nixops-foo.json").read_text())[UUID]["deployCount"] == 6


# --- 8. conditions --------------------------------------------------------------------------

CONDITION_NIX = ci_nix(
    """\
  # No runIf: it runs on every ref, so only the secret's condition decides.
  deploy = pkgs.effects.runCachixDeploy {
    deployJsonFile = ./deploy.json;
    secretsMap.activate = "cond-secret";
  };
"""
)


@pytest.fixture(scope="module")
def condition_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """github.com/neat-org/neat-repo, default branch main (refs/remotes/origin/HEAD)."""
    project = tmp_path_factory.mktemp("cond") / "neat-repo"
    project.mkdir()
    (project / "ci.nix").write_text(CONDITION_NIX)
    shutil.copyfile(FIXTURES / "cachix-deploy-json-file" / "deploy.json", project / "deploy.json")
    git_init(project, "neat-org/neat-repo")
    head = project / ".git" / "refs" / "remotes" / "origin"
    head.mkdir(parents=True)
    (head / "HEAD").write_text("ref: refs/remotes/origin/main\n")
    return project


# form → cases (condition, ref flags, granted?): each form both grants and denies.
AND = {"and": [{"isBranch": "main"}, {"isOwner": "neat-org"}]}
OR = {"or": [{"isBranch": "main"}, "isTag"]}
CONDITIONS: dict[str, list[tuple[Any, list[str], bool]]] = {
    "and": [(AND, ["--as-branch", "main"], True), (AND, ["--as-branch", "dev"], False)],
    "or": [(OR, ["--as-tag", "v1.0"], True), (OR, ["--as-branch", "dev"], False)],
    "isDefaultBranch": [
        ("isDefaultBranch", ["--as-branch", "main"], True),
        ("isDefaultBranch", ["--as-branch", "dev"], False),
    ],
    "isTag": [("isTag", ["--as-tag", "v1.0"], True), ("isTag", ["--as-branch", "main"], False)],
    "isBranch": [
        ({"isBranch": "release"}, ["--as-branch", "release"], True),
        ({"isBranch": "release"}, ["--as-branch", "release-2"], False),
    ],
    "isRepo": [
        ({"isRepo": "neat-repo"}, ["--as-branch", "dev"], True),
        ({"isRepo": "neat"}, ["--as-branch", "dev"], False),
    ],
    "isOwner": [
        ({"isOwner": "neat-org"}, ["--as-branch", "dev"], True),
        ({"isOwner": "Neat-Org"}, ["--as-branch", "dev"], False),
    ],
    # The constants decide alone, whatever the ref; each is contrasted with the other.
    "true": [(True, ["--as-branch", "dev"], True), (False, ["--as-branch", "dev"], False)],
    "false": [(False, ["--as-branch", "main"], False), (True, ["--as-branch", "main"], True)],
}


def assert_denied(
    done: subprocess.CompletedProcess[str], rig: Rig, name: str = "cond-secret"
) -> None:
    assert done.returncode == 1, show(done)
    assert "error[E302]" in done.stderr, show(done)
    assert DENIED.format(name=name, local="activate") in done.stderr, show(done)
    assert rig.calls() == [], f"something ran: {rig.commands()}"


@pytest.mark.parametrize("form", CONDITIONS)
def test_condition(rig: Rig, condition_project: Path, form: str) -> None:
    for condition, flags, granted in CONDITIONS[form]:
        rig.forget()
        secrets_file = rig.secrets(
            {"cond-secret": secret({"cachixActivateToken": TOKEN}, condition)}
        )
        done = rig.local(condition_project / "ci.nix", "deploy", *flags, "--secrets", secrets_file)
        what = f"{json.dumps(condition)} with {' '.join(flags)}"
        if granted:
            assert done.returncode == 0, f"{what} should grant\n{show(done)}"
            deploy_json = str(condition_project / "deploy.json")
            assert rig.commands() == [("cachix", ["deploy", "activate", deploy_json])], what
        else:
            assert_denied(done, rig)


@pytest.mark.parametrize("entry", ["no-condition", "missing"])
def test_secret_denied(rig: Rig, condition_project: Path, entry: str) -> None:
    data = {"cachixActivateToken": TOKEN}
    if entry == "no-condition":
        secrets = {"cond-secret": secret(data, condition=None)}
    else:
        secrets = {"cond-secretx": secret(data), "default-cachix-activate": secret(data)}
    done = rig.local(
        condition_project / "ci.nix",
        "deploy",
        "--as-branch",
        "main",
        "--secrets",
        rig.secrets(secrets),
    )
    assert_denied(done, rig)


# --- 9. bad secrets.json entries ------------------------------------------------------------

GOOD = '"data": {"cachixActivateToken": "tok-1234567890"}'
# case → (the file, the text its error points at, the message)
BAD_SECRETS: dict[str, tuple[str, str, str]] = {
    "kind": (
        '{\n  "cond-secret": {\n    "kind": "Secrets",\n    ' + GOOD + ',\n    "condition": true\n  }\n}\n',
        '"Secrets"',
        'kind field must be "Secret"',
    ),
    "apiVersion": (
        '{\n  "cond-secret": {\n    "kind": "Secret",\n    "apiVersion": "v1",\n    ' + GOOD + ',\n    "condition": true\n  }\n}\n',
        '"v1"',
        "Unexpected apiVersion field.",
    ),
    "empty-condition": (
        '{\n  "cond-secret": {\n    "kind": "Secret",\n    ' + GOOD + ',\n    "condition": {}\n  }\n}\n',
        "{}",
        "The empty object does not represent a Condition.",
    ),
    "two-fields": (
        '{\n  "cond-secret": {\n    "kind": "Secret",\n    ' + GOOD + ',\n    "condition": {"isBranch": "main", "isOwner": "o"}\n  }\n}\n',
        '{"isBranch"',
        "A Condition object must contain a single field.",
    ),
    "unknown-field": (
        '{\n  "cond-secret": {\n    "kind": "Secret",\n    ' + GOOD + ',\n    "condition": {"isBrnach": "main"}\n  }\n}\n',
        '{"isBrnach"',
        "The field name in a Condition object must be one of and, or, isBranch, isRepo, isOwner.",
    ),
    "number": (
        '{\n  "cond-secret": {\n    "kind": "Secret",\n    ' + GOOD + ',\n    "condition": {"or": [false, 42]}\n  }\n}\n',
        "42",
        "Expected Object, String or true.",  # spec §7, verbatim
    ),
}  # fmt: skip


def line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


@pytest.mark.parametrize("case", BAD_SECRETS)
def test_bad_secrets_entry(rig: Rig, condition_project: Path, case: str) -> None:
    text, at, message = BAD_SECRETS[case]
    path = rig.conf / "secrets.json"
    path.write_text(text)
    done = rig.local(
        condition_project / "ci.nix", "deploy", "--as-branch", "main", "--secrets", path
    )
    assert done.returncode == 1, show(done)
    assert f"error[E302]: secrets file: {message}" in done.stderr, show(done)
    where = f"{path}:{line_col(text, text.index(at))}"
    assert where in done.stderr, f"expected the place {where}\n{show(done)}"
    assert rig.calls() == [], "nothing ran"


INVALID_JSON = (
    '{\n  "cond-secret": {\n    "kind": "Secret",\n    '
    + GOOD
    + ',\n    "condition": true,\n  }\n}\n'
)


def test_invalid_secrets_json(rig: Rig, condition_project: Path) -> None:
    path = rig.conf / "secrets.json"
    path.write_text(INVALID_JSON)
    done = rig.local(
        condition_project / "ci.nix", "deploy", "--as-branch", "main", "--secrets", path
    )
    assert done.returncode == 1, show(done)
    assert (
        "error[E302]: secrets file: invalid JSON: Expecting property name enclosed in double "
        "quotes" in done.stderr
    ), show(done)
    assert f"{path}:" in done.stderr, show(done)
    assert rig.calls() == [], "nothing ran"


def test_invalid_secrets_json_points_at_the_error(rig: Rig, condition_project: Path) -> None:
    path = rig.conf / "secrets.json"
    path.write_text(INVALID_JSON)
    done = rig.local(
        condition_project / "ci.nix", "deploy", "--as-branch", "main", "--secrets", path
    )
    assert f"{path}:6:3" in done.stderr, show(done)


# --- 10. refused before anything runs -------------------------------------------------------


def test_effect_that_does_not_run_on_this_ref(rig: Rig) -> None:
    project = rig.project("cachix-deploy-json-file")
    secrets_file = rig.secrets({"default-cachix-activate": secret({"cachixActivateToken": TOKEN})})
    done = rig.local(project / "ci.nix", "deploy", "--as-branch", "dev", "--secrets", secrets_file)
    assert done.returncode == 1, show(done)
    assert "error[E304]: the effect deploy does not run on this ref" in done.stderr, show(done)
    assert rig.calls() == [], "nothing ran"


def test_unknown_value_without_env(rig: Rig) -> None:
    project = rig.project("nixops-plain")
    done = rig.local(project / "ci.nix", "neat-network")
    assert done.returncode == 1, show(done)
    assert "error[E301]: env NIX_PATH is unknown" in done.stderr, show(done)
    assert "--env NIX_PATH=VALUE" in done.stderr, show(done)
    assert rig.calls() == [], "nothing ran"
    assert not (rig.state / "nixops-foo.json").exists()


# --- 11. the state directory and the command line -------------------------------------------


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_state_dir_that_is_not_a_directory(rig: Rig, where: str) -> None:
    project = rig.project("nixops-plain")
    blocker = rig.root / "not-a-directory"
    blocker.write_text("a file\n")
    state_dir = blocker if where == "a file" else blocker / "state"
    done = rig.run(
        project / "ci.nix", "-A", "neat-network", "--backend", "local",
        "--state-dir", state_dir, "--env", f"NIX_PATH={NIX_PATH}",
    )  # fmt: skip
    assert done.returncode == 1, show(done)
    assert "error[E303]" in done.stderr, show(done)
    assert str(state_dir) in done.stderr, f"the directory is named\n{show(done)}"
    assert "E999" not in done.stderr and "Traceback" not in done.stderr, show(done)
    assert rig.calls() == [], "nothing ran"
    assert blocker.read_text() == "a file\n"


@pytest.mark.parametrize("backend", ["local", "script"])
def test_created_ci_eval_directory_is_ignored_by_git(rig: Rig, backend: str) -> None:
    """The default state directory, .ci-eval/state in the checkout, made by a local run or
    by the script: `git add -A` adds nothing of it (NixOps state holds keys)."""
    project = rig.project("nixops-plain")
    done = subprocess.run(
        [sys.executable, "-m", "nixeval", "run", "ci.nix", "-A", "neat-network",
         "--backend", backend, "--env", f"NIX_PATH={NIX_PATH}"],
        cwd=project, env=rig.environment(), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, show(done)
    if backend == "script":
        script = rig.root / "deploy.sh"
        script.write_text(done.stdout)
        done = subprocess.run(
            ["sh", str(script)], cwd=project, env=rig.environment(), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, show(done)
    assert (project / ".ci-eval" / "state" / "nixops-foo.json").is_file(), show(done)
    assert (project / ".ci-eval" / ".gitignore").read_text() == "*\n"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    git_env = {"PATH": os.environ["PATH"], "HOME": str(project), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run([*git, "add", "-A"], cwd=project, env=git_env, check=True)
    staged = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=all"],
        cwd=project, env=git_env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert staged == "", f"git add -A takes state files:\n{staged}"


def test_file_option_takes_name_and_path(rig: Rig) -> None:
    done = rig.run("ci.nix", "-A", "deploy", "--file", "deploy.json", clean=False)
    assert done.returncode == 2, show(done)
    assert "--file takes NAME=PATH, not 'deploy.json'" in done.stderr, show(done)
    assert "NAME=VALUE, not" not in done.stderr, show(done)
