"""The fetchers: fetchTarball fetchTree fetchGit fetchMercurial fetchurl, and getFlake.

A fetcher pinned by a hash (``fetchTarball { url; sha256; }``, ``fetchTree { type;
narHash; … }``) gives the real, verified source tree when the evaluation's `Sources` has
it (override, store, cache, or the network where the command allows it). Anything else
— no hash, a source none of them has — is an unknown showing what would be fetched; a
nixpkgs or hercules-ci-effects source is a recognised unknown (its `Model`), so that
``import`` of it still gives the modelled nixpkgs or the bundled effects library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.force import force
from ..values import Attrs, Model, NixPath, PrimOp, Unknown
from .paths import source_of
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..sources import LockedInput
    from ..store import Hash

# URL schemes (of fetchurl, fetchTarball, fetchGit, fetchTree's url) that name a local file.
_LOCAL_SCHEMES = ("file://", "git+file://", "hg+file://", "tarball+file://", "path:")


def _local_source(m: Machine, args: Any) -> str | None:
    """The local file a fetcher's argument names (a path, an absolute path string, a
    ``file://`` URL, or a set whose ``url`` / ``path`` is one), if any. Unknown or
    non-string parts name none."""
    value = force(args)
    if type(value) is Attrs:
        for key in ("url", "path"):
            if key in value.items:
                value = force(value.items[key])
                break
        else:
            return None
    if type(value) is NixPath:
        return value.path
    if not isinstance(value, str):
        return None
    text = str(value)
    for scheme in _LOCAL_SCHEMES:
        if text.startswith(scheme):
            text = text[len(scheme) :].partition("?")[0]
            break
    return text if text.startswith("/") else None


def _plain(m: Machine, value: Attrs) -> dict[str, Any] | None:
    """A fetcher's argument set as plain strings, numbers and Booleans (a lock node), or
    None if a part of it is not such a value."""
    node: dict[str, Any] = {}
    for key, item in value.items.items():
        v = force(item)
        if isinstance(v, str):
            node[key] = str(v)
        elif type(v) in (int, bool):
            node[key] = v
        else:
            return None
    return node


def _pin(m: Machine, name: str, value: Any) -> tuple[LockedInput, str] | None:
    """The pinned source a fetcher's argument names (and the URL it would be fetched
    from), when it has a hash."""
    from ..sources import LockedInput, LockError

    if type(value) is not Attrs:
        return None
    node = _plain(m, value)
    if node is None or node.get("sha256") == "":
        # Nix takes an empty hash for all zeroes (with a warning): nothing has it.
        return None
    try:
        if name == "fetchTarball" and "url" in node and "sha256" in node:
            digest = _sha256(node)
            locked = {"type": "tarball", "url": node["url"], "narHash": digest.sri()}
            pin = LockedInput.from_lock_node(locked)
            return LockedInput(pin.nar_hash, node.get("name", "source"), pin.node), node["url"]
        if name == "fetchurl" and "url" in node and "sha256" in node:
            digest = _sha256(node)
            url = str(node["url"])
            file_name = str(node.get("name") or url.rstrip("/").rpartition("/")[2])
            node["type"] = "file"
            return LockedInput(digest, file_name, tuple(sorted(node.items())), False), url
        if name == "fetchTree" and "narHash" in node:
            return LockedInput.from_lock_node(node), str(node.get("url", node.get("type")))
    except LockError:
        return None
    return None


def _sha256(node: dict[str, Any]) -> Hash:
    """A fetcher's ``sha256`` (nix32, base16 or SRI); a malformed one is Nix's error."""
    from ..store import StoreError, parse_hash

    try:
        return parse_hash(node["sha256"], "sha256")
    except StoreError as err:
        raise E.EvalError(err.message) from None


def _fetched(m: Machine, name: str, locked: LockedInput, tree: str) -> Any:
    """What the fetcher gives for the tree it found: a string of its path
    (``fetchTarball``), or the source info (``fetchTree``)."""
    m.access.allow(tree)
    out_path = m.sources.out_path(tree)
    if name != "fetchTree":
        return out_path
    node = dict(locked.node)
    info: dict[str, Any] = {"outPath": out_path, "narHash": locked.sri}
    if "rev" in node:
        info["rev"] = node["rev"]
        info["shortRev"] = str(node["rev"])[:7]
    if "lastModified" in node:
        from ..sources.locked import last_modified_date

        info["lastModified"] = node["lastModified"]
        info["lastModifiedDate"] = last_modified_date(int(node["lastModified"]))
    return Attrs(info)


def _fetcher(name: str) -> Any:
    def fetch(m: Machine, args: Any) -> Any:
        if m.access.restricted:
            # A local source must be readable, as in Nix's restricted mode: `fetchGit
            # /etc` is refused rather than turned into an unknown.
            local = _local_source(m, args)
            if local is not None:
                m.check_path(source_of(m, local))
        from ..eval.machine import builtin_name, describe_argument

        value = force(args)
        # Show what would be fetched: the url, when the argument is a set with one.
        if type(value) is Attrs and "url" in value.items:
            described = describe_argument(value.items["url"])
        else:
            described = describe_argument(value)
        provenance = f"{builtin_name(name)} {described}"
        pin = _pin(m, name, value)
        what = ""
        if pin is not None:
            locked, url = pin
            what = f"{builtin_name(name)} {url}"
            tree = m.sources.tree(locked, what, locked.sri, None)
            if tree is not None:
                return _fetched(m, name, locked, str(tree))
        if m.unknowns:
            model = _model_of(m, value)
            if pin is not None and model is not None:
                m.sources.stands_in(what, model.stands_in)
            return Unknown(provenance, model=model)
        raise E.EvalError(
            f"'{name}' needs the network, and ci-eval evaluates offline",
            hint="pass the value in with --arg, or point -I at a local checkout",
        )

    fetch.__name__ = name
    return fetch


for _name in ("fetchGit", "fetchMercurial", "fetchTarball", "fetchTree", "fetchurl"):
    builtin(_name, 1)(_fetcher(_name))


@builtin("getFlake", 1)
def get_flake(m: Machine, arg: Any) -> Any:
    """``builtins.getFlake REF``, Nix 2.8's (experimental there, behind the flakes
    feature ci-eval always has). A locked reference is the flake in the tree it pins,
    found and evaluated as a flake input is (`call_pinned_flake`); pure evaluation
    refuses an unlocked one, as Nix does. Impurely, a local directory is its flake with
    its flake.lock, as the project's own is loaded (`load_flake`); any other unlocked
    reference (a branch, the registry) is what an unavailable input is."""
    from ..eval.flake import call_pinned_flake, pinned_text
    from ..sources.flakeref import FlakeRefError, is_locked, local_directory, parse_flake_ref

    text = m.force_string_no_ctx(arg)
    try:
        node = parse_flake_ref(text)
    except FlakeRefError as err:
        raise E.EvalError(str(err)) from None
    locked = is_locked(node)
    if not locked and m.pure:
        how = "lock it: give its rev (github:owner/repo/<rev>) and its narHash (?narHash=…)"
        raise E.EvalError(
            f"cannot call 'getFlake' on unlocked flake reference '{text}'",
            # The main job (whose refusals have a hint) has --impure; check has not.
            hint=how + (", or use --impure to override" if m.access.hint else ""),
        )
    directory = local_directory(node) if not locked else None
    if directory is not None:
        return _local_flake(m, directory)
    pinned = pinned_text(node)
    return call_pinned_flake(m, node, f"builtins.getFlake {pinned}", f"(getFlake {pinned})")


def _local_flake(m: Machine, directory: str) -> Any:
    """The flake in the local `directory` (an unlocked reference, so impure only): as
    the project's own flake is loaded, ``self`` being its checkout (read without git)."""
    import os

    from ..checkout import checkout_without_git
    from ..hercules.project import load_flake

    if not directory.startswith("/"):
        raise E.EvalError(
            f"cannot call 'getFlake' on the relative path '{directory}'",
            hint="give an absolute path: builtins.getFlake (toString ./dir)",
        )
    checked = m.check_path(directory)
    if not os.path.isdir(checked):
        if os.path.exists(checked):
            raise E.EvalError(f"path '{directory}' is not a flake (because it's not a directory)")
        raise E.NotFound(f"getting status of '{directory}': No such file or directory")
    return load_flake(m, checked, checkout_without_git(checked))


