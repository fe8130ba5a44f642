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
#   opaque   `what: value`, an unknown whose provenance is `what` itself: what this model
#            cannot say faithfully (the module system's results, NixOS evaluations)
#   isUnknown  whether a value is such an unknown (ci-eval's; false under real Nix)
#   underRunIf  `condition: body: body`, telling ci-eval's checks of the effect functions
#            whether an effect made while forcing `body` runs (cachix's deploy.json)
#
# This model is the fallback for when the library's source is not at hand, checked
# against hercules-ci-effects revision BUNDLED_REVISION (nixeval/nixpkgs/__init__.py).
# Where it cannot be faithful it gives an honest unknown, never an invented value: ci-eval's
# lib has no module system, so `modularEffect`, `modularEffectWithUserModule`,
# `gitWriteBranch` and `modules.*` are unknowns (listed as such, not described).
#
# Every effect returned here carries `__ciEval = { function; args; }` (the function
# the ci file called and the argument set it wrote), also on its `inputDerivation`, so
# ci-eval can trace an effect (or runIf's `dependencies`) back to the user's code.
# Functions of the family that are not modelled in detail return an effect that
# additionally carries `__ciEvalNotModelled = true` and `__ciEvalDescription`.
{ lib, pkgs, unknown, opaque ? unknown, isUnknown ? (_: false), underRunIf ? (_: x: x) }:
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
      mkdir -p $HOME
      echo >/etc/passwd root:x:0:0:System administrator:/build/home:/run/current-system/sw/bin/bash
      mkdir -p ~/.ssh
      echo "BatchMode yes" >>~/.ssh/config
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
      registerPutStatePhaseOnFailure
    '';
    userSetupPhase = ''
      runHook preUserSetup
      eval "$userSetupScript"
      runHook postUserSetup
    '';
    # The hooks run even without a priorCheckScript; a failed check only warns, and the
    # check runs in this shell (not a subshell), as the library's does.
    priorCheckPhase = ''
      runHook prePriorCheck
      if [[ -n "$priorCheckScript" ]]; then
        if eval "$priorCheckScript"; then
          echo 1>&2 "Prior check OK."
        else
          echo 1>&2 "WARNING: Prior check FAILED! Continuing, so that later steps may fix it."
        fi
      fi
      runHook postPriorCheck
    '';
    effectPhase = ''
      runHook preEffect
      eval "$effectScript"
      runHook postEffect
    '';
    putStatePhase = ''
      if [[ -z "''${PUT_STATE_DONE:-}" ]]; then
        runHook prePutState
        eval "$putStateScript"
        runHook postPutState
        PUT_STATE_DONE=true
      else
        echo 1>&2 "NOTE: State has already been uploaded and was not uploaded again."
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
        name =
          if !(a ? name) then "effect"
          else if isUnknown a.name then a.name
          else lib.strings.sanitizeDerivationName ("effect-" + a.name);
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

  # An effect this model cannot know (modularEffect's) stays that unknown: runIf of it is
  # neither a known `run` nor known `dependencies`.
  runIf = condition: v: underRunIf condition (
    if isUnknown v then v else
    lib.recurseIntoAttrs (
      (if condition
       then { run = v; }
       else { dependencies = v.inputDerivation // { isEffect = false; buildDependenciesOnly = true; }; })
      // optionalAttrs (v ? prebuilt) { inherit (v) prebuilt; }));

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

  # The library evaluates these with nixpkgs' module system (evalModules: option types,
  # `types.lines` concatenation, mkIf/mkDefault priorities, errors for undeclared
  # options). ci-eval's lib has none, and a paraphrase would describe effects the library
  # does not make, so without the library's source each is an honest unknown.
  noModuleSystem = what:
    opaque "${what} (evaluated by the module system, which the bundled model of hercules-ci-effects does not have; give ci-eval the library's source)";

  modularEffect = m: noModuleSystem "hci-effects.modularEffect";

  modularEffectWithUserModule = name: libModule: userModule:
    noModuleSystem "hci-effects.modularEffectWithUserModule \"${name}\"";

  gitWriteBranch = m: noModuleSystem "hci-effects.gitWriteBranch";

  # ------------------------------------------------------------------ the rest (§11)

  # flakeUpdate is modularEffect over modules/git-update.nix in the library. Its
  # derivation attributes follow from flakeUpdate's own arguments alone, so they are
  # given here as those modules set them (HCI_GIT_* and git's identity); its scripts are
  # not modelled. A user `module` may change anything: then the effect is unknown.
  flakeUpdateTitle = flakes:
    let
      names = builtins.attrNames flakes;
      shown = map (n: if n == "." then "`flake.lock`" else "`${n}/flake.lock`") names;
    in
    "${if builtins.length names > 3 then "`flake.lock`" else builtins.concatStringsSep ", " shown}: Update";

  flakeUpdate =
    args@{ gitRemote
    , tokenSecret ? { type = "GitToken"; }
    , user ? "git"
    , updateBranch ? "flake-update"
    , forgeType ? "github"
    , createPullRequest ? true
    , autoMergeMethod ? null
    , pullRequestTitle ? flakeUpdateTitle flakes
    , pullRequestBody ? null
    , baseMergeBranch ? null
    , baseMergeMethod ? "merge"
    , flakes ? { "." = { inherit inputs commitSummary; }; }
    , inputs ? [ ]
    , commitSummary ? ""
    , module ? { }
    , nix ? pkgs.nix
    }:
    assert createPullRequest -> forgeType == "github";
    assert autoMergeMethod != null -> forgeType == "github";
    assert args ? flakes -> inputs == [ ];
    assert args ? flakes -> commitSummary == "";
    assert flakes != { };
    let
      baseMerge = baseMergeMethod != null && baseMergeBranch != null;
    in
    if args ? module then noModuleSystem "hci-effects.flakeUpdate with a `module`"
    else
      notModelled "flakeUpdate" args
        "nix flake update, commit, push to a branch, optionally open a GitHub pull request (scripts not modelled)"
        (mkEffect' ({
          name = "flake-update";
          # The modules' list definitions are merged in the module system's order.
          inputs = opaque "flakeUpdate's inputs (nix, git, gh), merged by the module system";
          secretsMap = { token = tokenSecret; };
          # modules/git.nix
          EMAIL = "hercules-ci[bot]@users.noreply.github.com";
          GIT_AUTHOR_NAME = "Hercules CI Effects";
          GIT_COMMITTER_NAME = "Hercules CI Effects";
          PAGER = "cat";
          # modules/git-update.nix, with flakeUpdate's settings; the base branch is
          # "HEAD" (the remote's default branch) unless baseMergeBranch says otherwise.
          HCI_GIT_REMOTE_URL = gitRemote;
          HCI_GIT_UPDATE_BRANCH = updateBranch;
          HCI_GIT_UPDATE_BASE_BRANCH = if baseMergeBranch != null then baseMergeBranch else "HEAD";
        }
        // optionalAttrs createPullRequest {
          HCI_GIT_UPDATE_PR_TITLE = pullRequestTitle;
          HCI_GIT_UPDATE_PR_BASE = "HEAD";
        }
        // optionalAttrs (createPullRequest && pullRequestBody != null) {
          HCI_GIT_UPDATE_PR_BODY = pullRequestBody;
        }
        // optionalAttrs baseMerge { HCI_GIT_UPDATE_BASE_MERGE_METHOD = baseMergeMethod; }));

  # The user's arguments are the derivation's (secretsMap merged over the library's).
  netlifyDeploy =
    args@{ content
    , secretName ? throw ''effects.netlify: You must provide `secretName`, the name of the secret which holds the "${secretField}" field.''
    , secretField ? "token"
    , siteId
    , productionDeployment ? false
    , secretsMap ? { }
    , extraDeployArgs ? [ ]
    , ...
    }:
    notModelled "netlifyDeploy" args
      "netlify deploy --dir=<content> --json [--prod] (scripts not modelled)"
      (mkEffect' (args // {
        buildInputs = [ E.netlifySetupHook ];
        inputs = [ pkgs.netlify-cli ];
        secretsMap = { netlify = secretName; } // secretsMap;
        netlifySecretField = secretField;
        NETLIFY_SITE_ID = siteId;
      }));

  cargoPublish =
    args@{ secretName ? throw ''effects.cargo: You must provide `secretName`, the name of the secret which holds the "${secretField}" field.''
    , secretField ? "token"
    , secretsMap ? { }
    , src
    , registryURL ? null
    , dryRun ? false
    , ...
    }:
    notModelled "cargoPublish" args
      "cargo publish (scripts not modelled)"
      (mkEffect' (removeAttrs args [ "assertVersions" ] // {
        buildInputs = lib.optional (!dryRun) E.cargoSetupHook;
        inputs = [ pkgs.cargo ];
        secretsMap = optionalAttrs (!dryRun) { cargo = secretName; } // secretsMap;
        env = (args.env or { })
          // optionalAttrs (registryURL != null) { CARGO_REGISTRIES_CUSTOM_INDEX = registryURL; };
      }));

  runPutUrl =
    args@{ name, url, file }:
    notModelled "runPutUrl" args
      "demo: curl -XPUT --upload-file <file> <url> (script not modelled)"
      (mkEffect' { name = "put-url-${name}"; dontUnpack = true; inherit file; });

  runArion =
    args@{ name, ... }:
    notModelled "runArion" args
      "arion --prebuilt-file <compose YAML> up -d (not modelled; the compose file needs Arion's evaluation)"
      (mkEffect' (removeAttrs args [ "modules" "uid" "pkgs" ] // {
        name = "arion-${name}";
        inputs = [ pkgs.arion pkgs.docker ];
        dontUnpack = true;
        prebuilt = unknown "arion-compose-${name}.yaml";
        projectName = name;
        passthru = (args.passthru or { }) // { prebuilt = unknown "arion-compose-${name}.yaml"; };
      }));

  # runNixOS's configuration: a whole evaluated one as given, `config` alone as given,
  # else (a module or path) NixOS's evaluation of it, which needs nixpkgs: unknown.
  nixosConfiguration = args:
    let configuration = args.configuration; in
    if args ? configuration && isUnknown configuration then configuration
    else if args ? configuration.config && configuration ? _module
      && (configuration._type or null) == "configuration" then configuration
    else if args ? config then { inherit (args) config; }
    else if args ? configuration then
      { config = opaque "the NixOS configuration runNixOS evaluates from `configuration` (nixos/lib/eval-config.nix)"; evaluatedHere = true; }
    else throw "effects.runNixOS: you must provide a configuration";

  runNixOS =
    args@{ ssh, passthru ? { }, ... }:
    let
      configuration = nixosConfiguration args;
      inherit (configuration) config;
      toplevel = config.system.build.toplevel;
      # (Only a configuration the user passed can be the wrong thing.)
      checked =
        if configuration.evaluatedHere or false || isUnknown config
          || config ? environment.systemPackages then x: x
        else throw "effects.runNixOS expects `config` to be an already evaluated configuration, like the `config` variable that's used in NixOS modules. Perhaps you intended to write `configuration` instead of `config`?";
    in
    checked (notModelled "runNixOS" args
      "nix-copy-closure + nix-env -p <profile> --set <toplevel> + switch-to-configuration switch over ssh (not modelled)"
      (mkEffect' (removeAttrs args [ "config" "configuration" "system" "nixpkgs" "ssh" "buildOnDestination" ] // {
        name = "nixos-${ssh.destination}";
        inputs = [ pkgs.openssh ];
        effectScript = opaque "runNixOS's effect script (the user's effectScript, then hci-effects.ssh)";
        passthru = { prebuilt = toplevel // { inherit config; }; inherit config; } // passthru;
        dontUnpack = args.dontUnpack or true;
      })));

  runNixDarwin =
    args@{ ssh, passthru ? { }, ... }:
    let
      mutEx = this: that:
        lib.throwIf (args ? ${this} && args ? ${that}) ''
          runNixDarwin: the argument ${this} is mutually exclusive with ${that}.

          See https://docs.hercules-ci.com/hercules-ci-effects/reference/nix-functions/runnixdarwin
        '';
      configuration = args.configuration or null;
      given =
        if args ? configuration && isUnknown configuration then configuration
        else if args ? configuration.config && configuration ? _module then configuration
        else if args ? config then (if args.config ? config && args.config ? _module then args.config else { inherit (args) config; })
        else if args ? configuration then
          { config = opaque "the nix-darwin configuration runNixDarwin evaluates from `configuration`"; }
        else throw "hci-effects.runNixDarwin: you must provide a configuration";
      config = given.config;
      name =
        if args ? name then "nix-darwin-${args.name}"
        else if isUnknown config then opaque "effect-nix-darwin-<the configuration's networking.hostName>"
        else if config.networking.hostName or null == null then "nix-darwin"
        else "nix-darwin-${config.networking.hostName}";
    in
    mutEx "config" "configuration" mutEx "config" "nixpkgs" mutEx "config" "nix-darwin"
      mutEx "config" "system" mutEx "config" "pkgs"
      (notModelled "runNixDarwin" args
        "activates a nix-darwin configuration over ssh (not modelled)"
        (mkEffect' (removeAttrs args [ "configuration" "ssh" "config" "system" "nix-darwin" "nixpkgs" "pkgs" "buildOnDestination" ] // {
          inherit name;
          inputs = [ pkgs.gnugrep pkgs.openssh ];
          dontUnpack = true;
          effectScript = opaque "runNixDarwin's effect script (hci-effects.ssh)";
          passthru = passthru // {
            prebuilt = config.system.build.toplevel // { inherit config; };
            inherit config;
          };
        })));

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
    # Effect modules: only the module system gives them meaning (see modularEffect).
    modules = lib.genAttrs [ "git" "git-auth" "git-auth-gh" "git-update" ]
      (n: noModuleSystem "hci-effects.modules.${n}");
    cargoSetupHook = unknown "hci-effects.cargoSetupHook";
    netlifySetupHook = unknown "hci-effects.netlifySetupHook";
    git-crypt-hook = unknown "hci-effects.git-crypt-hook";
    effectVMTest = module: unknown "hci-effects.effectVMTest";
    effects = E;
    hci-effects = E;
  };
in
E
