"""The real hercules-ci-effects over the modelled nixpkgs: the effects of
``fixtures/flake-parts-deploy`` (``withSystem`` + ``hci-effects.mkEffect`` with
``writeSSHKey``, ``runNixOS``, ``modularEffect`` with ``modules.git-update``,
``hercules-ci.github-pages``) are made by the library's own code from the reference
sources in ``../shared/data/inputs/`` and read off their derivations. Each field checked
here is named with the library code it comes from."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .library_projects import (
    LIBRARY,
    OVERLAY_PKGS,
    REVISION,
    flake_parts_overrides,
    nixpkgs_tree,
    search_path,
)
from .references import defined_at
from .test_real_inputs import FIXTURES, INPUTS, ROOT, ci_eval

pytestmark = pytest.mark.skipif(
    not INPUTS.is_dir(), reason=f"the reference sources are not here ({INPUTS}, in ../shared)"
)

DEPLOY = FIXTURES / "flake-parts-deploy"
JOB = "herculesCI.onPush.default.outputs.effects"


@pytest.fixture(scope="module")
def effects() -> dict[str, dict[str, Any]]:
    status, out, err = ci_eval(
        os.path.relpath(DEPLOY, ROOT), "--as-branch", "main", "--offline", *flake_parts_overrides()
    )
    assert status == 0, err
    document = json.loads(out)
    return {e["attrPath"].removeprefix(JOB + "."): e for e in document["effects"]}


def test_every_effect_is_the_library_s(effects: dict[str, dict[str, Any]]) -> None:
    assert {name: e["function"] for name, e in effects.items()} == {
        "deploy.run": "mkEffect",
        "gh-pages": "gitWriteBranch",
        "machine": "runNixOS",
        "readme": "modularEffect",
    }
    for effect in effects.values():
        assert effect["library"] == {
            "kind": "source",
            "revision": REVISION,
            "path": str(LIBRARY.resolve()),
        }


def test_mk_effect_with_write_ssh_key(effects: dict[str, dict[str, Any]]) -> None:
    deploy = effects["deploy.run"]
    assert deploy["at"].startswith("fixtures/flake-parts-deploy/flake.nix:")
    # effect.nix: name = "effect-${args.name}"; secretsMap = builtins.toJSON …
    assert deploy["name"] == "effect-deploy"
    assert deploy["secretsMap"] == {"ssh": "neat-deploy-ssh"}
    # effects-setup-hook.sh: writeSSHKey reads .privateKey (publicKey is derived)
    assert deploy["secrets"] == [
        {"name": "ssh", "secret": "neat-deploy-ssh", "fields": ["privateKey"]}
    ]
    # effect.nix: nativeBuildInputs = defaultInputs ++ inputs, defaultInputs first
    names = [i.get("derivation") or i.get("unknown") for i in deploy["inputs"]]
    assert names[0] == "hercules-ci-effect-sh"
    assert names[-2:] == [
        "nixpkgs.legacyPackages.x86_64-linux.openssh",
        "nixpkgs.legacyPackages.x86_64-linux.rsync",
    ]
    # effectPhase: runHook preEffect; eval "$effectScript"; runHook postEffect
    [script] = deploy["phases"]["effect"]
    assert script["from"] == "effectScript"
    assert "rsync -a «pkgs.hello»/ deploy@neat.example.org:/srv/neat/" in script["script"]
    [setup] = deploy["phases"]["userSetup"]
    assert setup["script"].startswith("writeSSHKey ssh\n")
    # the user's arguments, each where it was written
    assert deploy["arguments"]["name"]["at"].startswith("fixtures/flake-parts-deploy/flake.nix:")


def test_run_nixos(effects: dict[str, dict[str, Any]]) -> None:
    machine = effects["machine"]
    # run-nixos.nix: name = "nixos-${ssh.destination}", through mkEffect's sanitizing
    assert machine["name"] == "effect-nixos-root-neat.example.org"
    # the user's secretsMap is kept (mkEffect's argument, via removeAttrs args …)
    assert machine["secretsMap"] == {"ssh": "neat-deploy-ssh"}
    assert machine["secrets"][0]["fields"] == ["privateKey"]


def test_modular_effect_with_git_update(effects: dict[str, dict[str, Any]]) -> None:
    readme = effects["readme"]
    # modules/git-update.nix: env.HCI_GIT_UPDATE_BRANCH = config.git.update.branch
    assert readme["env"]["HCI_GIT_UPDATE_BRANCH"] == "readme-update"
    assert readme["env"]["HCI_GIT_UPDATE_PR_TITLE"] == "Record the last build"
    # effect-module.nix: secretsMap, through mkEffect
    assert readme["secretsMap"] == {"token": {"type": "GitToken"}}
    # modules/git.nix: the committer
    assert readme["env"]["GIT_AUTHOR_NAME"] == "Hercules CI Effects"


def test_github_pages(effects: dict[str, dict[str, Any]]) -> None:
    pages = effects["gh-pages"]
    # github-pages.nix: git.update.branch = "gh-pages"
    assert pages["env"]["HCI_GIT_UPDATE_BRANCH"] == "gh-pages"
    # at the user's first `hercules-ci.github-pages` definition; the module's call
    assert pages["at"].endswith(defined_at(DEPLOY / "flake.nix", "hercules-ci.github-pages"))
    assert pages["module"]["option"] == "hercules-ci.github-pages"
    assert "/flake-modules/github-pages.nix:" in pages["module"]["call"]


def test_the_list_names_the_library_functions() -> None:
    status, out, err = ci_eval(
        os.path.relpath(DEPLOY, ROOT),
        "--as-branch",
        "main",
        "--offline",
        "--list",
        *flake_parts_overrides(),
    )
    assert status == 0, err
    listed = {e["attrPath"]: e["function"] for e in json.loads(out)}
    assert listed[f"{JOB}.machine"] == "runNixOS"


def test_builders_are_modelled(tmp_path: Path) -> None:
    # writeShellApplication's text, with a modelled package on PATH (trivial-builders)
    nixpkgs = nixpkgs_tree(tmp_path / "nixpkgs")
    expression = (
        'let pkgs = import <nixpkgs> { system = "x86_64-linux"; }; in '
        '(pkgs.writeShellApplication { name = "a"; runtimeInputs = [ pkgs.jq ]; text = "jq ."; }).text'
    )
    status, out, err = ci_eval("--eval", "-I", f"nixpkgs={nixpkgs}", "-E", expression)
    assert status == 0, err
    text = json.loads(out.replace("\\$", "$")) if out.startswith('"') else out
    assert "set -o errexit" in text
    assert 'export PATH="/nix/store/«pkgs.jq.bin»/bin:$PATH"' in text


def test_run_if_is_kept_through_the_module_system(effects: dict[str, dict[str, Any]]) -> None:
    # effects/default.nix: runIf condition v = recurseIntoAttrs { run = v; } (condition
    # true); the herculesCI option copies the set, the effect under `run` is the same.
    deploy = effects["deploy.run"]
    assert deploy["mode"] == "run"
    assert deploy["runIf"]["expression"] == 'config.repo.branch == "main"'
    assert deploy["runIf"]["condition"] is True


# --- a legacy ci.nix with the library's overlay ---------------------------------------------

LEGACY = """\
{ src ? { ref = "refs/heads/main"; } }:
let
OVERLAY_PKGS
  inherit (pkgs.effects) runIf runCachixDeploy runNixOps netlifyDeploy;
