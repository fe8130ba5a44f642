"""Hypothesis strategies that write random Nix programs following grammar/nix.lark.

They aim at the parser's corners: operator chains without parentheses (so precedence and
associativity decide the tree), prefix operators in odd places, `or` as a name, strings
and paths with interpolation and escapes, every binding and lambda form. Some programs are
rejected by Nix's rules (a duplicate attribute, `a < b < c`); tests `assume` those away.
"""

from __future__ import annotations

from hypothesis import strategies as st

IDENTS = st.sampled_from(["a", "b", "x", "y", "pkgs", "lib", "f", "g", "x'", "a-b", "_c", "e3"])
ATTR_NAMES = st.sampled_from(["a", "b", "or", "c-d", '"x y"', '"${k}"', '${"s"}', "${k}"])
BINARY_OPS = st.sampled_from(
    ["->", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "//", "+", "-", "*", "/", "++"]
)

_STRING_TEXT = st.text(alphabet=st.sampled_from(list("ab $'{}\\\"\n\tß🙂")), max_size=8).map(
    lambda s: s.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$\\{")
)

_IND_TEXT = st.text(alphabet=st.sampled_from(list("ab $'{}\n  \tß")), max_size=10).map(
    lambda s: s.replace("''", "'''").replace("${", "''${").rstrip("'")
)

_ATOMS = st.one_of(
    IDENTS,
    st.integers(min_value=0, max_value=2**63 - 1).map(str),
    st.sampled_from(["1.5", ".5", "2.", "1.0e3", "0.25e-2"]),
    st.sampled_from(["./a.nix", "../b/c", "/etc/x", "~/src", "a/b", "<nixpkgs>", "<n/lib>"]),
    st.sampled_from(["https://x.org/a?b=c", "x:x", "__curPos", "true", "null"]),
    _STRING_TEXT.map(lambda s: f'"{s}"'),
)


def _binds(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    bind = st.one_of(
        st.tuples(st.lists(ATTR_NAMES, min_size=1, max_size=3), children).map(
            lambda t: f"{'.'.join(t[0])} = {t[1]};"
        ),
        st.lists(IDENTS, min_size=0, max_size=3).map(lambda ns: f"inherit {' '.join(ns)};"),
        st.tuples(children, st.lists(IDENTS, min_size=1, max_size=2)).map(
            lambda t: f"inherit ({t[0]}) {' '.join(t[1])};"
        ),
    )
    return st.lists(bind, max_size=4).map(" ".join)


def _let_binds(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    bind = st.tuples(st.lists(IDENTS, min_size=1, max_size=2), children).map(
        lambda t: f"{'.'.join(t[0])} = {t[1]};"
    )
    return st.lists(bind, max_size=3).map(" ".join)


def _formals(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    formal = st.one_of(IDENTS, st.tuples(IDENTS, children).map(lambda t: f"{t[0]} ? {t[1]}"))
    return st.tuples(st.lists(formal, max_size=3), st.booleans(), st.booleans()).map(
        lambda t: (
            "{ "
            + ", ".join(t[0] + (["..."] if t[1] else []))
            + ("," if t[2] and t[0] and not t[1] else "")
            + " }"
        )
    )


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    simple = st.one_of(
        _ATOMS,
        children.map(lambda e: f"({e})"),
        st.lists(children.map(lambda e: f"({e})"), max_size=3).map(
            lambda xs: f"[ {' '.join(xs)} ]"
        ),
        _binds(children).map(lambda b: f"{{ {b} }}"),
        _binds(children).map(lambda b: f"rec {{ {b} }}"),
        _let_binds(children).map(lambda b: f"let {{ {b} body = 1; }}"),
        st.tuples(_STRING_TEXT, children, _STRING_TEXT).map(lambda t: f'"{t[0]}${{{t[1]}}}{t[2]}"'),
        st.tuples(_IND_TEXT, children, _IND_TEXT).map(
            lambda t: f"''\n  {t[0]}${{ {t[1]} }}{t[2]}''"
        ),
        st.tuples(children, st.sampled_from(["", ".nix", "/x"])).map(
            lambda t: f"./a/${{{t[0]}}}{t[1]}"
        ),
    )
    select = st.one_of(
        simple,
        st.tuples(simple, st.lists(ATTR_NAMES, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}.{'.'.join(t[1])}"
        ),
        st.tuples(simple, ATTR_NAMES, simple).map(lambda t: f"{t[0]}.{t[1]} or {t[2]}"),
        simple.map(lambda s: f"{s} or"),
    )
    operand = st.one_of(
        select,
        st.lists(select, min_size=2, max_size=3).map(" ".join),
        select.map(lambda s: f"-{s}"),
        select.map(lambda s: f"!{s}"),
        st.tuples(select, st.lists(ATTR_NAMES, min_size=1, max_size=2)).map(
            lambda t: f"{t[0]} ? {'.'.join(t[1])}"
        ),
    )
    chain = st.tuples(operand, st.lists(st.tuples(BINARY_OPS, operand), max_size=4)).map(
        lambda t: t[0] + "".join(f" {op} {x}" for op, x in t[1])
    )
    return st.one_of(
        chain,
        st.tuples(IDENTS, children).map(lambda t: f"{t[0]}: {t[1]}"),
        st.tuples(_formals(children), children).map(lambda t: f"{t[0]}: {t[1]}"),
        st.tuples(IDENTS, _formals(children), children).map(lambda t: f"{t[0]}@{t[1]}: {t[2]}"),
        st.tuples(_formals(children), IDENTS, children).map(lambda t: f"{t[0]} @ {t[1]}: {t[2]}"),
        st.tuples(children, children).map(lambda t: f"with {t[0]}; {t[1]}"),
        st.tuples(children, children).map(lambda t: f"assert {t[0]}; {t[1]}"),
        st.tuples(children, children, children).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
        st.tuples(_let_binds(children), children).map(lambda t: f"let {t[0]} in {t[1]}"),
    )


EXPRESSIONS: st.SearchStrategy[str] = st.recursive(_ATOMS, _extend, max_leaves=12)
