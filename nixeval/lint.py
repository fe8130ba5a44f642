"""The static checks of ``ci-eval check``: Nix that evaluates, but probably not as meant.

    from nixeval.lint import apply_suppressions, lint
    warnings = apply_suppressions(source, lint(expr, source))

`lint` walks a parsed expression once, with Nix's scope rules (those of
`nixeval.resolve`, i.e. Nix's ``bindVars``), and returns warnings sorted by position.
The codes are stable (`LINT_CODES`):

    W001  unused let binding: ``let x = 1; in 2``, also ``inherit x;`` / ``inherit (e) x;``
    W002  unused function argument: ``x: 1``, ``{ a, b }: a``, ``args@{ a }: a``
    W003  a ``rec { }`` none of whose values (or dynamic names) refers to a name it defines
    W004  a variable under ``with E;`` bound lexically (let, function argument, rec) while E
          statically has the same attribute: Nix takes the lexical one
    W005  ``builtins.x`` where Nix 2.8's builtins have no ``x`` (with "did you mean")
    W006  the deprecated ``let { …; body = …; }``
    W007  a deprecated unquoted URL (``https://example.org``)
    W008  (`apply_suppressions`) an ``ignore[…]`` comment naming an error code
    W009  (`apply_suppressions`) an ``ignore[…]`` comment naming a code ci-eval does not have

What counts:

- *Used* (W001, W002) means referenced anywhere in the binding's scope except from its own
  value (or default), as deadnix counts: ``let f = n: f n; in 1`` reports ``f``. A binding
  used only by another binding that is itself unused still counts as used (one pass, no
  fixpoint). Names starting with ``_`` are never reported.
- W002 leaves alone the formals of a function that is called with its arguments by name,
  where naming an argument one does not use is idiomatic and harmless (`_file_functions`,
  `_modules_of`, `_network_modules`, `_MODULE_CALLS`): a module (a function with ``...``
  that is the value of ``perSystem``, ``herculesCI``, ``effects``, ``nixosModules.<name>``
  and the like, an element of ``imports`` or ``modules``, the argument of ``mkFlake``,
  ``withSystem``, ``moduleWithSystem``, ``mkPerSystemOption`` or ``submodule``, a machine,
  ``defaults`` or resource of a NixOps network, or the file's own value when it returns an
  attribute set: the module system passes every argument it has), and a flake's
  ``outputs`` (Nix passes ``self`` and every input, so without ``...`` each must be
  named). Nor does it report the formals of ``args@{ … }`` when ``args`` is used: the
  whole set goes on, and the formals say what it must hold. It still reports a plain
  ``x:`` argument, an unused ``args@``, and the formals of any other function (a helper
  whose caller is right there: an unused formal is a real smell).
- W003 counts every reference to the set's names, self-references included: without
  ``rec`` they would mean something else.
- W004 knows E statically when it is an attribute-set literal (also ``rec``), ``builtins``
  (not rebound), or a variable bound (by ``let`` or ``rec``) to an attribute-set literal.
  Other ``with``s are not reported (their attributes are unknown before evaluation), nor
  are bindings that are the attribute itself: ``inherit (builtins) map;`` under
  ``with builtins;``, or an environment's ``inherit x;``.
- W005 is reported at the attribute name (in ``inherit (builtins) x;`` too), but not for
  ``builtins.x or default``, inside the ``then`` of ``if builtins ? x && … then``, the
  ``else`` of ``if !(builtins ? x) then``, the body of ``assert builtins ? x;``, or right
  of ``builtins ? x && …``: those are the idiom for builtins of newer Nix versions. Nix
  2.8's experimental ``getFlake`` and ``fetchClosure`` are accepted.

`apply_suppressions` drops the warnings a ``# ci-eval: ignore[W003, W201]`` comment
(``# ci-eval: ignore`` alone: every warning) covers: those starting on the comment's line,
or on the next line when the comment is alone on its line. Errors are never dropped, and a
comment that names an error code (W008) or an unknown code (W009) is itself warned about.
Only real comments count, found with the lexer, so the text inside a string never
suppresses anything.

The walk recurses once per nesting level of the AST, like `nixeval.resolve`: run it where
deep expressions have the stack they need (as the command line does).
"""

