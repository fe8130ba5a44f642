"""Offline Nix store arithmetic: the store paths and .drv paths Nix 2.8 computes for
`builtins.toFile`, path coercion, `builtins.path`, `builtins.filterSource`,
`builtins.placeholder`, `builtins.storeDir` and `derivationStrict` — without a store.

One role per module: `base32` (Nix's base-32), `hashes` (hash parsing), `paths` (store
path arithmetic), `nar` (NAR hashing), `sources` (paths from the file system), `aterm`
(the .drv text), `derivations` (derivationStrict and hashDerivationModulo).
"""

from __future__ import annotations

from .aterm import Derivation, Output, unparse
from .base32 import base32
from .derivations import DerivationStore
from .errors import StoreError
from .hashes import Hash, parse_hash, parse_hash_allow_empty
from .nar import nar_sha256
from .paths import (
    STORE_DIR,
    check_store_name,
    fixed_output_path,
    hash_placeholder,
    make_store_path,
    text_path,
)
from .sources import source_path

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
