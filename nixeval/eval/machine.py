"""The evaluator: expressions to values, lazily, with Nix 2.8's semantics.

`Machine.eval` takes an expression and an environment to a value in weak head normal form
(never a thunk); `force` runs a thunk once and remembers the value; `Machine.call` applies a
function (lambda, builtin, or set with ``__functor``) to an argument item.

What becomes a thunk is decided in `Machine.item` alone, as Nix's ``maybeThunk`` decides it:
integer, float, plain string and plain path literals are values; a variable shares the item
it names (unless it comes from a ``with``); anything else is a new thunk. Attribute values,
``let`` bindings, list elements and function arguments all go through it.

Python recursion follows Nix recursion; the command line runs evaluation in a thread with a
large stack and recursion limit, and a RecursionError becomes a clean `StackOverflow`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..spelling import closest
from ..syntax import nodes as n
from ..syntax.nodes import AttrKind, BinaryOp
from ..syntax.printer import to_nix
from ..syntax.source import Source
from ..values import (
    A_STRING,
    EVALUATED,
    Attrs,
    Closure,
    CStr,
    PrimOp,
    PrimOpApp,
    Thunk,
    Unknown,
    context_path,
    show_type,
)
from . import errors as E
from . import ops
from .access import PathAccess
from .coerce import (
    canon_path,
    concat_strings,
    hole,
    is_string,
    resolve_path_literal,
    wrap,
)
from .env import MISSING, Env, FileContext, lookup_lexical
from .force import force

if TYPE_CHECKING:
    from ..sources.session import Sources

# Errors gather at most this many trace notes (a deep recursion would gather thousands).
MAX_TRACE = 64


class Machine:
    """One evaluation: its options, import cache, search path and base environment."""

    def __init__(
        self,
        search_path: list[tuple[str, str]] | None = None,
        environ: dict[str, str] | None = None,
        pure: bool = False,
        unknowns: bool = False,
        allowed_paths: Sequence[str] | None = None,
        restricted_hint: str | None = None,
        sources: Sources | None = None,
        flakes: bool | None = None,
    ) -> None:
        """`allowed_paths` (None: no restriction) is restricted mode, for untrusted code:
        Nix code may then read only files below these directories (and ci-eval's own
        models), the environment is ignored (``builtins.getEnv`` gives ``""``, ``~/x`` is
        an error), and fetchers of local paths are checked too. Breaking a rule is
        `E.RestrictedPath` (E112), with `restricted_hint` as its help. Of the search path
        only the entries below a root are kept: Nix's restricted mode makes its search
        path readable, and here the caller decides what is (`nixeval.commands.purity`
        makes the ``-I`` entries roots); any other entry is not even named to the code.

        `pure` is Nix's pure evaluation: ``builtins.getEnv`` is ``""`` and the clock
        (``builtins.currentTime``) is missing. `flakes` is Nix's experimental feature of
        that name (``builtins.getFlake``); by default on with `unknowns` (a project)."""
        from ..builtins.base import make_base_env
        from ..builtins.control import IMPURE_CONSTANTS

        self.access = PathAccess(allowed_paths, restricted_hint)
        # Where pinned sources (flake inputs, fetchers with a hash) are found: `sources`.
        self._sources = sources
        search_path = list(search_path or [])
        if self.access.restricted:
            # $HOME and friends are the user's business, not untrusted code's.
            environ = {}
            search_path = [
                (prefix, path)
                for prefix, path in search_path
                if path.startswith("/") and self.access.allows(canon_path(path))
            ]
        self.search_path = search_path
        self.environ = dict(os.environ if environ is None else environ)
        self.pure = pure
        # With unknowns, what needs the network or an unresolvable <path> is an Unknown
        # instead of an error (the offline evaluation of ci.nix); without, `--eval` fails
        # exactly where nix-instantiate would.
        self.unknowns = unknowns
        self.import_cache: dict[str, Any] = {}
        # The files imported, in the order first read, with their text.
        self.files_read: dict[str, Source] = {}
        self.model_cache: dict[str, Any] = {}  # the offline nixpkgs' models, built once
        # What the store-free store knows: text of files builtins.toFile made, and the
        # source each computed source path was made from, so reading them back works.
        self.store_texts: dict[str, str] = {}
        self.store_files: dict[str, str] = {}
        # Nix names a function after the attribute or let binding it is defined in.
        self.lambda_names: dict[int, str] = {}
        self._derivations: Any = None
        self.base_vars, self.builtins = make_base_env(self)
        if not (unknowns if flakes is None else flakes):
            # Nix 2.8 has getFlake with its experimental flakes feature only: projects are
            # evaluated with it, --eval as nix-instantiate (unless the feature is given).
            self.builtins.items.pop("getFlake", None)
        if pure:
            # As in Nix's pure mode the names do not exist at all: `builtins ? currentTime`
            # is false, `builtins.currentTime` a missing attribute, `__currentTime` an
            # undefined variable.
            for name in IMPURE_CONSTANTS:
                self.builtins.items.pop(name, None)
                self.base_vars.pop(f"__{name}", None)
        self._dispatch: dict[type, Callable[[Any, Env], Any]] = {
            n.Int: _literal,
            n.Float: _literal,
            n.Str: self._eval_str,
            n.Path: self._eval_path,
            n.SearchPath: self._eval_search_path,
            n.Uri: _uri,
            n.Var: self._eval_var,
            n.CurPos: _cur_pos,
            n.Select: self._eval_select,
            n.HasAttr: self._eval_has_attr,
            n.Lambda: _lambda,
            n.Apply: self._eval_apply,
            n.BinOp: self._eval_binop,
            n.Not: self._eval_not,
            n.Negate: self._eval_negate,
            n.List: self._eval_list,
            n.AttrSet: self._eval_attrset,
            n.LetIn: self._eval_let,
            n.LegacyLet: self._eval_legacy_let,
            n.With: self._eval_with,
            n.Assert: self._eval_assert,
            n.If: self._eval_if,
        }

    @property
    def sources(self) -> Sources:
        """Where pinned sources are found; by default only in the Nix store and ci-eval's
        cache, never over the network. Made when first asked for, so that an evaluation
        that pins nothing does not load the store code."""
        if self._sources is None:
            from ..sources.session import Sources

            self._sources = Sources()
        return self._sources

    def check_path(self, path: str) -> str:
        """The path to touch when Nix code reads `path` (`PathAccess.check`): `path`
        itself, unless restricted mode forbids it (E112) or resolves its symlinks. A
        file inside a modelled package's output (``/nix/store/«pkgs.nixops»/…``,
        `nixeval.nixpkgs.model`) is unknown: nixpkgs is not built."""
        if "«" in path:
            raise E.NeedsValue(Unknown(f"the file {path} (a modelled build output)"), "reading it")
        return self.access.check(path)

    @property
    def derivations(self) -> Any:
        """The derivations computed in this evaluation (for hashDerivationModulo)."""
        if self._derivations is None:
            from ..store import DerivationStore

            self._derivations = DerivationStore()
        return self._derivations

    # --- entry points ---------------------------------------------------------------------

    def file_env(self, source: Source, base_dir: str, extra: dict[str, Any] | None = None) -> Env:
        """The environment a file's top expression is evaluated in."""
        ctx = FileContext(self, source, base_dir)
        base = Env(self.base_vars, None, ctx)
        return Env(extra, base, ctx) if extra else base

    def eval(self, e: n.Expr, env: Env) -> Any:
        """The value of `e` in `env`, in weak head normal form."""
        return self._dispatch[type(e)](e, env)

    def item(self, e: n.Expr, env: Env) -> Any:
        """What a binding of `e` holds: Nix's maybeThunk."""
        t = type(e)
        if t is n.Int or t is n.Float:
            return e.value  # type: ignore[union-attr]
        if t is n.Str:
            parts = e.parts  # type: ignore[union-attr]
            if not parts:
                return ""
            if len(parts) == 1 and type(parts[0]) is str:
                return parts[0]
        elif t is n.Path:
            if len(e.parts) == 1:  # type: ignore[union-attr]
                return self._eval_path(e, env)  # type: ignore[arg-type]
        elif t is n.Var:
            item = lookup_lexical(env, e.name)  # type: ignore[union-attr]
            if item is not MISSING:
                return item
        return Thunk(e, env)

    # --- errors ---------------------------------------------------------------------------

    @staticmethod
    def type_error(
        value: Any, expected: str, env: Env | None = None, span: n.Span | None = None
    ) -> E.EvalError:
        if type(value) is Unknown:
            err: E.EvalError = E.NeedsValue(value, f"using it as {expected}")
        else:
            err = E.TypeMismatch(f"value is {show_type(value)} while {expected} was expected")
        if env is not None:
            err.at(env.ctx.source, span)
        return err

    def force_attrs(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> Attrs:
        v = force(item)
        if type(v) is not Attrs:
            raise self.type_error(v, "a set", env, span)
        return v

    def force_list(
        self, item: Any, env: Env | None = None, span: n.Span | None = None
    ) -> list[Any]:
        v = force(item)
        if type(v) is not list:
            raise self.type_error(v, "a list", env, span)
        return v

    def force_bool(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> bool:
        v = force(item)
        if type(v) is not bool:
            raise self.type_error(v, "a Boolean", env, span)
        return v

    def force_string(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> str:
        v = force(item)
        if not isinstance(v, str):
            raise self.type_error(v, "a string", env, span)
        return v

    def force_string_no_ctx(
        self, item: Any, env: Env | None = None, span: n.Span | None = None
    ) -> str:
        v = self.force_string(item, env, span)
        if type(v) is CStr:
            err = E.EvalError(
                f"the string '{v}' is not allowed to refer to a store path "
                f"(such as '{context_path(sorted(v.ctx)[0])}')"
            )
            if env is not None:
                err.at(env.ctx.source, span)
            raise err
        return v

    # --- variables ------------------------------------------------------------------------

    def _eval_var(self, e: n.Var, env: Env) -> Any:
        item = lookup_lexical(env, e.name)
        if item is MISSING:
            item = self._lookup_with(e, env)
        return force(item)

    def _lookup_with(self, e: n.Var, env: Env) -> Any:
        scope: Env | None = env
        while scope is not None:
            if scope.with_ is not None:
                with_value = force(scope.with_)
                if type(with_value) is Unknown:
                    # The name may come from this set: only it can say.
                    return with_value.derive(
                        f"{_operand(with_value)}.{_attr_text(e.name)}", env.ctx.source, e.span
                    )
                attrs = self.force_attrs(with_value, env, e.span)
                item = attrs.items.get(e.name, MISSING)
                if item is not MISSING:
                    return item
            scope = scope.up
        raise E.UndefinedVariable(f"undefined variable '{e.name}'").at(env.ctx.source, e.span)

    # --- strings and paths ----------------------------------------------------------------

    def _eval_str(self, e: n.Str, env: Env) -> Any:
        parts = e.parts
        if not parts:
            return ""
        if len(parts) == 1 and type(parts[0]) is str:
            return parts[0]
        values: list[tuple[Any, Any]] = []
        for p in parts:
            if isinstance(p, str):
                values.append((p, None))
                continue
            try:
                values.append((self.eval(p, env), p))
            except E.NeedsValue as err:
                if not self.unknowns:
                    raise
                # ``"…${if u then a else b}…"``: the string is known but for this part.
                values.append((hole(p, env.ctx.source, err), p))
        return concat_strings(self, values, True, env, e.span)

    def _eval_path(self, e: n.Path, env: Env) -> Any:
        try:
            first = resolve_path_literal(e.parts[0], env)  # type: ignore[arg-type]
        except E.EvalError as err:  # ``~/x`` in restricted mode
            raise err.at(env.ctx.source, e.span) from None
        if len(e.parts) == 1:
            return first
        items: list[tuple[Any, Any]] = [(first, None)] + [
            (p, None) if isinstance(p, str) else (self.eval(p, env), p) for p in e.parts[1:]
        ]
        return concat_strings(self, items, False, env, e.span)

    def _eval_search_path(self, e: n.SearchPath, env: Env) -> Any:
        # <p> is `__findFile __nixPath "p"`, with whatever those two names are bound to.
        find = self._eval_var(n.Var(e.span, "__findFile"), env)
        nix_path = self.item(n.Var(e.span, "__nixPath"), env)
        partial = self.call(find, nix_path, env, e.span)
        return self.call(partial, e.name, env, e.span)

    # --- attribute access -----------------------------------------------------------------

    def attr_name(self, a: n.AttrName, env: Env) -> str:
        if type(a) is n.StaticAttr:
            return a.name
        return self.force_string_no_ctx(self.eval(a.expr, env), env, a.span)  # type: ignore[union-attr]

    def _eval_select(self, e: n.Select, env: Env) -> Any:
        value = self.eval(e.expr, env)
        for a in e.path:
            name = self.attr_name(a, env)
            if type(value) is not Attrs:
                if type(value) is Unknown:
                    if (
                        e.default is not None
                        and value.model is not None
                        and value.model.has_attr(name) is False
                    ):
                        return self.eval(e.default, env)  # known to be missing
                    value = self._select_unknown(value, name, env, e.span)
                    continue
                if e.default is not None:
                    return self.eval(e.default, env)
                raise self.type_error(value, "a set", env, e.span)
            item = value.items.get(name, MISSING)
            if item is MISSING:
                if e.default is not None:
                    return self.eval(e.default, env)
                raise self.missing_attribute(name, value, env, e.span)
            try:
                value = force(item)
            except E.EvalError as err:
                if len(err.trace) >= MAX_TRACE:
                    raise
                err.note(
                    f"while evaluating the attribute '{_show_path(e.path)}'",
                    *self._position_of(value, name, env, e.span),
                )
                raise
        return value

    def _select_unknown(self, value: Unknown, name: str, env: Env, span: n.Span) -> Any:
        """``u.name``: what the overlay knows, else another unknown. (With ``or d`` the
        attribute may or may not exist: still unknown.)"""
        if value.overlay is not None and name in value.overlay:
            return force(value.overlay[name])
        if value.model is not None:
            modelled = value.model.selected(self, value, name)
            if modelled is not None:
                return modelled
        return value.derive(f"{_operand(value)}.{_attr_text(name)}", env.ctx.source, span)

    def missing_attribute(self, name: str, attrs: Attrs, env: Env, span: n.Span) -> E.EvalError:
        suggestion = closest(name, attrs.items)
        err = E.MissingAttribute(
            f"attribute '{name}' missing",
            hint=f"did you mean '{suggestion}'?" if suggestion else None,
        )
        return err.at(env.ctx.source, span)

    def _position_of(self, attrs: Any, name: str, env: Env, span: n.Span) -> tuple[Source, n.Span]:
        where = attrs.position(name) if type(attrs) is Attrs else None
        return where if where is not None else (env.ctx.source, span)

    def _eval_has_attr(self, e: n.HasAttr, env: Env) -> bool:
        value = self.eval(e.expr, env)
        for i, a in enumerate(e.path):
            if i:
                value = force(value)
            name = self.attr_name(a, env)
            if type(value) is not Attrs:
                if type(value) is Unknown:
                    if value.overlay is not None and name in value.overlay:
                        value = value.overlay[name]
                        continue
                    known = value.model.has_attr(name) if value.model is not None else None
                    if known is False:
                        return False
                    if known is True:
                        if i == len(e.path) - 1:
                            return True
                        value = self._select_unknown(value, name, env, e.span)
                        continue
                    return value.derive(  # type: ignore[return-value]
                        f"{_operand(value)} ? {_attr_text(name)}", env.ctx.source, e.span
                    )
                return False
            item = value.items.get(name, MISSING)
            if item is MISSING:
                return False
            value = item
        return True

    # --- functions ------------------------------------------------------------------------

    def _eval_apply(self, e: n.Apply, env: Env) -> Any:
        fn = self.eval(e.fn, env)
        try:
            return self.call(fn, self.item(e.arg, env), env, e.span)
        except RecursionError:
            # Out of Python stack: report it at the innermost call that still has room.
            raise E.StackOverflow("stack overflow (possible infinite recursion)").at(
                env.ctx.source, e.span
            ) from None

    def call(self, fn: Any, arg: Any, env: Env | None = None, span: n.Span | None = None) -> Any:
        """Apply a function value to an argument item."""
        t = type(fn)
        if t is Closure:
            return self._call_lambda(fn, arg, env, span)
        if t is PrimOp:
            if fn.arity == 1:
                return self._call_primop(fn, (arg,), env, span)
            return PrimOpApp(fn, (arg,))
        if t is PrimOpApp:
            args = (*fn.args, arg)
            if len(args) == fn.primop.arity:
                return self._call_primop(fn.primop, args, env, span)
            return PrimOpApp(fn.primop, args)
        if t is Attrs and "__functor" in fn.items:
            functor = force(fn.items["__functor"])
            return self.call(self.call(functor, fn, env, span), arg, env, span)
        if t is Unknown:
            return fn.derive(
                f"{_operand(fn)} {describe_argument(arg)}",
                env.ctx.source if env is not None else fn.source,
                span if span is not None else fn.span,
                called=True,
            )
        err = E.TypeMismatch(
            f"attempt to call something which is not a function but {show_type(fn)}"
        )
        if env is not None:
            err.at(env.ctx.source, span)
        raise err

    def _call_primop(
        self, op: PrimOp, args: tuple[Any, ...], env: Env | None, span: n.Span | None
    ) -> Any:
        try:
            if op.site:
                result = op.fn(*args, site=(env.ctx.source if env is not None else None, span))
            else:
                result = op.fn(*args)
            if type(result) is Unknown and result.span is None and env is not None:
                result.source, result.span = env.ctx.source, span  # made here, by a fetcher
            return result
        except E.NeedsValue as err:
            # The effect models' wrappers (`site`) say themselves what they needed.
            if not self.unknowns or op.site or op.name in _STRICT_PRIMOPS:
                raise err.at(env.ctx.source if env is not None else None, span) from None
            # A pure builtin applied to an unknown gives an unknown.
            described = " ".join(describe_argument(a) for a in args)
            needed = err.unknown
            cause = None
            if type(needed) is Unknown:
                # An argument needed an unknown to be computed: say which, at its root.
                operand = any(_force_is(a, needed) for a in args)
                cause = needed.root() if needed.cause is not None or not operand else None
            if cause is not None:
                described += f" (which needs {cause.provenance})"
            result = Unknown(
                f"{builtin_name(op.name)} {described}",
                env.ctx.source if env is not None else None,
                span,
                model=A_STRING if op.name in _STRING_PRIMOPS else None,
            )
            result.cause = cause
            return result
        except E.EvalError as err:
            if env is not None:
                err.at(env.ctx.source, span)
            raise

    def _call_lambda(self, fn: Closure, arg: Any, env: Env | None, span: n.Span | None) -> Any:
        try:
            return self._enter_lambda(fn, arg, env, span)
        except E.EvalError as err:
            if env is not None and len(err.trace) < MAX_TRACE:
                err.note(f"while calling {_function_name(self, fn.lam)}", env.ctx.source, span)
            raise

    def _enter_lambda(self, fn: Closure, arg: Any, env: Env | None, span: n.Span | None) -> Any:
        lam = fn.lam
        formals = lam.formals
        closure_env = fn.env
        if formals is None:
            new_env = Env({lam.param: arg}, closure_env, closure_env.ctx)  # type: ignore[dict-item]
            return self.eval(lam.body, new_env)
        forced = force(arg)
        if type(forced) is Unknown:
            return self._enter_lambda_unknown(fn, forced, arg, env, span)
        attrs = self.force_attrs(forced, env, span)
        bound: dict[str, Any] = {}
        new_env = Env(bound, closure_env, closure_env.ctx)
        if lam.param is not None:
            bound[lam.param] = arg
        used = 0
        given = attrs.items
        for f in formals.entries:
            item = given.get(f.name, MISSING)
            if item is MISSING:
                if f.default is None:
                    unknown = [a for a in given if a not in {x.name for x in formals.entries}]
                    typo = closest(f.name, unknown)
                    raise E.BadArgument(
                        f"{_function_name(self, lam)} called without required argument '{f.name}'",
                        hint=f"'{typo}' was passed: is it a misspelling of '{f.name}'?"
                        if typo
                        else None,
                    ).at(*_call_site(env, span, closure_env, lam))
                bound[f.name] = self.item(f.default, new_env)
            else:
                used += 1
                bound[f.name] = item
        if not formals.ellipsis and used != len(given):
            names = {f.name for f in formals.entries}
            for name in attrs.names():
                if name not in names:
                    suggestion = closest(name, names)
                    raise E.BadArgument(
                        f"{_function_name(self, lam)} called with unexpected argument '{name}'",
                        hint=f"did you mean '{suggestion}'?" if suggestion else None,
                    ).at(*_call_site(env, span, closure_env, lam))
        return self.eval(lam.body, new_env)

    def _enter_lambda_unknown(
        self, fn: Closure, unknown: Unknown, arg: Any, env: Env | None, span: n.Span | None
    ) -> Any:
        """``({ a, b ? 1 }: …) u``: each formal is what `u` knows of it, else unknown (it
        may be missing, and then its default would apply: only `u` can tell)."""
        lam = fn.lam
        assert lam.formals is not None
        bound: dict[str, Any] = {}
        new_env = Env(bound, fn.env, fn.env.ctx)
        if lam.param is not None:
            bound[lam.param] = arg
        for f in lam.formals.entries:
            if unknown.overlay is not None and f.name in unknown.overlay:
                bound[f.name] = unknown.overlay[f.name]
            else:
                bound[f.name] = unknown.derive(
                    f"{_operand(unknown)}.{_attr_text(f.name)}", fn.env.ctx.source, f.span
                )
        return self.eval(lam.body, new_env)

    # --- operators ------------------------------------------------------------------------

    def _eval_binop(self, e: n.BinOp, env: Env) -> Any:
        op = e.op
        if op is BinaryOp.AND:
            return self.force_bool(self.eval(e.left, env), env, e.left.span) and self.force_bool(
                self.eval(e.right, env), env, e.right.span
            )
        if op is BinaryOp.OR:
            return self.force_bool(self.eval(e.left, env), env, e.left.span) or self.force_bool(
                self.eval(e.right, env), env, e.right.span
            )
        if op is BinaryOp.IMPL:
            return not self.force_bool(self.eval(e.left, env), env, e.left.span) or self.force_bool(
                self.eval(e.right, env), env, e.right.span
            )
        left = self.eval(e.left, env)
        right = self.eval(e.right, env)
        if (type(left) is Unknown or type(right) is Unknown) and not (
            op is BinaryOp.ADD and (is_string(left) or (_has_text(left) and _has_text(right)))
        ):
            return self._binop_unknown(e, left, right, env)
        if op is BinaryOp.ADD:
            if type(left) is int and type(right) is int:
                return wrap(left + right)

            return concat_strings(self, [(left, e.left), (right, e.right)], False, env, e.span)
        try:
            return ops.BINARY_BY_ID[id(op)](self, left, right)
        except E.EvalError as err:
            raise err.at(env.ctx.source, e.span) from None

    def _binop_unknown(self, e: n.BinOp, left: Any, right: Any, env: Env) -> Any:
        """An operator with an unknown operand: comparisons need the value; ``//`` keeps
        what is known (``u // { a = 1; }`` knows ``a``); the rest is unknown."""
        op = e.op
        if op in _COMPARISONS:
            unknown = left if type(left) is Unknown else right
            other = right if unknown is left else left
            if (
                op in (BinaryOp.EQ, BinaryOp.NEQ)
                and other is None
                and unknown.model is not None
                and unknown.model.not_null
            ):
                return op is BinaryOp.NEQ
            raise E.NeedsValue(unknown, f"the comparison '{op.value}'").at(env.ctx.source, e.span)
        if (
            op is BinaryOp.ADD
            and type(left) is Unknown
            and left.model is not None
            and isinstance(right, str)
        ):
            known = left.model.appended(self, left, str(right))
            if known is not None:
                return known
        provenance = f"{_describe(left)} {op.value} {_describe(right)}"
        if op is BinaryOp.UPDATE:
            if type(left) is Unknown:
                overlay = dict(left.overlay or {})
                if type(right) is Attrs:
                    overlay.update(right.items)
                elif type(right) is Unknown:
                    overlay = dict(right.overlay or {})
                base = left if type(right) is not Unknown else right
                return Unknown(
                    base.provenance if overlay else provenance,
                    env.ctx.source,
                    e.span,
                    overlay or None,
                    base.model,
                )
            return Unknown(provenance, env.ctx.source, e.span, right.overlay)
        return Unknown(provenance, env.ctx.source, e.span)

    def _eval_not(self, e: n.Not, env: Env) -> bool:
        return not self.force_bool(self.eval(e.expr, env), env, e.expr.span)

    def _eval_negate(self, e: n.Negate, env: Env) -> Any:
        value = self.eval(e.expr, env)
        if type(value) is Unknown:
            return Unknown(f"-{_describe(value)}", env.ctx.source, e.span)
        try:
            return ops.sub(self, 0, value)
        except E.EvalError as err:
            raise err.at(env.ctx.source, e.span) from None

    # --- data -----------------------------------------------------------------------------

    def _eval_list(self, e: n.List, env: Env) -> list[Any]:
        item = self.item
        return [item(x, env) for x in e.elements]

    def _eval_attrset(self, e: n.AttrSet, env: Env) -> Attrs:
        source = env.ctx.source
        items: dict[str, Any] = {}
        _name_lambdas(self, e.attrs)
        if e.recursive:
            inner = Env(items, env, env.ctx)
            overrides = any(d.name == "__overrides" for d in e.attrs)
            for d in e.attrs:
                if d.kind is AttrKind.INHERIT:
                    items[d.name] = self.item(d.value, env)
                elif overrides:
                    items[d.name] = Thunk(d.value, inner)
                else:
                    items[d.name] = self.item(d.value, inner)
            dynamic_env = inner
            if overrides or e.dynamic:
                # The set gets more names than the scope its members see.
                items = dict(items)
            if overrides:
                extra = self.force_attrs(items["__overrides"], env, e.span)
                for name in extra.names():
                    if name in inner.vars:
                        inner.vars[name] = extra.items[name]
                    items[name] = extra.items[name]
        else:
            for d in e.attrs:
                items[d.name] = self.item(d.value, env)
            dynamic_env = env
        for dd in e.dynamic:
            key = self.eval(dd.key, dynamic_env)
            if key is None:
                continue
            name = self.force_string_no_ctx(key, env, dd.span)
            if name in items:
                raise E.EvalError(f"dynamic attribute '{name}' already defined").at(source, dd.span)
            items[name] = self.item(dd.value, dynamic_env)
        return Attrs(items, (source, e))

    def _eval_let(self, e: n.LetIn, env: Env) -> Any:
        bound: dict[str, Any] = {}
        inner = Env(bound, env, env.ctx)
        _name_lambdas(self, e.bindings)
        for d in e.bindings:
            bound[d.name] = self.item(d.value, env if d.kind is AttrKind.INHERIT else inner)
        return self.eval(e.body, inner)

    def _eval_legacy_let(self, e: n.LegacyLet, env: Env) -> Any:
        attrs = self._eval_attrset(e.attrs, env)
        body = attrs.items.get("body", MISSING)
        if body is MISSING:
            raise self.missing_attribute("body", attrs, env, e.span)
        return force(body)

    def _eval_with(self, e: n.With, env: Env) -> Any:
        return self.eval(e.body, Env({}, env, env.ctx, self.item(e.env, env)))

    def _eval_assert(self, e: n.Assert, env: Env) -> Any:
        if not self.force_bool(self.eval(e.cond, env), env, e.cond.span):
            raise E.AssertionFailed(f"assertion '{to_nix(e.cond)}' failed").at(
                env.ctx.source, e.span
            )
        return self.eval(e.body, env)

    def _eval_if(self, e: n.If, env: Env) -> Any:
        if self.force_bool(self.eval(e.cond, env), env, e.cond.span):
            return self.eval(e.then, env)
        return self.eval(e.else_, env)


def _literal(e: n.Int | n.Float, env: Env) -> Any:
    return e.value


def _uri(e: n.Uri, env: Env) -> str:
    return e.value


def _lambda(e: n.Lambda, env: Env) -> Closure:
    return Closure(e, env)


def _cur_pos(e: n.CurPos, env: Env) -> Attrs:
    pos = env.ctx.source.position(e.span.start)
    return Attrs({"column": pos.column, "file": env.ctx.source.position_file, "line": pos.line})


def _function_name(machine: Machine, lam: n.Lambda) -> str:
    name = machine.lambda_names.get(id(lam))
    return f"function '{name}'" if name else "anonymous function"


def _name_lambdas(machine: Machine, defs: tuple[n.AttrDef, ...]) -> None:
    names = machine.lambda_names
    for d in defs:
        if type(d.value) is n.Lambda and id(d.value) not in names:
            names[id(d.value)] = d.name


def _call_site(
    env: Env | None, span: n.Span | None, closure_env: Env, lam: n.Lambda
) -> tuple[Source, n.Span]:
    if env is not None and span is not None:
        return env.ctx.source, span
    return closure_env.ctx.source, lam.span


_COMPARISONS = frozenset(
    [BinaryOp.EQ, BinaryOp.NEQ, BinaryOp.LT, BinaryOp.LEQ, BinaryOp.GT, BinaryOp.GEQ]
)
# Builtins that must see the value itself: an unknown argument is an error, not an unknown.
# (addErrorContext only passes its value through: what that value needed, its caller
# needs too.)
_STRICT_PRIMOPS = frozenset(
    ["throw", "abort", "seq", "deepSeq", "tryEval", "trace", "addErrorContext"]
)

# Builtins whose result is a string whatever their arguments: applied to an unknown,
# they give an unknown known to be a string.
_STRING_PRIMOPS = frozenset(
    [
        *("concatStringsSep", "toString", "substring", "replaceStrings", "toJSON", "toXML"),
        *("hashString", "baseNameOf", "dirOf", "unsafeDiscardStringContext", "typeOf"),
    ]
)


def _attr_text(name: str) -> str:
    from ..printing import show_attr_name

    return show_attr_name(name)


def _atomic(text: str) -> bool:
    """Whether Nix text is one operand: no space outside brackets and strings."""
    depth = 0
    quoted = False
    previous = ""
    for c in text:
        if quoted:
            if c == '"' and previous != "\\":
                quoted = False
        elif c == '"':
            quoted = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == " " and depth == 0:
            return False
        previous = c
    return True


def _parenthesised(text: str) -> str:
    return text if _atomic(text) else f"({text})"


def _force_is(item: Any, value: Any) -> bool:
    """Whether `item` is (or is a thunk evaluated to) `value`."""
    if type(item) is Thunk:
        return item.state == EVALUATED and item.value is value
    return item is value


def _has_text(value: Any) -> bool:
    """Whether `value` is known as text: not an unknown, or a modelled package (whose
    output path is named, `nixeval.nixpkgs.model`)."""
    return type(value) is not Unknown or value.output_path() is not None


def _operand(value: Unknown) -> str:
    """An unknown's provenance as the operand of a select or a call."""
    return _parenthesised(value.provenance)


def _describe(value: Any) -> str:
    """A value in a provenance: an unknown by its provenance, anything else as Nix text."""
    if type(value) is Unknown:
        return _operand(value)
    from ..printing import print_value

    return print_value(value)


def builtin_name(name: str) -> str:
    """How a builtin is written where it is global (``import``), else ``builtins.x``."""
    from ..builtins.names import BASE_ENV

    return name if name in BASE_ENV else f"builtins.{name}"


def describe_argument(item: Any) -> str:
    """An argument in a provenance, short: its value if evaluated, else its Nix source."""
    if type(item) is Thunk and item.state != EVALUATED:
        text = to_nix(item.code) if item.env is not None else "…"
    else:
        text = _describe(item.value if type(item) is Thunk else item)
    if len(text) > 80:
        text = text[:77] + "…"
    return _parenthesised(text)


def _show_path(path: tuple[n.AttrName, ...]) -> str:
    return ".".join(a.name if type(a) is n.StaticAttr else '"${...}"' for a in path)
