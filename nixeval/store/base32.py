"""Nix's own base-32 (`printHash32` / the base-32 branch of `Hash::Hash` in libutil/hash.cc).

Not RFC 4648: Nix uses the alphabet below (no e, o, u, t) and emits the *last* 5-bit group
first, so `pynixutil.b32encode` (RFC 4648 with a swapped alphabet) gives different text.
"""

from __future__ import annotations

BASE32_CHARS = "0123456789abcdfghijklmnpqrsvwxyz"
_DIGITS = {c: i for i, c in enumerate(BASE32_CHARS)}


def base32_len(size: int) -> int:
    """Length of the base-32 text of a `size`-byte digest."""
    return (size * 8 - 1) // 5 + 1


def base32(digest: bytes) -> str:
    """Encode `digest` as Nix does in store paths and `to_string(Base32)`."""
    out: list[str] = []
    size = len(digest)
    for n in range(base32_len(size) - 1, -1, -1):
        b = n * 5
        i, j = divmod(b, 8)
        c = digest[i] >> j
        if i < size - 1:
            c |= digest[i + 1] << (8 - j)
        out.append(BASE32_CHARS[c & 0x1F])
    return "".join(out)


def base32_decode(text: str, size: int) -> bytes | None:
    """Decode Nix base-32 into `size` bytes; None when a digit is invalid or overflows."""
    result = bytearray(size)
    for n in range(len(text)):
        digit = _DIGITS.get(text[len(text) - n - 1])
        if digit is None:
            return None
        b = n * 5
        i, j = divmod(b, 8)
        result[i] |= (digit << j) & 0xFF
        carry = digit >> (8 - j)
        if i < size - 1:
            result[i + 1] |= carry
        elif carry:
            # Bits beyond the digest: Nix rejects the text rather than dropping them.
            return None
    return bytes(result)
