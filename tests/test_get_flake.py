"""``builtins.getFlake`` with real inputs (issue 13, item 1).

Flake references parse into the lock nodes they name (`nixeval.sources.flakeref`), and are
locked or not by Nix 2.8's rule. A locked reference is the flake in the tree it pins: the
reference flake-utils (``../shared/data/inputs``) laid out in ci-eval's cache is evaluated
with its own flake.lock, whose ``systems`` input comes from the cache too, and agrees with
Nix 2.8 evaluating the same reference from a store holding the same trees. A source no
place has is an unknown with a W110 warning (the modelled nixpkgs for nixpkgs); pure
evaluation refuses an unlocked reference with Nix's message; impurely, a local directory
(the repository itself: ``builtins.getFlake (toString ./.)``) is its flake.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nixeval.sources import LockedInput, LockFile, add_to_cache
from nixeval.sources.flakeref import FlakeRefError, is_locked, parse_flake_ref

from .cli_process import ci_eval_with
from .flake_locks import ABSENT, github, write_lock
from .git_repos import clean_env as git_env
from .git_repos import git, new_repo
from .references import PINS
from .twin import clean_env as nix_env

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT.parent / "shared" / "data" / "inputs"
REV = "b1d9ab70662946ef0850d488da1c9019f3a9752a"  # any 40 hex digits: a rev
NIX = shutil.which("nix-instantiate")
FLAKES = ("--extra-experimental-features", "flakes")
PURE = ("--option", "pure-eval", "true")


# --- parsing ---------------------------------------------------------------------------------

H = "sha256-SZ5L6eA7HJ/nmkzGG7/ISclqe6oZdOZTNoesiInkXPQ="

PARSED = [
    (
        f"github:numtide/flake-utils/{REV}?narHash={H}",
        {"type": "github", "owner": "numtide", "repo": "flake-utils", "rev": REV, "narHash": H},
    ),
    ("github:NixOS/nixpkgs", {"type": "github", "owner": "NixOS", "repo": "nixpkgs"}),
    (
        "github:NixOS/nixpkgs/nixos-23.11?dir=lib",
        {"type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-23.11", "dir": "lib"},
    ),
    (
        f"github:o/r?rev={REV}&host=github.example.org&lastModified=1700000000",
        {
            "type": "github",
            "owner": "o",
            "repo": "r",
            "rev": REV,
            "host": "github.example.org",
            "lastModified": 1700000000,
        },
    ),
    (
        "github:o/r/release/1.0",
        {"type": "github", "owner": "o", "repo": "r", "ref": "release/1.0"},
    ),
    (
        f"gitlab:group/project/{REV}?narHash={H}",
        {"type": "gitlab", "owner": "group", "repo": "project", "rev": REV, "narHash": H},
    ),
    (
        f"sourcehut:~user/repo/{REV}",
        {"type": "sourcehut", "owner": "~user", "repo": "repo", "rev": REV},
    ),
    (
        f"git+https://example.org/r.git?ref=main&rev={REV}&narHash={H}&dir=sub",
        {
            "type": "git",
            "url": "https://example.org/r.git",
            "ref": "main",
            "rev": REV,
            "narHash": H,
            "dir": "sub",
        },
    ),
    (
        "git+ssh://git@example.org/r?submodules=1&revCount=12",
        {"type": "git", "url": "ssh://git@example.org/r", "submodules": True, "revCount": 12},
    ),
    ("git+file:///home/me/r", {"type": "git", "url": "file:///home/me/r"}),
    (
        f"tarball+https://example.org/a/b?narHash={H}",
        {"type": "tarball", "url": "https://example.org/a/b", "narHash": H},
    ),
    (
        f"https://example.org/nixpkgs.tar.gz?narHash={H}",
        {"type": "tarball", "url": "https://example.org/nixpkgs.tar.gz", "narHash": H},
    ),
    ("https://example.org/a.zip?x=1", {"type": "tarball", "url": "https://example.org/a.zip?x=1"}),
    (f"path:/abs/dir?narHash={H}", {"type": "path", "path": "/abs/dir", "narHash": H}),
    ("/abs/dir", {"type": "path", "path": "/abs/dir"}),
    ("./rel", {"type": "path", "path": "./rel"}),
    ("nixpkgs", {"type": "indirect", "id": "nixpkgs"}),
    (
        f"flake:nixpkgs/nixos-23.11/{REV}",
        {"type": "indirect", "id": "nixpkgs", "ref": "nixos-23.11", "rev": REV},
    ),
    (f"nixpkgs/{REV}", {"type": "indirect", "id": "nixpkgs", "rev": REV}),
]


@pytest.mark.parametrize(("text", "node"), PARSED)
def test_references_parse_into_lock_nodes(text: str, node: dict[str, Any]) -> None:
    assert parse_flake_ref(text) == node


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"github:o/r/{REV}#x", f"unexpected fragment 'x' in flake reference 'github:o/r/{REV}#x'"),
        ("github:o", "URL 'github:o' is invalid"),
        (
            f"github:o/r/{REV}?ref=main",
            f"URL 'github:o/r/{REV}?ref=main' contains both a commit hash and a branch/tag "
            f"name main {REV}",
        ),
        (f"github:o/r/{REV}?rev={REV}", "contains multiple commit hashes"),
        ("ftp://example.org/x", "input 'ftp://example.org/x' is unsupported"),
        ("https://example.org/x", "input 'https://example.org/x' is unsupported"),
        ("github:o/r?lastModified=soon", "'lastModified' of flake reference"),
    ],
)
def test_bad_references_say_why(text: str, message: str) -> None:
    with pytest.raises(FlakeRefError) as info:
        parse_flake_ref(text)
    assert message in str(info.value)


# Which references Nix 2.8 calls locked (checked with nix-instantiate --option pure-eval true:
# the locked ones get as far as fetching, the others are refused).
LOCKING = [
    (f"github:o/r/{REV}", True),
    (f"gitlab:o/r/{REV}", True),
    (f"sourcehut:~o/r/{REV}", True),
    (f"git+https://127.0.0.1:1/y?rev={REV}", True),
    (f"https://127.0.0.1:1/y.tar.gz?narHash={H}", True),
    (f"path:/tmp/no-such-flake?narHash={H}", True),
    ("github:o/r", False),
    ("github:o/r/main", False),
    (f"github:o/r?narHash={H}", False),
    (f"git+https://127.0.0.1:1/y?narHash={H}", False),
    ("https://127.0.0.1:1/y.tar.gz", False),
    ("git+file:///tmp/no-such-flake", False),
    ("path:/tmp/no-such-flake", False),
    ("/tmp/no-such-flake", False),
    ("nixpkgs", False),
]


@pytest.mark.parametrize(("text", "locked"), LOCKING)
def test_locked_as_nix_says(text: str, locked: bool) -> None:
    assert is_locked(parse_flake_ref(text)) is locked


# --- processes --------------------------------------------------------------------------------


def ci_eval(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[int, str, str]:
    return ci_eval_with(*args, cwd=cwd, env=env)


def reference_pin(name: str) -> tuple[str, str]:
    """The rev and NAR hash of a reference source."""
    _, _, rev, nar_hash, _ = PINS[name]
    return rev, nar_hash


needs_inputs = pytest.mark.skipif(
    not INPUTS.is_dir(), reason=f"the reference sources are not here ({INPUTS}, in ../shared)"
)


def flake_utils_ref(**extra: str) -> str:
    rev, nar_hash = reference_pin("flake-utils")
    query = "&".join(f"{k}={v}" for k, v in {"narHash": nar_hash, **extra}.items())
    return f"github:numtide/flake-utils/{rev}?{query}"


def systems_pin() -> LockedInput:
    """flake-utils' own flake.lock's pin of its input ``systems``."""
    lock = LockFile.parse((INPUTS / "flake-utils" / "flake.lock").read_text(encoding="utf-8"))
    return lock.locked(lock.inputs(lock.root)["systems"])


def fill_cache(cache: Path, systems: bool = True) -> None:
    _, nar_hash = reference_pin("flake-utils")
    pin = LockedInput.from_lock_node({"type": "github", "narHash": nar_hash})
    add_to_cache(INPUTS / "flake-utils", pin, cache)
    if systems:
        add_to_cache(INPUTS / "systems", systems_pin(), cache)


def eval_json(expr: str, cache: Path, cwd: Path = ROOT) -> Any:
    status, out, err = ci_eval(
        "--eval",
        "--extra-experimental-features",
        "flakes",
        "--strict",
        "--json",
        "-E",
        expr,
        cwd=cwd,
        env={"CI_EVAL_CACHE_DIR": str(cache)},
    )
    assert status == 0, err
    return json.loads(out)


@needs_inputs
def test_flake_utils_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fill_cache(cache)
    rev, nar_hash = reference_pin("flake-utils")
    got = eval_json(
        f'let f = builtins.getFlake "{flake_utils_ref()}"; in {{ '
        "systems = f.lib.defaultSystems; each = f.lib.eachDefaultSystem (s: { x = s; }); "
        'info = removeAttrs f.sourceInfo [ "outPath" ]; infoOut = f.sourceInfo.outPath; '
        "out = f.outPath; type = f._type; "
        "input = f.inputs.systems.outPath; inputRev = f.inputs.systems.rev; }",
        cache,
    )
    # flake-utils' lib, over its input systems (its default.nix: the list itself).
    expected = eval_json(f"import {INPUTS / 'systems'}", cache)
    assert got["systems"] == expected and expected
    assert got["each"] == {"x": {s: s for s in expected}}
    assert got["info"] == {"narHash": nar_hash, "rev": rev, "shortRev": rev[:7]}
    assert got["infoOut"] == got["out"]
    assert got["type"] == "flake"
    # Both trees are the cache's verified copies.
    assert Path(got["out"]).parent == cache / "sources"
    assert Path(got["input"]).parent == cache / "sources"
    assert got["inputRev"] == dict(systems_pin().node)["rev"]


@needs_inputs
@pytest.mark.skipif(NIX is None, reason="nix-instantiate (Nix 2.8) is not on PATH")
def test_flake_utils_agrees_with_nix(tmp_path: Path) -> None:
    # Nix 2.8 takes a locked path: reference from where it lies, and the flake's github
    # input `systems` from its store (a chroot store under tmp_path, where nix-store
    # adds the reference tree): neither needs the network. ci-eval has `systems` in its
    # cache. lastModified and _type are left out: Nix 2.8 takes the first from the
    # path's mtime and has no second.
    assert NIX is not None
    store = tmp_path / "nix-root"
    staged = tmp_path / "systems" / "source"
    shutil.copytree(INPUTS / "systems", staged)
    subprocess.run(
        ["nix-store", "--store", str(store), "--add-fixed", "--recursive", "sha256", str(staged)],
        check=True,
        capture_output=True,
        env={**nix_env(), "NIX_REMOTE": ""},
        timeout=120,
    )
    cache = tmp_path / "cache"
    fill_cache(cache)
    _, nar_hash = reference_pin("flake-utils")
    ref = f"path:{INPUTS / 'flake-utils'}?narHash={nar_hash}"
    expr = (
        f'let f = builtins.getFlake "{ref}"; s = f.inputs.systems; in {{ '
        "systems = f.lib.defaultSystems; each = f.lib.eachDefaultSystem (s: { x = s; }); "
        "narHash = f.narHash; templates = builtins.attrNames f.templates; "
        "inputs = builtins.attrNames f.inputs; "
        "input = { inherit (s) narHash rev shortRev lastModified lastModifiedDate; }; "
        "outputs = builtins.attrNames f.outputs; }"
    )
    done = subprocess.run(
        [NIX, "--store", str(store), *PURE, *FLAKES, "--eval", "--strict", "--json", "-E", expr],
        capture_output=True,
        text=True,
        env={**nix_env(), "NIX_REMOTE": ""},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert eval_json(expr, cache) == json.loads(done.stdout)


def write_ci(directory: Path, ref: str) -> Path:
    """A legacy ci.nix with one effect per system of flake-utils' ``defaultSystems``: they
    exist only when the flake's lib (and its input systems) are known."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ci.nix").write_text(
        "{ src ? null }:\n"
        f'let fu = builtins.getFlake "{ref}";\n'
        '    deploy = system: derivation { name = "deploy"; builder = "/bin/sh";\n'
        "      inherit system; isEffect = true; };\n"
        'in builtins.listToAttrs (map (s: { name = "deploy-${s}"; value = deploy s; })\n'
        "  fu.lib.defaultSystems)\n",
        encoding="utf-8",
    )
    return directory


