"""The local state store: where ``ci-eval run --backend local`` keeps Hercules CI state files.

On Hercules CI, an effect reads its state files (``nixops-foo.json``, ``nixops-foo.known_hosts``,
hercules-effects.md §5.3) with ``getStateFile`` and writes them back with ``putStateFile``; the
service stores them per project. Locally they live in a directory (default ``.ci-eval/state/``).

What matters here is that state is never lost (design.md §7): a NixOps state file is the only
record of the machines a deployment created, so

* one run at a time: `StateStore.lock` takes an exclusive ``flock``, which the kernel drops
  when the last process holding it ends, so a killed run never leaves a stale lock behind
  (an effect that outlives a killed run holds it until it ends: `nixeval.execution.builds`);
* a write-back is atomic: the new content goes to a temporary file that is fsynced and then
  renamed over the stored one, so at every instant the stored file is either the old or the
  new complete version, whenever the process is killed or the machine stops;
* the version replaced is kept as ``NAME.previous``, one step of undo;
* a state file that must not be empty (a NixOps state export, `commit`'s ``refuse_empty``)
  is never written back empty: an empty ``nixops export`` means the export failed, not that
  the deployment has no state (the Hercules CI effect refuses it too: "NixOps state export
  was empty. Upload cancelled."). Other state files may be empty: a ``known_hosts`` of a
  network without machines yet is.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["StateError", "StateLocked", "StateStore", "state_names"]

# Copy in chunks, so a big state file never has to fit in memory twice.
_CHUNK = 1 << 20
# The lock file's name in the state directory. It starts with a dot, so no state name is it.
_LOCK_NAME = ".lock"
#: The version a write-back replaced is kept as NAME + this.
PREVIOUS_SUFFIX = ".previous"
#: A directory of this name that ci-eval creates (the default state directory is
#: ``.ci-eval/state`` in the checkout) ignores itself, so no ``git add -A`` commits state.
IGNORED_DIRECTORY = ".ci-eval"


class StateLocked(Exception):
    """Another ci-eval run holds the state directory: two runs would overwrite each other's
    state (the second would deploy from a state the first is about to replace)."""


class StateError(Exception):
    """A state file cannot be read or written as asked (a bad name, an empty file).

    ``written`` lists the names `StateStore.commit` did write back before raising, so a caller
    can still report them.
    """

    def __init__(self, message: str, written: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.written: list[str] = list(written)


def _check_name(name: str) -> str:
    """Refuse a state name that is not a plain file name.

    State names come from the effect (``stateName``), that is from the repository's ci.nix: a
    name like ``../../.ssh/authorized_keys`` must not reach outside the state directory, and
    names starting with a dot are ours (the lock, the temporary files).
    """
    if (
        not isinstance(name, str)
        or not name
        or "/" in name
        or "\0" in name
        or name in (".", "..")
        or name.startswith(".")
    ):
        raise StateError(
            f"invalid state file name {name!r}: it must be a plain file name "
            "(no '/', not starting with '.')"
        )
    return name


def _check_names(names: Iterable[str]) -> list[str]:
    """All names checked before anything is done, so a bad name never leaves half a job."""
    return [_check_name(name) for name in names]


def _same_content(a: Path, b: Path) -> bool:
    """Byte-for-byte comparison (``filecmp`` caches by mtime, which can miss a change)."""
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            chunk_a = fa.read(_CHUNK)
            if chunk_a != fb.read(_CHUNK):
                return False
            if not chunk_a:
                return True


def _fsync_directory(directory: Path) -> None:
    """Make the renames in ``directory`` durable (a rename lives in the directory's data)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_private_directory(directory: Path) -> None:
    """Create ``directory`` and its missing parents with mode 0700: state files hold keys.
    A ``.ci-eval`` created here gets a ``.gitignore`` of ``*``."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by someone else
            continue
        if path.name == IGNORED_DIRECTORY:
            (path / ".gitignore").write_text("*\n")


def state_names(directory: Path) -> Iterator[str]:
    """The state files in a state directory, or in the directory an effect's putStateFile
    wrote to: not the lock, temporary files or kept previous versions."""
    if not directory.is_dir():
        return
    for entry in sorted(directory.iterdir()):
        name = entry.name
        if entry.is_file() and not name.startswith(".") and not name.endswith(PREVIOUS_SUFFIX):
            yield name


def try_lock(fd: int) -> bool:
    """Take the exclusive ``flock`` of `fd` if no one holds it: False if another does."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        return False
    return True


class StateStore:
    """The state files of one project, in one directory.

    Callers run `stage` and `commit` while holding `lock`: the lock is what makes the
    temporary files of `commit` ours to clean up, and what keeps two runs apart.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory: Path = Path(directory)

    def path(self, name: str) -> Path:
        """Where the state file ``name`` is stored."""
        return self.directory / _check_name(name)

    @contextlib.contextmanager
    def lock(self) -> Iterator[int]:
        """Hold the state directory for one run; yields the lock's file descriptor.

        Non-blocking: a second run fails at once with `StateLocked` rather than waiting for a
        deploy that may take an hour. The lock file is kept (deleting it would let a third run
        lock a fresh file while the second still holds the old one). A process that inherits
        the descriptor holds the lock too (a ``flock`` belongs to the open file description),
        until the lock is released here or the last holder ends.

        A directory that cannot be created or opened is a `StateError` naming it.
        """
        if self.directory.exists() and not self.directory.is_dir():
            raise StateError(f"the state directory {self.directory} is not a directory")
        lock_path = self.directory / _LOCK_NAME
        try:
            _make_private_directory(self.directory)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            reason = e.strerror or str(e)
            raise StateError(f"cannot use the state directory {self.directory}: {reason}") from None
        try:
            if not try_lock(fd):
                raise StateLocked(
                    f"the state directory {self.directory} is in use by another ci-eval run "
                    f"(lock file {lock_path})"
                ) from None
            self._remove_stale_temporaries()
            try:
                yield fd
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _remove_stale_temporaries(self) -> None:
        """Remove the temporary files of a run that was killed during `commit`.

        Only the lock holder may do this: the temporaries of a live run are its work in
        progress. The stored files themselves are complete (the rename is atomic).
        """
        for leftover in self.directory.glob(".*.tmp-*"):
            if leftover.is_file() or leftover.is_symlink():
                leftover.unlink(missing_ok=True)

    def stage(self, names: Iterable[str], into: Path) -> None:
        """Copy the stored state files ``names`` into ``into``, where the effect's
        ``getStateFile`` reads them. A state file never stored is simply absent there, as on
        Hercules CI (the effect then creates a new deployment)."""
        checked = _check_names(names)
        into = Path(into)
        _make_private_directory(into)
        for name in checked:
            source = self.directory / name
            if not source.is_file():
                continue
            target = into / name
            shutil.copyfile(source, target)
            os.chmod(target, 0o600)

    def commit(
        self, staged: Path, names: Iterable[str], refuse_empty: Iterable[str] = ()
    ) -> list[str]:
        """Write back the state files the effect left in ``staged``; return the names written.

        A name without a staged file is left alone (the effect did not put it), and so is a
        file whose content did not change (no write, the ``.previous`` stays the real previous
        version). An empty staged file of a name in `refuse_empty` is refused with
        `StateError` after the others are written: it is a failed export, and writing it would
        lose the deployment.
        """
        checked = _check_names(names)
        must_have_content = set(refuse_empty)
        staged = Path(staged)
        written: list[str] = []
        empty: list[str] = []
        for name in checked:
            source = staged / name
            if not source.is_file():
                continue
            if name in must_have_content and source.stat().st_size == 0:
                empty.append(name)
                continue
            stored = self.directory / name
            if stored.is_file() and _same_content(source, stored):
                continue
            _make_private_directory(self.directory)
            self._write_back(source, name)
            written.append(name)
        if empty:
            message = "; ".join(
                f"state file {name} is empty: not written back (the previous version is kept)"
                for name in empty
            )
            raise StateError(message, written)
        return written

    def _write_back(self, source: Path, name: str) -> None:
        """Replace ``<dir>/<name>`` by ``source`` so that a kill at any instant leaves either
        the old or the new complete file, and keep the old one as ``<name>.previous``."""
        stored = self.directory / name
        pid = os.getpid()
        tmp = self.directory / f".{name}.tmp-{pid}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a leftover file
            with source.open("rb") as src, os.fdopen(fd, "wb", closefd=False) as out:
                shutil.copyfileobj(src, out, _CHUNK)
                out.flush()
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        try:
            if stored.is_file():
                self._keep_previous(stored, name, pid)
            # The one step that changes what <dir>/<name> is: atomic.
            os.replace(tmp, stored)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_directory(self.directory)

    def _keep_previous(self, stored: Path, name: str, pid: int) -> None:
        """Make ``<name>.previous`` the current version without ever touching ``<name>``.

        A hard link shares the old content without copying it; where links are not possible
        a copy does. Either is first made under a temporary name and renamed, so
        ``.previous`` too is always complete.
        """
        previous_tmp = self.directory / f".{name}.previous.tmp-{pid}"
        previous_tmp.unlink(missing_ok=True)
        try:
            os.link(stored, previous_tmp)
        except OSError:
            shutil.copyfile(stored, previous_tmp)
            os.chmod(previous_tmp, 0o600)
        os.replace(previous_tmp, self.directory / f"{name}{PREVIOUS_SUFFIX}")
