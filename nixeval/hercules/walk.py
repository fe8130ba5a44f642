"""Finding the effects in an opened project (`nixeval.hercules.project`), as the Hercules
CI agent walks it (hercules-agent.md §4): `walk` yields every effect (or runIf result)
below an attribute path, with the path as ``-A`` takes it.

Legacy traversal: the root's attributes; below them only sets with
``recurseForDerivations = true``; functions whose arguments all have defaults (and
functors) are called; at most `MAX_DEPTH` attribute names below the start.

Flake traversal: ``herculesCI.onPush.<job>.outputs`` and ``herculesCI.onSchedule.<job>.outputs``;
below ``outputs`` every nested set is walked (unless ``recurseForDerivations = false``),
at most `MAX_DEPTH` names below ``outputs``; effects are allowed only below
``outputs.effects``, anywhere else they are Hercules CI's error (`MisplacedEffect`). The
path of an effect is e.g. ``herculesCI.onPush.default.outputs.effects.deploy``.

Jobs (`nixeval.hercules.jobs`): a scheduled job's ``when`` is checked; a job with
``enable = false`` is not walked; ``outputs`` may be a function of the job's extra
inputs (unknown offline). Sets with a ``_type`` attribute below ``outputs`` are not
walked (as the agent).

Everywhere: an effect or runIf result (`nixeval.effects.describe.classify`) is yielded
and not descended into; a derivation is a leaf. An unknown is yielded too, so that what
might hold effects is never dropped silently — except a package of the modelled nixpkgs
(a build) and, in a flake's outputs, what is outside ``effects`` (no effect may be
there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.autocall import auto_call, select, show_attr_path
from ..eval.force import force
from ..values import Attrs, Unknown, show_type

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.nodes import Span
    from ..syntax.source import Source

    Where = tuple[Source | None, Span | None]

# How many attribute names below the start (legacy) or below ``outputs`` (flakes) are
# walked: Hercules CI's limit, which also stops cycles such as ``pkgs.pkgs.pkgs…``.
MAX_DEPTH = 10

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


# --- walking --------------------------------------------------------------------------------

_ROOT, _HCI, _JOBS, _JOB, _OUTPUTS, _EFFECTS, _OTHER = range(7)
_JOB_KINDS = ("onPush", "onSchedule")


def walk(
    machine: Machine,
    root: Any,
    attr_path: Sequence[str],
    flake: bool,
    on_error: Callable[[E.EvalError], None] | None = None,
    schedules: dict[str, dict[str, Any]] | None = None,
) -> Iterator[tuple[str, Any]]:
    """``(attribute path, value)`` for every effect or runIf result below `attr_path` of
    `root`, in traversal order (names sorted as Nix sorts them). The selection auto-calls
    functions on the way, as ``-A`` does; a selected effect yields just itself.

    An error stops the walk, unless `on_error` takes it: then the attribute it happened
    in is skipped and the walk goes on with the next (``check`` reports them all).
    `schedules`, if given, gets the ``when`` of each scheduled job walked, by the job's
    attribute path (`nixeval.hercules.jobs.job_when`)."""
    walker = _Walker(machine, flake, on_error)
    walker.schedules = schedules
    names, value, where = walker.select(root, list(attr_path))
    yield from walker.visit(names, value, where, 0, selected=True)


class _Walker:
    def __init__(
        self, machine: Machine, flake: bool, on_error: Callable[[E.EvalError], None] | None
    ) -> None:
        from ..effects.describe import classify

        self.machine = machine
        self.flake = flake
        self.on_error = on_error
        self.classify = classify
        self.noted: set[int] = set()
        self.schedules: dict[str, dict[str, Any]] | None = None

    # --- selecting the start ----------------------------------------------------------------

    def select(self, root: Any, path: list[str]) -> tuple[tuple[str, ...], Any, Where]:
        shown = show_attr_path(path)
        value, where = select(
            self.machine,
            root,
            path,
            {},
            shown=shown,
            on_unknown=lambda unknown: self.unknown_selected(unknown, shown),
        )
        return tuple(path), value, where

    def unknown_selected(self, value: Unknown, shown: str) -> E.EvalError:
        what = f"finding the effects in '{shown}'" if shown else "finding the effects"
        return E.NeedsValue(value, what).at(value.source, value.span)

    # --- the walk ---------------------------------------------------------------------------

    def visit(
        self, names: tuple[str, ...], item: Any, where: Where, depth: int, selected: bool
    ) -> Iterator[tuple[str, Any]]:
        machine = self.machine
        value = auto_call(machine, item, {}, strict=False)
        zone = _zone(names) if self.flake else _OTHER
        if self.flake and zone == _JOB and type(value) is not Unknown:
            yield from self.visit_job(names, value, depth)
            return
        if type(value) is Unknown:
            if selected or self.might_be_effect(value, zone):
                yield show_attr_path(names), value
            return
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

    def might_be_effect(self, value: Unknown, zone: int) -> bool:
        """Whether an unknown met on the walk is listed (it might be an effect): in a
        flake, anything in the jobs' structure and below ``effects`` (but nothing
        elsewhere in the outputs, where no effect may be); in a legacy file, anything
        but a package of the modelled nixpkgs or what a nixpkgs function made (a
        build: ``pkgs.hello``, ``pkgs.callPackage ./app.nix { }``)."""
        if self.flake:
            return zone != _OTHER
        return value.model is None or not value.model.package

    def visit_job(self, names: tuple[str, ...], job: Any, depth: int) -> Iterator[tuple[str, Any]]:
        """A job (``herculesCI.<onPush|onSchedule>.<name>``): its ``when`` checked, and its
        outputs walked (called with its extra inputs, unknown offline), unless disabled."""
        from .jobs import job_outputs, job_when

        if names[1] == "onSchedule":
            when = job_when(self.machine, job)
            if self.schedules is not None:
                self.schedules[show_attr_path(names)] = when
        outputs = job_outputs(self.machine, job)
        if outputs is None:
            return
        child = (*names, "outputs")
        where = job.position("outputs") if type(job) is Attrs else None
        try:
            yield from self.visit(child, outputs, where or (None, None), depth + 1, False)
        except E.EvalError as err:
            self.note(err, child, where or (None, None))
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
        if depth >= MAX_DEPTH or (not selected and _recurse_flag(value) is False):
            return []
        if not selected and "_type" in value.items:
            return []  # a module system value (an option, a type…): not walked
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
