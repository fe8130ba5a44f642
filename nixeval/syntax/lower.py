"""Lowering: the parser's reductions become typed AST nodes, with Nix's desugaring.

The LALR driver calls one method per grammar alias, bottom-up, with the rule's children:
`Token`s (all of them, punctuation included) and what earlier calls returned. Nothing
here recurses over the tree, so nesting depth costs no Python stack.

The checks Nix's parser makes while it builds its tree are made here too, with Nix's
messages: attributes defined twice (also through nested paths and merges), duplicate
formal arguments, dynamic attribute names in ``let`` and ``inherit``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import nodes as n
from .lexer import IndStr, Token
from .nodes import AttrKind, BinaryOp, Span


class SyntaxProblem(Exception):
    """A parse-time error that is not a grammar error: E003 an attribute defined twice,
    E004 a duplicate formal argument, E005 a dynamic attribute name where Nix forbids one."""

    def __init__(
        self,
        code: str,
        message: str,
        span: Span,
        related: Sequence[tuple[Span, str]] = (),
        at_first: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span
        self.related = tuple(related)
        # Nix names the first related place in the message ("already defined at …"),
        # which only the source can write (`Source.nix_position`).
        self.at_first = at_first


# --- what callbacks pass to each other before nodes exist ----------------------------------
# Plain slotted classes: one or more is made per token, as fast as a dataclass's instances
# (a frozen dataclass's or a named tuple's are slower), and making the class costs nothing
# at start (a dataclass compiles its methods in every process, ~0.7 ms a class).


class _Interp:
    """``${ e }``: an interpolation in a string or path, or a dynamic attribute name."""

    __slots__ = ("expr", "span")

    def __init__(self, span: Span, expr: n.Expr) -> None:
        self.span = span
        self.expr = expr


class _AttrPath:
    __slots__ = ("names", "span")

    def __init__(self, span: Span, names: tuple[n.AttrName, ...]) -> None:
        self.span = span
        self.names = names


class _Binding:
    """``path = value;`` (no span of its own: a binding is never the first or last child of
    the rules it is spliced into, whose spans begin and end with a token)."""

    __slots__ = ("path", "value")

    def __init__(self, path: _AttrPath, value: n.Expr) -> None:
        self.path = path
        self.value = value


class _Inherit:
    __slots__ = ("names", "pos", "source", "span")

    def __init__(
        self, span: Span, source: n.Expr | None, names: tuple[n.AttrName, ...], pos: int
    ) -> None:
        self.span = span
        self.source = source  # the e of ``inherit (e) …``
        self.names = names
        self.pos = pos  # where Nix places the names: the end of ``inherit``, or of its ``(e)``


class _Def:
    """An attribute definition while its set is still being built."""

    __slots__ = ("kind", "pos", "span", "value")

    def __init__(self, span: Span, value: n.Expr | _Attrs, kind: AttrKind, pos: int) -> None:
        self.span = span
        self.value = value
        self.kind = kind
        self.pos = pos  # `n.AttrDef.pos`


class _Attrs:
    """A set under construction: Nix's ExprAttrs before it is frozen into an `AttrSet`."""

    __slots__ = ("attrs", "dynamic", "recursive", "span")

    def __init__(self, span: Span, recursive: bool) -> None:
        self.span = span
        self.recursive = recursive
        self.attrs: dict[str, _Def] = {}
        self.dynamic: list[tuple[Span, n.Expr, n.Expr | _Attrs]] = []

    @staticmethod
    def thaw(node: n.AttrSet) -> _Attrs:
        attrs = _Attrs(node.span, node.recursive)
        for d in node.attrs:
            attrs.attrs[d.name] = _Def(d.span, d.value, d.kind, d.pos)
        attrs.dynamic = [(d.span, d.key, d.value) for d in node.dynamic]
        return attrs

    def freeze(self) -> n.AttrSet:
        return n.AttrSet(
            self.span,
            self.recursive,
            tuple(
                n.AttrDef(d.span, name, _frozen(d.value), d.kind, d.pos)
                for name, d in self.attrs.items()
            ),
            tuple(n.DynamicAttrDef(s, k, _frozen(v)) for s, k, v in self.dynamic),
        )


def _frozen(value: n.Expr | _Attrs) -> n.Expr:
    return value.freeze() if isinstance(value, _Attrs) else value


def _start(x: Any) -> int:
    return x.start if isinstance(x, Token) else int(x.span.start)


def _end(x: Any) -> int:
    return x.end if isinstance(x, Token) else int(x.span.end)


def _span(children: Sequence[Any]) -> Span:
    return Span(_start(children[0]), _end(children[-1]))


