"""The pinned sources of one evaluation, and how it may get them (design §4a).

A command makes one `Sources`: the ``--override-input`` directories, whether it may use
the network (the main job and ``run`` may, unless ``--offline``; ``check`` never does),
the store and the cache. The evaluator asks it for the tree of each pinned input
(`Sources.tree`); what none of override, store, cache and network has is recorded
(`Sources.missing`) so that the command can warn, saying how to make it available.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..records import Record
from .locked import LockedInput
from .resolve import Resolved, cache_dir, resolve, store_dir

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic


class Missing(Record):
    """A pinned input no place had: what it is (``flake input 'nixpkgs'``), how it is
    pinned (``github:NixOS/nixpkgs/<rev>``) and why it could not be had."""

    what: str
    pinned: str
    why: str
    # What ci-eval uses instead, when not an unknown (a model of nixpkgs or of the library).
    instead: str | None = None


class Sources:
    """Where one evaluation finds pinned sources. `overrides` maps an input path as
    ``--override-input`` takes it (``hercules-ci-effects/nixpkgs``) to a directory;
    `store` and `cache` are the Nix store's and ci-eval's cache's (`store_dir`,
    `cache_dir`) unless given."""

    __slots__ = (
        "cache",
        "found",
        "lib_trees",
        "lib_used",
        "missing",
        "network",
        "offline",
        "overrides",
        "progress",
        "store",
    )

    def __init__(
        self,
        overrides: dict[str, str] | None = None,
        network: bool = False,
        offline: bool = False,
        progress: IO[str] | None = None,
        store: str | None = None,
        cache: Path | None = None,
    ) -> None:
        self.overrides = overrides if overrides is not None else {}
        self.network = network
        self.offline = offline
        self.progress = progress
        self.store = store if store is not None else store_dir()
        self.cache = cache if cache is not None else cache_dir()
        # What the evaluation found and missed, in the order it asked: the description's
        # ``sources`` and the warnings.
        self.found: list[tuple[str, str, Resolved]] = []
        self.missing: list[Missing] = []
        # nixpkgs (or nixpkgs.lib) trees resolved for the project: the lib of a nixpkgs
        # whose own source is not at hand comes from one of these (`nixpkgs.model.best_lib`).
        self.lib_trees: list[str] = []
        self.lib_used: list[str] = []

    @classmethod
    def for_command(
        cls,
        overrides: Iterable[tuple[str, str]],
        offline: bool,
        progress: IO[str] | None = None,
    ) -> Sources:
        """The sources of a command that may fetch (the main job, ``run``, the Python
        API): the ``--override-input`` pairs (directories made absolute), the network
        unless `offline` (or ``CI_EVAL_OFFLINE``)."""
        offline = offline_requested(offline)
        return cls(
            overrides={name: os.path.abspath(path) for name, path in overrides},
            network=not offline,
            offline=offline,
            progress=progress,
        )

    def tree(
        self, locked: LockedInput, what: str, pinned: str, override: str | None
    ) -> Path | None:
        """The source tree of `locked`, or None (recorded in `missing`). `override` is
        the input path an ``--override-input`` would name, if it is a flake input."""
        if override is not None and override in self.overrides:
            found: Resolved | None = Resolved(Path(self.overrides[override]), "override")
        else:
            found = resolve(locked, store=self.store, cache=self.cache)
        why = _how_to_provide(override)
        if not locked.recursive:
            why = "it is not in the Nix store (ci-eval fetches only source trees)"
        if found is None and self.network and locked.recursive:
            from .fetch import FetchError, fetch

            try:
                entry = fetch(locked, cache=self.cache, progress=self.progress)
                found = Resolved(entry, "fetched")
            except FetchError as err:
                why = f"fetching it failed: {err}; {why}"
        elif found is None and self.offline:
            why = f"--offline forbids fetching it; {why}"
        if found is None:
            self.missing.append(Missing(what, pinned, why))
            return None
        self.found.append((what, pinned, found))
        tree = str(found.path)
        if os.path.isfile(os.path.join(tree, "lib", ".version")):
            self.lib_trees.append(tree)
        return found.path

    def out_path(self, tree: str) -> str:
        """The ``outPath`` of a source tree found: in the Nix store, a store path (a
        string whose context is that path, as Nix gives it); elsewhere (the cache, an
        override) its directory."""
        from ..values import CStr

        if tree.startswith(self.store.rstrip("/") + "/"):
            return CStr(tree, frozenset([tree]))
        return tree

    def stands_in(self, what: str, instead: str) -> None:
        """Say what ci-eval uses for the missing input `what` (a model), not an unknown."""
        self.missing = [
            Missing(m.what, m.pinned, m.why, instead) if m.what == what else m for m in self.missing
        ]

    def to_json(self) -> dict[str, Any]:
        """The description's ``sources``: every pinned input asked for, and where it was
        found (or why not)."""
        inputs: list[dict[str, Any]] = [
            {"input": what, "pinned": pinned, "from": found.origin, "path": str(found.path)}
            for what, pinned, found in self.found
        ]
        inputs += [
            {
                "input": m.what,
                "pinned": m.pinned,
                "from": "missing",
                "why": m.why + (f"; {m.instead}" if m.instead else ""),
            }
            for m in self.missing
        ]
        result: dict[str, Any] = {"inputs": inputs}
        if self.lib_used:
            result["nixpkgsLib"] = self.lib_used[0]
        return result

    def warnings(self, file: str) -> list[Diagnostic]:
        """W110 for each input none of the places had, on the evaluated `file`."""
        from ..diagnostics import Diagnostic, Severity
        from ..syntax import Source
        from ..syntax.nodes import Span

        return [
            Diagnostic(
                Severity.WARNING,
                "W110",
                f"{m.what} ({m.pinned}) is not available, so "
                + (m.instead if m.instead is not None else "it is unknown"),
                Source(file, ""),
                Span(0, 0),
                notes=(f"help: {m.why}",),
                placed=False,
            )
            for m in self.missing
        ]


def offline_requested(offline: bool) -> bool:
    """`offline` (``--offline``), or ``CI_EVAL_OFFLINE`` set to anything: --offline for
    every run of a session."""
    return offline or bool(os.environ.get("CI_EVAL_OFFLINE"))


def _how_to_provide(override: str | None) -> str:
    how = "`ci-eval fetch` fetches it into ci-eval's cache"
    if override is not None:
        how += f", or pass --override-input {override} DIR"
    return f"it is not in the Nix store or ci-eval's cache: {how}"
