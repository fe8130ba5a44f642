"""The reference sources of ``../shared/data/inputs/`` and how they are pinned: one table
for the tests that lay them out, fetch them or refer to them (checked against that
directory's README by ``tests/test_sources.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

INPUTS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "inputs"

# The reference revisions (INPUTS/README.md): owner, repo, rev, NAR hash, NAR hash nix32.
PINS = {
    "systems": (
        "nix-systems",
        "default",
        "da67096a3b9bf56a91d16901293e51ba5b49a27e",
        "sha256-Vy1rq5AaRuLzOxct8nz4T6wlgyUR7zLU309k9mBC768=",
        "1bzg89hgcr2gvza35vqi4n1jbb2gz1yg4b8p7gry4ihsj2mnnbap",
    ),
    "flake-utils": (
        "numtide",
        "flake-utils",
        "b1d9ab70662946ef0850d488da1c9019f3a9752a",
        "sha256-SZ5L6eA7HJ/nmkzGG7/ISclqe6oZdOZTNoesiInkXPQ=",
        "1x2wwj4qib476r9ycx0rm9xnmja9r2zipijckbkry71vw3llp7j9",
    ),
    "nixpkgs.lib": (
        "nix-community",
        "nixpkgs.lib",
        "de42d44212d207476489bce163375d8306a26d59",
        "sha256-0iaTCZDEORJeWamOjfDZaoZZx686f7QO5oL3ynmj+ew=",
        "1v7rldwwmxw2wq7b8zrsmz3mk1kav7q8v3m9b5g14ff4j04r69nj",
    ),
    "hercules-ci-effects": (
        "hercules-ci",
        "hercules-ci-effects",
        "af4331c44f13977b6964745454eadcfee2d244d1",
        "sha256-OOEWyt8ma7QAysDbiP65J7li7KIdtZfnbA11gFnwyEI=",
        "0hn8y1cq0x8ddkkrgd8xlbn65f97p7z8iny0r80b8sr6vz51dq9q",
    ),
    "flake-parts": (
        "hercules-ci",
        "flake-parts",
        "427bf4bd9435fdf21321c8cc628c24efc14c0f7a",
        "sha256-4dtXQk/NMePegK/nWp5NSeuZKLATItOq61lpEvmXqGw=",
        "0v58jzwi4sarxfmd68hkn0l9kss99ng5mrxgh3gf6cfd9x15gnz1",
    ),
    "flake-compat": (
        "edolstra",
        "flake-compat",
        "9100a0f413b0c601e0533d1d94ffd501ce2e7885",
        "sha256-CIVLLkVgvHYbgI2UpXvIIBJ12HWgX+fjA8Xf8PUmqCY=",
        "09m84vsz1py50giyfpx0fpc7a4i0r1xsb54dh0dpdg308lp4p188",
    ),
}


def tree(name: str) -> Path:
    if not (INPUTS / name).is_dir():
        pytest.skip(f"{INPUTS / name} is not here (the reference sources of ../shared)")
    return INPUTS / name


# The `inputs` of a flake-parts flake with hercules-ci-effects' flake module, as
# fixtures/flake-parts/flake.nix declares them: a test's flake with these inputs can use
# that fixture's flake.lock (which pins the reference revisions).
FLAKE_PARTS_INPUTS = """\
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    hercules-ci-effects.url = "github:hercules-ci/hercules-ci-effects";
    hercules-ci-effects.inputs.nixpkgs.follows = "nixpkgs";
    hercules-ci-effects.inputs.flake-parts.follows = "flake-parts";
  };
"""


def defined_at(flake: Path, definition: str) -> str:
    """``flake.nix:LINE:COLUMN`` of the first `definition` (an option's attribute path as
    the file writes it) in `flake`: where a flake module's effect is placed."""
    for number, line in enumerate(flake.read_text(encoding="utf-8").splitlines(), 1):
        column = line.find(definition)
        if column >= 0:
            return f"{flake.name}:{number}:{column + 1}"
    raise AssertionError(f"{definition} is not in {flake}")
