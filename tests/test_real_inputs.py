"""Projects evaluated with their real, pinned inputs (issue: real inputs; design §4a).

The reference sources in ``../shared/data/inputs/`` (flake-parts, hercules-ci-effects,
nixpkgs.lib, flake-utils, systems, flake-compat, with their NAR hashes) are laid out as a
user's machine has them — in a Nix store directory at the computed path, in ci-eval's
cache, or named by ``--override-input`` — and the fixtures whose ``flake.lock`` pins them
are run through ``ci-eval`` as real processes. nixpkgs is never among them: it is the
modelled nixpkgs, with the real lib of nixpkgs.lib.

Where Nix 2.8 can evaluate the same flake with the same inputs (flake-parts and
hercules-ci-effects' flake module need no nixpkgs package), the jobs and the effects'
attribute paths are compared with what ``nix-instantiate`` finds by the agent's own rules
(its ``default-herculesCI-for-flake.nix``, in ``../shared/data/hercules-ci-agent/``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nixeval.sources import CacheError, LockedInput, LockFile, add_to_cache

from .cli_process import ci_eval_with
from .references import FLAKE_PARTS_INPUTS, defined_at
from .twin import clean_env

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared" / "data"
INPUTS = SHARED / "inputs"
AGENT_FILE = SHARED / "hercules-ci-agent" / "default-herculesCI-for-flake.nix"

pytestmark = pytest.mark.skipif(
    not INPUTS.is_dir(), reason=f"the reference sources are not here ({INPUTS}, in ../shared)"
)

# Lock node (as the fixtures name it) -> reference source directory.
REFERENCE = {
    "flake-parts": "flake-parts",
    "hercules-ci-effects": "hercules-ci-effects",
    "nixpkgs-lib": "nixpkgs.lib",
    "flake-utils": "flake-utils",
    "systems": "systems",
    "flake-compat": "flake-compat",
}


def pins(project: Path) -> dict[str, LockedInput]:
    """The reference inputs the project's flake.lock pins, by node."""
    lock = LockFile.parse((project / "flake.lock").read_text())
    return {key: lock.locked(key) for key in lock.nodes if key in REFERENCE}


def fill_cache(project: Path, cache: Path) -> None:
    for key, locked in pins(project).items():
        add_to_cache(INPUTS / REFERENCE[key], locked, cache)


def fill_store(project: Path, store: Path) -> None:
    for key, locked in pins(project).items():
        target = Path(locked.store_path(str(store)))
        if not target.exists():
            shutil.copytree(INPUTS / REFERENCE[key], target, symlinks=True)


