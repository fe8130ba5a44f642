"""Unpacking a source archive as Nix does, refusing what could escape the directory.

Nix keeps of a tree only what its NAR records: directories, regular files with or without
the executable bit, and symbolic links. So regular files are written with mode 0644 or
0755 (executable when the archive's owner-execute bit is set), directories 0755, and
owners and times are dropped. A member that could act outside the directory unpacked
into is refused, never skipped: an absolute name, a ``..`` component, a device or FIFO,
a member under a symbolic link, a hard link to something not unpacked before it, and a
symbolic link that is absolute or leads outside the tree.
"""

from __future__ import annotations

import lzma
import os
import shutil
import stat
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

_CHUNK = 1 << 16


class UnpackError(Exception):
    """The archive is corrupt, truncated, or has a member that is refused: the message says
    which (without the archive's name: the caller adds where it came from)."""


def unpack_tar(archive: Path, into: Path, check: Callable[[], None] = lambda: None) -> None:
    """Unpack the tar archive `archive` (plain, gzip, bzip2 or xz) into the new directory
    `into`. `check` is called between members (to stop an interrupted unpacking)."""
    into.mkdir(mode=0o755)
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                check()
                _unpack_member(tar, member, into)
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as e:
        raise UnpackError(f"it is truncated or not a valid archive ({e})") from None
    except OSError as e:
        if e.errno is None:  # gzip's and bz2's word for a corrupt stream
            raise UnpackError(f"it is truncated or not a valid archive ({e})") from None
        raise UnpackError(f"cannot unpack it: {e.strerror}") from None


def source_root(unpacked: Path) -> Path:
    """The tree a source archive holds, as Nix takes it: the one top-level directory
    (``repo-<rev>/`` of a forge's archive)."""
    members = list(unpacked.iterdir())
    if len(members) != 1 or not stat.S_ISDIR(members[0].lstat().st_mode):
        raise UnpackError(
            f"it holds {len(members)} top-level entries; a source archive holds one directory"
        )
    return members[0]


def check_links(root: Path) -> None:
    """Refuse a symbolic link below `root` that is absolute or leads outside `root`,
    followed through the other links of the tree as the file system would."""
    top = os.path.realpath(root)
    for directory, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                continue
            shown = os.path.relpath(path, root)
            target = os.readlink(path)
            if os.path.isabs(target):
                raise UnpackError(f"the symbolic link '{shown}' is absolute ('{target}')")
            if os.path.commonpath([top, os.path.realpath(path)]) != top:
                raise UnpackError(f"the symbolic link '{shown}' leads outside the tree")


def _unpack_member(tar: tarfile.TarFile, member: tarfile.TarInfo, into: Path) -> None:
    parts = _parts(member.name)
    if not parts:  # the archive's own root ("./")
        return
    parent = _directory(into, parts[:-1], member.name)
    target = parent / parts[-1]
    if member.isdir():
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise UnpackError(f"the member '{member.name}' appears twice")
        target.mkdir(mode=0o755, exist_ok=True)
        return
    if member.isreg() or member.issym() or member.islnk():
        _replace(target, member.name)
    if member.isreg():
        source = tar.extractfile(member)
        if source is None:  # pragma: no cover - isreg members always have contents
            raise UnpackError(f"the member '{member.name}' has no contents")
        with source, open(target, "xb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
        os.chmod(target, 0o755 if member.mode & stat.S_IXUSR else 0o644)
    elif member.issym():
        if os.path.isabs(member.linkname):
            raise UnpackError(
                f"the symbolic link '{member.name}' is absolute ('{member.linkname}')"
            )
        os.symlink(member.linkname, target)
    elif member.islnk():
        linked = _parts(member.linkname)
        existing = into.joinpath(*linked) if linked else into
        if not linked or not _inside_regular(into, linked):
            raise UnpackError(
                f"the hard link '{member.name}' names '{member.linkname}', which is not a "
                "file unpacked before it"
            )
        shutil.copyfile(existing, target, follow_symlinks=False)
        os.chmod(target, stat.S_IMODE(existing.lstat().st_mode))
    else:
        kind = "a device" if member.ischr() or member.isblk() else "a FIFO"
        if not (member.ischr() or member.isblk() or member.isfifo()):
            kind = f"of tar type {member.type!r}"
        raise UnpackError(f"the member '{member.name}' is {kind}, which a source tree cannot hold")


def _parts(name: str) -> list[str]:
    """The components of a member's name; `UnpackError` for an absolute name or ``..``."""
    if name.startswith("/"):
        raise UnpackError(f"the member '{name}' has an absolute name")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnpackError(f"the member '{name}' has a '..' in its name")
    return parts


def _directory(into: Path, parts: list[str], name: str) -> Path:
    """The directory `parts` below `into`, made as needed; never through a symbolic link
    (a member ``link/x`` with ``link -> /etc`` would write outside)."""
    path = into
    for part in parts:
        path = path / part
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            path.mkdir(mode=0o755)
            continue
        if stat.S_ISLNK(mode):
            raise UnpackError(f"the member '{name}' is under the symbolic link '{part}'")
        if not stat.S_ISDIR(mode):
            raise UnpackError(f"the member '{name}' is under '{part}', which is not a directory")
    return path


def _inside_regular(into: Path, parts: list[str]) -> bool:
    """Whether `parts` below `into` is a regular file reached through directories only."""
    path = into
    for part in parts[:-1]:
        path = path / part
        if not stat.S_ISDIR(_mode(path)):
            return False
    return stat.S_ISREG(_mode(path / parts[-1]))


def _mode(path: Path) -> int:
    try:
        return path.lstat().st_mode
    except OSError:
        return 0


def _replace(target: Path, name: str) -> None:
    """A later member of the same name replaces a file or link (as tar does), never a
    directory."""
    mode = _mode(target)
    if stat.S_ISDIR(mode):
        raise UnpackError(f"the member '{name}' appears twice")
    if mode:
        target.unlink()
