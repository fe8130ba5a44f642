"""The hercules-ci-effects functions as the ci file calls them.

The offline model of the library is Nix (`nixeval/nixpkgs/effects.nix`); here each
function of it is wrapped in a builtin that

* checks the call as the library would, but at the user's argument: exactly one of
  ``deploy``/``deployJsonFile``, runNixOps2's ``flake`` xor ``networkFiles`` and its
  ``makeAnException``, ``action`` values, an unknown argument that looks like a typo of a
  known one, runIf's Boolean; and warns about arguments the function ignores;
* remembers the call (function, argument set, position) under the effect's ``__ciEval``
  tag, and runIf's condition (value, source text, position) under its result, so a
  description can point back at the source (`nixeval.effects.describe`);
* then calls the model, which gives the same value as before.

The library's own ``throw``/``assert`` messages are kept as the messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, Severity
from ..eval import errors as E
from ..eval.env import CTX
from ..eval.force import force
from ..records import Record
from ..spelling import closest
from ..syntax.nodes import Span
from ..syntax.source import Source
from ..values import Attrs, PrimOp, Thunk, Unknown, show_type

if TYPE_CHECKING:
    from ..eval.machine import Machine

Site = tuple[Source | None, Span | None]


class EffectCheckFailed(E.EvalError):
    """A call of an effect function that the library (or cachix, nixops) would refuse."""

    kind = "effect"

    def __init__(
        self,
        code: str,
        message: str,
        source: Source | None,
        span: Span | None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, source, span, hint)
        self.code = code


class Call(Record):
    """One call of an effect function: what the ci file wrote, and where."""

    function: str
    args: Any  # the argument, forced (an Attrs, or for modularEffect a module)
    source: Source | None
    span: Span | None
    # For a call a flake module of the library made: the option the user defined
    # (`source`/`span` are that definition) and where the module's own call is.
    module: tuple[str, Source | None, Span | None] | None = None


class RunIf(Record):
    """One ``runIf condition effect`` call."""

    condition: bool
    expression: str
    source: Source | None
    span: Span | None
    effect: Any  # the item given as the effect


class Calls:
    """What the wrappers saw during one evaluation. Keyed by the identity of the value
    they made (which is kept alive here, so the key stays valid)."""

    __slots__ = (
        "_warned",
        "by_effect",
        "by_tag",
        "conditions",
        "run_ifs",
        "run_ifs_by_effect",
        "warnings",
    )

    def __init__(self) -> None:
        self.by_tag: dict[int, tuple[Attrs, Call]] = {}
        self.run_ifs: dict[int, tuple[Attrs, RunIf]] = {}
        # Effects the real library made (`library`): the effect, its call, the library's
        # root.
        self.by_effect: dict[int, tuple[Attrs, Call, str]] = {}
        # The library's runIf calls by the effect they were given: a runIf result that went
        # through the module system (a flake-parts `herculesCI`) is a copy of the one made,
        # but its `run` is still the effect.
        self.run_ifs_by_effect: dict[int, tuple[Any, RunIf]] = {}
        self.warnings: list[Diagnostic] = []
        self._warned: set[tuple[str, int, int]] = set()
        # The conditions of the runIf calls being evaluated, innermost last (`under_run_if`).
        self.conditions: list[Any] = []

    def call_of(self, tag: Any) -> Call | None:
        entry = self.by_tag.get(id(tag))
        return entry[1] if entry is not None and entry[0] is tag else None

    def library_call_of(self, effect: Any) -> tuple[Call, str] | None:
        """The call of the real library that made `effect`, and the library's root."""
        entry = self.by_effect.get(id(effect))
        return (entry[1], entry[2]) if entry is not None and entry[0] is effect else None

    def run_if_of_effect(self, effect: Any) -> RunIf | None:
        entry = self.run_ifs_by_effect.get(id(effect))
        return entry[1] if entry is not None and entry[0] is effect else None

    def run_if_of(self, value: Any) -> RunIf | None:
        entry = self.run_ifs.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else None

    def warn(self, code: str, message: str, where: Site, notes: Iterable[str] = ()) -> None:
        source, span = where
        if source is None or span is None:
            return
        key = (code, id(source), span.start)
        if key in self._warned:
            return
        self._warned.add(key)
        self.warnings.append(
            Diagnostic(Severity.WARNING, code, message, source, span, (), tuple(notes))
        )


