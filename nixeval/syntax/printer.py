"""Printing an AST back as Nix text that parses to the same AST.

Every compound operand is parenthesised, so the output never depends on precedence and
``parse(to_nix(e)) == e`` holds for every `e` the parser produces (the round-trip tests
check exactly that). Desugared forms print in their desugared shape: ``{ a.b = 1; }``
comes back as ``{ a = { b = 1; }; }``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import nodes as n
from .lexer import KEYWORDS

_IDENTIFIER = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'\-]*\Z")

# Nodes that may stand anywhere an operand may, without parentheses.
_SIMPLE = (n.Int, n.Str, n.Var, n.CurPos, n.List, n.AttrSet, n.LegacyLet, n.SearchPath)
# And those that may stand bare where a selection or an application may too.
_OR_SELECT = (*_SIMPLE, n.Select)
_OR_APPLY = (*_SIMPLE, n.Select, n.Apply)


def to_nix(expr: n.Expr) -> str:
    """The expression as Nix source text."""
    out: list[str] = []
    _Printer(out).expr(expr)
    return "".join(out)


def float_text(value: float) -> str:
    """A float literal Nix's lexer reads back as the same value (it needs a '.')."""
    text = repr(value)
    if "." not in text:
        mantissa, e, exponent = text.partition("e")
        text = f"{mantissa}.0{e}{exponent}"
    return text


def string_literal(parts: tuple[str | n.Expr, ...]) -> str:
    """A double-quoted Nix string for these parts."""
    out: list[str] = []
    _Printer(out).string(parts)
    return "".join(out)


def _escape(text: str, before_interpolation: bool) -> str:
    text = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
        .replace("${", "\\${")
    )
    # A '$' right before an interpolation would read as '$${', which is literal text.
    if before_interpolation and text.endswith("$"):
        text = text[:-1] + "\\$"
    return text


def attr_name_text(name: str) -> str:
    if _IDENTIFIER.match(name) and (name not in KEYWORDS or name == "or"):
        return name
    return string_literal((name,))


