"""The typed Nix AST: frozen, slotted classes, one per construct.

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
import hashlib
import pathlib
import types
from collections.abc import Iterable
from typing import Any, TypeAlias, TypeVar, dataclass_transform

_C = TypeVar("_C", bound=type)
_N = TypeVar("_N")
_pending: list[type] = []


# Plain classes, not named tuples: `typing.NamedTuple` makes a class in ~0.2 ms at start.
class Field:
    """A field of a node class, as `fields` gives it."""

    __slots__ = ("compare", "name")

    def __init__(self, name: str, compare: bool) -> None:
        self.name = name
        self.compare = compare  # whether it takes part in equality and hashing (not a span)

    def __repr__(self) -> str:
        return f"Field({self.name!r}, compare={self.compare})"


class _FieldSpec:
    __slots__ = ("compare",)

    def __init__(self, compare: bool) -> None:
        self.compare = compare


def field(*, compare: bool = True) -> Any:
    """What a node field's declaration may say beyond its type: ``span: Span =
    field(compare=False)`` leaves the field out of equality and hashing."""
    return _FieldSpec(compare)


class FrozenNodeError(AttributeError):
    """Raised on assigning to or deleting a field of a node: nodes are immutable."""


# The fields of each class `_node` made. Not a class attribute: a name of ours among the
# dunder names is not to be invented, and a plain one could clash with a field.
_FIELDS: dict[type, tuple[Field, ...]] = {}


def fields(node: object) -> tuple[Field, ...]:
    """The fields of a node or node class, in declaration order (as
    `dataclasses.fields` gives a dataclass's)."""
    return _FIELDS[node if isinstance(node, type) else type(node)]


def is_node(x: object) -> bool:
    """Whether `x` is a node (a `Span` too), not a node class."""
    return type(x) in _FIELDS


def node_classes() -> tuple[type, ...]:
    """Every node class, `Span` first."""
    return tuple(_FIELDS)


def replace(node: _N, **changes: Any) -> _N:
    """A copy of `node` with the fields `changes` names set anew (as
    `dataclasses.replace` makes one of a dataclass)."""
    cls = type(node)
    names: tuple[str, ...] = cls.__match_args__  # type: ignore[attr-defined]
    unknown = changes.keys() - names
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    return cls(*[changes[name] if name in changes else getattr(node, name) for name in names])


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def _node(cls: _C) -> _C:
    """A frozen slotted class of `cls`'s annotated fields, made without `dataclasses`.

    It behaves as ``@dataclass(frozen=True, slots=True)`` would make it: the same
    ``__init__``, ``__eq__`` and ``__hash__`` (over the fields that `field` does not
    leave out), ``__repr__``, ``__match_args__``, ``__slots__``, pickling, and errors on
    assigning or deleting a field (`FrozenNodeError`); tests/test_parse_speed.py checks
    each class against that dataclass. Why not `dataclass` itself: importing
    `dataclasses` (it imports `inspect`, `ast`, `dis`, `tokenize`) takes ~10 ms, and
    it writes and compiles six functions for each frozen class, ~0.4 ms a class: together
    a tenth of a cold ``check``. `_complete` gives the class its methods from the
    generated module `_node_methods` (compiled to bytecode with the package, not at each
    start); an ``__init__`` there sets the slots through their descriptors, a third
    faster than a frozen dataclass's.
    """
    if cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__}: a node class has no base class")
    body = dict(cls.__dict__)
    specs: list[Field] = []
    # The class's own annotations; `inspect.get_annotations` reads the same, but importing
    # `inspect` is most of the ~10 ms this avoids.
    for name in cls.__dict__.get("__annotations__", {}):  # noqa: RUF063
        spec = body.pop(name, _FieldSpec(True))
        if type(spec) is not _FieldSpec:
            raise TypeError(f"{cls.__name__}.{name}: a node field is set by __init__, no default")
        specs.append(Field(name, spec.compare))
    names = tuple(f.name for f in specs)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body.update(
        __slots__=names,
        __match_args__=names,
        __getstate__=_getstate,
        __setstate__=_setstate,
    )
    made: _C = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    _FIELDS[made] = tuple(specs)
    _frozen(made, names)
    _pending.append(made)
    return made


