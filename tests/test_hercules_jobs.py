"""Hercules CI jobs (`nixeval.hercules.jobs`): ``when``, ``enable``, ``extraInputs``, ``outputs``.

``when`` is checked against real Nix 2.8 evaluating hercules-ci-effects' own ``when`` option
(``flake-modules/types/when.nix``, with the reference nixpkgs ``lib`` of ``../shared``):
every shape both accept normalises to the same fields, every shape it rejects ci-eval
rejects too. Where the agent is stricter than that option (it takes ``dayOfWeek`` and
``dayOfMonth`` as lists only, days of the month from 1), the tests say so. ``enable`` and
``extraInputs`` are the agent's own rules (hercules-agent.md §4), with no Nix file to
evaluate: they are tested directly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nixeval.eval import errors as E
from nixeval.eval.force import force
from nixeval.eval.machine import Machine
from nixeval.frontend import parse_checked
from nixeval.hercules.jobs import InvalidJob, describe_when, job_outputs, job_when
from nixeval.syntax import Source
from nixeval.values import Attrs, Unknown

from .twin import NIX_TIMEOUT_S, clean_env

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT.parent / "shared" / "data" / "inputs"
LIB = INPUTS / "nixpkgs.lib" / "lib"
WHEN = INPUTS / "hercules-ci-effects" / "flake-modules" / "types" / "when.nix"

# `when` shapes hercules-ci-effects' option and the agent both accept.
GOOD = [
    "{ }",
    "{ hour = 3; }",
    "{ hour = [ 0 23 ]; }",
    "{ hour = [ ]; }",
    "{ minute = 0; }",
    "{ hour = 12; minute = 59; }",
    '{ dayOfWeek = [ "Mon" "Sun" ]; }',
    "{ dayOfMonth = [ 1 31 ]; }",
    "{ hour = null; minute = null; dayOfWeek = null; dayOfMonth = null; }",
    '{ hour = [ 3 15 ]; minute = 30; dayOfWeek = [ "Sat" ]; dayOfMonth = [ 13 ]; }',
]
# … and shapes both reject.
BAD = [
    "5",
    "{ hour = 24; }",
    "{ hour = -1; }",
    "{ hour = [ 3 24 ]; }",
    '{ hour = "3"; }',
    "{ hour = 3.0; }",
    "{ hour = true; }",
    "{ minute = 60; }",
    "{ minute = [ 0 ]; }",
    '{ minute = "5"; }',
    '{ dayOfWeek = [ "Sunday" ]; }',
    '{ dayOfWeek = [ "mon" ]; }',
    "{ dayOfWeek = [ 1 ]; }",
    "{ dayOfMonth = [ 32 ]; }",
    '{ dayOfMonth = [ "1" ]; }',
    "{ minutes = 5; }",
    "{ hours = [ 1 ]; }",
]


def _eval(machine: Machine, text: str) -> Any:
    source = Source("jobs.nix", text)
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    return force(machine.eval(expr, machine.file_env(source, "/work")))


def _machine() -> Machine:
    return Machine(unknowns=True, search_path=[])


def _when(shape: str) -> dict[str, Any]:
    machine = _machine()
    return job_when(machine, _eval(machine, f"{{ outputs = {{ }};\n  when = {shape}; }}"))


def _nix_when(shapes: list[str]) -> list[Any]:
    """What hercules-ci-effects' `when` option makes of each shape (nulls dropped), or
    "rejected"."""
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not on PATH")
    if not LIB.is_dir() or not WHEN.is_file():
        pytest.skip(f"{INPUTS} is not here (the reference sources of ../shared)")
    expr = f"""
      let
        lib = import {LIB};
        w = import {WHEN} {{ inherit lib; }};
        ev = v: lib.filterAttrs (k: x: x != null)
          (lib.evalModules {{ modules = [ {{ options.when = w.option; }} {{ when = v; }} ]; }}).config.when;
        try = v: let r = builtins.tryEval (builtins.deepSeq (ev v) (ev v));
                 in if r.success then r.value else "rejected";
      in map try [ {" ".join(f"({s})" for s in shapes)} ]
    """
    proc = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "--readonly-mode", "-E", expr],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=NIX_TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: list[Any] = json.loads(proc.stdout)
    return result


def _ci_eval_when(shape: str) -> Any:
    try:
        return _when(shape)
    except InvalidJob:
        return "rejected"


def test_when_matches_the_hercules_ci_effects_option_in_nix() -> None:
    shapes = GOOD + BAD
    expected = _nix_when(shapes)
    assert [e == "rejected" for e in expected] == [False] * len(GOOD) + [True] * len(BAD)
    assert {s: _ci_eval_when(s) for s in shapes} == dict(zip(shapes, expected, strict=True))


def test_an_hour_is_a_list_whether_written_as_an_int_or_a_list() -> None:
    assert _when("{ hour = 3; minute = 0; }") == {"minute": 0, "hour": [3]}
    assert _when("{ hour = [ 3 ]; minute = 0; }") == {"minute": 0, "hour": [3]}


# The agent is stricter than hercules-ci-effects' option (which coerces a single value to a
# list, and allows day 0): a `when` written straight into herculesCI must use its shapes.
@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ('{ dayOfWeek = "Fri"; }', "when.dayOfWeek must be a list of days"),
        ("{ dayOfMonth = 31; }", "when.dayOfMonth must be a list of integers from 1 to 31"),
        ("{ dayOfMonth = [ 0 ]; }", "when.dayOfMonth must be a list of integers from 1 to 31"),
    ],
)
def test_the_agent_takes_days_as_lists_only(shape: str, message: str) -> None:
    with pytest.raises(InvalidJob) as caught:
        _when(shape)
    assert caught.value.message.startswith(message)
    assert caught.value.code == "E220"


@pytest.mark.parametrize(
    ("shape", "line", "hint"),
    [
        ("{\n    hour = 24;\n  }", 3, None),
        ('{\n    dayOfWeek = [ "Sunday" ];\n  }', 3, "did you mean 'Sun'?"),
        ("{\n    minutes = 5;\n  }", 3, "did you mean 'minute'?"),
        ("3", 2, None),
    ],
)
def test_a_bad_when_is_placed_at_its_attribute(shape: str, line: int, hint: str | None) -> None:
    with pytest.raises(InvalidJob) as caught:
        _when(shape)
    err = caught.value
    assert err.source is not None and err.span is not None
    assert err.source.position(err.span.start).line == line
    assert err.hint == hint


def test_an_unknown_when_field_is_kept_not_refused() -> None:
    machine = _machine()
    fn = _eval(machine, "u: { outputs = { }; when = { hour = u; minute = 5; }; }")
    when = job_when(machine, machine.call(fn, Unknown("the hour")))
    assert type(when["hour"]) is Unknown and when["minute"] == 5
    assert describe_when(when) == "daily at «unknown: the hour»:05"
    whole = job_when(machine, machine.call(_eval(machine, "u: { when = u; }"), Unknown("w")))
    assert type(whole["unknown"]) is Unknown
    assert describe_when(whole) == "at a time unknown offline («unknown: w»)"


def test_a_job_without_when_is_any_time() -> None:
    machine = _machine()
    assert job_when(machine, _eval(machine, "{ outputs = { }; }")) == {}


@pytest.mark.parametrize(
    ("when", "text"),
    [
        ({"minute": 0, "hour": [3], "dayOfWeek": ["Sat"]}, "Sat at 03:00"),
        ({"hour": [3]}, "daily at 03:xx"),
        ({}, "daily at xx:xx"),
        ({"minute": 5}, "daily at xx:05"),
        ({"minute": 30, "hour": [0, 12]}, "daily at 00:30, 12:30"),
        (
            {"dayOfWeek": ["Mon", "Fri"], "dayOfMonth": [1, 15]},
            "Mon, Fri on day 1, 15 of the month at xx:xx",
        ),
        ({"dayOfMonth": [1], "hour": [23], "minute": 59}, "on day 1 of the month at 23:59"),
    ],
)
def test_describe_when(when: dict[str, Any], text: str) -> None:
    assert describe_when(when) == text


def test_describe_when_of_a_normalised_when() -> None:
    assert describe_when(_when('{ hour = 3; minute = 0; dayOfWeek = [ "Sat" ]; }')) == (
        "Sat at 03:00"
    )


# --- enable, outputs, extraInputs -----------------------------------------------------------


def _job(text: str, given: dict[str, Any] | None = None) -> Any:
    machine = _machine()
    return job_outputs(machine, _eval(machine, text), given)


def test_outputs_as_a_set() -> None:
    outputs = _job("{ outputs = { a = 1; }; }")
    assert type(outputs) is Attrs and force(outputs.items["a"]) == 1


@pytest.mark.parametrize("enable", ["true", "(1 == 1)"])
def test_an_enabled_job_gives_its_outputs(enable: str) -> None:
    assert type(_job(f"{{ enable = {enable}; outputs = {{ a = 1; }}; }}")) is Attrs


def test_a_disabled_job_is_not_walked() -> None:
    """Its outputs are not even evaluated."""
    assert _job('{ enable = false; outputs = throw "not evaluated"; }') is None


def test_enable_must_be_a_boolean() -> None:
    with pytest.raises(InvalidJob) as caught:
        _job('{\n  enable = "yes";\n  outputs = { };\n}')
    err = caught.value
    assert err.message == "a job's enable must be a Boolean, but is a string"
    assert err.source is not None and err.span is not None
    assert err.source.position(err.span.start).line == 2


def test_an_unknown_enable_is_walked() -> None:
    machine = _machine()
    fn = _eval(machine, "u: { enable = u; outputs = { a = 1; }; }")
    assert type(job_outputs(machine, machine.call(fn, Unknown("enable")))) is Attrs


def test_a_job_without_outputs_is_refused() -> None:
    with pytest.raises(InvalidJob, match="a job must have outputs"):
        _job("{ enable = true; }")


def test_outputs_function_gets_unknown_extra_inputs() -> None:
    outputs = _job(
        '{ extraInputs = { site = { project = "neat-org/site"; ref = "refs/heads/live"; };'
        '    docs.project = "neat-org/docs"; };'
        "  outputs = { site, docs }: { inherit site docs; rev = site.rev; }; }"
    )
    site, docs, rev = (force(outputs.items[n]) for n in ("site", "docs", "rev"))
    assert site.provenance == (
        "extraInputs.site (the project neat-org/site at ref refs/heads/live, "
        "resolved by Hercules CI)"
    )
    assert (
        docs.provenance == "extraInputs.docs (the project neat-org/docs, resolved by Hercules CI)"
    )
    assert type(rev) is Unknown and "extraInputs.site" in rev.provenance


def test_given_extra_inputs_are_used() -> None:
    given = {"site": Attrs({"rev": "abc"})}
    outputs = _job(
        '{ extraInputs.site.project = "o/site"; outputs = { site }: { r = site.rev; }; }', given
    )
    assert force(outputs.items["r"]) == "abc"


def test_an_input_the_job_does_not_declare_is_nix_s_error() -> None:
    with pytest.raises(E.BadArgument, match="called without required argument 'other'"):
        _job('{ extraInputs.site.project = "o/site"; outputs = { site, other }: { }; }')


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ('{ ref = "main"; }', 'extraInputs.site must name its project: `project = "owner/repo";`'),
        ('{ project = "site"; }', 'extraInputs.site.project must be "owner/repo", but is "site"'),
        ("{ project = 3; }", "extraInputs.site.project must be a string, but is an integer"),
        ('"o/site"', "extraInputs.site must be an attribute set, but is a string"),
    ],
)
def test_a_bad_extra_input_is_refused(declaration: str, message: str) -> None:
    with pytest.raises(InvalidJob) as caught:
        _job(f"{{ extraInputs.site = {declaration}; outputs = {{ site }}: {{ }}; }}")
    assert caught.value.message == message
    assert caught.value.span is not None


def test_an_unknown_job_stays_unknown() -> None:
    machine = _machine()
    assert type(job_outputs(machine, Unknown("job"))) is Unknown