def describe(project: Path, cache: Path, *extra: str) -> tuple[dict[str, Any], str]:
    status, out, err = ci_eval(
        str(project), "--offline", "--as-branch", "main", *extra,
        env={"CI_EVAL_CACHE_DIR": str(cache), "NIX_STORE_DIR": str(project / "no-store")},
    )  # fmt: skip
    assert status == 0, err
    document: dict[str, Any] = json.loads(out)
    return document, err


def inputs_of(document: dict[str, Any]) -> dict[str, str]:
    return {i["input"]: i["from"] for i in document["sources"]["inputs"]}


@needs_inputs
def test_the_main_job_finds_the_flake_in_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fill_cache(cache)
    project = write_ci(tmp_path / "project", flake_utils_ref())
    document, err = describe(project, cache)
    systems = eval_json(f"import {INPUTS / 'systems'}", cache)
    assert sorted(e["attrPath"] for e in document["effects"]) == sorted(
        f"deploy-{s}" for s in systems
    )
    rev, _ = reference_pin("flake-utils")
    what = f"builtins.getFlake github:numtide/flake-utils/{rev}"
    assert inputs_of(document) == {
        what: "cache",
        f"flake input 'systems' of {what}": "cache",
    }
    assert "W110" not in err


@needs_inputs
def test_not_available_is_an_unknown_and_a_w110(tmp_path: Path) -> None:
    project = write_ci(tmp_path / "project", flake_utils_ref())
    document, err = describe(project, tmp_path / "empty-cache")
    rev, nar_hash = reference_pin("flake-utils")
    what = f"builtins.getFlake github:numtide/flake-utils/{rev}"
    assert inputs_of(document) == {what: "missing"}
    assert document["effects"] == []
    assert f"warning[W110]: {what} ({nar_hash}) is not available, so it is unknown" in err
    # What is made of the unavailable flake is an unknown, named by it (shortened).
    [unknown] = document["unknowns"]
    assert "(builtins.getFlake github:numtide/flake-utils/" in unknown["unknown"]