def calls_of(machine: Machine) -> Calls:
    calls = machine.model_cache.get("calls")
    if calls is None:
        calls = machine.model_cache["calls"] = Calls()
    return calls


def under_run_if(machine: Machine, condition: Any, body: Any) -> Any:
    """`body` (the bundled model's runIf result) forced while `condition` is runIf's: an
    effect first made there is checked knowing whether it runs."""
    conditions = calls_of(machine).conditions
    conditions.append(force(condition))
    try:
        return force(body)
    finally:
        conditions.pop()


def _runs(machine: Machine) -> bool:
    """Whether an effect made now runs: not when made for a runIf whose condition is false
    (Hercules CI then only builds its inputs)."""
    conditions = calls_of(machine).conditions
    return not conditions or conditions[-1] is not False


# --- what the functions take ------------------------------------------------------------

HOOKS = tuple(
    f"{when}{phase}"
    for phase in (
        "Init",
        "GetState",
        "UserSetup",
        "PriorCheck",
        "Effect",
        "PutState",
        "EffectCheck",
        "Unpack",
        "Patch",
    )
    for when in ("pre", "post")
)

# mkEffect's arguments (hercules-effects.md §3.2), which every function passes on.
MK_EFFECT_ARGS = frozenset(
    {
        "effectScript",
        "userSetupScript",
        "getStateScript",
        "putStateScript",
        "priorCheckScript",
        "effectCheckScript",
        "initScript",
        "initPhase",
        "getStatePhase",
        "userSetupPhase",
        "priorCheckPhase",
        "effectPhase",
        "putStatePhase",
        "effectCheckPhase",
        "preGetStatePhases",
        "preEffectPhases",
        "postEffectPhases",
        "name",
        "inputs",
        "secretsMap",
        "src",
        "srcs",
        "dontUnpack",
        "phases",
        "defaultInputs",
        "passthru",
        "env",
        "meta",
        "nativeBuildInputs",
        "buildInputs",
        "__hci_effect_fsroot_copy",
        "__hci_effect_mounts",
        "__hci_effect_virtual_uid",
        "__hci_effect_virtual_gid",
        "__hci_effect_root_read_only",
        *HOOKS,
    }
)

NIXOPS_ACTIONS = (
    "switch",
    "dry-run",
    "plan",
    "build",
    "create",
    "copy",
    "dry-activate",
    "test",
    "boot",
)

KNOWN_ARGS: dict[str, frozenset[str]] = {
    "mkEffect": MK_EFFECT_ARGS,
    "runCachixDeploy": MK_EFFECT_ARGS | {"deploy", "deployJsonFile", "cachix", "async"},
    "runNixOps": MK_EFFECT_ARGS
    | {
        "networkFiles",
        "networkArgs",
        "prebuild",
        "prebuildOnlyNetworkFiles",
        "deployOnlyNetworkFiles",
        "stateName",
        "knownHostsName",
        "NIX_PATH",
        "action",
        "NIXOPS_DEPLOYMENT",
    },
    "runNixOps2": MK_EFFECT_ARGS
    | {
        "flake",
        "networkFiles",
        "forgetState",
        "prebuildNetworkArgs",
        "prebuild",
        "prebuildOnlyNetworkFiles",
        "prebuildOnlyModules",
        "nixops",
        "nix",
        "action",
        "allowReboot",
        "allowRecreate",
        "extraDeployArgs",
        "makeAnException",
        "NIX_PATH",
        "NIXOPS_DEPLOYMENT",
    },
}

# Arguments a function accepts but throws away (hercules-effects.md §4.2, §5.1).
IGNORED: dict[str, dict[str, str]] = {
    "runCachixDeploy": {
        "name": "runCachixDeploy names every effect 'cachix-deploy-effect'",
        "userSetupScript": "runCachixDeploy replaces it with the export of "
        "CACHIX_ACTIVATE_TOKEN; use preUserSetup or postUserSetup instead",
    },
    "runNixOps": {
        "effectScript": "runNixOps runs its own `nixops deploy`",
        "getStateScript": "runNixOps fetches its own state files",
        "putStateScript": "runNixOps uploads its own state files",
        "postGetState": "runNixOps uses it to import or create the deployment",
        "prePutState": "runNixOps uses it to export the NixOps state",
    },
}

