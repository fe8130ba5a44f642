"""`derivationStrict` after attribute coercion: mirrors `prim_derivationStrict`
(libexpr/primops.cc), `hashDerivationModulo` and `writeDerivation` (libstore/derivations.cc)
of Nix 2.8, in read-only mode: every .drv is kept in memory, nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from ..records import Record
from .aterm import Derivation, Output, unparse
from .errors import StoreError
from .hashes import parse_hash_allow_empty, parse_hash_type
from .paths import (
    fixed_output_path_of,
    make_output_path,
    output_path_name,
    parse_store_path,
    text_path,
)

DRV_EXTENSION = ".drv"
# Attributes prim_derivationStrict consumes without putting them into the environment.
_CONSUMED = frozenset({"__ignoreNulls", "__contentAddressed", "__impure"})
_WHITESPACE = " \t\n\r"


class DrvHash(Record):
    """What `hashDerivationModulo` returns: one hash for an input-addressed derivation,
    one per output (keyed by output name) for a fixed-output one."""

    regular: bytes | None = None
    fixed: Mapping[str, bytes] | None = None


def _tokenize(s: str) -> list[str]:
    """`tokenizeString<Strings>(s)` with Nix's default separators " \\t\\n\\r"."""
    out: list[str] = []
    token = ""
    for c in s:
        if c in _WHITESPACE:
            if token:
                out.append(token)
            token = ""
        else:
            token += c
    if token:
        out.append(token)
    return out


def _check_outputs(tokens: list[str]) -> list[str]:
    seen: list[str] = []
    for name in tokens:
        if name in seen:
            raise StoreError(f"duplicate derivation output '{name}'")
        # An output called "drv" would clash with the `drvPath` attribute of the result.
        if name == "drv":
            raise StoreError("invalid derivation output name 'drv'")
        seen.append(name)
    if not seen:
        raise StoreError("derivation cannot have an empty set of outputs")
    return seen


def _truthy(value: str) -> bool:
    # Nix forces these flags to booleans; the evaluator coerces true -> "1", false -> "".
    return value != ""


