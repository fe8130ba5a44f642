"""String context: hasContext getContext appendContext unsafeDiscardStringContext
unsafeDiscardOutputDependency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.coerce import coerce_to_string
from ..values import Attrs, context_of, string_with_context
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine


@builtin("hasContext", 1)
def has_context(m: Machine, s: Any) -> bool:
    return bool(context_of(m.force_string(s)))


@builtin("unsafeDiscardStringContext", 1)
def unsafe_discard_string_context(m: Machine, s: Any) -> str:
    # Nix coerces here (a path is copied to the store, a set gives its outPath).
    return str(coerce_to_string(m, s, set()))


@builtin("unsafeDiscardOutputDependency", 1)
def unsafe_discard_output_dependency(m: Machine, s: Any) -> str:
    v = m.force_string(s)
    ctx = {e[1:] if e.startswith("=") else e for e in context_of(v)}
    return string_with_context(str(v), ctx)


@builtin("getContext", 1)
def get_context(m: Machine, s: Any) -> Attrs:
    """``{ "/nix/store/…" = { path = true; allOutputs = true; outputs = [ … ]; }; }``."""
    info: dict[str, dict[str, Any]] = {}
    for element in context_of(m.force_string(s)):
        if element.startswith("="):
            info.setdefault(element[1:], {})["allOutputs"] = True
        elif element.startswith("!"):
            _, output, path = element.split("!", 2)
            info.setdefault(path, {}).setdefault("outputs", []).append(output)
        else:
            info.setdefault(element, {})["path"] = True
    result: dict[str, Any] = {}
    for path, fields in info.items():
        if "outputs" in fields:
            fields["outputs"] = sorted(fields["outputs"])
        result[path] = Attrs(fields)
    return Attrs(result)


@builtin("appendContext", 2)
def append_context(m: Machine, s: Any, c: Any) -> str:
    v = m.force_string(s)
    ctx = set(context_of(v))
    for path in (spec := m.force_attrs(c)).names():
        fields = m.force_attrs(spec.items[path])
        if not path.startswith("/nix/store/"):
            raise E.EvalError(f"context key '{path}' is not a store path")
        if "path" in fields.items and m.force_bool(fields.items["path"]):
            ctx.add(path)
        if "allOutputs" in fields.items and m.force_bool(fields.items["allOutputs"]):
            if not path.endswith(".drv"):
                raise E.EvalError(
                    f"tried to add all-outputs context of {path}, which is not a derivation, "
                    "to a string"
                )
            ctx.add("=" + path)
        if "outputs" in fields.items:
            outputs = m.force_list(fields.items["outputs"])
            if outputs and not path.endswith(".drv"):
                raise E.EvalError(
                    f"tried to add derivation output context of {path}, which is not a "
                    "derivation, to a string"
                )
            for output in outputs:
                ctx.add(f"!{m.force_string_no_ctx(output)}!{path}")
    return string_with_context(str(v), ctx)