from __future__ import annotations

import enum
import functools
import operator
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .builtins.names import BASE_ENV
from .diagnostics import CODES, Diagnostic, Label, warning
from .records import Record
from .spelling import closest
from .syntax import nodes as n
from .syntax.lexer import LexError, tokenize
from .syntax.nodes import AttrKind, BinaryOp, Span
from .syntax.source import Source

LINT_CODES: dict[str, str] = {
    "W001": "unused let binding",
    "W002": "unused function argument",
    "W003": "attribute set does not need 'rec'",
    "W004": "variable under 'with' refers to a lexical binding",
    "W005": "unknown builtin",
    "W006": "deprecated legacy 'let { … }'",
    "W007": "deprecated unquoted URL",
    # about `# ci-eval: ignore[…]` comments themselves (`apply_suppressions`)
    "W008": "ignore comment names an error code",
    "W009": "ignore comment names an unknown code",
}

# Where a function is a module, called by the module system with every module argument by
# name (so it ends in `...` and names only those it wants): the value of these attributes
# (and `effects`, which the Hercules CI agent calls with all its arguments the same way),
_MODULE_ATTRS = frozenset(
    [
        "perSystem",
        "herculesCI",
        "effects",
        "flakeModule",
        "nixosModule",
        "darwinModule",
        "homeModule",
    ]
)
# each element of these lists,
_MODULE_LISTS = frozenset(["imports", "modules"])
# each attribute of these sets,
_MODULE_SETS = frozenset(
    ["flakeModules", "nixosModules", "darwinModules", "homeModules", "homeManagerModules"]
)
# and the arguments of these functions (flake-parts' and nixpkgs lib's; `withSystem` passes
# a system's module arguments the same way).
_MODULE_CALLS = frozenset(
    [
        "mkFlake",
        "withSystem",
        "moduleWithSystem",
        "mkPerSystemOption",
        "mkPerSystemType",
        "submodule",
    ]
)
# The attributes whose value may hold modules (every attribute is asked first).
_MODULE_HOLDERS = _MODULE_ATTRS | _MODULE_LISTS | _MODULE_SETS

# The attributes of Nix 2.8's `builtins`: every global without its `__` (and `builtins`).
BUILTIN_ATTRS: frozenset[str] = frozenset(name.removeprefix("__") for name in BASE_ENV)
# Builtins Nix 2.8 has behind an experimental feature (flakes, fetch-closure).
_EXPERIMENTAL_BUILTINS = frozenset(["getFlake", "fetchClosure"])


def lint(expr: n.Expr, source: Source) -> list[Diagnostic]:
    """Every warning of `expr` (parsed from `source`), sorted by position."""
    linter = _Linter(source)
    linter.called_by_name |= _file_functions(expr, source)
    linter.expr(expr, None)
    unique = {(d.span.start, d.code, d.span.end, d.message): d for d in linter.found}
    return [unique[k] for k in sorted(unique)]


# --- scopes ---------------------------------------------------------------------------------


class _Kind(enum.Enum):
    """What bound a name, in the words of W004's message."""

    LET = "let binding"
    ARG = "function argument"
    REC = "attribute of the recursive set"


class _Binding:
    """A name bound in a scope, and whether it is used (compared by identity)."""

    __slots__ = ("kind", "name", "origin", "referenced", "span", "used", "value")

    def __init__(
        self,
        name: str,
        kind: _Kind,
        span: Span,  # the name
        value: n.Expr | None = None,  # the bound expression of a plain `name = value;`
        origin: n.Expr | None = None,  # the e of `inherit (e) name;`
    ) -> None:
        self.name = name
        self.kind = kind
        self.span = span
        self.value = value
        self.origin = origin
        self.used = False  # referenced from outside its own value
        self.referenced = False  # referenced at all


