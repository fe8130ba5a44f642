"""Hercules CI's default ``herculesCI`` of a flake (`nixeval.hercules.defaults`), against the
agent's own ``default-herculesCI-for-flake.nix`` evaluated by real Nix 2.8.

Each case is a flake (``flakeOf outputs``: the outputs with ``outputs`` and ``outPath``, as
Nix's call-flake gives) and HerculesCIArgs, written in Nix, and a view (a Nix function of the
result: the whole of it, one attribute, its attribute names…). Nix evaluates
``view ((import ORACLE).addDefaults flake args)`` with ``--eval --strict --json``; ci-eval
evaluates the same case text, calls `add_defaults` and applies the same view. The JSON, the
``trace:`` lines (in order) and the thrown message must be the same.

The cases without Nix (values unknown offline, where errors are placed) are at the end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from nixeval.eval import errors as E
from nixeval.eval.force import force
from nixeval.eval.machine import Machine
from nixeval.frontend import parse_checked
from nixeval.hercules.defaults import add_defaults
from nixeval.printing import to_json_text
from nixeval.syntax import Source
from nixeval.values import Attrs, Unknown

from .twin import NIX_TIMEOUT_S, clean_env

ROOT = Path(__file__).resolve().parent.parent
ORACLE = ROOT.parent / "shared" / "data" / "hercules-ci-agent" / "default-herculesCI-for-flake.nix"

# Written in front of every case: derivations, a flake from outputs, HerculesCIArgs.
PRELUDE = """
  drv = name: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh"; };
  flakeOf = outputs: outputs // { inherit outputs; outPath = "/src"; _type = "flake"; };
  repo = {
    ref = "refs/heads/main"; branch = "main"; tag = null; rev = "0123456789abcdef";
    shortRev = "0123456"; outPath = "/src"; remoteHttpUrl = "https://github.com/o/r.git";
    remoteSshUrl = "git@github.com:o/r.git"; webUrl = "https://github.com/o/r";
    forgeType = "github"; owner = "o"; name = "r";
  };
  argsWith = ciSystems: {
    inherit (repo) rev shortRev ref branch tag;
    primaryRepo = repo;
    herculesCI = { apiBaseUrl = "https://hercules-ci.com"; inherit ciSystems; };
  };
  args = argsWith null;
  three = f: { x86_64-linux = f "x86_64-linux"; aarch64-linux = f "aarch64-linux";
               x86_64-darwin = f "x86_64-darwin"; };
  # A path that is "below the store directory" as the agent tests it (`dirOf` has the
  # store directory as prefix) and exists on this machine: Nix's store is empty here.
  storeLike = "/nix/store/../../@TMP@";
