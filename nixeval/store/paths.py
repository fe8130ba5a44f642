"""Store path arithmetic: mirrors `Store::makeStorePath`, `makeType`, `makeTextPath`,
`makeFixedOutputPath`, `makeOutputPath` (libstore/store-api.cc), `checkName`
(libstore/path.cc) and `hashPlaceholder` (libstore/derivations.cc) of Nix 2.8.

Nothing here touches a file system or a store: a path is only computed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .base32 import base32
from .errors import StoreError
from .hashes import Hash

STORE_DIR = "/nix/store"
# StorePath::MaxPathLen: the limit on the part after "<hash>-".
MAX_NAME_LEN = 211
HASH_PART_LEN = 32
_NAME_PUNCTUATION = frozenset("+-._?=")


def _name_char_ok(c: str) -> bool:
    return ("0" <= c <= "9") or ("a" <= c <= "z") or ("A" <= c <= "Z") or c in _NAME_PUNCTUATION


def check_store_name(name: str, base_name: str | None = None) -> None:
    """Nix's `checkName`. `base_name` ("<hash>-<name>") is what Nix quotes in the message;
    without it the bare name is quoted. A leading '.' is accepted in Nix 2.8."""
    shown = name if base_name is None else base_name
    if not name:
        raise StoreError(f"store path '{shown}' has an empty name")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_LEN:
        raise StoreError(f"store path '{shown}' has a name longer than {MAX_NAME_LEN} characters")
    for c in name:
        if not _name_char_ok(c):
            # Nix works on bytes and quotes only the first byte of a multi-byte character;
            # that lone byte is kept as a surrogate escape, so writing the message with
            # errors="surrogateescape" reproduces Nix's output byte for byte.
            byte = c.encode("utf-8", "surrogateescape")[:1].decode("utf-8", "surrogateescape")
            raise StoreError(f"store path '{shown}' contains illegal character '{byte}'")


def compress_hash(digest: bytes, size: int = 20) -> bytes:
    """`compressHash`: fold a digest into `size` bytes by XOR."""
    out = bytearray(size)
    for i, b in enumerate(digest):
        out[i % size] ^= b
    return bytes(out)


def make_store_path(
    kind: str, digest: bytes, name: str, *, algo: str = "sha256", store_dir: str = STORE_DIR
) -> str:
    """`makeStorePath`: "<kind>:<algo>:<hex>:<store dir>:<name>", sha256, compressed to 20
    bytes, base-32. `kind` is e.g. "text:<refs…>", "source", "output:out". The store
    directory is part of the hash: a store elsewhere (``NIX_STORE_DIR``) has other paths."""
    fingerprint = f"{kind}:{algo}:{digest.hex()}:{store_dir}:{name}"
    hash_part = base32(
        compress_hash(hashlib.sha256(fingerprint.encode("utf-8", "surrogateescape")).digest())
    )
    check_store_name(name, f"{hash_part}-{name}")
    return f"{store_dir}/{hash_part}-{name}"


def make_type(kind: str, references: Iterable[str], self_reference: bool = False) -> str:
    """`makeType`: the kind followed by every reference (sorted store paths)."""
    parts = [kind, *sorted(set(references))]
    if self_reference:
        parts.append("self")
    return ":".join(parts)


def store_path_name(path: str) -> str:
    """The name part of a store path ("/nix/store/<hash>-<name>" -> "<name>")."""
    return path[len(STORE_DIR) + 1 + HASH_PART_LEN + 1 :]


def parse_store_path(path: str) -> str:
    """`Store::parseStorePath`: check that `path` is a well-formed store path; return it."""
    if not path.startswith(STORE_DIR + "/") or "/" in path[len(STORE_DIR) + 1 :]:
        raise StoreError(f"path '{path}' is not in the Nix store")
    base = path[len(STORE_DIR) + 1 :]
    if len(base) < HASH_PART_LEN + 1 or base[HASH_PART_LEN] != "-":
        raise StoreError(f"path '{path}' is not a valid store path")
    check_store_name(base[HASH_PART_LEN + 1 :], base)
    return path


def text_path(name: str, text: str, references: Iterable[str]) -> str:
    """`computeStorePathForText` (builtins.toFile, .drv files): type "text:<refs>"."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()
    return make_store_path(make_type("text", references), digest, name)


def fixed_output_path(
    name: str, algo: str, digest: bytes, recursive: bool, *, store_dir: str = STORE_DIR
) -> str:
    """`makeFixedOutputPath` without references: recursive sha256 is a "source" path,
    everything else goes through the "fixed:out:" indirection."""
    if algo == "sha256" and recursive:
        return make_store_path("source", digest, name, store_dir=store_dir)
    inner = f"fixed:out:{'r:' if recursive else ''}{algo}:{digest.hex()}:"
    digest = hashlib.sha256(inner.encode("ascii")).digest()
    return make_store_path("output:out", digest, name, store_dir=store_dir)


def fixed_output_path_of(name: str, hash_: Hash, recursive: bool) -> str:
    return fixed_output_path(name, hash_.algo, hash_.digest, recursive)


def output_path_name(drv_name: str, output_name: str) -> str:
    """`outputPathName`: "out" keeps the derivation name, others get "-<output>"."""
    return drv_name if output_name == "out" else f"{drv_name}-{output_name}"


def make_output_path(output_name: str, drv_hash: bytes, drv_name: str) -> str:
    """`makeOutputPath` of an input-addressed output; `drv_hash` is hashDerivationModulo."""
    return make_store_path(
        f"output:{output_name}", drv_hash, output_path_name(drv_name, output_name)
    )


def hash_placeholder(output_name: str) -> str:
    """`hashPlaceholder` (builtins.placeholder): "/" + base-32 sha256 of "nix-output:<name>"."""
    return "/" + base32(hashlib.sha256(f"nix-output:{output_name}".encode()).digest())
