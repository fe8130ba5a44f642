"""Parse errors in words: what was found, what was expected, and hints for common mistakes.

The parser knows the token it could not take and the set of terminals its state would
have taken; this module turns those into ``unexpected ']', expected an expression`` and,
by looking at what is still open on the parser's stack, into hints for the mistakes people
make: a missing ``;`` or ``in``, commas between list elements, ``=`` where a function
wants ``:``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from .lexer import EOF, KEYWORDS, Token
from .nodes import Span
from .source import Source

# Terminals that can start an expression (FIRST of `expr`).
_EXPRESSION_START = frozenset(
    ["ID", "INT", "FLOAT", "PATH", "HPATH", "SPATH", "URI", "IND_STRING_OPEN", '"', "(", "[", "{"]
)
_BINARY_OPERATORS = frozenset(
    ["->", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "//", "+", "-", "*", "/", "++", "?"]
)
# Expected tokens worth naming one by one, in the order they are named.
_NAMED = (";", "in", "then", "else", ":", "=", ")", "]", "}", ",", "IND_STRING_CLOSE")
_CLOSERS = {"]": "[", "}": ("{", "${"), ")": "(", "in": "let"}
_COMPARISONS = frozenset(["<", "<=", ">", ">=", "==", "!="])

_TOKEN_WORDS = {
    "ID": "identifier",
    "INT": "integer",
    "FLOAT": "float",
    "PATH": "path",
    "HPATH": "path",
    "SPATH": "search path",
    "URI": "URI",
    "STR": "string",
    "IND_STR": "string",
}


def describe_token(tok: Token, source: Source) -> str:
    if tok.type == EOF:
        return "end of file"
    if tok.type == "IND_STRING_OPEN" or tok.type == "IND_STRING_CLOSE":
        return "\"''\""
    text = source.text[tok.start : tok.end]
    if len(text) > 40:
        text = text[:37] + "..."
    word = _TOKEN_WORDS.get(tok.type)
    return f"{word} '{text}'" if word else f"'{text}'"


def describe_expected(expected: Collection[str]) -> str:
    items = [("''" if e == "IND_STRING_CLOSE" else f"'{e}'") for e in _NAMED if e in expected]
    if expected & _EXPRESSION_START >= {"(", "["}:  # type: ignore[operator]
        items.append("an expression")
    elif "ID" in expected:
        items.append("an attribute name" if "${" in expected else "an identifier")
    if expected & _BINARY_OPERATORS - {"-"}:  # type: ignore[operator]
        items.append("an operator")
    if not items:
        items = sorted(f"'{e}'" for e in expected if e != EOF)
    if EOF in expected:
        items.append("end of file")
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _open_token(values: Sequence[Any]) -> Token | None:
    """The innermost bracket or ``let`` still open among the tokens on the parser's stack."""
    stack: list[Token] = []
    for v in values:
        if not isinstance(v, Token):
            continue
        if v.value in ("[", "{", "(", "${", "let"):
            stack.append(v)
        elif v.value in _CLOSERS and stack and stack[-1].value in _CLOSERS[v.value]:
            stack.pop()
    return stack[-1] if stack else None


def describe_unexpected(
    source: Source, tok: Token, expected: set[str], values: Sequence[Any]
) -> tuple[str, str | None, Span]:
    """The message, a hint (or None) and the span to show for an unexpected token."""
    found = describe_token(tok, source)
    message = f"unexpected {found}, expected {describe_expected(expected)}"
    span = Span(tok.start, max(tok.end, tok.start + (0 if tok.type == EOF else 1)))
    opener = _open_token(values)
    hint: str | None = None
    value = tok.value if isinstance(tok.value, str) else None

    if tok.type in KEYWORDS and tok.type != "or" and "ID" in expected:
        hint = f"'{value}' is a keyword; as an attribute name, quote it: \"{value}\""
    elif value in _COMPARISONS and value not in expected:
        hint = "comparisons do not chain: write `a < b && b < c`"
    elif value == "," and opener is not None and opener.value == "[":
        hint = "list elements are separated by white space, not commas: [ a b c ]"
    elif value == "=" and ":" in expected:
        hint = "a function's arguments are followed by ':', not '=' (as in `{ a, b }: a + b`)"
    elif opener is not None and opener.value == "let" and ("in" in expected or "=" in expected):
        where = source.position(opener.start)
        if ("=" in expected and tok.type in (EOF, "ID")) or value in ("+", "-", "*", "/", "++"):
            hint = (
                f"the 'let' at line {where.line} needs 'in' before its body: `let a = 1; in a + 1`"
            )
        elif "in" in expected and ";" not in expected:
            hint = f"the bindings of the 'let' at line {where.line} must be followed by 'in'"
    if hint is None and ";" in expected:
        if value == "=":
            hint = "is a ';' missing before this binding? Every binding ends with ';'"
        elif tok.type == EOF or value in ("}", "in", "inherit"):
            hint = "is a ';' missing? Every binding ends with ';'"
    if hint is None and tok.type == EOF and opener is not None:
        where = source.position(opener.start)
        hint = f"the '{opener.value}' at line {where.line}, column {where.column} is never closed"
    return message, hint, span
