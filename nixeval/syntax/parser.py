"""The LALR(1) driver: lexer tokens through the grammar's tables into the lowering.

The driver is the textbook loop (a state stack and a value stack, shift or reduce until
the input is accepted) over the automaton Lark computed from grammar/nix.lark (see
`nixeval.syntax.grammar`). It is iterative, so a 10,000-deep expression costs no Python
stack. Children are shaped as Lark shapes them: a `?rule` with a lone child passes it
through, a `_rule` splices its children into its parent, any other rule calls the
lowering method named by its alias.

Every failure becomes a `SyntaxFailure` carrying one positioned `ParseIssue`; the words
for what was found and what was expected, and the hints for common mistakes, are in
`nixeval.syntax.errors`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ..records import Record
from . import nodes as n
from .errors import describe_unexpected
from .grammar import Tables, load
from .lexer import EOF, LexError, Token, tokenize
from .lower import Lowering, SyntaxProblem
from .nodes import Span
from .source import Source


class ParseIssue(Record):
    """One parse error: a message, where, optional labelled spans, and a hint."""

    code: str
    message: str
    span: Span
    related: tuple[tuple[Span, str], ...] = ()
    hint: str | None = None


class SyntaxFailure(Exception):
    """The source is not a Nix expression; `issue` says where and why."""

    def __init__(self, source: Source, issue: ParseIssue) -> None:
        super().__init__(issue.message)
        self.source = source
        self.issue = issue


class _Splice(list[Any]):
    """Children of a `_rule`, to be spliced into the parent's children."""


_tables: Tables | None = None
_tables_lock = threading.Lock()


def tables() -> Tables:
    global _tables
    if _tables is None:
        with _tables_lock:
            if _tables is None:
                _tables = load()
    return _tables


# How a reduction shapes its children (see the module docstring).
_UNIT, _SPLICE, _CALL, _PASS = range(4)

# A rule as the driver runs it: origin, size, shaping, lowering method, splice_children.
_Step = tuple[str, int, int, Any, bool]

# (state below, top state, lookahead) -> the top state after the chain of unit reductions
# the lookahead makes there (see `_unit_chain`); filled as parses meet them.
_unit_chains: dict[tuple[int, int, str], int] = {}


def parse_source(source: Source) -> n.Expr:
    """Parse one Nix expression; raise SyntaxFailure on the first error, as Nix does."""
    t = tables()
    actions, literals, end_state = t.actions, t.literals, t.end_state
    lowering = Lowering()
    plan: list[_Step] = [
        (
            r.origin,
            r.size,
            _UNIT
            if r.expand1 and r.size == 1 and r.callback is None
            else _SPLICE
            if r.splice
            else _CALL
            if r.callback is not None
            else _PASS,
            getattr(lowering, r.callback) if r.callback else None,
            r.splice_children,
        )
        for r in t.rules
    ]
    unit_chains = _unit_chains
    states: list[int] = [t.start_state]
    values: list[Any] = []
    try:
        for tok in tokenize(source):
            kind = literals.get(tok.type, tok.type)
            while True:
                action = actions[states[-1]].get(kind)
                if action is None:
                    raise SyntaxFailure(source, _unexpected(source, t, states, values, tok, kind))
                if action >= 0:
                    states.append(action)
                    values.append(tok)
                    break
                origin, size, mode, callback, flatten = plan[-1 - action]
                if mode == _UNIT:
                    # `?rule` with one child: the value stays, only the state changes. Most
                    # reductions are these, in chains as long as the precedence levels
                    # (`x;` climbs from `simple` to `expr`); the state a whole chain ends
                    # in depends only on the state below, the top state and the lookahead,
                    # so it is computed once and looked up after that.
                    key = (states[-2], states[-1], kind)
                    goto = unit_chains.get(key, -1)
                    if goto < 0:
                        goto = unit_chains[key] = _unit_chain(t, plan, key)
                    states[-1] = goto
                else:
                    if size:
                        children = values[-size:]
                        del values[-size:]
                        del states[-size:]
                    else:
                        children = []
                    if flatten:
                        children = _flatten(children)
                    if mode == _SPLICE:
                        value: Any = children if type(children) is _Splice else _Splice(children)
                    elif mode == _CALL:
                        assert callback is not None
                        value = callback(children)
                    elif len(children) == 1:
                        value = children[0]
                    else:  # pragma: no cover - the grammar names every other rule
                        raise AssertionError(f"rule {origin} has no callback")
                    goto = actions[states[-1]][origin]
                    states.append(goto)
                    values.append(value)
                if kind == EOF and goto == end_state:
                    result: n.Expr = values[-1]
                    return result
    except LexError as e:
        raise SyntaxFailure(
            source, ParseIssue("E001", e.message, Span(e.start, e.end), hint=e.hint)
        ) from None
    except SyntaxProblem as e:
        message = e.message
        if e.at_first:
            message += f" at {source.nix_position(e.related[0][0].start)}"
        raise SyntaxFailure(source, ParseIssue(e.code, message, e.span, e.related)) from None
    raise AssertionError("the token stream ended without an end-of-file token")


def _unit_chain(t: Tables, plan: list[_Step], key: tuple[int, int, str]) -> int:
    """The top state after the unit reductions that `key`'s lookahead triggers in a row,
    from `key`'s top state over `key`'s state below (which they never pop)."""
    below, top, kind = key
    actions = t.actions
    while True:
        action = actions[top].get(kind)
        if action is None or action >= 0:
            return top
        origin, _, mode, _, _ = plan[-1 - action]
        if mode != _UNIT:
            return top
        top = actions[below][origin]


def _flatten(children: list[Any]) -> list[Any]:
    """Children with splices spliced in. A left-recursive list rule (``xs: xs x``) gets its
    own earlier splice back as the first child: it is extended in place, so a list of n
    elements costs O(n), not O(n²)."""
    first = children[0]
    if type(first) is _Splice:
        flat = first
        rest = children[1:]
    else:
        flat = _Splice()
        rest = children
    for c in rest:
        if type(c) is _Splice:
            flat.extend(c)
        else:
            flat.append(c)
    return flat


def _unexpected(
    source: Source,
    t: Tables,
    states: Sequence[int],
    values: Sequence[Any],
    tok: Token,
    kind: str,
) -> ParseIssue:
    # LALR states reduce by default on tokens that fail later; keep only the terminals the
    # parser can really take here, after the reductions they would trigger.
    candidates = {sym for sym in t.actions[states[-1]] if sym == EOF or sym.isupper()}
    expected = {sym for sym in candidates if _accepts(t, states, sym)}
    names = {v: k for k, v in t.literals.items()}
    message, hint, span = describe_unexpected(
        source, tok, {names.get(e, e) for e in expected}, values
    )
    return ParseIssue("E002", message, span, hint=hint)


def _accepts(t: Tables, states: Sequence[int], kind: str) -> bool:
    """Whether the parser, from this stack, shifts `kind` after the reductions it makes."""
    stack = list(states)
    while True:
        action = t.actions[stack[-1]].get(kind)
        if action is None:
            return False
        if action >= 0 or (kind == EOF and stack[-1] == t.end_state):
            return True
        rule = t.rules[-1 - action]
        if rule.size:
            del stack[-rule.size :]
        goto = t.actions[stack[-1]][rule.origin]
        if kind == EOF and goto == t.end_state:
            return True
        stack.append(goto)
