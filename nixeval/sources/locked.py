"""A pinned input: the ``locked`` node of a ``flake.lock`` (or a fetcher's arguments with a
hash), reduced to what finds and checks its source tree — its NAR hash and its name.

Nix adds every fetched tree to the store as a recursive sha256 fixed-output path named
``source`` (flake inputs; ``fetchTarball``'s default name too), so the NAR hash and the
name determine the store path: ``/nix/store/<hash>-source``.
"""

from __future__ import annotations

from typing import Any

from ..records import Record
from ..store import Hash, StoreError, parse_hash
from ..store.paths import STORE_DIR, fixed_output_path

# The lock node types whose source is a tree (not a single file).
TREE_TYPES = ("github", "gitlab", "sourcehut", "git", "tarball", "path", "mercurial")


class LockError(ValueError):
    """A lock node ci-eval cannot use: the message says what is wrong with it."""


class LockedInput(Record):
    """What identifies a pinned source tree: its NAR hash (sha256), its store name, and the
    lock node it came from (for messages and, later, for fetching)."""

    nar_hash: Hash
    name: str = "source"
    node: tuple[tuple[str, Any], ...] = ()
    # False for a single file pinned by the hash of its bytes (``fetchurl``): then
    # `nar_hash` is that flat hash, and only the Nix store can have it.
    recursive: bool = True

    @classmethod
    def from_lock_node(cls, locked: dict[str, Any]) -> LockedInput:
        """From a ``flake.lock`` ``locked`` object: ``{"type": "github", "owner": …,
        "narHash": "sha256-…", …}``."""
        kind = locked.get("type")
        if kind not in TREE_TYPES:
            raise LockError(f"lock node of type {kind!r} is not a source tree ci-eval knows")
        text = locked.get("narHash")
        if not isinstance(text, str):
            raise LockError(f"lock node of type {kind!r} has no narHash")
        try:
            nar_hash = parse_hash(text, None)
        except StoreError as e:
            raise LockError(f"lock node narHash {text!r}: {e}") from None
        if nar_hash.algo != "sha256":
            raise LockError(f"lock node narHash {text!r} is not a sha256 hash")
        return cls(nar_hash, "source", tuple(sorted(locked.items())))

    def store_path(self, store_dir: str = STORE_DIR) -> str:
        """Where Nix keeps this tree in the store at `store_dir`."""
        return fixed_output_path(
            self.name, "sha256", self.nar_hash.digest, self.recursive, store_dir=store_dir
        )

    @property
    def sri(self) -> str:
        """The NAR hash as ``flake.lock`` writes it (``sha256-…``)."""
        return self.nar_hash.sri()


def last_modified_date(seconds: int) -> str:
    """A flake's ``lastModifiedDate``: its ``lastModified`` as ``%Y%m%d%H%M%S`` (UTC)."""
    import time

    return time.strftime("%Y%m%d%H%M%S", time.gmtime(seconds))
