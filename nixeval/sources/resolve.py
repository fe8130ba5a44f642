"""Finding a pinned source tree where a user's machine has one, in Nix's order of trust.

1. An override (``--override-input NAME PATH``, as Nix's): the user's word; used as it is.
2. The Nix store (``$NIX_STORE_DIR``, default ``/nix/store``): the path is computed from
   the NAR hash and the name, and a store path is trusted as Nix trusts it (only Nix
   writes there, after checking the hash).
3. ci-eval's cache (``$CI_EVAL_CACHE_DIR``, default ``$XDG_CACHE_HOME/ci-eval``, else
   ``~/.cache/ci-eval``): an entry is named by the NAR hash and is verified when it is
   written (`add_to_cache`, and `fetch` over the network: both through `staging_for` and
   `place_in_cache`), never used half-written: it is assembled beside its final name and
   renamed into place, so two ci-eval processes at once are safe.

Nothing found is None: the caller makes the input unknown and says how to provide it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..records import Record
from ..store import StoreError, base32, nar_sha256
from ..store.paths import STORE_DIR
from .locked import LockedInput


class CacheError(Exception):
    """A tree could not go into the cache (its NAR hash is not the pinned one, or the
    cache cannot be written): the message says which."""


class Resolved(Record):
    """A source tree found for an input, and where it was found: ``override``, ``store``
    or ``cache``."""

    path: Path
    origin: str


def store_dir(environ: dict[str, str] | None = None) -> str:
    """The Nix store directory: ``$NIX_STORE_DIR``, else ``/nix/store``."""
    env = os.environ if environ is None else environ
    return env.get("NIX_STORE_DIR") or STORE_DIR


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    """ci-eval's cache of source trees: ``$CI_EVAL_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/ci-eval``, else ``~/.cache/ci-eval``."""
    env = os.environ if environ is None else environ
    if env.get("CI_EVAL_CACHE_DIR"):
        return Path(env["CI_EVAL_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ci-eval"


def _cache_entry(cache: Path, locked: LockedInput) -> Path:
    """The cache's name for a tree: its NAR hash (nix32) and its store name."""
    return cache / "sources" / f"{locked.nar_hash.base32()}-{locked.name}"


def resolve(
    locked: LockedInput,
    *,
    override: str | os.PathLike[str] | None = None,
    store: str | None = None,
    cache: Path | None = None,
) -> Resolved | None:
    """The source tree of `locked`: the `override`, else its store path under `store`
    (default `store_dir()`), else its entry in `cache` (default `cache_dir()`); None
    when none of them has it."""
    if override is not None:
        return Resolved(Path(override), "override")
    in_store = Path(locked.store_path(store or store_dir()))
    if not locked.recursive:  # a single file: only the store has it
        return Resolved(in_store, "store") if in_store.is_file() else None
    if in_store.is_dir():
        return Resolved(in_store, "store")
    entry = _cache_entry(cache or cache_dir(), locked)
    if entry.is_dir():
        return Resolved(entry, "cache")
    return None


def add_to_cache(tree: Path, locked: LockedInput, cache: Path | None = None) -> Path:
    """Copy `tree` into the cache as the source of `locked`, after checking that its NAR
    hash is the pinned one (`CacheError` otherwise: a tampered or wrong tree is never
    kept). The entry appears whole or not at all; one already there is kept."""
    entry = cache_entry(locked, cache)
    if entry.is_dir():
        return entry
    import shutil  # here: as tempfile in staging_for

    with staging_for(entry) as staging:
        copy = staging / "tree"
        try:
            shutil.copytree(tree, copy, symlinks=True)
        except OSError as e:
            raise CacheError(f"cannot write the cache entry {entry}: {e.strerror or e}") from None
        # Verified on the copy, which is what is kept: a tree changing while it is copied
        # cannot slip through.
        return place_in_cache(copy, locked, entry, f"the tree {tree}")


def cache_entry(locked: LockedInput, cache: Path | None = None) -> Path:
    """Where the cache at `cache` (default `cache_dir()`) keeps the tree of `locked`."""
    return _cache_entry(cache or cache_dir(), locked)


@contextmanager
def staging_for(entry: Path) -> Iterator[Path]:
    """A new, private directory beside the cache entry `entry` (same file system, so the
    tree made in it can be renamed into place), removed with what is left in it when the
    block ends, whether it succeeded, failed or was interrupted."""
    # Here: a run that finds its sources where they lie (or whose fetch fails before any
    # directory is made) need not load them.
    import shutil
    import tempfile

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError as e:
        raise CacheError(f"cannot write the cache {entry.parent}: {e.strerror or e}") from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def place_in_cache(tree: Path, locked: LockedInput, entry: Path, what: str) -> Path:
    """Make `tree` (in a `staging_for` directory) the cache entry `entry` of `locked`:
    only if its NAR hash is the pinned one (`CacheError` naming `what` otherwise), by one
    rename, so the entry appears whole or not at all. When another process placed the
    same entry first, its entry is kept and returned."""
    try:
        found = nar_sha256(tree)
    except StoreError as e:
        raise CacheError(f"{what} cannot be hashed: {e}") from None
    if found != locked.nar_hash.digest:
        raise CacheError(
            f"{what} is not the pinned source: its NAR hash is "
            f"sha256:{base32(found)}, the lock says {locked.sri}"
        )
    try:
        tree.rename(entry)
    except OSError as e:
        if not entry.is_dir():  # not another process that won the race
            raise CacheError(f"cannot write the cache entry {entry}: {e.strerror or e}") from None
    return entry
