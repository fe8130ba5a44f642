"""The stand-in `cachix`, `nixops` and `nix` executables of tests/standins (see its README.md).

They run as subprocesses, found on PATH, with a `python3` on PATH that is this interpreter
started with `-S` (fast, and proves they need only the standard library).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

STANDINS = Path(__file__).resolve().parent / "standins"

#: Every per-command option of §6.2 common to both NixOps versions.
NIXOPS_COMMON = [
    "-d", "net", "--deployment", "net", "--confirm", "-I", "nixpkgs=/x", "--max-jobs", "2",
    "-j", "3", "--cores", "4", "--keep-going", "--keep-failed", "-K", "--show-trace",
    "--fallback", "--no-build-output", "--option", "sandbox", "false", "--read-only-mode",
    "--debug",
]  # fmt: skip
#: Every `deploy` flag of §6.2 that NixOps 1.x has too.
NIXOPS_DEPLOY = [
    "--kill-obsolete", "-k", "--dry-run", "--dry-activate", "--repair", "--evaluate-only",
    "--plan-only", "--build-only", "--create-only", "--copy-only", "--allow-recreate",
    "--always-activate", "--include", "machine", "other", "--exclude", "other", "--check",
    "--allow-reboot", "--force-reboot", "--max-concurrent-copy", "2",
    "--max-concurrent-activate", "3", "--no-sync",
]  # fmt: skip
SPEC = {"agents": {"web": "/nix/store/aaa-nixos-system-web"}}


@pytest.fixture(scope="module")
def python_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a `python3` that runs this interpreter without site-packages."""
    bin_dir = tmp_path_factory.mktemp("python-bin")
    wrapper = bin_dir / "python3"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(0o755)
    return bin_dir


