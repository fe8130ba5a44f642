"""Strings: toString stringLength substring concatStringsSep replaceStrings baseNameOf dirOf
hashString toJSON fromJSON splitVersion compareVersions parseDrvName."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval import ops
from ..eval.coerce import (
    coerce_to_string,
    force_string_into,
    join_text,
    string_template,
    template_part,
    wrap,
)
from ..eval.force import force
from ..printing import to_json_text
from ..values import Attrs, NixPath, Unknown, string_with_context
from .json_reader import JsonError, read_json
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine


@builtin("toString", 1)
def to_string(m: Machine, v: Any) -> str:
    ctx: set[str] = set()
    text = coerce_to_string(m, v, ctx, coerce_more=True, copy_to_store_=False)
    return string_with_context(text, ctx)


@builtin("stringLength", 1)
def string_length(m: Machine, s: Any) -> int:
    text = coerce_to_string(m, s, set())
    return len(text.encode("utf-8", "surrogateescape"))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


@builtin("substring", 3)
def substring(m: Machine, start: Any, length: Any, s: Any) -> str:
    begin = ops.to_int(force(start))
    count = ops.to_int(force(length))
    ctx: set[str] = set()
    text = coerce_to_string(m, s, ctx)
    if begin < 0:
        raise E.EvalError("negative start position in 'substring'")
    data = _bytes(text)
    end = len(data) if count < 0 else begin + count
    return string_with_context(_text(data[begin:end]), ctx)


@builtin("concatStringsSep", 2)
def concat_strings_sep(m: Machine, sep: Any, xs: Any) -> str:
    ctx: set[str] = set()
    separator = force_string_into(m, sep, ctx)
    items = m.force_list(xs)
    try:
        pieces = [coerce_to_string(m, x, ctx) for x in items]
    except E.NeedsValue:
        if not m.unknowns:
            raise
        # Some items are unknown: the string is known but for them.
        parts: list[str | Unknown] = []
        for i, x in enumerate(items):
            if i:
                parts.append(separator)
            parts.append(template_part(m, x, ctx))
        return string_template(parts, ctx, None, None)  # type: ignore[no-any-return]
    return string_with_context(join_text(separator, pieces), ctx)


@builtin("replaceStrings", 3)
def replace_strings(m: Machine, from_: Any, to: Any, s: Any) -> str:
    patterns = [m.force_string(x) for x in m.force_list(from_)]
    replacements_items = m.force_list(to)
    if len(patterns) != len(replacements_items):
        raise E.EvalError("'from' and 'to' arguments to 'replaceStrings' have different lengths")
    ctx: set[str] = set()
    text = force_string_into(m, s, ctx)
    cache: dict[int, str] = {}

    def replacement(i: int) -> str:
        if i not in cache:
            cache[i] = force_string_into(m, replacements_items[i], ctx)
        return cache[i]

    out: list[str] = []
    pos = 0
    n = len(text)
    while pos <= n:
        for i, pattern in enumerate(patterns):
            if text.startswith(pattern, pos):
                out.append(replacement(i))
                if pattern:
                    pos += len(pattern)
                else:
                    # An empty pattern matches between characters: emit and step one on.
                    if pos < n:
                        out.append(text[pos])
                    pos += 1
                break
        else:
            if pos < n:
                out.append(text[pos])
            pos += 1
    return string_with_context(join_text("", out), ctx)


@builtin("baseNameOf", 1)
def base_name_of(m: Machine, s: Any) -> str:
    ctx: set[str] = set()
    text = coerce_to_string(m, s, ctx, copy_to_store_=False)
    if text.endswith("/"):
        text = text[:-1]
    return string_with_context(text.rsplit("/", 1)[-1], ctx)


@builtin("dirOf", 1)
def dir_of(m: Machine, s: Any) -> Any:
    v = force(s)
    if type(v) is NixPath:
        path = v.path
        parent = path.rsplit("/", 1)[0] if path.rstrip("/") else "/"
        return NixPath(parent or "/")
    ctx: set[str] = set()
    text = coerce_to_string(m, v, ctx, copy_to_store_=False)
    cut = text.rfind("/")
    parent = "." if cut < 0 else ("/" if cut == 0 else text[:cut])
    return string_with_context(parent, ctx)


_HASHES = {
    "md5": hashlib.md5,
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


@builtin("hashString", 2)
def hash_string(m: Machine, algo: Any, s: Any) -> str:
    name = m.force_string_no_ctx(algo)
    if name not in _HASHES:
        raise E.EvalError(f"unknown hash algorithm '{name}'")
    text = str(m.force_string(s))
    return _HASHES[name](_bytes(text)).hexdigest()


@builtin("toJSON", 1)
def to_json(m: Machine, v: Any) -> str:
    ctx: set[str] = set()
    text = to_json_text(m, v, ctx)
    return string_with_context(text, ctx)


@builtin("fromJSON", 1)
def from_json(m: Machine, s: Any) -> Any:
    try:
        data = read_json(m.force_string(s))
    except JsonError as err:
        raise E.EvalError(str(err)) from None
    return _from_data(data)


def _from_data(data: Any) -> Any:
    if isinstance(data, dict):
        return Attrs({k: _from_data(v) for k, v in data.items()})
    if isinstance(data, list):
        return [_from_data(x) for x in data]
    if isinstance(data, int) and not isinstance(data, bool):
        # Nix's JSON reader gives integers up to 64-bit unsigned (`read_json`); Nix casts
        # them to its signed 64-bit integer (so 2^63 reads as -2^63).
        return wrap(data)
    return data


# --- versions ---------------------------------------------------------------------------


_DIGITS = frozenset("0123456789")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _version_components(version: str) -> list[str]:
    """Nix's nextComponent loop: runs of digits, runs of other characters; '.' and '-'
    separate."""
    parts: list[str] = []
    i, n = 0, len(version)
    while i < n:
        c = version[i]
        if c in ".-":
            i += 1
            continue
        j = i
        if c in _DIGITS:
            while j < n and version[j] in _DIGITS:
                j += 1
        else:
            while j < n and version[j] not in _DIGITS and version[j] not in ".-":
                j += 1
        parts.append(version[i:j])
        i = j
    return parts


def _as_int(component: str) -> int | None:
    """string2Int<int>: a decimal that fits in a C int, else not a number."""
    if component and all(c in _DIGITS for c in component):
        value = int(component)
        if value < 2**31:
            return value
    return None


def _component_less(a: str, b: str) -> bool:
    na, nb = _as_int(a), _as_int(b)
    if na is not None and nb is not None:
        return na < nb
    if a == "" and nb is not None:
        return True
    if a == "pre" and b != "pre":
        return True
    if b == "pre":
        return False
    if nb is not None:  # 2.3a < 2.3.1
        return True
    if na is not None:
        return False
    return _bytes(a) < _bytes(b)


def compare_versions_text(a: str, b: str) -> int:
    pa, pb = _version_components(a), _version_components(b)
    for i in range(max(len(pa), len(pb))):
        x = pa[i] if i < len(pa) else ""
        y = pb[i] if i < len(pb) else ""
        if _component_less(x, y):
            return -1
        if _component_less(y, x):
            return 1
    return 0


@builtin("splitVersion", 1)
def split_version(m: Machine, s: Any) -> list[str]:
    return _version_components(m.force_string_no_ctx(s))


@builtin("compareVersions", 2)
def compare_versions(m: Machine, a: Any, b: Any) -> int:
    return compare_versions_text(m.force_string_no_ctx(a), m.force_string_no_ctx(b))


@builtin("parseDrvName", 1)
def parse_drv_name(m: Machine, s: Any) -> Attrs:
    text = m.force_string_no_ctx(s)
    # The version starts at the first '-' followed by a non-letter.
    for i, c in enumerate(text):
        if c == "-" and i + 1 < len(text) and text[i + 1] not in _ASCII_LETTERS:
            return Attrs({"name": text[:i], "version": text[i + 1 :]})
    return Attrs({"name": text, "version": ""})
