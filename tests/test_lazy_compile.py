"""A set's, a recursive set's and a let's members are compiled when a thunk of one is first
forced, and once: a library's sets are mostly never forced, and compiling them is much of a
short run (issue 15). What they evaluate to is the corpora's business
(tests/corpus/eval, checked against Nix 2.8); here, what is compiled and how often."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from nixeval.eval.force import force
from nixeval.eval.machine import Machine
from nixeval.frontend import parse_checked
from nixeval.printing import force_deep
from nixeval.syntax import Source
from nixeval.syntax import nodes as n


def compiled_texts(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Counter[str]]:
    """The value of `text`, forced deeply, and how often each of its expressions' code
    was compiled (by the source text of the expression)."""
    source = Source("/nonexistent/lazy.nix", text)
    seen: Counter[str] = Counter()
    real = Machine.compile

    def counting(self: Machine, e: n.Expr, scope: Any = None) -> Any:
        seen[text[e.span.start : e.span.end]] += 1
        return real(self, e, scope)

    monkeypatch.setattr(Machine, "compile", counting)
    m = Machine(search_path=[], unknowns=True, pure=True, allowed_paths=["/nonexistent"])
    expr, problems = parse_checked(source)
    assert expr is not None, problems
    value = m.eval(expr, m.file_env(source, "/nonexistent"))
    force_deep(m, value)
    return force(value), seen


@pytest.mark.parametrize(
    "text",
    [
        "{ used = 40 + 2; unused = 1 - 1; }.used",
        "(rec { used = 40 + other; other = 2 * 1; unused = 1 - 1; }).used",
        "let used = 40 + 2; unused = 1 - 1; in used",
    ],
    ids=["set", "rec", "let"],
)
def test_a_member_never_forced_is_never_compiled(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    value, seen = compiled_texts(text, monkeypatch)
    assert value == 42
    assert seen["40 + 2"] + seen["40 + other"] == 1
    assert seen["1 - 1"] == 0


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("map (i: { v = i + 1; w = i; }) (builtins.genList (x: x) 50)", "i + 1"),
        ("map (i: rec { v = i + w; w = i; }) (builtins.genList (x: x) 50)", "i + w"),
        ("map (i: let v = i + 1; in [ v ]) (builtins.genList (x: x) 50)", "i + 1"),
    ],
    ids=["set", "rec", "let"],
)
def test_a_member_is_compiled_once_for_every_set_made(
    text: str, member: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first thunk compiles the member; the sets made after it run that code directly,
    # and so do the thunks made before it was compiled.
    value, seen = compiled_texts(text, monkeypatch)
    assert len(value) == 50
    assert seen[member] == 1