in {
  cachix = runIf (src.ref == "refs/heads/main") (runCachixDeploy {
    deploy.agents.m1 = pkgs.hello;
    async = true;
  });
  nixops = runNixOps { name = "neat"; src = ./.; networkFiles = [ "network.nix" ]; };
  nixops2 = pkgs.effects.runNixOps2 { flake = { outPath = ./.; }; };
  netlify = netlifyDeploy { content = pkgs.hello; secretName = "netlify"; siteId = "abc"; };
  arion = pkgs.effects.runArion { name = "a"; modules = [ ]; };
  cargo = pkgs.effects.cargoPublish { src = ./.; secretName = "crates"; };
  overSsh = pkgs.effects.mkEffect {
    name = "s";
    effectScript = pkgs.effects.ssh { destination = "h.example.org"; } "uptime";
  };
  inShell = pkgs.effects.mkEffect {
    name = "sh";
    effectScript = pkgs.effects.nix-shell { shell = pkgs.mkShell { }; } "make";
  };
  ownPhase = pkgs.effects.mkEffect {
    name = "own";
    preEffectPhases = "announcePhase";
    announcePhase = "echo announcing\n";
    effectScript = "echo done";
  };
  put = pkgs.effects.runPutUrl {
    name = "site";
    url = "https://example.org/x";
    file = pkgs.writeText "x" "y";
  };
  darwin = pkgs.effects.runNixDarwin {
    config = {
      system.build.toplevel = pkgs.hello;
      system.profile = "/nix/var/nix/profiles/system";
      environment.systemPackages = [ ];
      networking.hostName = "mac";
    };
    ssh.destination = "mac.example.org";
    secretsMap.ssh = "mac-ssh";
  };
  branch = pkgs.effects.gitWriteBranch {
    git.checkout.remote.url = "https://github.com/o/r";
    git.checkout.forgeType = "github";
    git.update.branch = "pages";
    contents = pkgs.hello;
  };
}
"""


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose ci.nix takes nixpkgs (a tree with the reference lib) and the
    library from the search path, as the guide's `ci.nix` takes pinned tarballs."""
    root = tmp_path_factory.mktemp("legacy")
    nixpkgs_tree(root / "nixpkgs")
    project = root / "project"
    project.mkdir()
    (project / "ci.nix").write_text(LEGACY.replace("OVERLAY_PKGS", OVERLAY_PKGS))
    (project / "network.nix").write_text("{ }\n")
    return root