class _With(Record):
    """A `with` in scope."""

    node: n.With
    names: frozenset[str]  # the attributes its environment is known to have


class _Scope(Record):
    """The names one scope binds, inside the scope `up`."""

    bindings: Mapping[str, _Binding]
    up: _Scope | None
    with_: _With | None = None  # a `with` scope binds nothing lexically


def _resolve(name: str, scope: _Scope | None) -> tuple[_Binding | None, _With | None]:
    """The lexical binding of `name` (None: the base environment, a `with`, or nothing),
    and the innermost `with` in between that statically has an attribute `name`."""
    hiding: _With | None = None
    while scope is not None:
        w = scope.with_
        if w is not None:
            if hiding is None and name in w.names:
                hiding = w
        else:
            b = scope.bindings.get(name)
            if b is not None:
                return b, hiding
        scope = scope.up
    return None, None


# --- guards for newer builtins ----------------------------------------------------------------


def _guards(cond: n.Expr) -> frozenset[str]:
    """The builtins `cond` being true proves present: ``builtins ? x && …``."""
    match cond:
        case n.HasAttr(expr=n.Var(name="builtins"), path=(n.StaticAttr(name=name), *_)):
            return frozenset([name])
        case n.BinOp(op=BinaryOp.AND, left=left, right=right):
            return _guards(left) | _guards(right)
        case _:
            return frozenset()


def _negated_guards(cond: n.Expr) -> frozenset[str]:
    """The builtins `cond` being false proves present: ``!(builtins ? x) || …``."""
    match cond:
        case n.Not(expr=inner):
            return _guards(inner)
        case n.BinOp(op=BinaryOp.OR, left=left, right=right):
            return _negated_guards(left) | _negated_guards(right)
        case _:
            return frozenset()


# --- the walk -------------------------------------------------------------------------------

# What may come between a node's start and its first keyword or name: `(`, `@`, blanks,
# comments.
_GAP = re.compile(r"(?:[\s(@]+|#[^\n]*|/\*.*?\*/)*", re.DOTALL)


