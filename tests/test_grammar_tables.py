"""The committed parse tables are Lark's analysis of grammar/nix.lark, conflict-free."""

from __future__ import annotations

from nixeval.syntax import grammar


def test_committed_tables_match_the_grammar() -> None:
    fresh = grammar.render(grammar.analyse(grammar.grammar_text()))
    committed = grammar.TABLES_PATH.read_text(encoding="utf-8")
    assert committed == fresh, "grammar changed: run `python -m nixeval.syntax.regenerate`"


def test_loaded_tables_are_the_committed_ones() -> None:
    tables = grammar.load()
    assert tables.grammar_sha256 == grammar.grammar_sha256(grammar.grammar_text())


def test_analysis_is_strict() -> None:
    # analyse() builds with strict=True: a shift/reduce conflict would raise here.
    tables = grammar.analyse(grammar.grammar_text())
    assert tables.actions[tables.start_state]


def test_stale_tables_fall_back_to_the_grammar(monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(
            grammar, "grammar_text", lambda: grammar.GRAMMAR_PATH.read_text() + "\n// edit\n"
        )
        tables = grammar.load()
        assert tables.grammar_sha256 != grammar.grammar_sha256(grammar.GRAMMAR_PATH.read_text())
    finally:
        mp.undo()


def test_every_token_type_the_lexer_makes_is_in_every_row() -> None:
    # The driver looks a token's type up in its state's row without a default: each row
    # holds every terminal (None where the grammar has no action).
    from nixeval.syntax import lexer, parser

    made = (
        set(lexer._PUNCTUATION)
        | set(lexer._OPERATORS)
        | set(lexer.KEYWORDS)
        | {"${", '"'}
        | {
            lexer.ID, lexer.INT, lexer.FLOAT, lexer.STR, lexer.IND_STR, lexer.PATH,
            lexer.HPATH, lexer.SPATH, lexer.URI, lexer.PATH_END, lexer.IND_STRING_OPEN,
            lexer.IND_STRING_CLOSE, lexer.EOF,
        }
    )  # fmt: skip
    rows = parser.automaton().shifts
    assert all(set(row) == made for row in rows)
