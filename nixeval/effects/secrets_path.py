"""Where ``hci`` keeps the local secrets file of a project (`local_secrets_path`), and so
where ``ci-eval check`` and ``run`` look for it. Re-exported by `nixeval.effects.secrets`;
its own module so that looking for the file does not load the file's parser.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["local_secrets_path", "repository_secrets_path"]


def repository_secrets_path(directory: str) -> Path | None:
    """`local_secrets_path` for the repository `directory` is in: its forge and owner from
    the ``origin`` remote (read without git); None without a GitHub or GitLab remote."""
    from ..checkout import checkout_without_git, forge_type

    checkout = checkout_without_git(directory)
    forge = forge_type(checkout.remote_http_url)
    if forge is None or checkout.owner is None:
        return None
    return local_secrets_path(forge, checkout.owner)


def local_secrets_path(forge: str, owner: str, environ: Mapping[str, str] | None = None) -> Path:
    """The secrets file ``hci`` uses for a project of ``owner`` on ``forge`` (e.g. github):
    ``$HERCULES_CI_SECRETS_JSON`` if set, else
    ``$XDG_CONFIG_HOME/hercules-ci/secrets/<forge>/<owner>/secrets.json``, where the config
    directory defaults to ``~/.config`` (Haskell's ``getXdgDirectory XdgConfig``)."""
    env = os.environ if environ is None else environ
    override = env.get("HERCULES_CI_SECRETS_JSON")
    if override:
        return Path(override)
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg and os.path.isabs(xdg):
        config = Path(xdg)
    else:
        home = env.get("HOME")
        config = (Path(home) if home else Path.home()) / ".config"
    return config / "hercules-ci" / "secrets" / forge / owner / "secrets.json"
