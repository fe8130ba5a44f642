"""Which well-known project a pinned source is, from its lock node, its URL or its tree.

ci-eval evaluates every input's real code except nixpkgs' package set (design §4a), so it
must tell nixpkgs apart: by the lock node (``NixOS/nixpkgs`` on GitHub), by a tarball URL
that names it (``…/NixOS/nixpkgs/archive/<rev>.tar.gz``, a channel on nixos.org), or by its
tree (``lib/`` and ``pkgs/top-level/``). hercules-ci-effects is recognised the same way, for
the bundled model of the library that stands in when its source is not at hand.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

NIXPKGS = "nixpkgs"
HERCULES_CI_EFFECTS = "hercules-ci-effects"

_REPOSITORIES = {
    ("nixos", "nixpkgs"): NIXPKGS,
    ("hercules-ci", "hercules-ci-effects"): HERCULES_CI_EFFECTS,
}
# A URL path component naming nixpkgs or a NixOS channel: `nixpkgs`, `nixpkgs-unstable`,
# `nixpkgs.tar.gz`, `nixos-23.11`, `nixos-unstable-small`.
_NIXPKGS_PART = re.compile(r"(nixpkgs|nixos-(\d\d\.\d\d|unstable))([-._].*)?", re.IGNORECASE)
_CHANNEL_HOSTS = ("channels.nixos.org", "nixos.org", "releases.nixos.org")


def project_of_node(locked: dict[str, Any]) -> str | None:
    """The project a flake.lock ``locked`` node pins, when it is one ci-eval knows."""
    kind = locked.get("type")
    if kind in ("github", "gitlab", "sourcehut"):
        owner, repo = str(locked.get("owner", "")), str(locked.get("repo", ""))
        return _REPOSITORIES.get((owner.lower().lstrip("~"), repo.lower()))
    if kind in ("tarball", "git", "file"):
        return project_of_url(str(locked.get("url", "")))
    return None


def project_of_url(url: str) -> str | None:
    """The project a fetcher's URL names, when it is one ci-eval knows."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    pieces = [p for p in parts.path.split("/") if p]
    if host in ("github.com", "gitlab.com") and len(pieces) >= 2:
        known = _REPOSITORIES.get((pieces[0].lower(), pieces[1].lower().removesuffix(".git")))
        if known is not None:
            return known
    if any(p.lower().startswith(HERCULES_CI_EFFECTS) for p in pieces):
        return HERCULES_CI_EFFECTS
    if host in _CHANNEL_HOSTS or any(_NIXPKGS_PART.fullmatch(p) for p in pieces):
        return NIXPKGS
    return None


def is_nixpkgs_tree(path: str) -> bool:
    """Whether the directory `path` is a nixpkgs source tree (``lib/`` and
    ``pkgs/top-level/``)."""
    return os.path.isfile(os.path.join(path, "lib", "default.nix")) and os.path.isdir(
        os.path.join(path, "pkgs", "top-level")
    )
