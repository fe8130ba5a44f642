"""``flake.lock`` graphs: inputs, ``follows`` paths from the root, ``flake = false``, and
clear errors for files Nix would not read either."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nixeval.sources import LockError, LockFile


def github(owner: str, repo: str, nar_hash: str) -> dict[str, Any]:
    return {
        "locked": {
            "type": "github",
            "owner": owner,
            "repo": repo,
            "rev": "0" * 40,
            "lastModified": 1700000000,
            "narHash": nar_hash,
        },
        "original": {"type": "github", "owner": owner, "repo": repo},
    }


FLAKE_PARTS_HASH = "sha256-4dtXQk/NMePegK/nWp5NSeuZKLATItOq61lpEvmXqGw="
EFFECTS_HASH = "sha256-OOEWyt8ma7QAysDbiP65J7li7KIdtZfnbA11gFnwyEI="
LIB_HASH = "sha256-0iaTCZDEORJeWamOjfDZaoZZx686f7QO5oL3ynmj+ew="
SYSTEMS_HASH = "sha256-Vy1rq5AaRuLzOxct8nz4T6wlgyUR7zLU309k9mBC768="

# The shape of a flake-parts project with hercules-ci-effects, as `nix flake lock`
# writes it: the effects' own flake-parts follows the root's, which follows nixpkgs.
PROJECT = {
    "nodes": {
        "root": {
            "inputs": {
                "flake-parts": "flake-parts",
                "hercules-ci-effects": "hercules-ci-effects",
                "nixpkgs": "nixpkgs",
                "systems": "systems",
            }
        },
        "flake-parts": {
            **github("hercules-ci", "flake-parts", FLAKE_PARTS_HASH),
            "inputs": {"nixpkgs-lib": ["nixpkgs"]},
        },
        "hercules-ci-effects": {
            **github("hercules-ci", "hercules-ci-effects", EFFECTS_HASH),
            "inputs": {"flake-parts": ["flake-parts"], "nixpkgs": ["nixpkgs"]},
        },
        "nixpkgs": github("nix-community", "nixpkgs.lib", LIB_HASH),
        "systems": {**github("nix-systems", "default", SYSTEMS_HASH), "flake": False},
    },
    "root": "root",
    "version": 7,
}


def lock(data: Any = PROJECT) -> LockFile:
    return LockFile.parse(json.dumps(data))


def test_inputs_and_follows() -> None:
    f = lock()
    assert f.inputs(f.root) == {
        "flake-parts": "flake-parts",
        "hercules-ci-effects": "hercules-ci-effects",
        "nixpkgs": "nixpkgs",
        "systems": "systems",
    }
    assert f.inputs("flake-parts") == {"nixpkgs-lib": "nixpkgs"}
    assert f.inputs("hercules-ci-effects") == {"flake-parts": "flake-parts", "nixpkgs": "nixpkgs"}
    # A follows through a follows.
    assert f.node_of(("hercules-ci-effects", "flake-parts", "nixpkgs-lib")) == "nixpkgs"
    assert f.node_of(()) == "root"
    assert f.inputs("nixpkgs") == {}


def test_locked_sources_and_flake_false() -> None:
    f = lock()
    assert f.locked("flake-parts").sri == FLAKE_PARTS_HASH
    assert f.locked("flake-parts").store_path() == (
        "/nix/store/lrxvs4l9bqbgjfz7w9bkfg5zqq442jxc-source"
    )
    assert f.is_flake("flake-parts") and not f.is_flake("systems")
    with pytest.raises(LockError, match="node 'root' has no locked reference"):
        f.locked("root")


def broken(**change: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(PROJECT))
    for path, value in change.items():
        *parents, last = path.split("__")
        target = data
        for part in parents:
            target = target[part]
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[1, 2]", "its value is not an object"),
        ("{", "not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (broken(version=8), "version 8 is not supported"),
        (broken(root="nowhere"), "no nodes or no root node"),
        (broken(nodes__root__inputs__x="missing"), "input 'x' of node 'root' names no node"),
        (broken(nodes__root__inputs__x=3), "neither a node nor a follows path"),
    ],
)
def test_unreadable_lock_files(data: Any, message: str) -> None:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(LockError, match=message):
        f = LockFile.parse(text)
        f.inputs(f.root)


def test_follows_to_nothing_and_cycles() -> None:
    f = lock(broken(**{"nodes__flake-parts__inputs__nixpkgs-lib": ["nope"]}))
    with pytest.raises(LockError, match=r"input 'nope' does not exist: the root has no 'nope'"):
        f.inputs("flake-parts")
    f = lock(broken(nodes__root__inputs={"a": ["b"], "b": ["a"]}))
    with pytest.raises(LockError, match="follows cycle: b -> a -> b"):
        f.inputs(f.root)


def test_input_paths_name_each_node_by_its_shortest_path() -> None:
    data = json.loads(json.dumps(PROJECT))
    # A node only reachable below another input: named by the path to it.
    data["nodes"]["lib"] = github("nix-community", "nixpkgs.lib", LIB_HASH)
    data["nodes"]["flake-parts"]["inputs"] = {"nixpkgs-lib": "lib"}
    assert lock(data).input_paths() == {
        "flake-parts": ("flake-parts",),
        "hercules-ci-effects": ("hercules-ci-effects",),
        "nixpkgs": ("nixpkgs",),
        "systems": ("systems",),
        "lib": ("flake-parts", "nixpkgs-lib"),
    }
    # Reached through follows too, a node keeps its shortest name.
    assert "nixpkgs" in lock().input_paths() and len(lock().input_paths()) == 4
