"""``ci-eval check`` on the shapes real Hercules CI projects have, without false errors or noise.

- Only the file the Hercules CI agent evaluates is called as an entry point: a flake-parts
  module that happens to be named ``ci.nix`` below a root ``flake.nix`` is parsed and
  linted, never called with ``{ src }`` (which gave a false E108), however ``check`` is
  run: on the file, on an editor's buffer (``--stdin-filename``), by ``--hook``, and by
  real pre-commit with README.md's configuration. A root ``ci.nix`` beside a
  ``flake.nix`` *is* what the agent evaluates, so its E108 stays, and says why.
- W002 leaves alone the arguments a module or a flake's ``outputs`` is passed by name, and
  the formals of ``args@{ … }`` when ``args`` is used; it still reports the rest.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from pathlib import Path

import pytest

from nixeval.lint import lint
from nixeval.syntax import Source, parse_source
from tests.cli_process import ci_eval
from tests.flake_locks import github, write_lock
from tests.git_repos import clean_env, git, new_repo, run
from tests.test_precommit import _readme_config

ROOT = Path(__file__).resolve().parent.parent
# `file:line:column: severity[CODE]: message`; a problem with a whole file has no place.
GCC_LINE = re.compile(r"^(.+?):(?:(\d+):(\d+):)? (error|warning|note)\[(\w+)\]: (.*)$")

# A flake-parts flake with hercules-ci-effects' flake module, as real projects write it;
# its inputs are pinned but not at hand (the test runs offline, with an empty cache).
FLAKE = """\
{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-parts.url = "github:hercules-ci/flake-parts";
    hercules-ci-effects.url = "github:hercules-ci/hercules-ci-effects";
  };

  outputs = inputs@{ self, flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } ({ withSystem, ... }: {
      imports = [ inputs.hercules-ci-effects.flakeModule ./nix/parts/ci.nix ];
      systems = [ "x86_64-linux" ];
    });
}
"""
LOCK = {
    "nixpkgs": github("NixOS", "nixpkgs"),
    "flake-parts": github("hercules-ci", "flake-parts"),
    "hercules-ci-effects": github("hercules-ci", "hercules-ci-effects"),
}
# A flake-parts module named ci.nix, with the module arguments real modules name.
MODULE = """\
{ config, lib, withSystem, ... }:
{
  hercules-ci.flake-update.enable = true;
  herculesCI = { config, ... }: {
    ciSystems = [ "x86_64-linux" ];
  };
  perSystem = { self', inputs', system, pkgs, config, ... }: {
    packages.default = pkgs.hello;
  };
}
"""
# The same without `...`: the module system would refuse it, but not with the agent's `src`.
STRICT_MODULE = "{ config, lib }:\n{\n  flake.lib.answer = 42;\n}\n"
PARTS = "nix/parts/ci.nix"


def gcc(out: str) -> list[tuple[str, str, str, str]]:
    """(file, line:column or "", code, message) of each error and warning of gcc output."""
    found = []
    for line in out.splitlines():
        m = GCC_LINE.match(line)
        if m and m.group(4) != "note":
            where = f"{m.group(2)}:{m.group(3)}" if m.group(2) else ""
            found.append((m.group(1), where, m.group(5), m.group(6)))
    return found


def project(tmp_path: Path, module: str = MODULE, where: str = PARTS) -> Path:
    """A git repository with the flake at its root and `module` at `where`, all staged."""
    repo = tmp_path / "project"
    env = clean_env(tmp_path)
    new_repo(repo, env)
    (repo / "flake.nix").write_text(FLAKE)
    write_lock(repo, LOCK)
    (repo / where).parent.mkdir(parents=True, exist_ok=True)
    (repo / where).write_text(module)
    git(repo, env, "add", "-A")
    return repo


# --- the entry point --------------------------------------------------------------------------


@pytest.mark.parametrize("module", [MODULE, STRICT_MODULE], ids=["module", "without-ellipsis"])
@pytest.mark.parametrize("where", [PARTS, "ci/ci.nix", "parts/flake.nix"])
def test_a_module_below_the_flake_is_not_called(tmp_path: Path, module: str, where: str) -> None:
    repo = project(tmp_path, module, where)
    status, out, err, _ = ci_eval(repo, "check", "--format", "gcc", where)
    assert err == ""
    assert [d for d in gcc(out) if d[2].startswith("E")] == [], out
    assert status == 0, out


def test_an_editor_buffer_of_the_module_is_not_called(tmp_path: Path) -> None:
    """As nvim-lint and the other editor set-ups of README.md run it: the buffer on stdin,
    named by its path (relative, and absolute)."""
    repo = project(tmp_path)
    for name in (PARTS, str(repo / PARTS)):
        with open(repo / PARTS) as buffer:
            status, out, err, _ = ci_eval(
                repo,
                "check",
                "--format",
                "gcc",
                "--stdin-filename",
                name,
                "-",
                stdin=buffer.fileno(),
            )
        assert err == "" and status == 0, out
        assert [d for d in gcc(out) if d[2] == "E108"] == [], out


def test_the_hook_evaluates_the_flake_and_only_lints_the_module(tmp_path: Path) -> None:
    """As pre-commit runs it on a commit that stages the module: the agent's entry point
    (the flake) is evaluated, the module is linted (a needless ``rec``), not called."""
    linted = MODULE.replace("= pkgs.hello;", "= rec { p = pkgs.hello; }.p;")
    repo = project(tmp_path, linted)
    at = linted.index("rec")
    line = linted.count("\n", 0, at) + 1
    column = at - linted.rfind("\n", 0, at)
    status, out, err, _ = ci_eval(repo, "check", "--hook", "--format", "gcc", PARTS)
    assert err == ""
    found = gcc(out)
    # The flake was evaluated (its inputs are not at hand: it says so) ...
    assert any(f == "flake.nix" and code == "W110" for f, _, code, _ in found), out
    # ... and the module was linted, and not called.
    assert [(where, code) for f, where, code, _ in found if f == PARTS] == [
        (f"{line}:{column}", "W003")
    ], out
    assert status == 0


def test_a_root_ci_nix_beside_the_flake_is_what_the_agent_evaluates(tmp_path: Path) -> None:
    """The agent looks for ci.nix before flake.nix: a module there is called with
    ``{ src }`` and fails, so the E108 is real, and says why and what to do."""
    repo = project(tmp_path, where="ci.nix")
    status, out, _, _ = ci_eval(repo, "check", "--format", "gcc", "ci.nix")
    assert status == 1
    assert "ci.nix:1:1: error[E108]: " in out, out
    assert "note: Hercules CI evaluates ci.nix, not flake.nix" in out
    assert "rename it" in out


def test_a_directory_of_its_own_is_judged_as_a_checkout(tmp_path: Path) -> None:
    """A repository with none of the agent's files at its root (a directory of examples):
    each directory's pick is evaluated, as the agent would in a checkout of it."""
    repo = tmp_path / "examples"
    new_repo(repo, clean_env(tmp_path))
    (repo / "one").mkdir()
    (repo / "one" / "ci.nix").write_text(STRICT_MODULE)
    (repo / "one" / "lib.nix").write_text(STRICT_MODULE)
    status, out, _, _ = ci_eval(repo, "check", "--format", "gcc", "one/ci.nix", "one/lib.nix")
    codes = [(f, code) for f, _, code, _ in gcc(out)]
    assert ("one/ci.nix", "E108") in codes, out
    assert ("one/lib.nix", "E108") not in codes, out
    assert status == 1


