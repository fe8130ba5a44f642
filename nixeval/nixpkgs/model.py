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
from typing import TYPE_CHECKING, Any

from ..records import Record
from ..values import Attrs, CStr, Model, PrimOp, Unknown, thunk_of

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


class LibChoice(Record):
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


PKGS_NIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkgs.nix")


def modelled_pkgs(
    machine: Machine, lib: Attrs, system: Any, name: str = "pkgs", overlays: Any = ()
) -> Unknown:
    """A modelled package set for `system`: ``lib``, ``system``, the builders of
    ``pkgs.nix``, ``callPackage`` and its friends known, `overlays` applied as nixpkgs
    applies them; every other package an unknown named ``<name>.<attribute>``."""
    items: dict[str, Any] = {}
    pkgs = Unknown(name, overlay=items, model=Packages(name))
    items.update(_builders(machine, lib, pkgs, system).items)
    items["pkgs"] = pkgs
    # nixpkgs' own source: NixOS is not evaluated from it (`import (pkgs.path +
    # "/nixos/…")` is unknown); `import pkgs.path { … }` is the modelled nixpkgs.
    items["path"] = Unknown(f"{name}.path", model=NixpkgsSource())
    items["callPackage"] = call_package_with(machine, lib, pkgs)
    items["callPackages"] = items["callPackage"]
    items["newScope"] = PrimOp(
        "newScope", 1, lambda extra: call_package_with(machine, lib, _with(machine, pkgs, extra))
    )
    given = list(overlays)
    items["extend"] = PrimOp(
        "extend", 1, lambda overlay: modelled_pkgs(machine, lib, system, name, [*given, overlay])
    )
    items["appendOverlays"] = PrimOp(
        "appendOverlays",
        1,
        lambda more: modelled_pkgs(machine, lib, system, name, [*given, *machine.force_list(more)]),
    )
    if apply_overlays(machine, pkgs, items, given):
        # An overlay ci-eval cannot see may be hercules-ci-effects' (as it is in the ci
        # files of the library's guides): the bundled model of the library stands in for
        # `pkgs.effects`, unless a known overlay defines it.
        from . import offline_effects

        effects = thunk_of(lambda: offline_effects(machine, pkgs))
        items.setdefault("effects", effects)
        items.setdefault("hci-effects", effects)
    return pkgs


def _builders(machine: Machine, lib: Attrs, pkgs: Unknown, system: Any) -> Attrs:
    """The builders of ``pkgs.nix`` for this package set."""
    from ..builtins.paths import import_file

    function = import_file(machine, PKGS_NIX)
    model = pkgs.model

    def output_path(drv_name: Any, output: Any) -> Any:
        text = machine.force_string_no_ctx(drv_name)
        kind = machine.force_string_no_ctx(output)
        if kind == "drv":
            path = modelled_drv_path(text)
            return CStr(path, frozenset(["=" + path]))
        return modelled_output(text, kind)

    def package_set(set_name: Any, known: Any) -> Unknown:
        return Unknown(
            machine.force_string_no_ctx(set_name),
            overlay=dict(machine.force_attrs(known).items),
            model=model,
        )

    argument = Attrs(
        {
            "lib": lib,
            "pkgs": pkgs,
            "system": system,
            "outputPath": PrimOp("outputPath", 2, output_path),
            "packageSet": PrimOp("packageSet", 2, package_set),
        }
    )
    return machine.force_attrs(machine.call(function, argument))


def apply_overlays(machine: Machine, pkgs: Unknown, items: dict[str, Any], overlays: Any) -> bool:
    """Apply `overlays` (``final: prev: { … }``) to the package set `pkgs`, whose known
    attributes are `items`, as nixpkgs does: each sees the final set and the set before it,
    and what it gives is added. Whether any overlay is unknown (then the attributes it
    would add are unknown, as every package not known is)."""
    from ..eval.force import force

    unknown = False
    for overlay in overlays:
        function = force(overlay)
        if type(function) is Unknown:
            unknown = True
            continue
        prev = Unknown(pkgs.provenance, overlay=dict(items), model=pkgs.model)
        added = force(machine.call(machine.call(function, pkgs), prev))
        if type(added) is Unknown:
            unknown = True
            items.update(added.overlay or {})
            continue
        items.update(machine.force_attrs(added).items)
    return unknown


def _with(machine: Machine, pkgs: Unknown, extra: Any) -> Unknown:
    """``pkgs // extra``, for ``newScope``: the package set that also knows `extra`."""
    return Unknown(
        pkgs.provenance,
        overlay={**(pkgs.overlay or {}), **machine.force_attrs(extra).items},
        model=pkgs.model,
    )


