# ci-eval's offline model of hercules-ci-effects' attribute set `E` (the value of
# `pkgs.hci-effects`, `pkgs.effects`, `(import effectsSrc { inherit pkgs; }).effects`,
# flake `lib.withPkgs pkgs`, the flake-parts `hci-effects` module argument).
# Plain Nix 2.8, builtins only. Every fact below is from
# /work/shared/spec/hercules-effects.md (section numbers "§n" refer to it); where the
# spec only paraphrases the library (script texts, hook bodies), the text here is an
# approximation and says so.
#
#   lib      ci-eval's offline nixpkgs lib (lib.nix beside this file)
#   pkgs     an attrset whose members may all be opaque (`pkgs.cachix`, `pkgs.nixops`,
#            `pkgs.path`, ...): they are only put in lists or interpolated, never inspected
#   unknown  `name: value`, an opaque stand-in for what offline evaluation cannot know
#            (store paths of things that would be built, import-from-derivation results)
#
# Every effect returned here carries `__ciEval = { function; args; }` (the function
# the ci file called and the argument set it wrote), also on its `inputDerivation`, so
# ci-eval can trace an effect (or runIf's `dependencies`) back to the user's code.
# Functions of the family that are not modelled in detail return an effect that
# additionally carries `__ciEvalNotModelled = true` and `__ciEvalDescription`.
{ lib, pkgs, unknown }:
let
  inherit (builtins) isAttrs isFunction isList removeAttrs toJSON;

  optionalAttrs = cond: as: if cond then as else { };

  # ------------------------------------------------------------------ nixpkgs stand-ins

  # nixpkgs' `stdenvNoCC.mkDerivation`, as far as it shows at the Nix level: the
  # arguments (minus meta/passthru/pos/env, with `env` merged on top) are the derivation
  # attributes, unconverted; `passthru` is merged over the result. Not modelled: the
  # attributes stdenv adds itself (builder, args, system, stdenv, buildInputs lists,
  # __ignoreNulls, ...), `out`/`all` self references, meta checks, env type checks.
  mkDerivation = attrs:
    let
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      passthru = attrs.passthru or { };
      meta = attrs.meta or { };
      derivationArg = removeAttrs attrs [ "meta" "passthru" "pos" "env" ] // {
        inherit name;
        outputs = attrs.outputs or [ "out" ];
      };
      drvAttrs = derivationArg // (attrs.env or { });
      # What builtins.derivation adds to its argument set. The store paths depend on
      # the name only here (a real one depends on every attribute).
      derivation = suffix: da: da // {
        type = "derivation";
        drvPath = unknown "${da.name}${suffix}.drv";
        outPath = unknown "${da.name}${suffix}";
        outputName = "out";
        drvAttrs = da;
      };
      # Same arguments, one output, builder dumps the environment: building it builds
      # every input of the original (this is what runIf's `dependencies` builds).
      inputDerivation = derivation "-inputDerivation" (drvAttrs // {
        outputs = [ "out" ];
        builder = unknown "stdenv-shell";
        args = [ "-c" "export > $out" ];
        disallowedReferences = [ ];
        disallowedRequisites = [ ];
      });
      # `f` may be `prev: { ... }` or `final: prev: { ... }`; `final` is approximated by
      # the current arguments.
      overrideAttrs = f:
        let
          f0 = f attrs;
          new = if isFunction f0 then f0 attrs else f0;
        in
        mkDerivation (attrs // new);
    in
    derivation "" drvAttrs // { inherit passthru meta inputDerivation overrideAttrs; } // passthru;

  # nixpkgs' `overrideDerivation`, rebuilt from the derivation attributes.
  overrideDerivation = drv: f: mkDerivation (drv.drvAttrs // f drv);

  # nixpkgs' `lib.makeOverridable` (23.11). `post fullArgs result` lets ci-eval tag every
  # result, overridden ones included.
  makeOverridable = post: f: origArgs:
    let
      result = f origArgs;
      overrideWith = newArgs: origArgs // (if isFunction newArgs then newArgs origArgs else newArgs);
      overrideResult = g: makeOverridable post (args: g (f args)) origArgs;
    in
    post origArgs (result // {
      override = newArgs: makeOverridable post f (overrideWith newArgs);
      overrideDerivation = fdrv: overrideResult (x: overrideDerivation x fdrv);
      overrideAttrs = fdrv: overrideResult (x: x.overrideAttrs fdrv);
    });

  # nixpkgs' `writeText name text`. Its store path is only known once `text` is: forcing
  # `outPath` forces `text` (so runCachixDeploy's lazy throw fires as in Nix).
  writeText = name: text:
    let
      drv = mkDerivation {
        inherit name text;
        passAsFile = [ "text" ];
        preferLocalBuild = true;
        allowSubstitutes = false;
      };
    in
    drv // { outPath = builtins.seq text drv.outPath; };

  # ------------------------------------------------------------------ ci-eval tags

  ciEval = function: args: { inherit function args; };

  # One tag, shared by the effect and its inputDerivation: ci-eval finds the call that made
  # either of them (its position, the argument spans) from the tag.
  traced = function: args: eff:
    let tag = ciEval function args; in
    eff // {
      __ciEval = tag;
      inputDerivation = eff.inputDerivation // { __ciEval = tag; };
    };

  notModelled = function: args: description: eff:
    traced function args eff // {
      __ciEvalNotModelled = true;
      __ciEvalDescription = description;
    };

  # ------------------------------------------------------------------ mkEffect (§3)

  effectSetupHook = unknown "hci-effects-setup-hook";

  # §3.4; the phase bodies paraphrase effect.nix (the spec describes, not quotes, them).
  DEFAULTS = {
    effectScript = "";
    userSetupScript = "";
    getStateScript = "";
    putStateScript = "";
    priorCheckScript = "";
    effectCheckScript = "";
    initScript = ''
      export HOME=/build/home
      mkdir -p "$HOME"
      echo "root:x:0:0:System administrator:$HOME:/bin/sh" >>/etc/passwd
      mkdir -p ~/.ssh
      echo 'BatchMode yes' >>~/.ssh/config
    '';
    initPhase = ''
      exec </dev/null
      runHook preInit
      eval "$initScript"
      runHook postInit
    '';
    getStatePhase = ''
      runHook preGetState
      eval "$getStateScript"
      runHook postGetState
      failureHooks+=(putStatePhase)
    '';
    userSetupPhase = ''
      runHook preUserSetup
      eval "$userSetupScript"
      runHook postUserSetup
    '';
    priorCheckPhase = ''
      if [[ -n "$priorCheckScript" ]]; then
        runHook prePriorCheck
        if ( eval "$priorCheckScript" ); then
          echo "Prior check OK."
        else
          echo "WARNING: Prior check FAILED!"
        fi
        runHook postPriorCheck
      fi
    '';
    effectPhase = ''
      runHook preEffect
      eval "$effectScript"
      runHook postEffect
    '';
    putStatePhase = ''
      if [[ -z "''${PUT_STATE_DONE:-}" ]]; then
        PUT_STATE_DONE=1
        runHook prePutState
        eval "$putStateScript"
        runHook postPutState
      else
        echo "NOTE: State has already been uploaded and was not uploaded again."
      fi
    '';
    effectCheckPhase = ''
      runHook preEffectCheck
      eval "$effectCheckScript"
      runHook postEffectCheck
    '';
    preGetStatePhases = "";
    preEffectPhases = "priorCheckPhase";
    postEffectPhases = "effectCheckPhase";
    __hci_effect_fsroot_copy = unknown "mkEffect-root";
  };

  mkDrv = a:
    if a ? imports
    then throw "`mkEffect` does not support `imports`. Did you mean `modularEffect` instead of `mkEffect`?"
    else
      mkDerivation (a // {
        phases = a.phases or "initPhase unpackPhase patchPhase ${a.preGetStatePhases} getStatePhase userSetupPhase ${a.preEffectPhases} effectPhase putStatePhase ${a.postEffectPhases}";
        name = if a ? name then lib.strings.sanitizeDerivationName ("effect-" + a.name) else "effect";
        nativeBuildInputs =
          (a.defaultInputs or [ effectSetupHook pkgs.cacert pkgs.curl pkgs.jq ])
          ++ (a.inputs or [ ])
          ++ (a.nativeBuildInputs or [ ]);
        isEffect = true;
        secretsMap = toJSON (a.secretsMap or { });
        dontUnpack = a.dontUnpack or (!(a ? src || a ? srcs));
      });

  # `(lib.makeOverridable mkDrv DEFAULTS).override`: a shallow merge, user args win.
  # An `.override`n effect is traced as mkEffect with its full argument set.
  mkEffect' = args: makeOverridable (traced "mkEffect") mkDrv (DEFAULTS // args);
  mkEffect = args: traced "mkEffect" args (mkEffect' args);

  # ------------------------------------------------------------------ runIf (§2)

  runIf = condition: v:
    lib.recurseIntoAttrs (
      (if condition
       then { run = v; }
       else { dependencies = v.inputDerivation // { isEffect = false; buildDependenciesOnly = true; }; })
      // optionalAttrs (v ? prebuilt) { inherit (v) prebuilt; });

  # ------------------------------------------------------------------ runCachixDeploy (§4)

  runCachixDeploy =
    args@{ deploy ? throw "effects.runCachixDeploy: you must provide either a deploy or deployJsonFile argument."
    , deployJsonFile ? writeText "cachix-deploy.json" (toJSON deploy)
    , cachix ? pkgs.cachix
    , async ? false
    , ...
    }:
    if args ? deploy && args ? deployJsonFile
    then throw "effects.runCachixDeploy: you must set either `deploy` or `deployJsonFile`."
    else
      traced "runCachixDeploy" args (mkEffect' (removeAttrs args [ "deploy" "cachix" ] // {
        name = "cachix-deploy-effect";
        inputs = [ cachix ] ++ (args.inputs or [ ]);
        # Replaces any user userSetupScript (§4.2).
        userSetupScript = ''
          CACHIX_ACTIVATE_TOKEN="$(readSecretString activate .cachixActivateToken)"
          export CACHIX_ACTIVATE_TOKEN
        '';
        effectScript = args.effectScript or ("cachix deploy activate ${deployJsonFile}" + lib.optionalString async " --async");
        secretsMap = { activate = "default-cachix-activate"; } // (args.secretsMap or { });
        passthru =
          { inherit cachix; prebuilt = deployJsonFile; }
          // optionalAttrs (args ? deploy) { inherit deploy; }
          // (args.passthru or { });
        dontUnpack = args.dontUnpack or true;
      }));

  # ------------------------------------------------------------------ NixOps (§5, §6)

  nixopsActionFlags = {
    switch = [ ];
    dry-run = [ "--dry-run" ];
    plan = [ "--plan-only" ];
    build = [ "--build-only" ];
    create = [ "--create-only" ];
    copy = [ "--copy-only" ];
    dry-activate = [ "--dry-activate" ];
    test = [ "--test" ];
    boot = [ "--boot" ];
  };

  # `nixops set-args` arguments: `--arg k 'builtins.fromJSON "<json>"'` (§5.2).
  nixopsSetArgs = networkArgs:
    lib.concatLists (lib.mapAttrsToList
      (k: v: [ "--arg" k "builtins.fromJSON \"${lib.escape [ "\\" "\"" "$" ] (toJSON v)}\"" ])
      networkArgs);

  runNixOps =
    args@{ name
    , src
    , networkFiles ? [ "network.nix" ]
    , networkArgs ? { }
    , prebuild ? true
    , prebuildOnlyNetworkFiles ? [ ]
    , deployOnlyNetworkFiles ? [ ]
    , stateName ? "nixops-${name}.json"
    , knownHostsName ? "nixops-${name}.known_hosts"
    , secretsMap ? { }
    , NIX_PATH ? "nixpkgs=${pkgs.path}"
    , action ? "switch"
    , NIXOPS_DEPLOYMENT ? name
    , priorCheckScript ? "nixops check"
    , effectCheckScript ? (if action != "dry-run" then "nixops check" else "")
    , ...
    }:
    let
      actionFlag = nixopsActionFlags.${action};
      canModifyState = action != "dry-run";
    in
    traced "runNixOps" args (mkEffect' (
      removeAttrs args [ "networkArgs" "prebuildOnlyNetworkFiles" ]
      # A derivation attribute, not passthru. It needs import-from-derivation (a
      # patched nixops source), so offline it is unknown.
      // optionalAttrs prebuild { prebuilt = unknown "nixops-prebuilt-${name}"; }
      // {
        name = "nixops-${name}";
        inputs = [ pkgs.nix pkgs.nixops pkgs.git ] ++ (args.inputs or [ ]);
        inherit deployOnlyNetworkFiles networkFiles stateName knownHostsName NIX_PATH NIXOPS_DEPLOYMENT;
        inherit secretsMap priorCheckScript effectCheckScript;
        getStateScript = ''
          stateFileName="$PWD/nixops-state.json"
          getStateFile "$stateName" "$stateFileName"
          mkdir -p ~/.ssh
          getStateFile "$knownHostsName" ~/.ssh/known_hosts
          touch ~/.ssh/known_hosts
        '';
        postGetState = ''
          if test -f "$stateFileName"; then
            nixops import --include-keys <"$stateFileName"
            nixops modify $networkFiles $deployOnlyNetworkFiles
          else
            echo "creating new deployment state"
            nixops create $networkFiles $deployOnlyNetworkFiles
          fi
          nixops set-args ${lib.escapeShellArgs (nixopsSetArgs networkArgs)}
        '';
        effectScript = ''
          nixops --version
          nixops deploy --confirm --allow-reboot --allow-recreate ${lib.escapeShellArgs actionFlag}
        '';
        prePutState = lib.optionalString canModifyState ''
          nixops export >"$stateFileName"
          if ! test -s "$stateFileName"; then
            echo "NixOps state export was empty. Upload cancelled."
            exit 1
          fi
        '';
        putStateScript = lib.optionalString canModifyState ''
          putStateFile "$stateName" "$stateFileName"
          putStateFile "$knownHostsName" ~/.ssh/known_hosts
        '';
      }));

  nixops2Exception = "I know this can corrupt the state, until https://github.com/NixOS/nixops/issues/1499 is resolved.";

  runNixOps2 =
    args@{ name ? null
    , flake ? null
    , src ? flake.outPath
    , networkFiles ? null
    , forgetState ? false
    , prebuildNetworkArgs ? { }
    , prebuild ? true
    , prebuildOnlyNetworkFiles ? [ ]
    , prebuildOnlyModules ? [ ]
    , secretsMap ? { }
    , nixops ? throw "effects.runNixOps2: nixops_unstable was replaced by `nixops_unstable_minimal.withPlugins`; pass a nixops package to runNixOps2, e.g. `nixops = pkgs.nixops_unstable_minimal.withPlugins (ps: [ ps.nixops-hercules-ci ps.nixops-aws ]);`"
    , nix ? pkgs.nix
    , action ? "switch"
    , allowReboot ? true
    , allowRecreate ? true
    , extraDeployArgs ? [ ]
    , makeAnException ? ""
    , NIX_PATH ? "nixpkgs=${pkgs.path}"
    , NIXOPS_DEPLOYMENT ? name
    , effectScript ? null
    , effectCheckScript ? "nixops check"
    , priorCheckScript ? "nixops check"
    , ...
    }:
    assert (flake == null) != (networkFiles == null);
    let
      deployArgs =
        nixopsActionFlags.${action}
        ++ lib.optional allowReboot "--allow-reboot"
        ++ lib.optional allowRecreate "--allow-recreate"
        ++ extraDeployArgs;
    in
    if action != "switch" && makeAnException != nixops2Exception
    then throw "The runNixOps2 action parameter is disabled until https://github.com/NixOS/nixops/issues/1499 is resolved."
    else
      traced "runNixOps2" args (mkEffect' (
        { NIX_PATH = "nixpkgs=${pkgs.path}"; }
        // removeAttrs args [ "prebuildNetworkArgs" "prebuildOnlyModules" "flake" ]
        # Needs import-from-derivation, and the prebuild's network.storage / network.lock
        # checks need the evaluated network: offline both are out of reach.
        // optionalAttrs prebuild { prebuilt = unknown "nixops-prebuilt-${args.name or "nixops"}"; }
        // {
          name = "nixops-${args.name or "nixops"}";
          inherit src NIXOPS_DEPLOYMENT effectCheckScript priorCheckScript;
          inputs = [ nix nixops pkgs.openssh pkgs.rsync pkgs.hci pkgs.git ] ++ (args.inputs or [ ]);
          effectScript =
            if effectScript != null then effectScript
            else ''
              nixops deploy --confirm ${lib.escapeShellArgs deployArgs}
            '';
        }));

  # ------------------------------------------------------------------ modularEffect (§11)

  # No module system. A module is an attrset (`{ config = ...; imports = ...; }` or the
  # option definitions themselves) or a function of `{ config, lib, pkgs, ... }`; the
  # definitions of `imports` and of the module are merged shallowly: lists concatenate,
  # attrsets (secretsMap, env, mounts, extraAttributes, effectDerivationArgs) are `//`-ed,
  # anything else: the later definition wins. No option types, priorities (mkDefault,
  # mkForce), mkIf or mkMerge.
  moduleArgs = config: {
    inherit lib pkgs config;
    options = { };
    hci-effects = E;
    effects = E;
  };

  moduleDefs = config: m:
    let
      fn = if isFunction m then m else (_: m);
      given = moduleArgs config;
      asked = builtins.mapAttrs
        (n: _: given.${n} or (unknown "modularEffect module argument ${n}"))
        (builtins.functionArgs fn);
      r = if isFunction m then fn (given // asked) else m;
      own = r.config or (removeAttrs r [ "imports" "options" "_file" "key" "disabledModules" "meta" ]);
    in
    lib.concatMap (moduleDefs config) (r.imports or [ ]) ++ [ own ];

  mergeDefs = lib.foldl' (acc: d:
    acc // builtins.mapAttrs
      (n: v:
        if acc ? ${n} && isList acc.${n} && isList v then acc.${n} ++ v
        else if acc ? ${n} && isAttrs acc.${n} && isAttrs v && !(v ? outPath) then acc.${n} // v
        else v)
      d) { };

  effectOfConfig = cfg:
    optionalAttrs (cfg ? name) { inherit (cfg) name; }
    // {
      effectScript = cfg.effectScript or "";
      userSetupScript = cfg.userSetupScript or "";
      getStateScript = cfg.getStateScript or "";
      putStateScript = cfg.putStateScript or "";
      inputs = cfg.inputs or [ ];
      secretsMap = cfg.secretsMap or { };
      __hci_effect_mounts = toJSON (cfg.mounts or { });
    }
    // optionalAttrs (cfg ? src) { inherit (cfg) src; }
    // optionalAttrs (cfg ? uid) { __hci_effect_virtual_uid = cfg.uid; }
    // optionalAttrs (cfg ? gid || cfg ? uid) { __hci_effect_virtual_gid = cfg.gid or cfg.uid; }
    // optionalAttrs (cfg ? binsh || cfg ? usrbinenv || cfg ? fsRoot || cfg ? fsRootBuildCommands) {
      __hci_effect_fsroot_copy = unknown "effect-fsroot";
    }
    // (cfg.env or { })
    // (cfg.effectDerivationArgs or { })
    // { passthru = (cfg.extraAttributes or { }) // { config = cfg; }; };

  evalEffectModules = modules:
    let
      config = mergeDefs (lib.concatMap (moduleDefs config) modules) // {
        effectDerivation = effect;
      };
      effect = mkEffect' (effectOfConfig (removeAttrs config [ "effectDerivation" ]));
    in
    effect;

  modularEffect = m: traced "modularEffect" m (evalEffectModules [ m ]);

  modularEffectWithUserModule = name: libModule: userModule:
    notModelled "modularEffectWithUserModule" { inherit name libModule userModule; }
      "modularEffect over a library module (${name}) and the user's module (library module not modelled)"
      (evalEffectModules [ libModule userModule ]);

  # ------------------------------------------------------------------ the rest (§11)

  gitWriteBranch = m:
    notModelled "gitWriteBranch" m
      "writes `contents` to `destination` in a branch of a git remote and pushes (scripts not modelled)"
      (evalEffectModules [ { name = "git-write-branch"; secretsMap = { token = { type = "GitToken"; }; }; } m ]);

  flakeUpdate =
    args@{ gitRemote
    , tokenSecret ? { type = "GitToken"; }
    , updateBranch ? "flake-update"
    , forgeType ? "github"
    , createPullRequest ? true
    , autoMergeMethod ? null
    , nix ? pkgs.nix
    , ...
    }:
    assert createPullRequest -> forgeType == "github";
    assert autoMergeMethod != null -> forgeType == "github";
    assert args ? flakes -> !(args ? inputs || args ? commitSummary);
    assert args ? flakes -> args.flakes != { };
    notModelled "flakeUpdate" args
      "nix flake update, commit, push to a branch, optionally open a GitHub pull request (scripts not modelled)"
      (mkEffect' {
        name = "flake-update";
        inputs = [ pkgs.git nix ];
        secretsMap = { token = tokenSecret; };
        inherit gitRemote updateBranch forgeType;
      });

  netlifyDeploy =
    args@{ content, siteId, secretName, secretField ? "token", productionDeployment ? false, extraDeployArgs ? [ ], ... }:
    notModelled "netlifyDeploy" args
      "netlify deploy --dir=<content> --json [--prod] (scripts not modelled)"
      (mkEffect' {
        name = "netlify-deploy";
        inputs = [ pkgs.netlify-cli ];
        secretsMap = { netlify = secretName; };
        inherit content siteId secretField productionDeployment extraDeployArgs;
      });

  cargoPublish =
    args@{ secretName ? null, ... }:
    notModelled "cargoPublish" args
      "cargo publish (scripts not modelled)"
      (mkEffect' ({
        name = "cargo-publish";
        inputs = [ pkgs.cargo ];
      } // optionalAttrs (secretName != null) { secretsMap = { cargo = secretName; }; }
        // optionalAttrs (args ? src) { inherit (args) src; }));

  runPutUrl =
    args@{ name, url, file, ... }:
    notModelled "runPutUrl" args
      "demo: curl -XPUT --upload-file <file> <url> (script not modelled)"
      (mkEffect' { inherit name url file; });

  runArion =
    args@{ name, ... }:
    notModelled "runArion" args
      "arion --prebuilt-file <compose YAML> up -d (not modelled; the compose file needs Arion's evaluation)"
      (mkEffect' {
        name = "arion-${name}";
        inputs = [ pkgs.arion ];
        passthru = { prebuilt = unknown "arion-compose-${name}.yaml"; };
      });

  runNixOS =
    args@{ ssh ? { }, ... }:
    let destination = ssh.destination or "unknown-destination";
    in
    notModelled "runNixOS" args
      "nix-copy-closure + nix-env -p <profile> --set <toplevel> + switch-to-configuration switch over ssh (not modelled)"
      (mkEffect' {
        name = "nixos-${destination}";
        passthru = {
          prebuilt =
            if args ? config then args.config.system.build.toplevel
            else unknown "nixos-toplevel-${destination}";
        };
      });

  runNixDarwin =
    args@{ ssh ? { }, ... }:
    let destination = ssh.destination or "unknown-destination";
    in
    notModelled "runNixDarwin" args
      "activates a nix-darwin configuration over ssh (not modelled)"
      (mkEffect' {
        name = "nix-darwin-${destination}";
        passthru = { prebuilt = unknown "nix-darwin-toplevel-${destination}"; };
      });

  # Both return bash text in the library; its exact wording is not in the spec.
  ssh = sshArgs: remoteCommands:
    unknown "hci-effects.ssh script for ${sshArgs.destination or "a destination"}";
  nix-shell = { shell }: cmd: unknown "hci-effects.nix-shell command";

  # nixpkgs' callPackage over `pkgs.newScope E`: E's names first, then `lib`, then pkgs.
  # Defaulted arguments are only filled from E/lib (pkgs may be opaque).
  callPackage = fn: overrides:
    let
      f = if isFunction fn then fn else import fn;
      scope = { inherit lib; } // E;
      auto = builtins.mapAttrs (n: _: scope.${n} or pkgs.${n})
        (lib.filterAttrs (n: hasDefault: !hasDefault || scope ? ${n}) (builtins.functionArgs f));
    in
    f (auto // overrides);

  E = {
    inherit mkEffect modularEffect modularEffectWithUserModule runIf runCachixDeploy
      runNixOps runNixOps2 runNixOS runNixDarwin runArion runPutUrl gitWriteBranch
      flakeUpdate netlifyDeploy cargoPublish ssh nix-shell callPackage;
    modules = {
      git = { _file = "hci-effects.modules.git (not modelled)"; };
      git-auth = { _file = "hci-effects.modules.git-auth (not modelled)"; };
      git-auth-gh = { _file = "hci-effects.modules.git-auth-gh (not modelled)"; };
      git-update = { _file = "hci-effects.modules.git-update (not modelled)"; };
    };
    cargoSetupHook = unknown "hci-effects.cargoSetupHook";
    netlifySetupHook = unknown "hci-effects.netlifySetupHook";
    git-crypt-hook = unknown "hci-effects.git-crypt-hook";
    effectVMTest = module: unknown "hci-effects.effectVMTest";
    effects = E;
    hci-effects = E;
  };
in
E
