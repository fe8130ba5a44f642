"""Expressions as Nix 2.8 shows them in its messages (``Expr::show``): an assertion that
failed is ``assertion '(x == 1)' failed``.

Nix shows the expression it parsed, desugared: every operator and call in parentheses,
``a - b`` as ``(__sub a b)``, ``a > b`` as ``(__lessThan b a)``, a string with
interpolations as the concatenation it is (``("a" + s)``), each list element in parentheses,
``x.y`` as ``(x).y``, a path as the absolute path it denotes. One thing is not Nix's: Nix
orders a set's attributes and a function's formals by the address of their interned name,
which follows no rule a reader could use; here they come in the order they were written.
"""

from __future__ import annotations

import os

from . import nodes as n
from .text import escape_string, format_float

_CALLS = {
    n.BinaryOp.SUB: "__sub",
    n.BinaryOp.MUL: "__mul",
    n.BinaryOp.DIV: "__div",
}


def nix_show(e: n.Expr, base_dir: str) -> str:
    """`e` as Nix 2.8 shows it; `base_dir` is the directory relative paths are in."""
    out: list[str] = []
    _Shower(out, base_dir).show(e)
    return "".join(out)


class _Shower:
    def __init__(self, out: list[str], base_dir: str) -> None:
        self.out = out
        self.base_dir = base_dir

    def w(self, text: str) -> None:
        self.out.append(text)

    def show(self, e: n.Expr) -> None:
        w, show = self.w, self.show
        if isinstance(e, n.Int):
            w(str(e.value))
        elif isinstance(e, n.Float):
            w(format_float(e.value))
        elif isinstance(e, n.Str):
            self.concatenation(e.parts, string=True)
        elif isinstance(e, n.Path):
            self.concatenation(e.parts, string=False)
        elif isinstance(e, n.Uri):
            w(_quoted(e.value))
        elif isinstance(e, n.SearchPath):
            w(f"(__findFile __nixPath {_quoted(e.name)})")
        elif isinstance(e, n.Var):
            w(e.name)
        elif isinstance(e, n.CurPos):
            w("__curPos")
        elif isinstance(e, n.Select):
            w("(")
            show(e.expr)
            w(")." + self.attr_path(e.path))
            if e.default is not None:
                w(" or (")
                show(e.default)
                w(")")
        elif isinstance(e, n.HasAttr):
            w("((")
            show(e.expr)
            w(") ? " + self.attr_path(e.path) + ")")
        elif isinstance(e, n.Lambda):
            self.lambda_(e)
        elif isinstance(e, n.Apply):
            self.call(e)
        elif isinstance(e, n.BinOp):
            self.binary(e)
        elif isinstance(e, n.Not | n.Negate):
            w("(! " if isinstance(e, n.Not) else "(__sub 0 ")
            show(e.expr)
            w(")")
        elif isinstance(e, n.List):
            w("[ ")
            for x in e.elements:
                w("(")
                show(x)
                w(") ")
            w("]")
        elif isinstance(e, n.AttrSet):
            self.attrs(e)
        elif isinstance(e, n.LetIn):
            w("(let ")
            for d in e.bindings:
                if d.kind is n.AttrKind.INHERIT:
                    w(f"inherit {d.name}; ")
                else:
                    w(f"{d.name} = ")
                    show(d.value)
                    w("; ")
            w("in ")
            show(e.body)
            w(")")
        elif isinstance(e, n.LegacyLet):
            w("(")
            self.attrs(e.attrs)
            w(").body")
        elif isinstance(e, n.With):
            w("(with ")
            show(e.env)
            w("; ")
            show(e.body)
            w(")")
        elif isinstance(e, n.Assert):
            w("assert ")
            show(e.cond)
            w("; ")
            show(e.body)
        elif isinstance(e, n.If):
            w("(if ")
            show(e.cond)
            w(" then ")
            show(e.then)
            w(" else ")
            show(e.else_)
            w(")")
        else:  # pragma: no cover - every node type is above
            raise TypeError(f"not an expression: {e!r}")

    def concatenation(self, parts: tuple[str | n.Expr, ...], string: bool) -> None:
        """A string or path: one literal, or Nix's ExprConcatStrings of its parts."""
        texts: list[str | n.Expr] = list(parts)
        if not string:
            texts[0] = self.path(str(parts[0]))
        if len(texts) == 1 and isinstance(texts[0], str):
            self.w(_quoted(texts[0]) if string else texts[0])
            return
        if not texts:
            self.w('""')
            return
        self.w("(")
        for i, part in enumerate(texts):
            if i:
                self.w(" + ")
            if isinstance(part, str):
                self.w(_quoted(part) if string or i else part)
            else:
                self.show(part)
        self.w(")")

    def path(self, text: str) -> str:
        """A path literal's first part as Nix resolves it when parsing: absolute,
        canonical, a trailing slash kept."""
        if text.startswith("~"):
            text = os.path.expanduser("~") + text[1:]
        absolute = os.path.normpath(os.path.join(self.base_dir, text))
        if absolute.startswith("//"):
            absolute = "/" + absolute.lstrip("/")
        return absolute + "/" if text.endswith("/") and len(text) > 1 else absolute

    def attr_path(self, path: tuple[n.AttrName, ...]) -> str:
        shown = []
        for a in path:
            if isinstance(a, n.StaticAttr):
                shown.append(a.name)
            else:
                inner: list[str] = []
                _Shower(inner, self.base_dir).show(a.expr)
                shown.append('"${' + "".join(inner) + '}"')
        return ".".join(shown)

    def lambda_(self, e: n.Lambda) -> None:
        w = self.w
        w("(")
        if e.formals is not None:
            w("{ ")
            for i, f in enumerate(e.formals.entries):
                if i:
                    w(", ")
                w(f.name)
                if f.default is not None:
                    w(" ? ")
                    self.show(f.default)
            if e.formals.ellipsis:
                w(", ..." if e.formals.entries else "...")
            w(" }")
            if e.param is not None:
                w(" @ ")
        if e.param is not None:
            w(e.param)
        w(": ")
        self.show(e.body)
        w(")")

    def call(self, e: n.Apply) -> None:
        """``f a b``: one call of `f` with its arguments (Nix folds a call of a call)."""
        args: list[n.Expr] = []
        fn: n.Expr = e
        while type(fn) is n.Apply:
            args.append(fn.arg)
            fn = fn.fn
        self.w("(")
        self.show(fn)
        for arg in reversed(args):
            self.w(" ")
            self.show(arg)
        self.w(")")

    def binary(self, e: n.BinOp) -> None:
        op, w, show = e.op, self.w, self.show
        left, right = e.left, e.right
        if op in _CALLS or op in (n.BinaryOp.LT, n.BinaryOp.GT):
            name = _CALLS.get(op, "__lessThan")
            first, second = (right, left) if op is n.BinaryOp.GT else (left, right)
            w(f"({name} ")
            show(first)
            w(" ")
            show(second)
            w(")")
        elif op in (n.BinaryOp.LEQ, n.BinaryOp.GEQ):
            first, second = (right, left) if op is n.BinaryOp.LEQ else (left, right)
            w("(! (__lessThan ")
            show(first)
            w(" ")
            show(second)
            w("))")
        else:
            w("(")
            show(left)
            w(f" {op.value} ")
            show(right)
            w(")")

    def attrs(self, e: n.AttrSet) -> None:
        w = self.w
        if e.recursive:
            w("rec ")
        w("{ ")
        for d in e.attrs:
            if d.kind is n.AttrKind.INHERIT:
                w(f"inherit {d.name} ; ")
            else:
                w(f"{d.name} = ")
                self.show(d.value)
                w("; ")
        for dd in e.dynamic:
            w('"${')
            self.show(dd.key)
            w('}" = ')
            self.show(dd.value)
            w("; ")
        w("}")


def _quoted(text: str) -> str:
    """Nix 2.8's showString: every ``$`` escaped too."""
    return escape_string(text, dollars="$")
