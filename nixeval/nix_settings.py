"""The settings Nix 2.8 knows (``--option NAME VALUE``, ``nix.conf``), as data: what
``nix-instantiate --option`` warns about (``warning: unknown setting 'NAME'``).

Taken from Nix 2.8.0 on Linux: the names and aliases from ``nix
--extra-experimental-features nix-command show-config --json``; which settings take
``extra-NAME`` (those that hold a list or a set of names: ``extra-NAME`` adds to them) by
asking ``nix-instantiate --option extra-NAME …`` for each. A setting of a store (``ssh-key``,
``priority``, …) is not one of them: Nix 2.8 warns of those too.
"""

from __future__ import annotations

from collections.abc import Iterable

SETTINGS = frozenset(
    [
        "accept-flake-config", "access-tokens", "allow-dirty", "allow-import-from-derivation",
        "allow-new-privileges", "allow-symlinked-store",
        "allow-unsafe-native-code-during-evaluation", "allowed-impure-host-deps", "allowed-uris",
        "allowed-users", "auto-optimise-store", "bash-prompt", "bash-prompt-suffix", "build-hook",
        "build-poll-interval", "build-users-group", "builders", "builders-use-substitutes",
        "commit-lockfile-summary", "compress-build-log", "connect-timeout", "cores", "diff-hook",
        "download-attempts", "enforce-determinism", "eval-cache", "experimental-features",
        "extra-platforms", "fallback", "filter-syscalls", "flake-registry", "fsync-metadata",
        "gc-reserved-space", "hashed-mirrors", "http-connections", "http2", "ignored-acls",
        "impersonate-linux-26", "keep-build-log", "keep-derivations", "keep-env-derivations",
        "keep-failed", "keep-going", "keep-outputs", "log-lines", "max-build-log-size", "max-free",
        "max-jobs", "max-silent-time", "min-free", "min-free-check-interval", "nar-buffer-size",
        "narinfo-cache-negative-ttl", "narinfo-cache-positive-ttl", "netrc-file", "nix-path",
        "plugin-files", "post-build-hook", "pre-build-hook", "preallocate-contents",
        "print-missing", "pure-eval", "repeat", "require-sigs", "restrict-eval", "run-diff-hook",
        "sandbox", "sandbox-build-dir", "sandbox-dev-shm-size", "sandbox-fallback",
        "sandbox-paths", "secret-key-files", "show-trace", "stalled-download-timeout", "store",
        "substitute", "substituters", "sync-before-registering", "system", "system-features",
        "tarball-ttl", "timeout", "trace-function-calls", "trusted-public-keys",
        "trusted-substituters", "trusted-users", "use-case-hack", "use-registries",
        "use-sqlite-wal", "user-agent-suffix", "warn-dirty",
    ]
)  # fmt: skip

# The old names Nix 2.8 still takes, and the setting each stands for.
ALIASES = {
    "binary-cache-public-keys": "trusted-public-keys",
    "binary-caches": "substituters",
    "binary-caches-parallel-connections": "http-connections",
    "build-chroot-dirs": "sandbox-paths",
    "build-compress-log": "compress-build-log",
    "build-cores": "cores",
    "build-fallback": "fallback",
    "build-impersonate-linux-26": "impersonate-linux-26",
    "build-keep-log": "keep-build-log",
    "build-max-jobs": "max-jobs",
    "build-max-log-size": "max-build-log-size",
    "build-max-silent-time": "max-silent-time",
    "build-repeat": "repeat",
    "build-sandbox-paths": "sandbox-paths",
    "build-timeout": "timeout",
    "build-use-chroot": "sandbox",
    "build-use-sandbox": "sandbox",
    "build-use-substitutes": "substitute",
    "env-keep-derivations": "keep-env-derivations",
    "gc-keep-derivations": "keep-derivations",
    "gc-keep-outputs": "keep-outputs",
    "trusted-binary-caches": "trusted-substituters",
}

# The settings that ``extra-NAME`` (NAME or one of its aliases) adds to.
APPENDABLE = frozenset(
    [
        "access-tokens", "allowed-impure-host-deps", "allowed-uris", "allowed-users",
        "experimental-features", "extra-platforms", "hashed-mirrors", "ignored-acls", "nix-path",
        "plugin-files", "sandbox-paths", "secret-key-files", "substituters", "system-features",
        "trusted-public-keys", "trusted-substituters", "trusted-users",
    ]
)  # fmt: skip


def is_known(name: str) -> bool:
    """Whether Nix 2.8 takes a setting `name` (a setting, an alias of one, or ``extra-``
    before either, for a setting that ``extra-`` adds to)."""
    if name in SETTINGS or name in ALIASES:
        return True
    base = name.removeprefix("extra-")
    return base != name and ALIASES.get(base, base) in APPENDABLE


def unknown_setting_warnings(names: Iterable[str]) -> list[str]:
    """Nix 2.8's warnings for the settings among `names` that it does not know: one for
    each name, in the order of their names (as Nix gives them)."""
    return [
        f"warning: unknown setting '{name}'" for name in sorted(set(names)) if not is_known(name)
    ]