"""


class Case(NamedTuple):
    id: str
    body: str  # `{ flake = …; args = …; }`, in the prelude's scope
    view: str = "r: r"


def case(id: str, outputs: str, args: str = "args", view: str = "r: r") -> Case:
    return Case(id, f"{{ flake = flakeOf ({outputs}); args = {args}; }}", view)


PACKAGES = '{ packages = three (s: { hello = drv "hello-${s}"; }); }'

CASES = [
    # packages for three systems, ciSystems from the arguments or from herculesCI
    case("packages-ci-null", PACKAGES),
    case(
        "packages-ci-set",
        PACKAGES,
        args="argsWith { x86_64-linux = { }; aarch64-linux = { }; riscv64-linux = { }; }",
    ),
    case(
        "packages-herculesCI-ciSystems-list",
        '{ packages = (three (s: { hello = drv "h-${s}"; })); herculesCI.ciSystems = [ "aarch64-linux" ]; }',
        args="argsWith { x86_64-linux = { }; }",
    ),
    case(
        "herculesCI-function-ciSystems",
        '{ packages = three (s: { a = drv "a-${s}"; });'
        '  herculesCI = { primaryRepo, ... }: { ciSystems = [ "x86_64-darwin" ];'
        "    repoName = primaryRepo.name; }; }",
    ),
    case(
        "checks-formatter",
        '{ checks = three (s: { test = drv "t-${s}"; }); formatter = three (s: drv "fmt-${s}"); }',
        args="argsWith { x86_64-darwin = { }; }",
    ),
    # shells
    case(
        "devShell-devShells",
        '{ devShell = three (s: drv "shell-${s}");'
        '  devShells = three (s: { default = drv "d-${s}"; other = drv "o-${s}"; }); }',
        args="argsWith { x86_64-linux = { }; }",
    ),
    case(
        "devShells-attribute-names",
        '{ devShells.x86_64-linux.default = drv "d"; }',
        view="r: builtins.attrNames r.onPush.default.outputs.devShells.x86_64-linux.default",
    ),
    case("devShell-not-a-derivation", '{ devShell.x86_64-linux = { type = "app"; }; }'),
    case("devShells-not-a-set", "{ devShells.x86_64-linux.default = 3; }"),
    # apps
    case(
        "apps-good",
        '{ apps.x86_64-linux = { hello = { type = "app"; program = "${drv "hello"}/bin/hello"; };'
        '  direct = { type = "app"; program = drv "direct"; }; }; }',
    ),
    case("app-bad-type", '{ apps.x86_64-linux.x = { type = "ap"; program = "/bin/sh"; }; }'),
    case("app-no-package", '{ apps.x86_64-linux.x = { type = "app"; program = "/bin/sh"; }; }'),
    case(
        "app-two-packages",
        '{ apps.x86_64-linux.x = { type = "app"; program = "${drv "a"}/bin/a ${drv "b"}"; }; }',
    ),
    case("app-no-program", '{ apps.x86_64-linux.x = { type = "app"; }; }'),
    case(
        "app-bad-only-where-selected",
        '{ apps.x86_64-linux = { bad = { type = "x"; }; good = { type = "app"; program = drv "g"; }; }; }',
        view="r: r.onPush.default.outputs.apps.x86_64-linux.good",
    ),
    # templates
    case("template-good", '{ templates.t = { description = "a template"; path = storeLike; }; }'),
    case(
        "template-functor-path",
        '{ templates.t = { description = "d"; path = { __toString = self: storeLike; }; }; }',
        view="r: builtins.attrNames r.onPush.default.outputs.templates.t",
    ),
    case("template-not-a-set", "{ templates.t = 1; }"),
    case("template-no-description", "{ templates.t = { path = storeLike; }; }"),
    case("template-description-int", "{ templates.t = { description = 1; path = storeLike; }; }"),
    case("template-no-path", '{ templates.t = { description = "d"; }; }'),
    case("template-path-not-in-store", '{ templates.t = { description = "d"; path = "/tmp"; }; }'),
    case("template-path-a-path", '{ templates.t = { description = "d"; path = /tmp; }; }'),
    case("template-path-an-int", '{ templates.t = { description = "d"; path = 3; }; }'),
    case(
        "template-path-missing",
        '{ templates.t = { description = "d"; path = "/nix/store/00000000000000000000000000000000-x"; }; }',
    ),
    # NixOS and nix-darwin configurations
    case(
        "nixos-filtered",
        "{ nixosConfigurations = {"
        '  a = { config.nixpkgs.system = "x86_64-linux"; config.system.build.toplevel = drv "a"; };'
        '  b = { config.nixpkgs.system = "aarch64-linux"; config.system.build.toplevel = drv "b"; };'
        '  c = { config.nixpkgs.localSystem.system = "aarch64-linux"; config.nixpkgs.system = "x86_64-linux";'
        '        config.system.build.toplevel = drv "c"; };'
        "  d = { options.nixpkgs.hostPlatform.isDefined = true;"
        '        config.nixpkgs.buildPlatform.system = "x86_64-linux";'
        '        config.nixpkgs.system = "aarch64-linux"; config.system.build.toplevel = drv "d"; };'
        "  e = { options.nixpkgs.hostPlatform.isDefined = false;"
        '        config.nixpkgs.buildPlatform.system = "x86_64-linux";'
        '        config.nixpkgs.system = "aarch64-linux"; config.system.build.toplevel = drv "e"; };'
        "}; }",
        args="argsWith { x86_64-linux = { }; }",
    ),
    case(
        "nixos-not-filtered",
        '{ nixosConfigurations.a = { config.nixpkgs.system = throw "not forced";'
        '    config.system.build.toplevel = drv "a"; other = throw "not forced either"; }; }',
    ),
    case(
        "darwin-filtered",
        "{ darwinConfigurations = {"
        '  mac = { config.nixpkgs.system = "aarch64-darwin"; config.system.build.toplevel = drv "m"; };'
        '  intel = { config.nixpkgs.system = "x86_64-darwin"; config.system.build.toplevel = drv "i"; };'
        "}; }",
        args="argsWith { x86_64-darwin = { }; }",
    ),
    # effects, as a set and as a function of the arguments
    case("effects-set", '{ effects = { deploy = drv "deploy"; }; }'),
    case(
        "effects-function",
        "{ effects = { primaryRepo, branch, ciSystems, herculesCI, ... }:"
        '    { deploy = drv "deploy-${primaryRepo.name}-${branch}";'
        "      systems = builtins.attrNames ciSystems; api = herculesCI.apiBaseUrl; }; }",
        args="argsWith { x86_64-linux = { }; }",
    ),
    case(
        "effects-function-herculesCI-ciSystems",
        '{ effects = args: { systems = args.ciSystems; }; herculesCI.ciSystems = [ "b" "a" ]; }',
    ),
    # herculesCI: absent, a set, a function, with and without onPush
    case(
        "herculesCI-with-onPush",
        '{ packages.x86_64-linux.a = drv "a"; herculesCI.onPush.mine.outputs = { x = drv "x"; }; }',
    ),
    case(
        "herculesCI-function-with-onPush",
        '{ packages.x86_64-linux.a = drv "a";'
        "  herculesCI = { branch, ... }: { onPush.mine.outputs.b = branch; }; }",
    ),
    case(
        "herculesCI-onSchedule-only",
        '{ checks.x86_64-linux.c = drv "c";'
        "  herculesCI.onSchedule.nightly = { when.hour = 3; outputs = { }; }; }",
    ),
    case(
        "herculesCI-functor-not-called",
        "{ herculesCI = { __functor = self: args: { onPush = { }; }; extra = 1; }; lib = { }; }",
        view="r: builtins.attrNames r ++ builtins.attrNames r.onPush.default.outputs",
    ),
    case("herculesCI-not-a-set", "{ herculesCI = 5; }"),
    case(
        "herculesCI-ciSystems-not-a-list",
        '{ herculesCI.ciSystems = "x86_64-linux"; packages = { }; }',
    ),
    case("herculesCI-ciSystems-not-strings", "{ herculesCI.ciSystems = [ 1 ]; packages = { }; }"),
    case("no-outputs-at-all", "{ }"),
    # ignored, deprecated and unknown flake attributes (traces)
    case(
        "ignored-deprecated-unknown",
        "{ overlays = { }; nixosModules = { }; darwinModules = { }; legacyPackages = { };"
        "  submodules = { }; defaultApp = { }; defaultPackage = { }; defaultTemplate = { };"
        "  defaultBundler = { }; overlay = { }; lib = { }; bundlers = { }; homeModules = { }; }",
    ),
    # laziness: one attribute is selected, the others (and their traces) are never forced
    case(
        "lazy-one-attribute",
        '{ packages = throw "packages forced"; checks.x86_64-linux.c = drv "c"; lib = { };'
        "  apps = throw 1; templates.t = throw 2; }",
        view="r: r.onPush.default.outputs.checks",
    ),
    case(
        "lazy-names-only",
        "{ packages = throw 1; lib = { }; defaultPackage = { }; effects = throw 2; }",
        view="r: builtins.attrNames r.onPush.default.outputs",
    ),
    case(
        "lazy-one-trace",
        "{ lib = { }; defaultPackage = { }; bundlers = { }; }",
        view="r: r.onPush.default.outputs.bundlers",
    ),
    case(
        "lazy-one-package",
        '{ packages = { x86_64-linux = { a = drv "a"; b = throw "b forced"; }; aarch64-linux = throw 1; }; }',
        view="r: r.onPush.default.outputs.packages.x86_64-linux.a",
    ),
    case(
        "lazy-herculesCI-fields",
        '{ herculesCI = { onSchedule = throw "not forced"; }; checks = { }; }',
        view="r: builtins.attrNames r",
    ),
]


class Outcome(NamedTuple):
    value: Any  # the view's JSON, or None on an error
    traces: list[str]
    error: str | None  # the first line of the error message


def _nix_outcome(body: str, view: str, tmp: str) -> Outcome:
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    expr = (
        f"let {PRELUDE.replace('@TMP@', tmp)}\n c = {body};\n"
        f"in ({view}) ((import {ORACLE}).addDefaults c.flake c.args)"
    )
    proc = subprocess.run(
        [exe, "--eval", "--strict", "--json", "--readonly-mode", "-E", expr],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=NIX_TIMEOUT_S,
        check=False,
    )
    lines = proc.stderr.splitlines()
    traces = [line for line in lines if line.startswith("trace: ")]
    if proc.returncode != 0:
        errors = [line[len("error: ") :] for line in lines if line.startswith("error: ")]
        assert errors, proc.stderr
        return Outcome(None, traces, errors[0])
    return Outcome(json.loads(proc.stdout), traces, None)


def _eval(machine: Machine, text: str) -> Any:
    source = Source("case.nix", text)
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    return force(machine.eval(expr, machine.file_env(source, "/work")))


def _ci_eval_outcome(body: str, view: str, tmp: str, capsys: pytest.CaptureFixture[str]) -> Outcome:
    machine = Machine(unknowns=True, search_path=[])
    prelude = PRELUDE.replace("@TMP@", tmp)
    c = _eval(machine, f"let {prelude} in {body}")
    view_fn = _eval(machine, f"let {prelude} in {view}")
    capsys.readouterr()
    try:
        result = add_defaults(machine, c.items["flake"], c.items["args"])
        text = to_json_text(machine, machine.call(view_fn, result), set())
    except E.EvalError as err:
        traces = [
            line for line in capsys.readouterr().err.splitlines() if line.startswith("trace: ")
        ]
        return Outcome(None, traces, err.message.splitlines()[0])
    traces = [line for line in capsys.readouterr().err.splitlines() if line.startswith("trace: ")]
    return Outcome(json.loads(text), traces, None)


def _needs_nix() -> None:
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not on PATH")
    if not ORACLE.is_file():
        pytest.skip(f"{ORACLE} is not here (the agent's file in ../shared)")


@pytest.fixture
def tmp_name(tmp_path: Path) -> str:
    """`tmp_path` relative to /, for ``storeLike`` (a template directory that exists)."""
    (tmp_path / "template").mkdir()
    return str(tmp_path / "template").lstrip("/")


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_add_defaults_matches_the_agent_in_nix(
    c: Case, tmp_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_nix()
    expected = _nix_outcome(c.body, c.view, tmp_name)
    got = _ci_eval_outcome(c.body, c.view, tmp_name, capsys)
    assert got == expected


def test_the_cases_cover_values_traces_and_errors(
    tmp_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The differential cases are not vacuous: Nix gives values, traces and errors."""
    _needs_nix()
    outcomes = [_nix_outcome(c.body, c.view, tmp_name) for c in CASES[:12]]
    outcomes += [_nix_outcome(c.body, c.view, tmp_name) for c in CASES if "ignored" in c.id]
    assert any(o.error for o in outcomes)
    assert any(o.traces for o in outcomes)
    assert any(o.value for o in outcomes)


