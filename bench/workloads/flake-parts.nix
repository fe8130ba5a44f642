# Library benchmark workload "flake-parts" (bench/library_bench.py): a flake-parts flake
# with hercules-ci-effects' flake module, 4 systems x 40 packages, evaluated as Nix 2.8
# can without a store: the flake's inputs are built by hand from the reference sources
# (`inputs`, the directory ../shared/data/inputs) instead of builtins.getFlake.
# Forced with --eval --strict --json: packages' drvPaths per system, the checks' names,
# and what Hercules CI reads from the `herculesCI` output (the jobs and the default job's
# outputs).
let
  # The reference sources (bench/library_bench.py passes -I inputs=DIR).
  inputs = <inputs>;
  # What a flake's `self` looks like; the outPath is a string so that nothing copies
  # a source tree to the (absent) store.
  mkFlakeValue =
    name: flakeInputs: outputs:
    outputs
    // {
      _type = "flake";
      inputs = flakeInputs;
      inherit outputs;
      outPath = "/nix/store/00000000000000000000000000000000-${name}";
      sourceInfo.outPath = "/nix/store/00000000000000000000000000000000-${name}";
    };

  nixpkgs-lib = mkFlakeValue "nixpkgs-lib" { } { lib = import (inputs + "/nixpkgs.lib/lib"); };
  inherit (nixpkgs-lib) lib;

  systems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];

  nixpkgs = mkFlakeValue "nixpkgs" { } {
    inherit lib;
    legacyPackages = lib.genAttrs systems (system: import ./nixpkgs { inherit system; });
  };

  flake-parts =
    let
      self = mkFlakeValue "flake-parts" flakeInputs (
        (import (inputs + "/flake-parts/flake.nix")).outputs flakeInputs
      );
      flakeInputs = { inherit self nixpkgs-lib; };
    in
    self;

  hercules-ci-effects =
    let
      self = mkFlakeValue "hercules-ci-effects" flakeInputs (
        (import (inputs + "/hercules-ci-effects/flake.nix")).outputs flakeInputs
      );
      flakeInputs = { inherit self nixpkgs flake-parts; };
    in
    self;

  # The user's flake.
  self = mkFlakeValue "source" flakeInputs outputs;
  flakeInputs = { inherit self nixpkgs flake-parts hercules-ci-effects; };
  outputs = flake-parts.lib.mkFlake { inputs = flakeInputs; } {
    imports = [ hercules-ci-effects.flakeModule ];
    inherit systems;

    hercules-ci.flake-update = {
      enable = true;
      baseMerge.enable = true;
      when = {
        dayOfWeek = [ "Sat" ];
        hour = [ 3 ];
        minute = 0;
      };
    };

    perSystem =
      { pkgs, config, system, ... }:
      let
        names = map (i: "pkg-${lib.fixedWidthNumber 2 i}") (lib.range 1 40);
        package =
          i: name:
          if lib.mod i 4 == 0 then
            pkgs.writeText "${name}.conf" ''
              name = ${name}
              system = ${system}
              hello = ${pkgs.hello}
            ''
          else
            pkgs.mkDerivation {
              pname = name;
              version = "1.${toString i}";
              buildInputs = [ pkgs.hello ] ++ lib.optional (i > 1) config.packages.${lib.elemAt names (i - 2)};
              meta.description = "package ${toString i} of 40";
            };
      in
      {
        packages = lib.listToAttrs (lib.imap1 (i: name: lib.nameValuePair name (package i name)) names);
        checks = lib.mapAttrs' (name: drv: lib.nameValuePair "${name}-test" (pkgs.runCommand "${name}-test" { buildInputs = [ drv ]; } "touch $out")) (lib.filterAttrs (n: _: lib.hasSuffix "0" n) config.packages);
        devShells.default = pkgs.mkShell { nativeBuildInputs = [ pkgs.nix pkgs.jq ]; };
      };

    herculesCI =
      { config, ... }:
      {
        onPush.default.outputs.effects.greet = self.lib.greeting config.repo.branch;
      };

    flake.lib.greeting = branch: { inherit branch; };
  };

  # A derivation as its drvPath, other values as they are (functions named).
  summarize =
    v:
    if v == null then
      null
    else if v.type or null == "derivation" then
      v.drvPath
    else if builtins.isAttrs v then
      builtins.mapAttrs (_: summarize) v
    else if builtins.isFunction v then
      "<function>"
    else
      v;

  herculesCI = outputs.herculesCI {
    primaryRepo = {
      ref = "refs/heads/main";
      branch = "main";
      rev = "0123456789abcdef0123456789abcdef01234567";
      shortRev = "0123456";
      remoteHttpUrl = "https://github.com/example/neat";
      owner = "example";
      name = "neat";
    };
    herculesCI.ciSystems = systems;
  };
in
{
  packages = summarize outputs.packages;
  checks = builtins.mapAttrs (_: builtins.attrNames) outputs.checks;
  herculesCI = {
    inherit (herculesCI) ciSystems;
    onPush = builtins.mapAttrs (_: job: summarize job.outputs) herculesCI.onPush;
    onSchedule = builtins.mapAttrs (_: job: job.when) herculesCI.onSchedule;
  };
}
