"""``ci-eval run`` of an effect made by the real hercules-ci-effects: the script and local
backends run the derivation's phases under bash with ``set -eu -o pipefail`` and the
library's own setup hook (sourced from ``../shared/data/inputs/hercules-ci-effects``),
whose ``getStateFile``/``putStateFile`` talk with curl to ci-eval's state API on
127.0.0.1 (`nixeval.execution.state_api`), backed by the state directory.

The descriptions are made by ci-eval from a small legacy ci.nix in a tmp directory that
takes nixpkgs (a tree with the reference lib) and the library from the search path."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .library_projects import LIBRARY, OVERLAY_PKGS, REVISION, nixpkgs_tree, search_path
from .test_real_inputs import INPUTS

pytestmark = pytest.mark.skipif(
    not INPUTS.is_dir(), reason=f"the reference sources are not here ({INPUTS}, in ../shared)"
)

_MISSING = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
if _MISSING:  # not a skip: without them these tests would prove nothing
    raise RuntimeError(f"tests/test_run_library.py needs {' and '.join(_MISSING)} on PATH")

PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBqZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleWZha2UAAAAJ\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForLibraryTests t@e"
API_TOKEN = "deploy-api-token-5c1e9f04b7a2"

# The counter: getStateFile, one more, putStateFile; `failing` fails after writing it.
COUNT = """n=0
      if [[ -f counter.txt ]]; then n=$(<counter.txt); fi
      echo $((n + 1)) >counter.txt"""

CI_NIX = """\
{ src ? { ref = "refs/heads/main"; } }:
let
OVERLAY_PKGS
  counted = extra: pkgs.effects.mkEffect {
    name = "counter";
    src = ./.;
    getStateScript = "getStateFile counter.txt counter.txt";
    effectScript = ''
      COUNT
      echo "HOME is $HOME"
      if false | true; then echo "without pipefail"; fi
      ${extra}
    '';
    putStateScript = "putStateFile counter.txt counter.txt";
  };
in {
  counter = counted "";
  failing = counted ''
    echo "about to fail" >&2
    false
    echo "not reached"
  '';
  slow = counted ''
    touch MARKER
    sleep 60
  '';
  keys = pkgs.effects.runIf (src.ref == "refs/heads/main") (pkgs.effects.mkEffect {
    name = "keys";
    secretsMap.ssh = "deploy-ssh";
    secretsMap.api = "deploy-api";
    userSetupScript = "writeSSHKey ssh";
    effectScript = ''
      test "$(stat -c %a ~/.ssh/id_rsa)" = 400
      test "$(<~/.ssh/id_rsa.pub)" = "$(readSecretString ssh .publicKey)"
      cmp ~/.ssh/id_rsa <(readSecretString ssh .privateKey)
      echo "the key is $(readSecretString ssh .privateKey)"
      echo "the token is $(readSecretString api .token)" >&2
      jq -e '."hercules-ci".data.token | length == 32' "$HERCULES_CI_SECRETS_JSON" >/dev/null
      test -s "$herculesCIHeaders"
    '';
  });
  unknown = pkgs.effects.mkEffect { effectScript = "echo ${pkgs.hello.meta.homepage}"; };
}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library-run")
    nixpkgs_tree(root / "nixpkgs")
    project = root / "project"
    project.mkdir()
    text = (
        CI_NIX.replace("OVERLAY_PKGS", OVERLAY_PKGS)
        .replace("COUNT", COUNT)
        .replace("MARKER", str(root / "marker"))
    )
    (project / "ci.nix").write_text(text)
    return project


def ci_eval(
    *argv: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *map(str, argv)],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def describe(project: Path, attr: str) -> Path:
    """The description of `attr`, made by ci-eval with the real library, in a file."""
    saved = project.parent / f"{attr}.json"
    if not saved.exists():
        done = ci_eval(
            project / "ci.nix",
            "-A",
            attr,
            "--offline",
            "--as-branch",
            "main",
            *search_path(project.parent / "nixpkgs"),
            cwd=project.parent,
        )
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        assert document["effects"][0]["library"]["kind"] == "source"
        saved.write_text(done.stdout)
    return saved


