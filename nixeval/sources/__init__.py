"""Sources: the pinned inputs of a project as real, verified source trees.

The first stage of the pipeline (design §4a). A pinned input — a ``flake.lock`` node, a
fetcher call with a hash — names its content by its NAR hash. `locked` reads such a pin,
`lockfile` the graph of them in a ``flake.lock``, `flakeref` the lock node a flake
reference (``builtins.getFlake``'s argument) names; `resolve` finds a tree with that content
where a user's machine has one: an explicit override, the Nix store, ci-eval's cache.
`fetch` gets it over the network into the cache, verified, and `obtain` tries them all
in that order. What none of them has stays unknown to the evaluator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import loaded_on_first_use
from .fetch import FetchError, NotAvailable, fetch, obtain
from .locked import LockedInput, LockError
from .resolve import CacheError, Resolved, add_to_cache, cache_dir, resolve, store_dir

if TYPE_CHECKING:
    from .flakeref import FlakeRefError, parse_flake_ref
    from .lockfile import LockFile

# Loaded on first use (PEP 562): a ci.nix reads no flake.lock. (Not `fetch`: the function
# has its module's name, which importing the module would bind here instead.)
_LAZY = {
    "FlakeRefError": "flakeref",
    "parse_flake_ref": "flakeref",
    "LockFile": "lockfile",
}

__getattr__ = loaded_on_first_use(__name__, _LAZY)


__all__ = [
    "CacheError",
    "FetchError",
    "FlakeRefError",
    "LockError",
    "LockFile",
    "LockedInput",
    "NotAvailable",
    "Resolved",
    "add_to_cache",
    "cache_dir",
    "fetch",
    "obtain",
    "parse_flake_ref",
    "resolve",
    "store_dir",
]
