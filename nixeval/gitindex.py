"""The paths a git repository tracks, read from its index without running git.

``ci-eval check`` starts no process, yet a flake in a git repository must see only the
files git tracks (Nix fetches it as ``git+file``). The index (``.git/index``, git's
"DIRC" format, versions 2 to 4) lists them: each entry has fixed-size stat data and an
object id, then its path — padded with NULs to a multiple of 8 bytes in versions 2 and 3
(version 3 adds 2 bytes of extended flags where the entry says so), prefix-compressed
against the previous path in version 4. Extensions after the entries are not needed.
"""

from __future__ import annotations

import struct

# ctime, mtime (8 each), dev, ino, mode, uid, gid, size (4 each): before the object id.
_STAT_BYTES = 40
_EXTENDED = 0x4000
_NAME_MASK = 0x0FFF


class GitIndexError(ValueError):
    """The index is not one ci-eval can read (the message says why)."""


def tracked_paths(data: bytes, hash_size: int = 20) -> frozenset[str]:
    """The paths of the entries of an index file's bytes `data` (`hash_size`: 20 for a
    sha1 repository, 32 for sha256)."""
    if len(data) < 12 or data[:4] != b"DIRC":
        raise GitIndexError("not a git index")
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4):
        raise GitIndexError(f"git index version {version} is not supported")
    paths: list[str] = []
    offset = 12
    previous = b""
    for _ in range(count):
        start = offset
        offset += _STAT_BYTES + hash_size
        if offset + 2 > len(data):
            raise GitIndexError("the git index is truncated")
        (flags,) = struct.unpack(">H", data[offset : offset + 2])
        offset += 2
        if version >= 3 and flags & _EXTENDED:
            offset += 2
        if version == 4:
            strip, offset = _varint(data, offset)
            end = data.index(b"\0", offset)
            name = previous[: len(previous) - strip] + data[offset:end]
            offset = end + 1
        else:
            length = flags & _NAME_MASK
            end = offset + length if length < _NAME_MASK else data.index(b"\0", offset)
            name = data[offset:end]
            # Padded with 1 to 8 NULs so that the entry's length is a multiple of 8.
            offset = start + ((end - start) // 8 + 1) * 8
        if offset > len(data):
            raise GitIndexError("the git index is truncated")
        paths.append(name.decode("utf-8", "surrogateescape"))
        previous = name
    return frozenset(paths)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """git's offset varint (as in its ``decode_varint``): the value and the next offset."""
    byte = data[offset]
    value = byte & 0x7F
    offset += 1
    while byte & 0x80:
        byte = data[offset]
        value = ((value + 1) << 7) | (byte & 0x7F)
        offset += 1
    return value, offset
