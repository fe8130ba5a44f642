"""Offline Nix store arithmetic: the store paths and .drv paths Nix 2.8 computes for
`builtins.toFile`, path coercion, `builtins.path`, `builtins.filterSource`,
`builtins.placeholder`, `builtins.storeDir` and `derivationStrict` — without a store.

One role per module: `base32` (Nix's base-32), `hashes` (hash parsing), `paths` (store
path arithmetic), `nar` (NAR hashing), `sources` (paths from the file system), `aterm`
(the .drv text), `derivations` (derivationStrict and hashDerivationModulo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import loaded_on_first_use
from .base32 import base32
from .errors import StoreError
from .hashes import Hash, parse_hash, parse_hash_allow_empty
from .paths import (
    STORE_DIR,
    check_store_name,
    fixed_output_path,
    hash_placeholder,
    make_store_path,
    text_path,
)

if TYPE_CHECKING:
    from .aterm import Derivation, Output, unparse
    from .derivations import DerivationStore
    from .nar import nar_sha256
    from .sources import source_path

# Loaded on first use (PEP 562): most runs of ``ci-eval check`` and the main job compute
# no derivation, and need not load the .drv code.
_LAZY = {
    "Derivation": "aterm",
    "Output": "aterm",
    "unparse": "aterm",
    "DerivationStore": "derivations",
    "nar_sha256": "nar",
    "source_path": "sources",
}

__getattr__ = loaded_on_first_use(__name__, _LAZY)


__all__ = [
    "STORE_DIR",
    "Derivation",
    "DerivationStore",
    "Hash",
    "Output",
    "StoreError",
    "base32",
    "check_store_name",
    "fixed_output_path",
    "hash_placeholder",
    "make_store_path",
    "nar_sha256",
    "parse_hash",
    "parse_hash_allow_empty",
    "source_path",
    "text_path",
    "unparse",
]