def test_real_pre_commit_accepts_a_flake_parts_module_named_ci_nix(tmp_path: Path) -> None:
    """README.md's hook, run by pre-commit on a commit that stages the module."""
    scripts = sysconfig.get_path("scripts")
    assert (Path(scripts) / "ci-eval").exists(), f"ci-eval is not installed in {scripts}"
    repo = project(tmp_path)
    env = clean_env(tmp_path)
    env["PATH"] = f"{scripts}{os.pathsep}{env['PATH']}"
    (repo / ".pre-commit-config.yaml").write_text(_readme_config())
    install = run([sys.executable, "-m", "pre_commit", "install"], repo, env)
    assert install.returncode == 0, install.stdout + install.stderr
    git(repo, env, "add", "-A")
    proc = run(["git", "commit", "-m", "a flake-parts project"], repo, env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"^ci-eval\.+Passed$", output, re.MULTILINE), output
    assert "E108" not in output


# --- W002 -------------------------------------------------------------------------------------


def unused(text: str, name: str = "t.nix") -> list[str]:
    """The names W002 reports in `text` (a file called `name`)."""
    source = Source(name, text)
    prefix = "unused function argument "
    return [
        d.message.removeprefix(prefix).strip("'")
        for d in lint(parse_source(source), source)
        if d.code == "W002"
    ]


