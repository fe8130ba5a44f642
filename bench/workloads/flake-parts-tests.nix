# Library benchmark workload "flake-parts-tests" (bench/library_bench.py): flake-parts' own
# unit tests (dev/tests/nix-unit.nix, in nix-unit's format) run in one plain-Nix process.
# nix-unit is not available here, so this file is the runner: every attribute whose name
# starts with "test" is a test (nested sets are groups); a test passes when
# `expr == expected`, or, with `expectedError`, when forcing `expr` throws. The result is
# the number of tests and the names of the failing ones (`failed = [ ]` when all pass).
# flake-parts' `nixpkgs` input is the stand-in package set in ./nixpkgs.
let
  # The reference sources (bench/library_bench.py passes -I inputs=DIR).
  inputs = <inputs>;
  nixpkgs-lib = {
    lib = import (inputs + "/nixpkgs.lib/lib");
    outPath = "/nix/store/00000000000000000000000000000000-nixpkgs-lib";
  };
  flake-parts =
    let
      self =
        outputs
        // {
          _type = "flake";
          inputs = flakeInputs;
          inherit outputs;
          outPath = "/nix/store/00000000000000000000000000000000-flake-parts";
        };
      outputs = (import (inputs + "/flake-parts/flake.nix")).outputs flakeInputs;
      flakeInputs = {
        inherit self nixpkgs-lib;
        nixpkgs = ./nixpkgs;
      };
    in
    self;

  tests = import (inputs + "/flake-parts/dev/tests/nix-unit.nix") { inherit flake-parts; };

  isTest = name: builtins.substring 0 4 name == "test";

  # [ { name; test; } ] for every test in the (nested) set.
  collect =
    prefix: set:
    builtins.concatMap (
      name:
      let
        path = if prefix == "" then name else "${prefix}.${name}";
      in
      if isTest name then
        [
          {
            name = path;
            test = set.${name};
          }
        ]
      else
        collect path set.${name}
    ) (builtins.attrNames set);

  passes =
    test:
    if test ? expectedError then
      !(builtins.tryEval (builtins.seq test.expr true)).success
    else
      let
        result = builtins.tryEval (test.expr == test.expected);
      in
      result.success && result.value;

  all = collect "" tests;
in
{
  tests = builtins.length all;
  failed = map (t: t.name) (builtins.filter (t: !passes t.test) all);
}
