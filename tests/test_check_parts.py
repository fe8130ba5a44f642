"""Parts of ``ci-eval check``: the refs a file's conditions name, and three-valued secret
conditions (what the checks may hold against a file when owner or repo are unknown)."""

from __future__ import annotations

import pytest

from nixeval.effects.branches import compared_refs
from nixeval.effects.secrets import Pretend, condition_holds, evaluate_condition, parse_condition
from nixeval.syntax import Source, parse_source


def refs(text: str) -> list[str]:
    return compared_refs(parse_source(Source("t.nix", text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('src: src.ref == "refs/heads/production"', ["refs/heads/production"]),
        ('src: "refs/tags/v1" != src.ref', ["refs/tags/v1"]),
        ('{ branch, ... }: branch == "main"', ["refs/heads/main"]),
        ('x: x.tag == "v2.0"', ["refs/tags/v2.0"]),
        ('x: builtins.elem x.branch [ "a" "b" ]', ["refs/heads/a", "refs/heads/b"]),
        ('x: lib.elem x.ref [ "refs/heads/a" "staging" ]', ["refs/heads/a"]),
        ('{ a = "refs/heads/x"; b = "refs/heads/x"; }', ["refs/heads/x"]),
        # not refs: other names, interpolation, prefixes alone, other comparisons
        ('x: x.name == "main"', []),
        ('x: x.ref == "main"', []),
        ('b: x.ref == "refs/heads/${b}"', []),
        ('"refs/heads/"', []),
        ('x: x.branch < "main"', []),
    ],
)
def test_compared_refs(text: str, expected: list[str]) -> None:
    assert refs(text) == expected


def pretend(owner: str | None = None, default: str | None = None) -> Pretend:
    return Pretend.from_options(as_branch="main", owner=owner, repo=None, default_branch=default)


@pytest.mark.parametrize(
    ("condition", "owner", "expected"),
    [
        ({"isOwner": "org"}, None, None),
        ({"isOwner": "org"}, "org", True),
        ({"isOwner": "org"}, "other", False),
        ({"and": [{"isBranch": "main"}, {"isOwner": "org"}]}, None, None),
        ({"and": [{"isBranch": "prod"}, {"isOwner": "org"}]}, None, False),
        ({"or": [{"isBranch": "main"}, {"isOwner": "org"}]}, None, True),
        ({"or": [{"isBranch": "prod"}, {"isOwner": "org"}]}, None, None),
        ({"or": []}, None, False),
        ({"and": []}, None, True),
        ("isDefaultBranch", None, None),
        ({"isRepo": "r"}, "org", None),
        (True, None, True),
        ("isTag", None, False),
    ],
)
def test_condition_holds_is_three_valued(
    condition: object, owner: str | None, expected: bool | None
) -> None:
    c = parse_condition(condition)
    assert condition_holds(c, pretend(owner)) is expected
    if expected is not None:  # where it is decided, it agrees with the agent's evaluation
        assert evaluate_condition(c, pretend(owner)) is expected


def test_default_branch_known() -> None:
    c = parse_condition("isDefaultBranch")
    assert condition_holds(c, pretend(default="main")) is True
    assert condition_holds(c, pretend(default="master")) is False
