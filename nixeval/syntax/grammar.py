"""grammar/nix.lark through Lark's LALR(1) analysis, into the tables the parser runs on.

Lark computes the LALR(1) automaton from the grammar (``strict=True``: any shift/reduce or
reduce/reduce conflict is an error, so every conflict is a decision written in the grammar).
Importing Lark and analysing the grammar costs ~0.2 s, too much for each ``ci-eval`` run, so
the result is kept in ``_lalr_tables.py`` (generated, committed) together with the grammar's
SHA-256. The parser uses those tables when the hash matches the grammar it can see, and
falls back to analysing the grammar here when it does not (someone edited the grammar and
did not regenerate); ``tests/test_grammar_tables.py`` fails until they regenerate.

Regenerate with ``python -m nixeval.syntax.regenerate``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..records import Record

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "_data" / "grammar" / "nix.lark"
TABLES_PATH = Path(__file__).resolve().parent / "_lalr_tables.py"


class Rule(Record):
    """One production: what it reduces to and how its children are shaped.

    callback: the lowering method to call (the alias, else the rule name), or None when the
    rule only passes a lone child through (`?rule`) or splices its children (`_rule`).
    splice_children: some child may be a splice to flatten (known from the grammar, so the
    parser need not look for one on every reduction).
    """

    origin: str
    size: int
    callback: str | None
    expand1: bool
    splice: bool
    splice_children: bool


class Tables(Record):
    """The LALR(1) automaton: actions[state][symbol] = shift/goto state (>= 0) or
    reduce rule ``-1 - action`` (< 0); literals maps a keyword or punctuation text to its
    terminal name."""

    grammar_sha256: str
    start_state: int
    end_state: int
    rules: tuple[Rule, ...]
    actions: tuple[dict[str, int], ...]
    literals: dict[str, str]


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")


def grammar_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def analyse(text: str) -> Tables:
    """Run Lark's LALR(1) analysis on the grammar text."""
    import lark
    from lark.lexer import Lexer

    class _NoLexer(Lexer):
        """Tokens come from nixeval.syntax.lexer; Lark only analyses the grammar."""

        def __init__(self, conf: object) -> None:
            pass

        def lex(self, lexer_state: Any, parser_state: Any) -> Any:
            raise NotImplementedError

    parser = lark.Lark(
        text,
        parser="lalr",
        lexer=_NoLexer,
        strict=True,
        keep_all_tokens=True,
        maybe_placeholders=False,
    )
    table = parser.parser.parser.parser.parse_table
    # Lark numbers states and orders rules by set iteration, which changes with Python's hash
    # seed; renumber both canonically so the generated file is a function of the grammar.
    ordered_rules = sorted(
        parser.rules,
        key=lambda r: (r.origin.name, [s.name for s in r.expansion], r.alias or ""),
    )
    rule_index = {rule: i for i, rule in enumerate(ordered_rules)}
    splicing = {str(r.origin.name) for r in ordered_rules if _splices(r)}
    rules = tuple(
        Rule(
            origin=str(rule.origin.name),
            size=len(rule.expansion),
            callback=_callback_name(rule),
            expand1=bool(rule.options.expand1),
            splice=_splices(rule),
            splice_children=any(str(sym.name) in splicing for sym in rule.expansion),
        )
        for rule in ordered_rules
    )
    start = table.start_states["start"]
    order = [start]
    number = {start: 0}
    for state in order:  # breadth-first over shifts and gotos, symbols in sorted order
        for _symbol, (action, arg) in sorted(table.states[state].items()):
            if action.name == "Shift" and arg not in number:
                number[arg] = len(order)
                order.append(arg)
    actions: list[dict[str, int]] = []
    for state in order:
        row: dict[str, int] = {}
        for symbol, (action, arg) in sorted(table.states[state].items()):
            row[str(symbol)] = number[arg] if action.name == "Shift" else -1 - rule_index[arg]
        actions.append(row)
    literals = {
        term.pattern.value: term.name
        for term in parser.terminals
        if type(term.pattern).__name__ == "PatternStr"
    }
    return Tables(
        grammar_sha256=grammar_sha256(text),
        start_state=0,
        end_state=number[table.end_states["start"]],
        rules=rules,
        actions=tuple(actions),
        literals=literals,
    )


def _splices(rule: Any) -> bool:
    return rule.alias is None and str(rule.origin.name).startswith("_")


def _callback_name(rule: object) -> str | None:
    """The alias, else the rule's name, except for pass-through and splicing rules."""
    alias = getattr(rule, "alias", None)
    if alias:
        return str(alias)
    origin = str(rule.origin.name)  # type: ignore[attr-defined]
    if origin.startswith("_") or rule.options.expand1:  # type: ignore[attr-defined]
        return None
    return origin


def render(tables: Tables) -> str:
    """The Python source of _lalr_tables.py for these tables."""
    import pprint  # only when regenerating: it imports `dataclasses` (~10 ms)

    rules = [
        (r.origin, r.size, r.callback, r.expand1, r.splice, r.splice_children) for r in tables.rules
    ]
    return (
        '"""Generated from grammar/nix.lark by ``python -m nixeval.syntax.regenerate``.'
        ' Do not edit."""\n\n'
        f"GRAMMAR_SHA256 = {tables.grammar_sha256!r}\n"
        f"START_STATE = {tables.start_state!r}\n"
        f"END_STATE = {tables.end_state!r}\n"
        f"LITERALS = {pprint.pformat(tables.literals, width=100)}\n"
        f"RULES = {pprint.pformat(rules, width=100)}\n"
        f"ACTIONS = {pprint.pformat(list(tables.actions), width=100, compact=True)}\n"
    )


def load() -> Tables:
    """The tables for the grammar in use: generated ones if current, else analysed now."""
    text = grammar_text() if GRAMMAR_PATH.exists() else None
    try:
        from . import _lalr_tables as gen
    except ImportError:
        gen = None  # type: ignore[assignment]
    if gen is not None and (text is None or grammar_sha256(text) == gen.GRAMMAR_SHA256):
        return Tables(
            grammar_sha256=gen.GRAMMAR_SHA256,
            start_state=gen.START_STATE,
            end_state=gen.END_STATE,
            rules=tuple(Rule(*r) for r in gen.RULES),
            actions=tuple(gen.ACTIONS),
            literals=gen.LITERALS,
        )
    if text is None:
        raise RuntimeError(f"neither {TABLES_PATH.name} nor {GRAMMAR_PATH} is available")
    return analyse(text)