class DerivationStore:
    """Every derivation (and toFile text) of one evaluation, by store path."""

    def __init__(self) -> None:
        self._drvs: dict[str, Derivation] = {}
        self._hashes: dict[str, DrvHash] = {}
        self._text_refs: dict[str, frozenset[str]] = {}
        # Warnings Nix prints on stderr (e.g. "found empty hash, assuming …").
        self.warnings: list[str] = []

    # --- lookup -------------------------------------------------------------------------

    def __contains__(self, drv_path: object) -> bool:
        return drv_path in self._drvs

    def get(self, drv_path: str) -> Derivation:
        try:
            return self._drvs[drv_path]
        except KeyError:
            raise StoreError(f"path '{drv_path}' is not valid") from None

    def unparse(self, drv_path: str) -> str:
        """The ATerm text of a computed derivation, as `nix-store --add` would store it."""
        return unparse(self.get(drv_path))

    def references(self, path: str) -> frozenset[str]:
        """References of a path this store knows (a .drv or a toFile text); none otherwise."""
        if path in self._drvs:
            return frozenset(self._drvs[path].references())
        return self._text_refs.get(path, frozenset())

    def closure(self, path: str) -> set[str]:
        """`computeFSClosure` over the references this store knows."""
        seen: set[str] = set()
        todo = [path]
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(self.references(p))
        return seen

    # --- builtins.toFile ----------------------------------------------------------------

    def to_file(self, name: str, text: str, context: Iterable[str]) -> str:
        """`prim_toFile`: only plain store paths may appear in the context."""
        refs: set[str] = set()
        for item in sorted(context):
            if not item.startswith("/"):
                raise StoreError(
                    f"in 'toFile': the file named '{name}' must not contain a reference "
                    f"to a derivation but contains ({item})"
                )
            refs.add(parse_store_path(item))
        path = text_path(name, text, refs)
        self._text_refs[path] = frozenset(refs)
        return path

    # --- derivationStrict ---------------------------------------------------------------

    def derivation_strict(
        self,
        env: dict[str, str],
        args: list[str],
        context: Iterable[str],
        *,
        structured_json: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        """Build, hash and remember a derivation; return (drvPath, {output: outPath}).

        With `__structuredAttrs = true` the evaluator passes the JSON text of the attributes
        as `structured_json` (Nix's compact form, keys sorted, `__structuredAttrs`,
        `__ignoreNulls`, `__contentAddressed`, `__impure` and `args` left out); `env` then
        only needs `builder`, `system`, `outputs` and the `outputHash*` strings, and the
        .drv environment is `__json` plus the output paths, as in Nix.
        """
        if "name" not in env:
            # Nix 2.8 looks `name` up with its generic getAttr, hence this wording.
            raise StoreError("attribute 'name' missing for call to 'derivationStrict'")
        drv = Derivation(name=env["name"], args=list(args))
        outputs = ["out"]
        output_hash: str | None = None
        output_hash_algo = ""
        recursive = False
        # Attributes in lexicographic order, so the first error is the one Nix reports.
        for key in sorted(env, key=lambda k: k.encode("utf-8", "surrogateescape")):
            value = env[key]
            if key in _CONSUMED:
                if key == "__contentAddressed" and _truthy(value):
                    raise StoreError(_experimental("ca-derivations"))
                if key == "__impure" and _truthy(value):
                    raise StoreError(_experimental("impure-derivations"))
                continue
            if structured_json is not None:
                if key == "__structuredAttrs":
                    continue
            elif key == "__structuredAttrs" and _truthy(value):
                # The attribute values are needed to write __json; coerced strings are not
                # enough, so the caller must pass structured_json.
                raise StoreError("'__structuredAttrs' derivations need structured_json")
            else:
                drv.env[key] = value
            if key == "builder":
                drv.builder = value
            elif key == "system":
                drv.platform = value
            elif key == "outputHash":
                output_hash = value
            elif key == "outputHashAlgo":
                output_hash_algo = value
            elif key == "outputHashMode":
                if value not in ("recursive", "flat"):
                    raise StoreError(f"invalid value '{value}' for 'outputHashMode' attribute")
                recursive = value == "recursive"
            elif key == "outputs":
                outputs = _check_outputs(_tokenize(value))

        if structured_json is not None:
            drv.env["__json"] = structured_json
        self._add_context(drv, context)

        if not drv.builder:
            raise StoreError("required attribute 'builder' missing")
        if not drv.platform:
            raise StoreError("required attribute 'system' missing")
        if drv.name.endswith(DRV_EXTENSION):
            raise StoreError(f"derivation names are not allowed to end in '{DRV_EXTENSION}'")

        if output_hash is not None:
            self._fixed_output(drv, outputs, output_hash, output_hash_algo, recursive)
        else:
            self._input_addressed(drv, outputs)

        drv_path = text_path(drv.name + DRV_EXTENSION, unparse(drv), drv.references())
        self._drvs[drv_path] = drv
        # Cached now, as Nix does in read-only mode: dependents hash against this.
        self._hashes[drv_path] = self._hash_modulo(drv, mask_outputs=False)
        return drv_path, {name: out.path for name, out in drv.outputs.items()}

    def _add_context(self, drv: Derivation, context: Iterable[str]) -> None:
        for item in sorted(set(context)):
            if item.startswith("="):
                # The builder gets the .drv path itself, hence access to its whole closure:
                # every path in it becomes a source, every .drv in it an input with all
                # of its outputs.
                root = parse_store_path(item[1:])
                self.get(root)
                for path in self.closure(root):
                    drv.input_srcs.add(path)
                    if path.endswith(DRV_EXTENSION):
                        drv.input_drvs.setdefault(path, set()).update(self.get(path).outputs)
            elif item.startswith("!"):
                output, sep, path = item[1:].partition("!")
                if not sep:
                    raise StoreError(f"invalid string context element '{item}'")
                drv.input_drvs.setdefault(parse_store_path(path), set()).add(output)
            else:
                drv.input_srcs.add(parse_store_path(item))

    def _fixed_output(
        self, drv: Derivation, outputs: list[str], text: str, algo_name: str, recursive: bool
    ) -> None:
        if outputs != ["out"]:
            raise StoreError("multiple outputs are not supported in fixed-output derivations")
        hash_, warning = parse_hash_allow_empty(text, parse_hash_type(algo_name))
        if warning is not None:
            self.warnings.append(warning)
        out_path = fixed_output_path_of(drv.name, hash_, recursive)
        drv.env["out"] = out_path
        drv.outputs["out"] = Output(
            out_path, ("r:" if recursive else "") + hash_.algo, hash_.base16()
        )

    def _input_addressed(self, drv: Derivation, outputs: list[str]) -> None:
        # Hash the derivation with blank output paths (and blank env entries for them),
        # then derive each output path from that hash.
        for name in outputs:
            drv.env[name] = ""
            drv.outputs[name] = Output("")
        h = self._hash_modulo(drv, mask_outputs=True).regular
        assert h is not None
        for name in sorted(outputs, key=lambda k: k.encode("utf-8", "surrogateescape")):
            path = make_output_path(name, h, drv.name)
            drv.env[name] = path
            drv.outputs[name] = Output(path)

    def _hash_modulo(self, drv: Derivation, mask_outputs: bool) -> DrvHash:
        """`hashDerivationModulo`: a fixed-output derivation hashes to "fixed:out:…" of its
        output (so changing how it is fetched changes nothing downstream); any other
        derivation hashes to its ATerm with input .drv paths replaced by their own hashes."""
        if drv.is_fixed_output:
            return DrvHash(
                fixed={
                    name: hashlib.sha256(
                        f"fixed:out:{out.method_algo}:{out.hash_hex}:{out.path}".encode()
                    ).digest()
                    for name, out in drv.outputs.items()
                }
            )
        inputs: dict[str, set[str]] = {}
        for path, wanted in drv.input_drvs.items():
            dep = self._path_hash(path)
            if dep.regular is not None:
                inputs[dep.regular.hex()] = set(wanted)
            else:
                assert dep.fixed is not None
                for output in wanted:
                    if output not in dep.fixed:
                        raise StoreError(
                            f"derivation '{path}' does not have an output named '{output}'"
                        )
                    # Each used output of a fixed-output input counts as its own "out".
                    inputs[dep.fixed[output].hex()] = {"out"}
        text = unparse(drv, mask_outputs, inputs)
        return DrvHash(regular=hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest())

    def _path_hash(self, drv_path: str) -> DrvHash:
        if drv_path not in self._hashes:
            raise StoreError(f"path '{drv_path}' is not valid")
        return self._hashes[drv_path]


def _experimental(feature: str) -> str:
    return (
        f"experimental Nix feature '{feature}' is disabled; "
        f"use '--extra-experimental-features {feature}' to override"
    )


__all__ = ["DRV_EXTENSION", "DerivationStore", "DrvHash", "output_path_name"]
