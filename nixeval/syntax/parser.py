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
from dataclasses import dataclass
from typing import Any

from . import nodes as n
from .errors import describe_unexpected
from .grammar import Tables, load
from .lexer import EOF, LexError, Token, tokenize
from .lower import Lowering, SyntaxProblem
from .nodes import Span
from .source import Source


@dataclass(frozen=True, slots=True)
class ParseIssue:
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


def parse_source(source: Source) -> n.Expr:
    """Parse one Nix expression; raise SyntaxFailure on the first error, as Nix does."""
    t = tables()
    actions, rules, literals = t.actions, t.rules, t.literals
    lowering = Lowering()
    callbacks = {name: getattr(lowering, name) for name in {r.callback for r in rules} if name}
    states: list[int] = [t.start_state]
    values: list[Any] = []
    tokens = tokenize(source)
    try:
        for tok in tokens:
            kind = literals.get(tok.type, tok.type) if tok.type != EOF else EOF
            while True:
                action = actions[states[-1]].get(kind)
                if action is None:
                    raise SyntaxFailure(source, _unexpected(source, t, states, values, tok, kind))
                if action >= 0:
                    states.append(action)
                    values.append(tok)
                    break
                rule = rules[-1 - action]
                if rule.size:
                    children = values[-rule.size :]
                    del values[-rule.size :]
                    del states[-rule.size :]
                else:
                    children = []
                if any(type(c) is _Splice for c in children):
                    flat: list[Any] = []
                    for c in children:
                        if type(c) is _Splice:
                            flat.extend(c)
                        else:
                            flat.append(c)
                    children = flat
                if rule.splice:
                    value: Any = _Splice(children)
                elif rule.callback is not None:
                    value = callbacks[rule.callback](children)
                elif rule.expand1 and len(children) == 1:
                    value = children[0]
                else:  # pragma: no cover - the grammar gives every other rule an alias
                    raise AssertionError(f"rule {rule.origin} has no callback")
                goto = actions[states[-1]][rule.origin]
                states.append(goto)
                values.append(value)
                if kind == EOF and goto == t.end_state:
                    result: n.Expr = values[-1]
                    return result
    except LexError as e:
        raise SyntaxFailure(
            source, ParseIssue("E001", e.message, Span(e.start, e.end), hint=e.hint)
        ) from None
    except SyntaxProblem as e:
        raise SyntaxFailure(
            source, ParseIssue(_problem_code(e.message), e.message, e.span, e.related)
        ) from None
    raise AssertionError("the token stream ended without an end-of-file token")


def _problem_code(message: str) -> str:
    if message.startswith("attribute"):
        return "E003"
    if message.startswith("duplicate formal"):
        return "E004"
    return "E005"


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
