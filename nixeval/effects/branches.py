"""The git refs a ci file's conditions compare against, found in its text.

``ci-eval check`` evaluates a file as if on the default branch *and* as if on each branch
its conditions name, so an effect behind ``src.ref == "refs/heads/production"`` is checked
too. Which branches those are is read from the syntax tree, not from an evaluation (an
evaluation on the default branch never reaches the comparisons it skips):

- a string literal that is a full ref, ``"refs/heads/B"`` or ``"refs/tags/T"``, anywhere;
- a literal compared (``==``/``!=``) with something named ``branch`` or ``tag``
  (``src.branch == "production"``, ``branch != "main"``), or with ``ref`` when the
  literal is a full ref;
- the literals of ``elem x [ … ]`` where ``x`` is named ``branch``, ``tag`` or ``ref``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..syntax import nodes as n

_PREFIXES = ("refs/heads/", "refs/tags/")


def compared_refs(expr: n.Expr) -> list[str]:
    """The full refs the expression's conditions name, in source order, each once."""
    found: dict[str, None] = {}
    for node in nodes_of(expr):
        for ref in _refs_of(node):
            found.setdefault(ref, None)
    return list(found)


def _refs_of(node: object) -> Iterator[str]:
    if isinstance(node, n.Str):
        text = string_literal(node)
        if text is not None and _is_full_ref(text):
            yield text
    elif isinstance(node, n.BinOp) and node.op in (n.BinaryOp.EQ, n.BinaryOp.NEQ):
        for named, other in ((node.left, node.right), (node.right, node.left)):
            text = string_literal(other)
            if text is not None:
                yield from _as_ref(_name_of(named), text)
    elif _is_elem_of_list(node):
        # elem x [ "a" "b" ] (builtins.elem, lib.elem, or elem under a `with`)
        assert isinstance(node, n.Apply) and isinstance(node.fn, n.Apply)
        assert isinstance(node.arg, n.List)
        name = _name_of(node.fn.arg)
        for element in node.arg.elements:
            text = string_literal(element)
            if text is not None:
                yield from _as_ref(name, text)


def _is_elem_of_list(node: object) -> bool:
    return (
        isinstance(node, n.Apply)
        and isinstance(node.fn, n.Apply)
        and _name_of(node.fn.fn) == "elem"
        and isinstance(node.arg, n.List)
    )


def _as_ref(name: str | None, text: str) -> Iterator[str]:
    if not text:
        return
    if name == "branch" and not text.startswith("refs/"):
        yield "refs/heads/" + text
    elif name == "tag" and not text.startswith("refs/"):
        yield "refs/tags/" + text
    elif name in ("ref", "branch", "tag") and _is_full_ref(text):
        yield text


def _is_full_ref(text: str) -> bool:
    return any(text.startswith(p) and len(text) > len(p) for p in _PREFIXES)


def string_literal(e: object) -> str | None:
    """The text of a string literal without interpolation."""
    if isinstance(e, n.Str) and all(isinstance(p, str) for p in e.parts):
        return "".join(p for p in e.parts if isinstance(p, str))
    return None


def _name_of(e: object) -> str | None:
    """``x`` for ``x`` and for ``a.b.x``."""
    if isinstance(e, n.Var):
        return e.name
    if isinstance(e, n.Select) and e.path and isinstance(e.path[-1], n.StaticAttr):
        return e.path[-1].name
    return None


def nodes_of(root: object) -> Iterator[object]:
    """Every node of the tree (expressions, attribute definitions, formals), depth first."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if not n.is_node(node) or isinstance(node, n.Span):
            continue
        children: list[object] = []
        for f in n.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, tuple):
                children.extend(v for v in value if n.is_node(v))
            elif n.is_node(value) and not isinstance(value, n.Span):
                children.append(value)
        stack.extend(reversed(children))
