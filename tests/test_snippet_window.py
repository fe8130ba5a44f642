"""The human format shows a bounded window of a long source line: at most about
`snippet.WIDTH` columns around the span, ``…`` where the line is cut, the carets under the
characters they mark (also where escaped characters are wider than one column), so a
one-line generated file with thousands of diagnostics prints in bounded size and time."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from nixeval.diagnostics import Diagnostic, Label, Severity, render_human
from nixeval.snippet import WIDTH, rows
from nixeval.syntax.nodes import Span
from nixeval.syntax.source import Source

SOURCE_ROW = re.compile(r"^(\d+) \| (.*)$")
MARK_ROW = re.compile(r"^ +\| ( *)([\^-]+)(?: (.*))?$")


def snippets(human: str) -> list[tuple[str, int, int, str]]:
    """Each mark row of a human rendering: (the source row above it, the mark's column in
    that row, its width, its label)."""
    found = []
    source = ""
    for line in human.split("\n"):
        if m := SOURCE_ROW.match(line):
            source = m.group(2)
        elif (m := MARK_ROW.match(line)) and source:
            found.append((source, len(m.group(1)), len(m.group(2)), m.group(3) or ""))
    return found


def test_a_120_kb_line_with_40000_diagnostics_prints_in_bounded_size_and_time(
    tmp_path: Path,
) -> None:
    """`x: x: … 1`: every argument is unused (W002), each at the same 120 KB line. The
    output is read as it comes and the run stopped if it outgrows the bound, so the test
    fails fast where every diagnostic would print the whole line."""
    count = 40_000
    (tmp_path / "big.nix").write_text("x: " * count + "1\n")
    # Per diagnostic: headline, location, the window and its marks (at most ~WIDTH
    # columns each, `…` three bytes), the help note.
    bound = count * (4 * WIDTH + 200)
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nixeval", "check", "--format", "human", "big.nix"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    chunks: list[bytes] = []
    size = 0
    while chunk := proc.stdout.read(1 << 20):
        chunks.append(chunk)
        size += len(chunk)
        if size > bound:
            proc.kill()
            proc.wait()
            raise AssertionError(f"more than {bound} bytes for {count} diagnostics")
    proc.wait(timeout=120)
    elapsed = time.monotonic() - start
    out = b"".join(chunks).decode()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert out.count("warning[W002]") == count
    assert elapsed < 90, f"{elapsed:.1f} s"  # a single-digit number of seconds, unloaded
    assert max(map(len, out.split("\n"))) <= WIDTH + 10
    marks = snippets(out)
    assert len(marks) == count
    for row, column, width, _ in marks:
        assert row[column : column + width] == "x", row


def _one_line_of_bindings(count: int) -> tuple[str, list[str]]:
    """A one-line let whose bindings are all unused (W001), their strings holding characters
    shown escaped (wider than one column) and tabs; and the names in order."""
    names = [f"name{i}" for i in range(count)]
    bindings = " ".join(f'{n} = "\x1b[2J\u202e\t{i}";' for i, n in enumerate(names))
    return f"let {bindings} in {{ }}\n", names


def test_carets_are_under_their_names_in_each_window(tmp_path: Path) -> None:
    text, names = _one_line_of_bindings(600)
    (tmp_path / "ci.nix").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", "check", "--format", "human", "ci.nix"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    messages = re.findall(r"unused let binding '(\w+)'", proc.stdout)
    assert messages == names
    marks = snippets(proc.stdout)
    assert len(marks) == len(names)
    for (row, column, width, _), name in zip(marks, names, strict=True):
        assert row[column : column + width] == name, (row, column)
        assert len(row) <= WIDTH + 2 and "\x1b" not in row and "\t" not in row
    first, middle, last = marks[0][0], marks[len(marks) // 2][0], marks[-1][0]
    assert first.startswith("let name0 ") and first.endswith("…")
    assert middle.startswith("…") and middle.endswith("…")
    assert last.startswith("…") and last.endswith(" in { }")


def _e003(text: str) -> Diagnostic:
    first = text.index("a =")
    second = text.index("a =", first + 1)
    return Diagnostic(
        Severity.ERROR,
        "E003",
        "attribute 'a' already defined",
        Source("ci.nix", text),
        Span(second, second + 1),
        (Label(Span(first, first + 1), "first defined here"),),
    )


def test_spans_far_apart_on_one_line_get_a_window_each() -> None:
    text = "{ a = 1; " + "b = 0; " * 1000 + "a = 2; }\n"
    human = render_human([_e003(text)])
    marks = snippets(human)
    assert [(row[column], label) for row, column, _, label in marks] == [
        ("a", "first defined here"),
        ("a", ""),
    ]
    assert human.count("\n1 | ") == 2  # the line twice, a window for each span
    assert len(human) < 6 * WIDTH


def test_spans_close_together_share_a_window() -> None:
    text = "{ a = 1; " + "b = 0; " * 5 + "a = 2; " + "c = 3; " * 1000 + "}\n"
    human = render_human([_e003(text)])
    assert human.count("\n1 | ") == 1
    assert [row[column] for row, column, _, _ in snippets(human)] == ["a", "a"]


def test_a_short_line_is_shown_whole() -> None:
    text = "{ a = 1; a = 2; }"
    [row] = rows(text, 0, len(text), [(9, 10), (2, 3)])
    assert row.text == text  # no `…`, nothing cut
    assert [(m.span, m.column, m.width) for m in row.marks] == [(1, 2, 1), (0, 9, 1)]


def test_a_mark_at_the_end_of_a_long_line() -> None:
    """`[ 1 1 1 …` never closed: the error is just after the last character."""
    text = "[" + " 1" * 5000
    [row] = rows(text, 0, len(text), [(len(text), len(text))])
    assert row.text.startswith("…") and row.text.endswith(" 1")
    assert len(row.text) <= WIDTH + 1
    [mark] = row.marks
    assert (mark.column, mark.width) == (len(row.text), 1)


def test_a_span_running_past_the_window_is_marked_to_its_edge() -> None:
    text = "x" * 10_000
    [row] = rows(text, 0, len(text), [(5000, 9000)])
    [mark] = row.marks
    assert row.text.startswith("…") and row.text.endswith("…")
    assert row.text[mark.column] == "x" and mark.column + mark.width == len(row.text) - 1
