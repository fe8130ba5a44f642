# The builders of the modelled nixpkgs (design §4a), as ci-eval models them: the functions
# that make derivations out of the user's (or a library's) own text — stdenv's
# mkDerivation, the trivial builders, runCommand, symlinkJoin, makeSetupHook, formats —
# giving derivations whose attributes are known (what the Hercules CI agent reads off an
# effect) and whose store paths are not: a modelled output reads `/nix/store/«name»`.
#
# This is ci-eval's model of what these nixpkgs functions give, written from their
# documented interfaces (attribute names, defaults, `passthru`/`meta`/`overrideAttrs`,
# `inputDerivation`); nixpkgs itself is never evaluated. Every other package of the set is
# an unknown derivation named by its attribute path (`nixeval.nixpkgs.model`).
#
# Arguments (given by `nixeval.nixpkgs.model.modelled_pkgs`):
#   lib         the real nixpkgs lib in use
#   pkgs        the final package set (an unknown set that knows what this file and the
#               overlays define)
#   system      the system the set is for (a string, or unknown)
#   outputPath  name: output: the modelled store path of a derivation's output
#   packageSet  name: attrs: an unknown derivation set named `name` that knows `attrs`
#               (stdenv: every attribute this model does not know is an unknown package)
{ lib, pkgs, system, outputPath, packageSet }:
let
  inherit (builtins) isFunction isString listToAttrs head baseNameOf toJSON;

  # `derivation` over outputs whose paths are not known (the shape of Nix's own
  # derivation wrapper: every output a copy of the set with its outPath).
  modelledDerivation = drvAttrs:
    let
      outputs = drvAttrs.outputs or [ "out" ];
      drvPath = outputPath drvAttrs.name "drv";
      common = drvAttrs // listToAttrs outputsList // {
        all = map (x: x.value) outputsList;
        inherit drvAttrs;
      };
      outputsList = map (outputName: {
        name = outputName;
        value = common // {
          outPath = outputPath drvAttrs.name outputName;
          inherit drvPath outputName;
          type = "derivation";
        };
      }) outputs;
    in
    (head outputsList).value;

  hostPlatform =
    if isString system && lib ? systems.elaborate then
      lib.systems.elaborate system
    else
      packageSet "stdenv.hostPlatform" { inherit system; };

  # stdenv.mkDerivation: `attrs` or `finalAttrs: attrs`. The attributes become the
  # derivation's environment (with `env` merged in, `passthru` and `meta` kept out of it).
  mkDerivationFor = stdenv: fnOrAttrs:
    let
      rattrsOf = f: if isFunction f then f else (_: f);
      extensible = rattrs:
        let
          args = rattrs (args // { inherit finalPackage overrideAttrs; });
          overrideAttrs = f0:
            extensible (final:
              let
                prev = rattrs final;
                f = if isFunction (f0 prev) then f0 final else f0;
              in
              prev // f prev);
          finalPackage = make stdenv overrideAttrs args;
        in
        finalPackage;
    in
    extensible (rattrsOf fnOrAttrs);

  make = stdenv: overrideAttrs: attrs:
    let
      name =
        attrs.name or (if attrs ? pname && attrs ? version then "${attrs.pname}-${attrs.version}"
          else attrs.pname or "unnamed");
      passthru = attrs.passthru or { };
      meta = attrs.meta or { };
      drvAttrs = removeAttrs attrs [ "passthru" "meta" "pos" "env" ]
        // (attrs.env or { })
        // {
          inherit name;
          builder = attrs.realBuilder or stdenv.shell;
          args = attrs.args or [ "-e" (attrs.builder or "${stdenv}/default-builder.sh") ];
          inherit stdenv;
          system = hostPlatform.system or system;
          outputs = attrs.outputs or [ "out" ];
          nativeBuildInputs = attrs.nativeBuildInputs or [ ];
          buildInputs = attrs.buildInputs or [ ];
          propagatedBuildInputs = attrs.propagatedBuildInputs or [ ];
          propagatedNativeBuildInputs = attrs.propagatedNativeBuildInputs or [ ];
          __ignoreNulls = true;
        };
      drv = modelledDerivation drvAttrs;
      inputDerivation = modelledDerivation (drvAttrs // {
        outputs = [ "out" ];
        name = "${name}-inputs";
        builder = stdenv.shell;
        args = [ "-c" "export > $out" ];
      });
    in
    drv // passthru // { inherit meta passthru overrideAttrs inputDerivation; };

  mkStdenv = stdenvName:
    let
      self = packageSet "pkgs.${stdenvName}" {
        mkDerivation = mkDerivationFor self;
        shell = runtimeShell;
        inherit hostPlatform;
        buildPlatform = hostPlatform;
        targetPlatform = hostPlatform;
        inherit system;
        isLinux = hostPlatform.isLinux;
        isDarwin = hostPlatform.isDarwin;
      };
    in
    self;

  stdenv = mkStdenv "stdenv";
  stdenvNoCC = mkStdenv "stdenvNoCC";

  runtimeShell = "${pkgs.bash}/bin/bash";

  runCommandWith = { name, stdenv ? stdenvNoCC, runLocal ? false, derivationArgs ? { } }:
    buildCommand:
    stdenv.mkDerivation ({
      enableParallelBuilding = true;
      inherit buildCommand name;
      passAsFile = [ "buildCommand" ] ++ (derivationArgs.passAsFile or [ ]);
    }
    // lib.optionalAttrs runLocal { preferLocalBuild = true; allowSubstitutes = false; }
    // removeAttrs derivationArgs [ "passAsFile" ]);

  runCommand = name: env: runCommandWith { inherit name; derivationArgs = env; };

  writeTextFile =
    { name, text, executable ? false, destination ? "", checkPhase ? "", meta ? { }
    , allowSubstitutes ? false, preferLocalBuild ? true, derivationArgs ? { } }:
    runCommandWith {
      inherit name;
      derivationArgs = {
        inherit text executable checkPhase allowSubstitutes preferLocalBuild;
        passAsFile = [ "text" ];
        meta = lib.optionalAttrs (executable && destination != "") {
          mainProgram = baseNameOf destination;
        } // meta;
      } // derivationArgs;
    } ''
      target=$out${lib.escapeShellArg destination}
      mkdir -p "$(dirname "$target")"
      if [ -e "$textPath" ]; then mv "$textPath" "$target"; else echo -n "$text" > "$target"; fi
      eval "$checkPhase"
      (test -n "$executable" && chmod +x "$target") || true
    '';

  writeShellText = text: ''
    #!${runtimeShell}
    ${text}
  '';

  writeShellApplication =
    { name, text, runtimeInputs ? [ ], runtimeEnv ? null, meta ? { }, checkPhase ? null
    , excludeShellChecks ? [ ], extraShellCheckFlags ? [ ]
    , bashOptions ? [ "errexit" "nounset" "pipefail" ], inheritPath ? true
    , derivationArgs ? { } }:
    writeTextFile {
      inherit name meta derivationArgs;
      executable = true;
      destination = "/bin/${name}";
      allowSubstitutes = true;
      preferLocalBuild = false;
      text = ''
        #!${runtimeShell}
        ${lib.concatMapStringsSep "\n" (option: "set -o ${option}") bashOptions}
      '' + lib.optionalString (runtimeEnv != null) (lib.concatStrings (lib.mapAttrsToList
        (n: v: "export ${n}=${lib.escapeShellArg (toString v)}\n") runtimeEnv))
      + lib.optionalString (runtimeInputs != [ ]) ''

        export PATH="${lib.makeBinPath runtimeInputs}${lib.optionalString inheritPath ":$PATH"}"
      '' + ''

        ${text}
      '';
    };

  symlinkJoin = args@{ name, paths, preferLocalBuild ? true, allowSubstitutes ? false
    , postBuild ? "", ... }:
    runCommand name (removeAttrs args [ "name" "postBuild" ] // {
      inherit preferLocalBuild allowSubstitutes;
      passAsFile = [ "paths" ];
    }) ''
      mkdir -p $out
      for i in $(cat $pathsPath); do ${pkgs.xorg.lndir}/bin/lndir -silent $i $out; done
      ${postBuild}
    '';

  formatOf = kind: generator: { ... }: {
    type =
      let
        valueType = lib.types.nullOr (lib.types.oneOf [
          lib.types.bool lib.types.int lib.types.float lib.types.str lib.types.path
          (lib.types.attrsOf valueType) (lib.types.listOf valueType)
        ]) // { description = "${kind} value"; };
      in
      valueType;
    generate = name: value: runCommand name {
      value = generator value;
      passAsFile = [ "value" ];
      preferLocalBuild = true;
    } ''cp "$valuePath" $out'';
  };

