"""Finding the effects in a ci file, as Hercules CI finds them (hercules-effects.md §9).

* `find_file`: which file Hercules CI evaluates in a directory.
* `load_root`: the value it walks. A legacy ``ci.nix`` is called with ``src`` (the
  checkout, `nixeval.checkout`) when it is a function; a ``flake.nix`` is evaluated as a
  flake whose inputs are unknowns, and its ``herculesCI`` function is called with the
  checkout's arguments (`flake_ci_root`).
* `walk`: every effect (or runIf result) below an attribute path, with the path as ``-A``
  takes it.

Legacy traversal: the root's attributes; below them only sets with
``recurseForDerivations = true``; functions whose arguments all have defaults (and
functors) are called; at most `MAX_DEPTH` attribute names below the start.

Flake traversal: ``herculesCI.onPush.<job>.outputs`` and ``herculesCI.onSchedule.<job>.outputs``;
below ``outputs`` every nested set is walked (unless ``recurseForDerivations = false``),
at most `MAX_DEPTH` names below ``outputs``; effects are allowed only below
``outputs.effects``, anywhere else they are Hercules CI's error (`MisplacedEffect`). The
path of an effect is e.g. ``herculesCI.onPush.default.outputs.effects.deploy``.

Everywhere: an effect or runIf result (`nixeval.effects.describe.classify`) is yielded
and not descended into; a derivation is a leaf; an unknown is skipped (nothing in it can
be known to be an effect), unless it is the selected value itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..builtins.paths import import_file
from ..checkout import Checkout
from ..eval import errors as E
from ..eval.force import force
from ..values import Attrs, Closure, NixPath, PrimOp, PrimOpApp, Unknown, show_type, thunk_of
from .files import is_flake

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.nodes import Span
    from ..syntax.source import Source

    Where = tuple[Source | None, Span | None]

# How many attribute names below the start (legacy) or below ``outputs`` (flakes) are
# walked: Hercules CI's limit, which also stops cycles such as ``pkgs.pkgs.pkgs…``.
MAX_DEPTH = 10

_ROOT_HINT = (
    "Hercules CI calls a ci file's function with `src` only: give the other arguments defaults"
)
MISPLACED_MESSAGE = (
    "This derivation is marked as an effect, but effects are only allowed below the "
    "effects attribute."
)


class MisplacedEffect(E.EvalError):
    """An effect in a flake's ``herculesCI`` outputs but not below ``outputs.effects``."""

    code = "E211"
    kind = "effect"

    def __init__(self, attr_path: str, where: Where, hint: str) -> None:
        super().__init__(MISPLACED_MESSAGE, where[0], where[1], hint)
        self.attr_path = attr_path


# --- the file -------------------------------------------------------------------------------


def load_root(machine: Machine, file: str, checkout: Checkout) -> Any:
    """The value of `file` as Hercules CI walks it: for a legacy file, the file's value,
    called with ``src`` if it is a function (only formals it names are passed, unless it
    has ``...``); for a flake, its outputs with ``herculesCI`` called (`flake_ci_root`)."""
    path = os.path.abspath(file)
    if is_flake(file):
        return flake_ci_root(machine, _load_flake(machine, path, checkout), checkout)
    value = force(import_file(machine, path))
    given = {"src": checkout.src_value(machine)}
    return _auto_call(machine, value, given, strict=True, hint=_ROOT_HINT)


def flake_ci_root(machine: Machine, outputs: Any, checkout: Checkout) -> Any:
    """The flake outputs with ``herculesCI`` replaced by what Hercules CI walks: its value
    called with the checkout's arguments if it is a function (lazily). `load_root` has
    done this already; doing it again changes nothing."""
    outputs = force(outputs)
    if type(outputs) is not Attrs or "herculesCI" not in outputs.items:
        return outputs
    item = outputs.items["herculesCI"]

    def called() -> Any:
        value = force(item)
        if not _is_function(value):
            return value
        args = checkout.herculesci_args(machine)
        if type(value) is Closure and value.lam.formals is not None:
            formals = value.lam.formals
            if not formals.ellipsis:
                names = {f.name for f in formals.entries}
                args = Attrs({k: v for k, v in args.items.items() if k in names})
        return force(machine.call(value, args))

    items = dict(outputs.items)
    items["herculesCI"] = thunk_of(called)
    return Attrs(items, outputs.origin)


