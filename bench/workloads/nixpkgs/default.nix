# A stand-in for nixpkgs in the library benchmark (bench/library_bench.py): the real
# nixpkgs is not available offline, so this is a small package set in plain Nix, called
# like nixpkgs (`import nixpkgs { system; overlays; config; }`). Its derivations use
# `derivation` directly, so Nix and ci-eval both compute their drvPaths without a store.
{
  system ? builtins.currentSystem,
  overlays ? [ ],
  config ? { },
  ...
}:
let
  extends =
    overlay: f: final:
    let
      prev = f final;
    in
    prev // overlay final prev;

  base = final: {
    inherit system config;
    path = ./.;

    stdenv = {
      hostPlatform.system = system;
      mkDerivation =
        args:
        let
          name = args.name or "${args.pname}-${args.version}";
          drv = derivation (
            {
              inherit name system;
              builder = "/bin/sh";
              args = [
                "-c"
                (args.buildCommand or "echo ${name} > $out")
              ];
            }
            // removeAttrs args [
              "name"
              "buildCommand"
              "meta"
              "passthru"
            ]
          );
        in
        drv // { meta = args.meta or { }; } // args.passthru or { };
    };
    mkDerivation = final.stdenv.mkDerivation;

    runCommand =
      name: env: buildCommand:
      final.stdenv.mkDerivation (env // { inherit name buildCommand; });
    writeText =
      name: text:
      final.runCommand name {
        inherit text;
        passAsFile = [ "text" ];
      } "cp $textPath $out";
    mkShell = args: final.stdenv.mkDerivation ({ name = "nix-shell"; } // args);

    hello = final.mkDerivation {
      pname = "hello";
      version = "2.12.1";
      meta.mainProgram = "hello";
    };
    nix = final.mkDerivation {
      pname = "nix";
      version = "2.8.0";
    };
    jq = final.mkDerivation {
      pname = "jq";
      version = "1.7.1";
    };
  };
in
let
  fix = f: let x = f x; in x;
in
fix (builtins.foldl' (f: overlay: extends overlay f) base overlays)
