"""Positions in and around ``derivation``, the Nix-language wrapper of ``derivationStrict``,
as Nix 2.8 gives them: the wrapper's file is ``//builtin/derivation.nix``, its text starting
with an empty line, so what it defines (``outPath``, ``type``, ``all``, …) and the errors
raised in it are placed there; errors about the attributes given to it are placed in the
user's file. Each case runs real ``nix-instantiate`` (the oracle) and ci-eval as processes,
with the same arguments, in the same directory. ci-eval prints Nix's first line and then its
own rendering of the position (`` --> FILE:LINE:COLUMN (CODE)``, ``= note: … (at POS)``):
the positions are compared, each read from its own rendering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_process import NIX_INSTANTIATE, ci_eval
from tests.cli_process import nix_instantiate as nix

pytestmark = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)

DRV = 'derivation { name = "a"; system = "x"; builder = "b"; }'
MULTI = 'derivation { name = "a"; system = "x"; builder = "b"; outputs = [ "out" "dev" ]; }'
# A derivation without a name, written in a file of its own.
NAMELESS = """\
{ system ? "x" }:
derivation {
  inherit system;
  builder = "b";
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "nameless.nix").write_text(NAMELESS)
    return tmp_path


def same_output(project: Path, *argv: str) -> str:
    expected = nix(project, *argv)
    assert expected[0] == 0, expected[2]
    assert ci_eval(project, *argv)[:2] == (0, expected[1])
    return expected[1]


# --- what the wrapper defines -----------------------------------------------------------


def positions_of(expr: str, *names: str) -> str:
    listed = " ".join(f'"{name}"' for name in names)
    return f"let s = {expr}; in map (n: [ n (builtins.unsafeGetAttrPos n s) ]) [ {listed} ]"


@pytest.mark.parametrize(
    "expr",
    [
        positions_of(DRV, "type", "outPath", "drvPath", "all", "out", "outputName", "drvAttrs"),
        positions_of(MULTI, "out", "dev", "outputs", "name"),
        positions_of(f"({MULTI}).dev", "type", "outPath", "drvPath", "outputName", "out", "dev"),
        # The wrapper's own formal.
        positions_of("builtins.functionArgs derivation", "outputs"),
    ],
    ids=["one-output", "outputs", "second-output", "formal"],
)
def test_wrapper_attributes_are_placed_as_nix_places_them(project: Path, expr: str) -> None:
    shown = same_output(project, "--eval", "--strict", "-E", expr)
    assert '"//builtin/derivation.nix"' in shown


@pytest.mark.parametrize(
    "argv",
    [
        ["--eval", "--xml", "--strict", "-E", DRV],
        # Not forced: the wrapper's attributes are listed, with their positions, unevaluated.
        ["--eval", "--xml", "-E", f'removeAttrs ({DRV}) [ "type" ]'],
        # The wrapper itself, a function, is shown at its place.
        ["--eval", "--xml", "-E", "derivation"],
    ],
    ids=["strict", "lazy", "function"],
)
def test_xml_places_the_wrapper_as_nix_does(project: Path, argv: list[str]) -> None:
    shown = same_output(project, *argv)
    assert "//builtin/derivation.nix" in shown


# --- errors -----------------------------------------------------------------------------

# Nix: "       at FILE:LINE:COLUMN:"; ci-eval: " --> FILE:LINE:COLUMN (CODE)".
NIX_AT = re.compile(r"^\s+at (.+:\d+:\d+):$")
CI_AT = re.compile(r"^\s*--> (.+:\d+:\d+) \(E\d+\)$")


def nix_error_position(stderr: str) -> str:
    """Where Nix places the error: the first position after the message."""
    return next((m[1] for line in stderr.splitlines() if (m := NIX_AT.match(line))), "")


def ci_error_position(stderr: str) -> str:
    return next((m[1] for line in stderr.splitlines() if (m := CI_AT.match(line))), "")


