"""The offline nixpkgs: ci-eval's own stand-ins for what it does not have.

    lib.nix       a copy of nixpkgs' lib (see README.md), the lib of a nixpkgs when no
                  real one is at hand (`model.best_lib` prefers a real one): with
                  lib.nixosSystem (its result is unknown), lib.extend, and lib.withPkgs
    effects.nix   the bundled model of hercules-ci-effects (checked against the library
                  at BUNDLED_REVISION): `pkgs.effects` / `pkgs.hci-effects` of the modelled
                  pkgs, `(import effectsSrc {…}).effects` and a flake's `lib.withPkgs`
                  when the library's source is not at hand

`model` is the modelled nixpkgs itself: recognised, never evaluated (design §4a).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..values import Attrs, Model, PrimOp, Unknown

if TYPE_CHECKING:
    from ..eval.machine import Machine

LIB_NIX = Path(__file__).resolve().parent / "lib.nix"


def offline_lib(machine: Machine) -> Attrs:
    """nixpkgs' lib, evaluated once per evaluation."""
    cached = machine.model_cache.get("lib")
    if cached is None:
        from ..builtins.paths import import_file
        from ..eval.force import force

        lib = force(import_file(machine, str(LIB_NIX)))
        assert type(lib) is Attrs
        items = dict(lib.items)
        items["nixosSystem"] = PrimOp("nixosSystem", 1, nixos_system)
        items["withPkgs"] = PrimOp("withPkgs", 1, lambda pkgs: offline_effects(machine, pkgs))
        cached = Attrs(items)
        # nixpkgs' lib is `makeExtensible (self: …)`: `lib.extend` (as nixpkgs' flake.nix
        # uses it to add nixosSystem) extends this lib, extras included.
        items["extend"] = machine.call(_nix(machine, _EXTEND), cached)
        machine.model_cache["lib"] = cached
    return cached


_EXTEND = "lib: f: lib.makeExtensible (lib.extends f (self: lib))"


def _nix(machine: Machine, text: str) -> Any:
    """A small Nix expression of ci-eval's own (no free variables but builtins)."""
    from ..frontend import parse_checked
    from ..syntax import Source

    source = Source(f"{LIB_NIX.parent}/«ci-eval»", text)
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    return machine.eval(expr, machine.file_env(source, str(LIB_NIX.parent)))


EFFECTS_NIX = Path(__file__).resolve().parent / "effects.nix"

#: The hercules-ci-effects revision effects.nix was checked against, line by line.
BUNDLED_REVISION = "af4331c44f13977b6964745454eadcfee2d244d1"


def bundled_library() -> dict[str, str | None]:
    """An effect description's ``library`` when the effect came from effects.nix."""
    return {"kind": "bundled model", "revision": BUNDLED_REVISION, "path": None}


def offline_effects(machine: Machine, pkgs: Any) -> Any:
    """hercules-ci-effects' attribute set for `pkgs` (effects.nix), once per pkgs."""
    from ..builtins.paths import import_file
    from ..eval.force import force

    key = pkgs.provenance if type(pkgs) is Unknown else f"id:{id(pkgs)}"
    cache = machine.model_cache.setdefault("effects", {})
    if key not in cache:
        from ..effects.calls import under_run_if, wrap_effects

        model = force(import_file(machine, str(EFFECTS_NIX)))
        argument = Attrs(
            {
                "lib": offline_lib(machine),
                "pkgs": pkgs,
                "unknown": PrimOp("unknown", 1, lambda name: _unknown_output(machine, name)),
                "opaque": PrimOp("opaque", 1, lambda what: _opaque(machine, what)),
                "isUnknown": PrimOp("isUnknown", 1, lambda value: type(force(value)) is Unknown),
                "underRunIf": PrimOp(
                    "underRunIf", 2, lambda c, body: under_run_if(machine, c, body)
                ),
            }
        )
        cache[key] = wrap_effects(machine, force(machine.call(model, argument)))
    return cache[key]


def _opaque(machine: Machine, what: Any) -> Unknown:
    """What the effects model cannot say faithfully, as an unknown whose provenance is
    `what`. It has no position: not the line of effects.nix that made it (a span is set so
    that the call does not place it there); the user's call is the wrapper's to give."""
    from ..syntax.nodes import Span

    return Unknown(machine.force_string(what), None, Span(0, 0))


def _unknown_output(machine: Machine, name: Any) -> Unknown:
    """What the effects model cannot know: the store path of something it would build."""
    return Unknown(f"the build output {machine.force_string(name)}")


def nixos_system(args: Any) -> Unknown:
    """``lib.nixosSystem``'s result: an unknown system (also the real lib's, extended),
    known to be an evaluated NixOS configuration (`NixosSystem`)."""
    from ..eval.machine import describe_argument

    return Unknown(f"lib.nixosSystem {describe_argument(args)}", model=NIXOS_SYSTEM)


class NixosSystem(Model):
    """An evaluated NixOS configuration that is not evaluated: ``_type`` says so, and
    its ``config`` is an unknown NixOS config (`NixosConfig`)."""

    not_null = True
    nix_type = "set"

    def selected(self, machine: Any, unknown: Unknown, name: str) -> Any:
        return "configuration" if name == "_type" else None

    def selected_model(self, provenance: str) -> Model | None:
        return NIXOS_CONFIG if provenance.endswith(".config") else None

    def has_attr(self, name: str) -> bool | None:
        return True if name in ("config", "options", "pkgs", "_module", "_type") else None


class NixosConfig(Model):
    """The ``config`` of an unknown NixOS system: every option a NixOS configuration
    declares is there (``config ? environment.systemPackages``), its values unknown;
    ``system.build.toplevel`` is a derivation (a build, as a package is)."""

    not_null = True

    def selected_model(self, provenance: str) -> Model | None:
        from .model import BUILT

        return BUILT if provenance.endswith(".system.build.toplevel") else self

    def has_attr(self, name: str) -> bool | None:
        return True


NIXOS_SYSTEM = NixosSystem()
NIXOS_CONFIG = NixosConfig()