class _Linter:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.found: list[Diagnostic] = []
        self.defining: set[_Binding] = set()  # bindings whose own value is being walked
        self.guarded: frozenset[str] = frozenset()  # builtins proven present here
        self.walked: set[int] = set()  # ids of `inherit (e)` sources already walked
        self.called_by_name: set[int] = set()  # ids of lambdas whose formals W002 skips

    def warn(
        self,
        code: str,
        message: str,
        span: Span,
        notes: Sequence[str] = (),
        labels: Sequence[Label] = (),
    ) -> None:
        self.found.append(warning(code, message, self.source, span, labels, notes))

    def line(self, span: Span) -> int:
        return self.source.position(span.start).line

    def word_span(self, start: int, word: str, fallback: Span) -> Span:
        """The span of `word` after `start` and any parentheses, blanks and comments."""
        text = self.source.text
        m = _GAP.match(text, start)
        pos = m.end() if m else start
        return Span(pos, pos + len(word)) if text.startswith(word, pos) else fallback

    # --- expressions --------------------------------------------------------------------------

    def expr(self, e: n.Expr, scope: _Scope | None) -> None:
        _EXPR[type(e)](self, e, scope)

    # One method per node class, found by `expr` through `_EXPR` (below the class): a
    # dictionary lookup, where a ``match`` on the node's class tries the cases one by one.

    def leaf(self, e: n.Expr, scope: _Scope | None) -> None:
        pass

    def uri(self, e: n.Uri, scope: _Scope | None) -> None:
        self.warn("W007", "URL literals are deprecated", e.span, [f'help: quote it: "{e.value}"'])

    def parts(self, e: n.Str | n.Path, scope: _Scope | None) -> None:
        for p in e.parts:
            if not isinstance(p, str):
                self.expr(p, scope)

    def has_attr(self, e: n.HasAttr, scope: _Scope | None) -> None:
        self.expr(e.expr, scope)
        self.attr_path(e.path, scope)

    def apply(self, e: n.Apply, scope: _Scope | None) -> None:
        if _callee(e.fn) in _MODULE_CALLS:
            self.called_by_name |= _modules(e.arg)
        self.expr(e.fn, scope)
        self.expr(e.arg, scope)

    def operand(self, e: n.Not | n.Negate, scope: _Scope | None) -> None:
        self.expr(e.expr, scope)

    def list_(self, e: n.List, scope: _Scope | None) -> None:
        for x in e.elements:
            self.expr(x, scope)

    def legacy_let(self, e: n.LegacyLet, scope: _Scope | None) -> None:
        self.warn(
            "W006",
            "the legacy 'let { …; body = …; }' is deprecated",
            self.word_span(e.span.start, "let", e.span),
            ["help: use 'let … in …', with the value of 'body' after 'in'"],
        )
        self.rec_bindings(e.attrs, scope)

    def assert_(self, e: n.Assert, scope: _Scope | None) -> None:
        self.expr(e.cond, scope)
        self.guarded_expr(_guards(e.cond), e.body, scope)

    def if_(self, e: n.If, scope: _Scope | None) -> None:
        self.expr(e.cond, scope)
        self.guarded_expr(_guards(e.cond), e.then, scope)
        self.guarded_expr(_negated_guards(e.cond), e.else_, scope)

    def guarded_expr(self, names: frozenset[str], e: n.Expr, scope: _Scope | None) -> None:
        if not names:
            self.expr(e, scope)
            return
        outer = self.guarded
        self.guarded = outer | names
        self.expr(e, scope)
        self.guarded = outer

    def binop(self, e: n.BinOp, scope: _Scope | None) -> None:
        self.expr(e.left, scope)
        if e.op is BinaryOp.AND:
            self.guarded_expr(_guards(e.left), e.right, scope)
        elif e.op is BinaryOp.OR:
            self.guarded_expr(_negated_guards(e.left), e.right, scope)
        else:
            self.expr(e.right, scope)

    def attr_path(self, path: Sequence[n.AttrName], scope: _Scope | None) -> None:
        for a in path:
            if isinstance(a, n.DynamicAttr):
                self.expr(a.expr, scope)

    def value(self, binding: _Binding, e: n.Expr, scope: _Scope | None) -> None:
        """Walk the value of `binding`: references to it from there do not use it."""
        self.defining.add(binding)
        self.expr(e, scope)
        self.defining.discard(binding)

    # --- variables ----------------------------------------------------------------------------

    def var(self, v: n.Var, scope: _Scope | None) -> None:
        b, hiding = _resolve(v.name, scope)
        if b is None:
            return
        b.referenced = True
        if b not in self.defining:
            b.used = True
        if hiding is not None and not _same_attribute(b, hiding.node.env):
            self.shadowed(v, b, hiding)

    def shadowed(self, v: n.Var, b: _Binding, w: _With) -> None:
        env = w.node.env
        fix = (
            f"help: write '{env.name}.{v.name}' if the attribute is meant"
            if isinstance(env, n.Var)
            else f"help: rename the {b.kind.value} if the attribute is meant"
        )
        self.warn(
            "W004",
            f"'{v.name}' refers to the {b.kind.value} at line {self.line(b.span)}, "
            "not to the attribute of the enclosing 'with'",
            v.span,
            [
                "note: let bindings, function arguments and rec attributes take precedence "
                "over 'with'",
                fix,
            ],
            [
                Label(env.span, f"this also provides '{v.name}'"),
                Label(b.span, f"'{v.name}' is bound here"),
            ],
        )

    # --- builtins -----------------------------------------------------------------------------

    def select(self, s: n.Select, scope: _Scope | None) -> None:
        self.expr(s.expr, scope)
        self.attr_path(s.path, scope)
        if s.default is not None:
            self.expr(s.default, scope)
        else:
            self.check_builtin(s, scope)

    def check_builtin(self, s: n.Select, scope: _Scope | None) -> None:
        """W005 for ``builtins.x`` (no ``or``) where Nix 2.8 has no builtin x."""
        first = s.path[0]
        if not (isinstance(s.expr, n.Var) and s.expr.name == "builtins"):
            return
        if not isinstance(first, n.StaticAttr):
            return
        name = first.name
        known = name in BUILTIN_ATTRS or name in _EXPERIMENTAL_BUILTINS
        if known or name in self.guarded or _resolve("builtins", scope)[0] is not None:
            return
        suggestion = _builtin_like(name)
        note = (
            f"help: did you mean '{suggestion}'?"
            if suggestion
            else f"help: if it is a builtin of a newer Nix, write 'builtins.{name} or …' "
            f"or test 'builtins ? {name}' first"
        )
        self.warn("W005", f"'{name}' is not a builtin of Nix 2.8", first.span, [note])

    # --- functions ----------------------------------------------------------------------------

    def lambda_(self, lam: n.Lambda, scope: _Scope | None) -> None:
        bindings: dict[str, _Binding] = {}
        if lam.param is not None:
            bindings[lam.param] = _Binding(lam.param, _Kind.ARG, self.param_span(lam))
        formals = lam.formals.entries if lam.formals is not None else ()
        for f in formals:
            name_span = Span(f.span.start, f.span.start + len(f.name))
            bindings[f.name] = _Binding(f.name, _Kind.ARG, name_span)
        inner = _Scope(bindings, scope)
        for f in formals:
            if f.default is not None:
                self.value(bindings[f.name], f.default, inner)
        self.expr(lam.body, inner)
        if lam.param is not None:
            self.unused_param(lam, bindings[lam.param])
            if bindings[lam.param].used:
                return  # `args@{ src }:` passes args on: its formals say what it holds
        if id(lam) in self.called_by_name:
            return
        for f in formals:
            self.unused_formal(lam, bindings[f.name])

    def param_span(self, lam: n.Lambda) -> Span:
        """The span of the name of ``x: …``, ``x@{ … }: …`` or ``{ … }@x: …``."""
        assert lam.param is not None
        start = lam.span.start
        if lam.formals is not None and not lam.param_first:
            start = lam.formals.span.end
        return self.word_span(start, lam.param, lam.span)

    def unused_param(self, lam: n.Lambda, b: _Binding) -> None:
        if b.used or b.name.startswith("_"):
            return
        if lam.formals is None:
            note = f"help: rename it to '_{b.name}' if it is unused on purpose"
        elif lam.param_first:
            note = f"help: remove '{b.name}@'"
        else:
            note = f"help: remove '@{b.name}'"
        self.warn("W002", f"unused function argument '{b.name}'", b.span, [note])

    def unused_formal(self, lam: n.Lambda, b: _Binding) -> None:
        if b.used or b.name.startswith("_"):
            return
        assert lam.formals is not None
        if lam.formals.ellipsis:
            notes = ["help: remove it (the '...' still accepts it)"]
        else:
            notes = [
                f"note: without it, calls that pass '{b.name}' would fail",
                "help: to keep it, add '# ci-eval: ignore[W002]' on its line",
            ]
        self.warn("W002", f"unused function argument '{b.name}'", b.span, notes)

    # --- bindings -----------------------------------------------------------------------------

    def defs(
        self,
        defs: Sequence[n.AttrDef],
        bindings: Mapping[str, _Binding],
        inner: _Scope | None,
        outer: _Scope | None,
    ) -> None:
        """Walk the values of `defs`: ``inherit x;`` looks outside, the rest inside."""
        for d in defs:
            if d.kind is AttrKind.PLAIN and d.name in _MODULE_HOLDERS:
                self.called_by_name |= _modules_of(d.name, d.value)
            if d.kind is AttrKind.INHERIT:
                self.expr(d.value, outer)
            elif d.kind is AttrKind.INHERIT_FROM:
                self.inherit_from(d.value, inner)
            elif d.name in bindings:
                self.value(bindings[d.name], d.value, inner)
            else:
                self.expr(d.value, inner)

    def inherit_from(self, value: n.Expr, scope: _Scope | None) -> None:
        """``inherit (e) x y;``: each name is ``Select(e, x)``, sharing one `e`."""
        assert isinstance(value, n.Select)
        if id(value.expr) not in self.walked:
            self.walked.add(id(value.expr))
            self.expr(value.expr, scope)
        self.check_builtin(value, scope)

    def let_in(self, let: n.LetIn, scope: _Scope | None) -> None:
        bindings = {d.name: _binding(d, _Kind.LET) for d in let.bindings}
        inner = _Scope(bindings, scope)
        self.defs(let.bindings, bindings, inner, scope)
        self.expr(let.body, inner)
        for b in bindings.values():
            if not b.used and not b.name.startswith("_"):
                notes = ["help: remove it"]
                if b.referenced:
                    notes.insert(0, "note: it is only used in its own definition")
                self.warn("W001", f"unused let binding '{b.name}'", b.span, notes)

    def attrset(self, s: n.AttrSet, scope: _Scope | None) -> None:
        self.called_by_name |= _network_modules(s)
        if s.recursive:
            bindings = self.rec_bindings(s, scope)
            if not any(b.referenced for b in bindings.values()):
                rec = self.word_span(s.span.start, "rec", Span(s.span.start, s.span.start + 3))
                self.warn(
                    "W003", "this attribute set does not need 'rec'", rec, ["help: remove 'rec'"]
                )
            return
        self.defs(s.attrs, {}, scope, scope)
        for dd in s.dynamic:
            self.expr(dd.key, scope)
            self.expr(dd.value, scope)

    def rec_bindings(self, s: n.AttrSet, scope: _Scope | None) -> dict[str, _Binding]:
        """Walk a ``rec { }`` (or a legacy let) whose names are in scope of its values."""
        bindings = {d.name: _binding(d, _Kind.REC) for d in s.attrs}
        inner = _Scope(bindings, scope)
        self.defs(s.attrs, bindings, inner, scope)
        for dd in s.dynamic:
            self.expr(dd.key, inner)
            self.expr(dd.value, inner)
        return bindings

    def with_(self, w: n.With, scope: _Scope | None) -> None:
        self.expr(w.env, scope)
        names = _static_attrs(w.env, scope)
        self.expr(w.body, _Scope({}, scope, _With(w, names)))


