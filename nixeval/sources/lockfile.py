"""A ``flake.lock``: the graph of a flake's pinned inputs, as Nix 2.8 reads it.

The file (versions 5 to 7) holds ``nodes`` keyed by name and the name of the ``root``
node. A node's ``inputs`` map an input name either to a node's key or, for ``follows``,
to a path of input names starting at the root (``"nixpkgs-lib": ["nixpkgs"]``: the root's
``nixpkgs``). Every node but the root has a ``locked`` reference; ``"flake": false``
marks an input that is a plain source tree, not a flake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .locked import LockedInput, LockError

SUPPORTED_VERSIONS = (5, 6, 7)
InputPath = tuple[str, ...]


@dataclass(frozen=True)
class LockFile:
    """The nodes of a lock file (as written) and the key of its root node."""

    nodes: Mapping[str, Mapping[str, Any]]
    root: str

    @classmethod
    def parse(cls, text: str) -> LockFile:
        """A lock file from its JSON text; `LockError` saying what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise LockError(f"not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        if not isinstance(data, dict):
            raise LockError("not a lock file: its value is not an object")
        version = data.get("version")
        if version not in SUPPORTED_VERSIONS:
            raise LockError(f"lock file version {version!r} is not supported (5 to 7 are)")
        nodes, root = data.get("nodes"), data.get("root")
        if not isinstance(nodes, dict) or not isinstance(root, str) or root not in nodes:
            raise LockError("not a lock file: it has no nodes or no root node")
        for key, node in nodes.items():
            if not isinstance(node, dict):
                raise LockError(f"node '{key}' is not an object")
        return cls(nodes, root)

    def inputs(self, key: str) -> dict[str, str]:
        """The inputs of node `key`, each resolved to the key of the node it is (a
        ``follows`` followed from the root)."""
        declared = self.nodes[key].get("inputs", {})
        if not isinstance(declared, dict):
            raise LockError(f"node '{key}' has inputs that are not an object")
        return {name: self._target(key, name, ref, ()) for name, ref in declared.items()}

    def input_paths(self) -> dict[str, InputPath]:
        """The shortest input path from the root to each node but the root, in the
        order a breadth-first walk (inputs in name order) reaches them: how a node is
        named in messages and by ``--override-input``."""
        found: dict[str, InputPath] = {}
        queue: list[tuple[str, InputPath]] = [(self.root, ())]
        while queue:
            key, path = queue.pop(0)
            for name, target in sorted(self.inputs(key).items()):
                if target != self.root and target not in found:
                    found[target] = (*path, name)
                    queue.append((target, (*path, name)))
        return found

    def node_of(self, path: InputPath) -> str:
        """The key of the node an input path from the root names (``("a", "b")``: input
        ``b`` of the root's input ``a``)."""
        return self._walk(path, ())

    def locked(self, key: str) -> LockedInput:
        """The pinned source of node `key` (not the root)."""
        node = self.nodes[key]
        if not isinstance(node.get("locked"), dict):
            raise LockError(f"node '{key}' has no locked reference")
        return LockedInput.from_lock_node(node["locked"])

    def is_flake(self, key: str) -> bool:
        """Whether the input is a flake (its ``outputs`` are called) or a plain tree."""
        return self.nodes[key].get("flake", True) is not False

    def _target(self, key: str, name: str, ref: Any, seen: tuple[InputPath, ...]) -> str:
        if isinstance(ref, str):
            if ref not in self.nodes:
                raise LockError(f"input '{name}' of node '{key}' names no node: '{ref}'")
            return ref
        if isinstance(ref, list) and all(isinstance(part, str) for part in ref):
            return self._walk(tuple(ref), seen)
        raise LockError(f"input '{name}' of node '{key}' is neither a node nor a follows path")

    def _walk(self, path: InputPath, seen: tuple[InputPath, ...]) -> str:
        if path in seen:
            chain = " -> ".join("/".join(p) for p in (*seen, path))
            raise LockError(f"follows cycle: {chain}")
        key = self.root
        for depth, name in enumerate(path):
            declared = self.nodes[key].get("inputs", {})
            if not isinstance(declared, dict) or name not in declared:
                where = "/".join(path[:depth]) or "the root"
                raise LockError(f"input '{'/'.join(path)}' does not exist: {where} has no '{name}'")
            key = self._target(key, name, declared[name], (*seen, path))
        return key