def call_package_with(machine: Machine, lib: Attrs, auto_args: Unknown) -> PrimOp:
    """``callPackage``: call a function (or the file that defines one) with the packages
    it names from `auto_args`, the given arguments over them, made overridable by the
    real ``lib.makeOverridable``. An argument with a default is taken from the set only
    when the set is known to have it (nixpkgs takes it when the set has it; which
    packages the modelled set has is not known)."""
    from ..builtins.attrs import function_args as builtin_function_args
    from ..builtins.paths import import_file
    from ..eval.force import force
    from ..values import NixPath

    def call_package(fn: Any, args: Any) -> Any:
        function = force(fn)
        if type(function) is NixPath:
            function = force(import_file(machine, function.path))
        given = machine.force_attrs(args)
        if "functionArgs" in lib.items:
            function_args = force(lib.items["functionArgs"])
            formals = machine.force_attrs(machine.call(function_args, function))
        else:
            formals = builtin_function_args(machine, function)
        known = auto_args.overlay or {}
        chosen: dict[str, Any] = {}
        for formal in formals.items:
            if formal in given.items:
                continue
            if formal in known:
                chosen[formal] = known[formal]
            elif force(formals.items[formal]) is False:
                chosen[formal] = auto_args.derive(f"{auto_args.provenance}.{formal}", None, None)
        arguments = Attrs({**chosen, **given.items})
        if "makeOverridable" not in lib.items:  # the bundled lib
            return machine.call(function, arguments)
        overridable = machine.call(force(lib.items["makeOverridable"]), function)
        return machine.call(overridable, arguments)

    return PrimOp("callPackage", 2, call_package)


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
        overlays: Any = ()
        if type(given) is Attrs and "overlays" in given.items:
            listed = force(given.items["overlays"])
            overlays = [listed] if type(listed) is Unknown else machine.force_list(listed)
        return modelled_pkgs(machine, lib, system, overlays=overlays)

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
    ``mkIf``/``mkMerge`` wrappers ask of a definition. Its output path is
    ``/nix/store/«pkgs.<attribute path>»`` (`set_name` is how the set itself is named,
    e.g. ``nixpkgs.legacyPackages.x86_64-linux``: shown as ``pkgs``)."""

    package = True
    not_null = True
    nix_type = "set"

    def __init__(self, set_name: str | None = None) -> None:
        self.set_name = set_name

    def selected(self, machine: Any, unknown: Unknown, name: str) -> Any:
        if name == "type":
            return "derivation"
        if name == "outPath":
            return self.output_path(unknown)
        if name in _NOT_PACKAGES:
            return Unknown(f"{unknown.provenance}.{name}")
        return None

    def has_attr(self, name: str) -> bool | None:
        # Only a chosen output (`pkgs.hello.dev`) has `outputSpecified`; `lib.getBin`
        # and friends then take the package's own output, also a modelled one.
        if name in ("_type", "outputSpecified"):
            return False
        return True if name in ("type", "outPath", "drvPath", "name") else None

    def output_path(self, unknown: Unknown) -> str:
        name = unknown.provenance
        if self.set_name is not None and name.startswith(self.set_name + "."):
            name = "pkgs" + name[len(self.set_name) :]
        if " " in name:  # made by a call: `pkgs.nixops.overrideAttrs (o: …)`
            name = name.lstrip("(").split(" ", 1)[0].rstrip(")") + " …"
        return modelled_output(name)


# A derivation's attributes that are not derivations themselves (every other attribute
# of a package may be one: `pkgs.xorg.lndir`, `pkgs.hello.out`).
_NOT_PACKAGES = frozenset(
    [
        *("meta", "pname", "version", "name", "system", "outputs", "outputName"),
        *("drvAttrs", "passthru", "drvPath", "builder", "args"),
    ]
)

# The store directory of modelled outputs (Nix's builtins.storeDir).
STORE_DIR = "/nix/store"


def modelled_output(name: str, output: str = "out") -> CStr:
    """The output path of a modelled derivation named `name`: its store path is not
    known (nixpkgs is not evaluated), so it reads ``/nix/store/«name»`` — a string that
    says what it stands for, with the context of that output (so code that asks whether
    a string refers to a build still sees one). ``derivationStrict`` of anything that
    refers to one gives unknown paths (`nixeval.builtins.derivations`)."""
    suffix = "" if output == "out" else f"-{output}"
    text = f"{STORE_DIR}/«{name}»{suffix}"
    return CStr(text, frozenset([f"!{output}!{modelled_drv_path(name)}"]))


def modelled_drv_path(name: str) -> str:
    """The ``.drv`` path of a modelled derivation named `name` (not known either)."""
    return f"{STORE_DIR}/«{name}».drv"


def is_modelled_context(element: str) -> bool:
    """Whether a string context element refers to a modelled derivation."""
    return "«" in element


# What calling a modelled package made (`pkgs.python3.withPackages f`,
# `pkgs.hello.override { … }`): a derivation as well, but one that might be an effect,
# so a walk lists it where an effect may be.
BUILT = Packages()
Packages.built = BUILT


class NixpkgsSource(Model):
    """An unknown that is nixpkgs without its source: ``import`` of it is the modelled
    ``import nixpkgs`` with the best lib."""

    stands_in = "the modelled nixpkgs stands in for it"

    def imported(self, machine: Any) -> Any:
        return nixpkgs_function(machine, nixpkgs_lib(machine, best_lib(machine).tree))

    def appended(self, machine: Any, unknown: Unknown, text: str) -> Any:
        if text.strip("/") in ("nixos/lib/eval-config.nix", "nixos"):
            return Unknown(f"{unknown.provenance} + {text!r}", model=NIXOS_EVAL_CONFIG)
        return None


class NixosEvalConfig(Model):
    """nixpkgs' ``nixos/lib/eval-config.nix`` (or ``nixos/``) without evaluating NixOS:
    ``import`` of it is a function to an unknown NixOS system (`nixos_system`)."""

    def imported(self, machine: Any) -> Any:
        from . import nixos_system

        return PrimOp("eval-config", 1, nixos_system)


NIXOS_EVAL_CONFIG = NixosEvalConfig()


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