class _Printer:
    def __init__(self, out: list[str]) -> None:
        self.write: Callable[[str], None] = out.append

    def operand(self, e: n.Expr, bare: tuple[type, ...] = _SIMPLE) -> None:
        """An operand: bare when it is one of `bare` (`_SIMPLE`, `_OR_SELECT`, `_OR_APPLY`),
        else in parentheses."""
        if isinstance(e, bare) and not (isinstance(e, n.Int) and e.value < 0):
            self.expr(e)
        else:
            self.write("(")
            self.expr(e)
            self.write(")")

    def string(self, parts: tuple[str | n.Expr, ...]) -> None:
        self.write('"')
        for i, part in enumerate(parts):
            if isinstance(part, str):
                self.write(_escape(part, i + 1 < len(parts)))
            else:
                self.write("${")
                self.expr(part)
                self.write("}")
        self.write('"')

    def attr_path(self, path: tuple[n.AttrName, ...]) -> None:
        for i, a in enumerate(path):
            if i:
                self.write(".")
            if isinstance(a, n.StaticAttr):
                self.write(attr_name_text(a.name))
            elif isinstance(a.expr, n.Str):
                self.string(a.expr.parts)
            else:
                self.write("${")
                self.expr(a.expr)
                self.write("}")

    def bindings(self, attrs: tuple[n.AttrDef, ...], dynamic: tuple[n.DynamicAttrDef, ...]) -> None:
        for d in attrs:
            self.write(" ")
            if d.kind is n.AttrKind.INHERIT:
                self.write(f"inherit {attr_name_text(d.name)};")
            elif d.kind is n.AttrKind.INHERIT_FROM:
                assert isinstance(d.value, n.Select)
                self.write("inherit (")
                self.expr(d.value.expr)
                self.write(f") {attr_name_text(d.name)};")
            else:
                self.write(f"{attr_name_text(d.name)} = ")
                self.expr(d.value)
                self.write(";")
        for dd in dynamic:
            self.write(" ")
            self.attr_path((n.DynamicAttr(dd.span, dd.key),))
            self.write(" = ")
            self.expr(dd.value)
            self.write(";")

    def formals(self, f: n.Formals) -> None:
        self.write("{")
        for i, formal in enumerate(f.entries):
            self.write(" " if i == 0 else ", ")
            self.write(formal.name)
            if formal.default is not None:
                self.write(" ? ")
                self.expr(formal.default)
        if f.ellipsis:
            self.write(", ..." if f.entries else " ...")
        self.write(" }" if f.entries or f.ellipsis else "}")

    def expr(self, e: n.Expr) -> None:
        _PRINT[type(e)](self, e)

    # One method per node class, found by `expr` through `_PRINT`: a dictionary lookup,
    # where a ``match`` on the node's class tries the cases one by one.

    def int_(self, e: n.Int) -> None:
        self.write(str(e.value))

    def float_(self, e: n.Float) -> None:
        self.write(float_text(e.value))

    def str_(self, e: n.Str) -> None:
        self.string(e.parts)

    def path(self, e: n.Path) -> None:
        w = self.write
        for p in e.parts:
            if isinstance(p, str):
                w(p)
            else:
                w("${")
                self.expr(p)
                w("}")

    def search_path(self, e: n.SearchPath) -> None:
        self.write(f"<{e.name}>")

    def uri(self, e: n.Uri) -> None:
        self.write(e.value)

    def var(self, e: n.Var) -> None:
        self.write(e.name)

    def cur_pos(self, e: n.CurPos) -> None:
        self.write("__curPos")

    def select(self, e: n.Select) -> None:
        w = self.write
        base = e.expr
        if isinstance(base, n.Int):  # `1.a` would read as the float `1.`
            w(f"({base.value})")
        else:
            self.operand(base)
        w(".")
        self.attr_path(e.path)
        if e.default is not None:
            w(" or ")
            self.operand(e.default, _OR_SELECT)

    def has_attr(self, e: n.HasAttr) -> None:
        self.operand(e.expr, _OR_SELECT)
        self.write(" ? ")
        self.attr_path(e.path)

    def apply(self, e: n.Apply) -> None:
        arg = e.arg
        if isinstance(arg, n.Var) and arg.name == "or":
            self.operand(e.fn)
            self.write(" or")
        else:
            self.operand(e.fn, _OR_APPLY)
            self.write(" ")
            self.operand(arg, _OR_SELECT)

    def lambda_(self, e: n.Lambda) -> None:
        w = self.write
        param, formals = e.param, e.formals
        if formals is None:
            w(f"{param}: ")
        elif param is None:
            self.formals(formals)
            w(": ")
        elif e.param_first:
            w(f"{param} @ ")
            self.formals(formals)
            w(": ")
        else:
            self.formals(formals)
            w(f" @ {param}: ")
        self.expr(e.body)

    def bin_op(self, e: n.BinOp) -> None:
        self.operand(e.left, _OR_APPLY)
        self.write(f" {e.op.value} ")
        self.operand(e.right, _OR_APPLY)

    def not_(self, e: n.Not) -> None:
        self.write("!")
        self.operand(e.expr, _OR_APPLY)

    def negate(self, e: n.Negate) -> None:
        self.write("-")
        self.operand(e.expr, _OR_APPLY)

    def list_(self, e: n.List) -> None:
        w = self.write
        w("[")
        for x in e.elements:
            w(" ")
            self.operand(x, _OR_SELECT)
        w(" ]")

    def attr_set(self, e: n.AttrSet) -> None:
        self.write("rec {" if e.recursive else "{")
        self.bindings(e.attrs, e.dynamic)
        self.write(" }")

    def let_in(self, e: n.LetIn) -> None:
        self.write("let")
        self.bindings(e.bindings, ())
        self.write(" in ")
        self.expr(e.body)

    def legacy_let(self, e: n.LegacyLet) -> None:
        self.write("let {")
        self.bindings(e.attrs.attrs, e.attrs.dynamic)
        self.write(" }")

    def with_(self, e: n.With) -> None:
        self.write("with ")
        self.expr(e.env)
        self.write("; ")
        self.expr(e.body)

    def assert_(self, e: n.Assert) -> None:
        self.write("assert ")
        self.expr(e.cond)
        self.write("; ")
        self.expr(e.body)

    def if_(self, e: n.If) -> None:
        w = self.write
        w("if ")
        self.expr(e.cond)
        w(" then ")
        self.expr(e.then)
        w(" else ")
        self.expr(e.else_)


_PRINT: dict[type, Callable[[_Printer, Any], None]] = {
    n.Int: _Printer.int_,
    n.Float: _Printer.float_,
    n.Str: _Printer.str_,
    n.Path: _Printer.path,
    n.SearchPath: _Printer.search_path,
    n.Uri: _Printer.uri,
    n.Var: _Printer.var,
    n.CurPos: _Printer.cur_pos,
    n.Select: _Printer.select,
    n.HasAttr: _Printer.has_attr,
    n.Apply: _Printer.apply,
    n.Lambda: _Printer.lambda_,
    n.BinOp: _Printer.bin_op,
    n.Not: _Printer.not_,
    n.Negate: _Printer.negate,
    n.List: _Printer.list_,
    n.AttrSet: _Printer.attr_set,
    n.LetIn: _Printer.let_in,
    n.LegacyLet: _Printer.legacy_let,
    n.With: _Printer.with_,
    n.Assert: _Printer.assert_,
    n.If: _Printer.if_,
}
