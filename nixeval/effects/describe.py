"""Effect descriptions (docs/descriptions.md): from an effect value, or a runIf result, to
plain JSON saying what the effect will do, traced back to the user's source.

The effect values come from the offline model (`nixeval/nixpkgs/effects.nix`), whose
effects carry ``__ciEval = { function; args; }``; the wrappers in `calls` know where each
call was written and what each runIf's condition was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .. import __version__
from ..eval import errors as E
from ..eval.force import force
from ..values import Attrs, CStr, NixPath, Unknown
from .calls import Call, RunIf, calls_of
from .encode import JSON, Encoder, location
from .plans import Effect, Plan, plan_for

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..sources.session import Sources

SCHEMA_ID = "https://ci-eval.invalid/schemas/description.schema.json"

# Derivation attributes that are the library's machinery, not environment for the effect.
_MACHINERY = frozenset(
    {
        "phases",
        "name",
        "outputs",
        "secretsMap",
        "isEffect",
        "dontUnpack",
        "inputs",
        "nativeBuildInputs",
        "buildInputs",
        "defaultInputs",
        "src",
        "srcs",
        "prebuilt",
        "preGetStatePhases",
        "preEffectPhases",
        "postEffectPhases",
        "passAsFile",
        "builder",
        "args",
        "system",
        "__ciEval",
        # what the modelled stdenv.mkDerivation adds (`nixeval/nixpkgs/pkgs.nix`)
        "stdenv",
        "__ignoreNulls",
        "propagatedBuildInputs",
        "propagatedNativeBuildInputs",
    }
)


def _is_machinery(name: str) -> bool:
    return (
        name in _MACHINERY
        or name.endswith(("Phase", "Script"))
        or name.startswith("__hci_effect_")
        or (name[:3] == "pre" and name[3:4].isupper())
        or (name[:4] == "post" and name[4:5].isupper())
    )


def classify(machine: Machine, value: Any) -> str | None:
    """``"runIf"`` for a runIf result, ``"effect"`` for an effect, else None."""
    value = force(value)
    if type(value) is not Attrs:
        return None
    if calls_of(machine).run_if_of(value) is not None:
        return "runIf"
    if "isEffect" in value.items and force(value.items["isEffect"]) is True:
        return "effect"
    return None


def effect_call(machine: Machine, value: Any) -> tuple[RunIf | None, Attrs, Any, Call | None]:
    """What a walked value (see `classify`) is made of: its runIf if it is one (or the
    effect was given to one), the effect, the effect's ``__ciEval`` tag (the bundled
    model's), and the recorded call of the effect function (None for an effect neither
    the bundled model nor the real library made)."""
    value = force(value)
    assert type(value) is Attrs
    calls = calls_of(machine)
    run_if = calls.run_if_of(value)
    effect_value = force(run_if.effect) if run_if is not None else value
    if type(effect_value) is not Attrs:
        raise TypeError("runIf was given something that is not an effect")
    if run_if is None:
        run_if = calls.run_if_of_effect(effect_value)
    items = effect_value.items
    tag = force(items["__ciEval"]) if "__ciEval" in items else None
    call = calls.call_of(tag) if tag is not None else None
    if call is None:
        made = calls.library_call_of(effect_value)
        call = made[0] if made is not None else None
    return run_if, effect_value, tag, call


_DERIVATION = "a derivation marked isEffect = true: Hercules CI runs its builder as the effect"


def describe_effect(machine: Machine, value: Any, attr_path: str, base: str) -> dict[str, JSON]:
    """The description of one effect or runIf result (see `classify`); `base` is the
    directory paths are shown relative to."""
    value = force(value)
    run_if, effect_value, tag, call = effect_call(machine, value)
    mode = "run" if run_if is None or run_if.condition else "dependencies"
    items = effect_value.items
    made = calls_of(machine).library_call_of(effect_value)
    if made is not None:
        return _describe_library_effect(machine, attr_path, base, mode, run_if, effect_value, made)
    if call is not None:
        function, args, at = call.function, call.args, location(call.source, call.span)
    elif type(tag) is Attrs:
        function = str(force(tag.items["function"]))
        args, at = force(tag.items["args"]), "?"
    else:
        # A derivation marked isEffect = true that no effect function of ci-eval's made:
        # Hercules CI runs its builder (a plain `derivation`, or the library's own code).
        function, args = "derivation", Attrs({})
        # Where it was written: its `isEffect`, in the set given to `derivation`.
        written = force(items["drvAttrs"]) if "drvAttrs" in items else effect_value
        where = None
        if type(written) is Attrs:
            where = written.position("isEffect") or written.written_at()
        at = location(*where) if where is not None else "?"
    encoder = Encoder(machine, base, at)
    drv = force(items["drvAttrs"]) if "drvAttrs" in items else effect_value
    arguments = args if type(args) is Attrs else Attrs({})
    effect = Effect(encoder, arguments, drv)
    not_modelled = function == "derivation" or (
        "__ciEvalNotModelled" in items and force(items["__ciEvalNotModelled"]) is True
    )
    plan = Plan() if not_modelled else plan_for(function, effect)

    description = _head(attr_path, function, at, mode, run_if)
    secrets_map = effect.secrets_map
    description.update(
        {
            "name": encoder.encode(drv.items["name"]) if "name" in drv.items else "effect",
            "arguments": arguments_json(encoder.encode, arguments),
            "inputs": encoder.encode(drv.items.get("inputs", [])),
            "secretsMap": secrets_map,
            "secrets": _secrets(secrets_map, plan),
            "env": {**environment(effect), **plan.env},
            "stateFiles": plan.state_files,
            "files": plan.files,
            "phases": plan.phases,
            "prebuilt": _prebuilt(encoder, value, effect_value),
            "details": plan.details,
        }
    )
    if not_modelled:
        text = force(items.get("__ciEvalDescription", _DERIVATION))
        description["notModelled"] = str(text)
    if tag is not None:
        # Only the bundled model (effects.nix) tags its effects with __ciEval.
        from ..nixpkgs import bundled_library

        description["library"] = bundled_library()
    return description


def _describe_library_effect(
    machine: Machine,
    attr_path: str,
    base: str,
    mode: str,
    run_if: RunIf | None,
    effect_value: Attrs,
    made: tuple[Call, str],
) -> dict[str, JSON]:
    """An effect the real library made: read off its derivation (`read`)."""
    from .library import at_call
    from .read import describe_read

    call, root = made
    at = location(call.source, call.span)
    description = _head(attr_path, call.function, at, mode, run_if)
    if call.module is not None:
        option, source, span = call.module
        description["module"] = {"option": option, "call": location(source, span)}
    items = effect_value.items
    drv = force(items["drvAttrs"]) if "drvAttrs" in items else effect_value
    try:
        return describe_read(machine, description, call, root, drv, base, at)
    except E.Catchable as err:
        # A throw or assert of the library, met when its derivation is read (as when the
        # agent instantiates it): at the user's call, the library's line as a note.
        raise at_call(err, root, call.function, (call.source, call.span)) from None


def _head(
    attr_path: str, function: str, at: str, mode: str, run_if: RunIf | None
) -> dict[str, JSON]:
    """The keys every effect description starts with: where, what, and whether it runs."""
    description: dict[str, JSON] = {
        "attrPath": attr_path,
        "function": function,
        "at": at,
        "mode": mode,
    }
    if run_if is not None:
        description["runIf"] = {
            "condition": run_if.condition,
            "expression": run_if.expression,
            "at": location(run_if.source, run_if.span),
        }
    return description


def arguments_json(encode: Callable[[Any], JSON], arguments: Attrs) -> dict[str, JSON]:
    """Each argument the user passed: its value and where it was written."""
    return {
        name: {
            "value": encode(arguments.items[name]),
            "at": location(*(arguments.position(name) or (None, None))),
        }
        for name in arguments.names()
    }


def describe_document(
    file: str,
    checkout: dict[str, JSON],
    effects: list[dict[str, JSON]],
    sources: Sources | None = None,
    unknowns: list[dict[str, JSON]] | None = None,
    schedules: dict[str, dict[str, Any]] | None = None,
) -> dict[str, JSON]:
    """The description document; its ``sources`` when the evaluation used pinned inputs,
    its ``unknowns`` when attributes that might hold effects are unknown, its
    ``schedules`` when scheduled jobs were walked (their ``when``, `job_when`'s)."""
    document: dict[str, JSON] = {
        "$schema": SCHEMA_ID,
        "ciEval": __version__,
        "file": file,
        "checkout": checkout,
    }
    used = sources.to_json() if sources is not None else {"inputs": []}
    if used["inputs"] or "nixpkgsLib" in used:
        document["sources"] = used
    if schedules:
        document["schedules"] = {job: _schedule(when) for job, when in schedules.items()}
    document["effects"] = effects
    if unknowns:
        document["unknowns"] = unknowns
    return document


def _schedule(when: dict[str, Any]) -> dict[str, JSON]:
    """A scheduled job's ``when`` (unknown parts as unknowns) and the line that says it."""
    from ..hercules.jobs import describe_when

    def value(v: Any) -> JSON:
        if type(v) is Unknown:
            return {"unknown": v.provenance}
        if isinstance(v, list):
            return [value(x) for x in v]
        return v

    if "unknown" in when:
        shown: JSON = value(when["unknown"])
    else:
        shown = {name: value(v) for name, v in when.items()}
    return {"when": shown, "shown": describe_when(when)}


def describe_unknown(value: Unknown, attr_path: str) -> dict[str, JSON]:
    """An attribute that might hold effects but is unknown: where, and why."""
    entry: dict[str, JSON] = {"attrPath": attr_path, "unknown": value.provenance}
    if value.source is not None and value.span is not None:
        entry["at"] = location(value.source, value.span)
    return entry


def _secrets(secrets_map: JSON, plan: Plan) -> list[dict[str, JSON]]:
    if not isinstance(secrets_map, dict) or "unknown" in secrets_map:
        return []
    return [
        {"name": local, "secret": ref, "fields": sorted(plan.fields.get(local, ()))}
        for local, ref in sorted(secrets_map.items())
    ]


class Attributes(Protocol):
    """An effect derivation's attributes, as `environment` reads them."""

    drv: Attrs

    def attr(self, name: str, default: Any = None) -> Any: ...

    def json(self, value: Any) -> JSON: ...


def environment(effect: Attributes) -> dict[str, JSON]:
    """The derivation attributes that become environment variables, as mkDerivation
    converts them (a null is left out when the derivation has ``__ignoreNulls``, as
    stdenv's mkDerivation gives it)."""
    env: dict[str, JSON] = {}
    ignore_nulls = effect.attr("__ignoreNulls", False) is True
    for name in effect.drv.names():
        if _is_machinery(name):
            continue
        value = effect.attr(name)
        if type(value) is Attrs and "outPath" not in value.items:
            continue  # drvAttrs, passthru-like sets: not environment
        if value is None and ignore_nulls:
            continue
        env[name] = _env_value(effect, value)
    return env


def _env_value(effect: Attributes, value: Any) -> JSON:
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if type(value) is int:
        return str(value)
    if isinstance(value, (str, CStr)):
        return Encoder.shown(str(value))
    if type(value) is list:
        parts = [_env_value(effect, force(v)) for v in value]
        if all(isinstance(p, str) for p in parts):
            return " ".join(parts)
        return next(p for p in parts if not isinstance(p, str))
    if type(value) is NixPath:
        return effect.json(value)
    encoded = effect.json(value)
    if isinstance(encoded, dict) and "outPath" in encoded:
        return encoded["outPath"]
    return encoded


def _prebuilt(encoder: Encoder, value: Attrs, effect_value: Attrs) -> JSON:
    for holder in (value, effect_value):
        if "prebuilt" in holder.items:
            return encoder.encode(holder.items["prebuilt"])
    return None
