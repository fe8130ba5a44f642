"""ci-eval's offline hercules-ci-effects model (``nixeval/nixpkgs/effects.nix``).

Every expression in :data:`CASES` builds the model with ci-eval's offline lib, a
string-valued ``unknown`` and a ``pkgs`` of placeholder strings, then selects something
small from an effect (``builtins.attrNames``, a script, ``builtins.tryEval``).

* ``test_ci_eval_matches_nix`` -- ci-eval's ``--eval --strict`` prints exactly what
  ``nix-instantiate --eval --strict`` prints on the same expression, or both fail (for a
  ``throw``, with the same message, which the case may also pin down).
* ``test_expected_value`` -- for the cases carrying ``expect``, the printed value is the
  one the spec (``/work/shared/spec/hercules-effects.md``) says the library produces;
  checked on ci-eval and, when available, on real Nix.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from .twin import Result, run_ci_eval, run_nix

NIXPKGS_DIR = Path(__file__).resolve().parent.parent / "nixeval" / "nixpkgs"
LIB_FILE = NIXPKGS_DIR / "lib.nix"
EFFECTS_FILE = NIXPKGS_DIR / "effects.nix"

PKG_NAMES = [
    "cachix",
    "nixops",
    "jq",
    "curl",
    "cacert",
    "nix",
    "git",
    "path",
    "openssh",
    "rsync",
    "hci",
    "cargo",
    "netlify-cli",
    "arion",
    "docker",
    "gnugrep",
]

PRELUDE = (
    f"let lib = import {LIB_FILE}; "
    'unknown = name: "<unknown:${name}>"; '
    "pkgs = { " + " ".join(f'{n} = "<pkg:{n}>";' for n in PKG_NAMES) + " }; "
    f"E = import {EFFECTS_FILE} {{ inherit lib pkgs unknown; }}; in "
)

# Fixed argument sets, spliced into bodies as text.
CACHIX = 'E.runCachixDeploy { deploy.agents.a = "/nix/store/x-sys"; }'
NIXOPS = 'E.runNixOps { name = "net"; src = "/src"; }'
NIXOPS2 = 'E.runNixOps2 { nixops = "<nixops2>"; flake = { outPath = "/flake"; }; }'
EXCEPTION = (
    '"I know this can corrupt the state, until '
    'https://github.com/NixOS/nixops/issues/1499 is resolved."'
)


class Case(NamedTuple):
    """One expression (``body`` after the prelude); ``error``: both evaluators must fail;
    ``message``: the thrown message; ``expect``: the printed value the spec implies."""

    body: str
    error: bool = False
    message: str | None = None
    expect: str | None = None

    @property
    def expr(self) -> str:
        return PRELUDE + self.body


def ok(body: str, expect: str | None = None) -> Case:
    return Case(body, expect=expect)


def err(body: str, message: str | None = None) -> Case:
    return Case(body, error=True, message=message)


DEFAULT_PHASES = (
    '"initPhase unpackPhase patchPhase  getStatePhase userSetupPhase priorCheckPhase '
    'effectPhase putStatePhase effectCheckPhase"'
)
NO_DEPLOY = "effects.runCachixDeploy: you must provide either a deploy or deployJsonFile argument."
BOTH_DEPLOY = "effects.runCachixDeploy: you must set either `deploy` or `deployJsonFile`."
IMPORTS_MSG = (
    "`mkEffect` does not support `imports`. Did you mean `modularEffect` instead of `mkEffect`?"
)
NIXOPS2_ACTION = (
    "The runNixOps2 action parameter is disabled until "
    "https://github.com/NixOS/nixops/issues/1499 is resolved."
)

CASES: list[Case] = [
    # ---- E itself (§1, §11)
    ok(
        "builtins.attrNames E",
        '[ "callPackage" "cargoPublish" "cargoSetupHook" "effectVMTest" "effects" '
        '"flakeUpdate" "git-crypt-hook" "gitWriteBranch" "hci-effects" "mkEffect" '
        '"modularEffect" "modularEffectWithUserModule" "modules" "netlifyDeploy" '
        '"netlifySetupHook" "nix-shell" "runArion" "runCachixDeploy" "runIf" '
        '"runNixDarwin" "runNixOS" "runNixOps" "runNixOps2" "runPutUrl" "ssh" ]',
    ),
    ok("builtins.attrNames E.effects.hci-effects.effects == builtins.attrNames E", "true"),
    ok("builtins.attrNames E.modules", '[ "git" "git-auth" "git-auth-gh" "git-update" ]'),
    ok("(E.callPackage ({ runIf, lib }: runIf true 3) { }).run", "3"),
    ok(
        '(E.callPackage ({ mkEffect, x }: (mkEffect { name = x; }).name) { x = "c"; })',
        '"effect-c"',
    ),
    # ---- mkEffect (§3)
    ok("(E.mkEffect { }).phases", DEFAULT_PHASES),
    ok('(E.mkEffect { phases = "effectPhase"; }).phases', '"effectPhase"'),
    ok(
        '(E.mkEffect { preGetStatePhases = "a"; preEffectPhases = "b"; postEffectPhases = "c"; }).phases',
        '"initPhase unpackPhase patchPhase a getStatePhase userSetupPhase b effectPhase putStatePhase c"',
    ),
    ok("(E.mkEffect { }).name", '"effect"'),
    ok('(E.mkEffect { name = "deploy"; }).name', '"effect-deploy"'),
    ok('(E.mkEffect { name = "my deploy/prod!"; }).name', '"effect-my-deploy-prod-"'),
    ok('(E.mkEffect { name = "ünï"; }).name', '"effect--n-"'),
    ok("(E.mkEffect { }).type", '"derivation"'),
    ok("(E.mkEffect { }).isEffect", "true"),
    ok("(E.mkEffect { }).secretsMap", '"{}"'),
    ok(
        '(E.mkEffect { secretsMap = { a = "s"; t = { type = "GitToken"; }; }; }).secretsMap',
        '"{\\"a\\":\\"s\\",\\"t\\":{\\"type\\":\\"GitToken\\"}}"',
    ),
    ok('builtins.isString (E.mkEffect { secretsMap.a = "b"; }).secretsMap', "true"),
    ok("(E.mkEffect { }).dontUnpack", "true"),
    ok('(E.mkEffect { src = "/s"; }).dontUnpack', "false"),
    ok('(E.mkEffect { srcs = [ "/s" ]; }).dontUnpack', "false"),
    ok('(E.mkEffect { src = "/s"; dontUnpack = true; }).dontUnpack', "true"),
    ok(
        "(E.mkEffect { }).nativeBuildInputs",
        '[ "<unknown:hci-effects-setup-hook>" "<pkg:cacert>" "<pkg:curl>" "<pkg:jq>" ]',
    ),
    ok(
        '(E.mkEffect { inputs = [ "i" ]; nativeBuildInputs = [ "n" ]; }).nativeBuildInputs',
        '[ "<unknown:hci-effects-setup-hook>" "<pkg:cacert>" "<pkg:curl>" "<pkg:jq>" "i" "n" ]',
    ),
    ok('(E.mkEffect { defaultInputs = [ ]; inputs = [ "i" ]; }).nativeBuildInputs', '[ "i" ]'),
    ok('(E.mkEffect { inputs = [ "i" ]; }).inputs', '[ "i" ]'),
    ok(
        'let e = E.mkEffect { }; in map (n: e.${n}) [ "effectScript" "userSetupScript" '
        '"getStateScript" "putStateScript" "priorCheckScript" "effectCheckScript" '
        '"preGetStatePhases" "preEffectPhases" "postEffectPhases" ]',
        '[ "" "" "" "" "" "" "" "priorCheckPhase" "effectCheckPhase" ]',
    ),
    ok('lib.hasInfix "HOME=/build/home" (E.mkEffect { }).initScript', "true"),
    ok('lib.hasInfix "BatchMode yes" (E.mkEffect { }).initScript', "true"),
    ok('lib.hasInfix "/etc/passwd" (E.mkEffect { }).initScript', "true"),
    ok(
        'builtins.all (p: builtins.isString (E.mkEffect { }).${p}) [ "initPhase" '
        '"getStatePhase" "userSetupPhase" "priorCheckPhase" "effectPhase" "putStatePhase" '
        '"effectCheckPhase" ]',
        "true",
    ),
    ok('(E.mkEffect { effectScript = "echo hi"; }).effectScript', '"echo hi"'),
    ok('(E.mkEffect { FOO = "bar"; }).FOO', '"bar"'),
    ok('(E.mkEffect { passthru.prebuilt = "p"; }).prebuilt', '"p"'),
    ok('(E.mkEffect { passthru.prebuilt = "p"; }).drvAttrs ? prebuilt', "false"),
    ok('(E.mkEffect { passthru.prebuilt = "p"; }).passthru', '{ prebuilt = "p"; }'),
    ok('(E.mkEffect { env.FOO = "1"; }).FOO', '"1"'),
    ok('(E.mkEffect { env.FOO = "1"; }) ? env', "false"),
    ok('(E.mkEffect { name = "x"; }).drvPath', '"<unknown:effect-x.drv>"'),
    ok('(E.mkEffect { name = "x"; }).outPath', '"<unknown:effect-x>"'),
    ok('"${E.mkEffect { name = "x"; }}"', '"<unknown:effect-x>"'),
    ok('(E.mkEffect { name = "x"; }).inputDerivation.name', '"effect-x"'),
    ok("(E.mkEffect { }).inputDerivation.type", '"derivation"'),
    ok("(E.mkEffect { }).inputDerivation.args", '[ "-c" "export > $out" ]'),
    ok("(E.mkEffect { }).inputDerivation.isEffect", "true"),
    ok(
        'builtins.attrNames (E.mkEffect { name = "x"; }).__ciEval',
        '[ "args" "function" ]',
    ),
    ok(
        '(E.mkEffect { name = "x"; }).__ciEval',
        '{ args = { name = "x"; }; function = "mkEffect"; }',
    ),
    ok('(E.mkEffect { name = "x"; }).inputDerivation.__ciEval.function', '"mkEffect"'),
    ok('((E.mkEffect { name = "x"; }).override { name = "y"; }).name', '"effect-y"'),
    ok(
        '((E.mkEffect { name = "x"; }).override (a: { name = a.name + "z"; })).name',
        '"effect-xz"',
    ),
    ok('((E.mkEffect { name = "x"; }).override { effectScript = "e"; }).isEffect', "true"),
    ok('((E.mkEffect { name = "x"; }).overrideAttrs (o: { FOO = o.name; })).FOO', '"effect-x"'),
    ok(
        '((E.mkEffect { name = "x"; }).overrideAttrs (o: { FOO = 1; })) ? override',
        "true",
    ),
    err("(E.mkEffect { imports = [ ]; }).name", IMPORTS_MSG),
    ok("(builtins.tryEval (E.mkEffect { imports = [ ]; }).name).success", "false"),
    # ---- runIf (§2)
    ok(
        'builtins.attrNames (E.runIf true (E.mkEffect { name = "a"; }))',
        '[ "recurseForDerivations" "run" ]',
    ),
    ok(
        'builtins.attrNames (E.runIf true (E.mkEffect { passthru.prebuilt = "p"; }))',
        '[ "prebuilt" "recurseForDerivations" "run" ]',
    ),
    ok(
        'builtins.attrNames (E.runIf false (E.mkEffect { name = "a"; }))',
        '[ "dependencies" "recurseForDerivations" ]',
    ),
    ok(
        'builtins.attrNames (E.runIf false (E.mkEffect { passthru.prebuilt = "p"; }))',
        '[ "dependencies" "prebuilt" "recurseForDerivations" ]',
    ),
    ok("E.runIf true 5", "{ recurseForDerivations = true; run = 5; }"),
    ok(
        'E.runIf true { prebuilt = "p"; }',
        '{ prebuilt = "p"; recurseForDerivations = true; run = { prebuilt = "p"; }; }',
    ),
    ok('(E.runIf true (E.mkEffect { name = "a"; })).run.name', '"effect-a"'),
    ok("(E.runIf false (E.mkEffect { })).dependencies.isEffect", "false"),
    ok("(E.runIf false (E.mkEffect { })).dependencies.buildDependenciesOnly", "true"),
    ok('(E.runIf false (E.mkEffect { name = "a"; })).dependencies.name', '"effect-a"'),
    ok("(E.runIf false (E.mkEffect { })).dependencies.type", '"derivation"'),
    ok('(E.runIf false (E.mkEffect { passthru.prebuilt = "p"; })).prebuilt', '"p"'),
    ok("(E.runIf false (E.mkEffect { })).recurseForDerivations", "true"),
    ok("(E.runIf false (E.mkEffect { })).dependencies.__ciEval.function", '"mkEffect"'),
    err("(E.runIf false 5).dependencies"),
    err('E.runIf "yes" (E.mkEffect { })'),
    err("E.runIf null (E.mkEffect { })"),
    ok("(builtins.tryEval (E.runIf false { prebuilt = 1; }).prebuilt).value", "1"),
    # ---- runCachixDeploy (§4)
    ok(f"({CACHIX}).name", '"effect-cachix-deploy-effect"'),
    ok(
        'E.runCachixDeploy { deploy = { }; name = "mine"; } ? name',
        "true",
    ),
    ok(
        '(E.runCachixDeploy { deploy = { }; name = "mine"; }).name', '"effect-cachix-deploy-effect"'
    ),
    ok(
        f"({CACHIX}).effectScript",
        '"cachix deploy activate <unknown:cachix-deploy.json>"',
    ),
    ok(
        "E.runCachixDeploy { deploy = { }; async = true; } ? async",
        "true",
    ),
    ok(
        "(E.runCachixDeploy { deploy = { }; async = true; }).effectScript",
        '"cachix deploy activate <unknown:cachix-deploy.json> --async"',
    ),
    ok("(E.runCachixDeploy { deploy = { }; async = true; }).async", "true"),
    ok(f"({CACHIX}) ? async", "false"),
    ok("(E.runCachixDeploy { deploy = { }; async = false; }).async", "false"),
    ok(
        '(E.runCachixDeploy { deploy = { }; effectScript = "mine"; async = true; }).effectScript',
        '"mine"',
    ),
    ok(f"({CACHIX}).secretsMap", '"{\\"activate\\":\\"default-cachix-activate\\"}"'),
    ok(
        '(E.runCachixDeploy { deploy = { }; secretsMap.activate = "other"; }).secretsMap',
        '"{\\"activate\\":\\"other\\"}"',
    ),
    ok(
        '(E.runCachixDeploy { deploy = { }; secretsMap.x = "y"; }).secretsMap',
        '"{\\"activate\\":\\"default-cachix-activate\\",\\"x\\":\\"y\\"}"',
    ),
    ok(
        f"({CACHIX}).userSetupScript == "
        '(E.runCachixDeploy { deploy = { }; userSetupScript = "mine"; }).userSetupScript',
        "true",
    ),
    ok(
        f'lib.hasInfix "readSecretString activate .cachixActivateToken" ({CACHIX}).userSetupScript',
        "true",
    ),
    ok(f'lib.hasInfix "CACHIX_ACTIVATE_TOKEN" ({CACHIX}).userSetupScript', "true"),
    ok(
        f"({CACHIX}).nativeBuildInputs",
        '[ "<unknown:hci-effects-setup-hook>" "<pkg:cacert>" "<pkg:curl>" "<pkg:jq>" "<pkg:cachix>" ]',
    ),
    ok(
        '(E.runCachixDeploy { deploy = { }; cachix = "C"; inputs = [ "i" ]; }).inputs',
        '[ "C" "i" ]',
    ),
    ok('(E.runCachixDeploy { deploy = { }; cachix = "C"; }).cachix', '"C"'),
    ok(f"({CACHIX}).cachix", '"<pkg:cachix>"'),
    ok(f"({CACHIX}).drvAttrs ? cachix", "false"),
    ok(f"({CACHIX}).drvAttrs ? deploy", "false"),
    ok(f"builtins.attrNames ({CACHIX}).passthru", '[ "cachix" "deploy" "prebuilt" ]'),
    ok(f"({CACHIX}).deploy", '{ agents = { a = "/nix/store/x-sys"; }; }'),
    ok(f"({CACHIX}).prebuilt.name", '"cachix-deploy.json"'),
    ok(f"({CACHIX}).prebuilt.text", '"{\\"agents\\":{\\"a\\":\\"/nix/store/x-sys\\"}}"'),
    ok(f'"${{({CACHIX}).prebuilt}}"', '"<unknown:cachix-deploy.json>"'),
    ok(
        'builtins.attrNames (E.runCachixDeploy { deployJsonFile = "/f.json"; }).passthru',
        '[ "cachix" "prebuilt" ]',
    ),
    ok('(E.runCachixDeploy { deployJsonFile = "/f.json"; }).deployJsonFile', '"/f.json"'),
    ok(
        '(E.runCachixDeploy { deployJsonFile = "/f.json"; }).effectScript',
        '"cachix deploy activate /f.json"',
    ),
    ok('(E.runCachixDeploy { deployJsonFile = "/f.json"; }).prebuilt', '"/f.json"'),
    ok(f"({CACHIX}) ? deployJsonFile", "false"),
    ok(
        '(E.runCachixDeploy { deploy = { }; passthru = { prebuilt = "q"; z = 1; }; }).prebuilt',
        '"q"',
    ),
    ok("(E.runCachixDeploy { deploy = { }; passthru.z = 1; }).z", "1"),
    ok(f"({CACHIX}).dontUnpack", "true"),
    ok("(E.runCachixDeploy { deploy = { }; dontUnpack = false; }).dontUnpack", "false"),
    ok(f"({CACHIX}).isEffect", "true"),
    ok(f"({CACHIX}).phases", DEFAULT_PHASES),
    ok(f"({CACHIX}).__ciEval.function", '"runCachixDeploy"'),
    ok(
        "builtins.attrNames (E.runCachixDeploy { deploy = { }; async = true; }).__ciEval.args",
        '[ "async" "deploy" ]',
    ),
    ok(f"(E.runIf false ({CACHIX})).prebuilt.name", '"cachix-deploy.json"'),
    ok(f"(E.runIf false ({CACHIX})).dependencies.name", '"effect-cachix-deploy-effect"'),
    err("(E.runCachixDeploy { }).effectScript", NO_DEPLOY),
    err("(E.runCachixDeploy { }).prebuilt.outPath", NO_DEPLOY),
    ok("(E.runCachixDeploy { }).name", '"effect-cachix-deploy-effect"'),
    ok("(builtins.tryEval (E.runCachixDeploy { }).effectScript).success", "false"),
    err('(E.runCachixDeploy { deploy = { }; deployJsonFile = "/f"; }).name', BOTH_DEPLOY),
    ok(
        '(builtins.tryEval (E.runCachixDeploy { deploy = { }; deployJsonFile = "/f"; })).success',
        "false",
    ),
    ok('(E.runCachixDeploy { deploy = { }; FOO = "x"; }).FOO', '"x"'),
    ok('(E.runCachixDeploy { deploy = { }; postEffect = "p"; }).postEffect', '"p"'),
    # ---- runNixOps (§5)
    ok(f"({NIXOPS}).name", '"effect-nixops-net"'),
    ok(f"({NIXOPS}).networkFiles", '[ "network.nix" ]'),
    ok(f"({NIXOPS}).deployOnlyNetworkFiles", "[ ]"),
    ok(f"({NIXOPS}).stateName", '"nixops-net.json"'),
    ok(f"({NIXOPS}).knownHostsName", '"nixops-net.known_hosts"'),
    ok(f"({NIXOPS}).NIX_PATH", '"nixpkgs=<pkg:path>"'),
    ok(f"({NIXOPS}).NIXOPS_DEPLOYMENT", '"net"'),
    ok(f"({NIXOPS}).src", '"/src"'),
    ok(f"({NIXOPS}).dontUnpack", "false"),
    ok(f"({NIXOPS}).secretsMap", '"{}"'),
    ok(f"({NIXOPS}).prebuilt", '"<unknown:nixops-prebuilt-net>"'),
    ok(f"({NIXOPS}).drvAttrs ? prebuilt", "true"),
    ok(
        f"builtins.attrNames (E.runIf false ({NIXOPS}))",
        '[ "dependencies" "prebuilt" "recurseForDerivations" ]',
    ),
    ok('(E.runNixOps { name = "n"; src = "/s"; prebuild = false; }) ? prebuilt', "false"),
    ok(f"({NIXOPS}) ? networkArgs", "false"),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; prebuildOnlyNetworkFiles = [ "x" ]; }) ? prebuildOnlyNetworkFiles',
        "false",
    ),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; networkFiles = [ "a.nix" ]; deployOnlyNetworkFiles = [ "d.nix" ]; stateName = "s"; knownHostsName = "k"; NIXOPS_DEPLOYMENT = "dep"; NIX_PATH = "np"; }).drvAttrs',
        None,
    ),
    ok(
        'let e = E.runNixOps { name = "n"; src = "/s"; stateName = "s"; knownHostsName = "k"; NIXOPS_DEPLOYMENT = "dep"; NIX_PATH = "np"; }; in [ e.stateName e.knownHostsName e.NIXOPS_DEPLOYMENT e.NIX_PATH ]',
        '[ "s" "k" "dep" "np" ]',
    ),
    ok(
        f"({NIXOPS}).nativeBuildInputs",
        '[ "<unknown:hci-effects-setup-hook>" "<pkg:cacert>" "<pkg:curl>" "<pkg:jq>" "<pkg:nix>" "<pkg:nixops>" "<pkg:git>" ]',
    ),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; inputs = [ "aws" ]; }).inputs',
        '[ "<pkg:nix>" "<pkg:nixops>" "<pkg:git>" "aws" ]',
    ),
    ok(
        f"({NIXOPS}).effectScript",
        '"nixops --version\\nnixops deploy --confirm --allow-reboot --allow-recreate \\n"',
    ),
    *[
        ok(
            f'lib.hasInfix "--allow-recreate \'{flag}\'" (E.runNixOps {{ name = "n"; src = "/s"; action = "{action}"; }}).effectScript',
            "true",
        )
        for action, flag in [
            ("dry-run", "--dry-run"),
            ("plan", "--plan-only"),
            ("build", "--build-only"),
            ("create", "--create-only"),
            ("copy", "--copy-only"),
            ("dry-activate", "--dry-activate"),
            ("test", "--test"),
            ("boot", "--boot"),
        ]
    ],
    err('(E.runNixOps { name = "n"; src = "/s"; action = "deploy"; }).effectScript'),
    # A missing attribute is not a `throw`: tryEval does not catch it.
    err(
        '(builtins.tryEval (E.runNixOps { name = "n"; src = "/s"; action = "deploy"; }).effectScript).success'
    ),
    ok('(E.runNixOps { name = "n"; src = "/s"; action = "deploy"; }).name', '"effect-nixops-n"'),
    ok(f"({NIXOPS}).priorCheckScript", '"nixops check"'),
    ok(f"({NIXOPS}).effectCheckScript", '"nixops check"'),
    ok('(E.runNixOps { name = "n"; src = "/s"; action = "dry-run"; }).effectCheckScript', '""'),
    ok('(E.runNixOps { name = "n"; src = "/s"; action = "dry-run"; }).putStateScript', '""'),
    ok('(E.runNixOps { name = "n"; src = "/s"; action = "dry-run"; }).prePutState', '""'),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; effectCheckScript = "e"; priorCheckScript = "p"; }).effectCheckScript',
        '"e"',
    ),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; effectCheckScript = "e"; priorCheckScript = "p"; }).priorCheckScript',
        '"p"',
    ),
    ok(
        f'lib.hasInfix "putStateFile \\"$stateName\\" \\"$stateFileName\\"" ({NIXOPS}).putStateScript',
        "true",
    ),
    ok(
        f'lib.hasInfix "putStateFile \\"$knownHostsName\\" ~/.ssh/known_hosts" ({NIXOPS}).putStateScript',
        "true",
    ),
    ok(
        f'lib.hasInfix "NixOps state export was empty. Upload cancelled." ({NIXOPS}).prePutState',
        "true",
    ),
    ok(
        f'lib.hasInfix "getStateFile \\"$stateName\\" \\"$stateFileName\\"" ({NIXOPS}).getStateScript',
        "true",
    ),
    ok(f'lib.hasInfix "nixops-state.json" ({NIXOPS}).getStateScript', "true"),
    ok(
        f'lib.hasInfix "nixops create $networkFiles $deployOnlyNetworkFiles" ({NIXOPS}).postGetState',
        "true",
    ),
    ok(f'lib.hasInfix "nixops import --include-keys" ({NIXOPS}).postGetState', "true"),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; networkArgs.region = "eu"; }).postGetState',
        None,
    ),
    ok(
        'lib.hasInfix "nixops set-args \'--arg\' \'region\' \'builtins.fromJSON \\"\\\\\\"eu\\\\\\"\\"\'" (E.runNixOps { name = "n"; src = "/s"; networkArgs.region = "eu"; }).postGetState',
        "true",
    ),
    ok(
        'lib.hasInfix "\\\\$" (E.runNixOps { name = "n"; src = "/s"; networkArgs.a = "$HOME"; }).postGetState',
        "true",
    ),
    ok(
        'let e = E.runNixOps { name = "n"; src = "/s"; effectScript = "x"; getStateScript = "x"; putStateScript = "x"; postGetState = "x"; prePutState = "x"; }; in map (n: e.${n} == "x") [ "effectScript" "getStateScript" "putStateScript" "postGetState" "prePutState" ]',
        "[ false false false false false ]",
    ),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; userSetupScript = "writeSSHKey"; }).userSetupScript',
        '"writeSSHKey"',
    ),
    ok(
        '(E.runNixOps { name = "n"; src = "/s"; secretsMap.aws = "aws-creds"; }).secretsMap',
        '"{\\"aws\\":\\"aws-creds\\"}"',
    ),
    ok(
        f"({NIXOPS}).__ciEval",
        '{ args = { name = "net"; src = "/src"; }; function = "runNixOps"; }',
    ),
    err('(E.runNixOps { name = "n"; }).name'),
    err('(E.runNixOps { src = "/s"; }).name'),
    # ---- runNixOps2 (§6)
    ok(f"({NIXOPS2}).name", '"effect-nixops-nixops"'),
    ok(
        '(E.runNixOps2 { name = "prod"; nixops = "N"; flake = { outPath = "/f"; }; }).name',
        '"effect-nixops-prod"',
    ),
    ok(f"({NIXOPS2}).src", '"/flake"'),
    ok(f"({NIXOPS2}) ? flake", "false"),
    ok(f"({NIXOPS2}).NIX_PATH", '"nixpkgs=<pkg:path>"'),
    ok(f"({NIXOPS2}).NIXOPS_DEPLOYMENT", "null"),
    ok(
        '(E.runNixOps2 { name = "prod"; nixops = "N"; flake = { outPath = "/f"; }; }).NIXOPS_DEPLOYMENT',
        '"prod"',
    ),
    ok(
        f"({NIXOPS2}).effectScript",
        "\"nixops deploy --confirm '--allow-reboot' '--allow-recreate'\\n\"",
    ),
    ok(
        'lib.hasInfix "--confirm \'--allow-recreate\' \'--foo\'" (E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; allowReboot = false; extraDeployArgs = [ "--foo" ]; }).effectScript',
        "true",
    ),
    ok(
        '(E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; allowReboot = false; allowRecreate = false; }).effectScript',
        '"nixops deploy --confirm \\n"',
    ),
    ok(
        f'lib.hasInfix "\'--dry-run\' \'--allow-reboot\'" (E.runNixOps2 {{ nixops = "N"; flake = {{ outPath = "/f"; }}; action = "dry-run"; makeAnException = {EXCEPTION}; }}).effectScript',
        "true",
    ),
    err(
        '(E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; action = "dry-run"; }).name',
        NIXOPS2_ACTION,
    ),
    err(
        '(E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; action = "dry-run"; makeAnException = "yes"; }).name',
        NIXOPS2_ACTION,
    ),
    err(
        f'(E.runNixOps2 {{ nixops = "N"; flake = {{ outPath = "/f"; }}; action = "bogus"; makeAnException = {EXCEPTION}; }}).effectScript'
    ),
    err('(E.runNixOps2 { nixops = "N"; }).name'),
    err(
        '(E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; networkFiles = [ "nixops.nix" ]; }).name'
    ),
    ok('(builtins.tryEval (E.runNixOps2 { nixops = "N"; })).success', "false"),
    ok(
        '(E.runNixOps2 { nixops = "N"; src = "/s"; networkFiles = [ "nixops.nix" ]; }).networkFiles',
        '[ "nixops.nix" ]',
    ),
    ok('(E.runNixOps2 { nixops = "N"; src = "/s"; networkFiles = [ "nixops.nix" ]; }).src', '"/s"'),
    ok(
        f"({NIXOPS2}).nativeBuildInputs",
        '[ "<unknown:hci-effects-setup-hook>" "<pkg:cacert>" "<pkg:curl>" "<pkg:jq>" "<pkg:nix>" "<nixops2>" "<pkg:openssh>" "<pkg:rsync>" "<pkg:hci>" "<pkg:git>" ]',
    ),
    ok(
        '(E.runNixOps2 { nixops = "N"; nix = "X"; flake = { outPath = "/f"; }; inputs = [ "i" ]; }).inputs',
        '[ "X" "N" "<pkg:openssh>" "<pkg:rsync>" "<pkg:hci>" "<pkg:git>" "i" ]',
    ),
    err('(E.runNixOps2 { flake = { outPath = "/f"; }; }).inputs'),
    ok('(E.runNixOps2 { flake = { outPath = "/f"; }; }).name', '"effect-nixops-nixops"'),
    ok(f"({NIXOPS2}).prebuilt", '"<unknown:nixops-prebuilt-nixops>"'),
    ok(
        '(E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; prebuild = false; }) ? prebuilt',
        "false",
    ),
    ok(
        f'builtins.map (n: ({NIXOPS2}).${{n}}) [ "priorCheckScript" "effectCheckScript" ]',
        '[ "nixops check" "nixops check" ]',
    ),
    ok(
        '(E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; effectScript = "e"; priorCheckScript = "p"; effectCheckScript = "c"; }).effectScript',
        '"e"',
    ),
    ok(
        'let e = E.runNixOps2 { nixops = "N"; flake = { outPath = "/f"; }; prebuildNetworkArgs = { }; prebuildOnlyModules = [ ]; forgetState = true; allowReboot = false; }; in [ (e ? prebuildNetworkArgs) (e ? prebuildOnlyModules) e.forgetState e.allowReboot e.nixops ]',
        '[ false false true false "N" ]',
    ),
    ok(f"({NIXOPS2}).getStateScript", '""'),
    ok(f"({NIXOPS2}).__ciEval.function", '"runNixOps2"'),
    # ---- modularEffect and the rest (§11)
    # No module system in the bundled lib: modularEffect and what the library builds on it
    # are unknowns (here the prelude's string-valued `unknown`), never a made-up effect.
    ok(
        'lib.hasPrefix "<unknown:hci-effects.modularEffect " (E.modularEffect { effectScript = "hi"; })',
        "true",
    ),
    ok(
        'builtins.map (n: lib.hasPrefix "<unknown:hci-effects.modules.${n} " E.modules.${n}) [ "git" "git-auth" "git-auth-gh" "git-update" ]',
        "[ true true true true ]",
    ),
    ok(
        'lib.hasPrefix "<unknown:hci-effects.gitWriteBranch " (E.gitWriteBranch { contents = "/c"; destination = "d"; })',
        "true",
    ),
    ok('(E.flakeUpdate { gitRemote = "https://x"; }).name', '"effect-flake-update"'),
    ok(
        '(E.flakeUpdate { gitRemote = "https://x"; }).secretsMap',
        '"{\\"token\\":{\\"type\\":\\"GitToken\\"}}"',
    ),
    ok(
        'let e = E.flakeUpdate { gitRemote = "https://x"; updateBranch = "u"; }; in [ e.HCI_GIT_REMOTE_URL e.HCI_GIT_UPDATE_BRANCH e.HCI_GIT_UPDATE_BASE_BRANCH e.HCI_GIT_UPDATE_PR_TITLE e.HCI_GIT_UPDATE_PR_BASE (e ? gitRemote) ]',
        '[ "https://x" "u" "HEAD" "`flake.lock`: Update" "HEAD" false ]',
    ),
    ok(
        'let e = E.flakeUpdate { gitRemote = "https://x"; createPullRequest = false; baseMergeBranch = "main"; }; in [ (e ? HCI_GIT_UPDATE_PR_TITLE) e.HCI_GIT_UPDATE_BASE_BRANCH e.HCI_GIT_UPDATE_BASE_MERGE_METHOD ]',
        '[ false "main" "merge" ]',
    ),
    ok(
        '(E.flakeUpdate { gitRemote = "https://x"; flakes = { "." = { }; "sub" = { }; }; }).HCI_GIT_UPDATE_PR_TITLE',
        '"`flake.lock`, `sub/flake.lock`: Update"',
    ),
    ok(
        'lib.hasPrefix "<unknown:" (E.flakeUpdate { gitRemote = "https://x"; module = { }; })',
        "true",
    ),
    err('(E.flakeUpdate { gitRemote = "https://x"; forgeType = "gitlab"; }).name'),
    ok(
        '(E.flakeUpdate { gitRemote = "https://x"; forgeType = "gitlab"; createPullRequest = false; }).__ciEvalNotModelled',
        "true",
    ),
    err('(E.flakeUpdate { gitRemote = "https://x"; flakes = { }; }).name'),
    # The library allows `inputs = [ ]` beside `flakes`, and no argument it does not name.
    ok(
        '(E.flakeUpdate { gitRemote = "https://x"; flakes."." = { }; inputs = [ ]; }).name',
        '"effect-flake-update"',
    ),
    err('(E.flakeUpdate { gitRemote = "https://x"; gitremote = "y"; }).name'),
    ok(
        'let e = E.netlifyDeploy { content = "/c"; siteId = "s"; secretName = "n"; secretsMap.x = "y"; }; in [ e.__ciEvalNotModelled e.name e.secretsMap e.NETLIFY_SITE_ID e.netlifySecretField ]',
        '[ true "effect" "{\\"netlify\\":\\"n\\",\\"x\\":\\"y\\"}" "s" "token" ]',
    ),
    ok(
        '(E.netlifyDeploy { content = "/c"; siteId = "s"; secretName = "n"; name = "docs"; }).name',
        '"effect-docs"',
    ),
    err(
        '(E.netlifyDeploy { content = "/c"; siteId = "s"; }).secretsMap',
        'effects.netlify: You must provide `secretName`, the name of the secret which holds the "token" field.',
    ),
    ok(
        'builtins.isString (E.cargoPublish { src = "/s"; secretName = "c"; }).__ciEvalDescription',
        "true",
    ),
    ok('(E.cargoPublish { src = "/s"; secretName = "c"; }).name', '"effect"'),
    ok('(E.cargoPublish { src = "/s"; dryRun = true; }).secretsMap', '"{}"'),
    ok('(E.runPutUrl { name = "p"; url = "u"; file = "/f"; }).name', '"effect-put-url-p"'),
    ok('(E.runArion { name = "a"; modules = [ ]; }).prebuilt', '"<unknown:arion-compose-a.yaml>"'),
    ok(
        'let c = { system.build.toplevel.outPath = "/t"; environment.systemPackages = [ ]; }; in (E.runNixOS { ssh.destination = "root@h"; config = c; }).prebuilt.outPath',
        '"/t"',
    ),
    err(
        '(E.runNixOS { ssh.destination = "root@h"; config.system.build.toplevel = "/t"; }).name',
        "effects.runNixOS expects `config` to be an already evaluated configuration, like the "
        "`config` variable that's used in NixOS modules. Perhaps you intended to write "
        "`configuration` instead of `config`?",
    ),
    ok(
        'let e = E.runNixOS { ssh.destination = "root@h"; configuration = { }; secretsMap.ssh = "k"; userSetupScript = "writeSSHKey ssh"; }; in [ e.name e.secretsMap e.userSetupScript ]',
        '[ "effect-nixos-root-h" "{\\"ssh\\":\\"k\\"}" "writeSSHKey ssh" ]',
    ),
    err("(E.runNixOS { configuration = { }; }).name"),
    ok(
        'let e = E.runNixDarwin { ssh.destination = "h"; configuration = { }; secretsMap.ssh = "k"; }; in [ e.__ciEval.function e.secretsMap ]',
        '[ "runNixDarwin" "{\\"ssh\\":\\"k\\"}" ]',
    ),
    ok(
        '(E.runNixDarwin { ssh.destination = "h"; name = "mac"; configuration = { }; }).name',
        '"effect-nix-darwin-mac"',
    ),
    err('(E.runNixDarwin { ssh.destination = "h"; config = { }; configuration = { }; }).name'),
    ok('builtins.isString (E.ssh { destination = "h"; } "echo")', "true"),
    ok('builtins.isString (E.nix-shell { shell = "s"; } "echo")', "true"),
    ok(
        'builtins.attrNames (E.runIf true (E.runNixOS { ssh.destination = "h"; configuration = { }; }))',
        '[ "prebuilt" "recurseForDerivations" "run" ]',
    ),
]


# --------------------------------------------------------------------------
# running both evaluators


def _run_nix(expr: str) -> Result:
    return run_nix(expr, NIXPKGS_DIR)


def _run_ci_eval(
    expr: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Result:
    return run_ci_eval(expr, NIXPKGS_DIR, monkeypatch, capsys)


@pytest.fixture(scope="session")
def nix_results() -> dict[str, Result]:
    """Real Nix on every expression, once per session (4 workers)."""
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not on PATH")
    exprs = [c.expr for c in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(exprs, pool.map(_run_nix, exprs), strict=True))


def _case_id(case: Case) -> str:
    body = case.body
    return body if len(body) <= 70 else body[:67] + "..."


# --------------------------------------------------------------------------
# tests


def test_case_counts() -> None:
    assert len(CASES) >= 80
    assert sum(c.error for c in CASES) >= 10
    assert len({c.body for c in CASES}) == len(CASES), "duplicate case"
    for case in CASES:
        assert not case.error or case.expect is None


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_ci_eval_matches_nix(
    case: Case,
    nix_results: dict[str, Result],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nix = nix_results[case.expr]
    ours = _run_ci_eval(case.expr, monkeypatch, capsys)
    if not case.error:
        assert nix.status == 0, f"{case.body}\nnix failed:\n{nix.stderr}"
        assert ours.status == 0, f"{case.body}\nci-eval failed ({ours.status}):\n{ours.stderr}"
        assert ours.stdout == nix.stdout, (
            f"{case.body}\nnix:     {nix.stdout!r}\nci-eval: {ours.stdout!r}"
        )
        return
    assert nix.status == 1, f"{case.body}\nexpected an error from nix, got {nix.stdout!r}"
    assert ours.status == 1, (
        f"{case.body}\nexpected an error, ci-eval exited {ours.status}: {ours.stdout!r}\n{ours.stderr}"
    )
    if case.message is not None:
        assert case.message in nix.stderr, f"{case.body}\nnix said:\n{nix.stderr}"
        assert case.message in ours.stderr, f"{case.body}\nci-eval said:\n{ours.stderr}"


EXPECTED = [c for c in CASES if c.expect is not None]


@pytest.mark.parametrize("case", EXPECTED, ids=_case_id)
def test_expected_value(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = _run_ci_eval(case.expr, monkeypatch, capsys)
    assert ours.status == 0, f"{case.body}\nci-eval failed ({ours.status}):\n{ours.stderr}"
    assert ours.stdout == f"{case.expect}\n", f"{case.body}\nci-eval: {ours.stdout!r}"


@pytest.mark.parametrize("case", EXPECTED, ids=_case_id)
def test_expected_value_nix(case: Case, nix_results: dict[str, Result]) -> None:
    nix = nix_results[case.expr]
    assert nix.status == 0, f"{case.body}\nnix failed:\n{nix.stderr}"
    assert nix.stdout == f"{case.expect}\n", f"{case.body}\nnix: {nix.stdout!r}"
