"""Undefined variables, as nix-instantiate --parse reports them, and Nix's base names."""

from __future__ import annotations

import os
import shutil
import subprocess
import typing

import pytest

from nixeval.builtins.names import BASE_ENV
from nixeval.resolve import _WALK, undefined_variables
from nixeval.syntax import nodes, parse


def names(text: str) -> list[str]:
    return [u.name for u in undefined_variables(parse(text))]


@pytest.mark.parametrize(
    ("text", "undefined"),
    [
        ("x", ["x"]),
        ("x: x", []),
        ("x: y", ["y"]),
        ("let a = b; b = 1; in a", []),
        ("let inherit a; in 1", ["a"]),
        ("let a = 1; inherit (a) b; in b", []),
        ("rec { a = b; b = 1; }", []),
        ("{ a = b; b = 1; }", ["b"]),
        ("rec { inherit b; c = 1; }", ["b"]),
        ("{ a ? b, b ? a }: a", []),
        ("args@{ a ? args }: a", []),
        ("with x; y", ["x"]),
        ("with {}; y z", []),
        ("let { a = 1; body = a; }", []),
        ("a.${b} or c", ["a", "b", "c"]),
        ("map toString [ true false null builtins import ]", []),
        ("__add __sub __curPos __findFile __nixPath", []),
        ("__foo", ["__foo"]),
        ("<nixpkgs> ./a/${b}", ["b"]),
        ("x: [ y z y ]", ["y", "z", "y"]),
        ('rec { ${a} = 1; a = "x"; }', []),
    ],
)
def test_undefined(text: str, undefined: list[str]) -> None:
    assert names(text) == undefined


def test_did_you_mean() -> None:
    [u] = undefined_variables(parse("let pkgs = 1; in pkgz"))
    assert u.suggestion == "pkgs"
    [u] = undefined_variables(parse("mpa toString []"))
    assert u.suggestion == "map"


@pytest.mark.skipif(not shutil.which("nix-instantiate"), reason="nix-instantiate not on PATH")
def test_base_env_is_exactly_nix() -> None:
    """Every base name parses alone in Nix; and every builtin not in BASE_ENV without '__'
    is rejected without it (its '__' form is in BASE_ENV)."""
    env = dict(os.environ, NIX_REMOTE="dummy://")
    listing = subprocess.run(
        ["nix-instantiate", "--eval", "--json", "-E", "builtins.attrNames builtins"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    import json

    builtin_names = json.loads(listing.stdout)
    candidates = sorted(set(builtin_names) | {f"__{b}" for b in builtin_names} | set(BASE_ENV))
    # One nix run per name is slow; test them all in one expression per verdict instead:
    # a list of all names Nix must accept parses; each rejected name is tried alone.
    accepted_expr = "[ " + " ".join(sorted(BASE_ENV)) + " ]"
    ok = subprocess.run(
        ["nix-instantiate", "--parse", "-E", accepted_expr], capture_output=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    for name in candidates:
        if name in BASE_ENV:
            continue
        r = subprocess.run(["nix-instantiate", "--parse", "-E", name], capture_output=True, env=env)
        assert r.returncode != 0, f"Nix accepts {name!r} unbound but BASE_ENV lacks it"


def test_every_name_of_the_base_environment_is_implemented() -> None:
    from nixeval.builtins.base import missing_builtins

    assert missing_builtins() == []


def test_every_expression_class_is_walked() -> None:
    """`undefined_variables` finds a node's walk by its class (no ``match`` that mypy checks
    for exhaustiveness), so a new class of expression needs one too."""
    assert set(_WALK) == set(typing.get_args(nodes.Expr))
