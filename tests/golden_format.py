"""The chunked golden-file format shared by the syntax and parse-error tests.

A file holds chunks separated by a line ``---``. A chunk is::

    ### a title
    source text (any number of lines)
    >>>
    expected output (any number of lines)

Run the tests with ``UPDATE_GOLDEN=1`` to rewrite the expected parts from the actual
output; then read the diff: a golden is only as good as its review.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "\n---\n"
ARROW = "\n>>>\n"


@dataclass(frozen=True)
class Chunk:
    file: Path
    title: str
    source: str
    expected: str

    @property
    def id(self) -> str:
        return f"{self.file.stem}:{self.title}"


def load(path: Path) -> list[Chunk]:
    chunks: list[Chunk] = []
    for raw in path.read_text(encoding="utf-8").split(SEPARATOR):
        raw = raw.strip("\n")
        if not raw:
            continue
        head, _, rest = raw.partition("\n")
        assert head.startswith("### "), f"{path}: chunk without a '### title' line: {raw[:40]!r}"
        source, _, expected = rest.partition(ARROW)
        chunks.append(Chunk(path, head[4:], source, expected.strip("\n")))
    return chunks


def check(chunk: Chunk, actual: str, render_all: Callable[[], dict[str, str]]) -> None:
    """Compare, or with UPDATE_GOLDEN=1 rewrite the file from `render_all` (title -> output)."""
    if os.environ.get("UPDATE_GOLDEN"):
        outputs = render_all()
        parts = []
        for c in load(chunk.file):
            parts.append(f"### {c.title}\n{c.source}{ARROW}{outputs[c.title]}")
        chunk.file.write_text(SEPARATOR.join(parts) + "\n", encoding="utf-8")
        return
    assert actual == chunk.expected, (
        f"{chunk.id}\n--- expected\n{chunk.expected}\n--- actual\n{actual}"
    )
