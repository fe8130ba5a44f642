"""Hypothesis strategies for random well-formed closed Nix expressions, built by type.

Each strategy yields the text of an expression of one Nix type (int, string, bool, list,
set), composed from literals, operators, let, lambdas applied on the spot, attribute
selection and builtins calls, so that most programs evaluate; those that fail must fail
in Nix too (division by zero, an index out of range).
"""

from __future__ import annotations

from hypothesis import strategies as st

SMALL_INTS = st.integers(min_value=-20, max_value=20).map(lambda i: f"({i})" if i < 0 else str(i))
WORDS = st.sampled_from(
    ["", "a", "nix", "ci-eval", "x y", "é", 'q"uote', "back\\\\slash", "$dollar"]
)
NAMES = st.sampled_from(["a", "b", "c", "key", "x-y", "_z"])


def _str_literal(s: str) -> str:
    return '"' + s.replace('"', '\\"').replace("$", "\\$") + '"'


def ints(depth: int = 3) -> st.SearchStrategy[str]:
    if depth <= 0:
        return SMALL_INTS
    sub = ints(depth - 1)
    return st.one_of(
        SMALL_INTS,
        st.tuples(sub, st.sampled_from(["+", "-", "*"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(sub, sub).map(lambda t: f"({t[0]} / {t[1]})"),
        strings(depth - 1).map(lambda s: f"(builtins.stringLength {s})"),
        lists(depth - 1).map(lambda xs: f"(builtins.length {xs})"),
        st.tuples(bools(depth - 1), sub, sub).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
        st.tuples(NAMES, sub, sub).map(lambda t: f"(let {t[0]} = {t[1]}; in {t[0]} + {t[2]})"),
        st.tuples(sub, sub).map(lambda t: f"((x: x * 2 + {t[0]}) {t[1]})"),
        st.tuples(attrsets(depth - 1), NAMES, sub).map(lambda t: f"(({t[0]}).{t[1]} or {t[2]})"),
        lists(depth - 1).map(
            lambda xs: f"(builtins.foldl' (a: b: a + builtins.length [ b ]) 0 {xs})"
        ),
        st.tuples(sub, sub).map(lambda t: f"(builtins.bitXor {t[0]} {t[1]})"),
    )


def strings(depth: int = 3) -> st.SearchStrategy[str]:
    literal = WORDS.map(_str_literal)
    if depth <= 0:
        return literal
    return st.one_of(
        literal,
        st.tuples(strings(depth - 1), strings(depth - 1)).map(lambda t: f"({t[0]} + {t[1]})"),
        st.tuples(WORDS, ints(depth - 1)).map(
            lambda t: f'"{t[0].replace(chr(34), "")}${{toString {t[1]}}}"'
        ),
        lists(depth - 1).map(lambda xs: f'(builtins.concatStringsSep "," (map toString {xs}))'),
        attrsets(depth - 1).map(
            lambda a: f'(builtins.concatStringsSep " " (builtins.attrNames {a}))'
        ),
        st.tuples(strings(depth - 1), SMALL_INTS, SMALL_INTS).map(
            lambda t: f"(builtins.substring {t[1].strip('()').lstrip('-')} {t[2]} {t[0]})"
        ),
        st.tuples(strings(depth - 1)).map(
            lambda t: f'(builtins.replaceStrings [ "a" ] [ "AA" ] {t[0]})'
        ),
        attrsets(depth - 1).map(lambda a: f"(builtins.toJSON {a})"),
        st.tuples(bools(depth - 1)).map(lambda t: f"(toString {t[0]})"),
    )


def bools(depth: int = 3) -> st.SearchStrategy[str]:
    literal = st.sampled_from(["true", "false"])
    if depth <= 0:
        return literal
    return st.one_of(
        literal,
        st.tuples(
            ints(depth - 1), st.sampled_from(["<", "<=", "==", "!=", ">", ">="]), ints(depth - 1)
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(bools(depth - 1), st.sampled_from(["&&", "||", "->"]), bools(depth - 1)).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        bools(depth - 1).map(lambda b: f"(!{b})"),
        st.tuples(attrsets(depth - 1), NAMES).map(lambda t: f"({t[0]} ? {t[1]})"),
        st.tuples(lists(depth - 1), lists(depth - 1)).map(lambda t: f"({t[0]} == {t[1]})"),
        st.tuples(strings(depth - 1), strings(depth - 1)).map(lambda t: f"({t[0]} < {t[1]})"),
        lists(depth - 1).map(lambda xs: f"(builtins.elem 1 {xs})"),
    )


def lists(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.lists(SMALL_INTS, max_size=4).map(lambda xs: "[ " + " ".join(xs) + " ]")
    if depth <= 0:
        return leaf
    sub = lists(depth - 1)
    return st.one_of(
        leaf,
        st.lists(st.one_of(ints(depth - 1), strings(depth - 1)), max_size=3).map(
            lambda xs: "[ " + " ".join(f"({x})" for x in xs) + " ]"
        ),
        st.tuples(sub, sub).map(lambda t: f"({t[0]} ++ {t[1]})"),
        sub.map(lambda xs: f"(map (x: x * 3) {xs})"),
        sub.map(lambda xs: f"(builtins.filter (x: x > 0) {xs})"),
        sub.map(lambda xs: f"(builtins.sort builtins.lessThan {xs})"),
        ints(depth - 1).map(lambda n: f"(builtins.genList (i: i * i) (builtins.bitAnd {n} 7))"),
        attrsets(depth - 1).map(lambda a: f"(builtins.attrNames {a})"),
        sub.map(lambda xs: f"(builtins.concatLists [ {xs} {xs} ])"),
    )


def attrsets(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.dictionaries(NAMES, SMALL_INTS, max_size=3).map(
        lambda d: "{ " + "".join(f"{k} = {v}; " for k, v in d.items()) + "}"
    )
    if depth <= 0:
        return leaf
    sub = attrsets(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, sub).map(lambda t: f"({t[0]} // {t[1]})"),
        st.dictionaries(
            NAMES, st.one_of(ints(depth - 1), strings(depth - 1), lists(depth - 1)), max_size=3
        ).map(lambda d: "{ " + "".join(f"{k} = {v}; " for k, v in d.items()) + "}"),
        st.tuples(NAMES, ints(depth - 1)).map(
            lambda t: f"rec {{ {t[0]}1 = {t[1]}; {t[0]}2 = {t[0]}1 + 1; }}"
        ),
        sub.map(lambda a: f"(builtins.mapAttrs (n: v: v) {a})"),
        st.tuples(sub, NAMES).map(lambda t: f'(builtins.removeAttrs {t[0]} [ "{t[1]}" ])'),
        lists(depth - 1).map(
            lambda xs: (
                "(builtins.listToAttrs (map (x: "
                f'{{ name = "k${{toString x}}"; value = x; }}) {xs}))'
            )
        ),
    )


EXPRESSIONS = st.one_of(ints(), strings(), bools(), lists(), attrsets())
