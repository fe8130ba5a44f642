"""Values as XML: Nix 2.8's printValueAsXML, for ``builtins.toXML`` (strict, without
locations) and ``--eval --xml`` (strict with ``--strict``, with locations unless
``--no-location``).

The output is XMLWriter's: the XML declaration, ``<expr>``, one element per line indented
by two spaces per level, attribute values escaped (``"`` ``<`` ``>`` ``&`` and newline).
Strict, every value is forced as it is reached; else what is not evaluated yet is
``<unevaluated />``. A derivation (``type = "derivation"``) is written once with its
attributes and as ``<repeated />`` when its drvPath was already shown. With locations, an
attribute and a function say where they were written (``path``, ``line``, ``column``): an
attribute where `Attrs.position` places it, as Nix keeps it through ``//`` and the builtins
that copy attributes. The result of toXML carries the context of the strings written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval.env import CTX
from ..eval.force import force
from ..eval.ops import is_derivation
from ..syntax.text import format_float
from ..values import (
    Attrs,
    Closure,
    CStr,
    NixPath,
    Thunk,
    string_with_context,
)
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.source import Source

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
    def __init__(self, m: Machine, strict: bool, location: bool) -> None:
        self.m = m
        self.strict = strict
        self.location = location
        self.doc = _Writer()
        self.ctx: set[str] = set()
        self.drvs_seen: set[str] = set()

    def reached(self, item: Any) -> Any:
        """The value of `item`: forced if strict, else as far as it is evaluated (a
        thunk not yet evaluated stays one)."""
        if self.strict:
            return force(item)
        if type(item) is Thunk and item.run is None:
            return item.value
        return item

    def where(self, source: Source, offset: int) -> dict[str, str]:
        pos = source.position(offset)
        return {"path": source.position_file, "line": str(pos.line), "column": str(pos.column)}

    def value(self, item: Any) -> None:
        doc = self.doc
        v = self.reached(item)
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
        else:
            # Nix does not serialise builtins; a thunk is not evaluated yet.
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
                text = self.reached(item)
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
            attrs = {"name": name}
            where = v.position(name) if self.location else None
            if where is not None:
                attrs.update(self.where(where[0], where[1].start))
            self.doc.open_element("attr", attrs)
            self.value(v.items[name])
            self.doc.close_element()

    def function(self, fn: Closure) -> None:
        doc = self.doc
        lam = fn.lam
        where: dict[str, str] = {}
        if self.location:
            source = fn.env[CTX].source
            where = self.where(source, source.own_start(lam.span.start, lam.span.end))
        doc.open_element("function", where)
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


def xml_text(m: Machine, v: Any, strict: bool, location: bool) -> tuple[str, set[str]]:
    """printValueAsXML of `v`: the document, and the context of the strings in it."""
    p = _Printer(m, strict, location)
    p.doc.open_element("expr")
    p.value(v)
    p.doc.close_element()
    return "".join(p.doc.out), p.ctx


@builtin("toXML", 1)
def to_xml(m: Machine, v: Any) -> str:
    return string_with_context(*xml_text(m, v, strict=True, location=False))
