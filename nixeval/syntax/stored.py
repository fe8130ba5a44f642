"""Syntax trees kept on disk between processes, keyed by the text they were parsed from.

A real project's evaluation parses the same library files in every process (nixpkgs
`lib`, flake-parts, hercules-ci-effects: about half a megabyte of Nix), and parsing them
is a third of a warm ``--list``. Loading a stored tree is several times faster than
parsing the text again.

An entry is named by the SHA-256 of the text, the names resolution was given, and the
code that makes trees (`_code_stamp`): a changed file is a new entry, and another version
of ci-eval never reads a tree of a different shape. Entries are pickles, read by an
unpickler that makes nothing but the syntax tree's own classes (`_TreeUnpickler`): a
planted file can at worst fail to load, and is then parsed again.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
from pathlib import Path
from typing import Any

from . import nodes as n

_stamp: str | None = None


def _code_stamp() -> str:
    """A digest of the modules whose code decides a tree's shape."""
    global _stamp
    if _stamp is None:
        here = Path(__file__).resolve().parent
        digest = hashlib.sha256()
        for name in (
            "nodes.py",
            "lower.py",
            "parser.py",
            "lexer.py",
            "_lalr_tables.py",
            "stored.py",
        ):
            digest.update((here / name).read_bytes())
        _stamp = digest.hexdigest()
    return _stamp


def entry_name(text: str, names: frozenset[str]) -> str:
    """The file name of the tree of `text` resolved with the extra `names`."""
    digest = hashlib.sha256(_code_stamp().encode())
    digest.update("\0".join(sorted(names)).encode())
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest() + ".tree"


def load(entry: Path) -> n.Expr | None:
    """The tree stored as `entry` (see `entry_name`), or None (absent, unreadable, or
    not a tree)."""
    try:
        data = entry.read_bytes()
        return _TreeUnpickler(io.BytesIO(data)).load()  # type: ignore[no-any-return]
    except Exception:  # whatever went wrong, the text is parsed again
        return None


def store(entry: Path, tree: n.Expr) -> None:
    """Keep `tree` as `entry`; written whole or not at all, and silently not when the
    directory cannot be written (a read-only home, a full disk)."""
    import tempfile  # only a run that parsed a file afresh writes one (and it loads random)

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(tree, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, pickle.PicklingError, RecursionError):
        pass


def _reducer(names: tuple[str, ...]) -> Any:
    def reduce(node: Any) -> tuple[type, tuple[Any, ...]]:
        return type(node), tuple(getattr(node, name) for name in names)

    return reduce


# A node is stored as its class and its fields, and made again by calling the class: three
# times faster to load than the default for slotted classes, which sets each field
# through a generic __setstate__.
for _node_class in n.node_classes():
    copyreg.pickle(_node_class, _reducer(tuple(f.name for f in n.fields(_node_class))))


class _TreeUnpickler(pickle.Unpickler):
    """Makes only the classes of `nixeval.syntax.nodes` (and their enums)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == n.__name__ and isinstance(getattr(n, name, None), type):
            return getattr(n, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a syntax tree")
