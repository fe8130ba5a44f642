"""The typed Nix AST: frozen, slotted dataclasses, one per construct.

Every node has a ``span`` (character offsets into its `Source`); spans do not take part in
equality, so two parses of the same program compare equal wherever they came from.

The lowering (`nixeval.syntax.lower`) is the only place that builds these nodes, and the
only place that desugars. What it desugars, exactly as Nix 2.8's parser does:

- nested attribute paths: ``{ a.b.c = 1; }`` is ``{ a = { b = { c = 1; }; }; }``, and
  definitions of the same set merge (``{ a.b = 1; a.c = 2; }``);
- ``inherit x;`` is an `AttrDef` of kind INHERIT whose value is ``Var x`` looked up in the
  scope *outside* the set; ``inherit (e) x;`` is kind INHERIT_FROM with value ``Select e x``
  (one `e` node shared by all names of that ``inherit``);
- string keys without interpolation (``"a" = 1;``, ``${"a"} = 1;``) are static names.

What it keeps, because linters and the printer need it: unary minus (`Negate`, Nix's
``__sub 0 e``), ``<p>`` (`SearchPath`, Nix's ``__findFile __nixPath "p"``), URI literals
(`Uri`, a string in Nix), legacy ``let { … }`` (`LegacyLet`, Nix's ``(rec { … }).body``),
and paths as written (resolved against the file's directory by the evaluator).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in a source text."""

    start: int
    end: int

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


# --- literals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Int:
    """An integer literal: ``42``. Nix integers are 64-bit signed."""

    span: Span = field(compare=False)
    value: int


@dataclass(frozen=True, slots=True)
class Float:
    """A float literal: ``1.5``, ``.5``, ``1.0e3`` (but ``1e3`` is ``1`` applied to ``e3``)."""

    span: Span = field(compare=False)
    value: float


@dataclass(frozen=True, slots=True)
class Str:
    """A string: ``"a${b}c"`` or ``''a${b}c''`` (indentation already stripped).

    parts = literal text (escapes resolved) | interpolated expression; adjacent literal
    texts are merged and empty ones dropped, so ``""`` has no parts.
    """

    span: Span = field(compare=False)
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class Path:
    """A path literal: ``./a``, ``/a``, ``~/a``, ``a/b``, ``./a/${b}.nix``.

    parts[0] is the literal text that starts the path, as written (``./a/``); further parts
    are raw path text or interpolated expressions. Resolution against the file's directory
    (and ``~`` against $HOME) is the evaluator's business.
    """

    span: Span = field(compare=False)
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class SearchPath:
    """A search-path lookup ``<nixpkgs/lib>``: Nix's ``__findFile __nixPath "nixpkgs/lib"``."""

    span: Span = field(compare=False)
    name: str


@dataclass(frozen=True, slots=True)
class Uri:
    """An unquoted URI ``https://x.org/a?b=c``: a plain string, kept apart for linting."""

    span: Span = field(compare=False)
    value: str


# --- names ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Var:
    """A variable reference ``x``."""

    span: Span = field(compare=False)
    name: str


@dataclass(frozen=True, slots=True)
class CurPos:
    """``__curPos``: the position of this very expression, as an attrset."""

    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class StaticAttr:
    """A fixed attribute name in a path: ``a``, ``or``, ``"a b"``, ``${"a"}``."""

    span: Span = field(compare=False)
    name: str


@dataclass(frozen=True, slots=True)
class DynamicAttr:
    """An attribute name computed at run time: ``${e}`` or ``"a${e}"``."""

    span: Span = field(compare=False)
    expr: Expr


AttrName: TypeAlias = StaticAttr | DynamicAttr


@dataclass(frozen=True, slots=True)
class Select:
    """Attribute access ``e.a.b``, or with a fallback ``e.a.b or d``."""

    span: Span = field(compare=False)
    expr: Expr
    path: tuple[AttrName, ...]
    default: Expr | None


@dataclass(frozen=True, slots=True)
class HasAttr:
    """An attribute test ``e ? a.b``."""

    span: Span = field(compare=False)
    expr: Expr
    path: tuple[AttrName, ...]


# --- functions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Formal:
    """One parameter of a formals pattern: ``a`` or ``a ? default``."""

    span: Span = field(compare=False)
    name: str
    default: Expr | None


@dataclass(frozen=True, slots=True)
class Formals:
    """A pattern ``{ a, b ? 1, ... }``; entries keep their source order."""

    span: Span = field(compare=False)
    entries: tuple[Formal, ...]
    ellipsis: bool