_EXPR: dict[type, Callable[[_Linter, Any, _Scope | None], None]] = {
    n.Var: _Linter.var,
    n.Int: _Linter.leaf,
    n.Float: _Linter.leaf,
    n.CurPos: _Linter.leaf,
    n.SearchPath: _Linter.leaf,
    n.Uri: _Linter.uri,
    n.Str: _Linter.parts,
    n.Path: _Linter.parts,
    n.Select: _Linter.select,
    n.HasAttr: _Linter.has_attr,
    n.Lambda: _Linter.lambda_,
    n.Apply: _Linter.apply,
    n.BinOp: _Linter.binop,
    n.Not: _Linter.operand,
    n.Negate: _Linter.operand,
    n.List: _Linter.list_,
    n.AttrSet: _Linter.attrset,
    n.LegacyLet: _Linter.legacy_let,
    n.LetIn: _Linter.let_in,
    n.With: _Linter.with_,
    n.Assert: _Linter.assert_,
    n.If: _Linter.if_,
}


@functools.lru_cache(maxsize=1024)
def _builtin_like(name: str) -> str | None:
    """The builtin `name` is likely a misspelling of (a file often repeats one)."""
    return closest(name, BUILTIN_ATTRS)


# --- functions called with their arguments by name -------------------------------------------


