"""Store paths of files from the file system: mirrors `computeStorePathForPath` as used by
path coercion (`"${./f}"`, `copyPathToStore`), `builtins.path` and `builtins.filterSource`
(`addPath` in libexpr/primops.cc) in read-only mode: the path is computed, nothing copied.
"""

from __future__ import annotations

import hashlib
import os
import pathlib

from .errors import StoreError
from .hashes import parse_hash_allow_empty
from .nar import PathFilter, nar_sha256
from .paths import fixed_output_path


def flat_sha256(path: pathlib.Path) -> bytes:
    """`hashFile(htSHA256, path)`: the plain contents (symlinks followed, as readFile does)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                h.update(chunk)
    except IsADirectoryError:
        raise StoreError("reading from file: Is a directory") from None
    return h.digest()


def source_path(
    path: pathlib.Path,
    name: str | None = None,
    *,
    recursive: bool = True,
    filter: PathFilter | None = None,
    expected_hash: str | None = None,
) -> str:
    """The store path Nix gives `path` when adding it as a source.

    `name` defaults to the base name; `recursive=False` hashes the flat contents (and then
    `filter` plays no part, as in Nix). `expected_hash` is `builtins.path`'s `sha256`:
    the computed path must equal the path that hash implies, else Nix's "store path
    mismatch" error.
    """
    if name is None:
        name = path.name
    if expected_hash is not None:
        expected, _warning = parse_hash_allow_empty(expected_hash, "sha256")
        expected_path = fixed_output_path(name, expected.algo, expected.digest, recursive)
    digest = nar_sha256(path, filter) if recursive else flat_sha256(path)
    result = fixed_output_path(name, "sha256", digest, recursive)
    if expected_hash is not None and result != expected_path:
        raise StoreError(
            f"store path mismatch in (possibly filtered) path added from '{os.fspath(path)}'"
        )
    return result
