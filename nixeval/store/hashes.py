"""Hash algorithms and hash parsing: mirrors `Hash::parseAny` and `newHashAllowEmpty` (Nix 2.8).

Used for `outputHash`/`outputHashAlgo` of fixed-output derivations and the `sha256`
argument of `builtins.path`.
"""

from __future__ import annotations

import base64
import hashlib

from ..records import Record
from .base32 import base32, base32_decode, base32_len
from .errors import StoreError

HASH_SIZES: dict[str, int] = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class Hash(Record):
    """A digest together with its algorithm name ("md5", "sha1", "sha256", "sha512")."""

    algo: str
    digest: bytes

    def base16(self) -> str:
        return self.digest.hex()

    def base32(self) -> str:
        return base32(self.digest)

    def sri(self) -> str:
        return f"{self.algo}-{base64.b64encode(self.digest).decode('ascii')}"


def hash_bytes(algo: str, data: bytes) -> Hash:
    return Hash(algo, hashlib.new(algo, data).digest())


def parse_hash_type(name: str) -> str | None:
    """`parseHashTypeOpt`: the algorithm, or None for anything Nix does not know."""
    return name if name in HASH_SIZES else None


def _base64_len(size: int) -> int:
    return ((4 * size // 3) + 3) & ~3


_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_DIGITS = {c: i for i, c in enumerate(_B64_CHARS)}


def _decode_base64(text: str) -> bytes:
    """Nix's `base64Decode`: stops at the first '=', skips newlines, keeps whole bytes only."""
    out = bytearray()
    bits = 0
    acc = 0
    for c in text:
        if c == "=":
            break
        if c == "\n":
            continue
        digit = _B64_DIGITS.get(c)
        if digit is None:
            # Nix formats the character with boost's "%c", which prints nothing here:
            # the quotes stay empty in Nix 2.8's message, so they do in ours.
            raise StoreError("invalid character in Base64 string: ''")
        acc = (acc << 6) | digit
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def _parse_body(rest: str, algo: str, is_sri: bool) -> Hash:
    """The `Hash(std::string_view rest, HashType type, bool isSRI)` constructor."""
    size = HASH_SIZES[algo]
    if not is_sri and len(rest) == 2 * size:
        if not all(c in _HEX_DIGITS for c in rest):
            raise StoreError(f"invalid base-16 hash '{rest}'")
        return Hash(algo, bytes.fromhex(rest))
    if not is_sri and len(rest) == base32_len(size):
        digest = base32_decode(rest, size)
        if digest is None:
            raise StoreError(f"invalid base-32 hash '{rest}'")
        return Hash(algo, digest)
    if is_sri or len(rest) == _base64_len(size):
        decoded = _decode_base64(rest)
        if len(decoded) != size:
            raise StoreError(f"invalid {'SRI' if is_sri else 'base-64'} hash '{rest}'")
        return Hash(algo, decoded)
    raise StoreError(f"hash '{rest}' has wrong length for hash type '{algo}'")


def parse_hash(text: str, algo: str | None) -> Hash:
    """`Hash::parseAny`: "algo:…" or SRI "algo-…" prefixes, else the type from context."""
    rest = text
    is_sri = False
    prefix: str | None = None
    if ":" in rest:
        prefix, rest = rest.split(":", 1)
    elif "-" in rest:
        prefix, rest = rest.split("-", 1)
        is_sri = True
    parsed: str | None = None
    if prefix is not None:
        parsed = parse_hash_type(prefix)
        if parsed is None:
            raise StoreError(f"unknown hash algorithm '{prefix}'")
    if parsed is None and algo is None:
        raise StoreError(
            f"hash '{rest}' does not include a type, nor is the type otherwise known from context"
        )
    if parsed is not None and algo is not None and parsed != algo:
        raise StoreError(f"hash '{text}' should have type '{algo}'")
    chosen = parsed if parsed is not None else algo
    assert chosen is not None
    return _parse_body(rest, chosen, is_sri)


def parse_hash_allow_empty(text: str, algo: str | None) -> tuple[Hash, str | None]:
    """`newHashAllowEmpty`: an empty hash means all zeroes (plus a warning) when typed.

    Returns the hash and the warning text Nix prints, if any.
    """
    if text:
        return parse_hash(text, algo), None
    if algo is None:
        raise StoreError("empty hash requires explicit hash type")
    zero = Hash(algo, bytes(HASH_SIZES[algo]))
    return zero, f"found empty hash, assuming '{zero.sri()}'"