def _callee(fn: n.Expr) -> str | None:
    """The name of the function a call applies, its arguments peeled: ``mkFlake`` for
    ``flake-parts.lib.mkFlake { … }``."""
    while isinstance(fn, n.Apply):
        fn = fn.fn
    if isinstance(fn, n.Var):
        return fn.name
    if isinstance(fn, n.Select) and isinstance(fn.path[-1], n.StaticAttr):
        return fn.path[-1].name
    return None


def _modules(e: n.Expr) -> set[int]:
    """`e` if it is a module function: a function with formals that end in ``...``."""
    if isinstance(e, n.Lambda) and e.formals is not None and e.formals.ellipsis:
        return {id(e)}
    return set()


def _modules_of(name: str, value: n.Expr) -> set[int]:
    """The module functions that attribute `name` holds (`_MODULE_ATTRS` and the rest)."""
    if name in _MODULE_ATTRS:
        return _modules(value)
    if name in _MODULE_LISTS and isinstance(value, n.List):
        return {m for element in value.elements for m in _modules(element)}
    if name in _MODULE_SETS and isinstance(value, n.AttrSet):
        return {m for d in value.attrs if d.kind is AttrKind.PLAIN for m in _modules(d.value)}
    return set()


_name = operator.attrgetter("name")


def _network_modules(s: n.AttrSet) -> set[int]:
    """The modules of a NixOps network (a set with a ``network`` attribute): each machine
    and ``defaults`` is a NixOS module, each ``resources.<type>.<name>`` a resource's."""
    if "network" not in map(_name, s.attrs):  # asked of every set: no call per attribute
        return set()
    found: set[int] = set()
    for d in s.attrs:
        if d.kind is not AttrKind.PLAIN:
            continue
        if d.name == "resources" and isinstance(d.value, n.AttrSet):
            for kind in d.value.attrs:
                if isinstance(kind.value, n.AttrSet):
                    found |= {m for r in kind.value.attrs for m in _modules(r.value)}
        found |= _modules(d.value)
    return found