def _load_flake(machine: Machine, path: str, checkout: Checkout) -> Any:
    """``flake.nix`` evaluated as Nix's call-flake.nix does, offline: every input is an
    unknown, ``self`` is the outputs with the flake's source info (a fixpoint)."""
    flake = machine.force_attrs(import_file(machine, path))
    if "outputs" not in flake.items:
        raise E.MissingAttribute(
            f"flake '{path}' lacks attribute 'outputs'", *(flake.written_at() or (None, None))
        )
    outputs_fn = force(flake.items["outputs"])
    declared = force(flake.items["inputs"]) if "inputs" in flake.items else Attrs({})
    if type(declared) is not Attrs:
        raise machine.type_error(declared, "a set (the flake's inputs)")
    names = list(declared.names())
    if type(outputs_fn) is Closure and outputs_fn.lam.formals is not None:
        names += [f.name for f in outputs_fn.lam.formals.entries if f.name not in declared]
    inputs: dict[str, Any] = {}
    follows: dict[str, str] = {}
    for name in names:
        if name == "self":
            continue
        url, target = _input_spec(declared.items.get(name))
        if target is not None:
            follows[name] = target
        detail = f"follows {target}" if target is not None else url
        inputs[name] = Unknown(f"flake input {name}" + (f" ({detail})" if detail else ""))
    for name, target in follows.items():
        if target in inputs and target not in follows:
            inputs[name] = inputs[target]
    directory = os.path.dirname(path)
    source_info = _source_info(directory, checkout)
    inputs_attrs = Attrs(inputs)

    def outputs() -> Any:
        return force(machine.call(outputs_fn, Attrs({**inputs, "self": self_item})))

    outputs_item = thunk_of(outputs)

    def self_value() -> Any:
        value = force(outputs_item)
        extra = {
            **source_info.items,
            "inputs": inputs_attrs,
            "outputs": outputs_item,
            "sourceInfo": source_info,
            "_type": "flake",
        }
        if type(value) is Attrs:
            return Attrs({**value.items, **extra})
        if type(value) is Unknown:
            return Unknown(value.provenance, value.source, value.span, extra)
        raise machine.type_error(value, "a set (the flake's outputs)")

    self_item = thunk_of(self_value)
    return force(outputs_item)


def _input_spec(item: Any) -> tuple[str | None, str | None]:
    """(url, follows) of a declared input: ``{ url = …; }``, ``{ follows = …; }`` or a
    bare URL string."""
    if item is None:
        return None, None
    value = force(item)
    if isinstance(value, str):
        return str(value), None
    if type(value) is not Attrs:
        return None, None
    url = force(value.items["url"]) if "url" in value.items else None
    target = force(value.items["follows"]) if "follows" in value.items else None
    return (
        str(url) if isinstance(url, str) else None,
        str(target) if isinstance(target, str) else None,
    )


def _source_info(directory: str, checkout: Checkout) -> Attrs:
    how = "a flake's source info is only known once Nix has copied it to the store"
    items: dict[str, Any] = {
        "outPath": NixPath(directory),
        "lastModified": Unknown(f"self.lastModified ({how})"),
        "lastModifiedDate": Unknown(f"self.lastModifiedDate ({how})"),
        "narHash": Unknown(f"self.narHash ({how})"),
    }
    how_rev = "evaluate in a git checkout with a commit"
    items["rev"] = checkout.rev or Unknown(f"self.rev (the checkout's commit: {how_rev})")
    items["shortRev"] = checkout.short_rev or Unknown(
        f"self.shortRev (the checkout's short commit: {how_rev})"
    )
    return Attrs(items)


# --- walking --------------------------------------------------------------------------------

_ROOT, _HCI, _JOBS, _JOB, _OUTPUTS, _EFFECTS, _OTHER = range(7)
_JOB_KINDS = ("onPush", "onSchedule")


