"""Printing an AST back as Nix text that parses to the same AST.

Every compound operand is parenthesised, so the output never depends on precedence and
``parse(to_nix(e)) == e`` holds for every `e` the parser produces (the round-trip tests
check exactly that). Desugared forms print in their desugared shape: ``{ a.b = 1; }``
comes back as ``{ a = { b = 1; }; }``.
"""

from __future__ import annotations

import re
from typing import assert_never

from . import nodes as n
from .lexer import KEYWORDS

_IDENTIFIER = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'\-]*\Z")

# Nodes that may stand anywhere an operand may, without parentheses.
_SIMPLE = (n.Int, n.Str, n.Var, n.CurPos, n.List, n.AttrSet, n.LegacyLet, n.SearchPath)


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
        self.out = out

    def write(self, text: str) -> None:
        self.out.append(text)

    def operand(self, e: n.Expr, allow: tuple[type, ...] = ()) -> None:
        """An operand: bare when it is simple (or one of `allow`), else in parentheses."""
        if isinstance(e, _SIMPLE + allow) and not (isinstance(e, n.Int) and e.value < 0):
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
        w = self.write
        match e:
            case n.Int(value=v):
                w(str(v))
            case n.Float(value=v):
                w(float_text(v))
            case n.Str(parts=parts):
                self.string(parts)
            case n.Path(parts=parts):
                for p in parts:
                    if isinstance(p, str):
                        w(p)
                    else:
                        w("${")
                        self.expr(p)
                        w("}")
            case n.SearchPath(name=name):
                w(f"<{name}>")
            case n.Uri(value=v):
                w(v)
            case n.Var(name=name):
                w(name)
            case n.CurPos():
                w("__curPos")
            case n.Select(expr=base, path=path, default=default):
                if isinstance(base, n.Int):  # `1.a` would read as the float `1.`
                    w(f"({base.value})")
                else:
                    self.operand(base)
                w(".")
                self.attr_path(path)
                if default is not None:
                    w(" or ")
                    self.operand(default, (n.Select,))
            case n.HasAttr(expr=base, path=path):
                self.operand(base, (n.Select,))
                w(" ? ")
                self.attr_path(path)
            case n.Apply(fn=fn, arg=n.Var(name="or")):
                self.operand(fn)
                w(" or")
            case n.Apply(fn=fn, arg=arg):
                self.operand(fn, (n.Select, n.Apply))
                w(" ")
                self.operand(arg, (n.Select,))
            case n.Lambda(param=param, formals=formals, body=body, param_first=first):
                if formals is None:
                    w(f"{param}: ")
                elif param is None:
                    self.formals(formals)
                    w(": ")
                elif first:
                    w(f"{param} @ ")
                    self.formals(formals)
                    w(": ")
                else:
                    self.formals(formals)
                    w(f" @ {param}: ")
                self.expr(body)
            case n.BinOp(op=op, left=left, right=right):
                self.operand(left, (n.Select, n.Apply))
                w(f" {op.value} ")
                self.operand(right, (n.Select, n.Apply))
            case n.Not(expr=inner):
                w("!")
                self.operand(inner, (n.Select, n.Apply))
            case n.Negate(expr=inner):
                w("-")
                self.operand(inner, (n.Select, n.Apply))
            case n.List(elements=elements):
                w("[")
                for x in elements:
                    w(" ")
                    self.operand(x, (n.Select,))
                w(" ]")
            case n.AttrSet(recursive=rec, attrs=attrs, dynamic=dynamic):
                w("rec {" if rec else "{")
                self.bindings(attrs, dynamic)
                w(" }")
            case n.LetIn(bindings=bindings, body=body):
                w("let")
                self.bindings(bindings, ())
                w(" in ")
                self.expr(body)
            case n.LegacyLet(attrs=attrs):
                w("let {")
                self.bindings(attrs.attrs, attrs.dynamic)
                w(" }")
            case n.With(env=env, body=body):
                w("with ")
                self.expr(env)
                w("; ")
                self.expr(body)
            case n.Assert(cond=cond, body=body):
                w("assert ")
                self.expr(cond)
                w("; ")
                self.expr(body)
            case n.If(cond=cond, then=then, else_=else_):
                w("if ")
                self.expr(cond)
                w(" then ")
                self.expr(then)
                w(" else ")
                self.expr(else_)
            case _:
                assert_never(e)