class Standins:
    """Runs the stand-ins in a temporary HOME / working directory with a log file."""

    def __init__(self, tmp: Path, python_dir: Path) -> None:
        self.home = tmp / "home"
        self.cwd = tmp / "work"
        self.home.mkdir()
        self.cwd.mkdir()
        self.log_file = tmp / "log.jsonl"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("STANDIN_", "NIXOPS_", "CACHIX_"))
        }
        self.env.update(
            PATH=os.pathsep.join([str(STANDINS), str(python_dir), os.environ.get("PATH", "")]),
            HOME=str(self.home),
            STANDIN_LOG=str(self.log_file),
        )

    def run(
        self, *argv: str, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env={**self.env, **env},
            timeout=20,
        )

    def ok(self, *argv: str, stdin: str | None = None, **env: str) -> str:
        done = self.run(*argv, stdin=stdin, **env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def log(self) -> list[dict[str, Any]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def export(self, **env: str) -> dict[str, Any]:
        exported: dict[str, Any] = json.loads(self.ok("nixops", "export", **env))
        return exported


class Outcome(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    log: list[dict[str, Any]]


def run_at_once(
    base: Path, python_dir: Path, jobs: list[tuple[list[str], dict[str, str], dict[str, str]]]
) -> list[Outcome]:
    """Runs independent invocations at the same time, each in its own directories (for speed).

    A job is (command line, extra environment, files to write in the working directory).
    """
    started = []
    for number, (argv, env, files) in enumerate(jobs):
        (base / str(number)).mkdir()
        s = Standins(base / str(number), python_dir)
        for name, text in files.items():
            (s.cwd / name).write_text(text)
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=s.cwd,
            env={**s.env, **env},
        )
        started.append((s, process))
    outcomes = []
    for s, process in started:
        out, err = process.communicate(timeout=20)
        outcomes.append(Outcome(process.returncode, out, err, s.log()))
    return outcomes


@pytest.fixture
def s(tmp_path: Path, python_dir: Path) -> Standins:
    return Standins(tmp_path, python_dir)


# --- the log -------------------------------------------------------------------------------


def test_log_line_format(s: Standins) -> None:
    assert s.ok("nixops", "--version", EXTRA="1") == "NixOps 1.7\n"
    [entry] = s.log()
    # /bin/sh (the python3 wrapper) sets PWD; Python sets LC_CTYPE when there is no locale.
    env = entry.pop("env")
    assert {k: v for k, v in env.items() if k not in ("PWD", "LC_CTYPE")} == {
        k: v for k, v in {**s.env, "EXTRA": "1"}.items() if k not in ("PWD", "LC_CTYPE")
    }
    assert entry == {"program": "nixops", "argv": ["--version"], "stdin": None, "cwd": str(s.cwd)}


def test_log_appends_one_line_per_invocation_and_records_stdin_of_import(s: Standins) -> None:
    s.ok("nixops", "import", stdin="{}")
    s.ok("nixops", "export", stdin="not read")
    assert s.run("nixops", "import").returncode == 1  # /dev/null: recorded as null, no JSON
    s.run("nix", "--frob")
    assert [(e["program"], e["argv"], e["stdin"]) for e in s.log()] == [
        ("nixops", ["import"], "{}"),
        ("nixops", ["export"], None),
        ("nixops", ["import"], None),
        ("nix", ["--frob"], None),
    ]
    rejected = [e.get("rejected") for e in s.log()]
    assert rejected == [None, None, None, "unrecognised flag '--frob'"]


def test_no_log_without_standin_log(s: Standins) -> None:
    s.ok("nix", "--version", STANDIN_LOG="")
    assert not s.log_file.exists()


# --- nixops: accepted and refused command lines --------------------------------------------


def test_nixops_1_accepts_every_documented_option(s: Standins) -> None:
    (s.cwd / "network.nix").write_text("{}")
    state = ["--state", str(s.home / "state.json")]
    s.ok("nixops", "create", "network.nix", *NIXOPS_COMMON, *state)
    s.ok("nixops", "modify", "network.nix", "-s", str(s.home / "state.json"), *NIXOPS_COMMON)
    s.ok("nixops", "set-args", "--arg", "a", "1", "--argstr", "b", "x", "--unset", "c", *state)
    s.ok("nixops", "deploy", *NIXOPS_DEPLOY, *NIXOPS_COMMON, *state)
    for command in ("check", "info", "list", "export"):
        s.ok("nixops", command, *NIXOPS_COMMON, *state)
    exported = s.ok("nixops", "export", *state)
    s.ok("nixops", "import", "--include-keys", *NIXOPS_COMMON, stdin=exported)
    assert not any("rejected" in e for e in s.log())


def test_nixops_2_accepts_every_documented_option_and_test_boot(s: Standins) -> None:
    (s.cwd / "nixops.nix").write_text("{}")
    v2 = {"STANDIN_NIXOPS_VERSION": "2"}
    assert s.ok("nixops", "--version", **v2) == "NixOps 2.0.0\n"
    network = ["--network", str(s.cwd)]
    done = s.run("nixops", "deploy", *NIXOPS_DEPLOY, "--test", "--boot", *NIXOPS_COMMON, **v2)
    assert done.returncode == 0, done.stderr
    for command in ("check", "info", "list"):
        s.ok("nixops", command, *NIXOPS_COMMON, *network, **v2)
    assert s.run("nixops", "deploy", "--boot", **v2).stderr == (
        "machine> set as the boot default (not activated)\n"
    )


def test_nixops_refusal_message_style(s: Standins) -> None:
    assert s.run("nixops", "deploy", "--foo").stderr.splitlines()[-1] == (
        "nixops: error: unrecognized arguments: --foo"
    )


def test_nixops_help_is_accepted(s: Standins) -> None:
    assert "--allow-reboot" in s.ok("nixops", "deploy", "--help")
    assert "rejected" not in s.log()[0]


def test_nixops_2_needs_a_network(s: Standins) -> None:
    done = s.run("nixops", "deploy", "--confirm", STANDIN_NIXOPS_VERSION="2")
    assert done.returncode == 1
    assert "could not find flake.nix or nixops.nix" in done.stderr
    (s.home / "flake.nix").write_text("{}")
    s.ok("nixops", "check", "--network", str(s.home), STANDIN_NIXOPS_VERSION="2")


# --- nixops 1.x state ----------------------------------------------------------------------


def test_nixops_round_trip(s: Standins, tmp_path: Path, python_dir: Path) -> None:
    (s.cwd / "network.nix").write_text("{}")
    (s.cwd / "deploy-only.nix").write_text("{}")
    env = {"NIXOPS_DEPLOYMENT": "prod", "STANDIN_NIXOPS_MACHINES": "web,db"}
    created = s.run("nixops", "create", "network.nix", "deploy-only.nix", **env)
    assert created.returncode == 0
    uuid = created.stdout.strip()
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid
    )
    assert created.stderr == f"created deployment ‘{uuid}’\n"
    s.ok("nixops", "set-args", "--arg", "n", "1", "--argstr", "s", 'a"b', **env)
    deployed = s.run("nixops", "deploy", "--confirm", "--allow-reboot", "--allow-recreate", **env)
    assert deployed.returncode == 0
    assert deployed.stderr == (
        "db> activation finished successfully\nweb> activation finished successfully\n"
    )
    text = s.ok("nixops", "export", **env)
    exported = json.loads(text)
    assert text == json.dumps(exported, indent=2, sort_keys=True) + "\n"
    assert exported == {
        uuid: {
            "name": "prod",
            "nixExprs": [str(s.cwd / "network.nix"), str(s.cwd / "deploy-only.nix")],
            "args": {"n": "1", "s": '"a\\"b"'},
            "resources": {
                "db": {"type": "none", "targetHost": "db"},
                "web": {"type": "none", "targetHost": "web"},
            },
            "deployCount": 1,
        }
    }
    assert (s.home / ".nixops" / "deployments.nixops").exists()

    # The next run: a fresh sandbox HOME, another source directory, the state imported.
    (tmp_path / "next").mkdir()
    nxt = Standins(tmp_path / "next", python_dir)
    (nxt.cwd / "network.nix").write_text("{}")
    (s.cwd / "network.nix").unlink()  # the previous run's sandbox is gone
    exported[uuid]["resources"]["web"]["publicHostKey"] = "ssh-ed25519 AAAA"
    nxt.ok("nixops", "import", "--include-keys", stdin=json.dumps(exported), **env)
    assert (nxt.home / ".ssh" / "known_hosts").read_text() == "web ssh-ed25519 AAAA\n"
    stale = nxt.run("nixops", "deploy", "--confirm", **env)  # import without modify
    assert stale.returncode == 1
    assert f"getting status of ‘{s.cwd / 'network.nix'}’" in stale.stderr
    nxt.ok("nixops", "modify", "network.nix", **env)
    nxt.ok("nixops", "deploy", "--confirm", **env)
    again = nxt.export(**env)[uuid]
    assert again["deployCount"] == 2
    assert again["nixExprs"] == [str(nxt.cwd / "network.nix")]
    assert again["args"] == {"n": "1", "s": '"a\\"b"'}
    duplicate = nxt.run("nixops", "import", stdin=json.dumps(exported), **env)
    assert duplicate.returncode == 1
    assert f"already contains a deployment with UUID ‘{uuid}’" in duplicate.stderr


def test_nixops_state_file_location(s: Standins) -> None:
    state = s.home / "elsewhere.json"
    s.ok("nixops", "create", NIXOPS_STATE=str(state))
    assert list(json.loads(state.read_text())["deployments"])
    assert not (s.home / ".nixops").exists()
    assert s.export() == {}
    assert len(s.export(NIXOPS_STATE=str(state))) == 1


def test_nixops_empty_export_prints_braces(s: Standins) -> None:
    assert s.ok("nixops", "export") == "{}\n"
    assert s.ok("nixops", "export", NIXOPS_DEPLOYMENT="prod", STANDIN_EXPORT_BYTES="100") == "{}\n"


def test_nixops_without_a_deployment(tmp_path: Path, python_dir: Path) -> None:
    commands = ["deploy", "modify", "set-args", "check", "info"]
    outcomes = run_at_once(tmp_path, python_dir, [(["nixops", c], {}, {}) for c in commands])
    for done in outcomes:
        assert done.returncode == 1
        assert "error: there are no deployments in state file" in done.stderr


def test_nixops_selects_deployments(s: Standins) -> None:
    a = s.ok("nixops", "create", "-d", "a").strip()
    s.ok("nixops", "create", "-d", "b")
    done = s.run("nixops", "deploy")
    assert done.returncode == 1
    assert "there are multiple deployments" in done.stderr
    s.ok("nixops", "deploy", NIXOPS_DEPLOYMENT="a")
    s.ok("nixops", "deploy", "-d", a)
    assert s.export(NIXOPS_DEPLOYMENT="a")[a]["deployCount"] == 2
    assert len(s.export()) == 2
    missing = s.run("nixops", "export", "-d", "c")
    assert missing.returncode == 1
    assert "could not find specified deployment" in missing.stderr


def test_nixops_dry_run_keeps_the_state(s: Standins) -> None:
    s.ok("nixops", "create")
    assert s.run("nixops", "deploy", "--dry-run").stderr == (
        "machine> would be built and copied (dry run)\n"
    )
    [depl] = s.export().values()
    assert depl["resources"] == {}
    assert "deployCount" not in depl


def test_nixops_export_padding(s: Standins) -> None:
    s.ok("nixops", "create")
    text = s.ok("nixops", "export", STANDIN_EXPORT_BYTES="5000")
    assert len(text.encode()) == 5000
    [depl] = json.loads(text).values()
    assert set(depl["padding"]) == {"x"}
    assert "padding" not in s.ok("nixops", "export")


# --- cachix --------------------------------------------------------------------------------


def write_spec(s: Standins, spec: Any, name: str = "deploy.json") -> str:
    (s.cwd / name).write_text(json.dumps(spec) if not isinstance(spec, str) else spec)
    return name


def test_cachix_activate(s: Standins) -> None:
    spec = {
        "agents": {"web": "/nix/store/aaa-web", "db": "/nix/store/bbb-db"},
        "rollbackScript": {"x86_64-linux": "/nix/store/ccc-rollback.sh"},
    }
    out = s.ok("cachix", "deploy", "activate", write_spec(s, spec), CACHIX_ACTIVATE_TOKEN="t")
    lines = out.splitlines()
    assert lines[0] == "Deploying agents:"
    assert lines[1].startswith("[web] https://app.cachix.org/deploy/")
    assert lines[2].startswith("[db] https://app.cachix.org/deploy/")
    assert lines[3:] == [
        "[web] Activating /nix/store/aaa-web",
        "[db] Activating /nix/store/bbb-db",
        "Deployment summary:",
        "[web] Succeeded",
        "[db] Succeeded",
    ]


def test_cachix_accepts_every_documented_option(s: Standins) -> None:
    spec = write_spec(s, {"agents": {"web": "/nix/store/a", "db": "/nix/store/b", "x": "/c"}})
    token = {"CACHIX_ACTIVATE_TOKEN": "t"}
    out = s.ok(
        "cachix", "--hostname", "https://cachix.org", "-c", "cfg", "--config", "cfg", "-v",
        "--verbose", "deploy", "activate", "--agent", "web", spec, "-a", "db", "--async",
        **token,
    )  # fmt: skip
    assert [line.split()[0] for line in out.splitlines()] == ["Deploying", "[web]", "[db]"]
    s.ok("cachix", "--hostname=h", "-ccfg", "deploy", "activate", spec, "-aweb", **token)
    s.ok("cachix", "deploy", "activate", "--agent=web", "--", spec, **token)
    assert s.ok("cachix", "-V") == s.ok("cachix", "--version") == "cachix 1.7.4\n"
    assert s.ok("cachix", "--help").startswith("Usage: cachix")
    assert s.ok("cachix", "deploy", "activate", "-h").startswith("Usage: cachix deploy activate")
    assert not any("rejected" in e for e in s.log())


@pytest.mark.parametrize("token", [None, ""])
def test_cachix_needs_the_token(s: Standins, token: str | None) -> None:
    env = {} if token is None else {"CACHIX_ACTIVATE_TOKEN": token}
    done = s.run("cachix", "deploy", "activate", write_spec(s, SPEC), **env)
    assert done.returncode == 1
    assert done.stderr == (
        "cachix: CACHIX_ACTIVATE_TOKEN: getEnv: does not exist (no environment variable)\n"
    )
    assert "rejected" not in s.log()[0]


# --- nix -----------------------------------------------------------------------------------


def test_nix(s: Standins) -> None:
    assert s.ok("nix", "--version") == "nix (Nix) 2.8.0\n"
    features = ["--extra-experimental-features", "nix-command flakes"]
    path = s.ok("nix", *features, "build", "--no-link", "--print-out-paths", "-L", ".#web")
    assert path.startswith("/nix/store/")
    assert path.endswith("-web\n")
    assert len(path.split("/")[3].split("-")[0]) == 32
    built = json.loads(s.ok("nix", "build", ".#web", "--json", *features, "--no-link"))
    assert built == [{"drvPath": path.strip() + ".drv", "outputs": {"out": path.strip()}}]
    assert s.ok("nix", "eval", "--json", "-L", ".#x", *features) == ""
    assert not any("rejected" in e for e in s.log())


# --- refused command lines (run at once, for speed) ---------------------------------------

V2 = {"STANDIN_NIXOPS_VERSION": "2"}

#: (program, command line, extra environment, reason logged, which the message ends with).
REFUSALS: list[tuple[str, list[str], dict[str, str], str]] = [
    ("nixops", ["deploy", "--frobnicate"], {}, "unrecognized arguments: --frobnicate"),
    ("nixops", ["deploy", "--test"], {}, "unrecognized arguments: --test"),
    ("nixops", ["deploy", "--confirm", "--boot"], {}, "unrecognized arguments: --boot"),
    ("nixops", ["deploy", "--conf"], {}, "unrecognized arguments: --conf"),  # no abbreviations
    ("nixops", ["deploy", "--network", "."], {}, "unrecognized arguments: --network ."),
    ("nixops", ["--state", "x", "list"], {}, "argument operation: invalid choice: 'x'"),
    ("nixops", ["deploy", "--version"], {}, "unrecognized arguments: --version"),
    ("nixops", ["deploy", "-j", "x"], {}, "argument --max-jobs/-j: invalid int value: 'x'"),
    ("nixops", ["set-args", "--arg", "a"], {}, "argument --arg: expected 2 arguments"),
    ("nixops", ["export", "--all"], {}, "unrecognized arguments: --all"),
    ("nixops", ["destroy"], {}, "argument operation: invalid choice: 'destroy'"),
    ("nixops", [], {}, "the following arguments are required: operation"),
    ("nixops", ["deploy", "--state", "x"], V2, "unrecognized arguments: --state x"),
    ("nixops", ["export"], V2, "argument operation: invalid choice: 'export'"),
    ("nixops", ["import"], V2, "argument operation: invalid choice: 'import'"),
    ("nixops", ["create", "a.nix"], V2, "argument operation: invalid choice: 'create'"),
    ("nixops", ["set-args"], V2, "argument operation: invalid choice: 'set-args'"),
    (
        "nixops",
        ["--version"],
        {"STANDIN_NIXOPS_VERSION": "3"},
        "STANDIN_NIXOPS_VERSION must be 1 or 2, not '3'",
    ),
    ("cachix", ["deploy", "activate", "x.json", "--agents"], {}, "unrecognized option '--agents'"),
    ("cachix", ["deploy", "activate", "x", "-a"], {}, "option '-a' requires an argument"),
    (
        "cachix",
        ["deploy", "activate", "--hostname", "h", "x"],
        {},
        "unrecognized option '--hostname'",
    ),
    ("cachix", ["deploy", "activate"], {}, "missing DEPLOY-SPEC.JSON"),
    ("cachix", ["deploy", "activate", "a.json", "b.json"], {}, "unexpected argument 'b.json'"),
    ("cachix", ["--frob", "deploy", "activate", "x.json"], {}, "unrecognized option '--frob'"),
    ("cachix", ["--hostname"], {}, "option '--hostname' requires an argument"),
    ("cachix", ["push", "mycache"], {}, "'push' is not modelled by the stand-in"),
    ("cachix", ["deploy", "agent", "web"], {}, "'deploy agent' is not modelled by the stand-in"),
    ("cachix", ["deploy"], {}, "'deploy' is not modelled by the stand-in"),
    ("cachix", [], {}, "missing COMMAND"),
    ("nix", ["eval", "--no-link", ".#x"], {}, "unrecognised flag '--no-link'"),
    ("nix", ["eval", "--print-out-paths", ".#x"], {}, "unrecognised flag '--print-out-paths'"),
    ("nix", ["build", "--frob", ".#x"], {}, "unrecognised flag '--frob'"),
    ("nix", ["build"], {}, "'nix build' takes exactly one installable, not 0"),
    ("nix", ["build", ".#a", ".#b"], {}, "'nix build' takes exactly one installable, not 2"),
    ("nix", ["flake", "show"], {}, "'nix flake' is not modelled by the stand-in"),
    (
        "nix",
        ["build", ".#a", "--extra-experimental-features"],
        {},
        "flag '--extra-experimental-features' requires 1 argument",
    ),
]


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory, python_dir: Path) -> list[Outcome]:
    jobs = [
        ([program, *argv], {"CACHIX_ACTIVATE_TOKEN": "t", **env}, {"nixops.nix": "{}"})
        for program, argv, env, _ in REFUSALS
    ]
    return run_at_once(tmp_path_factory.mktemp("refused"), python_dir, jobs)


