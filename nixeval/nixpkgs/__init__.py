"""The offline nixpkgs: what ci-eval knows of nixpkgs without having it.

On any unknown value (a nixpkgs that would be fetched, an unresolved ``<nixpkgs>``), the
names in `WELL_KNOWN` are modelled instead of staying unknown:

    name    what it is
    lib     nixpkgs' lib, from lib.nix (written in Nix; see README.md), plus
            lib.nixosSystem, whose result is unknown

Everything else selected from such a value stays unknown, named by its attribute path.
(The hercules-ci-effects overlay — `.effects`, `.hci-effects` — joins this table next.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..values import Attrs, PrimOp, Unknown

if TYPE_CHECKING:
    from ..eval.machine import Machine

LIB_NIX = Path(__file__).resolve().parent / "lib.nix"


def offline_lib(machine: Machine, unknown: Unknown) -> Attrs:
    """nixpkgs' lib, evaluated once per evaluation."""
    cached = machine.model_cache.get("lib")
    if cached is None:
        from ..builtins.paths import import_file
        from ..eval.force import force

        lib = force(import_file(machine, str(LIB_NIX)))
        assert type(lib) is Attrs
        items = dict(lib.items)
        items["nixosSystem"] = PrimOp("nixosSystem", 1, _nixos_system)
        cached = Attrs(items)
        machine.model_cache["lib"] = cached
    return cached


def _nixos_system(args: Any) -> Unknown:
    from ..eval.machine import describe_argument

    return Unknown(f"lib.nixosSystem {describe_argument(args)}")


WELL_KNOWN: dict[str, Callable[[Machine, Unknown], Any]] = {
    "lib": offline_lib,
}
