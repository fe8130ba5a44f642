"""The value model: how Nix values are represented in Python.

    null      None                       bool    True / False
    int       int (64-bit, wrapped)      float   float
    string    str, or CStr (a str with a string context)
    path      NixPath                    list    list (of items; never mutated)
    attrset   Attrs                      lambda  Closure
    builtin   PrimOp, or PrimOpApp (partially applied)

An *item* is what attribute sets, lists, environments and arguments hold: a value, or a
`Thunk` that computes one on demand. Which expressions become thunks is decided in one
place (`nixeval.eval.machine.Machine._compile_item`): as in Nix (``Expr::maybeThunk``)
literals are stored as values, variables share the item they name, everything else is a
new thunk.
That decides what ``--eval`` without ``--strict`` prints as ``<CODE>``.

A thunk has three states, kept in its `run`: suspended (the code to run), blackhole (being
forced: forcing it again is infinite recursion), evaluated (None). A force that fails puts
it back to suspended, so ``builtins.tryEval`` can force it again and fail the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from .syntax import nodes as n

if TYPE_CHECKING:
    from .eval.env import Env
    from .syntax.source import Source


class CStr(str):
    """A string with a non-empty string context: the store paths it refers to.

    Context elements use Nix 2.8's encoding: ``/nix/store/…`` (a path), ``=/nix/store/x.drv``
    (a derivation with all its outputs), ``!out!/nix/store/x.drv`` (one output).
    Being a `str`, it compares and hashes by its text, as Nix strings compare.
    """

    ctx: frozenset[str]

    def __new__(cls, text: str, ctx: frozenset[str]) -> CStr:
        s = super().__new__(cls, text)
        s.ctx = ctx
        return s

    def __repr__(self) -> str:
        return f"CStr({str.__repr__(self)}, {sorted(self.ctx)!r})"


def string_with_context(text: str, ctx: frozenset[str] | set[str]) -> str:
    """`text` as a Nix string value: a plain str when the context is empty."""
    return CStr(text, frozenset(ctx)) if ctx else str(text)


def context_of(s: str) -> frozenset[str]:
    return s.ctx if type(s) is CStr else frozenset()


def context_path(element: str) -> str:
    """The store path a context element refers to (``!out!/nix/store/x.drv`` → the drv)."""
    if element.startswith("="):
        return element[1:]
    if element.startswith("!"):
        return element.split("!", 2)[2]
    return element


class NixPath:
    """A path value: absolute and canonical (no ``.``, ``..`` or repeated slashes)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NixPath) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"NixPath({self.path!r})"


# Where the attributes of a set were defined (`Attrs.origin`), found only when asked for:
#   (source, AttrSet)   the set was written there (a `Formals`: made by functionArgs);
#   (source, Span)      every name is there (one attribute of a set: a dynamic one);
#   (items, right, left) made by ``//``: a name in the right operand's `items` is where
#                        `right` (that operand's origin) says, any other where `left` says;
#                        by removeAttrs and intersectAttrs, `items` their own and `left`
#                        None: each name is where the set they took it from has it;
#   {name: origin}      made by listToAttrs: each name is where its element's ``value`` is.
# ``//`` is hot: its origin is one tuple, and keeps the right operand's items dict (not the
# operand sets, nor their sorted names) so that an update does not keep its left operand's
# items alive.
if TYPE_CHECKING:
    Written = tuple[Source, n.AttrSet | n.Formals]
    Placed = tuple[Source, n.Span]
    Updated = tuple[dict[str, Any], "Origin | None", "Origin | None"]
    Origin = Written | Placed | Updated | dict[str, "Origin"]