def local(
    project: Path, attr: str, tmp: Path, *extra: str | Path
) -> subprocess.CompletedProcess[str]:
    """``ci-eval run --backend local`` of the description, its builds under `tmp`."""
    (tmp / "tmp").mkdir(exist_ok=True)
    return ci_eval(
        "run",
        describe(project, attr),
        "--backend",
        "local",
        "--state-dir",
        tmp / "state",
        *extra,
        cwd=tmp,
        env={"TMPDIR": str(tmp / "tmp")},
    )


def show(done: subprocess.CompletedProcess[str]) -> str:
    return f"status {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def script(project: Path, attr: str) -> str:
    done = ci_eval("run", describe(project, attr), "--backend", "script", cwd=project.parent)
    assert done.returncode == 0, show(done)
    return done.stdout


def run_script(
    text: str, tmp: Path, secrets: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The script backend's script, run by bash as a user would, with ci-eval's Python."""
    path = tmp / "effect.sh"
    path.write_text(text)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "CI_EVAL_STATE_DIR": str(tmp / "state"),
        "CI_EVAL_PYTHON": sys.executable,
        "TMPDIR": str(tmp),
    }
    if secrets is not None:
        env["HERCULES_CI_SECRETS_JSON"] = str(secrets)
    return subprocess.run(
        ["bash", str(path)], cwd=tmp, env=env, capture_output=True, text=True, timeout=120
    )


# --- state, through the library's getStateFile/putStateFile and ci-eval's API -------------


def test_local_state_round_trip(project: Path, tmp_path: Path) -> None:
    passwd = Path("/etc/passwd").read_bytes()
    for expected in ("1", "2"):
        done = local(project, "counter", tmp_path)
        assert done.returncode == 0, show(done)
        # The library's own functions ran: their messages, not ci-eval's.
        assert "fetching state file counter.txt" in done.stderr, show(done)
        assert "pushing state file counter.txt..." in done.stdout, show(done)
        assert "pushing state successful." in done.stdout, show(done)
        assert (tmp_path / "state" / "counter.txt").read_text().strip() == expected
        assert "state file counter.txt written back" in done.stderr, show(done)
        assert "without pipefail" not in done.stdout, "stdenv's set -o pipefail"
    assert "state file does not exist." not in done.stderr, "the second run got the state"
    assert (tmp_path / "state" / "counter.txt.previous").read_text().strip() == "1"
    # HOME is the effect's own, under the build directory, and /etc/passwd is untouched.
    home = next(line for line in done.stdout.splitlines() if line.startswith("HOME is "))
    assert home.startswith(f"HOME is {tmp_path / 'tmp'}/ci-eval-run-"), home
    assert Path("/etc/passwd").read_bytes() == passwd
    assert list((tmp_path / "tmp").iterdir()) == [], "the build directory is removed"


def test_a_failing_effect_exits_with_its_status_and_puts_state(
    project: Path, tmp_path: Path
) -> None:
    done = local(project, "failing", tmp_path)
    assert done.returncode == 1, show(done)
    assert "about to fail" in done.stderr and "not reached" not in done.stdout, show(done)
    # effects-setup-hook.sh: registerPutStatePhaseOnFailure → putStatePhaseOnFailure
    assert "uploading state files after failure" in done.stderr, show(done)
    assert "pushing state successful." in done.stdout, show(done)
    assert (tmp_path / "state" / "counter.txt").read_text().strip() == "1"
    done = local(project, "failing", tmp_path)
    assert done.returncode == 1
    assert (tmp_path / "state" / "counter.txt").read_text().strip() == "2"


def test_ctrl_c_still_puts_state(project: Path, tmp_path: Path) -> None:
    marker = project.parent / "marker"
    marker.unlink(missing_ok=True)
    (tmp_path / "tmp").mkdir()
    argv = [sys.executable, "-m", "nixeval", "run", str(describe(project, "slow"))]
    argv += ["--backend", "local", "--state-dir", str(tmp_path / "state")]
    process = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "TMPDIR": str(tmp_path / "tmp")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the effect did not start"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "uploading state files after failure" in err and "pushing state successful." in out
    assert (tmp_path / "state" / "counter.txt").read_text().strip() == "1"


# --- secrets --------------------------------------------------------------------------------


def secrets_file(tmp: Path, branch: str = "main") -> Path:
    path = tmp / "secrets.json"
    condition = {"isBranch": branch}
    path.write_text(
        json.dumps(
            {
                "deploy-ssh": {
                    "kind": "Secret",
                    "data": {"privateKey": PRIVATE_KEY, "publicKey": PUBLIC_KEY},
                    "condition": condition,
                },
                "deploy-api": {
                    "kind": "Secret",
                    "data": {"token": API_TOKEN},
                    "condition": condition,
                },
            }
        )
    )
    return path


def test_write_ssh_key_and_read_secret_string(project: Path, tmp_path: Path) -> None:
    """The hook's writeSSHKey and readSecretString, with the secrets granted for the
    branch; the effect's secrets file has the agent's hercules-ci token too, which the
    hook's preInit turned into the API's headers file."""
    done = local(project, "keys", tmp_path, "--secrets", secrets_file(tmp_path))
    assert done.returncode == 0, show(done)
    assert "the key is <secret deploy-ssh.privateKey>" in done.stdout, show(done)
    assert "the token is <secret deploy-api.token>" in done.stderr, show(done)
    lines = [line for line in PRIVATE_KEY.splitlines() if len(line) > 8]
    for text in [API_TOKEN, *lines]:
        assert text not in done.stdout + done.stderr


def test_secrets_for_another_branch_are_refused(project: Path, tmp_path: Path) -> None:
    done = local(project, "keys", tmp_path, "--secrets", secrets_file(tmp_path, "production"))
    assert done.returncode == 1, show(done)
    assert "error[E302]: Secret deploy-ssh does not exist or access was denied" in done.stderr
    assert "the key is" not in done.stdout


# --- refusals -------------------------------------------------------------------------------


def test_an_unknown_step_is_refused(project: Path) -> None:
    described = describe(project, "unknown")
    [step] = json.loads(described.read_text())["effects"][0]["phases"]["effect"]
    for backend in ("script", "local"):
        done = ci_eval("run", described, "--backend", backend, cwd=project.parent)
        assert done.returncode == 1 and done.stdout == "", show(done)
        assert "error[E301]: effect step 1.script is unknown" in done.stderr, show(done)
        assert f"--> {step['script']['at']}" in done.stderr, show(done)


def test_a_library_that_is_not_here_is_refused(project: Path, tmp_path: Path) -> None:
    document: dict[str, Any] = json.loads(describe(project, "counter").read_text())
    document["effects"][0]["library"]["path"] = str(tmp_path / "gone")
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(document))
    done = ci_eval("run", moved, "--backend", "script", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == "", show(done)
    assert "error[E305]: the effect was made by the hercules-ci-effects source in" in done.stderr


# --- the script backend ---------------------------------------------------------------------


@pytest.mark.parametrize("attr", ["counter", "keys"])
def test_the_script_passes_bash_n_and_shellcheck(project: Path, tmp_path: Path, attr: str) -> None:
    path = tmp_path / f"{attr}.sh"
    text = script(project, attr)
    path.write_text(text)
    assert text.startswith("#!/usr/bin/env bash\n") and "set -eu -o pipefail\n" in text
    assert f"source {LIBRARY.resolve()}/effects/effect/effects-setup-hook.sh\n" in text
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    if shutil.which("shellcheck") is not None:
        result = subprocess.run(
            ["shellcheck", "--shell=bash", "--severity=style", str(path)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_script_runs_the_real_effect(project: Path, tmp_path: Path) -> None:
    text = script(project, "counter")
    for expected in ("1", "2"):
        done = run_script(text, tmp_path)
        assert done.returncode == 0, show(done)
        assert "pushing state successful." in done.stdout, show(done)
        assert (tmp_path / "state" / "counter.txt").read_text().strip() == expected
    assert (tmp_path / "state" / "counter.txt.previous").read_text().strip() == "1"
    failing = run_script(script(project, "failing"), tmp_path)
    assert failing.returncode == 1, show(failing)
    assert "uploading state files after failure" in failing.stderr
    assert (tmp_path / "state" / "counter.txt").read_text().strip() == "3"
    keys = run_script(script(project, "keys"), tmp_path, secrets_file_local(tmp_path))
    assert keys.returncode == 0, show(keys)
    assert "the key is -----BEGIN OPENSSH PRIVATE KEY-----" in keys.stdout
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("ci-eval-")]
    assert leftovers == [], "the build directory and the API's spool are removed"


def secrets_file_local(tmp: Path) -> Path:
    """As inside the effect: keyed by the secretsMap names."""
    path = tmp / "effect-secrets.json"
    data = {
        "ssh": {"kind": "Secret", "data": {"privateKey": PRIVATE_KEY, "publicKey": PUBLIC_KEY}},
        "api": {"kind": "Secret", "data": {"token": API_TOKEN}},
    }
    path.write_text(json.dumps(data))
    return path


def test_a_bundled_effect_in_the_same_script(project: Path, tmp_path: Path) -> None:
    """A document with an effect of the bundled model beside the library's: each runs as
    it is scripted (the bundled one with ci-eval's helpers)."""
    document: dict[str, Any] = json.loads(describe(project, "counter").read_text())
    bundled = json.loads(json.dumps(document["effects"][0]))
    revision = REVISION
    bundled["library"] = {"kind": "bundled model", "revision": revision, "path": None}
    del bundled["builder"]  # what only a derivation the library made has
    bundled["attrPath"] = "bundled"
    document["effects"].append(bundled)
    both = tmp_path / "both.json"
    both.write_text(json.dumps(document))
    done = ci_eval("run", both, "--backend", "script", cwd=tmp_path)
    assert done.returncode == 0, show(done)
    path = tmp_path / "both.sh"
    path.write_text(done.stdout)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0
    ran = run_script(done.stdout, tmp_path)
    assert ran.returncode == 0, show(ran)
    # The library's putStateFile, then ci-eval's own (no message) for the bundled effect.
    assert ran.stdout.count("pushing state successful.") == 1
    assert (tmp_path / "state" / "counter.txt").read_text().strip() == "2"


# --- the state API itself -------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Any:
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"hercules-ci": {"kind": "Secret", "data": {"token": "t0k"}}}))
    port_file = tmp_path / "port"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "nixeval.execution.state_api"),
            *("--state-dir", str(tmp_path / "state"), "--secrets", str(secrets)),
            *("--port-file", str(port_file)),
        ],
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        assert server.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port_file.read_text().strip()}/api/v1/current-task/state"
    yield url, tmp_path
    server.terminate()
    assert server.wait(timeout=30) == 0


