"""The real hercules-ci-effects, as the ci file calls it.

When the library's source is at hand (a flake input, a pinned tarball), its own code
runs: ``effects/default.nix`` over the modelled nixpkgs (`nixeval.nixpkgs.model`), the
overlay and the flake modules, which all import that file. ci-eval watches the calls
only: `import` of the library's ``effects/default.nix`` (``self: pkgs: { … }``) gives a
function whose result has each effect function, and ``runIf``, wrapped so that

* each call is remembered (function, argument, where it was written), keyed by the
  effect it made, for the description (`nixeval.effects.describe`);
* each runIf remembers its condition, as for the bundled model (`calls`);
* a ``throw`` or failed ``assert`` of the library's own checks is reported at the
  user's call, with the library's message, and the library's line as a note.

The values are the library's: a wrapped functor keeps its other attributes
(``mkEffect.override``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.access import MODEL_DIR
from ..eval.force import force
from ..values import Attrs, PrimOp
from .calls import (
    EFFECT_FUNCTIONS,
    Call,
    Site,
    calls_of,
    expression_site,
    record_run_if,
)
from .definitions import module_definition

if TYPE_CHECKING:
    from ..eval.machine import Machine


@dataclass(frozen=True)
class Library:
    """A hercules-ci-effects source tree whose code runs: its directory and, when its
    pin says, its revision."""

    path: str
    revision: str | None


def library_root(effects_default: str) -> str | None:
    """The source tree of hercules-ci-effects whose ``effects/default.nix`` is
    `effects_default`, or None when the file is not that library's."""
    effects = os.path.dirname(effects_default)
    root = os.path.dirname(effects)
    marks = (
        os.path.join(effects, "effect", "effect.nix"),
        os.path.join(effects, "effect", "effects-setup-hook.sh"),
        os.path.join(root, "flake-module.nix"),
    )
    return root if all(os.path.isfile(mark) for mark in marks) else None


def library_of(machine: Machine, root: str) -> Library:
    """The library at `root`, with the revision its pin gives (from the sources this
    evaluation resolved), if any."""
    revision = None
    for path, used in _used_inputs(machine):
        if os.path.realpath(path) == os.path.realpath(root):
            pinned = str(used.get("pinned", ""))
            last = pinned.rsplit("/", 1)[-1]
            if re.fullmatch(r"[0-9a-f]{40}", last):
                revision = last
    return Library(root, revision)


def _used_inputs(machine: Machine) -> list[tuple[str, dict[str, Any]]]:
    """The pinned sources this evaluation resolved that have a directory: (path, entry of
    the description's `sources.inputs`)."""
    return [
        (used["path"], used)
        for used in machine.sources.to_json()["inputs"]
        if isinstance(used, dict) and isinstance(used.get("path"), str)
    ]


def wrap_library(machine: Machine, root: str, function: Any) -> PrimOp:
    """``import <root>/effects/default.nix``: ``self: pkgs:`` the library's set, with
    its effect functions and runIf watched."""

    def library_set(self: Any, pkgs: Any) -> Any:
        value = force(machine.call(machine.call(force(function), self), pkgs))
        if type(value) is not Attrs:
            return value
        items = dict(value.items)
        for name in EFFECT_FUNCTIONS:
            if name in items:
                items[name] = _watched(machine, root, name, items[name])
        if "runIf" in items:
            items["runIf"] = PrimOp("runIf", 2, _run_if(machine, root, items["runIf"]), site=True)
        return Attrs(items, value.origin)

    return PrimOp("hercules-ci-effects", 2, library_set)


def _watched(machine: Machine, root: str, name: str, item: Any) -> Any:
    """The effect function `item`, its calls remembered. A functor set (what
    ``lib.makeOverridable`` makes) keeps its other attributes."""

    def record(call: Callable[[], Any], arg: Any, site: Site) -> Any:
        argument = force(arg)
        if type(argument) is Attrs:
            site = argument.written_at() or site
        module = None
        if site[0] is not None and _inside(site[0].name, root):
            # A flake module's own call: the effect stands where the user set its options.
            definition = module_definition(machine, site[0], _input_directories(machine))
            if definition is not None:
                module = (definition.option, *site)
                site = (definition.source, definition.span)
        try:
            result = force(call())
        except E.Catchable as err:
            raise at_call(err, root, name, site) from None
        if type(result) is Attrs:
            calls = calls_of(machine)
            calls.by_effect[id(result)] = (result, Call(name, argument, *site, module), root)
        return result

    def lazily() -> Any:
        value = force(item)
        if type(value) is Attrs and "__functor" in value.items:
            functor = value.items["__functor"]

            def apply(self: Any, arg: Any, site: Site) -> Any:
                return record(
                    lambda: machine.call(machine.call(force(functor), self), arg), arg, site
                )

            return Attrs({**value.items, "__functor": PrimOp(name, 2, apply, site=True)})

        def call(arg: Any, site: Site) -> Any:
            return record(lambda: machine.call(value, arg), arg, site)

        return PrimOp(name, 1, call, site=True)

    from ..values import thunk_of

    return thunk_of(lazily)


def _inside(path: str, root: str) -> bool:
    """Whether `path` is a file of the library at `root` (both as the file system has
    them: the root may have been reached through a symlink)."""
    return os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)


def _input_directories(machine: Machine) -> list[str]:
    """The directories of the pinned sources this evaluation used, and ci-eval's models."""
    return [MODEL_DIR] + [path for path, _ in _used_inputs(machine)]


def at_call(err: E.EvalError, root: str, name: str, site: Site) -> E.EvalError:
    """A check of the library at `root` that failed: reported at the user's call
    (`site`), the library's own line kept as a note."""
    source, span = site
    if source is None or span is None:
        return err
    inside = err.source is not None and _inside(err.source.name, root)
    if err.span is None or inside:
        if err.span is not None:
            err.note(f"hercules-ci-effects' {name} checks this here", err.source, err.span)
        err.source, err.span = source, span
    return err


def _run_if(machine: Machine, root: str, function: Any) -> Callable[..., Any]:
    """The library's runIf, its condition remembered."""

    def run_if(condition: Any, effect: Any, site: Site) -> Any:
        where = expression_site(condition, site)
        try:
            result = force(machine.call(machine.call(force(function), condition), effect))
        except E.EvalError as err:
            raise at_call(err, root, "runIf", where) from None
        value = force(condition)
        if type(result) is Attrs and type(value) is bool:
            record = record_run_if(machine, result, value, where, effect)
            given = force(effect)
            calls_of(machine).run_ifs_by_effect[id(given)] = (given, record)
        return result

    return run_if