def legacy_describe(root: Path, attr: str) -> tuple[int, dict[str, Any] | None, str]:
    status, out, err = ci_eval(
        str(root / "project" / "ci.nix"),
        "-A",
        attr,
        "--offline",
        "--as-branch",
        "main",
        *search_path(root / "nixpkgs"),
    )
    return status, json.loads(out) if status == 0 else None, err


def test_run_cachix_deploy_from_the_overlay(legacy: Path) -> None:
    status, document, err = legacy_describe(legacy, "cachix")
    assert status == 0, err
    assert document is not None
    [effect] = document["effects"]
    assert effect["function"] == "runCachixDeploy"
    assert effect["library"]["kind"] == "source"
    # run-cachix-deploy.nix: name = "cachix-deploy-effect"; the default activate secret
    assert effect["name"] == "effect-cachix-deploy-effect"
    assert effect["secretsMap"] == {"activate": "default-cachix-activate"}
    assert effect["secrets"][0]["fields"] == ["cachixActivateToken"]
    # `cachix deploy activate ${deployJsonFile} ${optionalString async "--async"}`, the
    # library's own text, read as the command it is; the deploy.json is a modelled
    # writeText of the user's `deploy`
    assert effect["phases"]["effect"] == [
        {"run": ["cachix", "deploy", "activate", "«cachix-deploy.json»", "--async"]}
    ]
    # its userSetupScript has a command substitution: a script, as the library wrote it
    [setup] = effect["phases"]["userSetup"]
    assert setup == {
        "script": 'export CACHIX_ACTIVATE_TOKEN="$(readSecretString activate '
        '.cachixActivateToken)"\n',
        "from": "userSetupScript",
    }


def test_run_nixops_from_the_overlay(legacy: Path) -> None:
    status, document, err = legacy_describe(legacy, "nixops")
    assert status == 0, err
    assert document is not None
    [effect] = document["effects"]
    assert effect["name"] == "effect-nixops-neat"
    # run-nixops.nix: the state file `nixops-${name}.json`, got and put
    assert {"name": "nixops-neat.json", "file": "$stateFileName", "read": True, "write": True} in (
        effect["stateFiles"]
    )
    # run-nixops.nix's effectScript: simple commands, as argument lists
    assert effect["phases"]["effect"] == [
        {"run": ["echo", "-n", "version: "]},
        {"run": ["nixops", "--version"]},
        {"run": ["nixops", "deploy", "--confirm", "--allow-reboot", "--allow-recreate"]},
    ]
    # its postGetState branches (`if test -f …`): a script
    assert effect["phases"]["getState"][1]["from"] == "postGetState"
    # its prebuilt NixOps evaluation needs the nixops package's files: unknown
    assert "a modelled build output" in effect["prebuilt"]["unknown"]


def test_a_library_throw_is_the_library_s_message(legacy: Path) -> None:
    # run-nixops2.nix: with a recent nixpkgs, `nixops` must be given
    status, _, err = legacy_describe(legacy, "nixops2")
    assert status == 1
    assert "runNixOps2: in recent Nixpkgs, nixops_unstable has been replaced" in err
    assert "Traceback" not in err
    # at the user's call, the library's line as a note
    assert "project/ci.nix:" in err.split("\n\n")[1]
    assert "hercules-ci-effects' runNixOps2 checks this here" in err
    assert "effects/nixops2/run-nixops2.nix:" in err


def only_effect(legacy: Path, attr: str) -> dict[str, Any]:
    status, document, err = legacy_describe(legacy, attr)
    assert status == 0, err
    assert document is not None
    [effect] = document["effects"]
    assert effect["library"]["kind"] == "source"
    return effect


def test_netlify_deploy(legacy: Path) -> None:
    effect = only_effect(legacy, "netlify")
    # netlify/default.nix: mkEffect without a name; secretsMap.netlify = secretName
    assert effect["name"] == "effect"
    assert effect["secretsMap"] == {"netlify": "netlify"}
    # netlify-setup-hook.sh (in the effect's inputs): readSecretString netlify
    # .${netlifySecretField:-token}
    assert effect["secrets"][0]["fields"] == ["token"]
    script = effect["phases"]["effect"][0]["script"]
    assert "netlify deploy \\\n  '--dir=«pkgs.hello»' --json" in script