def curl(*args: str, token: str = "t0k", stdin: str | None = None) -> tuple[str, str]:
    """The HTTP status and the body curl got."""
    done = subprocess.run(
        ["curl", "--silent", "-H", f"Authorization: Bearer {token}", "-w", "\n%{http_code}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )
    body, _, status = done.stdout.rpartition("\n")
    return status, body


def test_the_state_api(api: tuple[str, Path]) -> None:
    url, tmp = api
    assert curl(f"{url}/s.json/data")[0] == "404"
    assert curl(f"{url}/s.json/data", token="wrong")[0] == "401"
    (tmp / "v1").write_text("first\n")
    assert curl("-XPUT", "--upload-file", str(tmp / "v1"), f"{url}/s.json/data")[0] == "200"
    assert curl(f"{url}/s.json/data") == ("200", "first\n")
    # a chunked upload (from stdin), and the previous version kept
    assert curl("-XPUT", "--upload-file", "-", f"{url}/s.json/data", stdin="second\n")[0] == "200"
    assert (tmp / "state" / "s.json").read_text() == "second\n"
    assert (tmp / "state" / "s.json.previous").read_text() == "first\n"
    # not a plain file name: a 400 (the hook stops on it)
    assert curl(f"{url}/.lock/data")[0] == "400"
    assert curl(f"{url}/a%2Fb/data")[0] == "400"
    assert curl(f"{url}/../x")[0] == "404"
    # the state directory is locked while the API serves it
    from nixeval.execution.state import StateLocked, StateStore

    with pytest.raises(StateLocked), StateStore(tmp / "state").lock():
        pass
