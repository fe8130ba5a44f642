"""The real hercules-ci-effects' flake modules and lib functions over the modelled nixpkgs:
``hercules-ci.github-releases``, ``hercules-ci.cargo-publish``, ``defaultEffectSystem``,
``herculesCI.ciSystems`` and the other ``herculesCI`` options, ``hercules-ci.flake-update``
beyond its defaults, ``lib.mkHerculesCI`` for a flake without flake-parts, and
``lib.withPkgs``. Each project is evaluated with the reference sources of
``../shared/data/inputs/`` (``--override-input``), and each field checked is named with
the library code it comes from (paths relative to the library's root).

The projects are copied into git repositories of their own with a GitHub remote, as
Hercules CI checks them out: the repository's owner, name and URLs (``config.repo.*``)
come from git's ``remote.origin.url``, and a flake sees only the files git tracks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .library_projects import LIBRARY, REVISION, flake_parts_overrides, nixpkgs_tree
from .references import FLAKE_PARTS_INPUTS, defined_at
from .test_real_inputs import FIXTURES, INPUTS, ci_eval

pytestmark = pytest.mark.skipif(
    not INPUTS.is_dir(), reason=f"the reference sources are not here ({INPUTS}, in ../shared)"
)

RELEASE = FIXTURES / "flake-parts-release"
PUSH = "herculesCI.onPush.default.outputs.effects"
UPDATE = "herculesCI.onSchedule.flake-update.outputs.effects.flake-update"
EFFECT_SYSTEM = "aarch64-linux"  # the fixture's defaultEffectSystem


def git_project(files: Path | dict[str, str], where: Path, remote: str) -> Path:
    """A git repository at `where` holding `files` (a directory to copy, or names to
    texts), committed on `main`, with `remote` as its origin."""
    if isinstance(files, Path):
        shutil.copytree(files, where)
    else:
        where.mkdir(parents=True)
        for name, text in files.items():
            (where / name).write_text(text, encoding="utf-8")
    git = ["git", "-C", str(where), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "neat"], check=True)
    return where


def describe(project: Path, checkout: list[str], overrides: list[str]) -> dict[str, Any]:
    status, out, err = ci_eval(str(project), *checkout, "--offline", *overrides)
    assert status == 0, err
    assert "Traceback" not in err
    document: dict[str, Any] = json.loads(out)
    return document


def by_path(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["attrPath"]: e for e in document["effects"]}


def effect_script(effect: dict[str, Any]) -> Any:
    [step] = effect["phases"]["effect"]
    assert step["from"] == "effectScript"
    return step["script"]


# --- the fixture: github-releases, cargo-publish, flake-update --------------------------------


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return git_project(
        RELEASE,
        tmp_path_factory.mktemp("release") / "neat-release",
        "https://github.com/neat-org/neat-release.git",
    )


@pytest.fixture(scope="module")
def on_tag(release_repo: Path) -> dict[str, Any]:
    return describe(release_repo, ["--as-tag", "v1.0"], flake_parts_overrides())


@pytest.fixture(scope="module")
def on_main(release_repo: Path) -> dict[str, Any]:
    return describe(release_repo, ["--as-branch", "main"], flake_parts_overrides())


@pytest.fixture(scope="module")
def on_release(release_repo: Path) -> dict[str, Any]:
    return describe(release_repo, ["--as-branch", "release"], flake_parts_overrides())


def test_the_effects_of_each_checkout(
    on_tag: dict[str, Any], on_main: dict[str, Any], on_release: dict[str, Any]
) -> None:
    # flake-modules/github-releases/default.nix: `onPush.${pushJobName}.outputs.effects.
    # github-releases = lib.optionalAttrs (cfg.condition herculesCI.config.repo) deploy`:
    # the fixture's condition is `tag != null || branch == "release"`.
    functions = {
        f"{PUSH}.cargo-publish": "cargoPublish",
        f"{PUSH}.github-releases": "modularEffect",
        UPDATE: "flakeUpdate",
    }
    assert {p: e["function"] for p, e in by_path(on_tag).items()} == functions
    assert {p: e["function"] for p, e in by_path(on_release).items()} == functions
    del functions[f"{PUSH}.github-releases"]
    assert {p: e["function"] for p, e in by_path(on_main).items()} == functions
    for document in (on_tag, on_main, on_release):
        for effect in document["effects"]:
            assert effect["library"] == {
                "kind": "source",
                "revision": REVISION,
                "path": str(LIBRARY.resolve()),
            }
            # herculesCI-helpers.nix adds `out._debug = config`: not a job, not walked
            assert "_debug" not in effect["attrPath"]


def test_github_releases_release_tag(on_tag: dict[str, Any], on_release: dict[str, Any]) -> None:
    # github-releases/default.nix: env.releaseTag = cfg.releaseTag herculesCI; the
    # fixture's releaseTag is the tag, else "nightly-${repo.shortRev}"
    assert by_path(on_tag)[f"{PUSH}.github-releases"]["env"]["releaseTag"] == "v1.0"
    rev = on_release["checkout"]["rev"]
    assert isinstance(rev, str) and len(rev) == 40
    released = by_path(on_release)[f"{PUSH}.github-releases"]
    # herculesCI-attribute.nix: repo.shortRev = primaryRepo.shortRev (7 characters)
    assert released["env"]["releaseTag"] == f"nightly-{rev[:7]}"


def store_path_of(path: Path) -> str:
    """Where Nix copies `path` when it is made a string: Nix itself says (the oracle)."""
    nix = shutil.which("nix-instantiate")
    assert nix is not None, "nix-instantiate (Debian's nix-bin) is needed as the oracle"
    out = subprocess.run(
        [nix, "--eval", "--readonly-mode", "--json", "-E", f'"${{{path}}}"'],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "NIX_REMOTE": "dummy://"},
    ).stdout
    text = json.loads(out)
    assert isinstance(text, str) and text.startswith("/nix/store/")
    return text


def test_github_releases_files(on_tag: dict[str, Any], release_repo: Path) -> None:
    effect = by_path(on_tag)[f"{PUSH}.github-releases"]
    # github-releases/default.nix: files = map (v: v._out) (cfg.files ++ systemFiles);
    # env.files = builtins.toJSON files. `_out` is { label, path } for a file and
    # { label, paths, archiver } for an archive (fileSpec); a path is copied to the store.
    files = json.loads(effect["env"]["files"])
    assert files[:2] == [
        # `withSystem "x86_64-linux"`: the perSystem package, a modelled writeTextDir
        {"label": "neat-manual.html", "path": "«index.html»/share/doc/neat/index.html"},
        {
            "label": "neat-src.zip",
            "paths": [store_path_of(release_repo / "src")],
            "archiver": "zip",
        },
    ]
    # systemFiles: filesPerSystem for each of `releaseSystems = if cfg.systems == null then
    # config.ciSystems …` — the fixture's herculesCI.ciSystems, not aarch64-darwin; the
    # path is `lib.getExe` of writeShellScriptBin (meta.mainProgram)
    assert files[2:] == [
        {"label": "neat-x86_64-linux", "path": "«neat»/bin/neat"},
        {"label": "neat-aarch64-linux", "path": "«neat»/bin/neat"},
    ]


def test_github_releases_effect(on_tag: dict[str, Any]) -> None:
    effect = by_path(on_tag)[f"{PUSH}.github-releases"]
    # the user's `hercules-ci.github-releases = {`; the module's own call in its file
    assert effect["at"].endswith(defined_at(RELEASE / "flake.nix", "hercules-ci.github-releases"))
    assert effect["module"]["option"] == "hercules-ci.github-releases"
    assert "/flake-modules/github-releases/default.nix:" in effect["module"]["call"]
    # effect-module.nix: name defaults to null, so mkEffect's name = "effect"
    assert effect["name"] == "effect"
    # github-releases/default.nix: secretsMap.token = { type = "GitToken"; }
    assert effect["secretsMap"] == {"token": {"type": "GitToken"}}
    # env: `inherit (config.repo) owner; repo = config.repo.name; inherit (cfg)
    # skipIfExists` (false: the empty string, as Nix makes a derivation's environment)
    assert effect["env"]["owner"] == "neat-org"
    assert effect["env"]["repo"] == "neat-release"
    assert effect["env"]["skipIfExists"] == ""
    # effectScript = lib.getExe (artifacts-tool pkgs): packages/artifacts-tool/package.nix
    # is `writers.writePython3Bin "artifacts-tool"`
    assert effect_script(effect) == "«artifacts-tool»/bin/artifacts-tool"
    # inputs = [ pkgs.zip ] of `withSystem defaultEffectSystem`, after mkEffect's defaults
    assert effect["inputs"][-1]["unknown"] == f"nixpkgs.legacyPackages.{EFFECT_SYSTEM}.zip"
    # imports modules/git-auth-gh.nix: the token in the credentials and gh's hosts.yml,
    # the remote from `git.checkout.remote.url = config.repo.remoteHttpUrl`
    [setup] = effect["phases"]["userSetup"]
    assert (
        'echo "https://git:$(readSecretString token .token)@github.com/neat-org/neat-release.git"'
        in setup["script"]
    )
    assert "oauth_token: $(readSecretString token .token)" in setup["script"]


def test_cargo_publish_on_a_tag(on_tag: dict[str, Any], release_repo: Path) -> None:
    effect = by_path(on_tag)[f"{PUSH}.cargo-publish"]
    assert effect["at"].endswith(defined_at(RELEASE / "flake.nix", "hercules-ci.cargo-publish"))
    assert effect["module"] == {
        "option": "hercules-ci.cargo-publish",
        "call": effect["module"]["call"],
    }
    assert "/effects/cargo/flake-module.nix:" in effect["module"]["call"]
    arguments = {name: a["value"] for name, a in effect["arguments"].items()}
    # cargo/flake-module.nix: dryRun = config.repo.tag == null; src defaults to
    # self.outPath; assertVersions = { } unless cfg.assertVersions
    assert arguments["dryRun"] is False
    assert arguments["src"] == str(release_repo)
    assert arguments["secretName"] == "crates-io"
    assert arguments["assertVersions"] == {}
    # cargo/default.nix: mkEffect without a name; secretsMap.cargo = secretName unless dryRun
    assert effect["name"] == "effect"
    assert effect["secretsMap"] == {"cargo": "crates-io"}
    # removeAttrs args [ "assertVersions" ]: not in the environment
    assert "assertVersions" not in effect["env"]
    assert effect["env"]["extraPublishArgs"] == "--allow-dirty"
    # inputs = [ cargo ], from the effect system's pkgs
    assert effect["inputs"][-1]["unknown"] == f"nixpkgs.legacyPackages.{EFFECT_SYSTEM}.cargo"
    script = effect_script(effect)
    # `cargo publish --manifest-path ${manifestPath} … ${lib.escapeShellArgs
    # extraPublishArgs} --no-verify`, no --dry-run
    publish = script[script.index("cargo publish") :]
    assert "--manifest-path Cargo.toml" in publish
    assert "--allow-dirty \\\n--no-verify" in publish
    assert "--dry-run" not in script


def test_cargo_publish_on_a_branch_is_a_dry_run(on_main: dict[str, Any]) -> None:
    effect = by_path(on_main)[f"{PUSH}.cargo-publish"]
    assert effect["arguments"]["dryRun"]["value"] is True
    # cargo/default.nix: secretsMap = optionalAttrs (!dryRun) { cargo = secretName; }
    assert effect["secretsMap"] == {}
    script = effect_script(effect)
    assert "Running in dry-run mode, not publishing." in script
    assert "--dry-run \\\n" in script[script.index("cargo publish") :]


def test_cargo_publish_reads_the_token_field(on_tag: dict[str, Any]) -> None:
    # cargo/default.nix: buildInputs = [ cargoSetupHook ] (not dryRun), a runCommand that
    # copies cargo-setup-hook.sh, which reads `readSecretString cargo .${cargoSecretField:-token}`
    effect = by_path(on_tag)[f"{PUSH}.cargo-publish"]
    assert effect["secrets"] == [{"name": "cargo", "secret": "crates-io", "fields": ["token"]}]


def test_cargo_publish_null_registry_url_is_not_in_the_environment(
    on_tag: dict[str, Any],
) -> None:
    assert "registryURL" not in by_path(on_tag)[f"{PUSH}.cargo-publish"]["env"]


def test_default_effect_system(on_tag: dict[str, Any]) -> None:
    # herculesCI-helpers.nix: defaultEffectSystem (the fixture's aarch64-linux); each
    # effect is made by `withSystem defaultEffectSystem` (github-releases, cargo) or
    # `withSystem cfg.effect.system`, whose default is config.defaultEffectSystem
    # (flake-update): every package of its inputs is that system's.
    for effect in on_tag["effects"]:
        systems = {
            i["unknown"].split(".")[2]
            for i in effect["inputs"]
            if "unknown" in i and i["unknown"].startswith("nixpkgs.legacyPackages.")
        }
        assert systems == {EFFECT_SYSTEM}, effect["attrPath"]


def test_flake_update_options(on_main: dict[str, Any]) -> None:
    # herculesCI-attribute.nix, types/when.nix: `when` coerces each field to a list
    assert on_main["schedules"]["herculesCI.onSchedule.flake-update"]["when"] == {
        "hour": [4],
        "dayOfWeek": ["Mon"],
    }
    effect = by_path(on_main)[UPDATE]
    # flake-update/effect-fun.nix: name = "flake-update", through mkEffect
    assert effect["name"] == "effect-flake-update"
    arguments = {name: a["value"] for name, a in effect["arguments"].items()}
    # flake-update/flake-module.nix: `inherit (cfg) updateBranch … flakes`, user
    assert arguments["user"] == "x-access-token"
    assert arguments["autoMergeMethod"] == "squash"
    assert arguments["flakes"] == {
        ".": {"commitSummary": "chore: update nixpkgs", "inputs": ["nixpkgs"]},
        # flakeConfigModule's defaults
        "dev": {"commitSummary": "", "inputs": []},
    }
    env = effect["env"]
    # modules/git-update.nix: env.HCI_GIT_* from git.update
    assert env["HCI_GIT_REMOTE_URL"] == "https://github.com/neat-org/neat-release.git"
    assert env["HCI_GIT_UPDATE_BRANCH"] == "update-inputs"
    assert env["HCI_GIT_UPDATE_PR_TITLE"] == "chore: update flake inputs"
    # baseMerge.* of the flake module, through effect.settings (git.update.baseMerge)
    assert env["HCI_GIT_UPDATE_BASE_MERGE_METHOD"] == "rebase"
    assert env["HCI_GIT_UPDATE_BASE_BRANCH"] == "HEAD"
    assert env["HCI_GIT_UPDATE_PR_BASE"] == "HEAD"
    # the user's effect.settings: a mkForce'd pull request body and an env variable
    assert env["HCI_GIT_UPDATE_PR_BODY"] == "Updated by Hercules CI."
    assert env["NIX_CONFIG"] == "accept-flake-config = false"
    # effect-fun.nix: secretsMap.token = tokenSecret (the GitToken by default)
    assert effect["secretsMap"] == {"token": {"type": "GitToken"}}
    # nix = withSystem cfg.effect.system cfg.nix.package, default `pkgs.nix`: an input
    assert effect["inputs"][-1]["unknown"] == f"nixpkgs.legacyPackages.{EFFECT_SYSTEM}.nix"


def test_flake_update_script_needs_the_nix_version(on_main: dict[str, Any]) -> None:
    # effect-fun.nix: `lib.versionAtLeast nix.version "2.19"` picks the command; the
    # version of nixpkgs' nix is not known offline, so the script is an unknown string
    script = effect_script(by_path(on_main)[UPDATE])
    assert isinstance(script, dict)
    text = script["unknown"]
    assert text.endswith(
        f'(which needs builtins.compareVersions "2.19" nixpkgs.legacyPackages.{EFFECT_SYSTEM}.nix.version)'
    )
    # ... known but for the parts that version decides: effect-fun.nix's `command` and
    # `extraArgs`, shown as the library writes them; the rest is the library's text
    assert "echo 1>&2 'Running nix ${command} in '.'...'" in text
    assert "( cd dev\n" in text
    assert "    ${command} ${extraArgs} \\\n    --commit-lock-file \\\n" in text
    assert '--commit-lockfile-summary "chore: update nixpkgs"' in text
    # modules/git-update.nix around it, bash's own `${…}` escaped as in a Nix string
    assert 'case "\\${HCI_GIT_UPDATE_BASE_MERGE_METHOD:-}" in' in text
    assert "mergeMethod: SQUASH" in text
    # modules/git-auth-gh.nix: the host of the checkout's remote URL, known here
    setup = by_path(on_main)[UPDATE]["phases"]["userSetup"][0]["script"]
    assert '{ echo "github.com:"\n' in setup


def test_flake_update_without_a_remote_url(tmp_path: Path) -> None:
    # Without an origin remote, the repository's URL is unknown: modules/git-auth-gh.nix's
    # setup is known but for the host parsed from it (git-auth.nix's builtins.match)
    project = tmp_path / "neat-release"
    shutil.copytree(RELEASE, project)
    effect = by_path(describe(project, ["--as-branch", "main"], flake_parts_overrides()))[UPDATE]
    setup = effect["phases"]["userSetup"][0]["script"]["unknown"]
    assert '{ echo "${config.git.checkout.remote.parsedUrl.host}:"\n' in setup
    assert "\ngit config --global credential.helper store\n" in setup
    assert (
        setup.endswith(")")
        and '(which needs builtins.match "([a-z]*)://([^/]*)(/?.*)" (primaryRepo.remoteHttpUrl'
        in setup
    )


KNOWN_NIX = """hercules-ci.flake-update = {
        nix.package = { pkgs, ... }: pkgs.stdenv.mkDerivation { pname = "nix"; version = "2.24.9"; };"""


def test_flake_update_script_with_a_known_nix(tmp_path: Path) -> None:
    # The fixture with a Nix whose version is known (nixpkgs' is not, offline).
    flake = (RELEASE / "flake.nix").read_text(encoding="utf-8")
    assert flake.count("hercules-ci.flake-update = {") == 1
    files = {
        "flake.nix": flake.replace("hercules-ci.flake-update = {", KNOWN_NIX),
        "flake.lock": (RELEASE / "flake.lock").read_text(encoding="utf-8"),
    }
    project = git_project(files, tmp_path / "neat", "https://github.com/neat-org/neat.git")
    effect = by_path(describe(project, ["--as-branch", "main"], flake_parts_overrides()))[UPDATE]
    script = effect_script(effect)
    assert isinstance(script, str), script
    # effect-fun.nix: one `( cd ${relPath} … )` per flake, `nix flake update ${inputs}`
    # (Nix 2.19 and later), --commit-lockfile-summary when a summary is given; the
    # location is said when the flakes are not just "."
    assert "echo 1>&2 'Running nix flake update in '.'...'" in script
    assert "( cd .\n" in script and "( cd dev\n" in script
    assert "flake update nixpkgs \\\n    --commit-lock-file \\\n" in script
    assert '--commit-lockfile-summary "chore: update nixpkgs"' in script
    # modules/git-update.nix: the pull request, then github-auto-merge.nix's mutation
    # with `mergeMethod: ${lib.toUpper autoMergeMethod}`
    assert 'if gh pr create \\\n            --head "$HCI_GIT_UPDATE_BRANCH"' in script
    assert "mergeMethod: SQUASH" in script
    # the rebased branch is force-pushed with a lease
    assert "gitPushArgs+=(--force-with-lease)" in script


def test_the_list_shows_the_schedule(release_repo: Path) -> None:
    status, out, err = ci_eval(
        str(release_repo),
        "--as-tag",
        "v1.0",
        "--offline",
        "--list",
        "--format",
        "text",
        *flake_parts_overrides(),
    )
    assert status == 0, err
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    # flake-update/flake-module.nix: onSchedule.flake-update = { inherit (cfg) when; … }
    assert lines[UPDATE] == ["flakeUpdate", "runs", "(onSchedule:", "Mon", "at", "04:xx)"]
    assert lines[f"{PUSH}.github-releases"] == ["modularEffect", "runs"]
    assert lines[f"{PUSH}.cargo-publish"] == ["cargoPublish", "runs"]


# --- a herculesCI module over the herculesCI-attribute.nix options --------------------------

OPTIONS_FLAKE = (
    "{\n"
    + FLAKE_PARTS_INPUTS
    + """  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } ({ withSystem, ... }: {
      imports = [ inputs.hercules-ci-effects.flakeModule ];
      systems = [ "x86_64-linux" "aarch64-darwin" ];

      hercules-ci.github-releases = {
        condition = _: true;
        releaseTag = _: "latest";
        skipIfExists = true;
        pushJobName = "release";
        filesPerSystem = { pkgs, system, ... }: [
          { label = "neat-${system}"; path = pkgs.writeText "neat-${system}" system; }
        ];
      };

      herculesCI = { config, ... }: {
        onPush.release.outputs.effects.info = withSystem "x86_64-linux" ({ hci-effects, ... }:
          hci-effects.mkEffect {
            name = "info";
            effectScript = ''
              echo ref=${config.repo.ref} branch=${config.repo.branch} tag=${toString config.repo.tag}
              echo rev=${config.repo.rev} short=${config.repo.shortRev}
              echo http=${config.repo.remoteHttpUrl} ssh=${config.repo.remoteSshUrl} web=${config.repo.webUrl}
              echo forge=${config.repo.forgeType} owner=${config.repo.owner} name=${config.repo.name}
            '';
          });
        onSchedule.monthly.when = { dayOfMonth = [ 1 15 ]; hour = [ 0 12 ]; minute = 30; };
        onSchedule.monthly.outputs.effects.report = withSystem "x86_64-linux" ({ hci-effects, ... }:
          hci-effects.mkEffect { name = "report"; effectScript = "echo report"; });
        onSchedule.weekly.when = { dayOfWeek = "Fri"; hour = 23; minute = 59; };
        onSchedule.weekly.outputs.effects.clean = withSystem "x86_64-linux" ({ hci-effects, ... }:
          hci-effects.mkEffect { name = "clean"; effectScript = "echo clean"; });
        onSchedule.anytime.outputs.effects.ping = withSystem "x86_64-linux" ({ hci-effects, ... }:
          hci-effects.mkEffect { name = "ping"; effectScript = "echo ping"; });
      };
    });
}
"""
)


@pytest.fixture(scope="module")
def options_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files = {
        "flake.nix": OPTIONS_FLAKE,
        "flake.lock": (RELEASE / "flake.lock").read_text(encoding="utf-8"),
    }
    project = git_project(
        files,
        tmp_path_factory.mktemp("options") / "neat-options",
        "https://github.com/neat-org/neat-options.git",
    )
    return describe(project, ["--as-branch", "main"], flake_parts_overrides())


def test_herculesci_jobs_and_schedules(options_document: dict[str, Any]) -> None:
    # herculesCI-attribute.nix: onPush.<name> and onSchedule.<name>, each with outputs;
    # github-releases' pushJobName puts its effect in the `release` job
    assert set(by_path(options_document)) == {
        "herculesCI.onPush.release.outputs.effects.github-releases",
        "herculesCI.onPush.release.outputs.effects.info",
        "herculesCI.onSchedule.monthly.outputs.effects.report",
        "herculesCI.onSchedule.weekly.outputs.effects.clean",
        "herculesCI.onSchedule.anytime.outputs.effects.ping",
    }
    # types/when.nix: each field a list (coercedTo), minute an int; an unset `when` is
    # all nulls: any time
    schedules = {k: v["when"] for k, v in options_document["schedules"].items()}
    assert schedules == {
        "herculesCI.onSchedule.monthly": {"minute": 30, "hour": [0, 12], "dayOfMonth": [1, 15]},
        "herculesCI.onSchedule.weekly": {"minute": 59, "hour": [23], "dayOfWeek": ["Fri"]},
        "herculesCI.onSchedule.anytime": {},
    }


def test_herculesci_repo_options(options_document: dict[str, Any]) -> None:
    effect = by_path(options_document)["herculesCI.onPush.release.outputs.effects.info"]
    rev = options_document["checkout"]["rev"]
    # herculesCI-attribute.nix: paramModule's repo.* from primaryRepo (tag null on a branch)
    assert effect_script(effect) == (
        f"echo ref=refs/heads/main branch=main tag=\n"
        f"echo rev={rev} short={rev[:7]}\n"
        "echo http=https://github.com/neat-org/neat-options.git"
        " ssh=git@github.com:neat-org/neat-options.git web=https://github.com/neat-org/neat-options\n"
        "echo forge=github owner=neat-org name=neat-options\n"
    )


def test_herculesci_ci_systems_default(options_document: dict[str, Any]) -> None:
    effect = by_path(options_document)["herculesCI.onPush.release.outputs.effects.github-releases"]
    # herculesCI-attribute.nix: ciSystems defaults to flake-parts' `systems`, which
    # github-releases' filesPerSystem runs over when its `systems` is null
    files = json.loads(effect["env"]["files"])
    assert files == [
        {"label": "neat-x86_64-linux", "path": "«neat-x86_64-linux»"},
        {"label": "neat-aarch64-darwin", "path": "«neat-aarch64-darwin»"},
    ]
    # releaseTag and skipIfExists (true: "1" in the environment)
    assert effect["env"]["releaseTag"] == "latest"
    assert effect["env"]["skipIfExists"] == "1"
    # herculesCI-helpers.nix: defaultEffectSystem defaults to x86_64-linux
    assert effect["inputs"][-1]["unknown"] == "nixpkgs.legacyPackages.x86_64-linux.zip"


# --- lib.mkHerculesCI and lib.withPkgs, in a flake without flake-parts ------------------------

MK_HERCULES_CI_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.hercules-ci-effects.url = "github:hercules-ci/hercules-ci-effects";
  inputs.hercules-ci-effects.inputs.nixpkgs.follows = "nixpkgs";

  outputs = inputs@{ self, nixpkgs, hercules-ci-effects, ... }:
    let
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      hci-effects = hercules-ci-effects.lib.withPkgs pkgs;
    in {
      packages.x86_64-linux.default = pkgs.hello;
      herculesCI = hercules-ci-effects.lib.mkHerculesCI { inherit inputs; } {
        defaultEffectSystem = "aarch64-linux";
        hercules-ci.flake-update = {
          enable = true;
          when.hour = 2;
          createPullRequest = false;
          baseMerge.enable = true;
          flakes."." = { inputs = [ "nixpkgs" "hercules-ci-effects" ]; };
          nix.package = { pkgs, ... }:
            pkgs.stdenv.mkDerivation { pname = "nix"; version = "2.18.1"; };
        };
        herculesCI = { config, ... }: {
          onPush.default.outputs.effects.hello = hci-effects.runIf (config.repo.branch == "main")
            (hci-effects.mkEffect {
              name = "hello";
              inputs = [ pkgs.hello ];
              effectScript = "hello --greeting ${config.repo.branch}";
            });
        };
      };
    };
}
"""


