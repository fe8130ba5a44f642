"""Parsing large files near Nix's speed (issue 15): the parser's work per token, counted
rather than timed (a count does not depend on the machine's load), and the node classes'
faster construction keeping every behaviour of a frozen, slotted dataclass.

The figures are in bench/README.md ("Parsing large files"); bench/library_bench.py
(parse-5mb) and bench/check_bench.py (large file) time the whole process against
``nix-instantiate --parse``."""

from __future__ import annotations

import dataclasses
import pickle
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from nixeval.syntax import Source, nodes, parse
from nixeval.syntax.lexer import tokenize
from nixeval.syntax.printer import to_nix

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").rglob("*.nix"))


def _parses(path: Path) -> bool:
    try:
        parse(path.read_text(encoding="utf-8"), str(path))
    except Exception:
        return False
    return True


def calls_per_token(text: str) -> tuple[float, float]:
    """Python function calls and C function calls made per token by a parse of `text`."""
    tokens = sum(1 for _ in tokenize(Source("x.nix", text)))
    parse(text)  # once before counting: what is computed once per process is not counted
    counts = {"call": 0, "c_call": 0}

    def count(frame: FrameType, event: str, arg: Any) -> None:
        if event in counts:
            counts[event] += 1

    sys.setprofile(count)
    try:
        parse(text)
    finally:
        sys.setprofile(None)
    return counts["call"] / tokens, counts["c_call"] / tokens


def test_fixtures_are_there() -> None:
    assert len([p for p in FIXTURES if _parses(p)]) >= 20


@pytest.mark.parametrize("name", ["neat-network/ci.nix", "typical/ci.nix"])
def test_parse_work_per_token_is_bounded(name: str) -> None:
    """Before: ~12 Python calls and ~26 C calls per token (a lexer method per rule tried,
    a span helper per child, a table lookup per precedence level a value climbs). Common
    tokens now take one lexer call, callbacks build spans inline, and a chain of unit
    reductions is one lookup."""
    python_calls, c_calls = calls_per_token((ROOT / "fixtures" / name).read_text())
    assert python_calls <= 9.0, python_calls
    assert c_calls <= 20.0, c_calls


def test_parse_work_per_token_on_all_fixtures() -> None:
    text = "[\n" + "\n".join(f"({p.read_text()})" for p in FIXTURES if _parses(p)) + "\n]\n"
    python_calls, c_calls = calls_per_token(text)
    assert python_calls <= 9.0, python_calls
    assert c_calls <= 20.0, c_calls


def test_fast_paths_keep_nix_longest_match() -> None:
    """The lexer's fast paths for identifiers and punctuation leave these to the full
    longest-match rules: an identifier that goes on as a path or URI, `'` inside one."""
    cases = {
        "a.b/c": "a.b/c",
        "a+b/c": "a+b/c",
        "x:x": "x:x",
        "a-b.c:d": "a-b.c:d",
        "let a' = 1; in a'": "let a' = 1; in a'",
        "f a.b": "f a.b",
        "{ a = 1; }.a": "{ a = 1; }.a",
        "a/* c */ + b": "a + b",
    }
    for text, same in cases.items():
        assert to_nix(parse(text)) == to_nix(parse(same)), text
    assert isinstance(parse("a.b/c"), nodes.Path)
    assert isinstance(parse("a+b/c"), nodes.Path)
    assert isinstance(parse("x:x"), nodes.Uri)
    assert isinstance(parse("a.b"), nodes.Select)


@pytest.mark.parametrize("length", [1, 31, 32, 33, 200])
def test_an_identifier_before_a_long_run_of_path_characters(length: int) -> None:
    """The fast path looks at most 64 characters past an identifier for a '/' or ':' that
    makes it a path or URI; past that the full rules decide, with the same answers."""
    run = ".b" * length
    assert isinstance(parse(f"a{run}/c"), nodes.Path)
    assert isinstance(parse(f"a{run}:c"), nodes.Uri)
    assert isinstance(parse(f"a.b{run}/c"), nodes.Path)
    select = parse(f"a{run}")
    assert isinstance(select, nodes.Select) and len(select.path) == length
    assert isinstance(parse(f"{{ x = a{run}; }}"), nodes.AttrSet)
    assert isinstance(parse(f"f a{run} x/y"), nodes.Apply)


def _reference(cls: type) -> type:
    """The class as ``@dataclass(frozen=True, slots=True)`` makes it, same fields."""
    made: Any = dataclasses.make_dataclass(
        cls.__name__,
        [(f.name, Any, dataclasses.field(compare=f.compare)) for f in nodes.fields(cls)],
        frozen=True,
        slots=True,
    )
    return made  # type: ignore[no-any-return]


NODE_CLASSES = nodes.node_classes()


def test_every_node_class_is_listed() -> None:
    """`node_classes` (which stored trees and these tests go by) has every class that
    `_node` made: a class with slots and a frozen ``__setattr__`` of its own."""
    made = {
        c
        for c in vars(nodes).values()
        if isinstance(c, type) and "__setattr__" in vars(c) and "__slots__" in vars(c)
    }
    assert len(made) > 20 and made == set(NODE_CLASSES)


@pytest.mark.parametrize("cls", NODE_CLASSES, ids=lambda c: c.__name__)
def test_nodes_behave_as_frozen_slotted_dataclasses(cls: type) -> None:
    reference = _reference(cls)
    names = [f.name for f in nodes.fields(cls)]
    a_values = [nodes.Span(1, 2) if n == "span" else ("v", n) for n in names]
    b_values = [nodes.Span(3, 4) if n == "span" else ("v", n) for n in names]
    a, b = cls(*a_values), cls(**dict(zip(names, b_values, strict=True)))
    ra, rb = reference(*a_values), reference(*b_values)
    assert (a == b) == (ra == rb)
    assert (hash(a) == hash(b)) == (hash(ra) == hash(rb))
    assert hash(a) == hash(ra)
    assert repr(a) == repr(ra)
    assert a != ra and a.__eq__(ra) is NotImplemented
    assert cls.__slots__ == reference.__slots__  # type: ignore[attr-defined]
    assert cls.__match_args__ == reference.__match_args__  # type: ignore[attr-defined]
    for change in (lambda x: setattr(x, names[-1], 1), lambda x: delattr(x, names[-1])):
        with pytest.raises(dataclasses.FrozenInstanceError):
            change(ra)
        with pytest.raises(nodes.FrozenNodeError) as raised:  # an AttributeError too
            change(a)
        assert isinstance(raised.value, AttributeError)
    assert not hasattr(a, "__dict__")
    changed, expected = (
        f(x, **{names[-1]: "w"}) for f, x in ((nodes.replace, a), (dataclasses.replace, ra))
    )
    assert type(changed) is cls and repr(changed) == repr(expected)
    assert nodes.replace(a) == a and nodes.replace(a) is not a
    with pytest.raises(TypeError, match="no field 'nope'"):
        nodes.replace(a, nope=1)
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(TypeError):
        cls(*a_values, 1)


def test_nan_float_nodes_compare_as_dataclasses_do() -> None:
    """Fields compare as a tuple (identity first), as a dataclass's generated __eq__ does."""
    nan = float("nan")
    assert nodes.Float(nodes.Span(0, 1), nan) == nodes.Float(nodes.Span(2, 3), nan)
