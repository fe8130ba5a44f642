"""The default ``herculesCI`` of a flake, as the Hercules CI agent adds it (hercules-agent.md §3).

`add_defaults` gives a flake's ``herculesCI`` as the agent sees it: the flake's
``herculesCI`` output (called with the arguments when it is a function, not a functor),
with ``onPush.default`` added when it has no ``onPush``. That job's outputs are the flake's
outputs translated attribute by attribute (`flake_to_outputs`):

    packages, checks, formatter   per system, filtered to ciSystems
    devShell, devShells           shells: ``drv // { buildDependenciesOnly = true; }``
    apps                          checked: ``type = "app"``, a program of one package
    nixos/darwinConfigurations    ``config.system.build.toplevel``, filtered by system
    templates                     checked: a description and an existing store path
    effects                       as it is (a set), or called with the arguments
    herculesCI, overlays, …       null
    defaultPackage, overlay, …    null, with the trace "Ignoring flake attribute X (deprecated)"
    anything else                 null, with the trace "Ignoring flake attribute X"

Everything is lazy as in Nix: each translated attribute is a thunk, so selecting one never
forces another (nor prints another's trace). Throws are the agent's messages, placed at the
attribute they are about. A value that is unknown offline stays unknown: where a rule
needs one (an app's ``type``, a configuration's system, …) the result is that unknown, so
whoever walks it can say what was not known. An unknown ``ciSystems`` filters nothing.

Where Nix's own builtins decide (``intersectAttrs``, ``listToAttrs``, ``pathExists``,
``toString``, ``dirOf``, ``baseNameOf``, ``substring``, ``trace``), the machine's builtins
are applied, so errors and traces are the evaluator's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.force import force
from ..values import (
    Attrs,
    Closure,
    PrimOp,
    PrimOpApp,
    Unknown,
    context_of,
    context_path,
    thunk_of,
    type_of,
)

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.nodes import Span
    from ..syntax.source import Source

    Where = tuple[Source | None, Span | None]

_NOWHERE: Where = (None, None)
_MISSING = object()

# Flake outputs the agent drops silently, and those it drops as deprecated (with a trace).
IGNORED = frozenset(
    ["herculesCI", "overlays", "submodules", "nixosModules", "darwinModules", "legacyPackages"]
)
DEPRECATED = frozenset(
    ["defaultApp", "defaultPackage", "defaultTemplate", "defaultBundler", "overlay"]
)

# The agent's throws, word for word (they are what a user would see from Hercules CI).
APP_TYPE = 'App type attribute must be set to "app".'
NO_PACKAGE = (
    "The provided program string does not have a package in its context. Please set the "
    "app's program attribute to a package with `meta.mainProgram` or to a string of the form "
    '"${pkg}/bin/command", where `pkg` is a package.'
)
MANY_PACKAGES = (
    "The provided program string has multiple packages in its context. Please set the app's "
    "program attribute to a single package with `meta.mainProgram` or to a string of the form "
    '"${pkg}/bin/command", where `pkg` is a single package.'
)
NOT_A_SHELL = "Attribute is not a shell derivation"
_TEMPLATE_PATH = (
    "`templates.{name}.path` must be a path value in the store, or a string representing a "
    "store path, or an attribute set coercible to such values (e.g. cleanSource return "
    "value). However, the {what}"
)


def add_defaults(machine: Machine, flake: Any, args: Any) -> Any:
    """The flake's ``herculesCI`` with the agent's defaults (forced to weak head normal
    form). `flake` is the flake value (its outputs with ``outputs``, ``outPath``, … as
    Nix's call-flake gives), `args` the HerculesCIArgs."""
    hci = herculesci_of(machine, flake, args)
    if type(hci) is Unknown:
        return hci  # whether it has onPush (and what else) is not known
    if type(hci) is not Attrs:
        raise machine.type_error(hci, "a set").at(*_where_of(flake, "herculesCI"))
    if "onPush" in hci.items:
        return hci
    translation_args = thunk_of(partial(_translation_args, machine, hci, args))
    outputs = thunk_of(lambda: flake_to_outputs(machine, flake, translation_args))
    on_push = Attrs({"default": Attrs({"outputs": outputs})})
    return Attrs({**hci.items, "onPush": on_push}, hci.origin)


def flake_to_outputs(machine: Machine, flake: Any, args: Any) -> Any:
    """``onPush.default.outputs``: the flake's ``outputs`` translated attribute by
    attribute with `args` (HerculesCIArgs with a top-level ``ciSystems``)."""
    outputs = _select(machine, force(flake), "outputs")
    if type(outputs) is Unknown:
        return outputs
    outputs = machine.force_attrs(outputs)
    return Attrs(
        {
            name: thunk_of(partial(_translate, machine, args, name, item, outputs.position(name)))
            for name, item in outputs.items.items()
        },
        outputs.origin,
    )


# --- herculesCI and the arguments ----------------------------------------------------------


def herculesci_of(machine: Machine, flake: Any, args: Any) -> Any:
    """``flake.herculesCI or { }``, called with `args` (all of them) if it is a function
    (a functor is not called: the agent's optionalCall). A legacy file's value with a
    ``herculesCI`` is called the same way."""
    value = force(flake)
    if type(value) is Unknown:
        item = _select(machine, value, "herculesCI")
    elif type(value) is Attrs:
        item = value.items.get("herculesCI", Attrs({}))
    else:
        item = Attrs({})  # `x.herculesCI or { }` of a non-set is the default
    hci = force(item)
    if type(hci) in (Closure, PrimOp, PrimOpApp):
        hci = force(machine.call(hci, args))
    return hci


def _translation_args(machine: Machine, hci: Attrs, args: Any) -> Any:
    """`args` with a top-level ``ciSystems``: ``herculesCI.ciSystems`` (a list made a set)
    when the flake's herculesCI sets it, else the arguments' ``herculesCI.ciSystems``."""
    ci_systems = thunk_of(partial(_ci_systems, machine, hci, args))
    value = force(args)
    if type(value) is Unknown:
        overlay = {**(value.overlay or {}), "ciSystems": ci_systems}
        return Unknown(value.provenance, value.source, value.span, overlay)
    value = machine.force_attrs(value)
    return Attrs({**value.items, "ciSystems": ci_systems}, value.origin)


def _ci_systems(machine: Machine, hci: Attrs, args: Any) -> Any:
    if "ciSystems" in hci.items:
        listed = force(hci.items["ciSystems"])
        if type(listed) is Unknown:
            return listed
        try:
            systems = machine.force_list(listed)
            for system in systems:
                if type(force(system)) is Unknown:
                    return force(system)
            pairs = [Attrs({"name": system, "value": Attrs({})}) for system in systems]
            return _apply(machine, "listToAttrs", pairs)
        except E.EvalError as err:
            raise err.at(*_where_of(hci, "ciSystems")) from None
    given = _select(machine, force(args), "herculesCI", default=None)
    if given is None or type(given) is Unknown:
        return given
    # The agent always passes herculesCI.ciSystems; arguments without it filter nothing.
    return _select(machine, given, "ciSystems", default=None)


def _ci_systems_of(machine: Machine, args: Any) -> Any:
    """The ``ciSystems`` of the translation arguments: None (no filtering), a set, or an
    unknown (no filtering either: which systems Hercules CI builds is not known)."""
    value = _select(machine, force(args), "ciSystems")
    return None if type(value) is Unknown else value


# --- one flake attribute -------------------------------------------------------------------


def _translate(machine: Machine, args: Any, name: str, item: Any, where: Where | None) -> Any:
    translation = _TRANSLATIONS.get(name)
    if translation is None:
        suffix = " (deprecated)" if name in DEPRECATED else ""
        return _trace(machine, f"Ignoring flake attribute {name}{suffix}", None)
    try:
        return translation(machine, args, item)
    except E.EvalError as err:
        err.at(*(where or _NOWHERE))
        err.note(
            f"while adding the flake output '{name}' to Hercules CI's onPush.default",
            *(where or _NOWHERE),
        )
        raise


def _ignore(machine: Machine, args: Any, item: Any) -> None:
    return None


def _for_systems(
    per_system: Callable[[Machine, Any, Where | None], Any] | None,
) -> Callable[[Machine, Any, Any], Any]:
    """A translation of ``<system> = …`` sets: filtered to ciSystems, then `per_system`
    applied lazily to each (or each taken as it is, when None)."""

    def translate(machine: Machine, args: Any, item: Any) -> Any:
        ci_systems = _ci_systems_of(machine, args)
        value = force(item)
        if type(value) is Unknown:
            return value
        if ci_systems is not None:
            value = _apply(machine, "intersectAttrs", ci_systems, value)
        attrs = machine.force_attrs(value)
        if per_system is None:
            return Attrs(dict(attrs.items), attrs.origin)
        return Attrs(
            {
                system: thunk_of(partial(per_system, machine, v, attrs.position(system)))
                for system, v in attrs.items.items()
            },
            attrs.origin,
        )

    return translate


def _each(
    check: Callable[[Machine, Any, Where | None], Any],
) -> Callable[[Machine, Any, Where | None], Any]:
    """`check` applied lazily to every attribute of a set (``mapAttrs (k: check)``)."""

    def per_system(machine: Machine, item: Any, where: Where | None) -> Any:
        value = force(item)
        if type(value) is Unknown:
            return value
        attrs = _force_attrs_at(machine, value, where)
        return Attrs(
            {
                name: thunk_of(partial(check, machine, v, attrs.position(name)))
                for name, v in attrs.items.items()
            },
            attrs.origin,
        )

    return per_system


def _shell(machine: Machine, item: Any, where: Where | None) -> Any:
    drv = force(item)
    if type(drv) is Unknown:
        return drv
    kind = force(drv.items["type"]) if type(drv) is Attrs and "type" in drv.items else None
    if type(kind) is Unknown:
        return kind
    if kind != "derivation":
        raise E.Thrown(NOT_A_SHELL).at(*(where or _NOWHERE))
    return Attrs({**drv.items, "buildDependenciesOnly": True}, drv.origin)


def _app(machine: Machine, item: Any, where: Where | None) -> Any:
    app = force(item)
    if type(app) is Unknown:
        return app
    kind = _select(machine, app, "type", where=where)
    if type(kind) is Unknown:
        return kind
    if kind != "app":
        raise E.Thrown(APP_TYPE).at(*_where_of(app, "type", where))
    program_item = app.items.get("program", _MISSING)
    program = _select(machine, app, "program", where=where)
    if type(program) is Unknown:
        return program
    if isinstance(program, str):
        at = _where_of(app, "program", where)
        return Attrs({"program": thunk_of(partial(_program_package, machine, program, at))})
    return Attrs({"program": program_item})


def _program_package(machine: Machine, program: str, where: Where) -> Attrs:
    """The one package a program string refers to (its string context), as the agent
    names it: ``{ name; type = "derivation"; drvPath; }``."""
    paths = sorted({context_path(element) for element in context_of(program)})
    if not paths:
        raise E.Thrown(NO_PACKAGE).at(*where)
    if len(paths) != 1:
        raise E.Thrown(MANY_PACKAGES).at(*where)
    drv_path = paths[0]
    base = _apply(machine, "baseNameOf", drv_path)
    # A store path's base name is a 32-character hash, a dash, the name, and `.drv`.
    name = _apply(machine, "substring", 33, len(base.encode()) - 33 - 4, base)
    return Attrs({"name": name, "type": "derivation", "drvPath": drv_path})


def _system_configs(machine: Machine, args: Any, item: Any) -> Any:
    """NixOS or nix-darwin configurations: only their ``config.system.build.toplevel``,
    and only those whose system is in ciSystems (the others with a trace)."""
    ci_systems = _ci_systems_of(machine, args)
    value = force(item)
    if type(value) is Unknown:
        return value
    configs = machine.force_attrs(value)
    kept: dict[str, Any] = {}
    for name in configs.names():
        config = configs.items[name]
        if ci_systems is not None:
            system = _config_system(machine, config)
            # A configuration whose system is unknown is kept: dropping it would hide it.
            if type(system) is not Unknown and not _apply(machine, "hasAttr", system, ci_systems):
                message = f"Ignoring flake attribute {name} (system {system} not in ciSystems)"
                _trace(machine, message, False)
                continue
        where = configs.position(name)
        toplevel = thunk_of(partial(_toplevel, machine, config, where))
        kept[name] = Attrs(
            {"config": Attrs({"system": Attrs({"build": Attrs({"toplevel": toplevel})})})}
        )
    return Attrs(kept, configs.origin)


def _toplevel(machine: Machine, config: Any, where: Where | None) -> Any:
    return _select_path(machine, config, ("config", "system", "build", "toplevel"), where)


def _config_system(machine: Machine, config: Any) -> Any:
    """The system a NixOS or nix-darwin configuration is for: the build platform's when
    ``nixpkgs.hostPlatform`` is defined, else ``localSystem.system`` or ``system``."""
    platform = _lookup(machine, config, ("options", "nixpkgs", "hostPlatform"))
    if type(platform) is Unknown:
        return platform
    if platform is not _MISSING:
        defined = _select_path(machine, platform, ("isDefined",), None)
        if type(defined) is Unknown:
            return defined
        if machine.force_bool(defined):
            path = ("config", "nixpkgs", "buildPlatform", "system")
            return _select_path(machine, config, path, None)
    local = _lookup(machine, config, ("config", "nixpkgs", "localSystem", "system"))
    if local is not _MISSING:
        return local
    return _select_path(machine, config, ("config", "nixpkgs", "system"), None)


def _template(machine: Machine, item: Any, where: Where | None, name: str) -> Any:
    template = force(item)
    if type(template) is Unknown:
        return template
    at = where or _NOWHERE
    if type(template) is not Attrs:
        raise E.Thrown(f"Template `templates.{name}` is not an attribute set.").at(*at)
    if "description" not in template.items:
        raise E.Thrown(
            f"Template `templates.{name}` does not have a `description` string attribute."
        ).at(*at)
    description = force(template.items["description"])
    if type(description) is Unknown:
        return description
    if type_of(description) != "string":
        raise E.Thrown(
            f"`templates.{name}.description` must be a string, but its type is "
            f"{type_of(description)}."
        ).at(*_where_of(template, "description", where))
    if "path" not in template.items:
        raise E.Thrown(f"Template `templates.{name}` does not have a `path` attribute.").at(*at)
    path_item = template.items["path"]
    path_at = _where_of(template, "path", where)
    like = _is_path_like(machine, path_item)
    if type(like) is Unknown:
        return like
    if not like:
        path = force(path_item)
        if type_of(path) in ("string", "path"):
            what = f"value is {_apply(machine, 'toString', path)}"
        else:
            what = f"type is {type_of(path)}"
        raise E.Thrown(_TEMPLATE_PATH.format(name=name, what=what)).at(*path_at)
    exists = _built_by_nix(machine, path_item) or _apply(machine, "pathExists", path_item)
    if type(exists) is Unknown:
        return exists
    if not exists:
        raise E.Thrown(
            f"Template path `templates.{name}.path` points to a location that does not exist."
        ).at(*path_at)
    return template


def _built_by_nix(machine: Machine, item: Any) -> bool:
    """Whether a template path is a derivation's output. Nix's pathExists builds it first
    (import from derivation), so it exists once built: Hercules CI builds it, ci-eval
    cannot, and takes it as existing rather than refusing a template Hercules CI accepts."""
    value = force(item)
    if type_of(value) == "path":
        return False
    text = _apply(machine, "toString", value)
    return any(element.startswith(("!", "=")) for element in context_of(text))


def _templates(machine: Machine, args: Any, item: Any) -> Any:
    value = force(item)
    if type(value) is Unknown:
        return value
    templates = machine.force_attrs(value)
    return Attrs(
        {
            name: thunk_of(partial(_template, machine, v, templates.position(name), name))
            for name, v in templates.items.items()
        },
        templates.origin,
    )


def _is_path_like(machine: Machine, item: Any) -> Any:
    """A store path: a path or string below the store directory, or a set whose
    ``__toString`` or ``outPath`` is one. True, False, or an unknown."""
    value = force(item)
    if type(value) is Unknown:
        return value
    kind = type_of(value)
    if kind == "path":
        return _in_store(machine, _apply(machine, "toString", value))
    if kind == "string":
        return _in_store(machine, value)
    if kind != "set":
        return False
    if "__toString" in value.items:
        text = force(machine.call(force(value.items["__toString"]), value))
        like = _is_path_like(machine, text)
        if like is True or type(like) is Unknown:
            return like
    if "outPath" in value.items:
        return _is_path_like(machine, value.items["outPath"])
    return False


def _in_store(machine: Machine, text: Any) -> Any:
    if type(text) is Unknown:
        return text
    store = force(machine.builtins.items["storeDir"])
    directory = _apply(machine, "dirOf", text)
    return directory if type(directory) is Unknown else str(directory).startswith(store)


def _effects(machine: Machine, args: Any, item: Any) -> Any:
    """A flake's ``effects`` output: a set as it is, a function called with the
    arguments (the way flakes without a herculesCI output declare effects)."""
    value = force(item)
    if type(value) is Unknown or type(value) is Attrs:
        return value
    return force(machine.call(value, args))


_TRANSLATIONS: dict[str, Callable[[Machine, Any, Any], Any]] = {
    "packages": _for_systems(None),
    "checks": _for_systems(None),
    "formatter": _for_systems(None),
    "devShell": _for_systems(_shell),
    "devShells": _for_systems(_each(_shell)),
    "apps": _for_systems(_each(_app)),
    "nixosConfigurations": _system_configs,
    "darwinConfigurations": _system_configs,
    "templates": _templates,
    "effects": _effects,
    **{name: _ignore for name in IGNORED},
}


# --- selecting, as Nix's `.`, `or` and `?` do ----------------------------------------------


def _select(
    machine: Machine, value: Any, name: str, default: Any = _MISSING, where: Where | None = None
) -> Any:
    """``value.name`` forced (``value.name or default`` with a default); from an unknown,
    what its overlay knows or another unknown."""
    if type(value) is Unknown:
        if value.overlay is not None and name in value.overlay:
            return force(value.overlay[name])
        operand = value.provenance if " " not in value.provenance else f"({value.provenance})"
        return value.derive(f"{operand}.{name}", value.source, value.span)
    if type(value) is not Attrs:
        if default is not _MISSING:
            return default
        raise machine.type_error(value, "a set").at(*(where or _NOWHERE))
    if name not in value.items:
        if default is not _MISSING:
            return default
        raise E.MissingAttribute(f"attribute '{name}' missing").at(
            *(value.written_at() or where or _NOWHERE)
        )
    return force(value.items[name])


def _select_path(machine: Machine, item: Any, path: Sequence[str], where: Where | None) -> Any:
    value = force(item)
    for name in path:
        value = _select(machine, value, name, where=where)
    return value


def _lookup(machine: Machine, item: Any, path: Sequence[str]) -> Any:
    """``item.a.b`` if it is there, `_MISSING` if a step is not a set or lacks the name
    (as ``?`` and ``or`` see it), an unknown if a step is unknown."""
    value = force(item)
    for name in path:
        if type(value) is Attrs:
            if name not in value.items:
                return _MISSING
            value = force(value.items[name])
        elif type(value) is Unknown:
            value = _select(machine, value, name)
        else:
            return _MISSING
    return value


def _where_of(value: Any, name: str, fallback: Where | None = None) -> Where:
    position = value.position(name) if type(value) is Attrs else None
    return position or fallback or _NOWHERE


def _force_attrs_at(machine: Machine, value: Any, where: Where | None) -> Attrs:
    if type(value) is not Attrs:
        raise machine.type_error(value, "a set").at(*(where or _NOWHERE))
    return value


def _apply(machine: Machine, name: str, *args: Any) -> Any:
    """The machine's builtin `name` applied to `args`, forced."""
    result = machine.builtins.items[name]
    for arg in args:
        result = machine.call(result, arg)
    return force(result)


def _trace(machine: Machine, message: str, value: Any) -> Any:
    """``builtins.trace message value``, through the machine's own trace."""
    return _apply(machine, "trace", message, value)
