"""Attribute sets: attrNames attrValues getAttr hasAttr removeAttrs listToAttrs mapAttrs
intersectAttrs catAttrs zipAttrsWith functionArgs unsafeGetAttrPos."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.env import CTX
from ..eval.force import force
from ..values import Attrs, Closure, PrimOp, PrimOpApp, Thunk, show_type, thunk
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..values import Origin


@builtin("attrNames", 1)
def attr_names(m: Machine, s: Any) -> list[str]:
    return list(m.force_attrs(s).names())


@builtin("attrValues", 1)
def attr_values(m: Machine, s: Any) -> list[Any]:
    attrs = m.force_attrs(s)
    return [attrs.items[name] for name in attrs.names()]


@builtin("getAttr", 2)
def get_attr(m: Machine, name: Any, s: Any) -> Any:
    key = m.force_string_no_ctx(name)
    attrs = m.force_attrs(s)
    if key not in attrs.items:
        from ..spelling import closest

        suggestion = closest(key, attrs.items)
        raise E.MissingAttribute(
            f"attribute '{key}' missing",
            hint=f"did you mean '{suggestion}'?" if suggestion else None,
        )
    return force(attrs.items[key])


@builtin("hasAttr", 2)
def has_attr(m: Machine, name: Any, s: Any) -> bool:
    key = m.force_string_no_ctx(name)
    return key in m.force_attrs(s).items


@builtin("removeAttrs", 2)
def remove_attrs(m: Machine, s: Any, names: Any) -> Attrs:
    attrs = m.force_attrs(s)
    drop = {m.force_string_no_ctx(x) for x in m.force_list(names)}
    if not drop & attrs.items.keys():
        return attrs
    return _kept(attrs, {k: v for k, v in attrs.items.items() if k not in drop})


@builtin("listToAttrs", 1)
def list_to_attrs(m: Machine, xs: Any) -> Attrs:
    items: dict[str, Any] = {}
    # As in Nix, each attribute is where its element's `value` attribute is.
    origins: dict[str, Origin] = {}
    for element in m.force_list(xs):
        pair = m.force_attrs(element)
        if "name" not in pair.items:
            raise E.MissingAttribute("attribute 'name' missing")
        name = m.force_string_no_ctx(pair.items["name"])
        if name in items:
            continue  # the first definition wins
        if "value" not in pair.items:
            raise E.MissingAttribute("attribute 'value' missing")
        items[name] = pair.items["value"]
        if pair.origin is not None:
            origins[name] = pair.origin
    return Attrs(items, origins or None)


@builtin("mapAttrs", 2)
def map_attrs(m: Machine, f: Any, s: Any) -> Attrs:
    attrs = m.force_attrs(s)
    fn = force(f)
    return Attrs({name: _applied(m, fn, name, item) for name, item in attrs.items.items()})


def _applied(m: Machine, fn: Any, name: str, item: Any) -> Thunk:
    """A thunk of ``fn name item``."""
    return thunk(None, None, partial(m.call_two, fn, name, item))


@builtin("intersectAttrs", 2)
def intersect_attrs(m: Machine, a: Any, b: Any) -> Attrs:
    left, right = m.force_attrs(a), m.force_attrs(b)
    return _kept(right, {k: v for k, v in right.items.items() if k in left.items})


def _kept(attrs: Attrs, items: dict[str, Any]) -> Attrs:
    """The set of `items`, some of the attributes of `attrs`: each keeps its position, as
    in Nix; the set itself was not written anywhere."""
    return Attrs(items, None if attrs.origin is None else (items, attrs.origin, None))


@builtin("catAttrs", 2)
def cat_attrs(m: Machine, name: Any, xs: Any) -> list[Any]:
    key = m.force_string_no_ctx(name)
    out = []
    for element in m.force_list(xs):
        attrs = m.force_attrs(element)
        if key in attrs.items:
            out.append(attrs.items[key])
    return out


@builtin("zipAttrsWith", 2)
def zip_attrs_with(m: Machine, f: Any, xs: Any) -> Attrs:
    fn = m.force_function(f)
    collected: dict[str, list[Any]] = {}
    for element in m.force_list(xs):
        attrs = m.force_attrs(element)
        for name in attrs.names():
            collected.setdefault(name, []).append(attrs.items[name])
    return Attrs({name: _applied(m, fn, name, values) for name, values in collected.items()})


@builtin("functionArgs", 1)
def function_args(m: Machine, f: Any) -> Attrs:
    fn = force(f)
    if type(fn) is PrimOp or type(fn) is PrimOpApp:
        return Attrs({})
    if type(fn) is not Closure:
        raise E.TypeMismatch(f"'functionArgs' requires a function, got {show_type(fn)}")
    formals = fn.lam.formals
    if formals is None:
        return Attrs({})
    return Attrs(
        {f.name: f.default is not None for f in formals.entries},
        (fn.env[CTX].source, formals),
    )


@builtin("unsafeGetAttrPos", 2)
def unsafe_get_attr_pos(m: Machine, name: Any, s: Any) -> Any:
    key = m.force_string_no_ctx(name)
    attrs = m.force_attrs(s)
    where = attrs.position(key) if key in attrs.items else None
    if where is None:
        return None
    source, span = where
    pos = source.position(span.start)
    return Attrs({"column": pos.column, "file": source.position_file, "line": pos.line})