# --- without Nix: unknowns, laziness in Python, where errors are ----------------------------


def _run(body: str, unknown: Unknown | None = None) -> tuple[Machine, Any]:
    """`add_defaults` of a case whose text may use `u`, an unknown value."""
    machine = Machine(unknowns=True, search_path=[])
    fn = _eval(machine, f"u: let {PRELUDE.replace('@TMP@', 'tmp')} in {body}")
    c = force(machine.call(fn, unknown or Unknown("the test's unknown")))
    return machine, add_defaults(machine, c.items["flake"], c.items["args"])


def _at(value: Any, *path: str) -> Any:
    for name in path:
        value = force(value).items[name]
    return force(value)


def _outputs(body: str) -> Attrs:
    _, result = _run(body)
    outputs = _at(result, "onPush", "default", "outputs")
    assert type(outputs) is Attrs
    return outputs


def test_an_unknown_herculesCI_stays_unknown() -> None:
    _, result = _run("{ flake = flakeOf { herculesCI = u; packages = { }; }; inherit args; }")
    assert type(result) is Unknown and "the test's unknown" in result.provenance


def test_an_unknown_herculesCI_function_result_stays_unknown() -> None:
    _, result = _run("{ flake = flakeOf { herculesCI = a: u.hci a; }; inherit args; }")
    assert type(result) is Unknown