class Attrs:
    """An attribute set. `items` maps names to items; iteration is in Nix's (sorted) order.

    `origin` (see `Origin`) says where each attribute was defined, found from it on demand
    (errors, ``unsafeGetAttrPos``, ``--xml``): as Nix 2.8 keeps a position per attribute, a
    set written in a file, and the sets ``//``, ``removeAttrs``, ``intersectAttrs`` and
    ``listToAttrs`` make from such sets, have one. The set ``builtins.functionArgs`` makes
    has the function's `Formals` as its origin: each attribute is at its formal, as in Nix.
    """

    __slots__ = ("_sorted", "items", "origin")

    def __init__(self, items: dict[str, Any], origin: Origin | None = None) -> None:
        self.items = items
        self.origin = origin
        self._sorted: list[str] | None = None

    def names(self) -> list[str]:
        """The attribute names, sorted as Nix sorts them (by bytes)."""
        if self._sorted is None:
            self._sorted = sorted(self.items, key=_byte_order)
        return self._sorted

    def position(self, name: str) -> tuple[Source, n.Span] | None:
        """Where attribute `name` was defined, if it was written in a file."""
        if name not in self.items:
            return None
        origin = self.origin
        # Follow the origin to the set that defined `name` (a loop: a fold of ``//`` makes a
        # chain as long as the list folded).
        while origin is not None:
            if type(origin) is dict:
                origin, name = origin.get(name), "value"
            elif len(origin) == 3:
                items, right, left = cast("Updated", origin)
                origin = right if name in items else left
            else:
                source, node = cast("Written | Placed", origin)
                if type(node) is n.Span:
                    return source, node
                return _written_position((source, node), name)  # type: ignore[arg-type]
        return None

    def definition(self, name: str) -> tuple[Source, n.AttrDef] | None:
        """The written definition (``name = value;``) of attribute `name`, if this set
        was written in a file and defines it statically."""
        origin = _written(self.origin)
        if origin is None:
            return None
        source, node = origin
        return _definition(source, node, name)

    def written_at(self) -> tuple[Source, n.Span] | None:
        """Where the set itself was written, if it was."""
        origin = _written(self.origin)
        if origin is None:
            return None
        return origin[0], origin[1].span

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, name: str) -> bool:
        return name in self.items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> Any:
        return self.items.get(name)

    def __repr__(self) -> str:
        return f"Attrs({self.names()!r})"


def _written(origin: Origin | None) -> Written | None:
    """The set written in a file that `origin` is, if it is one (with its dynamic
    attributes: `Machine._dynamic_attrs` places each at its name). A set a builtin made
    from one was not written anywhere, nor was ``functionArgs``' (at its formals)."""
    while type(origin) is tuple and len(origin) == 3 and _placed(origin[1]):
        origin = origin[2]
    if type(origin) is not tuple or len(origin) != 2 or type(origin[1]) is not n.AttrSet:
        return None
    return origin


def _placed(origin: Origin | None) -> bool:
    return type(origin) is tuple and len(origin) == 2 and type(origin[1]) is n.Span


def _written_position(origin: Written, name: str) -> tuple[Source, n.Span] | None:
    """Where `name` is in the set written at `origin` (which has it)."""
    source, node = origin
    if type(node) is n.Formals:
        return next(((source, f.span) for f in node.entries if f.name == name), None)
    definition = _definition(source, node, name)
    if definition is not None:
        d = definition[1]
        # An inherited name is where Nix places it (`n.AttrDef.pos`), not at the name.
        return source, d.span if d.pos == d.span.start else n.Span(d.pos, d.pos)
    return source, node.span


def _definition(
    source: Source, node: n.AttrSet | n.Formals, name: str
) -> tuple[Source, n.AttrDef] | None:
    if type(node) is not n.AttrSet:
        return None
    for d in node.attrs:
        if d.name == name:
            return source, d
    return None


def _byte_order(name: str) -> bytes:
    # Nix compares attribute names as byte strings; UTF-8 preserves code point order, but
    # surrogate escapes (undecodable bytes) must sort as the bytes they stand for.
    return name.encode("utf-8", "surrogateescape")


class Closure:
    """A Nix function: a `Lambda` node and the environment it was created in; `code` is
    the lambda's compiled code, shared by every closure of the node (`nixeval.eval.machine`
    fills it in when the function is first called)."""

    __slots__ = ("code", "env", "lam")
    code: Any
    env: Env
    lam: n.Lambda

    @property
    def name(self) -> str:
        return "anonymous lambda"


class PrimOp:
    """A builtin function of `arity` arguments; `fn` receives the arguments as items
    (unforced), so each builtin decides what it forces, as in Nix. With `site`, `fn` also
    gets ``site=(source, span)``: where it was called (the effect models trace calls)."""

    __slots__ = ("arity", "fn", "name", "site")

    def __init__(self, name: str, arity: int, fn: Callable[..., Any], site: bool = False) -> None:
        self.name = name
        self.arity = arity
        self.fn = fn
        self.site = site

    def __repr__(self) -> str:
        return f"<PRIMOP {self.name}>"


