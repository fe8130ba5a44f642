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

# A rule as the driver runs it: origin, size, shaping, lowering method (its name in
# `_Automaton.steps`), splice_children.
_Step = tuple[str, int, int, Any, bool]


class _Automaton:
    """The tables in the form the driver's loop reads fastest (made once per process).

    - `shifts[state]` maps a token's own type (``"{"``, ``"if"``, ``ID``) to a shift (>= 0),
      a reduction (< 0) or None (a syntax error): the grammar's terminal names are
      translated once here, not on every token, and every row holds every terminal, so
      the lookup needs no default.
    - `gotos[state]` maps a rule's origin to the state after reducing to it.
    - `steps[action]`, for a reduction ``action = -1 - i``, is rule i's `_Step`: the list
      is reversed, so Python's negative index finds it without arithmetic.
    - `unit_chains` maps (state below, top state, token type) to the top state after the
      chain of unit reductions the token makes there (see `_unit_chain`); filled as
      parses meet them.
    """

    __slots__ = ("end_state", "gotos", "shifts", "start_state", "steps", "unit_chains")

    def __init__(self, t: Tables) -> None:
        types = {name: text for text, name in t.literals.items()}
        origins = {r.origin for r in t.rules}
        terminals = {sym for row in t.actions for sym in row if sym not in origins}
        no_action = dict.fromkeys(sorted(types.get(sym, sym) for sym in terminals))
        self.shifts: list[dict[str, int | None]] = []
        self.gotos: list[dict[str, int]] = []
        for row in t.actions:  # (one pass over the entries: this runs in every process)
            shifts, gotos = no_action.copy(), {}
            for sym, action in row.items():
                if sym in origins:
                    gotos[sym] = action
                else:
                    shifts[types.get(sym, sym)] = action
            self.shifts.append(shifts)
            self.gotos.append(gotos)
        steps: list[_Step] = [
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
                r.callback,
                r.splice_children,
            )
            for r in t.rules
        ]
        steps.reverse()
        self.steps = steps
        self.start_state = t.start_state
        self.end_state = t.end_state
        self.unit_chains: dict[tuple[int, int, str], int] = {}


_automaton: _Automaton | None = None


def automaton() -> _Automaton:
    global _automaton
    if _automaton is None:
        t = tables()  # (takes the lock itself)
        with _tables_lock:
            if _automaton is None:
                _automaton = _Automaton(t)
    return _automaton


def parse_source(source: Source) -> n.Expr:
    """Parse one Nix expression; raise SyntaxFailure on the first error, as Nix does."""
    a = automaton()
    shifts, gotos, unit_chains = a.shifts, a.gotos, a.unit_chains
    lowering = Lowering()
    steps: list[_Step] = [
        (origin, size, mode, getattr(lowering, name) if name else None, flatten)
        for origin, size, mode, name, flatten in a.steps
    ]
    states: list[int] = [a.start_state]
    values: list[Any] = []
    try:
        for tok in tokenize(source):
            kind = tok.type
            while True:
                action = shifts[states[-1]][kind]
                if action is None:
                    if kind == EOF and states[-1] == a.end_state:
                        result: n.Expr = values[-1]
                        return result
                    raise SyntaxFailure(source, _unexpected(source, states, values, tok))
                if action >= 0:
                    states.append(action)
                    values.append(tok)
                    break
                origin, size, mode, callback, flatten = steps[action]
                if mode == _UNIT:
                    # `?rule` with one child: the value stays, only the state changes. Most
                    # reductions are these, in chains as long as the precedence levels
                    # (`x;` climbs from `simple` to `expr`); the state a whole chain ends
                    # in depends only on the state below, the top state and the lookahead,
                    # so it is computed once and looked up after that.
                    key = (states[-2], states[-1], kind)
                    goto = unit_chains.get(key, -1)
                    if goto < 0:
                        goto = unit_chains[key] = _unit_chain(a, key)
                    states[-1] = goto
                elif size == 1:
                    # A third of all reductions (a name, a number, a list's first element):
                    # the child is replaced where it stands.
                    child = values[-1]
                    if mode == _CALL:
                        value: Any = callback(
                            child if flatten and type(child) is _Splice else [child]
                        )
                    elif mode == _SPLICE:
                        value = child if type(child) is _Splice else _Splice((child,))
                    else:  # _PASS: the lone child passes through
                        value = child
                    states[-1] = gotos[states[-2]][origin]
                    values[-1] = value
                elif size == 2 and mode == _SPLICE:
                    # A list's next element (``xs: xs x``): the list is extended in place.
                    child = values.pop()
                    del states[-1]
                    first = values[-1]
                    value = first if type(first) is _Splice else _Splice((first,))
                    if type(child) is _Splice:
                        value.extend(child)
                    else:
                        value.append(child)
                    states[-1] = gotos[states[-2]][origin]
                    values[-1] = value
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
                        value = children if type(children) is _Splice else _Splice(children)
                    elif mode == _CALL:
                        value = callback(children)
                    else:  # pragma: no cover - the grammar names every other rule
                        raise AssertionError(f"rule {origin} has no callback")
                    states.append(gotos[states[-1]][origin])
                    values.append(value)
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


def _unit_chain(a: _Automaton, key: tuple[int, int, str]) -> int:
    """The top state after the unit reductions that `key`'s lookahead triggers in a row,
    from `key`'s top state over `key`'s state below (which they never pop)."""
    below, top, kind = key
    while True:
        action = a.shifts[top].get(kind)
        if action is None or action >= 0:
            return top
        origin, _, mode, _, _ = a.steps[action]
        if mode != _UNIT:
            return top
        top = a.gotos[below][origin]


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
    source: Source, states: Sequence[int], values: Sequence[Any], tok: Token
) -> ParseIssue:
    # LALR states reduce by default on tokens that fail later; keep only the terminals the
    # parser can really take here, after the reductions they would trigger.
    t = tables()
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