def test_an_unknown_flake_stays_unknown() -> None:
    _, result = _run("{ flake = u; inherit args; }")
    assert type(result) is Unknown and result.provenance.endswith(".herculesCI")


def test_unknown_ciSystems_filter_nothing() -> None:
    outputs = _outputs(
        "{ flake = flakeOf { herculesCI.ciSystems = u; packages = three (s: { }); }; inherit args; }"
    )
    assert _at(outputs, "packages").names() == ["aarch64-linux", "x86_64-darwin", "x86_64-linux"]


def test_an_unknown_in_the_ciSystems_list_filters_nothing() -> None:
    outputs = _outputs(
        '{ flake = flakeOf { herculesCI.ciSystems = [ "x86_64-linux" u ];'
        "  packages = three (s: { }); }; inherit args; }"
    )
    assert len(_at(outputs, "packages").names()) == 3


def test_unknown_outputs_stay_unknown() -> None:
    outputs = _outputs(
        "{ flake = flakeOf { packages = u.packages; devShell = { x86_64-linux = u.shell; };"
        '  apps.x86_64-linux = { a = u.app; b = { type = u.type; }; c = { type = "app"; program = u.p; }; };'
        "  effects = u.effects; templates.t = u.t; nixosConfigurations = u.n; }; inherit args; }"
    )
    for path in [
        ("packages",),
        ("devShell", "x86_64-linux"),
        ("apps", "x86_64-linux", "a"),
        ("apps", "x86_64-linux", "b"),
        ("apps", "x86_64-linux", "c"),
        ("effects",),
        ("templates", "t"),
        ("nixosConfigurations",),
    ]:
        assert type(_at(outputs, *path)) is Unknown, path
    assert _at(outputs, "apps", "x86_64-linux", "b").provenance.endswith(".type")


