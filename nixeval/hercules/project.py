"""Opening a project as the Hercules CI agent does: the one place that does it, for the main
job, ``check`` and ``run``, and the Python API for tools built on ci-eval
(``nixeval.open_project``).

1. The file (`nixeval.hercules.files`): ``nix/ci.nix`` or ``ci.nix``, else ``flake.nix``,
   else ``default.nix``.
2. A flake is evaluated as Nix evaluates it, with its locked inputs
   (`nixeval.eval.flake`); ``self`` is the repository (`self_source_info`). Its
   ``herculesCI`` gets the agent's defaults (`nixeval.hercules.defaults`) for the
   checkout's arguments (``HerculesCIArgs``).
3. A legacy file's value is auto-called with ``{ src = <the checkout>; }`` (and the
   ``--arg``s); if it has a ``herculesCI`` attribute, that is called with the
   ``HerculesCIArgs`` as for a flake, and the project is walked by its jobs.
4. `Project.select` finds an attribute path in it, as ``-A`` does.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..builtins.paths import import_file
from ..eval.autocall import auto_call, parse_attr_path
from ..eval.force import force
from ..sources.locked import last_modified_date
from ..values import Attrs, Unknown, thunk_of
from .files import is_flake

if TYPE_CHECKING:
    from ..checkout import Checkout
    from ..eval.machine import Machine

ROOT_HINT = (
    "Hercules CI calls a ci file's function with `src` only: give the other arguments defaults"
)


class Project:
    """An opened project: its file (absolute), the machine that evaluates it, the
    checkout it is evaluated for, and the value the agent walks (`root`). `jobs` tells
    how it is walked: by its ``herculesCI`` jobs (a flake, or a legacy file with
    ``herculesCI``), or as a legacy file's attributes."""

    __slots__ = ("checkout", "file", "jobs", "machine", "root", "schedules")

    def __init__(
        self, file: str, machine: Machine, checkout: Checkout, root: Any, jobs: bool
    ) -> None:
        self.file = file
        self.machine = machine
        self.checkout = checkout
        self.root = root
        self.jobs = jobs
        # The `when` of each scheduled job walked so far, by the job's attribute path.
        self.schedules: dict[str, dict[str, Any]] = {}

    def walk(self, attr_path: str = "", on_error: Any = None) -> Any:
        """Every effect below `attr_path` (``-A``'s syntax): (attribute path, value);
        an unknown that might hold effects is yielded too (as an `Unknown`)."""
        from .walk import walk

        names = parse_attr_path(attr_path)
        return walk(self.machine, self.root, names, self.jobs, on_error, self.schedules)


def load_project(
    machine: Machine, file: str, checkout: Checkout, auto_args: dict[str, Any] | None = None
) -> Project:
    """Open the project whose entry file is `file` (found by `files.find_file`) for
    `checkout`; `auto_args` are a legacy file's ``--arg``s."""
    path = os.path.abspath(file)
    if is_flake(path):
        flake = load_flake(machine, os.path.dirname(path), checkout)
        return Project(path, machine, checkout, with_defaults(machine, flake, checkout), True)
    value = force(import_file(machine, path))
    given = {"src": checkout.src_value(machine), **(auto_args or {})}
    value = auto_call(machine, value, given, hint=ROOT_HINT)
    if type(value) is Attrs and "herculesCI" in value.items:
        from .defaults import herculesci_of

        args = checkout.herculesci_args(machine)
        called = thunk_of(lambda: herculesci_of(machine, value, args))
        return Project(path, machine, checkout, Attrs({**value.items, "herculesCI": called}), True)
    return Project(path, machine, checkout, value, False)


def load_flake(machine: Machine, directory: str, checkout: Checkout) -> Any:
    """The flake in `directory` with its locked inputs, ``self`` being the repository:
    a set, or an unknown when its outputs are."""
    from ..eval.flake import call_flake, lock_file

    if checkout.tracked is not None:
        # Fetched as git+file: only what git tracks is in the flake's source.
        machine.access.only_tracked(checkout.root, checkout.tracked)
    lock = lock_file(machine, directory)
    return call_flake(machine, directory, lock, self_source_info(directory, checkout))


def with_defaults(machine: Machine, flake: Any, checkout: Checkout) -> Any:
    """The flake with its ``herculesCI`` as the agent evaluates it: the agent's defaults
    added for the checkout's arguments (an unknown flake stays unknown)."""
    from .defaults import add_defaults

    if type(flake) is not Attrs:
        return flake

    out_path = flake.items.get("outPath")
    args = checkout.herculesci_args(machine, out_path)
    hercules = thunk_of(lambda: force(add_defaults(machine, flake, args)))
    return Attrs({**flake.items, "herculesCI": hercules})


def self_source_info(directory: str, checkout: Checkout) -> Attrs:
    """The repository's source info as ``self`` has it: fetched as ``git+file`` in a git
    repository (``rev``, ``shortRev`` from the checkout), else as a path. What only a
    copy into the Nix store would tell (``narHash``, ``lastModified``) is unknown."""
    how = "a flake's source info is only known once Nix has copied it to the store"
    items: dict[str, Any] = {
        "outPath": directory,
        "lastModified": Unknown(f"self.lastModified ({how})"),
        "lastModifiedDate": Unknown(f"self.lastModifiedDate ({how})"),
        "narHash": Unknown(f"self.narHash ({how})"),
    }
    if checkout.with_git and checkout.rev is not None:
        # git+file: the commit's time and count, as Nix's git fetcher gives them (asked
        # of git only when used).
        from ..checkout import commit_number

        def number(what: str) -> Any:
            found = commit_number(checkout.root, what)
            return found if found is not None else Unknown(f"self.{what} (git did not say)")

        def date() -> Any:
            seconds = force(items["lastModified"])
            return last_modified_date(seconds) if type(seconds) is int else seconds

        items["lastModified"] = thunk_of(lambda: number("lastModified"))
        items["lastModifiedDate"] = thunk_of(date)
        items["revCount"] = thunk_of(lambda: number("revCount"))
    how_rev = "evaluate in a git checkout with a commit"
    items["rev"] = checkout.rev or Unknown(f"self.rev (the checkout's commit: {how_rev})")
    items["shortRev"] = checkout.short_rev or Unknown(
        f"self.shortRev (the checkout's short commit: {how_rev})"
    )
    return Attrs(items)