def _model_of(m: Machine, value: Any) -> Model | None:
    """The model of a fetched source ci-eval recognises by its URL or lock node."""
    from ..sources.known import HERCULES_CI_EFFECTS, NIXPKGS, project_of_node, project_of_url

    project = None
    if isinstance(value, str):
        project = project_of_url(str(value))
    elif type(value) is Attrs:
        node = _plain(m, value)
        if node is not None:
            project = (
                project_of_node(node)
                if "type" in node
                else project_of_url(str(node.get("url", "")))
            )
    if project == NIXPKGS:
        from ..nixpkgs.model import NixpkgsSource

        return NixpkgsSource()
    if project == HERCULES_CI_EFFECTS:
        return EffectsSource()
    return None


class EffectsSource(Model):
    """hercules-ci-effects without its source: ``import`` of it is its ``default.nix``
    (``{ pkgs }: { effects; hci-effects; … }``) with the bundled model of the library."""

    stands_in = "ci-eval's bundled model of the library stands in for it"

    def imported(self, machine: Any) -> Any:
        from ..nixpkgs import offline_effects

        def library(args: Any) -> Attrs:
            pkgs = machine.force_attrs(args).items.get("pkgs")
            if pkgs is None:
                raise E.BadArgument("function called without required argument 'pkgs'")
            effects = offline_effects(machine, force(pkgs))
            return Attrs(
                {
                    "effects": effects,
                    "hci-effects": effects,
                    "modules": Unknown("hercules-ci-effects' modules (its source is not at hand)"),
                }
            )

        return PrimOp("hercules-ci-effects", 1, library)
