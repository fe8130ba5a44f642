"""The bundled model of hercules-ci-effects (``nixeval/nixpkgs/effects.nix``), the fallback
when the library's source is not at hand, held against the library itself
(/work/shared/data/inputs/hercules-ci-effects, the revision ``BUNDLED_REVISION`` names).

* mkEffect's phase texts do what the library's do: run under bash, ``initScript``
  overwrites ``/etc/passwd`` with bash as root's shell, ``putStatePhase`` marks the state
  uploaded only once the upload succeeded, ``priorCheckPhase`` runs its hooks always;
* what needs the module system (``modularEffect``, ``gitWriteBranch``, ``modules.*``) is an
  unknown, listed as such, never a described no-op;
* the stand-ins use the library's names and variables and keep the user's ``secretsMap``;
* E216 asks only for the fields the library's helpers need; deploy.json fields cachix
  ignores are a warning, and the library's own ``runIf false (runCachixDeploy
  { deploy.agent.a = …; })`` passes;
* every described effect says it came from the bundled model of that revision.

ci-eval runs as a real process (``python -m nixeval``) on real files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nixeval.effects.validate import validate_document
from nixeval.nixpkgs import BUNDLED_REVISION

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = Path("/work/shared/data/inputs/hercules-ci-effects")
BASH = "/bin/bash"

PRELUDE = """\
{ src ? { ref = null; } }:
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  E = pkgs.effects;
in
"""


def ci_eval(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def describe(tmp_path: Path, body: str, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    (tmp_path / "ci.nix").write_text(PRELUDE + body)
    done = ci_eval(tmp_path, "ci.nix", "--as-branch", "main", *args)
    document = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, document, done.stderr


def check(tmp_path: Path, text: str, secrets: object = None) -> tuple[int, str]:
    (tmp_path / "ci.nix").write_text(text)
    args = ["check", "--format", "gcc"]
    if secrets is not None:
        (tmp_path / "secrets.json").write_text(json.dumps(secrets))
        args += ["--secrets", "secrets.json"]
    done = ci_eval(tmp_path, *args, "ci.nix")
    return done.returncode, done.stdout + done.stderr


MODEL = ROOT / "nixeval" / "nixpkgs"


def evaluate(tmp_path: Path, expression: str) -> Any:
    """An expression over the model `E` (effects.nix with ci-eval's lib), as JSON (ci-eval's
    --eval --strict --json)."""
    (tmp_path / "e.nix").write_text(
        f"let E = import {MODEL / 'effects.nix'} {{ lib = import {MODEL / 'lib.nix'}; "
        'pkgs = { }; unknown = name: "<${name}>"; }; in ' + expression
    )
    done = ci_eval(tmp_path, "--eval", "--strict", "--json", "e.nix")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def library_text(relative: str, attribute: str) -> str:
    """A `name = '' … '';` text of the library's source, as Nix would read it."""
    source = (LIBRARY / relative).read_text()
    m = re.search(rf"^(\s*){attribute} = ''\n(.*?)\n\s*'';", source, re.MULTILINE | re.DOTALL)
    assert m, f"{attribute} not found in {relative}"
    lines = m.group(2).split("\n")
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines).replace("''${", "${") + "\n"


def run_bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BASH, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=30)


# --- mkEffect's phases ---------------------------------------------------------------------


def test_init_script_is_the_librarys(tmp_path: Path) -> None:
    ours = evaluate(tmp_path, "(E.mkEffect { }).initScript")
    assert ours == library_text("effects/effect/effect.nix", "initScript")