def _frozen(cls: type, names: tuple[str, ...]) -> None:
    """The ``__setattr__`` and ``__delattr__`` of a frozen dataclass (whose
    ``super(cls, self)`` is `object` here: node classes have no other base)."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenNodeError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenNodeError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    for function in (__setattr__, __delattr__):
        function.__qualname__ = f"{cls.__qualname__}.{function.__name__}"
        setattr(cls, function.__name__, function)


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, name) for name in self.__match_args__]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self.__match_args__, state, strict=False):
        object.__setattr__(self, name, value)


def _complete() -> None:
    """Give each class `_node` made its methods: those of `_node_methods` (compiled with
    the package, as its other modules are), or, when that file was not regenerated after
    a change here, the same text compiled now (~4 ms)."""
    text = _methods_text(_pending)
    setters: dict[str, Any] = {"_NotImplemented": NotImplemented}
    for cls in _pending:
        for f in cls.__match_args__:  # type: ignore[attr-defined]
            setters[f"_{cls.__name__}_{f}"] = cls.__dict__[f].__set__
    made: dict[str, Any]
    try:
        from . import _node_methods

        current = hashlib.sha256(text.encode()).hexdigest() == _node_methods.TEXT_SHA256
    except ImportError:
        current = False
    if current:  # its code, with these classes' setters as the globals it calls
        made = {
            name: types.FunctionType(function.__code__, setters)
            for name, function in vars(_node_methods).items()
            if isinstance(function, types.FunctionType)
        }
    else:
        made = {}
        exec(compile(text, __file__ + " (node methods)", "exec"), setters, made)
    for cls in _pending:
        for method in ("__init__", "__eq__", "__hash__", "__repr__"):
            function = made[f"{cls.__name__}{method}"]
            function.__name__ = method
            function.__qualname__ = f"{cls.__qualname__}.{method}"
            setattr(cls, method, function)
    _pending.clear()


def _methods_text(classes: Iterable[type]) -> str:
    """The Python source of the methods of `classes`, one function per method."""
    lines: list[str] = []
    for cls in classes:
        name = cls.__name__
        names = [f.name for f in _FIELDS[cls]]
        compared = [f.name for f in _FIELDS[cls] if f.compare]
        mine = "".join(f"self.{f}," for f in compared)
        theirs = "".join(f"other.{f}," for f in compared)
        shown = ", ".join(f"{f}={{self.{f}!r}}" for f in names)
        lines += [
            f"def {name}__init__(self, {', '.join(names)}):",
            *(f"    _{name}_{f}(self, {f})" for f in names),
            f"def {name}__eq__(self, other):",
            "    if other.__class__ is self.__class__:",
            f"        return ({mine}) == ({theirs})",
            "    return _NotImplemented",
            f"def {name}__hash__(self):",
            f"    return hash(({mine}))",
            f"def {name}__repr__(self):",
            f'    return self.__class__.__qualname__ + f"({shown})"',
        ]
    return "\n".join(lines) + "\n"


def methods_module() -> str:
    """The text of `_node_methods.py` for the node classes as they are."""
    text = _methods_text(node_classes())
    return (
        '"""The methods of the node classes, generated from nodes.py so that they are compiled\n'
        "with the package. Do not edit: regenerate with ``python -m nixeval.syntax.regenerate``\n"
        '(nodes.py compiles its own when this file does not match it)."""\n'
        "# ruff: noqa\n"
        "# mypy: ignore-errors\n"
        "# fmt: off\n\n"
        f"TEXT_SHA256 = {hashlib.sha256(text.encode()).hexdigest()!r}\n\n" + text
    )


def write_methods_module() -> pathlib.Path:
    """Rewrite `_node_methods.py` for the node classes as they are (``python -m
    nixeval.syntax.regenerate`` does, with the other generated modules); its path."""
    path = pathlib.Path(__file__).resolve().parent / "_node_methods.py"
    path.write_text(methods_module(), encoding="utf-8")
    return path


@_node
class Span:
    """Half-open character range ``[start, end)`` in a source text."""

    start: int
    end: int

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


# --- literals -------------------------------------------------------------------------------


@_node
class Int:
    """An integer literal: ``42``. Nix integers are 64-bit signed."""

    span: Span = field(compare=False)
    value: int


@_node
class Float:
    """A float literal: ``1.5``, ``.5``, ``1.0e3`` (but ``1e3`` is ``1`` applied to ``e3``)."""

    span: Span = field(compare=False)
    value: float


@_node
class Str:
    """A string: ``"a${b}c"`` or ``''a${b}c''`` (indentation already stripped).

    parts = literal text (escapes resolved) | interpolated expression; adjacent literal
    texts are merged and empty ones dropped, so ``""`` has no parts.
    """

    span: Span = field(compare=False)
    parts: tuple[str | Expr, ...]


@_node
class Path:
    """A path literal: ``./a``, ``/a``, ``~/a``, ``a/b``, ``./a/${b}.nix``.

    parts[0] is the literal text that starts the path, as written (``./a/``); further parts
    are raw path text or interpolated expressions. Resolution against the file's directory
    (and ``~`` against $HOME) is the evaluator's business.
    """

    span: Span = field(compare=False)
    parts: tuple[str | Expr, ...]


