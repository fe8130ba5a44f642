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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import assert_never

from .builtins.names import BASE_ENV
from .spelling import closest
from .syntax import nodes as n
from .syntax.nodes import Span


@dataclass(frozen=True, slots=True)
class UndefinedVariable:
    name: str
    span: Span
    suggestion: str | None


@dataclass(frozen=True, slots=True)
class _Scope:
    names: frozenset[str] | None  # None: a `with`, which may bind anything
    up: _Scope | None


_BASE = _Scope(BASE_ENV, None)


def undefined_variables(
    expr: n.Expr, extra_names: frozenset[str] = frozenset()
) -> list[UndefinedVariable]:
    """Every variable of `expr` that Nix would reject as undefined, in source order.

    `extra_names` are bound around the expression (the scope of a scopedImport)."""
    found: list[tuple[str, Span, _Scope]] = []
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


def _walk(e: n.Expr, scope: _Scope, found: list[tuple[str, Span, _Scope]]) -> None:
    match e:
        case n.Var(name=name, span=span):
            if not _lookup(name, scope):
                found.append((name, span, scope))
        case n.Int() | n.Float() | n.Uri() | n.CurPos() | n.SearchPath():
            pass
        case n.Str(parts=parts) | n.Path(parts=parts):
            for p in parts:
                if not isinstance(p, str):
                    _walk(p, scope, found)
        case n.Select(expr=base, path=path, default=default):
            _walk(base, scope, found)
            _walk_path(path, scope, found)
            if default is not None:
                _walk(default, scope, found)
        case n.HasAttr(expr=base, path=path):
            _walk(base, scope, found)
            _walk_path(path, scope, found)
        case n.Lambda(param=param, formals=formals, body=body):
            names = {param} if param is not None else set()
            if formals is not None:
                names.update(f.name for f in formals.entries)
            inner = _Scope(frozenset(names), scope)
            if formals is not None:
                for f in formals.entries:
                    if f.default is not None:
                        _walk(f.default, inner, found)
            _walk(body, inner, found)
        case n.Apply(fn=fn, arg=arg):
            _walk(fn, scope, found)
            _walk(arg, scope, found)
        case n.BinOp(left=left, right=right):
            _walk(left, scope, found)
            _walk(right, scope, found)
        case n.Not(expr=inner) | n.Negate(expr=inner):
            _walk(inner, scope, found)
        case n.List(elements=elements):
            for x in elements:
                _walk(x, scope, found)
        case n.AttrSet():
            _walk_attrs(e, scope, found)
        case n.LegacyLet(attrs=attrs):
            _walk_attrs(attrs, scope, found)
        case n.LetIn(bindings=bindings, body=body):
            inner = _Scope(frozenset(d.name for d in bindings), scope)
            _walk_defs(bindings, inner, scope, found)
            _walk(body, inner, found)
        case n.With(env=env, body=body):
            _walk(env, scope, found)
            _walk(body, _Scope(None, scope), found)
        case n.Assert(cond=cond, body=body):
            _walk(cond, scope, found)
            _walk(body, scope, found)
        case n.If(cond=cond, then=then, else_=else_):
            _walk(cond, scope, found)
            _walk(then, scope, found)
            _walk(else_, scope, found)
        case _:
            assert_never(e)


def _walk_path(
    path: Iterable[n.AttrName], scope: _Scope, found: list[tuple[str, Span, _Scope]]
) -> None:
    for a in path:
        if isinstance(a, n.DynamicAttr):
            _walk(a.expr, scope, found)


def _walk_defs(
    defs: Iterable[n.AttrDef], inner: _Scope, outer: _Scope, found: list[tuple[str, Span, _Scope]]
) -> None:
    for d in defs:
        _walk(d.value, outer if d.kind is n.AttrKind.INHERIT else inner, found)


def _walk_attrs(e: n.AttrSet, scope: _Scope, found: list[tuple[str, Span, _Scope]]) -> None:
    inner = _Scope(frozenset(d.name for d in e.attrs), scope) if e.recursive else scope
    _walk_defs(e.attrs, inner, scope, found)
    for dd in e.dynamic:
        _walk(dd.key, inner, found)
        _walk(dd.value, inner, found)