# runNixOps2-only arguments, given to runNixOps (NixOps 1.x) by mistake (§5.1).
NIXOPS2_ONLY = {
    "allowReboot": "runNixOps always passes --allow-reboot",
    "allowRecreate": "runNixOps always passes --allow-recreate",
    "extraDeployArgs": "runNixOps has no extra deploy arguments",
    "forgetState": "runNixOps always keeps the state",
    "flake": "runNixOps takes `src` and `networkFiles`",
}

NIXOPS2_EXCEPTION = (
    "I know this can corrupt the state, until https://github.com/NixOS/nixops/issues/1499 "
    "is resolved."
)

# The fields of deploy.json that cachix reads (Cachix.Types.Deploy, hercules-effects.md §10);
# its decoder ignores any other field.
DEPLOY_FIELDS = ("agents", "rollbackScript")

# Functions whose argument is a module for the module system, not mkEffect's arguments:
# `secretsMap = lib.mkDefault …` is a module definition there.
MODULE_FUNCTIONS = frozenset({"modularEffect", "gitWriteBranch"})


# --- the wrappers -----------------------------------------------------------------------

#: The functions of hercules-ci-effects that make an effect (runIf is wrapped apart): the
#: bundled model's are wrapped here, the real library's in `library`.
EFFECT_FUNCTIONS = (
    "mkEffect",
    "modularEffect",
    "modularEffectWithUserModule",
    "runCachixDeploy",
    "runNixOps",
    "runNixOps2",
    "runNixOS",
    "runNixDarwin",
    "runArion",
    "runPutUrl",
    "netlifyDeploy",
    "cargoPublish",
    "flakeUpdate",
    "gitWriteBranch",
)


def wrap_effects(machine: Machine, model: Attrs) -> Attrs:
    """The effects attribute set with its functions wrapped (see the module comment)."""
    items = dict(model.items)
    for name in EFFECT_FUNCTIONS:
        if name in items:
            items[name] = PrimOp(name, 1, _effect_function(machine, name, items[name]), site=True)
    items["runIf"] = PrimOp("runIf", 2, _run_if(machine, items["runIf"]), site=True)
    return Attrs(items)


def _effect_function(machine: Machine, name: str, model_fn: Any) -> Callable[..., Any]:
    def call(arg: Any, site: Site) -> Any:
        value = force(arg)
        if type(value) is Attrs:
            site = value.written_at() or site  # the argument set, not the whole call
            check_arguments(machine, name, value, site)
        result = force(machine.call(force(model_fn), arg))
        if type(result) is Attrs and "__ciEval" in result.items:
            tag = force(result.items["__ciEval"])
            calls_of(machine).by_tag[id(tag)] = (tag, Call(name, value, *site))
        elif type(result) is Unknown and not _written_by_user(result):
            # What the model cannot make (`modularEffect` without a module system) is an
            # unknown made by the user's call: placed there.
            result = Unknown(result.provenance, *site, result.overlay, result.model)
        return result

    return call


def _written_by_user(value: Unknown) -> bool:
    """Whether an unknown was made in the user's files, not in ci-eval's models."""
    from ..eval.access import MODEL_DIR

    return value.source is not None and not value.source.name.startswith(MODEL_DIR + os.sep)


def _run_if(machine: Machine, model_fn: Any) -> Callable[..., Any]:
    def run_if(condition: Any, effect: Any, site: Site) -> Any:
        where = expression_site(condition, site)
        source, span = where
        value = force(condition)
        if type(value) is Unknown:
            err = E.NeedsValue(value, "the runIf condition")
            raise err.at(source, span)
        if type(value) is not bool:
            raise EffectCheckFailed(
                "E206",
                f"the runIf condition must be a Boolean, but it is {show_type(value)}",
                source,
                span,
                hint="runIf :: Bool -> Effect -> AttrSet; compare, e.g. "
                '`src.ref == "refs/heads/main"`',
            )
        result = force(machine.call(machine.call(force(model_fn), condition), effect))
        if type(result) is Attrs:
            record_run_if(machine, result, value, where, effect)
        return result

    return run_if