def mk_hercules_ci_lock() -> str:
    """The fixture's lock, with flake-parts an input of hercules-ci-effects only (the
    library's own flake uses it; the project does not)."""
    lock = json.loads((RELEASE / "flake.lock").read_text(encoding="utf-8"))
    nodes = lock["nodes"]
    nodes["hercules-ci-effects"]["inputs"] = {"flake-parts": "flake-parts", "nixpkgs": ["nixpkgs"]}
    nodes["root"]["inputs"] = {"hercules-ci-effects": "hercules-ci-effects", "nixpkgs": "nixpkgs"}
    return json.dumps(lock, indent=2)


@pytest.fixture(scope="module")
def mk_hercules_ci(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files = {"flake.nix": MK_HERCULES_CI_FLAKE, "flake.lock": mk_hercules_ci_lock()}
    project = git_project(
        files, tmp_path_factory.mktemp("mkh") / "neat", "https://github.com/neat-org/neat.git"
    )
    pairs = {
        "hercules-ci-effects": "hercules-ci-effects",
        "hercules-ci-effects/flake-parts": "flake-parts",
        "hercules-ci-effects/flake-parts/nixpkgs-lib": "nixpkgs.lib",
    }
    overrides = [
        x for name, ref in pairs.items() for x in ("--override-input", name, str(INPUTS / ref))
    ]
    return describe(project, ["--as-branch", "main"], overrides)


def test_mk_herculesci_without_flake_parts(mk_hercules_ci: dict[str, Any]) -> None:
    effects = by_path(mk_hercules_ci)
    # lib/mkHerculesCI.nix: mkFlake with the library's flakeModule and the user's module;
    # `flake.herculesCI` is the result
    assert {p: e["function"] for p, e in effects.items()} == {
        f"{PUSH}.hello.run": "mkEffect",
        UPDATE: "flakeUpdate",
    }
    assert mk_hercules_ci["schedules"]["herculesCI.onSchedule.flake-update"]["when"] == {
        "hour": [2]
    }
    update = effects[UPDATE]
    assert update["library"]["revision"] == REVISION
    # the user's defaultEffectSystem (mkHerculesCI.nix: systems = mkDefault [ it ]), so
    # flake-update's nix.package is called with aarch64-linux's pkgs
    assert update["arguments"]["nix"]["value"]["derivation"] == "nix-2.18.1"
    assert {i.get("unknown", "").split(".")[2] for i in update["inputs"] if "unknown" in i} == {
        "aarch64-linux"
    }
    env = update["env"]
    # git-update.nix: without a pull request, no HCI_GIT_UPDATE_PR_* variables
    assert not [name for name in env if name.startswith("HCI_GIT_UPDATE_PR_")]
    assert env["HCI_GIT_UPDATE_BASE_MERGE_METHOD"] == "merge"
    assert env["HCI_GIT_REMOTE_URL"] == "https://github.com/neat-org/neat.git"
    script = effect_script(update)
    assert isinstance(script, str), script
    # effect-fun.nix, Nix before 2.19 with inputs: `flake lock --update-input …`; the
    # location is not said for "." alone
    assert "echo 1>&2 'Running nix flake lock...'" in script
    assert "flake lock --update-input nixpkgs --update-input hercules-ci-effects" in script
    assert "gh pr create" not in script


def test_with_pkgs(mk_hercules_ci: dict[str, Any]) -> None:
    hello = by_path(mk_hercules_ci)[f"{PUSH}.hello.run"]
    # flake-public-outputs.nix: lib.withPkgs = pkgs: import ./effects/default.nix effects pkgs
    # — the library's own mkEffect and runIf, over the modelled pkgs
    assert hello["library"] == {
        "kind": "source",
        "revision": REVISION,
        "path": str(LIBRARY.resolve()),
    }
    # the call is where the user wrote it
    assert hello["at"].split(":")[0].endswith("/neat/flake.nix")
    # effect.nix: name = "effect-${args.name}"; inputs after the default inputs
    assert hello["name"] == "effect-hello"
    assert hello["inputs"][-1]["unknown"] == "nixpkgs.legacyPackages.x86_64-linux.hello"
    # herculesCI-attribute.nix: config.repo.branch, in the user's herculesCI module
    assert effect_script(hello) == "hello --greeting main"
    # effects/default.nix: runIf true gives { run = v; }
    assert hello["mode"] == "run"
    assert hello["runIf"]["expression"] == 'config.repo.branch == "main"'


# --- the modelled nixpkgs' writers (packages/artifacts-tool/package.nix needs them) -------


def test_writers_are_modelled(tmp_path: Path) -> None:
    nixpkgs = nixpkgs_tree(tmp_path / "nixpkgs")
    expression = """
      let
        pkgs = import <nixpkgs> { system = "x86_64-linux"; };
        tool = pkgs.writers.writePython3Bin "tool" { libraries = ps: [ ]; } "print(1)";
        script = pkgs.writers.writeBash "hello" "echo hi";
      in builtins.toJSON {
        exe = pkgs.lib.getExe tool;
        toolText = tool.text;
        script = "${script}";
        scriptText = script.text;
        mainProgram = script.meta.mainProgram;
      }
    """
    status, out, err = ci_eval("--eval", "-I", f"nixpkgs={nixpkgs}", "-E", expression)
    assert status == 0, err
    values = json.loads(json.loads(out.replace("\\$", "$")))
    # writers.writePython3Bin name = writePython3 "/bin/${name}": a file in the output,
    # the program lib.getExe finds (meta.mainProgram)
    assert values["exe"] == "/nix/store/«tool»/bin/tool"
    # the interpreter's `#!` line (python3 with the libraries), then the content
    assert values["toolText"] == "#! /nix/store/«pkgs.python3.withPackages …»/bin/python\nprint(1)"
    # a name without a slash: the output is the script itself
    assert values["script"] == "/nix/store/«hello»"
    assert values["scriptText"] == "#! /nix/store/«pkgs.bash»/bin/bash\necho hi"
    assert values["mainProgram"] == "hello"


# --- where a flake module's effect stands: the user's definition of its options ------------

BASIC = FIXTURES / "flake-parts"
BASIC_UPDATE = """hercules-ci.flake-update = {
        enable = true;
        when = { dayOfWeek = [ "Sat" ]; hour = [ 3 ]; minute = 0; };
      };"""


def basic_project(where: Path, definition: str, extra: dict[str, str] | None = None) -> Path:
    """fixtures/flake-parts with its flake-update definition replaced by `definition`;
    the `extra` files are imported as modules too."""
    flake = (BASIC / "flake.nix").read_text(encoding="utf-8")
    assert flake.count(BASIC_UPDATE) == 1
    imports = "".join(f" ./{name}" for name in extra or {})
    files = {
        "flake.nix": flake.replace(BASIC_UPDATE, definition).replace(
            "imports = [ inputs.hercules-ci-effects.flakeModule ];",
            f"imports = [ inputs.hercules-ci-effects.flakeModule{imports} ];",
        ),
        "flake.lock": (BASIC / "flake.lock").read_text(encoding="utf-8"),
        **(extra or {}),
    }
    return git_project(files, where, "https://github.com/neat-org/neat.git")


@pytest.mark.parametrize(
    ("definition", "written"),
    [
        # nested sets, as many write them
        (
            "hercules-ci = {\n        flake-update = { enable = true; when.hour = 3; };\n      };",
            "flake-update = {",
        ),
    ],
)
def test_a_module_effect_stands_at_the_definition(
    tmp_path: Path, definition: str, written: str
) -> None:
    project = basic_project(tmp_path / "neat", definition)
    [effect] = [
        e
        for e in describe(project, [], flake_parts_overrides())["effects"]
        if e["attrPath"] == UPDATE
    ]
    assert effect["at"].endswith(defined_at(project / "flake.nix", written))
    assert effect["module"]["option"] == "hercules-ci.flake-update"


def test_a_module_effect_defined_in_an_imported_file(tmp_path: Path) -> None:
    # flake.nix imports ./effects.nix, which enables the module under `config.`: the
    # effect stands there
    module = "{ config.hercules-ci.flake-update = { enable = true; when.hour = 3; }; }\n"
    project = basic_project(tmp_path / "neat", "", {"effects.nix": module})
    [effect] = [
        e
        for e in describe(project, [], flake_parts_overrides())["effects"]
        if e["attrPath"] == UPDATE
    ]
    assert effect["at"].endswith("effects.nix:1:3")


def test_a_library_check_is_reported_at_the_definition(tmp_path: Path) -> None:
    # effect-fun.nix: `assert flakes != { };` fails: said at the user's definition, with
    # the library's line as a note
    definition = (
        "hercules-ci.flake-update = {\n        enable = true;\n        flakes = { };\n      };"
    )
    project = basic_project(tmp_path / "neat", definition)
    status, _out, err = ci_eval(str(project), "-A", UPDATE, "--offline", *flake_parts_overrides())
    assert status != 0 and "Traceback" not in err
    assert f"--> {defined_at(project / 'flake.nix', 'hercules-ci.flake-update')}" in err.replace(
        str(project) + "/", ""
    ), err
    assert "effect-fun.nix" in err
