"""Nix 2.8's own first line for a syntax error, for nix-instantiate's modes (``--parse``,
``--eval``), where scripts look for it: ``syntax error, unexpected ';', expecting ELSE``,
``path has a trailing slash``, ``invalid integer '…'``.

ci-eval's parser says what it found and expected in its own words (`nixeval.syntax.errors`)
from its own grammar's tables. Nix's words come from its Bison parser, and depend on the
states of that automaton, so here a model of it runs over the same tokens: a grammar of the
Nix language written in the shape Nix 2.8's parser has (how the rules are factored, the
token names and their order, the precedence table, and the two conflicts after ``{`` that
its GLR parser resolves by trying both readings), put through `bison`. Every choice is
checked against ``nix-instantiate --parse`` by tests/test_nix_syntax_errors.py. It runs
only when an error is to be told in Nix's words.

The tokens are ci-eval's lexer's (a rewrite of Nix's scanner), renamed; where Nix's scanner
does not fail and ci-eval's does (a string open at the end, an unterminated comment, a
stray character), the token Nix's scanner returns takes its place.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import bison
from .lexer import EOF, KEYWORDS, STR, Lexer, LexError, Token
from .source import Source

# Tokens in the order Nix's parser numbers them (the order of an "expecting" list).
_TOKENS = [
    *(bison.END, bison.UNDEFINED, "ID", "STR", "IND_STR", "INT", "FLOAT"),
    *("PATH", "HPATH", "SPATH", "PATH_END", "URI", "IF", "THEN", "ELSE", "ASSERT", "WITH"),
    *("LET", "IN", "REC", "INHERIT", "EQ", "NEQ", "AND", "OR", "IMPL", "OR_KW"),
    *("DOLLAR_CURLY", "IND_STRING_OPEN", "IND_STRING_CLOSE", "ELLIPSIS", "<", ">", "LEQ"),
    *("GEQ", "UPDATE", "NOT", "+", "-", "*", "/", "CONCAT", "?", "NEGATE", ":", "{", "}"),
    *("@", ";", "!", ".", '"', "(", ")", "[", "]", "=", ","),
]
_PRECEDENCE = [
    ("right", ["IMPL"]),
    ("left", ["OR"]),
    ("left", ["AND"]),
    ("nonassoc", ["EQ", "NEQ"]),
    ("nonassoc", ["<", ">", "LEQ", "GEQ"]),
    ("right", ["UPDATE"]),
    ("left", ["NOT"]),
    ("left", ["+", "-"]),
    ("left", ["*", "/"]),
    ("right", ["CONCAT"]),
    ("nonassoc", ["?"]),
    ("nonassoc", ["NEGATE"]),
]


def _rules() -> list[bison.Rule]:
    """The grammar: ``lhs: alternative | alternative`` lines, ``%prec T`` where a rule
    takes the precedence of a token it does not end with, ``-`` for an empty one."""
    text = """
    start: expr
    expr: function
    function: ID ':' function
            | '{' formals '}' ':' function
            | '{' formals '}' '@' ID ':' function
            | ID '@' '{' formals '}' ':' function
            | ASSERT expr ';' function
            | WITH expr ';' function
            | LET binds IN function
            | if
    if: IF expr THEN expr ELSE expr
      | op
    op: '!' op %prec NOT
      | '-' op %prec NEGATE
      | op EQ op | op NEQ op | op '<' op | op LEQ op | op '>' op | op GEQ op
      | op AND op | op OR op | op IMPL op | op UPDATE op
      | op '?' attrpath
      | op '+' op | op '-' op | op '*' op | op '/' op | op CONCAT op
      | app
    app: app select
       | select
    select: simple '.' attrpath
          | simple '.' attrpath OR_KW select
          | simple OR_KW
          | simple
    simple: ID | INT | FLOAT
          | '"' string_parts '"'
          | IND_STRING_OPEN ind_string_parts IND_STRING_CLOSE
          | path_start PATH_END
          | path_start interpolated PATH_END
          | SPATH | URI
          | '(' expr ')'
          | LET '{' binds '}'
          | REC '{' binds '}'
          | '{' binds '}'
          | '[' list ']'
    string_parts: STR | interpolated | -
    interpolated: interpolated STR
                | interpolated DOLLAR_CURLY expr '}'
                | DOLLAR_CURLY expr '}'
                | STR DOLLAR_CURLY expr '}'
    path_start: PATH | HPATH
    ind_string_parts: ind_string_parts IND_STR
                    | ind_string_parts DOLLAR_CURLY expr '}'
                    | -
    binds: binds attrpath '=' expr ';'
         | binds INHERIT attrs ';'
         | binds INHERIT '(' expr ')' attrs ';'
         | -
    attrs: attrs attr | attrs string_attr | -
    attrpath: attrpath '.' attr | attrpath '.' string_attr | attr | string_attr
    attr: ID | OR_KW
    string_attr: '"' string_parts '"' | DOLLAR_CURLY expr '}'
    list: list select | -
    formals: formal ',' formals | formal | - | ELLIPSIS
    formal: ID | ID '?' expr
    """
    rules: list[bison.Rule] = []
    lhs = ""
    for line in text.strip().splitlines():
        head, colon, body = line.partition(": ")
        if colon and " " not in head.strip():
            lhs = head.strip()
        else:
            body = line.strip().removeprefix("|")
        for alternative in body.split(" | "):
            symbols = alternative.split()
            named = None
            if "%prec" in symbols:
                named = symbols[-1]
                symbols = symbols[:-2]
            rhs = tuple(s.strip("'") if s.startswith("'") else s for s in symbols if s != "-")
            rules.append((lhs, rhs, named))
    return rules


TABLES_PATH = Path(__file__).resolve().parent / "_nix_error_tables.py"

_automaton: bison.Automaton | None = None
_lock = threading.Lock()


def _model() -> bison.Automaton:
    """The model's automaton: the generated tables when they are the model's as it is
    now, else built here (~0.15 s)."""
    global _automaton
    with _lock:
        if _automaton is None:
            made: Any
            try:
                from . import _nix_error_tables as made
            except ImportError:
                made = None
            if made is not None and fingerprint() == made.FINGERPRINT:
                _automaton = bison.Automaton(
                    made.RULES, made.ACTIONS, made.CONFLICTS, made.DEFAULTS, made.GOTOS, made.ORDER
                )
            else:
                _automaton = _build()
        return _automaton


def _build() -> bison.Automaton:
    return bison.build(_rules(), "start", _TOKENS, _PRECEDENCE)


def fingerprint() -> str:
    """What the tables are made from: the model and the code that builds them."""
    made_by = Path(bison.__file__).read_text(encoding="utf-8")
    model = repr((_rules(), _TOKENS, _PRECEDENCE))
    return hashlib.sha256((model + made_by).encode("utf-8")).hexdigest()


def render_tables() -> str:
    """The text of `_nix_error_tables.py` for the model as it is."""
    import pprint  # only when regenerating: it imports `dataclasses` (~10 ms)

    a = _build()

    def show(value: object) -> str:
        return pprint.pformat(value, width=100, compact=True)

    return (
        '"""Generated from nix_syntax_errors.py by ``python -m nixeval.syntax.regenerate``.'
        ' Do not edit."""\n\n'
        "# ruff: noqa\n# mypy: ignore-errors\n# fmt: off\n\n"
        f"FINGERPRINT = {fingerprint()!r}\n"
        f"RULES = {show(a.rules)}\n"
        f"ACTIONS = {show(a.actions)}\n"
        f"CONFLICTS = {show(a.conflicts)}\n"
        f"DEFAULTS = {show(a.defaults)}\n"
        f"GOTOS = {show(a.gotos)}\n"
        f"ORDER = {show(a.order)}\n"
    )


