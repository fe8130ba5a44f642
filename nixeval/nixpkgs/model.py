"""The modelled nixpkgs (design §4a): nixpkgs is recognised, never evaluated, except its
``lib``, which is always real code — the ``lib/`` of the user's pinned nixpkgs, or, when
that source is not at hand, the best real one ci-eval can find (`best_lib`), or the
bundled one (`nixeval.nixpkgs.offline_lib`).

* `nixpkgs_flake`: a nixpkgs flake input: its source info, ``lib`` (extended with
  ``nixosSystem``, as nixpkgs' flake.nix does), ``legacyPackages.<system>`` (modelled
  pkgs), and unknowns for its other outputs.
* `nixpkgs_function`: what ``import nixpkgs`` gives: a function of ``{ system, … }`` to a
  modelled pkgs.
* `modelled_pkgs`: a package set that knows its ``lib`` and ``system`` (and, until
  overlays are applied for real, the bundled effects library as ``effects`` /
  ``hci-effects``); every other package is an unknown named by its attribute path.
* `NixpkgsSource`: the model of an unknown that is nixpkgs without its source
  (``<nixpkgs>``, a nixpkgs tarball not fetched): ``import`` of it is `nixpkgs_function`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..values import Attrs, Model, PrimOp, Unknown, thunk_of

if TYPE_CHECKING:
    from ..eval.machine import Machine

# nixpkgs' lib.systems.flakeExposed, for the bundled lib (which does not have lib.systems).
_FLAKE_EXPOSED = (
    "x86_64-linux",
    "aarch64-linux",
    "x86_64-darwin",
    "armv6l-linux",
    "armv7l-linux",
    "i686-linux",
    "aarch64-darwin",
    "powerpc64le-linux",
    "riscv64-linux",
    "x86_64-freebsd",
)


@dataclass(frozen=True)
class LibChoice:
    """Which nixpkgs lib an evaluation uses: the directory of its ``lib/`` (None: the
    bundled one), and how it was chosen, as the description says it."""

    tree: str | None
    why: str


def nixpkgs_lib(machine: Machine, tree: str | None) -> Attrs:
    """The real ``lib`` of the nixpkgs source `tree` (the bundled lib when None),
    extended with ``nixosSystem`` as nixpkgs' flake.nix extends it; once per tree."""
    from ..eval.force import force

    key = f"lib:{tree}"
    cached = machine.model_cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if tree is None:
        from . import offline_lib

        lib = offline_lib(machine)
    else:
        from ..builtins.paths import import_file

        machine.access.allow(tree)
        real = machine.force_attrs(import_file(machine, os.path.join(tree, "lib")))
        extend = force(real.items["extend"]) if "extend" in real.items else None
        from . import nixos_system

        extra = PrimOp("nixosSystem", 1, nixos_system)
        if extend is None:
            lib = Attrs({**real.items, "nixosSystem": extra})
        else:
            overlay = PrimOp(
                "nixosSystem-overlay", 2, lambda final, prev: Attrs({"nixosSystem": extra})
            )
            lib = machine.force_attrs(machine.call(extend, overlay))
    machine.model_cache[key] = lib
    return lib


def best_lib(machine: Machine) -> LibChoice:
    """The lib for a nixpkgs whose source is not at hand: a nixpkgs (or nixpkgs.lib)
    tree this evaluation has resolved, else the newest in ci-eval's cache, else the
    bundled lib. Decided once per evaluation."""
    cached = machine.model_cache.get("best-lib")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    choice: LibChoice | None = None
    for tree in machine.sources.lib_trees:
        choice = LibChoice(tree, f"the lib of {tree}, resolved for this project")
        break
    if choice is None:
        places = [os.path.join(machine.sources.cache, "sources"), machine.sources.store]
        newest = _newest_lib(places)
        if newest is not None:
            choice = LibChoice(
                newest, f"the newest nixpkgs lib in the Nix store or ci-eval's cache, {newest}"
            )
    if choice is None:
        choice = LibChoice(None, "ci-eval's bundled nixpkgs lib (no nixpkgs source found)")
    machine.model_cache["best-lib"] = choice
    machine.sources.lib_used.append(choice.why)
    return choice


def _newest_lib(places: list[str]) -> str | None:
    """The source tree (``…-source``) in `places` with a nixpkgs ``lib/`` of the highest
    ``lib/.version`` (the most recently changed among equal versions)."""
    found: list[tuple[tuple[int, ...], float, str]] = []
    for place in places:
        try:
            entries = [e for e in os.scandir(place) if e.name.endswith("-source")]
        except OSError:
            continue
        for entry in entries:
            version_file = os.path.join(entry.path, "lib", ".version")
            try:
                with open(version_file, encoding="utf-8") as f:
                    text = f.read(64).strip()
                mtime = os.stat(version_file).st_mtime
            except OSError:
                continue
            numbers = tuple(int(p) for p in text.split(".") if p.isdigit())
            found.append((numbers, mtime, entry.path))
    return max(found)[2] if found else None