def record_run_if(machine: Machine, result: Attrs, value: bool, where: Site, effect: Any) -> RunIf:
    """Remember a runIf call under its `result`: its condition's value, its text as
    written at `where` (or the value's), and the effect it was given."""
    source, span = where
    expression = (
        unparenthesized(source.text[span.start : span.end])
        if source is not None and span is not None
        else ("true" if value else "false")
    )
    record = RunIf(value, expression, source, span, effect)
    calls_of(machine).run_ifs[id(result)] = (result, record)
    return record


def unparenthesized(text: str) -> str:
    """``(src.ref == "…")`` as ``src.ref == "…"``: the parentheses runIf's argument needs."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, c in enumerate(text):
            depth += c == "("
            depth -= c == ")"
            if depth == 0 and i < len(text) - 1:
                return text  # `(a) == (b)`: the first parenthesis closes early
        text = text[1:-1].strip()
    return text


def expression_site(item: Any, site: Site) -> Site:
    """Where runIf's condition was written: its expression, if it is still a thunk of one,
    else found in the text of the call (a literal such as ``"yes"`` is not a thunk)."""
    if type(item) is Thunk and item.env is not None:
        span = getattr(item.code, "span", None)
        if span is not None:
            return item.env[CTX].source, span
    source, span = site
    if source is None or span is None:
        return site
    from ..syntax import SyntaxFailure, parse_source
    from ..syntax import nodes as n

    try:
        call = parse_source(Source(source.name, source.text[span.start : span.end]))
    except SyntaxFailure:
        return site
    if type(call) is n.Apply and type(call.fn) is n.Apply:
        inner = call.fn.arg.span
        return source, Span(span.start + inner.start, span.start + inner.end)
    return site


# --- the checks ---------------------------------------------------------------------------


def check_arguments(machine: Machine, function: str, args: Attrs, site: Site) -> None:
    """The library's checks of a call, at the offending argument (else at `site`)."""
    if function in MODULE_FUNCTIONS:
        return

    def at(name: str) -> Site:
        where = args.position(name)
        return where if where is not None else site

    def fail(code: str, message: str, name: str | None, hint: str | None = None) -> None:
        source, span = at(name) if name is not None else site
        raise EffectCheckFailed(code, message, source, span, hint)

    known = KNOWN_ARGS.get(function)
    if known is not None:
        for name in args.items:
            if name in known:
                continue
            if function == "runNixOps" and name in NIXOPS2_ONLY:
                calls_of(machine).warn(
                    "W202",
                    f"runNixOps (NixOps 1.x) does not take '{name}'; it is a runNixOps2 "
                    "argument, passed on as an environment variable and otherwise ignored",
                    at(name),
                    [f"note: {NIXOPS2_ONLY[name]}"],
                )
                continue
            suggestion = closest(name, known)
            if suggestion is not None and suggestion not in args.items:
                fail(
                    "E207",
                    f"{function} has no argument '{name}'",
                    name,
                    hint=f"did you mean '{suggestion}'?",
                )
    for name, why in IGNORED.get(function, {}).items():
        if name in args.items:
            calls_of(machine).warn(
                "W201", f"{function} ignores the argument '{name}'", at(name), [f"note: {why}"]
            )
    if "secretsMap" in args.items:
        _check_secrets_map(machine, args, at("secretsMap"))
    if function == "runCachixDeploy":
        has_deploy, has_file = "deploy" in args.items, "deployJsonFile" in args.items
        if has_deploy and has_file:
            fail(
                "E201",
                "effects.runCachixDeploy: you must set either `deploy` or `deployJsonFile`.",
                "deployJsonFile",
                hint="remove one of them",
            )
        if not has_deploy and not has_file:
            fail(
                "E202",
                "effects.runCachixDeploy: you must provide either a deploy or deployJsonFile "
                "argument.",
                None,
            )
        if has_deploy:
            _check_deploy(machine, args, at("deploy"), _runs(machine))
    if function in ("runNixOps", "runNixOps2") and "action" in args.items:
        action = force(args.items["action"])
        if isinstance(action, str) and action not in NIXOPS_ACTIONS:
            suggestion = closest(action, NIXOPS_ACTIONS)
            fail(
                "E205",
                f"{function}: '{action}' is not an action; it must be one of "
                + ", ".join(NIXOPS_ACTIONS),
                "action",
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
    if function == "runNixOps2":
        _check_nixops2(args, at, fail)


def _check_nixops2(args: Attrs, at: Callable[[str], Site], fail: Callable[..., None]) -> None:
    flake = force(args.items["flake"]) if "flake" in args.items else None
    files = force(args.items["networkFiles"]) if "networkFiles" in args.items else None
    known = type(flake) is not Unknown and type(files) is not Unknown
    if known and (flake is None) == (files is None):
        both = flake is not None
        fail(
            "E203",
            "runNixOps2: "
            + (
                "pass either `flake` or `networkFiles`, not both"
                if both
                else "pass `flake` (with nixopsConfigurations.default) or `networkFiles`"
            )
            + " (the library asserts `(flake == null) != (networkFiles == null)`)",
            "networkFiles" if both else None,
        )
    action = force(args.items["action"]) if "action" in args.items else "switch"
    if isinstance(action, str) and action != "switch":
        exception = force(args.items["makeAnException"]) if "makeAnException" in args.items else ""
        if isinstance(exception, str) and exception != NIXOPS2_EXCEPTION:
            fail(
                "E204",
                "The runNixOps2 action parameter is disabled until "
                "https://github.com/NixOS/nixops/issues/1499 is resolved.",
                "makeAnException" if "makeAnException" in args.items else "action",
                hint=f'to use it anyway, set makeAnException = "{NIXOPS2_EXCEPTION}"',
            )


def _check_secrets_map(machine: Machine, args: Attrs, where: Site) -> None:
    secrets_map = force(args.items["secretsMap"])
    if type(secrets_map) is not Attrs:
        return
    for local in secrets_map.items:
        ref = force(secrets_map.items[local])
        pos = secrets_map.position(local) or where
        if isinstance(ref, str) or type(ref) is Unknown:
            continue
        if type(ref) is Attrs:
            kind = force(ref.items["type"]) if "type" in ref.items else None
            if kind == "GitToken" and set(ref.items) == {"type"}:
                continue
            if type(kind) is Unknown:
                continue
            problem = (
                "does not have a type attribute"
                if kind is None
                else "has a type that is not a string"
                if not isinstance(kind, str)
                else 'has the type "' + kind + '", which is unknown; it must be "GitToken"'
                if kind != "GitToken"
                else "has attributes other than `type`"
            )
        else:
            problem = f"is {show_type(ref)}, neither a string nor an attribute set"
        raise EffectCheckFailed(
            "E210",
            f"secretsMap.{local} {problem}",
            pos[0],
            pos[1],
            hint='a secret reference is a secret name ("my-secret") or { type = "GitToken"; }',
        )


def _check_deploy(machine: Machine, args: Attrs, where: Site, runs: bool) -> None:
    """deploy.json as cachix reads it (a generic decoder of `agents` and `rollbackScript`):
    other fields are ignored (a warning each); no `agents` is rejected, when the effect
    runs (under ``runIf false``, as in the library's own test, it never does)."""
    deploy = force(args.items["deploy"])
    if type(deploy) is not Attrs:
        return
    ignored = [name for name in deploy.names() if name not in DEPLOY_FIELDS]
    for name in ignored:
        suggestion = closest(name, DEPLOY_FIELDS)
        calls_of(machine).warn(
            "W204",
            f"cachix deploy activate ignores the deploy.json field '{name}'",
            deploy.position(name) or where,
            [
                f"help: did you mean '{suggestion}'?"
                if suggestion
                else "note: cachix reads only `agents` and `rollbackScript`"
            ],
        )
    if "agents" in deploy.items or not runs:
        return
    typo = next((n for n in ignored if closest(n, ("agents",)) is not None), None)
    pos = (deploy.position(typo) if typo is not None else None) or where
    raise EffectCheckFailed(
        "E208",
        "deploy.json needs `agents` (agent name -> the store path it activates)",
        pos[0],
        pos[1],
        hint=f"did you mean 'agents' instead of '{typo}'?"
        if typo is not None
        else "cachix deploy activate rejects a deploy.json without `agents`",
    )