# The hot callbacks below know which children are tokens (``start``/``end``) and which are
# nodes (``span``) from the grammar rule, and build their span without `_span`'s tests.


def _show_path(names: Sequence[n.AttrName]) -> str:
    return ".".join(a.name if isinstance(a, n.StaticAttr) else '"${...}"' for a in names)


_BINARY_OPS = {op.value: op for op in BinaryOp}


class Lowering:
    """The callbacks, one per alias in grammar/nix.lark."""

    def __init__(self) -> None:
        # Indented strings that Nix keeps as a concatenation although they hold no
        # interpolation (``''a''$b''``): as attribute names they are dynamic, as in Nix.
        self._concatenated: set[int] = set()

    # --- functions --------------------------------------------------------------------------

    def start(self, c: list[Any]) -> n.Expr:
        return c[0]  # type: ignore[no-any-return]

    def lambda_ident(self, c: list[Any]) -> n.Lambda:
        return n.Lambda(_span(c), c[0].value, None, c[2], False)

    def lambda_formals(self, c: list[Any]) -> n.Lambda:
        return n.Lambda(_span(c), None, self._formals(c[: c.index(_tok(c, "}")) + 1]), c[-1], False)

    def lambda_formals_at(self, c: list[Any]) -> n.Lambda:
        close = c.index(_tok(c, "}"))
        name = c[close + 2]
        formals = self._formals(c[: close + 1], name.value, _span(c))
        return n.Lambda(_span(c), name.value, formals, c[-1], False)

    def lambda_at_formals(self, c: list[Any]) -> n.Lambda:
        close = c.index(_tok(c, "}"))
        formals = self._formals(c[2 : close + 1], c[0].value, _span(c))
        return n.Lambda(_span(c), c[0].value, formals, c[-1], True)

    def _formals(
        self, c: list[Any], at: str | None = None, at_span: Span | None = None
    ) -> n.Formals:
        entries = tuple(x for x in c if isinstance(x, n.Formal))
        ellipsis = any(isinstance(x, Token) and x.value == "..." for x in c)
        seen: dict[str, n.Formal] = {}
        duplicate: n.Formal | None = None
        # Nix sorts the formals and reports the duplicate whose name sorts first.
        for f in sorted(entries, key=lambda f: (f.name, f.span.start)):
            if f.name in seen and (duplicate is None or f.name < duplicate.name):
                duplicate = f
            seen.setdefault(f.name, f)
        if duplicate is not None:
            raise SyntaxProblem(
                "E004",
                f"duplicate formal function argument '{duplicate.name}'",
                duplicate.span,
                [(seen[duplicate.name].span, "first declared here")],
            )
        if at is not None and at in seen:
            assert at_span is not None
            raise SyntaxProblem(
                "E004",
                f"duplicate formal function argument '{at}'",
                at_span,
                [(seen[at].span, "also declared here")],
            )
        return n.Formals(_span(c), entries, ellipsis)

    def formal(self, c: list[Any]) -> n.Formal:
        return n.Formal(_span(c), c[0].value, c[2] if len(c) == 3 else None)

    def assert_(self, c: list[Any]) -> n.Assert:
        return n.Assert(_span(c), c[1], c[3])

    def with_(self, c: list[Any]) -> n.With:
        return n.With(_span(c), c[1], c[3])

    def let_in(self, c: list[Any]) -> n.LetIn:
        binds = c[1:-2]
        defs = _plain_defs(binds)
        if defs is not None:
            return n.LetIn(_span(c), defs, c[-1])
        attrs = self._build_attrs(Span(_start(c[0]), _end(c[-2])), False, binds)
        if attrs.dynamic:
            raise SyntaxProblem(
                "E005", "dynamic attributes not allowed in let", attrs.dynamic[0][0]
            )
        frozen = attrs.freeze()
        return n.LetIn(_span(c), frozen.attrs, c[-1])

    def if_then_else(self, c: list[Any]) -> n.If:
        return n.If(_span(c), c[1], c[3], c[5])

    # --- operators --------------------------------------------------------------------------

    def binop(self, c: list[Any]) -> n.BinOp:
        left, op, right = c
        return n.BinOp(Span(left.span.start, right.span.end), _BINARY_OPS[op.value], left, right)

    def has_attr(self, c: list[Any]) -> n.HasAttr:
        return n.HasAttr(_span(c), c[0], c[2].names)

    def negate(self, c: list[Any]) -> n.Negate:
        return n.Negate(_span(c), c[1])

    def not_(self, c: list[Any]) -> n.Not:
        return n.Not(_span(c), c[1])

    def apply(self, c: list[Any]) -> n.Apply:
        fn, arg = c
        return n.Apply(Span(fn.span.start, arg.span.end), fn, arg)

    def select(self, c: list[Any]) -> n.Select:
        base, _, path = c
        return n.Select(Span(base.span.start, path.span.end), base, path.names, None)

    def select_or(self, c: list[Any]) -> n.Select:
        return n.Select(_span(c), c[0], c[2].names, c[4])

    def apply_or(self, c: list[Any]) -> n.Apply:
        # `f or`: Nix keeps this for a rarely used nixpkgs function named `or`.
        return n.Apply(_span(c), c[0], n.Var(Span(c[1].start, c[1].end), "or"))

    # --- simple expressions -----------------------------------------------------------------

    def var(self, c: list[Any]) -> n.Var | n.CurPos:
        tok: Token = c[0]
        if tok.value == "__curPos":
            return n.CurPos(Span(tok.start, tok.end))
        return n.Var(Span(tok.start, tok.end), tok.value)  # type: ignore[arg-type]

    def int_(self, c: list[Any]) -> n.Int:
        tok: Token = c[0]
        return n.Int(Span(tok.start, tok.end), tok.value)  # type: ignore[arg-type]

    def float_(self, c: list[Any]) -> n.Float:
        tok: Token = c[0]
        return n.Float(Span(tok.start, tok.end), tok.value)  # type: ignore[arg-type]

    def string(self, c: list[Any]) -> n.Str:
        span = Span(c[0].start, c[-1].end)
        if len(c) == 3 and type(c[1]) is Token:  # one literal text: the commonest string
            text = str(c[1].value)
            return n.Str(span, (text,) if text else ())
        return n.Str(span, _merge(_string_parts(c[1:-1])))

    def ind_string(self, c: list[Any]) -> n.Str:
        parts = strip_indentation(c[1:-1])
        node = n.Str(_span(c), _merge(parts))
        single = len(parts) == 1 and isinstance(parts[0], str)
        if parts and not single and all(isinstance(p, str) for p in parts):
            self._concatenated.add(id(node))
        return node

    def path(self, c: list[Any]) -> n.Path:
        first: Token = c[0]
        return n.Path(_span(c[:-1]), _merge([str(first.value), *_string_parts(c[1:-1])]))

    def search_path(self, c: list[Any]) -> n.SearchPath:
        return n.SearchPath(_span(c), str(c[0].value))

    def uri(self, c: list[Any]) -> n.Uri:
        return n.Uri(_span(c), str(c[0].value))

    def paren(self, c: list[Any]) -> n.Expr:
        # No node of its own (Nix has none): the inner expression, spanning the parentheses.
        return n.replace(c[1], span=Span(c[0].start, c[2].end))  # type: ignore[no-any-return]

    def legacy_let(self, c: list[Any]) -> n.LegacyLet:
        attrs = self._build_attrs(_span(c), True, c[2:-1]).freeze()
        return n.LegacyLet(_span(c), attrs)

    def rec_attrset(self, c: list[Any]) -> n.AttrSet:
        return self._attrset(Span(c[0].start, c[-1].end), True, c[2:-1])

    def attrset(self, c: list[Any]) -> n.AttrSet:
        return self._attrset(Span(c[0].start, c[-1].end), False, c[1:-1])

    def _attrset(self, span: Span, recursive: bool, binds: Sequence[Any]) -> n.AttrSet:
        defs = _plain_defs(binds)
        if defs is not None:
            return n.AttrSet(span, recursive, defs, ())
        return self._build_attrs(span, recursive, binds).freeze()

    def list_(self, c: list[Any]) -> n.List:
        return n.List(Span(c[0].start, c[-1].end), tuple(c[1:-1]))

    def interpolation(self, c: list[Any]) -> _Interp:
        return _Interp(Span(c[0].start, c[2].end), c[1])

    # --- attribute names and bindings ---------------------------------------------------------

    def attr_id(self, c: list[Any]) -> n.StaticAttr:
        tok: Token = c[0]
        return n.StaticAttr(Span(tok.start, tok.end), tok.value)  # type: ignore[arg-type]

    def attr_string(self, c: list[Any]) -> n.AttrName:
        parts = _merge(_string_parts(c[1:-1]))
        span = _span(c)
        if all(isinstance(p, str) for p in parts):
            return n.StaticAttr(span, "".join(parts))  # type: ignore[arg-type]
        return n.DynamicAttr(span, n.Str(span, parts))

    def attrpath(self, c: list[Any]) -> _AttrPath:
        # Names and the "." tokens between them alternate.
        if len(c) == 1 and type(c[0]) is n.StaticAttr:
            return _AttrPath(c[0].span, (c[0],))  # spans are immutable: one will do
        span = Span(c[0].span.start, c[-1].span.end)
        return _AttrPath(span, tuple(self._attr_name(x) for x in c[::2]))

    def _attr_name(self, x: n.AttrName | _Interp) -> n.AttrName:
        if not isinstance(x, _Interp):
            return x
        # `${e}` names a fixed attribute when e is a plain string, as in Nix.
        e = x.expr
        literal = isinstance(e, n.Str) and all(isinstance(p, str) for p in e.parts)
        if literal and id(e) not in self._concatenated:
            assert isinstance(e, n.Str)
            return n.StaticAttr(x.span, "".join(e.parts))  # type: ignore[arg-type]
        if isinstance(e, n.Uri):
            return n.StaticAttr(x.span, e.value)
        return n.DynamicAttr(x.span, e)

    def binding(self, c: list[Any]) -> _Binding:
        return _Binding(c[0], c[2])

    def inherit(self, c: list[Any]) -> _Inherit:
        names = tuple(self._attr_name(x) for x in c[1:-1])
        return _Inherit(_span(c), None, names, c[0].end)

    def inherit_from(self, c: list[Any]) -> _Inherit:
        names = tuple(self._attr_name(x) for x in c[4:-1])
        return _Inherit(_span(c), c[2], names, c[3].end)

    def _build_attrs(self, span: Span, recursive: bool, binds: Sequence[Any]) -> _Attrs:
        attrs = _Attrs(span, recursive)
        for b in binds:
            if isinstance(b, _Binding):
                _add_attr(attrs, b.path, b.value)
            else:
                _add_inherit(attrs, b)
        return attrs