@_node
class SearchPath:
    """A search-path lookup ``<nixpkgs/lib>``: Nix's ``__findFile __nixPath "nixpkgs/lib"``."""

    span: Span = field(compare=False)
    name: str


@_node
class Uri:
    """An unquoted URI ``https://x.org/a?b=c``: a plain string, kept apart for linting."""

    span: Span = field(compare=False)
    value: str


# --- names ----------------------------------------------------------------------------------


@_node
class Var:
    """A variable reference ``x``."""

    span: Span = field(compare=False)
    name: str


@_node
class CurPos:
    """``__curPos``: the position of this very expression, as an attrset."""

    span: Span = field(compare=False)


@_node
class StaticAttr:
    """A fixed attribute name in a path: ``a``, ``or``, ``"a b"``, ``${"a"}``."""

    span: Span = field(compare=False)
    name: str


@_node
class DynamicAttr:
    """An attribute name computed at run time: ``${e}`` or ``"a${e}"``."""

    span: Span = field(compare=False)
    expr: Expr


AttrName: TypeAlias = StaticAttr | DynamicAttr


@_node
class Select:
    """Attribute access ``e.a.b``, or with a fallback ``e.a.b or d``."""

    span: Span = field(compare=False)
    expr: Expr
    path: tuple[AttrName, ...]
    default: Expr | None


@_node
class HasAttr:
    """An attribute test ``e ? a.b``."""

    span: Span = field(compare=False)
    expr: Expr
    path: tuple[AttrName, ...]


# --- functions ------------------------------------------------------------------------------


@_node
class Formal:
    """One parameter of a formals pattern: ``a`` or ``a ? default``."""

    span: Span = field(compare=False)
    name: str
    default: Expr | None


@_node
class Formals:
    """A pattern ``{ a, b ? 1, ... }``; entries keep their source order."""

    span: Span = field(compare=False)
    entries: tuple[Formal, ...]
    ellipsis: bool


@_node
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


@_node
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


@_node
class BinOp:
    """A binary operation ``l op r``: op = -> || && == != < <= > >= // + - * / ++."""

    span: Span = field(compare=False)
    op: BinaryOp
    left: Expr
    right: Expr


@_node
class Not:
    """Boolean negation ``!e``."""

    span: Span = field(compare=False)
    expr: Expr


@_node
class Negate:
    """Arithmetic negation ``-e`` (Nix evaluates it as ``__sub 0 e``)."""

    span: Span = field(compare=False)
    expr: Expr


# --- compound -------------------------------------------------------------------------------


@_node
class List:
    """A list ``[ a b c ]``."""

    span: Span = field(compare=False)
    elements: tuple[Expr, ...]


class AttrKind(enum.Enum):
    """How an `AttrDef` was written: ``a = e;``, ``inherit a;`` or ``inherit (e) a;``."""

    PLAIN = "plain"
    INHERIT = "inherit"
    INHERIT_FROM = "inherit_from"


@_node
class AttrDef:
    """One static binding of an attrset or ``let``; span is the name's span.

    kind = PLAIN: value is the bound expression (an `AttrSet` for desugared paths).
    kind = INHERIT: value is ``Var(name)``, resolved outside the set's own scope.
    kind = INHERIT_FROM: value is ``Select(e, name)``; ``e`` is shared by one ``inherit (e)``.

    pos is where Nix places the attribute (``unsafeGetAttrPos``): the name's start, but
    for an inherited name where its ``inherit`` keyword, or the ``(e)`` after it, ends.
    """

    span: Span = field(compare=False)
    name: str
    value: Expr
    kind: AttrKind
    pos: int = field(compare=False)


@_node
class DynamicAttrDef:
    """A binding whose name is computed: ``${k} = v;`` or ``"a${k}" = v;``."""

    span: Span = field(compare=False)
    key: Expr
    value: Expr


@_node
class AttrSet:
    """An attribute set ``{ … }`` or ``rec { … }``; attrs keep definition order."""

    span: Span = field(compare=False)
    recursive: bool
    attrs: tuple[AttrDef, ...]
    dynamic: tuple[DynamicAttrDef, ...]


@_node
class LetIn:
    """``let bindings in body``; bindings are static (Nix forbids dynamic names here)."""

    span: Span = field(compare=False)
    bindings: tuple[AttrDef, ...]
    body: Expr


@_node
class LegacyLet:
    """The deprecated ``let { …; body = e; }``: evaluates as ``(rec { … }).body``."""

    span: Span = field(compare=False)
    attrs: AttrSet


@_node
class With:
    """``with env; body``: env's attributes are in scope where no lexical binding is."""

    span: Span = field(compare=False)
    env: Expr
    body: Expr


@_node
class Assert:
    """``assert cond; body``."""

    span: Span = field(compare=False)
    cond: Expr
    body: Expr


@_node
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

_complete()