def ci_eval(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[int, str, str]:
    return ci_eval_with(*args, cwd=cwd, env=env)


def describe(project: Path, *extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    status, out, err = ci_eval(
        os.path.relpath(project, ROOT), "--as-branch", "main", *extra, env=env
    )
    assert status == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def origins(document: dict[str, Any]) -> dict[str, str]:
    return {i["input"]: i["from"] for i in document["sources"]["inputs"]}


# --- the flake-parts project: where its inputs are found -----------------------------------

FLAKE_PARTS = FIXTURES / "flake-parts"
FLAKE_UPDATE = "herculesCI.onSchedule.flake-update.outputs.effects.flake-update"


def assert_flake_parts_evaluated(document: dict[str, Any], origin: str) -> None:
    """flake-parts, hercules-ci-effects and nixpkgs.lib came from `origin`; nixpkgs is
    modelled with that lib; the flake-update effect is the real flake module's, made by
    the library's own flakeUpdate over the modelled pkgs and read off its derivation."""
    assert origins(document) == {
        "flake input 'flake-parts'": origin,
        "flake input 'flake-parts/nixpkgs-lib'": origin,
        "flake input 'hercules-ci-effects'": origin,
        "flake input 'nixpkgs'": "missing",
    }
    assert "the lib of" in document["sources"]["nixpkgsLib"]
    assert "unknowns" not in document
    [effect] = document["effects"]
    assert effect["attrPath"] == FLAKE_UPDATE
    assert effect["function"] == "flakeUpdate"
    # placed at the user's `hercules-ci.flake-update` definition, made by the module
    assert effect["at"].endswith(
        defined_at(FIXTURES / "flake-parts" / "flake.nix", "hercules-ci.flake-update")
    )
    assert "/effects/flake-update/flake-module.nix:" in effect["module"]["call"]
    library = effect["library"]
    assert library["kind"] == "source"
    assert library["revision"] == "af4331c44f13977b6964745454eadcfee2d244d1"
    # mkEffect's name (`effect-${name}`), flakeUpdate's `name = "flake-update"`.
    assert effect["name"] == "effect-flake-update"
    # flakeUpdate's default `tokenSecret`, through mkEffect's builtins.toJSON secretsMap.
    assert effect["secretsMap"] == {"token": {"type": "GitToken"}}
    # the git-update module's environment (effects/modules/git-update.nix), with the
    # flake module's defaults (updateBranch, baseBranch)
    assert effect["env"]["HCI_GIT_UPDATE_BRANCH"] == "flake-update"
    assert effect["env"]["HCI_GIT_UPDATE_PR_BASE"] == "HEAD"
    assert effect["env"]["GIT_AUTHOR_NAME"] == "Hercules CI Effects"
    # mkEffect's defaultInputs first: the library's setup hook, a modelled derivation
    first = effect["inputs"][0]
    assert first == {"derivation": "hercules-ci-effect-sh", "outPath": "«hercules-ci-effect-sh»"}


def test_flake_parts_inputs_from_the_cache(tmp_path: Path) -> None:
    fill_cache(FLAKE_PARTS, tmp_path)
    document = describe(FLAKE_PARTS, "--offline", env={"CI_EVAL_CACHE_DIR": str(tmp_path)})
    assert_flake_parts_evaluated(document, "cache")


def test_flake_parts_inputs_from_the_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    fill_store(FLAKE_PARTS, store)
    document = describe(FLAKE_PARTS, "--offline", env={"NIX_STORE_DIR": str(store)})
    assert_flake_parts_evaluated(document, "store")
    paths = {i["input"]: i["path"] for i in document["sources"]["inputs"] if "path" in i}
    # The store path Nix computes from the NAR hash and the name `source` (checked
    # against nix-store --print-fixed-path in test_sources.py).
    assert paths["flake input 'flake-parts'"] == pins(FLAKE_PARTS)["flake-parts"].store_path(
        str(store)
    )


def test_flake_parts_inputs_through_override_input() -> None:
    overrides = [
        ("flake-parts", "flake-parts"),
        ("hercules-ci-effects", "hercules-ci-effects"),
        ("flake-parts/nixpkgs-lib", "nixpkgs.lib"),  # a nested input path, as Nix's
    ]
    flags = [x for name, ref in overrides for x in ("--override-input", name, str(INPUTS / ref))]
    document = describe(FLAKE_PARTS, "--offline", *flags)
    assert_flake_parts_evaluated(document, "override")


def test_without_its_inputs_the_flake_is_listed_as_unknown() -> None:
    status, out, err = ci_eval(str(FLAKE_PARTS), "--list", "--format", "text", "--offline")
    assert status == 0, err
    # flake-parts is not at hand: its lib is not invented, the outputs are unknown, and
    # the listing and the warnings say so.
    assert out.startswith("no effects\n")
    assert "(the file)  unknown: ((flake input 'flake-parts'" in out
    assert err.count("warning[W110]") == 1  # only what was needed is looked for
    assert "--override-input flake-parts DIR" in err


def test_a_tampered_tree_never_enters_the_cache(tmp_path: Path) -> None:
    tree = tmp_path / "flake-parts"
    shutil.copytree(INPUTS / "flake-parts", tree, symlinks=True)
    (tree / "flake.nix").write_text((tree / "flake.nix").read_text() + "\n")
    locked = pins(FLAKE_PARTS)["flake-parts"]
    with pytest.raises(CacheError, match="not the pinned source"):
        add_to_cache(tree, locked, tmp_path / "cache")
    assert not (tmp_path / "cache" / "sources").exists() or not any(
        p.name.endswith("-source") for p in (tmp_path / "cache" / "sources").iterdir()
    )
    # So the input stays unavailable: an unknown, said so.
    document = describe(
        FLAKE_PARTS, "--offline", env={"CI_EVAL_CACHE_DIR": str(tmp_path / "cache")}
    )
    assert origins(document)["flake input 'flake-parts'"] == "missing"


def test_an_override_of_an_input_the_lock_does_not_have_is_an_error() -> None:
    status, out, err = ci_eval(
        str(FLAKE_PARTS), "--offline", "--override-input", "nope", str(INPUTS / "systems")
    )
    assert (status, out) == (1, "")
    assert "cannot override input 'nope'" in err


# --- the other fixtures -------------------------------------------------------------------


def test_flake_utils_project(tmp_path: Path) -> None:
    project = FIXTURES / "flake-utils"
    fill_cache(project, tmp_path)
    env = {"CI_EVAL_CACHE_DIR": str(tmp_path)}
    document = describe(project, "--offline", env=env)
    assert origins(document) == {
        "flake input 'flake-utils'": "cache",
        "flake input 'flake-utils/systems'": "cache",
        "flake input 'nixpkgs'": "missing",
    }
    assert [(e["attrPath"], e["function"], e["name"]) for e in document["effects"]] == [
        ("herculesCI.onSchedule.nightly.outputs.effects.report", "derivation", "nightly-report")
    ]
    assert document["effects"][0]["at"] == "fixtures/flake-utils/flake.nix:29:13"  # isEffect


def test_plain_flake_with_an_effects_output() -> None:
    project = FIXTURES / "flake-effects"
    on = {
        branch: describe(project, "--offline", "--as-branch", branch)["effects"]
        for branch in ("main", "feature")
    }
    # The agent's default job: `effects` called with its arguments.
    assert [e["attrPath"] for e in on["main"]] == [
        "herculesCI.onPush.default.outputs.effects.announce",
        "herculesCI.onPush.default.outputs.effects.publish",
    ]
    assert [e["attrPath"] for e in on["feature"]] == [
        "herculesCI.onPush.default.outputs.effects.announce"
    ]


def test_a_flake_with_a_flake_compat_default_nix_is_a_flake(tmp_path: Path) -> None:
    project = FIXTURES / "flake-compat"
    assert (project / "default.nix").is_file()
    document = describe(project, "--offline")
    assert document["file"] == "fixtures/flake-compat/flake.nix"
    assert [e["attrPath"] for e in document["effects"]] == [
        "herculesCI.onPush.default.outputs.effects.tag"
    ]


def test_flake_compat_default_nix_fetches_from_the_cache(tmp_path: Path) -> None:
    # default.nix's own fetchTarball (pinned by flake.lock's narHash) resolves from the
    # cache, and flake-compat's real code then evaluates the flake: it reaches the
    # nixpkgs input, which it fetches with fetchTree, and which is not here.
    project = FIXTURES / "flake-compat"
    fill_cache(project, tmp_path)
    status, _, err = ci_eval(
        "fixtures/flake-compat/default.nix",
        "--offline",
        "--list",
        env={"CI_EVAL_CACHE_DIR": str(tmp_path)},
    )
    assert "flake-compat" not in "".join(
        line for line in err.splitlines() if line.startswith("warning[W110]")
    )
    assert "fetchTree" in err and "builtins.isFunction flake.outputs" in err
    assert status == 1


# --- Nix 2.8 as the oracle ----------------------------------------------------------------

# A flake-parts flake that Nix 2.8 can evaluate without nixpkgs: its packages are plain
# derivations; hercules-ci-effects' flake module gives the herculesCI option.
ORACLE_FLAKE = (
    "{\n"
    + FLAKE_PARTS_INPUTS
    + """  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ inputs.hercules-ci-effects.flakeModule ];
      systems = [ "x86_64-linux" "aarch64-linux" ];
      perSystem = { system, ... }: {
        packages.default = derivation {
          name = "hello"; inherit system; builder = "/bin/sh"; args = [ "-c" "echo > $out" ];
        };
      };
      herculesCI = { config, ... }: {
        onPush.default.outputs.effects = {
          greet = effect "greet-${config.repo.branch}";
          nested.deeper = effect "deeper";
        };
        onPush.docs.outputs.effects.publish = effect "publish";
        onSchedule.nightly = {
          when = { hour = [ 2 3 ]; minute = 15; dayOfWeek = [ "Mon" "Thu" ]; };
          outputs.effects.report = effect "report";
        };
      };
    };
}
"""
)
EFFECT_FN = (
    'effect = name: derivation { inherit name; system = "x86_64-linux"; '
    'builder = "/bin/sh"; args = [ "-c" "echo" ]; isEffect = true; };'
)

# Nix's evaluation of a flake from local trees (call-flake's semantics, written here):
# each lock node's tree, its inputs with `follows` resolved from the root, `self`.
CALL_FLAKE = """
{ lockFile, trees, root }:
let
  lock = builtins.fromJSON (builtins.readFile lockFile);
  nodeOf = spec: if builtins.isList spec then follow lock.root spec else spec;
  follow = key: path:
    if path == [ ] then key
    else follow (nodeOf lock.nodes.${key}.inputs.${builtins.head path}) (builtins.tail path);
  value = key:
    let
      node = lock.nodes.${key};
      tree = if key == lock.root then root else trees.${key};
      info = { outPath = tree; } // (if key == lock.root then { } else {
        inherit (node.locked) rev narHash;
        shortRev = builtins.substring 0 7 node.locked.rev;
      });
      inputs = builtins.mapAttrs (name: spec: value (nodeOf spec)) (node.inputs or { });
      outputs = (import (tree + "/flake.nix")).outputs (inputs // { self = result; });
      result = outputs // info // { inherit inputs outputs; sourceInfo = info; _type = "flake"; };
    in
    if node.flake or true then result else info;
in
value lock.root
"""

# The agent's walk of the jobs (hercules-agent.md §4), for the comparison.
AGENT_VIEW = """
{ flake, args }:
let
  hci = (import @AGENT@).addDefaults flake args;
  walk = path: v:
    if builtins.isAttrs v && (v.isEffect or false) == true then [ path ]
    else if builtins.isAttrs v && !(v ? _type) && (v.type or null) != "derivation"
    then builtins.concatLists (map (n: walk "${path}.${n}" v.${n}) (builtins.attrNames v))
    else [ ];
  jobs = kind: builtins.mapAttrs (name: job: {
    effects = walk "herculesCI.${kind}.${name}.outputs" job.outputs;
    when = job.when or { };
  }) (hci.${kind} or { });
in
{ onPush = jobs "onPush"; onSchedule = jobs "onSchedule"; }
"""


def _oracle_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "flake.nix").write_text(
        ORACLE_FLAKE.replace("outputs = inputs@", f"outputs = let {EFFECT_FN} in inputs@"),
        encoding="utf-8",
    )
    shutil.copy(FLAKE_PARTS / "flake.lock", project / "flake.lock")
    return project


def _nix_view(project: Path) -> dict[str, Any]:
    exe = shutil.which("nix-instantiate")
    if exe is None:
        pytest.skip("nix-instantiate (Nix 2.8, Debian's nix-bin) is not on PATH")
    if not AGENT_FILE.is_file():
        pytest.skip(f"the agent's file is not here ({AGENT_FILE}, in ../shared)")
    trees = {key: str(INPUTS / ref) for key, ref in REFERENCE.items()}
    # Nix has no modelled nixpkgs: the nixpkgs.lib flake stands in (only its lib is used).
    trees["nixpkgs"] = str(INPUTS / "nixpkgs.lib")
    repo = {
        "ref": "refs/heads/main",
        "branch": "main",
        "tag": None,
        "rev": "0" * 40,
        "shortRev": "0" * 7,
        "remoteHttpUrl": "https://github.com/neat-org/neat.git",
        "remoteSshUrl": "git@github.com:neat-org/neat.git",
        "webUrl": "https://github.com/neat-org/neat",
        "forgeType": "github",
        "owner": "neat-org",
        "name": "neat",
    }
    args = {
        **{k: repo[k] for k in ("ref", "branch", "tag", "rev", "shortRev")},
        "primaryRepo": repo,
        "herculesCI": {"apiBaseUrl": "https://hercules-ci.com", "ciSystems": None},
    }
    call = tmp_path_of(project) / "call-flake.nix"
    call.write_text(CALL_FLAKE, encoding="utf-8")
    view = tmp_path_of(project) / "view.nix"
    view.write_text(AGENT_VIEW.replace("@AGENT@", str(AGENT_FILE)), encoding="utf-8")
    expr = (
        f"import {view} {{ flake = import {call} {{ lockFile = {project}/flake.lock; "
        f"root = {project}; trees = builtins.fromJSON ''{json.dumps(trees)}''; }}; "
        f"args = builtins.fromJSON ''{json.dumps(args)}''; }}"
    )
    done = subprocess.run(
        [exe, "--eval", "--strict", "--json", "--readonly-mode", "-E", expr],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def tmp_path_of(project: Path) -> Path:
    return project.parent


def test_flake_parts_jobs_and_paths_agree_with_nix(tmp_path: Path) -> None:
    from nixeval.checkout import Checkout
    from nixeval.commands.purity import pure_machine
    from nixeval.eval.force import force
    from nixeval.hercules.jobs import job_when
    from nixeval.hercules.project import load_project
    from nixeval.sources.session import Sources

    project = _oracle_project(tmp_path)
    nix = _nix_view(project)

    overrides = {
        "flake-parts": str(INPUTS / "flake-parts"),
        "hercules-ci-effects": str(INPUTS / "hercules-ci-effects"),
        "flake-parts/nixpkgs-lib": str(INPUTS / "nixpkgs.lib"),
    }
    status, out, err = ci_eval(
        str(project),
        "--list",
        "--as-branch",
        "main",
        "--offline",
        *[x for name, path in overrides.items() for x in ("--override-input", name, path)],
    )
    assert status == 0, err
    listed = sorted(row["attrPath"] for row in json.loads(out))
    expected = sorted(p for kind in nix.values() for job in kind.values() for p in job["effects"])
    assert listed == expected
    assert len(listed) == 4

    # The jobs and the schedule, through the Python API.
    checkout = Checkout(
        "refs/heads/main", "main", None, "0" * 40, "0" * 7, str(project),
        "https://github.com/neat-org/neat.git", "neat-org", "neat",
    )  # fmt: skip
    machine = pure_machine(str(project), sources=Sources(overrides=overrides))
    opened = load_project(machine, str(project / "flake.nix"), checkout)
    hci = force(opened.root.items["herculesCI"])
    for kind in ("onPush", "onSchedule"):
        jobs = force(hci.items[kind])
        assert jobs.names() == sorted(nix[kind])
    nightly = force(force(hci.items["onSchedule"]).items["nightly"])
    when = job_when(machine, nightly)
    assert when == {
        name: value for name, value in nix["onSchedule"]["nightly"]["when"].items() if value
    }


def test_the_python_api_opens_a_project() -> None:
    import nixeval

    project = nixeval.open_project(str(FIXTURES / "flake-effects"), branch="feature")
    assert project.file == str(FIXTURES / "flake-effects" / "flake.nix")
    assert [path for path, _ in project.walk()] == [
        "herculesCI.onPush.default.outputs.effects.announce"
    ]
    assert [path for path, _ in project.walk("herculesCI.onPush")] == [
        "herculesCI.onPush.default.outputs.effects.announce"
    ]


def test_a_nixpkgs_without_its_source_gets_the_newest_real_lib_at_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nixeval
    from nixeval.eval.force import force

    project = tmp_path / "repo"
    project.mkdir()
    (project / "ci.nix").write_text(
        "let lib = (import <nixpkgs> { }).lib; in { version = lib.version; }\n"
    )
    cache = tmp_path / "cache"
    monkeypatch.setenv("CI_EVAL_CACHE_DIR", str(cache))
    # Nothing at hand: the bundled lib, said so.
    opened = nixeval.open_project(str(project))
    assert force(opened.root.items["version"]) == "23.11pre-ci-eval"
    assert "bundled" in opened.machine.sources.lib_used[0]
    # nixpkgs.lib in the cache: its real lib.
    reference = INPUTS / "nixpkgs.lib"
    add_to_cache(reference, LockedInput.from_lock_node(NIXPKGS_LIB_NODE), cache)
    opened = nixeval.open_project(str(project))
    version = (reference / "lib" / ".version").read_text().strip()
    assert force(opened.root.items["version"]).startswith(version)
    assert "ci-eval's cache" in opened.machine.sources.lib_used[0]


NIXPKGS_LIB_NODE = {
    "type": "github",
    "owner": "nix-community",
    "repo": "nixpkgs.lib",
    "rev": "de42d44212d207476489bce163375d8306a26d59",
    "narHash": "sha256-0iaTCZDEORJeWamOjfDZaoZZx686f7QO5oL3ynmj+ew=",
}


# --- known gaps (strict xfail) -------------------------------------------------------------


def test_fetchurl_with_a_hash_comes_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import nixeval
    from nixeval.eval.force import force
    from nixeval.store import base32
    from nixeval.store.paths import fixed_output_path

    store = tmp_path / "store"
    store.mkdir()
    data = (INPUTS / "systems" / "default.nix").read_bytes()
    digest = hashlib.sha256(data).digest()
    path = fixed_output_path("default.nix", "sha256", digest, False, store_dir=str(store))
    Path(path).write_bytes(data)
    project = tmp_path / "repo"
    project.mkdir()
    (project / "ci.nix").write_text(
        '{ systems = import (builtins.fetchurl { url = "https://example.org/default.nix"; '
        f'sha256 = "{base32(digest)}"; }}); }}\n'
    )
    monkeypatch.setenv("NIX_STORE_DIR", str(store))
    opened = nixeval.open_project(str(project))
    assert isinstance(force(opened.root.items["systems"]), list)
    # Not in the store: an unknown, and W110 says only the store can have it.
    Path(path).unlink()
    opened = nixeval.open_project(str(project))
    assert "fetchurl" in force(opened.root.items["systems"]).provenance
    [missing] = opened.machine.sources.missing
    assert "only source trees" in missing.why


@pytest.mark.xfail(
    strict=True,
    reason="fetchGit (and a git lock node) pinned by its rev alone, without narHash, is "
    "not resolved: the cache is keyed by NAR hash",
)
def test_fetchgit_pinned_by_rev_comes_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nixeval
    from nixeval.eval.force import force

    project = tmp_path / "repo"
    project.mkdir()
    (project / "ci.nix").write_text(
        '{ systems = import (builtins.fetchGit { url = "https://github.com/nix-systems/default"; '
        'rev = "da67096a3b9bf56a91d16901293e51ba5b49a27e"; }); }\n'
    )
    fill_cache(FIXTURES / "flake-utils", tmp_path / "cache")
    monkeypatch.setenv("CI_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    opened = nixeval.open_project(str(project))
    assert isinstance(force(opened.root.items["systems"]), list)


@pytest.mark.parametrize("command", [[], ["run"]])
def test_an_override_that_is_not_a_directory_is_a_usage_error(command: list[str]) -> None:
    status, out, err = ci_eval(
        *command, "fixtures/flake-effects", "-A", "herculesCI", "--override-input",
        "nixpkgs", "/nonexistent",
    )  # fmt: skip
    assert (status, out) == (2, "")
    assert "--override-input nixpkgs: '/nonexistent' is not a directory" in err
