"""derivationStrict, and ``derivation``, the Nix-language wrapper around it (Nix 2.8's
corepkgs/derivation.nix, evaluated as Nix evaluates it)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.coerce import coerce_to_string
from ..eval.force import force
from ..printing import to_json_text
from ..values import Attrs, CStr, Unknown
from .registry import builtin, constant

if TYPE_CHECKING:
    from ..eval.machine import Machine

DERIVATION_NIX = """\
/* This is the implementation of the ‘derivation’ builtin function.
   It's actually a wrapper around the ‘derivationStrict’ primop. */

drvAttrs @ { outputs ? [ "out" ], ... }:

let

  strict = derivationStrict drvAttrs;

  commonAttrs = drvAttrs // (builtins.listToAttrs outputsList) //
    { all = map (x: x.value) outputsList;
      inherit drvAttrs;
    };

  outputToAttrListElement = outputName:
    { name = outputName;
      value = commonAttrs // {
        outPath = builtins.getAttr outputName strict;
        drvPath = strict.drvPath;
        type = "derivation";
        inherit outputName;
      };
    };

  outputsList = map outputToAttrListElement outputs;

in (builtins.head outputsList).value
"""


# What derivationStrict still needs as strings when the attributes go to __json.
_STRUCTURED_ENV = ("name", "builder", "system", "outputHash", "outputHashAlgo", "outputHashMode")


@constant("derivation")
def derivation(m: Machine) -> Any:
    from ..frontend import parse_checked
    from ..syntax.source import Source

    source = Source("<nix/derivation-internal.nix>", DERIVATION_NIX)
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    return m.eval(expr, m.file_env(source, "/"))


def _modelled_outputs(m: Machine, attrs: Attrs, drv_name: str) -> Attrs:
    """derivationStrict of a derivation that refers to a modelled package: its store
    paths depend on paths nobody knows, so they are unknown."""
    why = f"the {{}} of derivation '{drv_name}', which refers to modelled nixpkgs packages"
    outputs = ["out"]
    if "outputs" in attrs.items:
        outputs = [m.force_string_no_ctx(x) for x in m.force_list(attrs.items["outputs"])]
    result: dict[str, Any] = {"drvPath": Unknown(why.format(".drv path"))}
    for name in outputs:
        result[name] = Unknown(why.format(f"output '{name}'"))
    return Attrs(result)


@builtin("derivationStrict", 1)
def derivation_strict(m: Machine, args: Any) -> Attrs:
    from ..store import StoreError

    attrs = m.force_attrs(args)
    if "name" not in attrs.items:
        raise E.MissingAttribute("attribute 'name' missing for call to 'derivationStrict'")
    drv_name = m.force_string_no_ctx(attrs.items["name"])
    structured = "__structuredAttrs" in attrs.items and m.force_bool(
        attrs.items["__structuredAttrs"]
    )
    ignore_nulls = "__ignoreNulls" in attrs.items and m.force_bool(attrs.items["__ignoreNulls"])
    ctx: set[str] = set()
    env: dict[str, str] = {}
    drv_args: list[str] = []
    structured_json: dict[str, Any] = {}
    for key in attrs.names():
        if key == "__ignoreNulls":
            continue
        item = attrs.items[key]
        try:
            if ignore_nulls and force(item) is None:
                continue
            if key == "args":
                drv_args = [coerce_to_string(m, x, ctx, True) for x in m.force_list(item)]
            elif structured:
                if key == "__structuredAttrs":
                    continue
                structured_json[key] = json.loads(to_json_text(m, item, ctx))
                if key in _STRUCTURED_ENV:
                    env[key] = coerce_to_string(m, item, ctx, True)
                elif key == "outputs":
                    env[key] = " ".join(m.force_string_no_ctx(x) for x in m.force_list(item))
            else:
                env[key] = coerce_to_string(m, item, ctx, True)
        except E.EvalError as err:
            err.note(
                f"while evaluating the attribute '{key}' of the derivation '{drv_name}'",
                *(attrs.position(key) or (None, None)),
            )
            raise
    from ..nixpkgs.model import is_modelled_context

    if any(is_modelled_context(element) for element in ctx):
        return _modelled_outputs(m, attrs, drv_name)
    structured_text = (
        json.dumps(structured_json, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        if structured
        else None
    )
    try:
        drv_path, outputs = m.derivations.derivation_strict(
            env, drv_args, ctx, structured_json=structured_text
        )
    except StoreError as err:
        # As Nix does, blame the derivation's `name` attribute: the user's own code.
        where = attrs.position("name") or (None, None)
        raise E.EvalError(err.message).at(*where) from None
    result: dict[str, Any] = {"drvPath": CStr(drv_path, frozenset(["=" + drv_path]))}
    for name, path in outputs.items():
        result[name] = CStr(path, frozenset([f"!{name}!{drv_path}"]))
    return Attrs(result)
