"""flake.lock files for tests: a root whose inputs are GitHub nodes or follows paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# A NAR hash no store or cache has: the input it pins stays unavailable.
ABSENT = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def github(
    owner: str, repo: str, rev: str = "0" * 40, nar_hash: str = ABSENT, **extra: Any
) -> dict[str, Any]:
    """A lock node for a GitHub input; `extra` goes into the node (``inputs``, ``flake``)."""
    locked = {
        "lastModified": 1700000000,
        "narHash": nar_hash,
        "owner": owner,
        "repo": repo,
        "rev": rev,
        "type": "github",
    }
    return {
        **extra,
        "locked": locked,
        "original": {"owner": owner, "repo": repo, "type": "github"},
    }


def lock_text(nodes: dict[str, dict[str, Any]], root_inputs: dict[str, Any] | None = None) -> str:
    """A version 7 lock file with `nodes`; the root's inputs are `root_inputs` (default:
    one input per node, named as the node)."""
    inputs = root_inputs if root_inputs is not None else {name: name for name in nodes}
    return json.dumps(
        {"nodes": {**nodes, "root": {"inputs": inputs}}, "root": "root", "version": 7},
        indent=2,
    )


def write_lock(
    directory: Path, nodes: dict[str, dict[str, Any]], root_inputs: dict[str, Any] | None = None
) -> Path:
    path = directory / "flake.lock"
    path.write_text(lock_text(nodes, root_inputs), encoding="utf-8")
    return path


# The inputs of a flake that uses nixpkgs and hercules-ci-effects, neither available.
NIXPKGS_AND_EFFECTS = {
    "nixpkgs": github("NixOS", "nixpkgs"),
    "hercules-ci-effects": github(
        "hercules-ci", "hercules-ci-effects", inputs={"nixpkgs": ["nixpkgs"]}
    ),
}
