"""builtins.toXML (Nix 2.8's prim_toXML: printValueAsXML, strict, without locations).

The output is XMLWriter's: the XML declaration, ``<expr>``, one element per line indented
by two spaces per level, attribute values escaped (``"`` ``<`` ``>`` ``&`` and newline).
Every value is forced as it is reached; a derivation (``type = "derivation"``) is written
once with its attributes and as ``<repeated />`` when its drvPath was already shown.
The result carries the context of the strings written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval.force import force
from ..eval.ops import is_derivation
from ..printing import format_float
from ..values import Attrs, Closure, CStr, NixPath, PrimOp, PrimOpApp, string_with_context
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine

_ESCAPES = {'"': "&quot;", "<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": "&#xA;"}


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


class _Writer:
    """XMLWriter with indentation."""

    def __init__(self) -> None:
        self.out = ["<?xml version='1.0' encoding='utf-8'?>\n"]
        self.open: list[str] = []

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.out.append("  " * len(self.open) + "<" + name)
        # XMLAttrs is a std::map: attributes come out sorted by name.
        for key in sorted(attrs):
            self.out.append(f' {key}="{_escape(attrs[key])}"')

    def open_element(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self._start(name, attrs or {})
        self.out.append(">\n")
        self.open.append(name)

    def close_element(self) -> None:
        name = self.open.pop()
        self.out.append("  " * len(self.open) + f"</{name}>\n")

    def empty_element(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self._start(name, attrs or {})
        self.out.append(" />\n")


class _Printer:
    def __init__(self, m: Machine) -> None:
        self.m = m
        self.doc = _Writer()
        self.ctx: set[str] = set()
        self.drvs_seen: set[str] = set()

    def value(self, item: Any) -> None:
        doc = self.doc
        v = force(item)
        t = type(v)
        if t is bool:
            doc.empty_element("bool", {"value": "true" if v else "false"})
        elif t is int:
            doc.empty_element("int", {"value": str(v)})
        elif t is float:
            doc.empty_element("float", {"value": format_float(v)})
        elif t is str or t is CStr:
            if t is CStr:
                self.ctx.update(v.ctx)
            doc.empty_element("string", {"value": str(v)})
        elif t is NixPath:
            doc.empty_element("path", {"value": v.path})
        elif v is None:
            doc.empty_element("null")
        elif t is list:
            doc.open_element("list")
            for x in v:
                self.value(x)
            doc.close_element()
        elif t is Attrs:
            self.attrs(v)
        elif t is Closure:
            self.function(v)
        elif t is PrimOp or t is PrimOpApp:
            doc.empty_element("unevaluated")  # Nix does not serialise builtins
        else:
            doc.empty_element("unevaluated")

    def attrs(self, v: Attrs) -> None:
        doc = self.doc
        if not is_derivation(self.m, v):
            doc.open_element("attrs")
            self.show_attrs(v)
            doc.close_element()
            return
        header: dict[str, str] = {}
        drv_path = ""
        for key in ("drvPath", "outPath"):
            item = v.get(key)
            if item is not None:
                text = force(item)
                if isinstance(text, str):
                    header[key] = str(text)
                    if key == "drvPath":
                        drv_path = str(text)
        doc.open_element("derivation", header)
        if drv_path and drv_path not in self.drvs_seen:
            self.drvs_seen.add(drv_path)
            self.show_attrs(v)
        else:
            doc.empty_element("repeated")
        doc.close_element()

    def show_attrs(self, v: Attrs) -> None:
        for name in v.names():
            self.doc.open_element("attr", {"name": name})
            self.value(v.items[name])
            self.doc.close_element()

    def function(self, fn: Closure) -> None:
        doc = self.doc
        lam = fn.lam
        doc.open_element("function")
        if lam.formals is not None:
            attrs: dict[str, str] = {}
            if lam.param is not None:
                attrs["name"] = lam.param
            if lam.formals.ellipsis:
                attrs["ellipsis"] = "1"
            doc.open_element("attrspat", attrs)
            for name in sorted(f.name for f in lam.formals.entries):
                doc.empty_element("attr", {"name": name})
            doc.close_element()
        else:
            doc.empty_element("varpat", {"name": lam.param or ""})
        doc.close_element()


@builtin("toXML", 1)
def to_xml(m: Machine, v: Any) -> str:
    p = _Printer(m)
    p.doc.open_element("expr")
    p.value(v)
    p.doc.close_element()
    return string_with_context("".join(p.doc.out), p.ctx)