def nix_note_position(stderr: str, message: str) -> str:
    """Where Nix places the trace line ``… MESSAGE`` (the position after it)."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"… {message}"), None)
    assert start is not None, stderr
    return next((m[1] for line in lines[start + 1 :] if (m := NIX_AT.match(line))), "")


def ci_note_position(stderr: str, message: str) -> str:
    found = re.search(rf"= note: {re.escape(message)} \(at (.+:\d+:\d+)\)$", stderr, re.M)
    assert found is not None, stderr
    return found[1]


def failures(project: Path, *argv: str) -> tuple[str, str]:
    """Nix's and ci-eval's error output for the same failing command."""
    expected = nix(project, *argv)
    assert expected[0] == 1, expected
    status, _, err, _ = ci_eval(project, *argv)
    assert status == 1, err
    assert "Traceback" not in err
    return expected[2], err


@pytest.mark.parametrize(
    "expr",
    [
        # No `name`: at the set given, not at the wrapper's call of derivationStrict.
        '(derivation { system = "x"; builder = "b"; }).outPath',
        "(import ./nameless.nix { }).outPath",
        'builtins.derivationStrict { system = "x"; }',
        'builtins.derivationStrict (rec { system = "x"; })',
        'builtins.derivationStrict { ${"system"} = "x"; }',
        # A `name` that is not a string: at the wrapper's call of derivationStrict.
        '(derivation { name = 1; system = "x"; builder = "b"; }).outPath',
        # An error in the wrapper: there, not at the call of `derivation`.
        'derivation { name = "a"; system = "x"; builder = "b"; outputs = 1; }',
    ],
    ids=[
        "missing-name",
        "missing-name-in-a-file",
        "derivationStrict",
        "rec",
        "dynamic",
        "name-not-a-string",
        "in-the-wrapper",
    ],
)
def test_error_is_placed_as_nix_places_it(project: Path, expr: str) -> None:
    expected, err = failures(project, "--eval", "-E", expr)
    assert nix_error_position(expected), expected
    assert ci_error_position(err) == nix_error_position(expected), err


@pytest.mark.parametrize(
    "made",
    [
        '({ system = "x"; } // { builder = "b"; })',
        '(removeAttrs { system = "x"; name = "a"; } [ "name" ])',
        "(builtins.functionArgs ({ system }: system))",
        '(builtins.intersectAttrs { system = 1; } { system = "x"; })',
    ],
    ids=["updated", "removeAttrs", "functionArgs", "intersectAttrs-keeping-all"],
)
def test_missing_name_is_at_the_set_only_if_it_was_written(project: Path, made: str) -> None:
    """A set written in a file is placed there; one made by ``//`` (of two non-empty sets) or
    by a builtin has no place of its own in Nix, so the error is at the call."""
    for given in ('{ system = "x"; }', made):
        expected, err = failures(project, "--eval", "-E", f"builtins.derivationStrict {given}")
        assert nix_error_position(expected), expected
        assert ci_error_position(err) == nix_error_position(expected), err


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            '(derivation { name = 1; system = "x"; builder = "b"; }).outPath',
            "while evaluating the derivation attribute 'name'",
        ),
        # An attribute that is no string: at the attribute; an element of `args`: at `name`.
        (
            '(derivation { name = "a"; system = "x"; builder = "b"; a = { }; }).drvPath',
            "while evaluating the attribute 'a' of the derivation 'a'",
        ),
        (
            '(derivation { name = "a"; system = "x"; builder = "b"; args = [ { } ]; }).drvPath',
            "while evaluating the attribute 'args' of the derivation 'a'",
        ),
    ],
    ids=["name", "attribute", "args"],
)
def test_attribute_error_is_placed_as_nix_places_it(project: Path, expr: str, message: str) -> None:
    """The error is placed where Nix places it, and the attribute being evaluated is noted at
    the derivation's `name`, as Nix notes it (``--show-trace``)."""
    expected, err = failures(project, "--eval", "--show-trace", "-E", expr)
    assert nix_error_position(expected), expected
    assert ci_error_position(err) == nix_error_position(expected), err
    assert nix_note_position(expected, message), expected
    assert ci_note_position(err, message) == nix_note_position(expected, message)


# --- what ci-eval does not do yet -------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="listToAttrs places an element's `name` that is not a string at its call; Nix at the "
    "element's `name` attribute (nixeval/builtins/attrs.py, listToAttrs)",
)
def test_output_name_not_a_string_is_placed_at_the_wrappers_element(project: Path) -> None:
    expected, err = failures(
        project,
        "--eval",
        "-E",
        'derivation { name = "a"; system = "x"; builder = "b"; outputs = [ 1 ]; }',
    )
    assert nix_error_position(expected).startswith("//builtin/derivation.nix:")
    assert ci_error_position(err) == nix_error_position(expected)


@pytest.mark.xfail(
    strict=True,
    reason="a call in parentheses is placed at its opening parenthesis; Nix places it at the "
    "function (the evaluator's call positions, nixeval/eval/)",
)
def test_no_outputs_is_placed_at_the_wrappers_call_of_head(project: Path) -> None:
    expected, err = failures(
        project,
        "--eval",
        "-E",
        'derivation { name = "a"; system = "x"; builder = "b"; outputs = [ ]; }',
    )
    assert nix_error_position(expected).startswith("//builtin/derivation.nix:")
    assert ci_error_position(err) == nix_error_position(expected)


def test_the_main_job_places_a_wrapper_error_at_the_users_call(project: Path) -> None:
    """Outside nix-instantiate's modes, an error raised inside the wrapper (a file no user
    has) is shown at the user's call of `derivation`; `--eval` places it as Nix does."""
    (project / "drv.nix").write_text(
        'derivation { name = "a"; system = "x"; builder = "b"; outputs = 1; }\n'
    )
    status, _, err, _ = ci_eval(project, "drv.nix")
    assert status == 1 and " --> drv.nix:1:1" in err and "//builtin" not in err, err
    status, _, err, _ = ci_eval(project, "--eval", "drv.nix")
    assert status == 1 and "//builtin/derivation.nix:" in err, err
