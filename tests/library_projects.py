"""What the tests of the real hercules-ci-effects share: the reference library, a nixpkgs
tree whose lib is the reference nixpkgs.lib (the modelled nixpkgs, with a real lib), the
search path that gives both to a legacy ci.nix, and the --override-input flags that give a
flake-parts fixture (whose flake.lock pins the reference revisions) its inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

from .test_real_inputs import INPUTS

LIBRARY = INPUTS / "hercules-ci-effects"
REVISION = "af4331c44f13977b6964745454eadcfee2d244d1"  # the reference library's

# How a legacy ci.nix takes nixpkgs with the library's overlay (as the guides do).
OVERLAY_PKGS = """\
  pkgs = import <nixpkgs> {
    system = "x86_64-linux";
    overlays = [ (import <hercules-ci-effects/overlay.nix>) ];
  };"""


def nixpkgs_tree(where: Path) -> Path:
    """A nixpkgs source tree at `where` (its `lib/` a copy of the reference nixpkgs.lib:
    restricted mode does not follow a symlink out of it): ci-eval recognises it and
    models its packages."""
    (where / "pkgs" / "top-level").mkdir(parents=True)
    shutil.copytree(INPUTS / "nixpkgs.lib" / "lib", where / "lib")
    return where


def search_path(nixpkgs: Path) -> list[str]:
    """The -I flags of a legacy project: the nixpkgs tree and the reference library."""
    return ["-I", f"nixpkgs={nixpkgs}", "-I", f"hercules-ci-effects={LIBRARY}"]


def flake_parts_overrides() -> list[str]:
    """A flake-parts fixture's inputs from the reference sources."""
    pairs = {
        "flake-parts": "flake-parts",
        "hercules-ci-effects": "hercules-ci-effects",
        "flake-parts/nixpkgs-lib": "nixpkgs.lib",
    }
    return [x for name, ref in pairs.items() for x in ("--override-input", name, str(INPUTS / ref))]
