"""The lexer reproduces Nix 2.8's flex rules: longest match, earliest rule on ties."""

from __future__ import annotations

import pytest

from nixeval.syntax.lexer import IndStr, LexError, tokenize, unescape
from nixeval.syntax.source import Source


def kinds(text: str) -> list[tuple[str, object]]:
    return [(t.type, t.value) for t in tokenize(Source("t.nix", text))][:-1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("if ifx", [("if", "if"), ("ID", "ifx")]),
        ("or", [("or", "or")]),
        ("a-b'c_", [("ID", "a-b'c_")]),
        ("1e3", [("INT", 1), ("ID", "e3")]),
        ("1.5 .5 2. 1.0e-2", [("FLOAT", 1.5), ("FLOAT", 0.5), ("FLOAT", 2.0), ("FLOAT", 0.01)]),
        ("0.", [("INT", 0), (".", ".")]),
        ("x:x", [("URI", "x:x")]),
        ("x: x", [("ID", "x"), (":", ":"), ("ID", "x")]),
        ("a/b", [("PATH", "a/b"), ("PATH_END", None)]),
        ("a / b", [("ID", "a"), ("/", "/"), ("ID", "b")]),
        ("a.b/c", [("PATH", "a.b/c"), ("PATH_END", None)]),
        ("a//b", [("ID", "a"), ("//", "//"), ("ID", "b")]),
        ("<nixpkgs/lib>", [("SPATH", "nixpkgs/lib")]),
        ("a<b", [("ID", "a"), ("<", "<"), ("ID", "b")]),
        ("~/x", [("HPATH", "~/x"), ("PATH_END", None)]),
        ("...", [("...", "...")]),
        ("->", [("->", "->")]),
        (
            "./a/${b}.nix",
            [
                ("PATH", "./a/"),
                ("${", "${"),
                ("ID", "b"),
                ("}", "}"),
                ("STR", ".nix"),
                ("PATH_END", None),
            ],
        ),
        ("./${b}", [("PATH", "./"), ("${", "${"), ("ID", "b"), ("}", "}"), ("PATH_END", None)]),
        ('"a$"', [('"', '"'), ("STR", "a$"), ('"', '"')]),
        ('"$${x}"', [('"', '"'), ("STR", "$${x}"), ('"', '"')]),
        ('"\\${x}"', [('"', '"'), ("STR", "${x}"), ('"', '"')]),
        ('"a\r\nb"', [('"', '"'), ("STR", "a\nb"), ('"', '"')]),
        (
            "''a'''$''\\n''",
            [
                ("IND_STRING_OPEN", None),
                ("IND_STR", IndStr("a", True)),
                ("IND_STR", IndStr("''", False)),
                ("IND_STR", IndStr("$", False)),
                ("IND_STR", IndStr("\n", False)),
                ("IND_STRING_CLOSE", None),
            ],
        ),
        ("# c\n/* d */ 1", [("INT", 1)]),
        ("1\x002 )", [("INT", 1)]),
    ],
)
def test_tokens(text: str, expected: list[tuple[str, object]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"abc', "unterminated string"),
        ("''abc", "unterminated indented string"),
        ('"${a', "unclosed '${'"),
        ("{ a = 1;", "unclosed '{'"),
        ("./a/", "path has a trailing slash"),
        ("/* x", "unterminated comment"),
        ("1 ~ 2", "unexpected character '~'"),
        ("99999999999999999999", "invalid integer '99999999999999999999'"),
        ("1.0e-400", "invalid float '1.0e-400'"),
    ],
)
def test_lex_errors(text: str, message: str) -> None:
    with pytest.raises(LexError) as info:
        list(tokenize(Source("t.nix", text)))
    assert info.value.message == message


def test_unescape() -> None:
    assert unescape(r"a\nb\tc\rd\"e\\f\qg") == 'a\nb\tc\rd"e\\fqg'
    assert unescape("a\r\nb\rc") == "a\nb\nc"