def test_init_script_overwrites_passwd_with_bash(tmp_path: Path) -> None:
    """Run with /etc/passwd and /build/home moved into a scratch directory."""
    script = evaluate(tmp_path, "(E.mkEffect { }).initScript")
    passwd, home = tmp_path / "passwd", tmp_path / "home"
    passwd.write_text("someone:x:1000:1000::/home/someone:/bin/sh\n")
    script = script.replace("/etc/passwd", str(passwd)).replace("/build/home", str(home))
    done = run_bash("set -eu -o pipefail\n" + script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert passwd.read_text() == (
        f"root:x:0:0:System administrator:{home}:/run/current-system/sw/bin/bash\n"
    )
    assert (home / ".ssh" / "config").read_text() == "BatchMode yes\n"


PHASE_HARNESS = """\
set -eu -o pipefail
runHook() { echo "hook $1"; }
putStateScript='PUT'
priorCheckScript='PRIOR'
"""


def harness(put: str = "", prior: str = "") -> str:
    """stdenv's shell as a phase sees it: `set -e`, runHook (here echoing the hook)."""
    return PHASE_HARNESS.replace("PUT", put).replace("PRIOR", prior)


@pytest.mark.parametrize(("put", "done"), [("true", "true"), ("false", "")])
def test_put_state_done_only_after_the_upload(tmp_path: Path, put: str, done: str) -> None:
    """Under stdenv's `set -e`, a failed upload leaves PUT_STATE_DONE unset, so the
    failure hook uploads again."""
    phase = evaluate(tmp_path, "(E.mkEffect { }).putStatePhase")
    (tmp_path / "phase.sh").write_text(phase)
    script = harness(put=put) + (
        'trap \'echo "done=${PUT_STATE_DONE:-}"\' EXIT\neval "$(cat phase.sh)"\n'
    )
    result = run_bash(script, tmp_path)
    assert result.returncode == (0 if put == "true" else 1), result
    assert result.stdout.splitlines()[-1] == f"done={done}", result


def test_prior_check_hooks_run_without_a_prior_check(tmp_path: Path) -> None:
    phase = evaluate(tmp_path, "(E.mkEffect { }).priorCheckPhase")
    result = run_bash(harness() + phase, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["hook prePriorCheck", "hook postPriorCheck"]


def test_a_failed_prior_check_only_warns(tmp_path: Path) -> None:
    phase = evaluate(tmp_path, "(E.mkEffect { }).priorCheckPhase")
    result = run_bash(harness(prior="false") + phase, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "WARNING: Prior check FAILED" in result.stderr


def test_get_state_registers_the_librarys_failure_hook(tmp_path: Path) -> None:
    phase = evaluate(tmp_path, "(E.mkEffect { }).getStatePhase")
    assert phase.split("\n")[-2].strip() == "registerPutStatePhaseOnFailure"
    assert (
        "registerPutStatePhaseOnFailure()"
        in (LIBRARY / "effects/effect/effects-setup-hook.sh").read_text()
    )


# --- what needs the module system ---------------------------------------------------------


MODULAR = """\
{
  update = E.modularEffect {
    imports = [ E.modules.git-update ];
    git.checkout.remote.url = "https://github.com/example/repo";
    git.checkout.forgeType = "github";
    git.update.branch = "update";
    git.update.script = "echo hi";
  };
  guarded = E.runIf true (E.modularEffect { effectScript = "echo hi"; });
  written = E.gitWriteBranch { contents = ./.; destination = "docs"; };
}
"""


def test_module_system_effects_are_unknowns_not_no_ops(tmp_path: Path) -> None:
    status, document, err = describe(tmp_path, MODULAR)
    assert status == 0, err
    assert document is not None
    assert document["effects"] == []
    unknowns = {u["attrPath"]: u["unknown"] for u in document["unknowns"]}
    assert set(unknowns) == {"update", "guarded", "written"}
    for provenance in unknowns.values():
        assert "module system" in provenance


def test_module_system_effects_are_refused_by_run(tmp_path: Path) -> None:
    (tmp_path / "ci.nix").write_text(PRELUDE + MODULAR)
    for backend in ("script", "local"):
        done = ci_eval(
            tmp_path, "run", "--backend", backend, "--as-branch", "main", "ci.nix", "-A", "update"
        )
        assert done.returncode != 0
        assert "Traceback" not in done.stderr
        assert "module system" in done.stderr
        assert "error[E301]: 'update' might hold effects, but it is unknown" in done.stderr
        assert "--> ci.nix:" in done.stderr  # the user's call, not a model's file
    # the plan shows it, not planned
    done = ci_eval(tmp_path, "run", "--as-branch", "main", "ci.nix", "-A", "update")
    assert done.returncode == 0, done.stderr
    assert "update: unknown, it might hold effects:" in done.stdout
    assert "module system" in done.stdout


# --- the stand-ins ---------------------------------------------------------------------------


def test_stand_ins_keep_the_librarys_names_and_the_users_secrets(tmp_path: Path) -> None:
    body = """\
{
  netlify = E.netlifyDeploy {
    content = ./.; siteId = "site"; secretName = "netlify-token"; secretsMap.extra = "x";
  };
  nixos = E.runNixOS {
    configuration = ./configuration.nix; ssh.destination = "root@host";
    secretsMap.ssh = "host-ssh";
  };
  darwin = E.runNixDarwin {
    configuration = ./darwin.nix; nix-darwin = ./nix-darwin; system = "aarch64-darwin";
    ssh.destination = "mac"; secretsMap.ssh = "mac-ssh";
  };
  update = E.flakeUpdate { gitRemote = "https://github.com/example/repo"; };
  put = E.runPutUrl { name = "p"; url = "https://example.invalid/x"; file = ./ci.nix; };
}
"""
    status, document, err = describe(tmp_path, body)
    assert status == 0, err
    assert document is not None
    effects = {e["attrPath"]: e for e in document["effects"]}
    assert effects["netlify"]["name"] == "effect"
    assert effects["netlify"]["secretsMap"] == {"extra": "x", "netlify": "netlify-token"}
    assert effects["netlify"]["env"]["NETLIFY_SITE_ID"] == "site"
    assert effects["nixos"]["name"] == "effect-nixos-root-host"
    assert effects["nixos"]["secretsMap"] == {"ssh": "host-ssh"}
    assert effects["darwin"]["secretsMap"] == {"ssh": "mac-ssh"}
    assert effects["put"]["name"] == "effect-put-url-p"
    env = effects["update"]["env"]
    assert env["HCI_GIT_REMOTE_URL"] == "https://github.com/example/repo"
    assert env["HCI_GIT_UPDATE_BRANCH"] == "flake-update"
    assert env["HCI_GIT_UPDATE_PR_TITLE"] == "`flake.lock`: Update"
    assert not {"gitRemote", "updateBranch", "forgeType"} & set(env)
    # Each variable is one the library's git modules set.
    modules = "".join(
        (LIBRARY / "effects/modules" / f).read_text() for f in ("git.nix", "git-update.nix")
    )
    for name in env:
        assert re.search(rf"\b{name} =", modules), name


def guide_ci_file() -> str:
    """The ci.nix of the library's guide "Deploy a NixOS machine", as printed there."""
    guide = (LIBRARY / "docs/modules/ROOT/pages/guide/deploy-a-nixos-machine.adoc").read_text()
    after = guide[guide.index("create a `ci.nix` file") :]
    return after.split("```nix\n", 1)[1].split("```", 1)[0]


def test_the_nixos_guide_is_checked_against_its_secrets(tmp_path: Path) -> None:
    (tmp_path / "configuration.nix").write_text("{ }\n")
    status, out = check(tmp_path, guide_ci_file(), secrets={})
    assert status == 1, out
    assert "error[E214]: secretsMap.ssh: secret 'default-ssh' is not in" in out
    good = {"default-ssh": {"kind": "Secret", "data": {"privateKey": "k"}, "condition": True}}
    status, out = check(tmp_path, guide_ci_file(), secrets=good)
    assert "error[" not in out, out


# --- E216: what writeSSHKey needs ------------------------------------------------------------

SSH_KEY = (
    PRELUDE
    + """\
{
  deploy = E.mkEffect {
    secretsMap.ssh = "deploy-ssh";
    userSetupScript = "writeSSHKey ssh";
    effectScript = "ssh root@host true";
  };
}
"""
)


@pytest.mark.parametrize(
    ("data", "missing"),
    [({"privateKey": "k"}, None), ({"publicKey": "p"}, "privateKey")],
    ids=["private-key-only", "no-private-key"],
)
def test_write_ssh_key_needs_only_the_private_key(
    tmp_path: Path, data: dict[str, str], missing: str | None
) -> None:
    secrets = {"deploy-ssh": {"kind": "Secret", "data": data, "condition": True}}
    status, out = check(tmp_path, SSH_KEY, secrets=secrets)
    e216 = [line for line in out.splitlines() if "[E216]" in line]
    if missing is None:
        assert (status, e216) == (0, []), out
    else:
        assert len(e216) == 1 and f"no data field '{missing}'" in e216[0], out


# --- E208 / W204: deploy.json as cachix reads it ----------------------------------------------

LIBRARY_TEST = """\
{
  simple = E.runIf {when} (
    E.runCachixDeploy {
      deploy.agent.a =
        (pkgs.nixos {
          fileSystems."/".device = "x";
          fileSystems."/".fsType = "ext4";
          boot.loader.grub.enable = false;
        }).config.system.build.toplevel;
    }
  );
}
"""


def test_the_librarys_cachix_test_passes(tmp_path: Path) -> None:
    """effects/cachix-deploy/test.nix: `runIf false` never activates the deploy.json."""
    assert "deploy.agent.a" in (LIBRARY / "effects/cachix-deploy/test.nix").read_text()
    status, document, err = describe(tmp_path, LIBRARY_TEST.replace("{when}", "false"))
    assert status == 0, err
    assert document is not None and document["effects"][0]["mode"] == "dependencies"
    assert "warning[W204]: cachix deploy activate ignores the deploy.json field 'agent'" in err
    assert "error[" not in err


def test_a_running_deploy_without_agents_is_e208_at_the_typo(tmp_path: Path) -> None:
    status, _, err = describe(tmp_path, LIBRARY_TEST.replace("{when}", "true"), "--format", "json")
    assert status == 1
    first = err.split("\n\n")[0]
    assert "error[E208]: deploy.json needs `agents`" in first
    assert f"{PRELUDE.count(chr(10)) + 4}:7" in first  # the `deploy.agent.a` line
    assert "did you mean 'agents' instead of 'agent'?" in first


def test_ignored_deploy_fields_are_a_warning(tmp_path: Path) -> None:
    body = '{ d = E.runCachixDeploy { deploy.agents.a = "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-x"; deploy.comment = "c"; }; }\n'
    status, document, err = describe(tmp_path, body)
    assert status == 0, err
    assert "warning[W204]: cachix deploy activate ignores the deploy.json field 'comment'" in err
    assert document is not None
    assert document["effects"][0]["details"]["deploy"]["comment"] == "c"


# --- the description says where the effect came from -----------------------------------------


def test_every_described_effect_names_the_bundled_model(tmp_path: Path) -> None:
    body = """\
{
  a = E.mkEffect { effectScript = "true"; };
  b = E.runIf false (E.runCachixDeploy { deploy.agents.x = "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-y"; });
  c = E.netlifyDeploy { content = ./.; siteId = "s"; secretName = "n"; };
}
"""
    status, document, err = describe(tmp_path, body)
    assert status == 0, err
    assert document is not None
    assert validate_document(document) == []
    libraries = [e["library"] for e in document["effects"]]
    assert libraries == [{"kind": "bundled model", "revision": BUNDLED_REVISION, "path": None}] * 3


def test_the_bundled_revision_is_the_pinned_library() -> None:
    readme = ROOT.parent / "shared/data/inputs/README.md"
    if not readme.is_file():
        pytest.skip(f"needs the pinned inputs' list, {readme}")
    line = f"| `hercules-ci-effects/` | hercules-ci/hercules-ci-effects | `{BUNDLED_REVISION}`"
    assert line in readme.read_text()


def test_the_schema_takes_the_librarys_source_too(tmp_path: Path) -> None:
    # An effect the library's source made (its own schema, effect-library), with or
    # without a revision; the bundled model's form has no path.
    source = json.loads((ROOT / "tests" / "descriptions" / "library-mkEffect.json").read_text())
    source["effects"][0]["library"]["revision"] = None
    assert validate_document(source) == []
    status, document, err = describe(tmp_path, "{ a = E.mkEffect { }; }\n")
    assert status == 0 and document is not None, err
    effect = document["effects"][0]
    effect["library"] = {"kind": "bundled model", "revision": BUNDLED_REVISION, "path": "/x"}
    assert [p.pointer for p in validate_document(document)] == ["/effects/0/library/path"]