def _body(e: n.Expr) -> n.Expr:
    """`e` without the ``let … in``, ``with …;`` and ``assert …;`` in front of its value."""
    while isinstance(e, n.LetIn | n.With | n.Assert):
        e = e.body
    return e


def _file_functions(expr: n.Expr, source: Source) -> set[int]:
    """The functions called by name for being the file's value: a module (a function with
    ``...`` that returns an attribute set, as ``imports = [ ./ci.nix ]`` calls it), and a
    flake's ``outputs``, which Nix calls with ``self`` and every input, ``...`` or not."""
    value = _body(expr)
    if isinstance(value, n.Lambda):
        return _modules(value) if isinstance(_body(value.body), n.AttrSet) else set()
    if os.path.basename(source.name) != "flake.nix" or not isinstance(value, n.AttrSet):
        return set()
    for d in value.attrs:
        if d.kind is AttrKind.PLAIN and d.name == "outputs" and isinstance(d.value, n.Lambda):
            return {id(d.value)}
    return set()


def _binding(d: n.AttrDef, kind: _Kind) -> _Binding:
    if d.kind is AttrKind.INHERIT_FROM:
        assert isinstance(d.value, n.Select)
        return _Binding(d.name, kind, d.span, origin=d.value.expr)
    value = d.value if d.kind is AttrKind.PLAIN else None
    return _Binding(d.name, kind, d.span, value)


def _same_attribute(b: _Binding, env: n.Expr) -> bool:
    """Whether `b` is ``inherit (e) x;`` with `e` the same variable as `env`: then the
    lexical binding and the attribute are one value (``inherit (builtins) map;`` under
    ``with builtins;``), and nothing surprises."""
    origin = b.origin
    return isinstance(origin, n.Var) and isinstance(env, n.Var) and origin.name == env.name


def _static_attrs(env: n.Expr, scope: _Scope | None) -> frozenset[str]:
    """The attributes a `with` environment certainly has, as far as is known statically."""
    if isinstance(env, n.Var):
        b, _ = _resolve(env.name, scope)
        if b is None:
            return BUILTIN_ATTRS if env.name == "builtins" else frozenset()
        env = b.value if b.value is not None else env
    if isinstance(env, n.AttrSet):
        # `inherit x;` gives the attribute the very value x has outside: not a surprise.
        return frozenset(d.name for d in env.attrs if d.kind is not AttrKind.INHERIT)
    return frozenset()


# --- suppressions ---------------------------------------------------------------------------