def walk(
    machine: Machine,
    root: Any,
    attr_path: Sequence[str],
    flake: bool,
    on_error: Callable[[E.EvalError], None] | None = None,
) -> Iterator[tuple[str, Any]]:
    """``(attribute path, value)`` for every effect or runIf result below `attr_path` of
    `root`, in traversal order (names sorted as Nix sorts them). The selection auto-calls
    functions on the way, as ``-A`` does; a selected effect yields just itself.

    An error stops the walk, unless `on_error` takes it: then the attribute it happened
    in is skipped and the walk goes on with the next (``check`` reports them all)."""
    walker = _Walker(machine, flake, on_error)
    names, value, where = walker.select(root, list(attr_path))
    yield from walker.visit(names, value, where, 0, selected=True)


def show_attr_path(names: Sequence[str]) -> str:
    """An attribute path as Nix's ``-A`` parses it: ``.``-joined, names containing a
    ``.`` (or empty) in double quotes."""
    return ".".join(f'"{name}"' if "." in name or not name else name for name in names)


class _Walker:
    def __init__(
        self, machine: Machine, flake: bool, on_error: Callable[[E.EvalError], None] | None
    ) -> None:
        from .describe import classify

        self.machine = machine
        self.flake = flake
        self.on_error = on_error
        self.classify = classify
        self.noted: set[int] = set()

    # --- selecting the start ----------------------------------------------------------------

    def select(self, root: Any, path: list[str]) -> tuple[tuple[str, ...], Any, Where]:
        machine = self.machine
        shown = show_attr_path(path)
        value = root
        names: tuple[str, ...] = ()
        where: Where = (None, None)
        for name in path:
            value = _auto_call(machine, value, {}, strict=True)
            if type(value) is Unknown:
                raise self.unknown_selected(value, shown)
            if type(value) is list and name.isdigit():
                index = int(name)
                if index >= len(value):
                    raise E.MissingAttribute(
                        f"list index {index} in selection path '{shown}' is out of range"
                    )
                value = value[index]
            elif type(value) is not Attrs:
                at = show_attr_path(names) or "the root"
                raise E.TypeMismatch(
                    f"the value at '{at}' in selection path '{shown}' should be a set "
                    f"but is {show_type(value)}"
                )
            elif name not in value.items:
                from ..spelling import closest

                suggestion = closest(name, value.items)
                source, span = value.written_at() or (None, None)
                raise E.MissingAttribute(
                    f"attribute '{name}' in selection path '{shown}' not found",
                    source,
                    span,
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
            else:
                where = value.position(name) or (None, None)
                value = value.items[name]
            names = (*names, name)
        return names, value, where

    def unknown_selected(self, value: Unknown, shown: str) -> E.EvalError:
        what = f"finding the effects in '{shown}'" if shown else "finding the effects"
        return E.NeedsValue(value, what).at(value.source, value.span)

    # --- the walk ---------------------------------------------------------------------------

    def visit(
        self, names: tuple[str, ...], item: Any, where: Where, depth: int, selected: bool
    ) -> Iterator[tuple[str, Any]]:
        machine = self.machine
        value = _auto_call(machine, item, {}, strict=False)
        if type(value) is Unknown:
            if selected:
                raise self.unknown_selected(value, show_attr_path(names))
            return
        zone = _zone(names) if self.flake else _OTHER
        kind = self.classify(machine, value)
        if kind is not None:
            if selected or not self.flake or zone == _EFFECTS:
                yield show_attr_path(names), value
                return
            if kind == "effect":
                raise self.misplaced(names, where)
            # A runIf result elsewhere: Hercules CI walks into it, and its `run` (an
            # effect) is the error; its `dependencies` (not an effect) is built.
        if type(value) is not Attrs:
            if selected:
                at = show_attr_path(names)
                raise E.TypeMismatch(
                    f"the value at '{at}' should be a set or an effect but is {show_type(value)}"
                    if at
                    else f"the file's value should be a set but is {show_type(value)}"
                )
            return
        if _is_derivation(value):
            return
        if self.flake and zone == _OUTPUTS:
            depth = 0  # the depth limit counts from `outputs`
        for name in self.children(value, zone, depth, selected):
            child = (*names, name)
            position = value.position(name) or (None, None)
            try:
                yield from self.visit(child, value.items[name], position, depth + 1, False)
            except E.EvalError as err:
                self.note(err, child, position)
                if self.on_error is None:
                    raise
                self.on_error(err)

    def children(self, value: Attrs, zone: int, depth: int, selected: bool) -> list[str]:
        if not self.flake:
            if depth >= MAX_DEPTH:
                return []
            if selected or _recurse_flag(value) is True:
                return value.names()
            return []
        if zone == _ROOT:
            return ["herculesCI"] if "herculesCI" in value.items else []
        if zone == _HCI:
            return [name for name in value.names() if name in _JOB_KINDS]
        if zone == _JOBS:
            return value.names()
        if zone == _JOB:
            return ["outputs"] if "outputs" in value.items else []
        if depth >= MAX_DEPTH or (not selected and _recurse_flag(value) is False):
            return []
        return value.names()

    def misplaced(self, names: tuple[str, ...], where: Where) -> MisplacedEffect:
        shown = show_attr_path(names)
        if _zone(names[:4]) == _OUTPUTS and len(names) > 4:
            effects = show_attr_path((*names[:4], "effects"))
            hint = f"'{shown}' is not below '{effects}': move it there"
        else:
            hint = (
                f"'{shown}' is not below a job's effects: put effects in "
                "herculesCI.onPush.<job>.outputs.effects"
            )
        err = MisplacedEffect(shown, where, hint)
        self.noted.add(id(err))
        return err

    def note(self, err: E.EvalError, names: tuple[str, ...], where: Where) -> None:
        """Say once, at the innermost attribute, which attribute the walk was in."""
        if id(err) in self.noted:
            return
        self.noted.add(id(err))
        err.at(*where)
        if len(err.trace) < 64:
            err.note(
                f"while looking for effects in the attribute '{show_attr_path(names)}'", *where
            )


def _zone(names: tuple[str, ...]) -> int:
    """Where a flake attribute path is in Hercules CI's ``herculesCI`` structure."""
    count = len(names)
    if count == 0:
        return _ROOT
    if names[0] != "herculesCI":
        return _OTHER
    if count == 1:
        return _HCI
    if names[1] not in _JOB_KINDS:
        return _OTHER
    if count == 2:
        return _JOBS
    if count == 3:
        return _JOB
    if names[3] != "outputs":
        return _OTHER
    if count == 4:
        return _OUTPUTS
    return _EFFECTS if names[4] == "effects" else _OTHER


def _recurse_flag(value: Attrs) -> Any:
    item = value.items.get("recurseForDerivations")
    return None if item is None else force(item)


def _is_derivation(value: Attrs) -> bool:
    item = value.items.get("type")
    return item is not None and force(item) == "derivation"


def _is_function(value: Any) -> bool:
    t = type(value)
    return (
        t is Closure or t is PrimOp or t is PrimOpApp or (t is Attrs and "__functor" in value.items)
    )


def _auto_call(
    machine: Machine, item: Any, given: dict[str, Any], strict: bool, hint: str | None = None
) -> Any:
    """Nix's autoCallFunction: a function with formals is called with the `given`
    arguments it names (all of them if it has ``...``); a functor's function likewise.
    A formal without a default and not given is an error if `strict`, else the function
    is returned uncalled (a walk skips it)."""
    value = force(item)
    if type(value) is Attrs and "__functor" in value.items:
        inner = force(machine.call(force(value.items["__functor"]), value))
        return _auto_call(machine, inner, given, strict, hint)
    if type(value) is not Closure or value.lam.formals is None:
        return value
    formals = value.lam.formals
    for f in formals.entries:
        if f.default is None and f.name not in given:
            if not strict:
                return value
            raise E.BadArgument(
                f"cannot evaluate a function that has an argument without a value ('{f.name}')",
                value.env.ctx.source,
                f.span,
                hint=hint,
            )
    if formals.ellipsis:
        args = dict(given)
    else:
        names = {f.name for f in formals.entries}
        args = {name: v for name, v in given.items() if name in names}
    return force(machine.call(value, Attrs(args)))