@pytest.mark.parametrize(
    "index",
    range(len(REFUSALS)),
    ids=[
        " ".join([program + env.get("STANDIN_NIXOPS_VERSION", ""), *argv])
        for program, argv, env, _ in REFUSALS
    ],
)
def test_refused(refused: list[Outcome], index: int) -> None:
    program, argv, _, reason = REFUSALS[index]
    done = refused[index]
    assert (done.returncode, done.stdout) == (2, "")
    [entry] = done.log
    assert (entry["program"], entry["argv"]) == (program, argv)
    assert entry["rejected"].startswith(reason)  # "invalid choice: 'x' (choose from …)"
    lines = done.stderr.splitlines()
    if program == "nixops" and "STANDIN_NIXOPS_VERSION" in reason:
        assert lines == [f"nixops stand-in: {reason}"]
    elif program == "nixops":  # argparse: usage, then "nixops[ deploy]: error: …"
        assert lines[0].startswith("usage: nixops")
        assert re.fullmatch(r"nixops( [a-z-]+)?: error: " + re.escape(entry["rejected"]), lines[-1])
    elif program == "cachix":
        assert lines[0].startswith(f"cachix: {reason}")
        assert lines[1].startswith("Usage: cachix")
    else:
        assert lines == [f"error: {reason}", "Try 'nix --help' for more information."]