def test_a_configuration_of_unknown_system_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = _outputs(
        "{ flake = flakeOf { nixosConfigurations = {"
        '  k = { config.nixpkgs.system = u.system; config.system.build.toplevel = drv "k"; };'
        '  x = { config.nixpkgs.system = "x86_64-linux"; config.system.build.toplevel = drv "x"; };'
        '  y = { config.nixpkgs.system = "aarch64-linux"; config.system.build.toplevel = drv "y"; };'
        "}; }; args = argsWith { x86_64-linux = { }; }; }"
    )
    assert _at(outputs, "nixosConfigurations").names() == ["k", "x"]
    assert (
        "Ignoring flake attribute y (system aarch64-linux not in ciSystems)"
        in capsys.readouterr().err
    )


def test_unknown_args_are_passed_to_effects_with_ciSystems() -> None:
    outputs = _outputs(
        "{ flake = flakeOf { effects = a: { inherit (a) ciSystems; r = a.primaryRepo; }; };"
        "  args = u // { herculesCI.ciSystems = null; }; }"
    )
    effects = _at(outputs, "effects")
    assert _at(effects, "ciSystems") is None
    assert type(_at(effects, "r")) is Unknown


def test_translations_are_thunks_until_selected(capsys: pytest.CaptureFixture[str]) -> None:
    """Building the defaults forces nothing of the outputs; selecting one attribute
    traces only that one."""
    _, result = _run(
        '{ flake = flakeOf { lib = { }; bundlers = { }; packages = throw "no"; }; inherit args; }'
    )
    outputs = _at(result, "onPush", "default", "outputs")
    assert capsys.readouterr().err == ""
    assert _at(outputs, "lib") is None
    assert capsys.readouterr().err == "trace: Ignoring flake attribute lib\n"


def test_a_throw_is_placed_at_the_attribute() -> None:
    _, result = _run(
        '{ flake = flakeOf {\n apps.x86_64-linux.x = {\n  type = "ap";\n }; }; inherit args; }'
    )
    with pytest.raises(E.Thrown) as caught:
        _at(result, "onPush", "default", "outputs", "apps", "x86_64-linux", "x")
    err = caught.value
    assert err.source is not None and err.span is not None
    position = err.source.position(err.span.start)
    # the prelude is on the first lines of the text; `type = "ap";` is 2 lines below `apps`
    text = err.source.text.splitlines()[position.line - 1]
    assert text.strip().startswith('type = "ap"'), text
    assert err.message == 'App type attribute must be set to "app".'


def test_a_template_path_built_by_a_derivation_is_accepted() -> None:
    """Nix's pathExists builds a derivation's output first (import from derivation), so
    Hercules CI accepts it once built. ``nix-instantiate --readonly-mode`` cannot build,
    so this is not a differential case."""
    outputs = _outputs(
        '{ flake = flakeOf { templates.t = { description = "d"; path = drv "tpl"; }; };'
        " inherit args; }"
    )
    template = _at(outputs, "templates", "t")
    assert type(template) is Attrs and template.names() == ["description", "path"]


def test_herculesCI_is_called_with_all_the_arguments() -> None:
    """As the agent's optionalCall: a function without ``...`` is Nix's error (Nix's
    message names the function by its place, which differs, so this is not a
    differential case)."""
    with pytest.raises(E.BadArgument, match="called with unexpected argument 'branch'"):
        _run("{ flake = flakeOf { herculesCI = { primaryRepo }: { }; }; inherit args; }")


def test_herculesCI_with_onPush_is_returned_as_it_is() -> None:
    _, result = _run(
        "{ flake = flakeOf { herculesCI.onPush = { }; packages = throw 1; }; inherit args; }"
    )
    assert _at(result, "onPush").names() == []