in
{
  inherit lib system stdenv stdenvNoCC runtimeShell;
  inherit runCommandWith runCommand writeTextFile writeShellApplication symlinkJoin;
  stdenvNoLibs = stdenvNoCC;
  runCommandLocal = name: env: runCommandWith { inherit name; runLocal = true; derivationArgs = env; };
  runCommandNoCC = runCommand;
  runCommandNoCCLocal = name: env: runCommandWith { inherit name; runLocal = true; derivationArgs = env; };
  runCommandCC = name: env: runCommandWith { inherit name stdenv; derivationArgs = env; };

  writeText = name: text: writeTextFile { inherit name text; };
  writeTextDir = path: text: writeTextFile {
    name = baseNameOf path; inherit text; destination = "/${path}";
  };
  writeScript = name: text: writeTextFile { inherit name text; executable = true; };
  writeScriptBin = name: text: writeTextFile {
    inherit name text; executable = true; destination = "/bin/${name}";
  };
  writeShellScript = name: text: writeTextFile {
    inherit name; executable = true; text = writeShellText text;
  };
  writeShellScriptBin = name: text: writeTextFile {
    inherit name; executable = true; destination = "/bin/${name}"; text = writeShellText text;
  };
  writeJSON = name: value: writeTextFile { inherit name; text = toJSON value; };

  makeSetupHook = { name ? "hook", deps ? [ ], propagatedBuildInputs ? [ ]
    , depsTargetTargetPropagated ? [ ], substitutions ? { }, passthru ? { }, meta ? { } }:
    script:
    runCommand name (substitutions // {
      inherit meta passthru;
      propagatedBuildInputs = propagatedBuildInputs ++ (if builtins.isList deps then deps else [ deps ]);
      inherit depsTargetTargetPropagated;
    }) ''
      mkdir -p $out/nix-support
      cp ${script} $out/nix-support/setup-hook
    '';

  substituteAll = args: stdenvNoCC.mkDerivation ({
    name = if args ? name then args.name else baseNameOf (toString args.src);
    builder = "substitute-all.sh";
    inherit (args) src;
    preferLocalBuild = true;
    allowSubstitutes = false;
  } // args);

  replaceVars = src: replacements: stdenvNoCC.mkDerivation {
    name = baseNameOf (toString src);
    inherit src;
    doCheck = true;
    dontUnpack = true;
    preferLocalBuild = true;
    allowSubstitutes = false;
    env = lib.mapAttrs (_: v: if v == null then "" else toString v) replacements;
  };

  buildEnv = args@{ name, paths, ... }:
    runCommand name (removeAttrs args [ "name" ] // {
      passAsFile = [ "paths" ];
      preferLocalBuild = true;
      allowSubstitutes = false;
    }) "mkdir -p $out";

  linkFarm = name: entries:
    let
      list = if builtins.isList entries then entries
        else lib.mapAttrsToList (name: path: { inherit name path; }) entries;
    in
    runCommand name {
      preferLocalBuild = true;
      allowSubstitutes = false;
      passthru.entries = listToAttrs (map (x: { name = x.name; value = x.path; }) list);
    } ''
      mkdir -p $out
      cd $out
      ${lib.concatMapStrings (x: ''
        mkdir -p "$(dirname ${lib.escapeShellArg x.name})"
        ln -s ${lib.escapeShellArg "${x.path}"} ${lib.escapeShellArg x.name}
      '') list}
    '';

  mkShell = attrs@{ name ? "nix-shell", packages ? [ ], inputsFrom ? [ ], shellHook ? "", ... }:
    stdenv.mkDerivation (removeAttrs attrs [ "packages" "inputsFrom" ] // {
      inherit name shellHook;
      nativeBuildInputs = packages ++ (attrs.nativeBuildInputs or [ ]);
      phases = [ "buildPhase" ];
      buildPhase = "echo >> $out && export >> $out";
    });
  mkShellNoCC = attrs: pkgs.mkShell attrs;

  # pkgs.writers' script writers (hercules-ci-effects' github-releases runs its
  # `writers.writePython3Bin` tool): `nameOrPath` with a slash is a file inside the output
  # (`/bin/x`, and `meta.mainProgram` is `x`), else the output is the script itself. The
  # script is the interpreter's `#!` line and the content; other writers are unknown.
  writers = packageSet "pkgs.writers" (
    let
      makeScriptWriter = { interpreter, check ? "", makeWrapperArgs ? [ ] }: nameOrPath: content:
        let
          parts = lib.splitString "/" (toString nameOrPath);
          name = lib.last parts;
          destination = if builtins.length parts > 1 then toString nameOrPath else "";
        in
        runCommandWith {
          inherit name;
          runLocal = true;
          derivationArgs = {
            inherit interpreter check makeWrapperArgs;
            text = "#! ${interpreter}\n" + (if isString content then content else builtins.readFile content);
            passAsFile = [ "text" ];
            meta.mainProgram = name;
          };
        } ''
          target=$out${lib.escapeShellArg destination}
          mkdir -p "$(dirname "$target")"
          mv "$textPath" "$target"
          eval "$check"
          chmod +x "$target"
        '';
      python3With = libraries: pkgs.python3.withPackages
        (ps: if builtins.isFunction libraries then libraries ps else libraries);
      writePython3 = name: { libraries ? [ ], flakeIgnore ? [ ], doCheck ? true, ... }:
        makeScriptWriter { interpreter = "${python3With libraries}/bin/python"; } name;
      writeBash = makeScriptWriter { interpreter = "${pkgs.bash}/bin/bash"; };
      writeDash = makeScriptWriter { interpreter = "${pkgs.dash}/bin/dash"; };
    in
    {
      inherit makeScriptWriter writePython3 writeBash writeDash;
      writePython3Bin = name: writePython3 "/bin/${name}";
      writeBashBin = name: writeBash "/bin/${name}";
      writeDashBin = name: writeDash "/bin/${name}";
    });

  # JSON is YAML: both generate known text. Other formats are unknown.
  formats = packageSet "pkgs.formats" {
    json = formatOf "JSON" toJSON;
    yaml = formatOf "YAML" toJSON;
  };
}