def test_run_arion(legacy: Path) -> None:
    effect = only_effect(legacy, "arion")
    assert effect["name"] == "effect-arion-a"
    assert "arion --prebuilt-file prebuilt.json up -d" in effect["phases"]["effect"][0]["script"]


def test_cargo_publish(legacy: Path) -> None:
    effect = only_effect(legacy, "cargo")
    # cargo/default.nix: secretsMap.cargo = secretName
    assert effect["secretsMap"] == {"cargo": "crates"}
    assert "cargo publish" in effect["phases"]["effect"][0]["script"]


def test_ssh_and_nix_shell(legacy: Path) -> None:
    ssh = only_effect(legacy, "overSsh")["phases"]["effect"][0]["script"]
    # ssh/call-ssh.nix: nix-copy-closure of the script's references, then ssh
    assert "ssh   h.example.org -- uptime" in ssh
    shell = only_effect(legacy, "inShell")["phases"]["effect"][0]["script"]
    # nix-shell/default.nix: "${nix}/bin/nix-shell ${drvPath} --run ${escapeShellArg run}"
    assert shell == "«pkgs.nix»/bin/nix-shell «nix-shell».drv --run make"


def test_git_write_branch(legacy: Path) -> None:
    effect = only_effect(legacy, "branch")
    assert effect["name"] == "effect-write-branch"
    assert effect["env"]["HCI_GIT_UPDATE_BRANCH"] == "pages"
    assert effect["env"]["HCI_GIT_REMOTE_URL"] == "https://github.com/o/r"
    # modules/git-auth.nix: the token, read by the library's readSecretString
    setup = effect["phases"]["userSetup"][0]["script"]
    assert "readSecretString token .token" in setup
    assert (
        effect["secrets"]
        == [{"name": "token", "secret": {"type": "GitToken"}, "fields": [".token"]}]
        or effect["secrets"][0]["name"] == "token"
    )


def test_run_put_url(legacy: Path) -> None:
    effect = only_effect(legacy, "put")
    # run-put-url.nix: name = "put-url-${name}"; `file` an attribute, so an env variable
    assert effect["name"] == "effect-put-url-site"
    assert effect["env"]["file"] == "«x»"
    # `curl -XPUT --upload-file "$file" … ${url}`: $file from the environment
    [put] = effect["phases"]["effect"]
    assert put["run"][:4] == ["curl", "-XPUT", "--upload-file", "«x»"]
    assert put["run"][-1] == "https://example.org/x"


def test_run_nix_darwin(legacy: Path) -> None:
    effect = only_effect(legacy, "darwin")
    # run-nix-darwin.nix: name = "nix-darwin-${config.networking.hostName}"; secretsMap kept
    assert effect["name"] == "effect-nix-darwin-mac"
    assert effect["secretsMap"] == {"ssh": "mac-ssh"}
    script = effect["phases"]["effect"][0]["script"]
    assert "ssh   mac.example.org --" in script
    assert "«pkgs.hello»/activate-user" in script


def test_check_with_the_inputs_given(tmp_path: Path) -> None:
    # `check` never fetches; --override-input gives it the inputs, and the real library's
    # effects are checked: a secret the secrets file lacks is E214 at the user's secretsMap
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"other": {"kind": "Secret", "data": {}}}))
    status, out, err = ci_eval(
        "check",
        os.path.relpath(DEPLOY / "flake.nix", ROOT),
        "--secrets",
        str(secrets),
        *flake_parts_overrides(),
    )
    assert status == 1, err
    lines = [line for line in (out + err).splitlines() if "error[" in line]
    assert (
        lines
        == ["error[E214]: secretsMap.ssh: secret 'neat-deploy-ssh' is not in " + str(secrets)] * 2
    ), out + err
    assert "--> fixtures/flake-parts-deploy/flake.nix:33:30" in out + err
    assert "--> fixtures/flake-parts-deploy/flake.nix:47:30" in out + err


def test_a_phase_of_the_user_s_own(legacy: Path) -> None:
    # mkEffect's `preEffectPhases` adds phases to `phases` (effect.nix); each is shown by
    # its name, and the builder runs it in its place
    effect = only_effect(legacy, "ownPhase")
    assert list(effect["phases"]) == ["announce", "effect"]
    assert effect["phases"]["announce"] == [
        {"script": "echo announcing\n", "from": "announcePhase"}
    ]
    assert effect["builder"]["phases"].index("announcePhase") < effect["builder"]["phases"].index(
        "effectPhase"
    )