def modelled_pkgs(machine: Machine, lib: Attrs, system: Any, name: str = "pkgs") -> Unknown:
    """A modelled package set for `system`: ``lib`` and ``system`` known, every other
    package an unknown named ``pkgs.<attribute>``."""
    from . import offline_effects

    items: dict[str, Any] = {"lib": lib, "system": system}
    pkgs = Unknown(name, overlay=items, model=PACKAGES)
    # hercules-ci-effects' overlay, as the bundled model of the library, until overlays
    # are applied for real.
    effects = thunk_of(lambda: offline_effects(machine, pkgs))
    items["effects"] = effects
    items["hci-effects"] = effects
    return pkgs


def nixpkgs_function(machine: Machine, lib: Attrs) -> PrimOp:
    """``import nixpkgs``: ``{ system ? builtins.currentSystem, localSystem ? …, … }:``
    a modelled pkgs."""

    def instantiate(args: Any) -> Any:
        from ..eval.force import force

        given = force(args)
        system: Any = Unknown("builtins.currentSystem (the system nixpkgs is imported for)")
        if type(given) is Attrs:
            if "system" in given.items:
                system = given.items["system"]
            elif "localSystem" in given.items:
                local = force(given.items["localSystem"])
                if type(local) is Attrs and "system" in local.items:
                    system = local.items["system"]
                elif isinstance(local, str):
                    system = local
        return modelled_pkgs(machine, lib, system)

    return PrimOp("nixpkgs", 1, instantiate)


def nixpkgs_flake(machine: Machine, tree: str | None, source_info: Attrs, name: str) -> Attrs:
    """A nixpkgs flake input as Nix's call-flake gives it, with nixpkgs' outputs
    modelled: `tree` is its source (None when not at hand: the lib is `best_lib`'s)."""

    def lib() -> Attrs:
        return nixpkgs_lib(machine, tree if tree is not None else best_lib(machine).tree)

    lib_item = thunk_of(lib)

    def legacy_packages() -> Attrs:
        from ..eval.force import force

        systems: Any = _FLAKE_EXPOSED
        lib_value = force(lib_item)
        if "systems" in lib_value.items:
            exposed = force(machine.force_attrs(lib_value.items["systems"]).items["flakeExposed"])
            systems = [machine.force_string_no_ctx(s) for s in machine.force_list(exposed)]

        def pkgs_for(system: str) -> Any:
            return thunk_of(
                lambda: modelled_pkgs(
                    machine, force(lib_item), system, f"{name}.legacyPackages.{system}"
                )
            )

        return Attrs({system: pkgs_for(system) for system in systems})

    outputs: dict[str, Any] = {"lib": lib_item, "legacyPackages": thunk_of(legacy_packages)}
    for other in ("nixosModules", "checks", "htmlDocs", "devShells", "formatter"):
        outputs[other] = Unknown(f"{name}.{other} (nixpkgs is modelled, not evaluated)")
    outputs_attrs = Attrs(outputs)
    info = dict(source_info.items)
    if tree is None:
        # `import nixpkgs { … }` of the flake input imports its outPath.
        info["outPath"] = Unknown(f"{name}.outPath (nixpkgs, not at hand)", model=NixpkgsSource())
        source_info = Attrs(info)
    return Attrs(
        {
            **outputs,
            **source_info.items,
            "inputs": Attrs({}),
            "outputs": outputs_attrs,
            "sourceInfo": source_info,
            "_type": "flake",
        }
    )


class Packages(Model):
    """The model of a modelled pkgs and of each package in it: selecting gives a package
    (an unknown marked as one: a build, never an effect). A package is known to be a
    derivation: a set (``builtins.isAttrs``), with ``type = "derivation"`` and no
    ``_type`` — what the module system's ``types.package`` and its check for
    ``mkIf``/``mkMerge`` wrappers ask of a definition."""

    package = True

    def selected(self, machine: Any, unknown: Unknown, name: str) -> Any:
        return "derivation" if name == "type" else None

    def has_attr(self, name: str) -> bool | None:
        if name == "_type":
            return False
        return True if name in ("type", "outPath", "drvPath", "name") else None


PACKAGES = Packages()
# What a function of the modelled pkgs made (`pkgs.writeText "a" "b"`, and whatever a
# library built on `pkgs.callPackage` makes): a derivation as well, but one that might
# be an effect, so a walk lists it where an effect may be.
BUILT = Packages()
PACKAGES.built = BUILT
BUILT.built = BUILT


class NixpkgsSource(Model):
    """An unknown that is nixpkgs without its source: ``import`` of it is the modelled
    ``import nixpkgs`` with the best lib."""

    stands_in = "the modelled nixpkgs stands in for it"

    def imported(self, machine: Any) -> Any:
        return nixpkgs_function(machine, nixpkgs_lib(machine, best_lib(machine).tree))


class NixpkgsLibSource(Model):
    """``<nixpkgs/lib>`` without a nixpkgs on the search path: ``import`` of it is the
    best lib (`best_lib`)."""

    def imported(self, machine: Any) -> Any:
        return nixpkgs_lib(machine, best_lib(machine).tree)


def search_path_model(name: str) -> Model | None:
    """What an unresolved ``<name>`` is known to be: ``<nixpkgs>`` is nixpkgs,
    ``<nixpkgs/lib>`` its lib."""
    if name == "nixpkgs":
        return NixpkgsSource()
    if name == "nixpkgs/lib":
        return NixpkgsLibSource()
    return None