class PrimOpApp:
    """A builtin applied to fewer arguments than it takes."""

    __slots__ = ("args", "primop")

    def __init__(self, primop: PrimOp, args: tuple[Any, ...]) -> None:
        self.primop = primop
        self.args = args


class Thunk:
    """A delayed computation: compiled code in an environment, or a Python callable.

    Its state is in `run`: the code to run (suspended; called with `env`, or with no
    argument when `env` is None); `BLACKHOLE` while it runs (forcing it again is an
    infinite recursion); None once evaluated, `value` being then its value (unset
    before). `code` is the expression, when there is one, for errors and provenances."""

    __slots__ = ("code", "env", "run", "value")
    code: n.Expr | None
    env: Env | None
    run: Any
    value: Any

    def __repr__(self) -> str:
        if self.run is None:
            return "<Thunk evaluated>"
        return "<Thunk blackhole>" if self.run is BLACKHOLE else "<Thunk suspended>"


# A thunk's `run` while it runs.
BLACKHOLE: Any = object()


_new = object.__new__


def thunk(code: n.Expr | None, env: Env | None, run: Any) -> Thunk:
    """A new suspended thunk (see `Thunk`).

    A function, not the class's ``__init__``: calling a class whose ``__init__`` is Python
    code costs a C call and a frame of its own, and an evaluation makes hundreds of
    thousands of thunks; a function is entered as Python calls Python, ~100 ns less."""
    made = _new(Thunk)
    made.code = code
    made.env = env
    made.run = run
    return made


def closure(lam: n.Lambda, env: Env, code: Any) -> Closure:
    """A new function value (see `Closure`), made as `thunk` makes a thunk, and for the
    same reason."""
    made = _new(Closure)
    made.lam = lam
    made.env = env
    made.code = code
    return made


def thunk_of(fn: Callable[[], Any]) -> Thunk:
    """A thunk that runs a Python computation when forced (for builtins' lazy results)."""
    return thunk(None, None, fn)


class Model:
    """What ci-eval knows of an unknown it recognises (see `Unknown`): the value
    ``import`` of it gives, and what selecting from it gives (None: unknown, as for
    any unknown). A `package` model marks a nixpkgs package (or what a package's
    function made): a build, never an effect, and what is computed from it keeps the
    mark."""

    package = False
    # What the model is, said when it stands in for a missing pinned input.
    stands_in = "a model stands in for it"
    # For a package model: the model of what calling the package (function) makes.
    built: Model | None = None
    # Known not to be null (a string, a set…): ``u == null`` is false, ``u != null`` true.
    not_null = False
    # Its type (``builtins.typeOf``), when known.
    nix_type: str | None = None

    def imported(self, machine: Any) -> Any:
        return None

    def selected(self, machine: Any, unknown: Unknown, name: str) -> Any:
        return None

    def has_attr(self, name: str) -> bool | None:
        """``unknown ? name``, when the model knows (None: unknown)."""
        return None

    def selected_model(self, provenance: str) -> Model | None:
        """The model of what is selected from an unknown of this model (`provenance`
        says what it is), when the model knows one."""
        return None

    def appended(self, machine: Any, unknown: Unknown, text: str) -> Any:
        """``unknown + "/text"``, when the model knows what that is (None: unknown)."""
        return None

    def output_path(self, unknown: Unknown) -> str | None:
        """The string an unknown derivation coerces to (its ``outPath``), when the model
        names one (None: the string is unknown too)."""
        return None


class AString(Model):
    """An unknown known to be a string, so never null: what ``"…${u}…"`` makes of an
    unknown `u`, or a field of the checkout that Hercules CI always has for a repository
    on a forge, but that ci-eval cannot know offline."""

    not_null = True
    nix_type = "string"

    def has_attr(self, name: str) -> bool | None:
        return False


A_STRING = AString()


class StringTemplate(AString):
    """A string known but for some parts: ``"echo ${u} done"`` with `u` unknown, or
    ``concatStringsSep`` of a list holding unknowns. `parts` are the known texts and, in
    between, the unknowns ("holes"); `context` is the known texts' string context. Its
    unknown shows the known text, each hole as ``${…}`` (a literal ``${`` as ``\\${``),
    so a script that needs one unknown value still reads as the script."""

    def __init__(self, parts: tuple[str | Unknown, ...], context: frozenset[str]) -> None:
        self.parts = parts
        self.context = context

    def holes(self) -> list[Unknown]:
        return [p for p in self.parts if type(p) is Unknown]

    def text(self) -> str:
        return "".join(
            p.replace("${", "\\${") if type(p) is str else "${" + p.provenance + "}"  # type: ignore[union-attr]
            for p in self.parts
        )


