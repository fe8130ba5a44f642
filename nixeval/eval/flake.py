"""A flake evaluated as Nix's ``call-flake.nix`` evaluates it, with its real inputs.

Every node of the ``flake.lock`` graph (``follows`` resolved, `nixeval.sources.lockfile`)
becomes the value Nix gives an input: for a flake, its outputs called with its own inputs
and ``self``, merged with its source info and ``inputs``, ``outputs``, ``sourceInfo`` and
``_type = "flake"``; for ``flake = false``, its source info. Each source tree comes from
the evaluation's `Sources` (override, store, cache, network). Two inputs are recognised
rather than evaluated from their source: nixpkgs is the modelled nixpkgs
(`nixeval.nixpkgs.model`), and hercules-ci-effects without its source is the bundled
model of the library. Any other input without its source is an unknown that knows its
pinned source info (``rev``, ``narHash``, …) and nothing else.

``builtins.getFlake`` of a locked reference (`call_pinned_flake`) is the same: the flake
in the tree its lock node pins, evaluated with that tree's own ``flake.lock``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..sources.known import HERCULES_CI_EFFECTS, NIXPKGS, is_nixpkgs_tree, project_of_node
from ..sources.locked import last_modified_date
from ..sources.lockfile import LockFile
from ..values import Attrs, Closure, PrimOp, Unknown, thunk_of
from . import errors as E
from .force import force

if TYPE_CHECKING:
    from .machine import Machine


def call_flake(
    machine: Machine,
    directory: str,
    lock: LockFile | None,
    root_info: Attrs,
    scope: str | None = None,
) -> Any:
    """The flake in `directory` (its ``flake.nix``) with the inputs `lock` pins; its own
    source info is `root_info`. The project's flake (`scope` None) has its inputs
    replaced by the evaluation's ``--override-input`` paths (``a/b``,
    `Sources.overrides`); another flake (``builtins.getFlake``'s: `scope` says which, in
    messages) never, since those paths name the project's inputs. The value is a set,
    or an unknown when the outputs are (made by an input that is not available)."""
    graph = _Graph(machine, directory, lock, root_info, scope)
    return force(graph.value(lock.root if lock is not None else None))


def call_pinned_flake(machine: Machine, locked: dict[str, Any], what: str, name: str) -> Any:
    """The flake the lock node `locked` pins (``builtins.getFlake`` of a remote
    reference; `what` names it in messages, `name` in provenances): its tree from the
    evaluation's `Sources`, its ``dir``, evaluated with the tree's own ``flake.lock``
    (its inputs resolved the same way). nixpkgs is the modelled nixpkgs. Without its
    tree, what an unavailable flake input is (an unknown knowing its source info, or a
    model) — or, where the evaluation has no unknowns (``--eval``), an error."""
    from ..sources import LockedInput, LockError
    from ..sources.session import Missing

    pinned = pinned_text(locked)
    # How the warning of a missing source says it is pinned (`what` names the reference).
    hashed = str(locked.get("narHash", "no narHash"))
    tree: str | None = None
    if locked.get("type") == "path":
        tree = _absolute_path_tree(machine, locked, what)
    elif "narHash" not in locked:
        # Nix locks a forge or git reference by its rev alone; ci-eval finds and verifies
        # a source by its NAR hash.
        machine.sources.missing.append(
            Missing(
                what,
                hashed,
                "its reference has no narHash, by which ci-eval finds "
                "and verifies a source: add ?narHash=… (`nix flake metadata` shows it)",
            )
        )
    else:
        try:
            pin = LockedInput.from_lock_node(locked)
        except LockError as err:
            raise E.EvalError(f"{what}: {err}") from None
        found = machine.sources.tree(pin, what, hashed, None)
        tree = str(found) if found is not None else None
    info = source_info(machine, locked, tree, what, pinned)
    if tree is None:
        if not machine.unknowns:
            # --eval: an error, saying why (as the warning of a missing input does).
            whys = [m.why for m in machine.sources.missing if m.what == what]
            raise E.EvalError(
                f"'getFlake' needs the source of {pinned}, which is not available",
                hint=whys[-1] if whys else None,
            )
        return _unavailable(machine, locked, info, what, pinned, name, True)
    flake = _nixpkgs_or_directory(machine, tree, locked, info, name)
    if not isinstance(flake, str):
        return flake
    return call_flake(machine, flake, lock_file(machine, flake), info, what)


def _nixpkgs_or_directory(
    machine: Machine, tree: str, locked: dict[str, Any], info: Attrs, name: str
) -> Attrs | str:
    """A pinned source found at `tree` (made readable): the modelled nixpkgs flake if it
    is nixpkgs (by its lock node or its tree), else the directory of its ``flake.nix``
    (the node's ``dir`` below the tree)."""
    machine.access.allow(tree)
    if project_of_node(locked) == NIXPKGS or is_nixpkgs_tree(tree):
        from ..nixpkgs.model import nixpkgs_flake

        return nixpkgs_flake(machine, tree, info, name)
    subdir = str(locked.get("dir", ""))
    return os.path.join(tree, subdir) if subdir else tree


class FlakeLockError(E.EvalError):
    """A flake's ``flake.lock`` is missing (while the flake has inputs) or unusable."""

    code = "E400"


def lock_file(machine: Machine, directory: str) -> LockFile | None:
    """The flake's ``flake.lock``; None when it has none and declares no input (Nix
    needs no lock then). A flake with inputs and no lock is `FlakeLockError`."""
    from ..sources import LockError
    from ..syntax import Source
    from ..syntax.nodes import Span

    path = os.path.join(directory, "flake.lock")
    try:
        if not machine.access.is_tracked(path):
            if os.path.exists(path):
                raise FlakeLockError(
                    f"'{path}' is not tracked by git, so it is not in the flake's source",
                    hint="Nix evaluates a flake in a git repository from the files git "
                    "tracks: `git add flake.lock`",
                )
            raise FileNotFoundError(path)
        with open(machine.check_path(path), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        if _declares_inputs(machine, directory):
            raise FlakeLockError(
                f"the flake in '{directory}' has inputs but no flake.lock",
                hint="run `nix flake lock` to pin its inputs (ci-eval evaluates the pinned "
                "inputs and never locks them itself)",
            ) from None
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise FlakeLockError(f"cannot read '{path}': {err}") from None
    try:
        return LockFile.parse(text)
    except LockError as err:
        raise FlakeLockError(f"'{path}' is not a usable lock file: {err}").at(
            Source(path, text), Span(0, 0)
        ) from None


def _declares_inputs(machine: Machine, directory: str) -> bool:
    from ..builtins.paths import import_file

    flake = machine.force_attrs(import_file(machine, os.path.join(directory, "flake.nix")))
    declared = force(flake.items["inputs"]) if "inputs" in flake.items else None
    if type(declared) is Attrs and declared.items:
        return True
    outputs = force(flake.items["outputs"]) if "outputs" in flake.items else None
    if type(outputs) is Closure and outputs.lam.formals is not None:
        return any(f.name != "self" for f in outputs.lam.formals.entries)
    return False


def pinned_text(locked: dict[str, Any]) -> str:
    """A lock node as a flake reference, for messages: ``github:o/r/<rev>``."""
    kind = locked.get("type")
    if kind in ("github", "gitlab", "sourcehut"):
        # A lock node has its rev; a reference getFlake takes may have a ref instead.
        at = locked.get("rev") or locked.get("ref")
        return f"{kind}:{locked.get('owner')}/{locked.get('repo')}" + (f"/{at}" if at else "")
    if kind in ("git", "tarball", "file", "mercurial"):
        rev = locked.get("rev")
        return f"{kind}+{locked.get('url')}" + (f"?rev={rev}" if rev else "")
    if kind == "path":
        return f"path:{locked.get('path')}"
    if kind == "indirect":
        parts = (locked.get("id"), locked.get("ref"), locked.get("rev"))
        return "flake:" + "/".join(str(p) for p in parts if p)
    return str(kind)


class _Graph:
    def __init__(
        self,
        machine: Machine,
        directory: str,
        lock: LockFile | None,
        root_info: Attrs,
        scope: str | None = None,
    ) -> None:
        self.machine = machine
        self.directory = directory
        self.lock = lock
        self.root_info = root_info
        self.scope = scope
        self.values: dict[str | None, Any] = {}
        # node key -> the --override-input path that replaces it
        self.overrides: dict[str, str] = {}
        # node key -> its shortest input path from the root (`a/b`), for messages
        self.input_paths: dict[str, str] = (
            {key: "/".join(path) for key, path in lock.input_paths().items()} if lock else {}
        )
        for path in machine.sources.overrides if scope is None else ():
            if lock is None:
                raise E.EvalError(f"cannot override input '{path}': the flake has no flake.lock")
            from ..sources import LockError

            try:
                key = lock.node_of(tuple(path.split("/")))
            except LockError as err:
                raise E.EvalError(f"cannot override input '{path}': {err}") from None
            self.overrides[key] = path

    def value(self, key: str | None) -> Any:
        """The value of node `key` (None or the lock's root: the flake itself), made
        once and lazily."""
        if self.lock is not None and key is None:
            key = self.lock.root
        if key not in self.values:
            self.values[key] = thunk_of(lambda: self._make(key))
        return self.values[key]

    def _inputs(self, key: str | None) -> Attrs:
        if self.lock is None or key is None:
            return Attrs({})
        return Attrs({name: self.value(target) for name, target in self.lock.inputs(key).items()})

    def _make(self, key: str | None) -> Any:
        machine = self.machine
        if self.lock is None or key == self.lock.root:
            return self._flake(self.directory, self.root_info, self._inputs(key), "the flake")
        assert key is not None
        node = self.lock.nodes[key]
        locked = dict(node.get("locked") or {})
        name = self.input_paths.get(key, key)
        what = f"flake input '{name}'" + (f" of {self.scope}" if self.scope else "")
        pinned = pinned_text(locked)
        tree = self._tree(key, locked, what, pinned, name)
        info = source_info(machine, locked, tree, what, pinned)
        if tree is None:
            return _unavailable(machine, locked, info, what, pinned, name, self.lock.is_flake(key))
        found = _nixpkgs_or_directory(machine, tree, locked, info, name)
        if not isinstance(found, str):
            return found
        if not self.lock.is_flake(key):
            return info
        return self._flake(found, info, self._inputs(key), what)

    def _tree(
        self, key: str, locked: dict[str, Any], what: str, pinned: str, name: str
    ) -> str | None:
        """The source directory of node `key`, or None when no place has it."""
        from ..sources import LockError

        if locked.get("type") == "path" and key not in self.overrides:
            raw = str(locked.get("path", ""))
            if not raw.startswith("/"):
                # Relative to the flake's directory (inside its tree): used as it is.
                return os.path.normpath(os.path.join(self.directory, raw))
            return _absolute_path_tree(self.machine, locked, what, " in flake.lock")
        try:
            pin = self.lock.locked(key) if self.lock is not None else None
        except LockError as err:
            raise E.EvalError(f"{what} in flake.lock: {err}") from None
        if pin is None:
            return None
        # A flake fetched by getFlake (`scope`) has no input --override-input names.
        override = self.overrides.get(key, name) if self.scope is None else None
        found = self.machine.sources.tree(pin, what, pinned, override)
        return str(found) if found is not None else None

    def _flake(self, directory: str, info: Attrs, inputs: Attrs, what: str) -> Any:
        """call-flake.nix's ``result``: outputs called with the inputs and ``self``."""
        from ..builtins.paths import import_file

        machine = self.machine
        path = os.path.join(directory, "flake.nix")
        flake = machine.force_attrs(import_file(machine, path))
        if "outputs" not in flake.items:
            raise E.MissingAttribute(
                f"flake '{directory}' lacks attribute 'outputs'",
                *(flake.written_at() or (None, None)),
            )
        outputs_fn = flake.items["outputs"]

        def outputs() -> Any:
            return force(machine.call(force(outputs_fn), Attrs({**inputs.items, "self": result})))

        outputs_item = thunk_of(outputs)

        def merged() -> Any:
            value = force(outputs_item)
            extra = {
                **info.items,
                "inputs": inputs,
                "outputs": outputs_item,
                "sourceInfo": info,
                "_type": "flake",
            }
            if type(value) is Attrs:
                return Attrs({**value.items, **extra})
            if type(value) is Unknown:
                return Unknown(value.provenance, value.source, value.span, extra)
            raise machine.type_error(value, f"a set (the outputs of {what})")

        result = thunk_of(merged)
        return force(result)


def _absolute_path_tree(
    machine: Machine, locked: dict[str, Any], what: str, context: str = ""
) -> str | None:
    """An absolute ``path:`` node's directory, used once its NAR hash is the lock's;
    None (recorded as missing) when it is not there or not that content. `context`
    follows `what` in the error about an unusable node (`` in flake.lock``)."""
    from pathlib import Path

    from ..sources import LockedInput, LockError
    from ..sources.session import Missing
    from ..store import nar_sha256

    raw = str(locked.get("path", ""))
    try:
        pin = LockedInput.from_lock_node(locked)
    except LockError as err:
        raise E.EvalError(f"{what}{context}: {err}") from None
    if not os.path.isdir(raw) or nar_sha256(Path(raw)) != pin.nar_hash.digest:
        machine.sources.missing.append(
            Missing(what, f"path:{raw}", "the directory is missing or not the pinned content")
        )
        return None
    return raw


def source_info(
    machine: Machine, locked: dict[str, Any], tree: str | None, what: str, pinned: str
) -> Attrs:
    """What ``fetchTree`` gives for a lock node: ``outPath`` (unknown without the tree),
    ``narHash``, and ``rev``, ``shortRev``, ``lastModified``, ``lastModifiedDate``,
    ``revCount`` where the node has them."""
    items: dict[str, Any] = {}
    if tree is not None:
        items["outPath"] = machine.sources.out_path(tree)
    else:
        items["outPath"] = Unknown(f"{what} ({pinned}: not available).outPath")
    if isinstance(locked.get("narHash"), str):
        items["narHash"] = locked["narHash"]
    if isinstance(locked.get("rev"), str):
        items["rev"] = locked["rev"]
        items["shortRev"] = locked["rev"][:7]
    if isinstance(locked.get("lastModified"), int):
        items["lastModified"] = locked["lastModified"]
        items["lastModifiedDate"] = last_modified_date(locked["lastModified"])
    if isinstance(locked.get("revCount"), int):
        items["revCount"] = locked["revCount"]
    if locked.get("type") == "git":
        items["submodules"] = bool(locked.get("submodules", False))
    return Attrs(items)


def _unavailable(
    machine: Machine,
    locked: dict[str, Any],
    info: Attrs,
    what: str,
    pinned: str,
    name: str,
    is_flake: bool,
) -> Any:
    """A pinned flake (or tree) whose source no place had: the modelled nixpkgs for
    nixpkgs; else an unknown knowing its source info (and, for hercules-ci-effects, the
    bundled model's ``lib.withPkgs``)."""
    project = project_of_node(locked)
    if project == NIXPKGS:
        from ..nixpkgs.model import nixpkgs_flake

        machine.sources.stands_in(what, "the modelled nixpkgs stands in for it")
        return nixpkgs_flake(machine, None, info, name)
    known = dict(info.items)
    if project == HERCULES_CI_EFFECTS and is_flake:
        machine.sources.stands_in(
            what, "ci-eval's bundled model of the library stands in for its lib.withPkgs"
        )

        def bundled_effects(pkgs: Any) -> Any:
            from ..nixpkgs import offline_effects

            return offline_effects(machine, force(pkgs))

        known["lib"] = Attrs({"withPkgs": PrimOp("withPkgs", 1, bundled_effects)})
    return Unknown(f"{what} ({pinned}: not available)", overlay=known)
