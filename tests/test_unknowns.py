"""Unknown values (design §4): what needs the network or an unresolvable <path> is an
unknown that remembers where it came from; using it propagates it; branching or comparing
on it stops with a diagnostic that names it. Only with Machine(unknowns=True): `--eval`
stays as strict as nix-instantiate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nixeval.eval import errors as E
from nixeval.eval.machine import Machine
from nixeval.frontend import parse_checked
from nixeval.printing import force_deep, print_value, to_json_text
from nixeval.syntax import Source
from nixeval.values import StringTemplate


def evaluate(text: str, unknowns: bool = True) -> tuple[str, str]:
    machine = Machine(unknowns=unknowns, search_path=[])
    source = Source("ci.nix", text)
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    value = machine.eval(expr, machine.file_env(source, "/project"))
    force_deep(machine, value)
    return print_value(value), to_json_text(machine, value, set())


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        (
            'builtins.fetchTarball { url = "https://example.org/nixpkgs.tar.gz"; sha256 = "'
            + "1" * 52
            + '"; }',
            '«unknown: fetchTarball "https://example.org/nixpkgs.tar.gz"»',
        ),
        (
            'let p = import (builtins.fetchTarball "https://x/n.tar.gz") { system = "x86_64-linux"; };'
            " in p.hello",
            '«unknown: ((import (fetchTarball "https://x/n.tar.gz")) { system = "x86_64-linux"; }).hello»',
        ),
        (
            'let src = builtins.fetchTarball "https://x/e.tar.gz"; in import "${src}/overlay.nix"',
            '«unknown: import "${fetchTarball "https://x/e.tar.gz"}/overlay.nix"»',
        ),
        ("(import <nixpkgs> { }).openssh.meta", "«unknown: pkgs.openssh.meta»"),
        (
            "let pkgs = import <nixpkgs> { }; in with pkgs; [ hello openssh ]",
            "[ «unknown: pkgs.hello» «unknown: pkgs.openssh» ]",
        ),
        ("let u = builtins.fetchGit ./.; in (u // { a = 1; }).a", "1"),
        ("let u = builtins.fetchGit ./.; in u ? rev", "«unknown: (fetchGit /project) ? rev»"),
        ("let u = builtins.fetchGit ./.; in u.x + 1", "«unknown: (fetchGit /project).x + 1»"),
        ("let u = builtins.fetchGit ./.; in (u.f 1) 2", "«unknown: ((fetchGit /project).f 1) 2»"),
        (
            "let u = builtins.fetchGit ./.; in builtins.attrNames u",
            "«unknown: builtins.attrNames (fetchGit /project)»",
        ),
        ("let u = builtins.fetchGit ./.; in builtins.length [ u u ]", "2"),
        (
            'let p = import <nixpkgs> { }; in "${ { outPath = p.hello; } }/bin/hello"',
            '"/nix/store/«pkgs.hello»/bin/hello"',
        ),
        (
            "let u = builtins.fetchGit ./.; in builtins.elem u [ 1 ]",
            "«unknown: builtins.elem (fetchGit /project) [ 1 ]»",
        ),
        (
            "({ system, overlays ? [ ] }: [ system overlays ]) (import <nixpkgs> { })",
            "[ «unknown: builtins.currentSystem (the system nixpkgs is imported for)» «unknown: pkgs.overlays» ]",
        ),
    ],
)
def test_unknowns_propagate(text: str, printed: str) -> None:
    assert evaluate(text)[0] == printed


@pytest.mark.parametrize(
    ("elements", "builtin"),
    [
        ('map (x: if u.a then "a" else "b") [ 1 ]', "builtins.substring 0 1"),
        ('builtins.genList (i: if u.a then "a" else "b") 1', "builtins.substring 0 1"),
        ("map (x: if u.a then { } else { }) [ 1 ]", "builtins.attrNames"),
    ],
)
def test_a_builtin_given_an_element_that_needs_an_unknown_says_so(
    elements: str, builtin: str
) -> None:
    """A ``map`` or ``genList`` element is a thunk of its function's body, with no node of
    its own: a builtin it is given to, when it needs an unknown, shows it as ``…``."""
    text = f"let u = builtins.fetchGit ./.; in map ({builtin}) ({elements})"
    assert evaluate(text)[0] == f"[ «unknown: {builtin} … (which needs (fetchGit /project).a)» ]"


def test_unknowns_in_json_say_where_they_come_from() -> None:
    _, json_text = evaluate('{ src = builtins.fetchTarball "https://x/y.tar.gz"; }')
    assert (
        json_text == '{"src":{"unknown":"fetchTarball \\"https://x/y.tar.gz\\"","at":"ci.nix:1:9"}}'
    )


# --- strings known but for some parts ------------------------------------------------------

U = "let u = builtins.fetchGit ./.; v = u.version; in "


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        # an interpolation keeps its known text; a part that needs an unknown is shown as
        # its Nix text, and the string says what that part needed
        (U + '"nix ${v} update"', '«unknown: "nix ${(fetchGit /project).version} update"»'),
        (
            U + 'let c = if v == "2" then "update" else "lock"; in "nix flake ${c} -x"',
            '«unknown: "nix flake ${c} -x" (which needs (fetchGit /project).version)»',
        ),
        # a literal ${ in the known text is escaped, as in a Nix string
        (
            U + "''echo ''${HOME} ${v}''",
            '«unknown: "echo \\${HOME} ${(fetchGit /project).version}"»',
        ),
        # a sum whose first operand is a string, and a string template as the first operand
        (U + '"a" + v + "b"', '«unknown: "a${(fetchGit /project).version}b"»'),
        (U + '("a${v}" + "b") + "c"', '«unknown: "a${(fetchGit /project).version}bc"»'),
        # concatStringsSep (and so lib.concatStrings, concatMapStrings, types.lines' merge)
        (
            U + 'builtins.concatStringsSep ", " [ "a" v "b${v}c" ]',
            '«unknown: "a, ${(fetchGit /project).version}, b${(fetchGit /project).version}c"»',
        ),
        (
            U + 'builtins.concatStringsSep "\n" [ "x" (if v == "1" then "y" else "z") ]',
            '«unknown: "x\n${if v == "1" then "y" else "z"}" (which needs (fetchGit /project).version)»',
        ),
        # what a template is, is known: a string, not a set, never null
        (
            U + '[ (builtins.isString "a${v}") (builtins.isAttrs "a${v}") ("a${v}" == null) ]',
            "[ true false false ]",
        ),
        (U + 'builtins.typeOf ("a" + v)', '"string"'),
        # a template without unknown parts left is a string
        (U + 'let s = "a${v}"; in builtins.concatStringsSep "" [ "x" "y" ]', '"xy"'),
        # a known package's output path is known text inside a template
        (
            U + 'let p = import <nixpkgs> { }; in "${p.hello}/bin/hello ${v}"',
            '«unknown: "/nix/store/«pkgs.hello»/bin/hello ${(fetchGit /project).version}"»',
        ),
    ],
)
def test_a_string_is_known_but_for_its_unknown_parts(text: str, printed: str) -> None:
    assert evaluate(text)[0] == printed


def test_a_template_keeps_the_context_of_its_known_parts() -> None:
    machine = Machine(unknowns=True, search_path=[])
    source = Source(
        "ci.nix", U + '"${derivation { name = "d"; builder = "b"; system = "s"; }} ${v}"'
    )
    expr, _ = parse_checked(source)
    assert expr is not None
    value = machine.eval(expr, machine.file_env(source, "/project"))
    assert isinstance(value.model, StringTemplate)
    assert [c.endswith("-d.drv") for c in value.model.context] == [True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'let u = builtins.fetchGit ./.; in if u.rev == "x" then 1 else 2',
            "the comparison '==' needs the value of (fetchGit /project).rev",
        ),
        (
            "let u = builtins.fetchGit ./.; in if u.dirty then 1 else 2",
            "using it as a Boolean needs the value of (fetchGit /project).dirty",
        ),
        (
            "assert (builtins.fetchGit ./.).clean; 1",
            "using it as a Boolean needs the value of (fetchGit /project).clean",
        ),
        ("throw (builtins.fetchGit ./.).msg", "turning it into a string needs the value of"),
    ],
)
def test_branching_on_an_unknown_says_which_value(text: str, message: str) -> None:
    with pytest.raises(E.NeedsValue) as info:
        evaluate(text)
    assert message in info.value.message
    assert info.value.hint is not None and "--arg" in info.value.hint
    assert info.value.span is not None


def test_eval_stays_as_strict_as_nix() -> None:
    with pytest.raises(E.EvalError, match="needs the network"):
        evaluate('builtins.fetchTarball "https://x/y.tar.gz"', unknowns=False)
    with pytest.raises(E.Thrown, match="was not found in the Nix search path"):
        evaluate("<nixpkgs>", unknowns=False)


def test_known_search_path_entries_are_still_used(tmp_path: Path) -> None:
    (tmp_path / "lib.nix").write_text("{ answer = 42; }")
    machine = Machine(unknowns=True, search_path=[("local", str(tmp_path))])
    source = Source("ci.nix", "[ (import <local/lib.nix>).answer <missing> ]")
    expr, _ = parse_checked(source)
    assert expr is not None
    value = machine.eval(expr, machine.file_env(source, os.getcwd()))
    force_deep(machine, value)
    assert print_value(value) == "[ 42 «unknown: <missing>» ]"


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("(import <nixpkgs> { }).lib.optionalAttrs true { a = 1; }", "{ a = 1; }"),
        (
            'let pkgs = import (builtins.fetchTarball "https://github.com/NixOS/nixpkgs/archive/x.tar.gz") { }; inherit (pkgs) lib;'
            ' in lib.concatMapStringsSep "," toString [ 1 2 ]',
            '"1,2"',
        ),
        (
            '(import <nixpkgs> { }).lib.versionAtLeast (import <nixpkgs> { }).lib.version "22.05"',
            "true",
        ),
        (
            "let lib = (import <nixpkgs> { }).lib; in (lib.nixosSystem { modules = [ ]; }).config",
            "«unknown: (lib.nixosSystem { modules = [ ]; }).config»",
        ),
    ],
)
def test_the_offline_lib_is_reached_from_an_unknown_nixpkgs(text: str, printed: str) -> None:
    assert evaluate(text)[0] == printed


def test_without_an_overlay_nixpkgs_has_no_effects_library() -> None:
    # nixpkgs itself has no hci-effects: only an overlay (or the library's default.nix)
    # adds it, so without one it is an unknown package, not the bundled model.
    printed = evaluate("(import <nixpkgs> { }).hci-effects.runIf")[0]
    assert printed == "«unknown: pkgs.hci-effects.runIf»"


def test_a_typo_in_the_offline_lib_is_a_missing_attribute() -> None:
    with pytest.raises(E.MissingAttribute) as info:
        evaluate("(import <nixpkgs> { }).lib.optionalAtrs true { }")
    assert info.value.hint == "did you mean 'optionalAttrs'?"


FETCHED = (
    'nixpkgs = builtins.fetchTarball "https://example.org/nixpkgs.tar.gz"; '
    'effectsSrc = builtins.fetchTarball "https://example.org/hercules-ci-effects.tar.gz"; '
)


@pytest.mark.parametrize(
    "entry",
    [
        # the overlay (hercules-effects.md §1)
        'pkgs = import nixpkgs { overlays = [ (import "${effectsSrc}/overlay.nix") ]; };'
        " E = pkgs.effects;",
        # an overlay ci-eval cannot see (the bundled model stands in for the library's)
        'pkgs = import nixpkgs { overlays = [ (import "${effectsSrc}/overlay.nix") ]; };'
        " E = pkgs.hci-effects;",
        # the repository's default.nix
        "pkgs = import nixpkgs { }; E = (import effectsSrc { inherit pkgs; }).effects;",
    ],
)
def test_the_effects_model_is_reached_from_unknowns(entry: str) -> None:
    text = (
        f"let {FETCHED}{entry} in "
        "let e = E.runIf true (E.runCachixDeploy { deploy.agents.m1 = pkgs.hello; }); in "
        "[ (builtins.attrNames e) e.run.name e.run.secretsMap e.run.__ciEval.function ]"
    )
    printed = evaluate(text)[0]
    assert printed == (
        '[ [ "prebuilt" "recurseForDerivations" "run" ] "effect-cachix-deploy-effect" '
        '"{\\"activate\\":\\"default-cachix-activate\\"}" "runCachixDeploy" ]'
    )