def _plain_defs(binds: Sequence[Any]) -> tuple[n.AttrDef, ...] | None:
    """The definitions of bindings that each name one attribute, ``a = v;``, every name
    different (most sets and lets), made at once; None for any other (a nested path, an
    ``inherit``, a dynamic name, a name defined twice), which `_build_attrs` builds as Nix
    does, merging and checking."""
    defs = []
    seen = set()
    for b in binds:
        if type(b) is not _Binding:
            return None
        names = b.path.names
        if len(names) != 1:
            return None
        attr = names[0]
        if type(attr) is not n.StaticAttr or attr.name in seen:
            return None
        seen.add(attr.name)
        span = b.path.span
        defs.append(n.AttrDef(span, attr.name, b.value, AttrKind.PLAIN, span.start))
    return tuple(defs)


def _tok(c: list[Any], text: str) -> Token:
    for x in reversed(c):
        if isinstance(x, Token) and x.value == text:
            return x
    raise AssertionError(text)


def _string_parts(children: Sequence[Any]) -> list[str | n.Expr]:
    """Literal texts (STR tokens) and interpolated expressions, in order."""
    return [str(x.value) if isinstance(x, Token) else x.expr for x in children]


def _merge(parts: Sequence[str | n.Expr]) -> tuple[str | n.Expr, ...]:
    """Join adjacent literal texts and drop empty ones."""
    out: list[str | n.Expr] = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] = out[-1] + p
                continue
        out.append(p)
    return tuple(out)


