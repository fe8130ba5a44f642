"""The evaluator: expressions to values, lazily, with Nix 2.8's semantics.

`Machine.eval` takes an expression and an environment to a value in weak head normal form
(never a thunk); `force` runs a thunk once and remembers the value; `Machine.call` applies a
function (lambda, builtin, or set with ``__functor``) to an argument item.

Each expression is compiled once into a Python function of an environment (`Code`); a
node's code calls its children's code directly, and a variable bound lexically is found by
the number of scopes out it is, counted at compile time (`Scope`).

What becomes a thunk is decided in `Machine._compile_item`, as Nix's ``maybeThunk`` decides
it: integer, float, plain string and plain path literals are values; a variable shares the
item it names (unless it comes from a ``with``); anything else is a new thunk. Attribute
values, ``let`` bindings, list elements and function arguments all go through it.

Python recursion follows Nix recursion; the command line runs evaluation in a thread with a
large stack and recursion limit, and a RecursionError becomes a clean `StackOverflow`.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from ..spelling import closest
from ..syntax import nodes as n
from ..syntax.nodes import AttrKind, BinaryOp
from ..syntax.printer import to_nix
from ..syntax.show import nix_show
from ..syntax.source import Source
from ..values import (
    A_STRING,
    Attrs,
    Closure,
    CStr,
    PrimOp,
    PrimOpApp,
    Thunk,
    Unknown,
    closure,
    context_path,
    show_type,
    thunk,
)
from . import errors as E
from . import ops
from .access import PathAccess
from .coerce import (
    INT_LIMIT,
    canon_path,
    concat_strings,
    hole,
    is_string,
    resolve_path_literal,
    wrap,
)
from .env import CTX, MISSING, UP, VARS, WITH, Env, FileContext
from .force import force

if TYPE_CHECKING:
    from ..sources.session import Sources
    from ..values import Origin

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
        # Each node's compiler: the node to a function of an environment (`Code`).
        self._compilers: dict[type, Callable[[Any, Scope | None], Code]] = {
            n.Int: _compile_constant,
            n.Float: _compile_constant,
            n.Uri: _compile_constant,
            n.Str: self._compile_str,
            n.Path: self._compile_path,
            n.SearchPath: self._compile_search_path,
            n.Var: self._compile_var,
            n.CurPos: _compile_cur_pos,
            n.Select: self._compile_select,
            n.HasAttr: self._compile_has_attr,
            n.Lambda: _compile_lambda,
            n.Apply: self._compile_apply,
            n.BinOp: self._compile_binop,
            n.Not: self._compile_not,
            n.Negate: self._compile_negate,
            n.List: self._compile_list,
            n.AttrSet: self._compile_attrset,
            n.LetIn: self._compile_let,
            n.LegacyLet: self._compile_legacy_let,
            n.With: self._compile_with,
            n.Assert: self._compile_assert,
            n.If: self._compile_if,
        }
        # The code of the expressions evaluated from outside (a file's top expression, a
        # builtin's), by node id; the node is kept with it, so that the id stays its own.
        self._compiled: dict[int, tuple[n.Expr, Code]] = {}

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
        names = {**self.base_vars, **extra} if extra else self.base_vars
        ctx = FileContext(self, source, base_dir, names)
        base: Env = (self.base_vars, None, ctx, None)
        return (extra, base, ctx, None) if extra else base

    def eval(self, e: n.Expr, env: Env) -> Any:
        """The value of `e`, a file's top expression, in `env` (`file_env`), in weak head
        normal form."""
        entry = self._compiled.get(id(e))
        if entry is None:
            code = self.compile(e)
            self._compiled[id(e)] = (e, code)
            return code(env)
        return entry[1](env)

    # --- compiling ------------------------------------------------------------------------
    #
    # An expression is compiled once into a Python function of an environment (`Code`),
    # which evaluates it as the evaluator's rules say; a node's code calls its children's
    # code directly, so evaluating walks no tree and dispatches on no type. A function's
    # body is compiled when the function is first called: most functions of a library
    # never are. Errors, traces and unknowns are the same whichever way a node is reached.

    def compile(self, e: n.Expr, scope: Scope | None = None) -> Code:
        """The code of `e` (compiled anew: `eval` keeps what it compiles), in the static
        `scope` (None: a root, whose variables are all looked up at run time)."""
        return self._compilers[type(e)](e, scope)

    def _compile_item(self, e: n.Expr, scope: Scope | None) -> Code:
        """The code giving what a binding of `e` holds, decided as Nix's ``maybeThunk``
        does: integer, float, plain string and plain path literals are values; a variable
        shares the item it names (unless it comes from a ``with``); anything else is a
        new thunk."""
        return self._compile_binding(e, scope)[0]

    def _compile_binding(
        self,
        e: n.Expr,
        scope: Scope | None,
        compiled: Callable[[Code], None] | None = None,
    ) -> tuple[Code, Code | None]:
        """`_compile_item`'s code, and `e`'s own code when every item is a new thunk of
        it (the hottest places make those thunks themselves, saving a call).

        With `compiled`, that code of `e` is compiled only when a thunk first runs it, and
        then handed to `compiled` (for the caller to use from then on): a set's members
        are mostly never forced (a library's), and compiling them is much of a short run."""
        t = type(e)
        if t is n.Int or t is n.Float:
            return _compile_constant(e, scope), None  # type: ignore[arg-type]
        if t is n.Str:
            parts = e.parts  # type: ignore[union-attr]
            if not parts or (len(parts) == 1 and type(parts[0]) is str):
                return self._compile_str(e, scope), None  # type: ignore[arg-type]
        elif t is n.Path and len(e.parts) == 1:  # type: ignore[union-attr]
            return self._compile_path(e, scope), None  # type: ignore[arg-type]
        if compiled is not None and t is not n.Var:
            done: list[Code] = []

            def run_first(env: Env) -> Any:
                if not done:
                    done.append(self.compile(e, scope))
                    compiled(done[0])
                return done[0](env)

            return (lambda env: thunk(e, env, run_first)), run_first
        run = self.compile(e, scope)
        if t is n.Var:
            name = e.name  # type: ignore[union-attr]
            depth, found = _resolve(name, scope)
            if found is not None:
                return _lexical_item(name, depth, found.single, e, run), None  # type: ignore[arg-type]

            def variable_item(env: Env) -> Any:
                item = env[CTX].names.get(name, MISSING)
                return thunk(e, env, run) if item is MISSING else item

            return variable_item, None
        return (lambda env: thunk(e, env, run)), run

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
            err.at(env[CTX].source, span)
        return err

    # The force_* methods test for a thunk themselves: for a value, the usual case, a call
    # of `force` less.
    def force_attrs(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> Attrs:
        v = item if type(item) is not Thunk else force(item)
        if type(v) is not Attrs:
            raise self.type_error(v, "a set", env, span)
        return v

    def force_list(
        self, item: Any, env: Env | None = None, span: n.Span | None = None
    ) -> list[Any]:
        v = item if type(item) is not Thunk else force(item)
        if type(v) is not list:
            raise self.type_error(v, "a list", env, span)
        return v

    def force_function(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> Any:
        """A function (a lambda, a builtin, a set with ``__functor``), as Nix's
        forceFunction: the builtins that call a function they are given check it before
        they look at anything else, called or not (``builtins.filter 1 [ ]`` fails)."""
        v = item if type(item) is not Thunk else force(item)
        t = type(v)
        if t is Closure or t is PrimOp or t is PrimOpApp:
            return v
        if t is Attrs and "__functor" in v.items:
            return v
        raise self.type_error(v, "a function", env, span)

    def force_bool(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> bool:
        v = item if type(item) is not Thunk else force(item)
        if type(v) is not bool:
            raise self.type_error(v, "a Boolean", env, span)
        return v

    def force_string(self, item: Any, env: Env | None = None, span: n.Span | None = None) -> str:
        v = item if type(item) is not Thunk else force(item)
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
                err.at(env[CTX].source, span)
            raise err
        return v

    # --- variables ------------------------------------------------------------------------

    def _compile_var(self, e: n.Var, scope: Scope | None) -> Code:
        name = e.name
        depth, found = _resolve(name, scope)
        if found is not None:
            return _lexical_variable(name, depth, found.single)
        lookup_with = self._lookup_with

        def variable(env: Env) -> Any:
            item = env[CTX].names.get(name, MISSING)
            if item is MISSING:
                item = lookup_with(e, env)
            if type(item) is not Thunk:
                return item
            if item.run is None:
                return item.value
            return force(item)

        return variable

    def _lookup_with(self, e: n.Var, env: Env) -> Any:
        scope: Env | None = env
        while scope is not None:
            if scope[WITH] is not None:
                with_value = force(scope[WITH])
                if type(with_value) is Unknown:
                    # The name may come from this set: only it can say.
                    return with_value.derive(
                        f"{_operand(with_value)}.{_attr_text(e.name)}", env[CTX].source, e.span
                    )
                attrs = self.force_attrs(with_value, env, e.span)
                item = attrs.items.get(e.name, MISSING)
                if item is not MISSING:
                    return item
            scope = scope[UP]
        raise E.UndefinedVariable(f"undefined variable '{e.name}'").at(env[CTX].source, e.span)

    # --- strings and paths ----------------------------------------------------------------

    def _compile_str(self, e: n.Str, scope: Scope | None) -> Code:
        parts = e.parts
        if not parts:
            return lambda env: ""
        if len(parts) == 1 and type(parts[0]) is str:
            text = parts[0]
            return lambda env: text
        compiled = [(p, None if isinstance(p, str) else self.compile(p, scope)) for p in parts]
        span = e.span

        def string(env: Env) -> Any:
            values: list[tuple[Any, Any]] = []
            for p, code in compiled:
                if code is None:
                    values.append((p, None))
                    continue
                try:
                    values.append((code(env), p))
                except E.NeedsValue as err:
                    if not self.unknowns:
                        raise
                    # ``"…${if u then a else b}…"``: the string is known but for this part.
                    values.append((hole(p, env[CTX].source, err), p))  # type: ignore[arg-type]
            return concat_strings(self, values, True, env, span)

        return string

    def _compile_path(self, e: n.Path, scope: Scope | None) -> Code:
        text = e.parts[0]
        rest = [(p, None if isinstance(p, str) else self.compile(p, scope)) for p in e.parts[1:]]
        span = e.span

        def path(env: Env) -> Any:
            try:
                first = resolve_path_literal(text, env)  # type: ignore[arg-type]
            except E.EvalError as err:  # ``~/x`` in restricted mode
                raise err.at(env[CTX].source, span) from None
            if not rest:
                return first
            items: list[tuple[Any, Any]] = [(first, None)] + [
                (p, None) if code is None else (code(env), p) for p, code in rest
            ]
            return concat_strings(self, items, False, env, span)

        return path

    def _compile_search_path(self, e: n.SearchPath, scope: Scope | None) -> Code:
        # <p> is `__findFile __nixPath "p"`, with whatever those two names are bound to.
        find_file = self._compile_var(n.Var(e.span, "__findFile"), scope)
        nix_path = self._compile_item(n.Var(e.span, "__nixPath"), scope)
        name, span = e.name, e.span

        def search_path(env: Env) -> Any:
            partial = self.call(find_file(env), nix_path(env), env, span)
            return self.call(partial, name, env, span)

        return search_path

    # --- attribute access -----------------------------------------------------------------

    def _compile_attr_path(
        self, path: tuple[n.AttrName, ...], scope: Scope | None
    ) -> list[tuple[str | None, Code | None, n.Span]]:
        """Each name of an attribute path: the name when static, else the code of its
        expression (compiled in the path's scope), with the name's span."""
        return [
            (a.name, None, a.span)
            if isinstance(a, n.StaticAttr)
            else (None, self.compile(a.expr, scope), a.span)
            for a in path
        ]

    def _compile_select(self, e: n.Select, scope: Scope | None) -> Code:
        expr = self.compile(e.expr, scope)
        default = self.compile(e.default, scope) if e.default is not None else None
        steps = self._compile_attr_path(e.path, scope)
        span = e.span

        def walk(env: Env, value: Any) -> Any:
            for static, code, name_span in steps:
                name = (
                    static
                    if static is not None
                    else self.force_string_no_ctx(code(env), env, name_span)  # type: ignore[misc]
                )
                if type(value) is not Attrs:
                    if type(value) is Unknown:
                        if (
                            default is not None
                            and value.model is not None
                            and value.model.has_attr(name) is False
                        ):
                            return default(env)  # known to be missing
                        value = self._select_unknown(value, name, env, span)
                        continue
                    if default is not None:
                        return default(env)
                    raise self.type_error(value, "a set", env, span)
                item = value.items.get(name, MISSING)
                if item is MISSING:
                    if default is not None:
                        return default(env)
                    raise self.missing_attribute(name, value, env, span)
                if type(item) is not Thunk:
                    value = item
                elif item.run is None:
                    value = item.value
                else:
                    try:
                        value = force(item)
                    except E.EvalError as err:
                        evaluating(err, value, name, env)
                        raise
            return value

        def evaluating(err: E.EvalError, attrs: Attrs, name: str, env: Env) -> None:
            if len(err.trace) < MAX_TRACE:
                err.note(
                    f"while evaluating the attribute '{_show_path(e.path)}'",
                    *self._position_of(attrs, name, env, span),
                )

        if len(steps) == 1 and steps[0][0] is not None and default is None:
            # ``e.name``, the commonest: an attribute of a set is found (and forced) here;
            # the rest (a missing name, not a set) is `walk`'s.
            name = steps[0][0]

            def select_name(env: Env) -> Any:
                value = expr(env)
                if type(value) is Attrs:
                    item = value.items.get(name, MISSING)
                    if type(item) is not Thunk:
                        if item is not MISSING:
                            return item
                    elif item.run is None:
                        return item.value
                    else:
                        try:
                            return force(item)
                        except E.EvalError as err:
                            evaluating(err, value, name, env)
                            raise
                return walk(env, value)

            return select_name
        return lambda env: walk(env, expr(env))

    def _select_unknown(self, value: Unknown, name: str, env: Env, span: n.Span) -> Any:
        """``u.name``: what the overlay knows, else another unknown. (With ``or d`` the
        attribute may or may not exist: still unknown.)"""
        if value.overlay is not None and name in value.overlay:
            return force(value.overlay[name])
        if value.model is not None:
            modelled = value.model.selected(self, value, name)
            if modelled is not None:
                return modelled
        return value.derive(f"{_operand(value)}.{_attr_text(name)}", env[CTX].source, span)

    def missing_attribute(self, name: str, attrs: Attrs, env: Env, span: n.Span) -> E.EvalError:
        suggestion = closest(name, attrs.items)
        err = E.MissingAttribute(
            f"attribute '{name}' missing",
            hint=f"did you mean '{suggestion}'?" if suggestion else None,
        )
        return err.at(env[CTX].source, span)

    def _position_of(self, attrs: Any, name: str, env: Env, span: n.Span) -> tuple[Source, n.Span]:
        where = attrs.position(name) if type(attrs) is Attrs else None
        return where if where is not None else (env[CTX].source, span)

    def _compile_has_attr(self, e: n.HasAttr, scope: Scope | None) -> Code:
        expr = self.compile(e.expr, scope)
        steps = self._compile_attr_path(e.path, scope)
        last = len(steps) - 1
        span = e.span

        def has_attr(env: Env) -> Any:
            value = expr(env)
            for i, (static, code, name_span) in enumerate(steps):
                if i:
                    value = force(value)
                name = (
                    static
                    if static is not None
                    else self.force_string_no_ctx(code(env), env, name_span)  # type: ignore[misc]
                )
                if type(value) is not Attrs:
                    if type(value) is Unknown:
                        if value.overlay is not None and name in value.overlay:
                            value = value.overlay[name]
                            continue
                        known = value.model.has_attr(name) if value.model is not None else None
                        if known is False:
                            return False
                        if known is True:
                            if i == last:
                                return True
                            value = self._select_unknown(value, name, env, span)
                            continue
                        return value.derive(
                            f"{_operand(value)} ? {_attr_text(name)}", env[CTX].source, span
                        )
                    return False
                item = value.items.get(name, MISSING)
                if item is MISSING:
                    return False
                value = item
            return True

        return has_attr

    # --- functions ------------------------------------------------------------------------

    def _compile_apply(self, e: n.Apply, scope: Scope | None) -> Code:
        if type(e.fn) is n.Apply:
            return self._compile_apply_two(e, e.fn, scope)
        function = self.compile(e.fn, scope)
        argument, argument_run = self._compile_binding(e.arg, scope)
        span, node = e.span, e.arg
        call, call_lambda, calling = self.call, self._call_lambda, self._calling
        call_primop = self._call_primop
        # A function of one plain argument, compiled already, is entered here rather than
        # through `_call_lambda`: one Python frame less per Nix call, the commonest kind.
        if argument_run is not None:

            def apply_to_thunk(env: Env) -> Any:
                fn = function(env)
                try:
                    if type(fn) is Closure:
                        code = fn.code
                        body = code.body
                        if body is not None and code.formals is None:
                            closure_env = fn.env
                            try:
                                return body(
                                    (
                                        thunk(node, env, argument_run),
                                        closure_env,
                                        closure_env[CTX],
                                        None,
                                    )
                                )
                            except E.EvalError as err:
                                calling(err, fn.lam, env, span)
                                raise
                        return call_lambda(fn, thunk(node, env, argument_run), env, span)
                    if type(fn) is PrimOp and fn.arity == 1:
                        return call_primop(fn, (thunk(node, env, argument_run),), env, span)
                    return call(fn, thunk(node, env, argument_run), env, span)
                except RecursionError:
                    raise _stack_overflow(env, span) from None

            return apply_to_thunk

        def apply(env: Env) -> Any:
            fn = function(env)
            try:
                if type(fn) is Closure:
                    code = fn.code
                    body = code.body
                    if body is not None and code.formals is None:
                        closure_env = fn.env
                        try:
                            return body((argument(env), closure_env, closure_env[CTX], None))
                        except E.EvalError as err:
                            calling(err, fn.lam, env, span)
                            raise
                    return call_lambda(fn, argument(env), env, span)
                if type(fn) is PrimOp and fn.arity == 1:
                    return call_primop(fn, (argument(env),), env, span)
                return call(fn, argument(env), env, span)
            except RecursionError:
                raise _stack_overflow(env, span) from None

        return apply

    def _compile_apply_two(self, e: n.Apply, inner: n.Apply, scope: Scope | None) -> Code:
        """``f a b``: a function of two plain arguments (``a: b: …``, compiled already) is
        entered with both, without making the function ``f a``; a builtin of two
        arguments is called with both. Anything else is applied twice, as written."""
        function = self.compile(inner.fn, scope)
        first, first_run = self._compile_binding(inner.arg, scope)
        second, second_run = self._compile_binding(e.arg, scope)
        first_node, second_node = inner.arg, e.arg
        inner_span, span = inner.span, e.span
        calling, call_primop = self._calling, self._call_primop

        def apply_two(env: Env) -> Any:
            fn = function(env)
            try:
                a = first(env) if first_run is None else thunk(first_node, env, first_run)
                t = type(fn)
                if t is Closure:
                    code = fn.code
                    then = code.then
                    if then is not None:
                        b = (
                            second(env)
                            if second_run is None
                            else thunk(second_node, env, second_run)
                        )
                        both = code.both
                        if both is None:
                            both = code.compile_both(self, fn.lam)
                        closure_env = fn.env
                        try:
                            return both(
                                (
                                    {code.param: a, then.param: b},
                                    closure_env,
                                    closure_env[CTX],
                                    None,
                                )
                            )
                        except E.EvalError as err:
                            calling(err, fn.lam.body, env, span)
                            raise
                elif t is PrimOp and fn.arity == 2:
                    b = second(env) if second_run is None else thunk(second_node, env, second_run)
                    return call_primop(fn, (a, b), env, span)
                partial_fn = self.call(fn, a, env, inner_span)
                b = second(env) if second_run is None else thunk(second_node, env, second_run)
                return self.call(partial_fn, b, env, span)
            except RecursionError:
                raise _stack_overflow(env, span) from None

        return apply_two

    def call(self, fn: Any, arg: Any, env: Env | None = None, span: n.Span | None = None) -> Any:
        """Apply a function value to an argument item."""
        t = type(fn)
        if t is Closure:
            code = fn.code
            body = code.body
            if body is not None and code.formals is None:  # as in `_compile_apply`
                closure_env = fn.env
                try:
                    return body((arg, closure_env, closure_env[CTX], None))
                except E.EvalError as error:
                    self._calling(error, fn.lam, env, span)
                    raise
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
                env[CTX].source if env is not None else fn.source,
                span if span is not None else fn.span,
                called=True,
            )
        err = E.TypeMismatch(
            f"attempt to call something which is not a function but {show_type(fn)}"
        )
        if env is not None:
            err.at(env[CTX].source, span)
        raise err

    def call_two(self, fn: Any, a: Any, b: Any) -> Any:
        """``fn a b`` for a builtin (``sort``'s and ``mapAttrs``' functions): `fold_left`
        over the one item `b`, so that a function of two plain arguments is entered with
        both at once, as `_compile_apply_two` does."""
        return self.fold_left(fn, a, (b,))

    def fold_left(self, fn: Any, acc: Any, items: Iterable[Any]) -> Any:
        """``foldl' fn acc items`` before its last force: ``acc = fn acc item`` for each
        item. A function of two plain arguments is entered in the loop itself."""
        if type(fn) is Closure:
            code: LambdaCode = fn.code
            if code.body is None:
                code.compile(self, fn.lam)
            then = code.then
            if then is not None:
                both = code.both
                if both is None:
                    both = code.compile_both(self, fn.lam)
                first, second = code.param, then.param
                assert first is not None and second is not None
                closure_env = fn.env
                ctx = closure_env[CTX]
                for item in items:
                    acc = both(({first: acc, second: item}, closure_env, ctx, None))
                return acc
        for item in items:
            acc = self.call(self.call(fn, acc), item)
        return acc

    def lazy_calls(self, fn: Any, args: Iterable[Any]) -> list[Thunk]:
        """Thunks of `fn` applied to each item of `args` (``map``'s and ``genList``'s
        elements). A function of one plain argument gets each scope made now, and forcing
        runs its body in it: no frame of `call` per element. (No node: an element's
        infinite recursion is placed where it is forced, as a builtin's thunk is.)"""
        if type(fn) is Closure:
            code: LambdaCode = fn.code
            if code.body is None:
                code.compile(self, fn.lam)
            if code.formals is None:
                body, closure_env = code.body, fn.env
                assert body is not None
                ctx = closure_env[CTX]
                return [thunk(None, (arg, closure_env, ctx, None), body) for arg in args]
        return [thunk(None, None, partial(self.call, fn, arg)) for arg in args]

    def _call_primop(
        self, op: PrimOp, args: tuple[Any, ...], env: Env | None, span: n.Span | None
    ) -> Any:
        try:
            if op.site:
                result = op.fn(*args, site=(env[CTX].source if env is not None else None, span))
            else:
                result = op.fn(*args)
            if type(result) is Unknown and result.span is None and env is not None:
                result.source, result.span = env[CTX].source, span  # made here, by a fetcher
            return result
        except E.NeedsValue as err:
            # The effect models' wrappers (`site`) say themselves what they needed.
            if not self.unknowns or op.site or op.name in _STRICT_PRIMOPS:
                raise err.at(env[CTX].source if env is not None else None, span) from None
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
                env[CTX].source if env is not None else None,
                span,
                model=A_STRING if op.name in _STRING_PRIMOPS else None,
            )
            result.cause = cause
            return result
        except E.EvalError as err:
            if env is not None:
                err.at(env[CTX].source, span)
            raise

    def _call_lambda(self, fn: Closure, arg: Any, env: Env | None, span: n.Span | None) -> Any:
        try:
            code: LambdaCode = fn.code
            if code.body is None:
                code.compile(self, fn.lam)
            closure_env = fn.env
            if code.formals is None:
                new_env: Env = (arg, closure_env, closure_env[CTX], None)
                return code.body(new_env)  # type: ignore[misc]
            forced = force(arg)
            if type(forced) is Unknown:
                return self._enter_lambda_unknown(fn, forced, arg, env, span)
            if type(forced) is not Attrs:
                raise self.type_error(forced, "a set", env, span)
            bound: dict[str, Any] = {}
            new_env = (bound, closure_env, closure_env[CTX], None)
            if code.param is not None:
                bound[code.param] = arg
            used = 0
            given = forced.items
            for name, default in code.formals:
                item = given.get(name, MISSING)
                if item is MISSING:
                    if default is None:
                        raise self._missing_argument(fn.lam, name, given, env, span, closure_env)
                    bound[name] = default(new_env)
                else:
                    used += 1
                    bound[name] = item
            if not code.ellipsis and used != len(given):
                raise self._unexpected_argument(fn.lam, forced, env, span, closure_env)
            return code.body(new_env)  # type: ignore[misc]
        except E.EvalError as err:
            self._calling(err, fn.lam, env, span)
            raise

    def _calling(
        self, err: E.EvalError, lam: n.Lambda, env: Env | None, span: n.Span | None
    ) -> None:
        """Say in `err`'s trace that it happened in a call of the function `lam` at `span`."""
        if env is not None and len(err.trace) < MAX_TRACE:
            err.note(f"while calling {_function_name(self, lam)}", env[CTX].source, span)

    def _missing_argument(
        self,
        lam: n.Lambda,
        name: str,
        given: dict[str, Any],
        env: Env | None,
        span: n.Span | None,
        closure_env: Env,
    ) -> E.EvalError:
        assert lam.formals is not None
        formal_names = {x.name for x in lam.formals.entries}
        typo = closest(name, [a for a in given if a not in formal_names])
        return E.BadArgument(
            f"{_named_at(self, lam, closure_env)} called without required argument '{name}'",
            hint=f"'{typo}' was passed: is it a misspelling of '{name}'?" if typo else None,
        ).at(*_call_site(env, span, closure_env, lam))

    def _unexpected_argument(
        self, lam: n.Lambda, attrs: Attrs, env: Env | None, span: n.Span | None, closure_env: Env
    ) -> E.EvalError:
        assert lam.formals is not None
        names = {f.name for f in lam.formals.entries}
        name = next(name for name in attrs.names() if name not in names)
        suggestion = closest(name, names)
        return E.BadArgument(
            f"{_named_at(self, lam, closure_env)} called with unexpected argument '{name}'",
            hint=f"did you mean '{suggestion}'?" if suggestion else None,
        ).at(*_call_site(env, span, closure_env, lam))

    def _enter_lambda_unknown(
        self, fn: Closure, unknown: Unknown, arg: Any, env: Env | None, span: n.Span | None
    ) -> Any:
        """``({ a, b ? 1 }: …) u``: each formal is what `u` knows of it, else unknown (it
        may be missing, and then its default would apply: only `u` can tell)."""
        lam = fn.lam
        assert lam.formals is not None
        bound: dict[str, Any] = {}
        new_env = (bound, fn.env, fn.env[CTX], None)
        if lam.param is not None:
            bound[lam.param] = arg
        for f in lam.formals.entries:
            if unknown.overlay is not None and f.name in unknown.overlay:
                bound[f.name] = unknown.overlay[f.name]
            else:
                bound[f.name] = unknown.derive(
                    f"{_operand(unknown)}.{_attr_text(f.name)}", fn.env[CTX].source, f.span
                )
        return fn.code.body(new_env)

    # --- operators ------------------------------------------------------------------------

    def _compile_binop(self, e: n.BinOp, scope: Scope | None) -> Code:
        op = e.op
        left, right = self.compile(e.left, scope), self.compile(e.right, scope)
        left_span, right_span = e.left.span, e.right.span
        force_bool = self.force_bool
        if op is BinaryOp.AND:

            def and_(env: Env) -> Any:
                a = left(env)
                if not (a if type(a) is bool else force_bool(a, env, left_span)):
                    return False
                b = right(env)
                return b if type(b) is bool else force_bool(b, env, right_span)

            return and_
        if op is BinaryOp.OR:

            def or_(env: Env) -> Any:
                a = left(env)
                if a if type(a) is bool else force_bool(a, env, left_span):
                    return True
                b = right(env)
                return b if type(b) is bool else force_bool(b, env, right_span)

            return or_
        if op is BinaryOp.IMPL:

            def implies(env: Env) -> Any:
                a = left(env)
                if not (a if type(a) is bool else force_bool(a, env, left_span)):
                    return True
                b = right(env)
                return b if type(b) is bool else force_bool(b, env, right_span)

            return implies
        operator = ops.BINARY_BY_ID.get(id(op))
        is_add = op is BinaryOp.ADD
        span = e.span

        def general(env: Env, a: Any, b: Any) -> Any:
            if (type(a) is Unknown or type(b) is Unknown) and not (
                is_add and (is_string(a) or (_has_text(a) and _has_text(b)))
            ):
                return self._binop_unknown(e, a, b, env)
            if is_add:
                return concat_strings(self, [(a, e.left), (b, e.right)], False, env, span)
            try:
                return operator(self, a, b)  # type: ignore[misc]
            except E.EvalError as err:
                raise err.at(env[CTX].source, span) from None

        # The commonest operands, integers (and strings), take a path of their own that
        # gives what `general` gives them: a loop in the library (`foldl'` over a range)
        # is mostly these operators.
        on_ints = _ON_INTEGERS.get(op)
        if on_ints is not None and type(e.right) is n.Int and type(e.left) is n.Var:
            depth, found = _resolve(e.left.name, scope)
            if found is not None and depth <= 1:
                # ``i - 1``, ``n < 0``, ``x == 3``: a near variable and a constant, read
                # here rather than by two codes of their own.
                return _variable_and_integer(
                    e.left.name,
                    depth,
                    found.single,
                    e.right.value,
                    on_ints,
                    op in _ARITHMETIC,
                    general,
                )
        if op is BinaryOp.ADD:

            def add(env: Env) -> Any:
                a = left(env)
                b = right(env)
                ta = type(a)
                if ta is type(b):
                    if ta is int:
                        r = a + b
                        return r if -INT_LIMIT <= r < INT_LIMIT else wrap(r)
                    if ta is str:
                        return a + b
                return general(env, a, b)

            return add
        if op is BinaryOp.SUB:

            def sub(env: Env) -> Any:
                a = left(env)
                b = right(env)
                if type(a) is int and type(b) is int:
                    r = a - b
                    return r if -INT_LIMIT <= r < INT_LIMIT else wrap(r)
                return general(env, a, b)

            return sub
        if op is BinaryOp.EQ or op is BinaryOp.NEQ:
            negated = op is BinaryOp.NEQ

            def equal(env: Env) -> Any:
                a = left(env)
                b = right(env)
                ta = type(a)
                if ta is type(b) and (ta is int or ta is str):
                    return (a != b) if negated else (a == b)
                return general(env, a, b)

            return equal
        if op in _ORDERINGS:
            # ``a > b`` is ``b < a``; ``<=`` and ``>=`` negate the other one.
            swapped = op is BinaryOp.GT or op is BinaryOp.LEQ
            negated = op is BinaryOp.LEQ or op is BinaryOp.GEQ

            def compare(env: Env) -> Any:
                a = left(env)
                b = right(env)
                ta = type(a)
                if ta is type(b) and (ta is int or ta is str):
                    return ((b < a) if swapped else (a < b)) is not negated
                return general(env, a, b)

            return compare

        return lambda env: general(env, left(env), right(env))

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
            raise E.NeedsValue(unknown, f"the comparison '{op.value}'").at(env[CTX].source, e.span)
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
                    env[CTX].source,
                    e.span,
                    overlay or None,
                    base.model,
                )
            return Unknown(provenance, env[CTX].source, e.span, right.overlay)
        return Unknown(provenance, env[CTX].source, e.span)

    def _compile_not(self, e: n.Not, scope: Scope | None) -> Code:
        expr, span, force_bool = self.compile(e.expr, scope), e.expr.span, self.force_bool

        def not_(env: Env) -> bool:
            a = expr(env)
            return not (a if type(a) is bool else force_bool(a, env, span))

        return not_

    def _compile_negate(self, e: n.Negate, scope: Scope | None) -> Code:
        expr, span = self.compile(e.expr, scope), e.span

        def negate(env: Env) -> Any:
            value = expr(env)
            if type(value) is Unknown:
                return Unknown(f"-{_describe(value)}", env[CTX].source, span)
            try:
                return ops.sub(self, 0, value)
            except E.EvalError as err:
                raise err.at(env[CTX].source, span) from None

        return negate

    # --- data -----------------------------------------------------------------------------

    def _compile_list(self, e: n.List, scope: Scope | None) -> Code:
        elements = [(x, *self._compile_binding(x, scope)) for x in e.elements]
        return lambda env: [
            code(env) if run is None else thunk(x, env, run) for x, code, run in elements
        ]

    def _compile_attrset(self, e: n.AttrSet, scope: Scope | None) -> Code:
        _name_lambdas(self, e.attrs)
        span = e.span
        inner_scope = Scope({d.name for d in e.attrs}, scope) if e.recursive else scope
        dynamic = [
            (dd, self.compile(dd.key, inner_scope), self._compile_item(dd.value, inner_scope))
            for dd in e.dynamic
        ]
        if e.recursive:
            overrides = any(d.name == "__overrides" for d in e.attrs)
            # (name, node, code, run, inherited), as `_compile_binding` gives them; with
            # ``__overrides`` each member is a thunk.
            members: list[tuple[str, n.Expr, Code, Code | None, bool]] = []
            for d in e.attrs:
                inherited = d.kind is AttrKind.INHERIT
                if inherited:
                    item = self._compile_item(d.value, scope)
                    members.append((d.name, d.value, item, None, True))
                elif overrides:
                    own = self.compile(d.value, inner_scope)
                    members.append((d.name, d.value, own, own, False))
                else:
                    code, maybe_run = self._compile_binding(
                        d.value, inner_scope, partial(_compiled_member, members, len(members))
                    )
                    members.append((d.name, d.value, code, maybe_run, False))

            def recursive_set(env: Env) -> Attrs:
                items: dict[str, Any] = {}
                inner = (items, env, env[CTX], None)
                for name, value, code, run, inherited in members:
                    if inherited:
                        items[name] = code(env)
                    elif run is None:
                        items[name] = code(inner)
                    else:
                        items[name] = thunk(value, inner, run)
                if overrides or dynamic:
                    # The set gets more names than the scope its members see.
                    items = dict(items)
                origin: Origin = (env[CTX].source, e)
                if overrides:
                    extra = self.force_attrs(items["__overrides"], env, span)
                    for name in extra.names():
                        if name in inner[VARS]:
                            inner[VARS][name] = extra.items[name]
                        items[name] = extra.items[name]
                    # An overridden attribute is where the overrides set has it, as in Nix.
                    origin = (extra.items, extra.origin, origin)
                return self._dynamic_attrs(items, dynamic, inner, env, origin)

            return recursive_set
        members_plain: list[tuple[str, n.Expr, Code, Code | None]] = []
        for d in e.attrs:
            code, run = self._compile_binding(
                d.value,
                scope,
                partial(_compiled_member, members_plain, len(members_plain)),
            )
            members_plain.append((d.name, d.value, code, run))

        def attrset(env: Env) -> Attrs:
            # A loop, not a comprehension (a function call of its own): sets are small.
            items: dict[str, Any] = {}
            for name, value, code, run in members_plain:
                items[name] = code(env) if run is None else thunk(value, env, run)
            if dynamic:
                return self._dynamic_attrs(items, dynamic, env, env, (env[CTX].source, e))
            return Attrs(items, (env[CTX].source, e))

        return attrset

    def _dynamic_attrs(
        self,
        items: dict[str, Any],
        dynamic: list[tuple[n.DynamicAttrDef, Code, Code]],
        dynamic_env: Env,
        env: Env,
        origin: Origin,
    ) -> Attrs:
        """The set `items` with its dynamic attributes (``${k} = v;``) added; `origin` says
        where the others were defined, and each dynamic one is where its name starts."""
        source = env[CTX].source
        for dd, key_code, value_code in dynamic:
            key = key_code(dynamic_env)
            if key is None:
                continue
            name = self.force_string_no_ctx(key, env, dd.span)
            if name in items:
                first = self._position_of(Attrs(items, origin), name, env, dd.span)
                raise E.EvalError(
                    f"dynamic attribute '{name}' already defined at "
                    f"{first[0].nix_position(first[1].start)}"
                ).at(source, dd.span)
            item = value_code(dynamic_env)
            items[name] = item
            origin = ({name: item}, (source, n.Span(dd.span.start, dd.span.start)), origin)
        return Attrs(items, origin)

    def _compile_let(self, e: n.LetIn, scope: Scope | None) -> Code:
        _name_lambdas(self, e.bindings)
        inner = Scope({d.name for d in e.bindings}, scope)
        bindings: list[tuple[str, n.Expr, Code, Code | None, bool]] = []
        for d in e.bindings:
            inherited = d.kind is AttrKind.INHERIT
            code, run = self._compile_binding(
                d.value,
                scope if inherited else inner,
                partial(_compiled_member, bindings, len(bindings)),
            )
            bindings.append((d.name, d.value, code, run, inherited))
        body = self.compile(e.body, inner)

        def let(env: Env) -> Any:
            bound: dict[str, Any] = {}
            inner = (bound, env, env[CTX], None)
            for name, value, code, run, inherited in bindings:
                where = env if inherited else inner
                bound[name] = code(where) if run is None else thunk(value, where, run)
            return body(inner)

        return let

    def _compile_legacy_let(self, e: n.LegacyLet, scope: Scope | None) -> Code:
        attrs_code, span = self._compile_attrset(e.attrs, scope), e.span

        def legacy_let(env: Env) -> Any:
            attrs = attrs_code(env)
            body = attrs.items.get("body", MISSING)
            if body is MISSING:
                raise self.missing_attribute("body", attrs, env, span)
            return force(body)

        return legacy_let

    def _compile_with(self, e: n.With, scope: Scope | None) -> Code:
        # A ``with`` is a scope that binds no name statically (`_lookup_with`).
        body, attrs = self.compile(e.body, Scope(set(), scope)), self._compile_item(e.env, scope)
        return lambda env: body(({}, env, env[CTX], attrs(env)))

    def _compile_assert(self, e: n.Assert, scope: Scope | None) -> Code:
        cond, body = self.compile(e.cond, scope), self.compile(e.body, scope)
        cond_span, span = e.cond.span, e.span

        def assert_(env: Env) -> Any:
            if not self.force_bool(cond(env), env, cond_span):
                shown = nix_show(e.cond, env[CTX].base_dir)
                raise E.AssertionFailed(f"assertion '{shown}' failed").at(env[CTX].source, span)
            return body(env)

        return assert_

    def _compile_if(self, e: n.If, scope: Scope | None) -> Code:
        cond, then, else_ = (
            self.compile(e.cond, scope),
            self.compile(e.then, scope),
            self.compile(e.else_, scope),
        )
        cond_span, force_bool = e.cond.span, self.force_bool

        def if_(env: Env) -> Any:
            c = cond(env)
            if c if type(c) is bool else force_bool(c, env, cond_span):
                return then(env)
            return else_(env)

        return if_


# The code of an expression: a function from an environment to the expression's value
# there, in weak head normal form.
Code = Callable[[Env], Any]


_ORDERINGS = frozenset((BinaryOp.LT, BinaryOp.GT, BinaryOp.LEQ, BinaryOp.GEQ))
# What an operator gives on two integers (Nix's, as Python's: `wrap` keeps the arithmetic
# to 64 bits), for `_variable_and_integer`.
_ON_INTEGERS: dict[BinaryOp, Callable[[int, int], Any]] = {
    BinaryOp.ADD: operator.add,
    BinaryOp.SUB: operator.sub,
    BinaryOp.MUL: operator.mul,
    BinaryOp.EQ: operator.eq,
    BinaryOp.NEQ: operator.ne,
    BinaryOp.LT: operator.lt,
    BinaryOp.GT: operator.gt,
    BinaryOp.LEQ: operator.le,
    BinaryOp.GEQ: operator.ge,
}
_ARITHMETIC = frozenset((BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL))


def _variable_and_integer(
    name: str,
    depth: int,
    single: bool,
    constant: int,
    on_ints: Callable[[int, int], Any],
    arithmetic: bool,
    general: Callable[[Env, Any, Any], Any],
) -> Code:
    """The code of ``name OP constant``, `name` bound `depth` (0 or 1) scopes out (in a
    `Scope.single` one when `single`): an integer value is computed here, anything else
    by `general`."""
    if depth == 0:

        def operation(env: Env) -> Any:
            a = env[VARS] if single else env[VARS][name]
            if type(a) is Thunk:
                a = a.value if a.run is None else force(a)
            if type(a) is int:
                r = on_ints(a, constant)
                return r if not arithmetic or -INT_LIMIT <= r < INT_LIMIT else wrap(r)
            return general(env, a, constant)

    else:

        def operation(env: Env) -> Any:
            up: Any = env[UP]
            a = up[VARS] if single else up[VARS][name]
            if type(a) is Thunk:
                a = a.value if a.run is None else force(a)
            if type(a) is int:
                r = on_ints(a, constant)
                return r if not arithmetic or -INT_LIMIT <= r < INT_LIMIT else wrap(r)
            return general(env, a, constant)

    return operation


class Scope:
    """At compile time, the names one scope binds, and the scope around it: one `Scope`
    per `Env` the evaluator makes at run time (a ``with`` binds no name statically).

    A `single` scope is a function's one plain parameter (``x: …``): its env's `vars` is
    that parameter's item itself, not a dict of one name (a call makes no dict, and the
    scopes that thunks keep alive are a third of the size)."""

    __slots__ = ("names", "single", "up")

    def __init__(self, names: set[str], up: Scope | None, single: bool = False) -> None:
        self.names = names
        self.up = up
        self.single = single


def _resolve(name: str, scope: Scope | None) -> tuple[int, Scope | None]:
    """How many scopes out `name` is bound, and the scope binding it, if any of those
    known at compile time does. (A name none binds is one the file's top expression sees
    bound around it, `FileContext.names`, or one a ``with`` gives: compiled code is always
    that of a file's top expression and what it contains, `Machine.eval`.)"""
    depth = 0
    while scope is not None:
        if name in scope.names:
            return depth, scope
        depth += 1
        scope = scope.up
    return depth, None


def _up(env: Env | None, depth: int) -> Env | None:
    while depth and env is not None:
        env = env[UP]
        depth -= 1
    return env


def _lexical_item(name: str, depth: int, single: bool, e: n.Var, run: Code) -> Code:
    """The code of a variable bound `depth` scopes out (in a `Scope.single` one when
    `single`), as a binding's item. In the scope being made (depth 0: a ``let``, a ``rec``
    set, a function's formals) a later binding is not there yet: it is then a thunk, as in
    Nix (``let a = b; b = 1; in a`` is 1, not what an outer ``b`` is)."""
    if single:
        if depth == 0:
            return lambda env: env[VARS]
        if depth == 1:
            return lambda env: env[UP][VARS]  # type: ignore[index]
        return lambda env: _up(env, depth)[VARS]  # type: ignore[index]
    if depth == 0:

        def item(env: Env) -> Any:
            value = env[VARS].get(name, MISSING)
            return thunk(e, env, run) if value is MISSING else value

        return item
    if depth == 1:
        return lambda env: env[UP][VARS][name]  # type: ignore[index]
    if depth == 2:
        return lambda env: env[UP][UP][VARS][name]  # type: ignore[index]
    return lambda env: _up(env, depth)[VARS][name]  # type: ignore[index]


@cache  # the code depends on nothing else: one function for each
def _lexical_variable(name: str, depth: int, single: bool) -> Code:
    """The code of a variable bound `depth` scopes out (in a `Scope.single` one when
    `single`): its value. (One function per near depth, each inlining the walk and the
    forcing: variables are the commonest node, and a call or a loop more per lookup shows
    in every library-heavy evaluation.)"""
    if depth == 0 and single:

        def variable(env: Env) -> Any:
            item = env[VARS]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    elif depth == 0:

        def variable(env: Env) -> Any:
            item = env[VARS][name]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    elif depth == 1 and single:

        def variable(env: Env) -> Any:
            item = env[UP][VARS]  # type: ignore[index]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    elif depth == 1:

        def variable(env: Env) -> Any:
            item = env[UP][VARS][name]  # type: ignore[index]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    elif depth == 2 and single:

        def variable(env: Env) -> Any:
            item = env[UP][UP][VARS]  # type: ignore[index]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    elif depth == 2:

        def variable(env: Env) -> Any:
            item = env[UP][UP][VARS][name]  # type: ignore[index]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    else:

        def variable(env: Env) -> Any:
            frame: Any = env[UP][UP][UP]  # type: ignore[index]
            for _ in hops:
                frame = frame[UP]
            item = frame[VARS] if single else frame[VARS][name]
            if type(item) is not Thunk:
                return item
            return item.value if item.run is None else force(item)

    hops = range(depth - 3)
    return variable


class LambdaCode:
    """A lambda's compiled parts, shared by its closures and filled in by the first call:
    the body, and each formal with the code of its default (None: required)."""

    __slots__ = ("body", "both", "ellipsis", "formals", "param", "scope", "then")

    def __init__(self, scope: Scope | None) -> None:
        self.scope = scope  # where the lambda is
        self.body: Code | None = None
        self.param: str | None = None
        self.formals: list[tuple[str, Code | None]] | None = None
        self.ellipsis = False
        # ``a: b: …``, both plain: the inner function's code, compiled with this one, so
        # that ``f x y`` can enter it at once (`Machine._compile_apply_two`).
        self.then: LambdaCode | None = None
        # With `then`: the inner function's body, compiled (by the first such call) in
        # one scope binding both arguments, so that entering it with both makes one scope,
        # not two. (``x: x: …``: the inner `x` is the one the scope keeps, as it should.)
        self.both: Code | None = None

    def compile(self, machine: Machine, lam: n.Lambda) -> None:
        self.param = lam.param
        names = {lam.param} if lam.param is not None else set()
        if lam.formals is not None:
            names.update(f.name for f in lam.formals.entries)
        inner = Scope(names, self.scope, single=lam.formals is None)
        if lam.formals is not None:
            self.formals = [
                (f.name, None if f.default is None else machine._compile_item(f.default, inner))
                for f in lam.formals.entries
            ]
            self.ellipsis = lam.formals.ellipsis
        body = lam.body
        if lam.formals is None and type(body) is n.Lambda and body.formals is None:
            then = LambdaCode(inner)
            then.compile(machine, body)
            self.then = then
            self.body = lambda env: closure(body, env, then)
            return
        self.body = machine.compile(lam.body, inner)  # last: a body means the rest is there

    def compile_both(self, machine: Machine, lam: n.Lambda) -> Code:
        """`both`, compiled now (`lam` is ``a: b: …``, and `compile` has run)."""
        inner = lam.body
        first, second = lam.param, self.then.param if self.then is not None else None
        assert type(inner) is n.Lambda and first is not None and second is not None
        self.both = machine.compile(inner.body, Scope({first, second}, self.scope))
        return self.both


def _compiled_member(members: list[Any], index: int, run: Code) -> None:
    """Member `index` of a set's or a let's (name, node, code, run, …) has been compiled:
    its next thunks run `run` itself."""
    member = members[index]
    members[index] = (*member[:3], run, *member[4:])


def _compile_constant(e: n.Int | n.Float | n.Uri, scope: Scope | None) -> Code:
    value = e.value
    return lambda env: value


def _compile_lambda(e: n.Lambda, scope: Scope | None) -> Code:
    code = LambdaCode(scope)
    return lambda env: closure(e, env, code)


def _compile_cur_pos(e: n.CurPos, scope: Scope | None) -> Code:
    def cur_pos(env: Env) -> Attrs:
        pos = env[CTX].source.position(e.span.start)
        return Attrs(
            {"column": pos.column, "file": env[CTX].source.position_file, "line": pos.line}
        )

    return cur_pos


def _function_name(machine: Machine, lam: n.Lambda) -> str:
    name = machine.lambda_names.get(id(lam))
    return f"function '{name}'" if name else "anonymous function"


def _stack_overflow(env: Env, span: n.Span) -> E.EvalError:
    """Out of Python stack: the error, at the innermost call that still has room."""
    return E.StackOverflow("stack overflow (possible infinite recursion)").at(env[CTX].source, span)


def _named_at(machine: Machine, lam: n.Lambda, closure_env: Env) -> str:
    """A function as Nix 2.8's argument errors name it: ``'f' at file:1:9``, or
    ``anonymous function at (string):1:2``."""
    source = closure_env[CTX].source
    where = source.nix_position(source.own_start(lam.span.start, lam.span.end))
    name = machine.lambda_names.get(id(lam))
    return f"'{name}' at {where}" if name else f"anonymous function at {where}"


def _name_lambdas(machine: Machine, defs: tuple[n.AttrDef, ...]) -> None:
    names = machine.lambda_names
    for d in defs:
        if type(d.value) is n.Lambda and id(d.value) not in names:
            names[id(d.value)] = d.name


def _call_site(
    env: Env | None, span: n.Span | None, closure_env: Env, lam: n.Lambda
) -> tuple[Source, n.Span]:
    if env is not None and span is not None:
        return env[CTX].source, span
    return closure_env[CTX].source, lam.span


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
        return item.run is None and item.value is value
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
    if type(item) is Thunk and item.run is not None:
        # (A thunk of a builtin's, or of a `map` element's function body, has no node.)
        text = to_nix(item.code) if isinstance(item.code, n.Expr) else "…"
    else:
        text = _describe(item.value if type(item) is Thunk else item)
    if len(text) > 80:
        text = text[:77] + "…"
    return _parenthesised(text)


def _show_path(path: tuple[n.AttrName, ...]) -> str:
    return ".".join(a.name if type(a) is n.StaticAttr else '"${...}"' for a in path)