class Unknown:
    """A value ci-eval cannot know offline: a fetched tarball, an unresolved ``<nixpkgs>``,
    anything computed from one. It remembers where it came from (`provenance`, in Nix-like
    words: ``builtins.fetchTarball "https://…".overlays``) and the expression that made it.

    Selecting from it, calling it, interpolating it or doing arithmetic with it gives another
    unknown; ``u // { a = 1; }`` is an unknown whose `overlay` knows ``a``. Branching on it,
    comparing it, or forcing it to a particular type stops evaluation with `NeedsValue`.

    A `model` says more of an unknown that ci-eval recognises without having it: a
    nixpkgs whose source is not at hand is still nixpkgs, and ``import`` of it gives the
    modelled package set (`nixeval.nixpkgs.model`). Only the unknown itself has it: what
    is computed from it does not.
    """

    __slots__ = ("cause", "model", "overlay", "provenance", "source", "span")
    nix_type = "unknown"

    def __init__(
        self,
        provenance: str,
        source: Source | None = None,
        span: n.Span | None = None,
        overlay: dict[str, Any] | None = None,
        model: Model | None = None,
    ) -> None:
        self.provenance = provenance
        self.source = source
        self.span = span
        self.overlay = overlay
        self.model = model
        # The unknown that computing this one needed, when it is not an operand of it
        # (a builtin's argument whose own computation needed `cause`).
        self.cause: Unknown | None = None

    def derive(
        self, provenance: str, source: Source | None, span: n.Span | None, called: bool = False
    ) -> Unknown:
        """Another unknown computed from this one (`called`: by calling it), made at
        `span`. A package's mark is kept: what a package function makes is a build too
        (the model's `built`)."""
        model = None
        if self.model is not None:
            if self.model.package:
                model = self.model.built if called else self.model
            elif not called:
                model = self.model.selected_model(provenance)
        return Unknown(provenance, source, span, model=model)

    def root(self) -> Unknown:
        """The unknown that this one needs at bottom, as a "which needs" names it: its
        cause's root, or a string template's first hole's; itself when it has neither."""
        unknown = self
        while True:
            if unknown.cause is not None:
                unknown = unknown.cause
            elif isinstance(unknown.model, StringTemplate) and unknown.model.holes():
                unknown = unknown.model.holes()[0]
            else:
                return unknown

    def output_path(self) -> str | None:
        """The string this unknown coerces to, when its model names one (a modelled
        package's output path); None: its string is unknown too."""
        return self.model.output_path(self) if self.model is not None else None

    def location(self) -> str:
        if self.source is None or self.span is None:
            return "?"
        pos = self.source.position(self.span.start)
        return f"{self.source.name}:{pos.line}:{pos.column}"

    def nix_print(self) -> str:
        return f"«unknown: {self.provenance}»"

    def __repr__(self) -> str:
        return f"Unknown({self.provenance!r})"


# --- type names, as Nix's showType and typeOf say them -------------------------------------


def type_of(v: Any) -> str:
    """builtins.typeOf of a forced value."""
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is str or t is CStr:
        return "string"
    if t is NixPath:
        return "path"
    if v is None:
        return "null"
    if t is list:
        return "list"
    if t is Attrs:
        return "set"
    if t in (Closure, PrimOp, PrimOpApp):
        return "lambda"
    return _external_type(v)


def _external_type(v: Any) -> str:
    name = getattr(v, "nix_type", None)
    if isinstance(name, str):
        return name
    raise TypeError(f"not a Nix value: {v!r}")


_SHOWN = {
    "bool": "a Boolean",
    "int": "an integer",
    "float": "a float",
    "path": "a path",
    "null": "null",
    "list": "a list",
    "set": "a set",
}


def show_type(v: Any) -> str:
    """The type of a forced value in words, as in Nix's error messages ("a set")."""
    t = type(v)
    if t is CStr:
        return "a string with context"
    if t is str:
        return "a string"
    if t is Closure:
        return "a function"
    if t is Unknown:
        return f"an unknown value ({v.provenance})"
    if t is PrimOp:
        return "a built-in function"
    if t is PrimOpApp:
        return "a partially applied built-in function"
    return _SHOWN.get(type_of(v), type_of(v))