# How messages name tokens: a character in quotes, the others by name.
_NAMES = {bison.END: "end of file", bison.UNDEFINED: "invalid token"} | {
    t: f"'{t}'" for t in _TOKENS if len(t) == 1 and not t.isalnum()
}
# ci-eval's token types that Nix names differently.
_RENAMED = {
    "${": "DOLLAR_CURLY",
    "==": "EQ",
    "!=": "NEQ",
    "&&": "AND",
    "||": "OR",
    "->": "IMPL",
    "//": "UPDATE",
    "++": "CONCAT",
    "<=": "LEQ",
    ">=": "GEQ",
    "...": "ELLIPSIS",
    "or": "OR_KW",
    EOF: bison.END,
} | {k: k.upper() for k in KEYWORDS if k != "or"}
# What ci-eval's lexer says where Nix's scanner has its own error: the same words.
_SCANNER_ERRORS = ("path has a trailing slash", "invalid integer ", "invalid float ")


def nix_syntax_message(source: Source) -> str | None:
    """Nix 2.8's message for the syntax error in `source`, or None when its model finds
    none (the error is not one of the parser's or its scanner's)."""
    try:
        bison.run(_model(), _nix_tokens(source), _NAMES)
    except bison.Rejected as rejected:
        return rejected.message
    except _ScannerError as error:
        return str(error)
    return None


class _ScannerError(Exception):
    """An error of Nix's scanner, in its words."""


def _nix_tokens(source: Source) -> Iterator[str]:
    """The tokens Nix's scanner gives for `source`, read as the parser asks for them (so
    that, as in Nix, a scanner error after the syntax error is never met)."""
    lexer = Lexer(source)
    last: Token | None = None
    while True:
        try:
            for last in lexer.tokens():
                yield _RENAMED.get(last.type, last.type)
            return
        except LexError as error:
            if error.message.startswith(_SCANNER_ERRORS):
                raise _ScannerError(error.message) from None
            comment = error.message == "unterminated comment"
            if not comment and error.message.startswith(("unterminated", "unclosed")):
                # Nix's scanner ends the text there, open or not; a "…" string's text
                # ending in a lone dollar or backslash is two STR tokens to it.
                if (
                    last is not None
                    and last.type == STR
                    and last.end == len(lexer.text)
                    and _STRING_END.fullmatch(lexer.text, last.start, last.end)
                ):
                    yield STR
                yield bison.END
                return
            # An unterminated comment is '/' then '*' to Nix; a character it has no
            # token for is an invalid token. Lexing goes on after either.
            yield "/" if comment else bison.UNDEFINED
            resumed = Lexer(source)
            resumed.pos = error.start + 1
            resumed.modes, resumed.openers = lexer.modes, lexer.openers
            lexer = resumed


# The text of a "…" string that runs to the end of the input, when Nix's scanner makes two
# tokens of it: its longest run of string characters, then what is left at the end (a
# lone dollar, backslash, or dollar and backslash: a token of its own).
_STRING_END = re.compile(r'(?:[^$"\\]|\$[^{"\\]|\\[\s\S]|\$\\[\s\S])+(?:\$\\?|\\)')
