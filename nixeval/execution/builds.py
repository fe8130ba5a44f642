"""The local backend's build directories, and the recovery of what a killed run left in one.

Each effect the local backend runs gets a build directory ``<TMPDIR>/ci-eval-run-<pid>-<random>``
(mode 0700): the staged state files (``state/``: getStateFile reads there and putStateFile
writes there, each file atomically), the private secrets.json, the script, the effect's
output and its HOME.

ci-eval can be killed (SIGKILL, the OOM killer) while its effect runs. The effect is not
stopped then: cutting a ``nixops deploy`` halfway is worse than letting it finish. So that
it can finish and its state is not lost:

* the effect inherits the state directory's lock (`StateStore.lock`: a ``flock`` belongs
  to the open file description, so the directory stays locked while any process of the
  effect holds it) and the build directory's own lock;
* its output goes to files in the build directory, never to a pipe that would break with
  ci-eval;
* before it starts, the build directory records which state directory it belongs to
  (``run.json``).

The next run on that state directory holds its lock, so the effect has ended. It first
commits what the effect put (`recover_stale_builds`), as a normal write-back does
(atomically, ``NAME.previous`` kept), says so on stderr, and removes the build directory
with its copy of the secrets. A kill during that recovery is safe: a file already
committed is not written again, and the record goes only after the commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..terminal import escape
from .state import StateError, StateLocked, StateStore, state_names, try_lock

__all__ = [
    "BUILD_PREFIX",
    "Build",
    "new_build",
    "recover_stale_builds",
    "running_orphan",
    "write_back",
]

#: Build directories are ``<tmp>/ci-eval-run-<pid>-<random>``.
BUILD_PREFIX = "ci-eval-run-"
_LOCK = ".lock"
_RECORD = "run.json"
_GROUP = "group"
_SECRETS = "secrets.json"
_STAGING = "state"


@dataclass
class Build:
    """One build directory, locked by this process (`lock_fd`) while it exists."""

    path: Path
    lock_fd: int
    recorded: bool = False

    @property
    def staging(self) -> Path:
        """Where the effect's getStateFile reads and its putStateFile writes."""
        return self.path / _STAGING

    @property
    def secrets(self) -> Path:
        """The effect's private secrets.json."""
        return self.path / _SECRETS

    def record(self, store: StateStore, refuse_empty: list[str]) -> None:
        """Say which state directory the staged files go back to, and which must not be
        empty: from now on a killed run's state is recovered. Written atomically, once the
        staging is complete (a half-copied staged file must never be committed)."""
        data = {"state_dir": _real(store.directory), "refuse_empty": refuse_empty}
        partial = self.path / f".{_RECORD}.tmp"
        partial.write_text(json.dumps(data))
        os.replace(partial, self.path / _RECORD)
        self.recorded = True

    def note_group(self, group: int) -> None:
        """The effect's process group, for the message of a run that finds it running."""
        (self.path / _GROUP).write_text(str(group))