@pytest.mark.parametrize(
    "text",
    [
        # flake-parts: the per-system module, the top-level module given to mkFlake,
        # the herculesCI module, withSystem's and moduleWithSystem's arguments.
        "x: { perSystem = { self', inputs', system, pkgs, config, ... }: { a = x; }; }",
        "{ flake-parts, i }: flake-parts.lib.mkFlake { inputs = i; } ({ withSystem, ... }: { })",
        "x: { herculesCI = { config, lib, ... }: { onPush = x; }; }",
        "{ withSystem, x }: { flake.e = withSystem x ({ config, hci-effects, pkgs, ... }: 1); }",
        "{ moduleWithSystem }: { m = moduleWithSystem ({ config, ... }: { }); }",
        # the agent's arguments of `effects`, as hercules-ci-effects' template writes it
        "w: { herculesCI.onPush.default.outputs.effects = { branch, ref, ... }: w; }",
        "lib: { perSystem = lib.mkPerSystemOption ({ config, system, ... }: { }); }",
        # modules in lists and sets of modules
        "x: { imports = [ x ({ config, lib, ... }: { }) ]; }",
        "n: n.lib.nixosSystem { modules = [ ({ config, pkgs, modulesPath, ... }: { }) ]; }",
        "x: { nixosModules.default = { config, lib, pkgs, ... }: x; }",
        "x: { flake.flakeModules.ci = { lib, ... }: x; flake.nixosModule = { pkgs, ... }: x; }",
        "lib: lib.types.submodule ({ name, config, ... }: { })",
        # the machines and resources of a NixOps network
        "{ network.description = 1; web = { config, pkgs, nodes, ... }: { };"
        " defaults = { lib, ... }: { }; resources.ec2KeyPairs.k = { resources, ... }: { }; }",
        # a file whose value is a module, also behind let and with
        "{ config, lib, pkgs, ... }: { services = { }; }",
        "{ lib, pkgs, ... }: let x = 1; in with lib; { a = x; }",
        # an @-pattern whose whole set is used: the formals say what it holds
        "args@{ src }: builtins.attrNames args",
        "{ src, ref ? null }@args: builtins.attrNames args",
    ],
)
def test_w002_leaves_arguments_passed_by_name(text: str) -> None:
    assert unused(text) == []


def test_w002_leaves_a_flake_outputs_inputs() -> None:
    """Nix calls `outputs` with self and every input: without `...` each must be named."""
    for outputs in ("{ self, nixpkgs }: { }", "{ self, nixpkgs, ... }: { }"):
        text = f'{{ inputs.nixpkgs.url = "github:NixOS/nixpkgs"; outputs = {outputs}; }}'
        assert unused(text, "flake.nix") == []
        assert unused(text, "sub/flake.nix") == []
        assert unused(text, "not-a-flake.nix") == ["self", "nixpkgs"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a helper in a module is no module: its caller is right there
        (
            "{ config, ... }: { a = let mk = { name, host, ... }: name; in mk { }; }",
            ["host"],
        ),
        ("x: { perSystem = { pkgs, ... }: { p = map (y: 1) pkgs; }; }", ["x", "y"]),
        ("x: { perSystem = { pkgs, ... }: { p = ({ a, ... }: 1) pkgs; }; }", ["x", "a"]),
        # a file whose value is not an attribute set is no module
        ("{ a, b ? 1, ... }: a", ["b"]),
        ("{ stdenv, lib, ... }: stdenv.mkDerivation { }", ["lib"]),
        # without `...` it is no module (the module system would pass it more)
        ("x: { perSystem = { pkgs, system }: { p = pkgs; }; }", ["x", "system"]),
        ("{ config, lib }: { a = config; }", ["lib"]),
        # the name of an @-pattern that is not used, and its formals then too
        ("{ config, ... }@args: { a = config; }", ["args"]),
        ("args@{ src }: 1", ["args", "src"]),
        # without `network`, a set's attributes are no NixOps machines
        ("{ web = { config, pkgs, ... }: { }; }", ["config", "pkgs"]),
        # `outputs` outside a flake.nix is an attribute like any other
        ("{ outputs = { self }: { }; }", ["self"]),
    ],
)
def test_w002_still_reports(text: str, names: list[str]) -> None:
    assert unused(text) == names


def test_check_is_quiet_on_a_real_flake_parts_project(tmp_path: Path) -> None:
    """No W002 at all on the flake and its module, through the command line."""
    repo = project(tmp_path)
    _, out, _, _ = ci_eval(repo, "check", "--format", "gcc", "flake.nix", PARTS)
    assert [d for d in gcc(out) if d[2] == "W002"] == [], out