def _dup(names: Sequence[n.AttrName], span: Span, first: Span) -> SyntaxProblem:
    return SyntaxProblem(
        "E003",
        f"attribute '{_show_path(names)}' already defined",
        span,
        [(first, "first defined here")],
        at_first=True,
    )


def _as_attrs(d: _Def) -> _Attrs | None:
    """The set a definition holds, ready to be added to (Nix's dynamic_cast<ExprAttrs *>)."""
    if isinstance(d.value, _Attrs):
        return d.value
    if isinstance(d.value, n.AttrSet):
        d.value = _Attrs.thaw(d.value)
        return d.value
    return None


def _add_attr(attrs: _Attrs, path: _AttrPath, value: n.Expr) -> None:
    """Nix's addAttr: ``a.b.c = v;`` into `attrs`, creating and merging nested sets."""
    names = path.names
    for name in names[:-1]:
        if isinstance(name, n.StaticAttr):
            existing = attrs.attrs.get(name.name)
            if existing is not None:
                nested = _as_attrs(existing) if existing.kind is not AttrKind.INHERIT else None
                if nested is None:
                    raise _dup(names, path.span, existing.span)
                attrs = nested
            else:
                nested = _Attrs(path.span, False)
                attrs.attrs[name.name] = _Def(path.span, nested, AttrKind.PLAIN, path.span.start)
                attrs = nested
        else:
            nested = _Attrs(path.span, False)
            attrs.dynamic.append((name.span, name.expr, nested))
            attrs = nested
    last = names[-1]
    if isinstance(last, n.DynamicAttr):
        attrs.dynamic.append((last.span, last.expr, value))
        return
    existing = attrs.attrs.get(last.name)
    if existing is None:
        attrs.attrs[last.name] = _Def(path.span, value, AttrKind.PLAIN, path.span.start)
        return
    target = _as_attrs(existing) if isinstance(value, n.AttrSet) else None
    if target is None:
        raise _dup(names, path.span, existing.span)
    # Both are sets: merge the new one's static attributes into the old one. (Nix drops the
    # new set's dynamic attributes here; so do we, to evaluate as Nix does.)
    assert isinstance(value, n.AttrSet)
    for d in value.attrs:
        if d.name in target.attrs:
            raise _dup([n.StaticAttr(d.span, d.name)], d.span, target.attrs[d.name].span)
        target.attrs[d.name] = _Def(d.span, d.value, d.kind, d.pos)


