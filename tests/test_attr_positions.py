"""Where the attributes of a set made by ``//`` or by a builtin were defined, as Nix 2.8
keeps them (a position per attribute, copied wherever the attribute is copied): through
``builtins.unsafeGetAttrPos`` and ``--eval --xml``. Each case runs real ``nix-instantiate``
(the oracle) and ci-eval as processes, with the same arguments, in the same directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_process import NIX_INSTANTIATE, ci_eval
from tests.cli_process import nix_instantiate as nix

pytestmark = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)

# A set written in one file, updated in another (positions from both files).
BASE = """\
{
  a = 1;
  b = 2;
  inherit (builtins) true;
}
"""
UPDATED = """\
let base = import ./base.nix; in
base // {
  b = 3;
    c = 4;
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "base.nix").write_text(BASE)
    (tmp_path / "updated.nix").write_text(UPDATED)
    return tmp_path


def positions(expr: str) -> str:
    """An expression listing the position of every attribute of the set `expr`."""
    return (
        f"let s = {expr}; in map (n: [ n (builtins.unsafeGetAttrPos n s) ]) (builtins.attrNames s)"
    )


def same_as_nix(project: Path, *argv: str) -> None:
    expected = nix(project, *argv)
    assert expected[0] == 0, expected[2]
    # The oracle gives a position for at least one attribute: the case tests something.
    assert "line" in expected[1]
    assert ci_eval(project, *argv)[:2] == (0, expected[1])


@pytest.mark.parametrize(
    "expr",
    [
        # `//`: a name only on the left, only on the right, on both (the right's wins).
        "{ a = 1; b = 2; } // {   b = 3; c = 4; }",
        # An update of an update, and of a set whose attributes have no position.
        "({ a = 1; } // { b = 2; }) // ({   c = 3; } // { a = 4; })",
        # A fold of updates: a chain of 3000, resolved without recursing.
        "builtins.foldl' (acc: i: acc // builtins.listToAttrs [ { name = toString i; "
        "value = i; } ]) { } (builtins.genList (i: i) 3000)",
    ],
    ids=["update", "nested-updates", "fold"],
)
def test_update_keeps_both_sides_positions(project: Path, expr: str) -> None:
    same_as_nix(project, "--eval", "--strict", "-E", positions(expr))


def test_update_across_files(project: Path) -> None:
    """A set written in base.nix, updated in updated.nix, read in a third expression."""
    same_as_nix(project, "--eval", "--strict", "-E", positions("import ./updated.nix"))


@pytest.mark.parametrize(
    "expr",
    [
        # The attributes kept keep their positions.
        'builtins.removeAttrs { a = 1;   b = 2; c = 3; } [ "b" ]',
        'builtins.removeAttrs (import ./updated.nix) [ "a" ]',
        # The right set's attributes, with the right set's positions.
        "builtins.intersectAttrs { a = 1; c = 2; } { c = 3;   a = 4; d = 5; }",
        "builtins.intersectAttrs { a = 1; b = 2; } (import ./updated.nix)",
    ],
    ids=["removeAttrs", "removeAttrs-updated", "intersectAttrs", "intersectAttrs-updated"],
)
def test_builtins_that_keep_attributes(project: Path, expr: str) -> None:
    same_as_nix(project, "--eval", "--strict", "-E", positions(expr))


@pytest.mark.parametrize(
    "expr",
    [
        # Each attribute is where its element's `value` is (not its `name`); the first
        # element of a name wins.
        'builtins.listToAttrs [ { name = "a";   value = 1; } {   value = 2; name = "b"; } '
        '{ name = "a"; value = 3; } ]',
        # An element made by `//`, and one made by listToAttrs itself.
        'builtins.listToAttrs [ ({ name = "a"; } // {   value = 1; }) '
        '(builtins.listToAttrs [ { name = "name"; value = "b"; } {  name = "value"; value = 2; } ]) ]',
        # An element without positions next to one with.
        'builtins.listToAttrs [ (builtins.fromJSON "{\\"name\\":\\"a\\",\\"value\\":1}") '
        '{ name = "b"; value = 2; } ]',
    ],
    ids=["value-position", "made-elements", "element-without-positions"],
)
def test_list_to_attrs(project: Path, expr: str) -> None:
    same_as_nix(project, "--eval", "--strict", "-E", positions(expr))


@pytest.mark.parametrize(
    "made",
    [
        "builtins.mapAttrs (n: v: v + 1) { a = 1; }",
        "builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; } ]",
        'builtins.parseDrvName "a-1.0"',
        'builtins.fromJSON "{\\"a\\":1}"',
        'builtins.fromTOML "a = 1"',
        "builtins.tryEval 1",
        "builtins.partition (x: x > 1) [ 1 2 ]",
        'builtins.groupBy (x: "a") [ 1 ]',
    ],
)
def test_sets_built_by_builtins_have_no_positions(project: Path, made: str) -> None:
    """Nix gives these sets' attributes no position: on either side of ``//`` they have
    none, and on the right they hide the left's."""
    left = f"({made}) // {{ b = 1; }}"
    right = f"{{ a = 0; b = 1; value = 2; right = 3; wrong = 4; name = 5; }} // ({made})"
    same_as_nix(project, "--eval", "--strict", "-E", positions(left))
    same_as_nix(project, "--eval", "--strict", "-E", positions(right))


def test_function_args_updated(project: Path) -> None:
    same_as_nix(
        project,
        "--eval",
        "--strict",
        "-E",
        positions("builtins.functionArgs ({ a, b ? 1 }: a) // { c = 1; }"),
    )


def test_derivation_keeps_the_positions_of_its_arguments(project: Path) -> None:
    expr = 'builtins.unsafeGetAttrPos "name" (derivation { system = "x";  name = "a"; builder = "b"; })'
    same_as_nix(project, "--eval", "--strict", "-E", expr)


@pytest.mark.parametrize(
    "argv",
    [
        ["--eval", "--xml", "--strict", "-E", "{ a = 1; } // { b = { c = 2; } // {  d = 3; }; }"],
        ["--eval", "--xml", "--strict", "updated.nix"],
        ["--eval", "--xml", "-E", "import ./updated.nix"],
        [
            "--eval",
            "--xml",
            "--strict",
            "-E",
            'builtins.listToAttrs [ { name = "a"; value = builtins.removeAttrs '
            "(builtins.intersectAttrs { x = 1; y = 2; } (import ./updated.nix // { x = 1; })) "
            '[ "y" ]; } ]',
        ],
    ],
    ids=["update", "file", "lazy", "builtins"],
)
def test_xml_shows_the_positions(project: Path, argv: list[str]) -> None:
    expected = nix(project, *argv)
    assert expected[0] == 0, expected[2]
    assert " line=" in expected[1]
    assert ci_eval(project, *argv)[:2] == (0, expected[1])


# --- what ci-eval does not do yet -----------------------------------------------------


def test_dynamic_attribute_position(project: Path) -> None:
    same_as_nix(
        project, "--eval", "--strict", "-E", positions('let k = "x"; in {  ${k} = 1; a = 2; }')
    )


def test_overrides_position(project: Path) -> None:
    same_as_nix(
        project, "--eval", "--strict", "-E", positions("rec { a = 1; __overrides = {   a = 2; }; }")
    )


def test_derivation_wrapper_positions(project: Path) -> None:
    expr = 'derivation { name = "a"; system = "x"; builder = "b"; }'
    same_as_nix(project, "--eval", "--strict", "-E", positions(expr))