@dataclass(frozen=True, slots=True)
class Lambda:
    """A function. param | formals | both:

    ``x: body`` (param), ``{ a }: body`` (formals), ``x@{ a }: body`` / ``{ a }@x: body``
    (both; `param_first` records which side the name was written on).
    """

    span: Span = field(compare=False)
    param: str | None
    formals: Formals | None
    body: Expr
    param_first: bool


@dataclass(frozen=True, slots=True)
class Apply:
    """Function application ``f x``; ``f x y`` is ``Apply(Apply(f, x), y)``."""

    span: Span = field(compare=False)
    fn: Expr
    arg: Expr


# --- operators ------------------------------------------------------------------------------


class BinaryOp(enum.Enum):
    """The binary operators, by their Nix spelling."""

    IMPL = "->"
    OR = "||"
    AND = "&&"
    EQ = "=="
    NEQ = "!="
    LT = "<"
    LEQ = "<="
    GT = ">"
    GEQ = ">="
    UPDATE = "//"
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    CONCAT = "++"


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operation ``l op r``: op = -> || && == != < <= > >= // + - * / ++."""

    span: Span = field(compare=False)
    op: BinaryOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Not:
    """Boolean negation ``!e``."""

    span: Span = field(compare=False)
    expr: Expr


@dataclass(frozen=True, slots=True)
class Negate:
    """Arithmetic negation ``-e`` (Nix evaluates it as ``__sub 0 e``)."""

    span: Span = field(compare=False)
    expr: Expr


# --- compound -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class List:
    """A list ``[ a b c ]``."""

    span: Span = field(compare=False)
    elements: tuple[Expr, ...]


class AttrKind(enum.Enum):
    """How an `AttrDef` was written: ``a = e;``, ``inherit a;`` or ``inherit (e) a;``."""

    PLAIN = "plain"
    INHERIT = "inherit"
    INHERIT_FROM = "inherit_from"


@dataclass(frozen=True, slots=True)
class AttrDef:
    """One static binding of an attrset or ``let``; span is the name's span.

    kind = PLAIN: value is the bound expression (an `AttrSet` for desugared paths).
    kind = INHERIT: value is ``Var(name)``, resolved outside the set's own scope.
    kind = INHERIT_FROM: value is ``Select(e, name)``; ``e`` is shared by one ``inherit (e)``.
    """

    span: Span = field(compare=False)
    name: str
    value: Expr
    kind: AttrKind


@dataclass(frozen=True, slots=True)
class DynamicAttrDef:
    """A binding whose name is computed: ``${k} = v;`` or ``"a${k}" = v;``."""

    span: Span = field(compare=False)
    key: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class AttrSet:
    """An attribute set ``{ … }`` or ``rec { … }``; attrs keep definition order."""

    span: Span = field(compare=False)
    recursive: bool
    attrs: tuple[AttrDef, ...]
    dynamic: tuple[DynamicAttrDef, ...]


@dataclass(frozen=True, slots=True)
class LetIn:
    """``let bindings in body``; bindings are static (Nix forbids dynamic names here)."""

    span: Span = field(compare=False)
    bindings: tuple[AttrDef, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class LegacyLet:
    """The deprecated ``let { …; body = e; }``: evaluates as ``(rec { … }).body``."""

    span: Span = field(compare=False)
    attrs: AttrSet


@dataclass(frozen=True, slots=True)
class With:
    """``with env; body``: env's attributes are in scope where no lexical binding is."""

    span: Span = field(compare=False)
    env: Expr
    body: Expr


@dataclass(frozen=True, slots=True)
class Assert:
    """``assert cond; body``."""

    span: Span = field(compare=False)
    cond: Expr
    body: Expr


@dataclass(frozen=True, slots=True)
class If:
    """``if cond then a else b``."""

    span: Span = field(compare=False)
    cond: Expr
    then: Expr
    else_: Expr


Expr: TypeAlias = (
    Int
    | Float
    | Str
    | Path
    | SearchPath
    | Uri
    | Var
    | CurPos
    | Select
    | HasAttr
    | Lambda
    | Apply
    | BinOp
    | Not
    | Negate
    | List
    | AttrSet
    | LetIn
    | LegacyLet
    | With
    | Assert
    | If
)

Node: TypeAlias = Expr | AttrDef | DynamicAttrDef | Formal | Formals | StaticAttr | DynamicAttr