def _add_inherit(attrs: _Attrs, inherit: _Inherit) -> None:
    for name in inherit.names:
        if isinstance(name, n.DynamicAttr):
            raise SyntaxProblem("E005", "dynamic attributes not allowed in inherit", name.span)
        existing = attrs.attrs.get(name.name)
        if existing is not None:
            raise _dup([name], name.span, existing.span)
        if inherit.source is None:
            value: n.Expr = n.Var(name.span, name.name)
            kind = AttrKind.INHERIT
        else:
            value = n.Select(name.span, inherit.source, (name,), None)
            kind = AttrKind.INHERIT_FROM
        attrs.attrs[name.name] = _Def(name.span, value, kind, inherit.pos)


def strip_indentation(children: Sequence[Any]) -> list[str | n.Expr]:
    """Nix's stripIndentation, step for step, over the pieces of an indented string.

    The smallest indentation of the lines is removed from each line; lines with only
    spaces do not count, and neither does the last line when it has only spaces. Pieces
    that are not raw text (escapes, interpolations) end a line's indentation unmeasured.
    """
    pieces: list[IndStr | n.Expr] = [
        x.value if isinstance(x, Token) and isinstance(x.value, IndStr) else x.expr
        for x in children
    ]
    if not pieces:
        return []
    # Line by line, not character by character: a run of spaces and the rest of a line
    # are each found by one call (scripts in indented strings are most of some files).
    at_line_start = True
    min_indent = 1_000_000
    cur_indent = 0
    for p in pieces:
        if not isinstance(p, IndStr) or not p.raw:
            if at_line_start:
                at_line_start = False
                min_indent = min(min_indent, cur_indent)
            continue
        text, i, end = p.text, 0, len(p.text)
        while i < end:
            if at_line_start:
                spaces = _SPACES(text, i).end()  # type: ignore[union-attr]
                cur_indent += spaces - i
                i = spaces
                if i == end:
                    break
                if text[i] == "\n":
                    cur_indent = 0
                    i += 1
                    continue
                at_line_start = False
                min_indent = min(min_indent, cur_indent)
            newline = text.find("\n", i)
            if newline < 0:
                break
            at_line_start = True
            cur_indent = 0
            i = newline + 1

    out: list[str | n.Expr] = []
    at_line_start = True
    dropped = 0
    remaining = len(pieces)
    for p in pieces:
        if not isinstance(p, IndStr):
            at_line_start = False
            dropped = 0
            out.append(p)
            remaining -= 1
            continue
        buf: list[str] = []
        text, i, end = p.text, 0, len(p.text)
        while i < end:
            if at_line_start:
                # Of the spaces here, those past the smallest indentation are kept.
                spaces = _SPACES(text, i).end()  # type: ignore[union-attr]
                kept = min(spaces - i, dropped + spaces - i - min_indent)
                if kept > 0:
                    buf.append(" " * kept)
                dropped += spaces - i
                i = spaces
                if i == end:
                    break
                dropped = 0
                if text[i] == "\n":
                    buf.append("\n")
                    i += 1
                    continue
                at_line_start = False
            newline = text.find("\n", i)
            if newline < 0:
                buf.append(text[i:])
                break
            buf.append(text[i : newline + 1])
            at_line_start = True
            i = newline + 1
        text = "".join(buf)
        if remaining == 1:
            # The last piece: drop a final line that holds only spaces.
            cut = text.rfind("\n")
            if cut >= 0 and text[cut + 1 :].strip(" ") == "":
                text = text[: cut + 1]
        out.append(text)
        remaining -= 1
    return out


_SPACES = re.compile(" *").match  # (always matches)