@needs_inputs
def test_an_input_of_the_fetched_flake_not_available(tmp_path: Path) -> None:
    # flake-utils is in the cache, its own input systems is not: that input is the
    # unknown, named as the input of that flake.
    cache = tmp_path / "cache"
    fill_cache(cache, systems=False)
    project = write_ci(tmp_path / "project", flake_utils_ref())
    document, err = describe(project, cache)
    rev, _ = reference_pin("flake-utils")
    what = f"builtins.getFlake github:numtide/flake-utils/{rev}"
    assert inputs_of(document) == {what: "cache", f"flake input 'systems' of {what}": "missing"}
    assert f"W110]: flake input 'systems' of {what} (" in err


@needs_inputs
def test_eval_without_the_source_is_an_error_saying_why(tmp_path: Path) -> None:
    status, _, err = ci_eval(
        "--eval", "--extra-experimental-features", "flakes",
        "-E", f'(builtins.getFlake "{flake_utils_ref()}").lib',
        env={"CI_EVAL_CACHE_DIR": str(tmp_path / "empty"), "NIX_STORE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert status == 1
    assert "error: 'getFlake' needs the source of github:numtide/flake-utils/" in err
    assert "it is not in the Nix store or ci-eval's cache" in err
    assert "Traceback" not in err


def test_nixpkgs_not_available_is_the_modelled_nixpkgs(tmp_path: Path) -> None:
    nixpkgs = f"github:NixOS/nixpkgs/{REV}?narHash={ABSENT}"
    project = tmp_path / "project"
    project.mkdir()
    (project / "ci.nix").write_text(
        f'{{ src ? null }}: let n = builtins.getFlake "{nixpkgs}"; in\n'
        'assert n.lib.strings.hasPrefix "a" "ab";\n'
        "{ e = n.legacyPackages.x86_64-linux.hello; }\n",
        encoding="utf-8",
    )
    document, err = describe(project, tmp_path / "empty-cache")
    what = f"builtins.getFlake github:NixOS/nixpkgs/{REV}"
    assert inputs_of(document) == {what: "missing"}
    assert f"{what} ({ABSENT}) is not available, so the modelled nixpkgs stands in" in err
    # A package of the modelled pkgs: a build, not an effect, and no unknown either.
    assert document["effects"] == []
    assert "unknowns" not in document


UNLOCKED = [
    "github:numtide/flake-utils",
    "github:numtide/flake-utils/main",
    "git+file:///tmp/no-such-flake",
    "path:/tmp/no-such-flake",
    "/tmp/no-such-flake",
    "https://127.0.0.1:1/y.tar.gz",
    "nixpkgs",
]


@pytest.mark.parametrize("ref", UNLOCKED)
def test_unlocked_references_are_refused_in_pure_evaluation(tmp_path: Path, ref: str) -> None:
    (tmp_path / "ci.nix").write_text(f'{{ src ? null }}: builtins.getFlake "{ref}"\n')
    message = f"cannot call 'getFlake' on unlocked flake reference '{ref}'"
    status, out, _ = ci_eval("check", "ci.nix", cwd=tmp_path)  # check reports on stdout
    assert status == 1
    assert f"error[E100]: {message}\n --> ci.nix:1:17" in out
    assert "--impure" not in out  # check has no way out
    status, _, err = ci_eval("--list", "--as-branch", "main", cwd=tmp_path)
    assert status == 1 and message in err
    assert "use --impure to override" in err  # the main job has --impure
    if NIX is not None:
        # The message is Nix 2.8's own.
        done = subprocess.run(
            [NIX, *PURE, *FLAKES, "--eval", "-E", f'builtins.getFlake "{ref}"'],
            capture_output=True,
            text=True,
            env=nix_env(),
            timeout=60,
            check=False,
        )
        assert f"error: {message}, at " in done.stderr


@needs_inputs
def test_the_repositorys_own_flake_impurely(tmp_path: Path) -> None:
    # A repository whose flake pins flake-utils (in the cache): `getFlake (toString ./.)`
    # is that flake, `self` the git checkout, its inputs from its flake.lock.
    cache = tmp_path / "cache"
    fill_cache(cache)
    repo = tmp_path / "repo"
    env = git_env(tmp_path)
    new_repo(repo, env)
    (repo / "flake.nix").write_text(
        "{\n"
        '  inputs.flake-utils.url = "github:numtide/flake-utils";\n'
        "  outputs = { self, flake-utils }: {\n"
        "    systems = flake-utils.lib.defaultSystems;\n"
        "    rev = self.rev;\n"
        "  };\n"
        "}\n",
        encoding="utf-8",
    )
    rev, nar_hash = reference_pin("flake-utils")
    systems = dict(systems_pin().node)
    write_lock(
        repo,
        {
            "flake-utils": github(
                "numtide", "flake-utils", rev, nar_hash, inputs={"systems": "systems"}
            ),
            "systems": github("nix-systems", "default", systems["rev"], systems["narHash"]),
        },
        {"flake-utils": "flake-utils"},
    )
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "flake")
    head = git(repo, env, "rev-parse", "HEAD").strip()
    got = eval_json(
        "let f = builtins.getFlake (toString ./.); in { inherit (f) systems rev; o = f.outPath; }",
        cache,
        cwd=repo,
    )
    assert got == {
        "systems": eval_json(f"import {INPUTS / 'systems'}", cache),
        "rev": head,
        "o": str(repo),
    }
    # Purely (the main job without --impure), the same call is refused.
    (repo / "ci.nix").write_text("{ src ? null }: builtins.getFlake (toString ./.)\n")
    status, _, err = ci_eval("ci.nix", "--list", "--as-branch", "main", cwd=repo)
    assert status == 1
    assert f"cannot call 'getFlake' on unlocked flake reference '{repo}'" in err


def test_a_local_path_that_is_not_a_flake_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    for path, message in [
        (tmp_path / "none", f"error: getting status of '{tmp_path / 'none'}'"),
        (tmp_path / "file", f"path '{tmp_path / 'file'}' is not a flake (because it's not"),
    ]:
        status, _, err = ci_eval(
            "--eval", "--extra-experimental-features", "flakes", "-E", f'builtins.getFlake "{path}"'
        )
        assert status == 1 and message in err, err


@needs_inputs
def test_override_input_never_reaches_a_fetched_flake(tmp_path: Path) -> None:
    # --override-input names the project's inputs: the project's `systems` is replaced,
    # the `systems` input of the flake getFlake fetches is still its own, from the cache.
    cache = tmp_path / "cache"
    fill_cache(cache)
    other = tmp_path / "other-systems"
    other.mkdir()
    (other / "default.nix").write_text('[ "riscv64-linux" ]\n')
    (other / "flake.nix").write_text("{ outputs = _: { }; }\n")
    project = tmp_path / "project"
    project.mkdir()
    ref = flake_utils_ref()
    (project / "flake.nix").write_text(
        "{\n"
        '  inputs.systems.url = "github:nix-systems/default";\n'
        "  outputs = { self, systems }: {\n"
        "    mine = import systems;\n"
        f'    theirs = (builtins.getFlake "{ref}").lib.defaultSystems;\n'
        "  };\n"
        "}\n",
        encoding="utf-8",
    )
    write_lock(project, {"systems": github("nix-systems", "default")})
    code = (
        "import json, sys\n"
        "import nixeval\n"
        "from nixeval.eval.force import force\n"
        "from nixeval.printing import force_deep, to_json_text\n"
        "p = nixeval.open_project(sys.argv[1], branch='main', overrides={'systems': sys.argv[2]})\n"
        "root = force(p.root)\n"
        "for name in ('mine', 'theirs'):\n"
        "    v = force(root.items[name]); force_deep(p.machine, v)\n"
        "    print(to_json_text(p.machine, v, set()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(project), str(other)],
        capture_output=True,
        text=True,
        env={**os.environ, "CI_EVAL_CACHE_DIR": str(cache), "NIX_STORE_DIR": str(tmp_path)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    mine, theirs = (json.loads(line) for line in done.stdout.splitlines())
    assert mine == ["riscv64-linux"]
    assert theirs == eval_json(f"import {INPUTS / 'systems'}", cache)


@pytest.mark.parametrize(("flags", "printed"), [([], "false"), (["flakes"], "true")])
def test_eval_has_get_flake_with_the_flakes_feature_as_nix(flags: list[str], printed: str) -> None:
    extra = [x for f in flags for x in ("--extra-experimental-features", f)]
    status, out, err = ci_eval("--eval", *extra, "-E", "builtins ? getFlake")
    assert (status, out) == (0, f"{printed}\n"), err
    nix = shutil.which("nix-instantiate")
    if nix is not None:
        theirs = subprocess.run(
            [nix, "--eval", *extra, "-E", "builtins ? getFlake"],
            capture_output=True,
            text=True,
            env=nix_env(),
            check=False,
        )
        assert theirs.stdout == out, theirs.stderr