#: (deploy.json text, or None for no file; what the error mentions).
BAD_SPECS: list[tuple[str | None, str]] = [
    (None, "deploy.json: openFile: No such file or directory"),
    ("{not json", "deploy.json: Expecting property name"),
    ("[]", "expected an object"),
    ('{"agent": {"web": "/nix/store/a"}}', "key 'agents'"),
    ('{"agents": ["web"]}', "key 'agents'"),
    ('{"agents": {"web": 1}}', "key 'agents', 'web'"),
    ('{"agents": {}, "rollbackScript": "/nix/store/r"}', "key 'rollbackScript'"),
    ('{"agents": {}, "rollbackScript": {"x86_64-linux": null}}', "'x86_64-linux'"),
]


def test_cachix_bad_spec(tmp_path: Path, python_dir: Path) -> None:
    jobs = [
        (
            ["cachix", "deploy", "activate", "deploy.json"],
            {"CACHIX_ACTIVATE_TOKEN": "t"},
            {} if text is None else {"deploy.json": text},
        )
        for text, _ in BAD_SPECS
    ]
    for (_, why), done in zip(BAD_SPECS, run_at_once(tmp_path, python_dir, jobs), strict=True):
        assert (done.returncode, done.stdout) == (1, ""), why
        assert done.stderr.startswith("Error parsing the deployment spec: ")
        assert why in done.stderr
        assert "rejected" not in done.log[0]


