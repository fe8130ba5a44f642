"""Static scopes: which names are bound where, and the variables bound nowhere.

Nix 2.8 binds variables right after parsing (``Expr::bindVars``) and reports a variable
bound neither lexically nor by an enclosing ``with`` as ``undefined variable 'x'``; so does
this pass, but it reports every such variable, not only the first. The scope rules are
Nix's:

- a ``let`` and a ``rec { }`` see their own names; ``inherit x;`` in them looks ``x`` up
  *outside* (``inherit (e) x;`` evaluates ``e`` inside);
- a plain ``{ }`` binds nothing for its values;
- a function sees its argument, its formals and its ``@`` name, also in formal defaults;
- a ``with`` makes every name that is not bound lexically possibly bound, so nothing under
  it is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .builtins.names import BASE_ENV
from .records import Record
from .spelling import closest
from .syntax import nodes as n
from .syntax.nodes import Span


class UndefinedVariable(Record):
    name: str
    span: Span
    suggestion: str | None


class _Scope(Record):
    names: frozenset[str] | None  # None: a `with`, which may bind anything
    up: _Scope | None


_BASE = _Scope(BASE_ENV, None)

# The variables found bound nowhere: name, where, and the scope they were looked up in.
_Found = list[tuple[str, Span, _Scope]]


def undefined_variables(
    expr: n.Expr, extra_names: frozenset[str] = frozenset()
) -> list[UndefinedVariable]:
    """Every variable of `expr` that Nix would reject as undefined, in source order.

    `extra_names` are bound around the expression (the scope of a scopedImport)."""
    found: _Found = []
    _walk(expr, _Scope(extra_names, _BASE) if extra_names else _BASE, found)
    found.sort(key=lambda f: f[1].start)
    return [UndefinedVariable(name, span, _suggest(name, scope)) for name, span, scope in found]


def _visible(scope: _Scope | None) -> Iterator[str]:
    while scope is not None:
        if scope.names is not None:
            yield from scope.names
        scope = scope.up


def _suggest(name: str, scope: _Scope) -> str | None:
    return closest(name, (v for v in _visible(scope) if not v.startswith("__")))


def _lookup(name: str, scope: _Scope | None) -> bool:
    while scope is not None:
        if scope.names is None or name in scope.names:
            return True
        scope = scope.up
    return False


def _walk(e: n.Expr, scope: _Scope, found: _Found) -> None:
    _WALK[type(e)](e, scope, found)


# One function per node class, found by `_walk` through `_WALK`: a dictionary lookup,
# where a ``match`` on the node's class tries the cases one by one.


def _var(e: n.Var, scope: _Scope, found: _Found) -> None:
    if not _lookup(e.name, scope):
        found.append((e.name, e.span, scope))


def _leaf(e: n.Expr, scope: _Scope, found: _Found) -> None:
    pass


def _parts(e: n.Str | n.Path, scope: _Scope, found: _Found) -> None:
    for p in e.parts:
        if not isinstance(p, str):
            _walk(p, scope, found)


def _select(e: n.Select, scope: _Scope, found: _Found) -> None:
    _walk(e.expr, scope, found)
    _walk_path(e.path, scope, found)
    if e.default is not None:
        _walk(e.default, scope, found)


def _has_attr(e: n.HasAttr, scope: _Scope, found: _Found) -> None:
    _walk(e.expr, scope, found)
    _walk_path(e.path, scope, found)


def _lambda(e: n.Lambda, scope: _Scope, found: _Found) -> None:
    formals = e.formals
    names = {e.param} if e.param is not None else set()
    if formals is not None:
        names.update(f.name for f in formals.entries)
    inner = _Scope(frozenset(names), scope)
    if formals is not None:
        for f in formals.entries:
            if f.default is not None:
                _walk(f.default, inner, found)
    _walk(e.body, inner, found)


def _apply(e: n.Apply, scope: _Scope, found: _Found) -> None:
    _walk(e.fn, scope, found)
    _walk(e.arg, scope, found)


def _bin_op(e: n.BinOp, scope: _Scope, found: _Found) -> None:
    _walk(e.left, scope, found)
    _walk(e.right, scope, found)


def _operand(e: n.Not | n.Negate, scope: _Scope, found: _Found) -> None:
    _walk(e.expr, scope, found)


def _list(e: n.List, scope: _Scope, found: _Found) -> None:
    for x in e.elements:
        _walk(x, scope, found)


def _legacy_let(e: n.LegacyLet, scope: _Scope, found: _Found) -> None:
    _walk_attrs(e.attrs, scope, found)


def _let_in(e: n.LetIn, scope: _Scope, found: _Found) -> None:
    inner = _Scope(frozenset(d.name for d in e.bindings), scope)
    _walk_defs(e.bindings, inner, scope, found)
    _walk(e.body, inner, found)


def _with(e: n.With, scope: _Scope, found: _Found) -> None:
    _walk(e.env, scope, found)
    _walk(e.body, _Scope(None, scope), found)


def _assert(e: n.Assert, scope: _Scope, found: _Found) -> None:
    _walk(e.cond, scope, found)
    _walk(e.body, scope, found)


def _if(e: n.If, scope: _Scope, found: _Found) -> None:
    _walk(e.cond, scope, found)
    _walk(e.then, scope, found)
    _walk(e.else_, scope, found)


def _walk_path(path: Iterable[n.AttrName], scope: _Scope, found: _Found) -> None:
    for a in path:
        if isinstance(a, n.DynamicAttr):
            _walk(a.expr, scope, found)


def _walk_defs(defs: Iterable[n.AttrDef], inner: _Scope, outer: _Scope, found: _Found) -> None:
    for d in defs:
        _walk(d.value, outer if d.kind is n.AttrKind.INHERIT else inner, found)


def _walk_attrs(e: n.AttrSet, scope: _Scope, found: _Found) -> None:
    inner = _Scope(frozenset(d.name for d in e.attrs), scope) if e.recursive else scope
    _walk_defs(e.attrs, inner, scope, found)
    for dd in e.dynamic:
        _walk(dd.key, inner, found)
        _walk(dd.value, inner, found)


_WALK: dict[type, Callable[[Any, _Scope, _Found], None]] = {
    n.Var: _var,
    n.Int: _leaf,
    n.Float: _leaf,
    n.Uri: _leaf,
    n.CurPos: _leaf,
    n.SearchPath: _leaf,
    n.Str: _parts,
    n.Path: _parts,
    n.Select: _select,
    n.HasAttr: _has_attr,
    n.Lambda: _lambda,
    n.Apply: _apply,
    n.BinOp: _bin_op,
    n.Not: _operand,
    n.Negate: _operand,
    n.List: _list,
    n.AttrSet: _walk_attrs,
    n.LegacyLet: _legacy_let,
    n.LetIn: _let_in,
    n.With: _with,
    n.Assert: _assert,
    n.If: _if,
}
