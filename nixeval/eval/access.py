"""Which files Nix code may touch: any (the default), or only those below a few allowed
roots (restricted mode, as ``nix-instantiate --restrict-eval``; every command that reads
a project — ``check``, the main job, ``run`` — evaluates an untrusted ci.nix so, with the
roots of `nixeval.commands.purity`: the repository and the ``-I`` entries).

Every file system access the evaluator makes on behalf of Nix code (``import``,
``readFile``, ``readDir``, ``pathExists``, ``hashFile``, copying a path to the store,
``<…>`` lookups, local fetches) first asks `PathAccess.check`, and then touches only the
path it returns. The check is Nix 2.8's ``EvalState::checkSourcePath``:

1. the path made absolute and canonical *without* following symlinks must be below a
   root, else ``access to absolute path '…' is forbidden in restricted mode`` (this stops
   ``..`` escapes before any symlink is read);
2. the same path with every symlink resolved must be below a root too, else ``access to
   canonical path '…' is forbidden in restricted mode`` (a symlink in the repository that
   points out of it); unlike Nix, resolving never looks outside the roots (it stops at
   the first symlink that leads out, so not even a symlink's target out there leaks);
3. the resolved path is what is then opened, so what was checked is what is read (the
   kernel never gets to resolve a ``link/..`` differently from the check).

ci-eval's own Nix models (``nixeval/nixpkgs/*.nix``) are always readable: they are the
offline nixpkgs, not the user's files.

The files are taken not to change while an evaluation runs: a symlink swapped between
the check and the access (by another process) is outside what this guards against.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from . import errors as E
from .coerce import canon_path

# The offline nixpkgs' own files: importable in restricted mode too.
MODEL_DIR = str(Path(__file__).resolve().parent.parent / "nixpkgs")
# Symlinks followed in one path before giving up (the kernel's MAXSYMLINKS).
MAX_SYMLINKS = 40


class PathAccess:
    """The file system as Nix code sees it: everything, or only below `roots`."""

    __slots__ = ("_resolved", "hint", "roots", "tracked")

    def __init__(self, allowed_paths: Sequence[str] | None, hint: str | None = None) -> None:
        self.roots: tuple[str, ...] | None = None
        # A flake in a git repository: its root and the paths git tracks below it (files
        # and the directories that hold them), the only ones Nix copies to the store.
        self.tracked: tuple[str, frozenset[str]] | None = None
        # The help of a refusal: how the command that evaluates lifts the restriction, if
        # it can (the main job's --impure; check and run cannot).
        self.hint = hint
        self._resolved: dict[str, str] = {}
        if allowed_paths is not None:
            roots: list[str] = []
            for root in [*allowed_paths, MODEL_DIR]:
                # A root is allowed as written and as resolved: the repository may be
                # reached through a symlink (/tmp -> /private/tmp), and step 1 of the
                # check compares unresolved paths.
                for form in (canon_path(os.path.abspath(root)), os.path.realpath(root)):
                    if form not in roots:
                        roots.append(form)
            self.roots = tuple(roots)

    def allow(self, root: str) -> None:
        """Make `root` readable too: a pinned source ci-eval resolved for the project (its
        content is verified, or it is the user's own override)."""
        if self.roots is None:
            return
        roots = list(self.roots)
        for form in (canon_path(os.path.abspath(root)), os.path.realpath(root)):
            if form not in roots:
                roots.append(form)
        self.roots = tuple(roots)

    @property
    def restricted(self) -> bool:
        return self.roots is not None

    def allows(self, path: str) -> bool:
        """Whether `path` (absolute and canonical) is one of the roots or below one."""
        if self.roots is None:
            return True
        return any(path == r or path.startswith(r.rstrip("/") + "/") for r in self.roots)

    def only_tracked(self, root: str, files: frozenset[str]) -> None:
        """Below `root` (a git repository's working tree), only the `files` git tracks
        (paths relative to it) exist, as in the copy of a flake Nix evaluates."""
        shown = set(files)
        for name in files:
            parent = os.path.dirname(name)
            while parent and parent not in shown:
                shown.add(parent)
                parent = os.path.dirname(parent)
        self.tracked = (canon_path(os.path.abspath(root)), frozenset(shown))

    def is_tracked(self, path: str) -> bool:
        """Whether `path` is visible in the tracked tree (anything outside it is)."""
        if self.tracked is None:
            return True
        root, shown = self.tracked
        absolute = canon_path(os.path.abspath(path))
        if absolute == root or not absolute.startswith(root + "/"):
            return True
        if absolute.startswith(MODEL_DIR + "/"):
            return True  # ci-eval's own models, installed in a venv inside the repository
        return absolute[len(root) + 1 :] in shown

    def check(self, path: str) -> str:
        """The path to touch for `path`: itself when unrestricted; else its resolved form,
        after checking that both the unresolved and the resolved forms are allowed
        (`RestrictedPath`, E112, when not). In a flake's git repository, a file git does
        not track does not exist (`NotFound`, E110)."""
        if not self.is_tracked(path):
            raise E.NotFound(
                f"path '{path}' is not tracked by git",
                hint="Nix evaluates a flake in a git repository from the files git tracks "
                "(it copies only those to the store): `git add` it",
            )
        if self.roots is None:
            return path
        cached = self._resolved.get(path)
        if cached is not None:
            return cached
        absolute = canon_path(os.path.abspath(path))
        if not self.allows(absolute):
            raise E.RestrictedPath(
                f"access to absolute path '{absolute}' is forbidden in restricted mode",
                hint=self.hint,
            )
        resolved = self._resolve(absolute)
        if not self.allows(resolved):
            raise _forbidden_canonical(resolved, self.hint)
        self._resolved[path] = resolved
        return resolved

    def _within_reach(self, path: str) -> bool:
        """Whether resolving may look at `path`: below a root, or on the way to one (an
        ancestor of a root, which the roots' own resolution needs)."""
        assert self.roots is not None
        return self.allows(path) or any(r.startswith(path.rstrip("/") + "/") for r in self.roots)

    def _resolve(self, absolute: str) -> str:
        """`absolute` with its symlinks resolved: posixpath.realpath's walk, except that
        it never looks at a path out of reach (so a symlink pointing out of the repository
        is refused without reading, or even stat-ing, anything out there)."""
        resolved = ""  # no symlink in it, so ".." may simply drop its last component
        pending = absolute.split("/")[::-1]  # components still to walk, next one last
        followed = 0
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":
                resolved = resolved.rpartition("/")[0]
                continue
            candidate = f"{resolved}/{name}"
            if not self._within_reach(candidate):
                raise _forbidden_canonical("/".join([candidate, *pending[::-1]]), self.hint)
            try:
                target = os.readlink(candidate) if _is_link(candidate) else None
            except OSError:
                target = None  # missing (or unreadable): the access itself will say so
            if target is None:
                resolved = candidate
                continue
            followed += 1
            if followed > MAX_SYMLINKS:
                # Nix's canonPath wording (and, as there, pathExists fails too).
                raise E.EvalError(f"infinite symlink recursion in path '{absolute}'")
            if target.startswith("/"):
                resolved = ""
            pending.extend(target.split("/")[::-1])
        return resolved or "/"

    def exists(self, path: str) -> bool:
        """``builtins.pathExists``: as Nix 2.8 in restricted mode, a forbidden path does
        not exist (false, no error), which tells nothing about what is outside."""
        try:
            checked = self.check(path)
        except (E.RestrictedPath, E.NotFound):
            return False
        # Unrestricted, a dangling symlink exists (lstat); restricted, the resolved path is
        # asked, as Nix asks the path checkSourcePath returned.
        return os.path.lexists(checked)


def _is_link(path: str) -> bool:
    return stat.S_ISLNK(os.lstat(path).st_mode)


def _forbidden_canonical(path: str, hint: str | None) -> E.RestrictedPath:
    return E.RestrictedPath(
        f"access to canonical path '{path}' is forbidden in restricted mode", hint=hint
    )
