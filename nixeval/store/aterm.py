"""The in-memory derivation and its ATerm text: mirrors `Derivation::unparse`
(libstore/derivations.cc, Nix 2.8), byte for byte.

Quirk kept on purpose: Nix writes output names, output paths, hash fields, input paths and
the *platform* with `printUnquotedString` (no escaping at all), and only the builder, args
and env with `printString` (escaping `"` `\\` newline CR tab). A `system` containing a
quote therefore yields a .drv Nix itself cannot parse back, yet its path is well defined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..records import Record


class Output(Record):
    """One output: its path and, for a fixed output, "r:sha256"-style method/algo + hex."""

    path: str
    method_algo: str = ""
    hash_hex: str = ""


class Derivation:
    """A derivation being made: filled in by `DerivationStore`, then unparsed. (Not a
    dataclass: importing `dataclasses` costs an evaluation ~10 ms.)"""

    __slots__ = (
        "args",
        "builder",
        "env",
        "input_drvs",
        "input_srcs",
        "name",
        "outputs",
        "platform",
    )

    def __init__(self, name: str, args: list[str] | None = None) -> None:
        self.name = name
        self.outputs: dict[str, Output] = {}
        self.input_drvs: dict[str, set[str]] = {}
        self.input_srcs: set[str] = set()
        self.platform = ""
        self.builder = ""
        self.args: list[str] = args if args is not None else []
        self.env: dict[str, str] = {}

    @property
    def is_fixed_output(self) -> bool:
        return (
            len(self.outputs) == 1 and "out" in self.outputs and bool(self.outputs["out"].hash_hex)
        )

    def references(self) -> set[str]:
        """What the .drv file refers to: its sources and input derivations, not outputs."""
        return set(self.input_srcs) | set(self.input_drvs)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _quoted(s: str) -> str:
    """`printString`: the escaping ATerm strings get."""
    return '"' + "".join(_ESCAPES.get(c, c) for c in s) + '"'


def _unquoted(s: str) -> str:
    """`printUnquotedString`: quotes, no escaping."""
    return f'"{s}"'


def _list(items: Iterable[str], escape: bool) -> str:
    show = _quoted if escape else _unquoted
    return "[" + ",".join(show(s) for s in items) + "]"


def _key(s: str) -> bytes:
    # std::map<std::string, …> orders by bytes; UTF-8 keeps code point order, but
    # surrogate-escaped bytes would not, so compare the encoded form.
    return s.encode("utf-8", "surrogateescape")


def unparse(
    drv: Derivation,
    mask_outputs: bool = False,
    actual_inputs: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """`Derivation::unparse(store, maskOutputs, actualInputs)`.

    `mask_outputs` blanks output paths and the env entries named like outputs (used for
    hashing); `actual_inputs` replaces inputDrvs (hashDerivationModulo substitutes the
    hashes of the input derivations for their paths).
    """
    parts: list[str] = ["Derive(["]
    parts.append(
        ",".join(
            "("
            + ",".join(
                [
                    _unquoted(name),
                    _unquoted("" if mask_outputs else out.path),
                    _unquoted(out.method_algo),
                    _unquoted(out.hash_hex),
                ]
            )
            + ")"
            for name, out in sorted(drv.outputs.items(), key=lambda kv: _key(kv[0]))
        )
    )
    parts.append("],[")
    inputs = actual_inputs if actual_inputs is not None else drv.input_drvs
    parts.append(
        ",".join(
            f"({_unquoted(path)},{_list(sorted(outs, key=_key), escape=False)})"
            for path, outs in sorted(inputs.items(), key=lambda kv: _key(kv[0]))
        )
    )
    parts.append("],")
    parts.append(_list(sorted(drv.input_srcs, key=_key), escape=False))
    parts.append("," + _unquoted(drv.platform))
    parts.append("," + _quoted(drv.builder))
    parts.append("," + _list(drv.args, escape=True))
    parts.append(",[")
    parts.append(
        ",".join(
            f"({_quoted(k)},{_quoted('' if mask_outputs and k in drv.outputs else v)})"
            for k, v in sorted(drv.env.items(), key=lambda kv: _key(kv[0]))
        )
    )
    parts.append("])")
    return "".join(parts)
