"""NAR serialisation streamed into sha256: mirrors `dumpPath` / `hashPath` (libutil/archive.cc).

Nothing is buffered whole: file contents are read in chunks, so a large source tree costs
memory proportional to its largest directory listing only.

Below the root nothing is followed: entries are lstat-ed, symlinks are read as links
(never opened), so a walk stays inside the root's tree. That is why restricted mode
(`nixeval.eval.access`) only has to check the root its callers pass.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import stat
from collections.abc import Callable
from typing import Protocol

from .errors import StoreError

PathFilter = Callable[[pathlib.Path, str], bool]
_CHUNK = 1 << 16


class _Sink(Protocol):
    def update(self, data: bytes, /) -> None: ...


def _put_bytes(sink: _Sink, data: bytes) -> None:
    # A NAR string: 64-bit little-endian length, the bytes, zero padding to 8.
    sink.update(len(data).to_bytes(8, "little"))
    sink.update(data)
    if len(data) % 8:
        sink.update(bytes(8 - len(data) % 8))


def _put(sink: _Sink, *words: str) -> None:
    for word in words:
        _put_bytes(sink, word.encode("ascii"))


def file_type(st: os.stat_result) -> str:
    """The type string Nix hands to a `filterSource` / `builtins.path` filter."""
    if stat.S_ISREG(st.st_mode):
        return "regular"
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    return "unknown"


def _dump_contents(sink: _Sink, path: bytes, size: int) -> None:
    sink.update(size.to_bytes(8, "little"))
    written = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sink.update(chunk)
            written += len(chunk)
    if written != size:
        raise StoreError(f"file '{os.fsdecode(path)}' changed while it was being read")
    if size % 8:
        sink.update(bytes(8 - size % 8))


def _lstat(path: bytes) -> os.stat_result:
    try:
        return os.lstat(path)
    except OSError as e:
        raise StoreError(f"getting status of '{os.fsdecode(path)}': {e.strerror}") from None


def _dump(sink: _Sink, path: bytes, keep: PathFilter | None) -> None:
    st = _lstat(path)
    _put(sink, "(")
    if stat.S_ISREG(st.st_mode):
        _put(sink, "type", "regular")
        if st.st_mode & stat.S_IXUSR:
            _put(sink, "executable", "")
        _put(sink, "contents")
        _dump_contents(sink, path, st.st_size)
    elif stat.S_ISDIR(st.st_mode):
        _put(sink, "type", "directory")
        # Entries in byte order of their names, as Nix's std::map<std::string, …>.
        for entry in sorted(os.listdir(path)):
            child = path + b"/" + entry
            if keep is not None and not keep(
                pathlib.Path(os.fsdecode(child)), file_type(_lstat(child))
            ):
                continue
            _put(sink, "entry", "(", "name")
            _put_bytes(sink, entry)
            _put(sink, "node")
            _dump(sink, child, keep)
            _put(sink, ")")
    elif stat.S_ISLNK(st.st_mode):
        _put(sink, "type", "symlink", "target")
        _put_bytes(sink, os.readlink(path))
    else:
        raise StoreError(f"file '{os.fsdecode(path)}' has an unsupported type")
    _put(sink, ")")


def dump_nar(sink: _Sink, path: pathlib.Path, filter: PathFilter | None = None) -> None:
    """Write the NAR of `path` into `sink`; `filter` is asked about every entry below the
    root (never the root itself), and a rejected directory is not descended into."""
    _put(sink, "nix-archive-1")
    _dump(sink, os.fsencode(path), filter)


def nar_sha256(path: pathlib.Path, filter: PathFilter | None = None) -> bytes:
    """sha256 of the NAR serialisation of `path` (`hashPath(htSHA256, path, filter)`)."""
    h = hashlib.sha256()
    dump_nar(h, path, filter)
    return h.digest()