@contextlib.contextmanager
def new_build() -> Iterator[Build]:
    """A fresh build directory, locked; removed afterwards. When the block fails after
    `Build.record`, the directory is left for the next run to recover."""
    # Mode 0700; the name carries our pid, for a build directory without a record.
    path = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{os.getpid()}-"))
    fd = os.open(path / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    build = Build(path, fd)
    try:
        # Blocking: a recovering run may hold it for an instant (it then sees us alive).
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield build
        except BaseException:
            if not build.recorded:
                _remove(path)
            raise
        _remove(path)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """The secrets first, then the group and the record (nothing left to recover), then
    the rest. The group goes before the record: a removal cut short must not leave a
    directory that looks like an older ci-eval's (a group, no record), which waits for
    its group to end — and an ended effect whose parent was killed can stay a zombie,
    its group alive, where nothing reaps orphans."""
    (path / _SECRETS).unlink(missing_ok=True)
    (path / _GROUP).unlink(missing_ok=True)
    (path / _RECORD).unlink(missing_ok=True)
    shutil.rmtree(path, ignore_errors=True)


def write_back(
    store: StateStore, staging: Path, refuse_empty: list[str], stderr: IO[str], how: str = ""
) -> StateError | None:
    """Commit what the effect's putStateFile left in `staging`, reporting each file written
    (`how` is added to that line); the problem, if a file was refused."""
    problem: StateError | None = None
    try:
        written = store.commit(staging, list(state_names(staging)), refuse_empty=refuse_empty)
    except StateError as e:
        written, problem = e.written, e
    # The names are the effect's (putStateFile's argument): escaped, as all project text.
    directory = escape(str(store.directory))
    for name in written:
        print(
            f"ci-eval run: state file {escape(name)} written back to {directory}{how}", file=stderr
        )
    if problem is not None:
        print(f"ci-eval run: error[E303]: {escape(str(problem))}", file=stderr)
    return problem


# --- what killed runs left --------------------------------------------------------------------


@dataclass
class _Record:
    state_dir: str
    refuse_empty: list[str]


def recover_stale_builds(store: StateStore, stderr: IO[str]) -> None:
    """With `store` locked: recover and remove the build directories of killed runs.

    A build directory is stale when no process holds its lock: neither its ci-eval nor
    any process of its effect, which inherited it. (Only the effect's script, which holds
    the lock as long as it runs, calls putStateFile: a process of the effect that closed
    its inherited descriptors and outlives the script puts no state.) One of this state
    directory is committed here and now, before the run does anything: an older state
    must never be committed over a newer one. One of another state directory is committed
    there if that lock is free; otherwise its holder recovers it first.
    """
    mine = _real(store.directory)
    for path in sorted(Path(tempfile.gettempdir()).glob(f"{BUILD_PREFIX}*")):
        if not _ours(path):
            continue
        with _claimed(path) as claimed:
            if not claimed:
                continue  # a live run, or the effect of a killed one
            record = _read_record(path)
            if record is None:  # the effect never started: nothing to recover
                if not _alive(_pid(path)) and not _group_alive(_group(path)):
                    _remove_killed(path, stderr)
                continue
            if record.state_dir == mine:
                _recover(path, record, store, stderr)
                continue
            other = StateStore(record.state_dir)
            try:
                with other.lock():
                    _recover(path, record, other, stderr)
            except StateLocked:
                continue  # its holder recovers it first
            except StateError as e:
                print(f"ci-eval run: the state left in {path} is not recovered: {e}", file=stderr)


def _recover(path: Path, record: _Record, store: StateStore, stderr: IO[str]) -> None:
    # The effect has ended: its copy of the secrets goes before anything else.
    (path / _SECRETS).unlink(missing_ok=True)
    print(f"ci-eval run: recovering the state left in {path} by a run that was killed", file=stderr)
    stderr.flush()
    write_back(store, path / _STAGING, record.refuse_empty, stderr, " (recovered)")
    _remove_killed(path, stderr)


def _remove_killed(path: Path, stderr: IO[str]) -> None:
    _remove(path)
    print(f"ci-eval run: removed {path}, left by a run that was killed", file=stderr)


def running_orphan(store: StateStore) -> str | None:
    """When an effect that outlived its killed ci-eval still runs on `store` (and so holds
    its lock): a note saying so, with its process group."""
    mine = _real(store.directory)
    for path in Path(tempfile.gettempdir()).glob(f"{BUILD_PREFIX}*"):
        if not _ours(path) or _alive(_pid(path)):
            continue  # not ours, or its ci-eval runs
        record = _read_record(path)
        if record is None or record.state_dir != mine:
            continue
        with _claimed(path) as claimed:
            if claimed:
                continue  # stale: no process of it runs
        group = _group(path)
        which = f" (process group {group})" if group is not None else ""
        return (
            f"the effect of a ci-eval run that was killed is still running{which}; the first "
            "run after it ends writes back the state it put"
        )
    return None


@contextlib.contextmanager
def _claimed(path: Path) -> Iterator[bool]:
    """Hold `path`'s build lock, if no one does."""
    try:
        fd = os.open(path / _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError:
        yield False  # removed meanwhile, or not a build directory of ours
        return
    try:
        if not try_lock(fd):
            yield False
            return
        # Removed by another recovering run between our open and our lock?
        yield path.is_dir()
    finally:
        os.close(fd)


def _ours(path: Path) -> bool:
    """A real directory (not a link someone planted in TMPDIR) of this user."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _read_record(path: Path) -> _Record | None:
    try:
        data = json.loads((path / _RECORD).read_text(encoding="utf-8"))
        record = _Record(str(data["state_dir"]), [str(n) for n in data["refuse_empty"]])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record


def _pid(path: Path) -> int:
    try:
        return int(path.name[len(BUILD_PREFIX) :].split("-")[0])
    except ValueError:
        return 0  # not ours by name: no process is it


def _group(path: Path) -> int | None:
    try:
        return int((path / _GROUP).read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether the process exists (a zombie, not yet reaped, counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and is not ours
    return True


def _group_alive(group: int | None) -> bool:
    """Whether a process group exists. Only for a build directory without a record (made
    by an older ci-eval, which had no build lock): a group whose leader is a zombie not
    yet reaped counts, which only delays the removal."""
    if group is None or group <= 0:
        return False
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _real(directory: str | os.PathLike[str]) -> str:
    """One name for a state directory, however it was named (relative, through a link)."""
    return os.path.realpath(directory)