_COMMENT = re.compile(r"#[^\n]*|/\*.*?\*/", re.DOTALL)
_IGNORE = re.compile(r"#[ \t]*ci-eval:[ \t]*ignore(?:\[([^\]\n]*)\]|(?![\w\[-]))")
# A code in ``ignore[…]``: what lies between commas, without the blanks around it.
_LISTED = re.compile(r"[^,\s](?:[^,]*[^,\s])?")

# Per line: the codes suppressed there, or None for all of them.
_Rules = dict[int, frozenset[str] | None]


class _Listed(Record):
    """A code as an ``ignore[…]`` comment names it (upper-cased), and where."""

    code: str
    span: Span


def apply_suppressions(source: Source, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """`diagnostics` without the warnings of `source` that a ``# ci-eval: ignore`` comment
    covers, then a warning for each code a comment names that it cannot ignore.

    A comment covers its own line, and the next line when it is alone on its line;
    ``ignore[W001, W003]`` covers those codes, ``ignore`` every warning. Errors are never
    dropped: a file with an error does not do what it should, whatever a comment says, so
    naming an error code is itself a warning (W008), and so is naming no known code (W009).
    Diagnostics of other sources pass through."""
    if "ci-eval" not in source.text:
        return list(diagnostics)
    rules, listed = _rules(source)
    kept = [d for d in diagnostics if not _suppressed(d, source, rules)]
    return kept + [_cannot_ignore(source, item) for item in listed if _cannot_ignore_code(item)]


def _suppressed(d: Diagnostic, source: Source, rules: _Rules) -> bool:
    if d.is_error or d.source.name != source.name:
        return False
    line = source.position(d.span.start).line
    if line not in rules:
        return False
    codes = rules[line]
    return codes is None or d.code in codes


def _cannot_ignore_code(item: _Listed) -> bool:
    return item.code not in CODES or item.code.startswith("E")


def _cannot_ignore(source: Source, item: _Listed) -> Diagnostic:
    if item.code in CODES:
        return warning(
            "W008",
            f"{item.code} is an error, and errors cannot be ignored",
            source,
            item.span,
            notes=["help: fix the error; '# ci-eval: ignore' drops warnings only"],
        )
    return warning(
        "W009",
        f"'{item.code}' is not a ci-eval diagnostic code",
        source,
        item.span,
        notes=["help: the codes are those ci-eval prints, e.g. W001 (see docs/diagnostics.md)"],
    )


def _rules(source: Source) -> tuple[_Rules, list[_Listed]]:
    """What each line's comments suppress, and every code the comments name."""
    rules: _Rules = {}
    listed: list[_Listed] = []
    for start, comment in _comments(source):
        m = _IGNORE.match(comment)
        if m is None:
            continue
        codes: frozenset[str] | None = None
        if m.group(1) is not None:
            at = start + m.start(1)
            items = [
                _Listed(c.group().upper(), Span(at + c.start(), at + c.end()))
                for c in _LISTED.finditer(m.group(1))
            ]
            listed += items
            codes = frozenset(i.code for i in items)
        pos = source.position(start)
        alone = source.line_text(pos.line)[: pos.column - 1].strip() == ""
        for line in (pos.line, pos.line + 1) if alone else (pos.line,):
            known = rules.get(line, frozenset())
            rules[line] = None if codes is None or known is None else known | codes
    return rules, listed


def _comments(source: Source) -> Iterator[tuple[int, str]]:
    """The offset and text of every comment: what lies between the lexer's tokens. After a
    lexical error, only the comments before it."""
    text = source.text
    prev = 0
    try:
        for tok in tokenize(source):
            if tok.start > prev:
                yield from _gap_comments(text, prev, tok.start)
            prev = max(prev, tok.end)
    except LexError as e:
        if e.start > prev:
            yield from _gap_comments(text, prev, e.start)


def _gap_comments(text: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    for m in _COMMENT.finditer(text, start, end):
        yield m.start(), m.group()


__all__ = ["BUILTIN_ATTRS", "LINT_CODES", "apply_suppressions", "lint"]
