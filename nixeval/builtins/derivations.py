"""derivationStrict, and ``derivation``, the Nix-language wrapper around it (ci-eval's own
copy of the wrapper Nix 2.8 builds into itself, evaluated as Nix evaluates it)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.coerce import coerce_to_string
from ..eval.force import force
from ..printing import to_json_text
from ..syntax import nodes as n
from ..values import Attrs, CStr, Unknown
from .registry import builtin, constant

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.source import Source

# The file Nix 2.8 names its built-in wrapper: positions of what the wrapper defines (the
# attributes it adds to every derivation, errors raised in it) name this file, as Nix's do.
DERIVATION_FILE = "//builtin/derivation.nix"

# The wrapper. Its layout is Nix's, line for line and column for column, since positions
# in it are visible (`builtins.unsafeGetAttrPos "type" drv`, `--xml`, error positions). Nix's
# text starts with an empty line, so this one does too: every position is a line lower.
DERIVATION_NIX = """
/* `derivation`: ci-eval's Nix-language wrapper of the `derivationStrict` builtin,
   adding an attribute set per output, each with `outPath`, `drvPath` and `type`. */

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

    source = Source(DERIVATION_FILE, DERIVATION_NIX)
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


def _set_position(attrs: Attrs) -> tuple[Source, n.Span] | None:
    """Where Nix 2.8 places a set in an error about it: at the ``{`` of the set written in a
    file. A set that a builtin or ``//`` of two non-empty sets made has no place of its own
    (`Attrs.written_at`)."""
    written = attrs.written_at()
    if written is None:
        return None
    source, span = written
    # A `rec { … }` is placed at its brace: the first one after `rec`.
    brace = source.text.find("{", span.start, span.end)
    return source, n.Span(brace, span.end) if brace >= 0 else span


@builtin("derivationStrict", 1)
def derivation_strict(m: Machine, args: Any) -> Attrs:
    from ..store import StoreError

    attrs = m.force_attrs(args)
    if "name" not in attrs.items:
        # As Nix 2.8 does, at the set given (if it was written somewhere), not at the call.
        raise E.MissingAttribute("attribute 'name' missing for call to 'derivationStrict'").at(
            *(_set_position(attrs) or (None, None))
        )
    # Nix's errors about the other attributes are noted at `name`, the derivation's own.
    name_at = attrs.position("name") or (None, None)
    try:
        drv_name = m.force_string_no_ctx(attrs.items["name"])
    except E.EvalError as err:
        err.note("while evaluating the derivation attribute 'name'", *name_at)
        raise
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
            # Nix places an error in an element of `args` at `name`, any other at the attribute.
            err.at(*(name_at if key == "args" else attrs.position(key) or (None, None)))
            err.note(
                f"while evaluating the attribute '{key}' of the derivation '{drv_name}'", *name_at
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