# --- behaviour switches --------------------------------------------------------------------


def test_standin_fail(s: Standins) -> None:
    fail = {"STANDIN_FAIL": "nixops deploy; cachix"}
    s.ok("nixops", "create", **fail)
    done = s.run("nixops", "deploy", "--confirm", **fail)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "error: stand-in failure of ‘nixops deploy’ requested by STANDIN_FAIL\n"
    assert "deployCount" not in next(iter(s.export(**fail).values()))
    spec = write_spec(s, SPEC)
    assert s.run("cachix", "deploy", "activate", spec, **fail).returncode == 1
    assert s.run("nixops", "deploy", "--frob", **fail).returncode == 2  # refusal comes first
    assert [e["argv"][0] for e in s.log()] == ["create", "deploy", "export", "deploy", "deploy"]


def test_standin_echo(s: Standins) -> None:
    done = s.run(
        "cachix", "deploy", "activate", write_spec(s, SPEC),
        CACHIX_ACTIVATE_TOKEN="s3cret", OTHER="o", STANDIN_ECHO="CACHIX_ACTIVATE_TOKEN,UNSET,OTHER",
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stdout.startswith("CACHIX_ACTIVATE_TOKEN=s3cret\nOTHER=o\nDeploying agents:\n")
    assert done.stderr == "CACHIX_ACTIVATE_TOKEN=s3cret\nOTHER=o\n"


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the marker did not appear"
        time.sleep(0.01)


def test_standin_pause_in_export(s: Standins, tmp_path: Path) -> None:
    s.ok("nixops", "create", "-d", "net")
    full = s.ok("nixops", "export")
    marker = tmp_path / "marker"
    env = {**s.env, "STANDIN_PAUSE": "nixops export", "STANDIN_PAUSE_MARKER": str(marker)}
    process = subprocess.Popen(
        ["nixops", "export"],
        cwd=s.cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_for(marker, process)
    assert marker.read_text() == f"{process.pid}\n"
    process.kill()
    out, _ = process.communicate(timeout=10)
    assert out == full[: len(full) // 2]
    assert s.log()[-1]["argv"] == ["export"]
    # With a short pause the output is whole.
    assert s.ok("nixops", "export", STANDIN_PAUSE="nixops", STANDIN_PAUSE_SECONDS="0") == full


def test_standin_pause_before_other_commands(s: Standins, tmp_path: Path) -> None:
    s.ok("nixops", "create")
    marker = tmp_path / "marker"
    env = {**s.env, "STANDIN_PAUSE": "cachix; nixops deploy", "STANDIN_PAUSE_MARKER": str(marker)}
    process = subprocess.Popen(
        ["nixops", "deploy", "--confirm"], cwd=s.cwd, env=env, stdin=subprocess.DEVNULL
    )
    wait_for(marker, process)
    process.kill()
    process.wait(timeout=10)
    assert s.log()[-1]["argv"] == ["deploy", "--confirm"]  # logged before the pause
    assert "deployCount" not in next(iter(s.export().values()))  # killed before deploying
    done = s.run("nixops", "deploy", STANDIN_PAUSE="nixops deploy", STANDIN_PAUSE_SECONDS="0")
    assert done.returncode == 0
    assert next(iter(s.export().values()))["deployCount"] == 1
