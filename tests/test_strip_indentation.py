"""Nix's stripIndentation, which the lowering applies to ''…'' strings line by line, agrees
with its definition read character by character (as Nix's parser.y writes it)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nixeval.syntax.lexer import IndStr, Token
from nixeval.syntax.lower import _Interp, strip_indentation
from nixeval.syntax.nodes import Span, Var


def _by_character(pieces: list[IndStr | Var]) -> list[str | Var]:
    at_line_start, min_indent, cur_indent = True, 1_000_000, 0
    for p in pieces:
        if not isinstance(p, IndStr) or not p.raw:
            if at_line_start:
                at_line_start = False
                min_indent = min(min_indent, cur_indent)
            continue
        for ch in p.text:
            if at_line_start:
                if ch == " ":
                    cur_indent += 1
                elif ch == "\n":
                    cur_indent = 0
                else:
                    at_line_start = False
                    min_indent = min(min_indent, cur_indent)
            elif ch == "\n":
                at_line_start, cur_indent = True, 0
    out: list[str | Var] = []
    at_line_start, dropped = True, 0
    for i, p in enumerate(pieces):
        if not isinstance(p, IndStr):
            at_line_start, dropped = False, 0
            out.append(p)
            continue
        buf = []
        for ch in p.text:
            if at_line_start:
                if ch == " ":
                    if dropped >= min_indent:
                        buf.append(ch)
                    dropped += 1
                elif ch == "\n":
                    dropped = 0
                    buf.append(ch)
                else:
                    at_line_start, dropped = False, 0
                    buf.append(ch)
            else:
                buf.append(ch)
                at_line_start = ch == "\n"
        text = "".join(buf)
        cut = text.rfind("\n")
        if i == len(pieces) - 1 and cut >= 0 and text[cut + 1 :].strip(" ") == "":
            text = text[: cut + 1]
        out.append(text)
    return out


_piece = st.one_of(
    st.builds(IndStr, st.text(alphabet=" \n\tab$'", max_size=12), st.booleans()),
    st.just(Var(Span(0, 1), "x")),
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_piece, max_size=6))
def test_line_by_line_is_character_by_character(pieces: list[IndStr | Var]) -> None:
    children = [
        Token("IND_STR", p, 0, 1) if isinstance(p, IndStr) else _Interp(Span(0, 1), p)
        for p in pieces
    ]
    assert strip_indentation(children) == _by_character(pieces)
