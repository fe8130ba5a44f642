"""Nix values as the JSON of a description (docs/descriptions.md, "Values").

As ``builtins.toJSON`` would write them, except: an unknown is
``{"unknown": PROVENANCE, "at": "file:line:column"}``, a function
``{"function": …}``, a path ``{"path": "./…"}`` relative to the directory the
description is made for, a derivation ``{"derivation": NAME, "outPath": …}`` and a
``lib.cleanSource`` result ``{"path": …, "filtered": true}``.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from ..eval.access import MODEL_DIR
from ..eval.force import force
from ..nixpkgs.model import STORE_DIR
from ..syntax.nodes import Span
from ..syntax.source import Source
from ..values import Attrs, Closure, CStr, NixPath, PrimOp, PrimOpApp, Unknown

if TYPE_CHECKING:
    from ..eval.machine import Machine

JSON = Any


def display_path(path: str) -> str:
    """A file name as a description shows it: relative to the working directory when the
    file is inside it, absolute otherwise."""
    if not os.path.isabs(path):
        return path
    return _shown_from(path, os.getcwd())


# `check` shows tens of thousands of diagnostics of one file; relpath splits both paths.
@functools.lru_cache(maxsize=256)
def _shown_from(path: str, directory: str) -> str:
    relative = os.path.relpath(path, directory)
    return path if relative.startswith("..") else relative


def location(source: Source | None, span: Span | None) -> str:
    """``file:line:column`` of a span, or ``?``."""
    if source is None or span is None:
        return "?"
    pos = source.position(span.start)
    return f"{display_path(source.name)}:{pos.line}:{pos.column}"


def unknown_json(value: Unknown, fallback: str = "?") -> dict[str, str]:
    """An unknown in a description. One made inside ci-eval's own models (the offline
    nixpkgs and effects), or made by no expression (a package ``callPackage`` passed), is
    placed at `fallback`, the call that led to it."""
    source = value.source
    if source is None or value.span is None or source.name.startswith(MODEL_DIR + os.sep):
        return {"unknown": value.provenance, "at": fallback}
    return {"unknown": value.provenance, "at": location(source, value.span)}


def is_unknown_json(value: object) -> bool:
    """Whether a description value is an unknown (`unknown_json`'s shape)."""
    return isinstance(value, dict) and set(value) == {"unknown", "at"}


class Encoder:
    """Encodes values for one description; `base` is the directory paths are shown from."""

    def __init__(self, machine: Machine, base: str, at: str = "?") -> None:
        self.machine = machine
        self.base = base
        self.at = at  # where unknowns made inside ci-eval's models are shown
        self._active: set[int] = set()

    def path(self, path: str) -> str:
        relative = os.path.relpath(path, self.base)
        if relative == ".":
            return "./."
        return relative if relative.startswith("..") else f"./{relative}"

    @staticmethod
    def shown(text: str) -> str:
        """A string as a description shows it: the output path of a modelled package
        (``/nix/store/«pkgs.cachix»``, `nixeval.nixpkgs.model`) as ``«pkgs.cachix»``."""
        return text.replace(f"{STORE_DIR}/«", "«") if "«" in text else text

    def encode(self, item: Any) -> JSON:
        value = force(item)
        t = type(value)
        if value is None or t is bool or t is int or t is float:
            return value
        if t is str or t is CStr:
            return self.shown(str(value))
        if t is Unknown:
            shown = unknown_json(value, self.at)
            # Paths in the provenance relative to the project, as everywhere in a description.
            shown["unknown"] = shown["unknown"].replace(self.base + os.sep, "./")
            return shown
        if t is NixPath:
            return {"path": self.path(value.path)}
        if t is list:
            return [self.encode(v) for v in value]
        if t is Closure:
            return {"function": "lambda"}
        if t is PrimOp:
            return {"function": f"builtin {value.name}"}
        if t is PrimOpApp:
            return {"function": f"builtin {value.primop.name}"}
        if t is Attrs:
            return self._attrs(value)
        return {"unknown": f"a {t.__name__}", "at": "?"}

    def _attrs(self, value: Attrs) -> JSON:
        items = value.items
        if "type" in items and force(items["type"]) == "derivation":
            name = force(items["name"]) if "name" in items else None
            out = self.encode(items["outPath"]) if "outPath" in items else None
            return {"derivation": name if isinstance(name, str) else None, "outPath": out}
        if force(items.get("_isLibCleanSourceWith", False)) is True and "origSrc" in items:
            origin = self.encode(items["origSrc"])
            if isinstance(origin, dict) and "path" in origin:
                return {"path": origin["path"], "filtered": True}
            return origin
        if "outPath" in items:
            return self.encode(items["outPath"])
        key = id(value)
        if key in self._active:
            return {"unknown": "a set that contains itself", "at": "?"}
        self._active.add(key)
        try:
            return {name: self.encode(items[name]) for name in value.names()}
        finally:
            self._active.discard(key)
