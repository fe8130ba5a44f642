"""Differential parse tests: ci-eval must accept exactly what Nix 2.8 accepts.

The corpus lives in ``tests/corpus/parse/*.txt``.  Each file is a sequence of
chunks separated by a line that is exactly ``---``.  Every chunk starts with a
header line ``### ok`` or ``### error`` (optionally followed by free-form
words).  The header is a Nix comment, so it is part of the snippet.  Files are
read byte-exact (``newline=""``) so chunks may contain CRLF line endings,
tabs, form feeds and other odd whitespace.

Three checks run on every chunk:

* ``test_nix_agrees_with_header`` -- the header is the truth as decided by
  real ``nix-instantiate --parse`` (which also rejects undefined variables,
  duplicate attributes/formals and dynamic attributes in ``let``/``inherit``).
* ``test_ci_eval_agrees_with_header`` -- ``nixeval.cli.main(["--parse", f])``
  exits 0 exactly when the header says ``ok``, and prints a ``line:col``
  diagnostic otherwise.
* ``test_roundtrip`` -- for valid chunks, pretty-printing the AST and parsing
  it again yields an equal AST.

A few cases cannot be expressed as corpus chunks (the header comment makes
every chunk non-empty and newline-terminated); they live in ``RAW_CASES``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

CORPUS_DIR = Path(__file__).resolve().parent / "corpus" / "parse"
SEPARATOR = "---"
HEADER_RE = re.compile(r"^### (ok|error)(?:[ \t][^\n]*)?$")
POSITION_RE = re.compile(r":\d+:\d+")
SNIPPET_NAME = "snippet.nix"
NIX_TIMEOUT_S = 120.0


class Chunk(NamedTuple):
    """One corpus snippet; ``text`` includes the header comment line."""

    file: str
    chunk_index: int  # 0-based position within the file
    header_ok: bool
    text: str
    line_number: int

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line_number}"


def parse_corpus_text(name: str, content: str) -> Iterator[Chunk]:
    """Split one corpus file into chunks.

    ``content`` must have been read with ``newline=""`` so that carriage
    returns inside snippets survive.  Only ``\\n`` separates lines; a line
    ``---\\r`` is *not* a separator.
    """
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # final newline of the file
    start = 0
    index = 0
    for pos in range(len(lines) + 1):
        if pos < len(lines) and lines[pos] != SEPARATOR:
            continue
        body = lines[start:pos]
        line_number = start + 1
        if not body and pos == len(lines) and index > 0:
            return  # tolerate a trailing separator at the end of the file
        if not body:
            raise ValueError(f"{name}:{line_number}: empty chunk")
        header = body[0].rstrip("\r")
        match = HEADER_RE.match(header)
        if match is None:
            raise ValueError(
                f"{name}:{line_number}: chunk must start with '### ok' or "
                f"'### error', got {body[0]!r}"
            )
        yield Chunk(
            file=name,
            chunk_index=index,
            header_ok=match.group(1) == "ok",
            text="\n".join(body) + "\n",
            line_number=line_number,
        )
        index += 1
        start = pos + 1


def iter_chunks(directory: Path = CORPUS_DIR) -> Iterator[Chunk]:
    """Yield every chunk of every ``*.txt`` corpus file, in file order."""
    for path in sorted(directory.glob("*.txt")):
        with path.open(encoding="utf-8", newline="") as handle:
            content = handle.read()
        yield from parse_corpus_text(path.name, content)


class RawCase(NamedTuple):
    """A snippet that the chunk format cannot express (checked against nix)."""

    name: str
    text: str
    header_ok: bool

    @property
    def id(self) -> str:
        return f"raw:{self.name}"


RAW_CASES: tuple[RawCase, ...] = (
    RawCase("empty-file", "", False),
    RawCase("only-whitespace", " \n\t\r\n", False),
    RawCase("only-line-comment-no-newline", "# just a comment", False),
    RawCase("only-block-comment", "/* nothing here */", False),
    RawCase("int-no-final-newline", "1", True),
    RawCase("line-comment-at-eof-no-newline", "1 # trailing", True),
    RawCase("path-at-eof", "./a/b", True),
    RawCase("path-trailing-slash-at-eof", "./a/b/", False),
    RawCase("interpolated-path-at-eof", './a/${"b"}', True),
    RawCase("string-ending-in-dollar-at-eof", '"a$"', True),
    RawCase("unterminated-string-at-eof", '"abc', False),
    RawCase("unterminated-ind-string-at-eof", "''abc", False),
    RawCase("unterminated-block-comment-at-eof", "1 /* abc", False),
    RawCase("utf8-bom", "\ufeff1\n", False),
    RawCase("nul-byte-ends-input", "1\x00 )garbage(\n", True),
    RawCase("cr-only-line-endings", "let\ra = 1;\rin\ra\r", True),
)

CHUNKS: list[Chunk] = list(iter_chunks())
VALID_CHUNKS: list[Chunk] = [c for c in CHUNKS if c.header_ok]
VALID_RAW: list[RawCase] = [r for r in RAW_CASES if r.header_ok]

Case = Chunk | RawCase


def _case_id(case: Case) -> str:
    return case.id


def _write_snippet(directory: Path, text: str) -> Path:
    path = directory / SNIPPET_NAME
    # Byte-exact: no newline translation, UTF-8 as in the corpus files.
    path.write_bytes(text.encode("utf-8"))
    return path


class NixVerdict(NamedTuple):
    returncode: int
    output: str


def _run_nix(case: Case) -> tuple[str, NixVerdict]:
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    with tempfile.TemporaryDirectory(prefix="nixparse-") as tmp:
        tmp_dir = Path(tmp)
        path = _write_snippet(tmp_dir, case.text)
        env = dict(os.environ)
        env["NIX_REMOTE"] = "dummy://"
        env["HOME"] = str(tmp_dir)
        proc = subprocess.run(
            [exe, "--parse", str(path)],
            cwd=tmp_dir,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=NIX_TIMEOUT_S,
            check=False,
        )
    return case.id, NixVerdict(proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def nix_verdicts(request: pytest.FixtureRequest) -> dict[str, NixVerdict]:
    """Run ``nix-instantiate --parse`` once on every selected case (2 workers)."""
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not on PATH")
    selected: list[Case] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if (
            getattr(item, "originalname", None) == "test_nix_agrees_with_header"
            and callspec is not None
            and getattr(item, "module", None) is sys.modules[__name__]
        ):
            selected.append(callspec.params["case"])
    cases: list[Case] = selected or [*CHUNKS, *RAW_CASES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(_run_nix, cases))


def _snippet_excerpt(case: Case) -> str:
    return "\n".join(f"    | {line}" for line in case.text.split("\n"))


def test_corpus_size() -> None:
    assert len(CHUNKS) >= 200
    assert any(c.header_ok for c in CHUNKS)
    assert any(not c.header_ok for c in CHUNKS)
    ids = [c.id for c in CHUNKS]
    assert len(ids) == len(set(ids))


def test_chunk_splitting() -> None:
    content = "### ok\n1\r\n---\n### error missing semicolon\n{ a = 1 }\n---\r\n---\n"
    chunks = list(parse_corpus_text("t.txt", content))
    assert [(c.chunk_index, c.header_ok, c.line_number) for c in chunks] == [
        (0, True, 1),
        (1, False, 4),
    ]
    assert chunks[0].text == "### ok\n1\r\n"
    assert chunks[1].text == "### error missing semicolon\n{ a = 1 }\n---\r\n"
    with pytest.raises(ValueError):
        list(parse_corpus_text("t.txt", "### okay\n1\n"))
    with pytest.raises(ValueError):
        list(parse_corpus_text("t.txt", "### ok\n1\n---\n---\n### ok\n2\n"))


@pytest.mark.parametrize("case", [*CHUNKS, *RAW_CASES], ids=_case_id)
def test_nix_agrees_with_header(case: Case, nix_verdicts: dict[str, NixVerdict]) -> None:
    verdict = nix_verdicts[case.id]
    assert verdict.returncode in (0, 1), (
        f"nix-instantiate crashed ({verdict.returncode}):\n{verdict.output}"
    )
    accepted = verdict.returncode == 0
    assert accepted == case.header_ok, (
        f"{case.id}: header says {'ok' if case.header_ok else 'error'} but nix "
        f"{'accepts' if accepted else 'rejects'} it:\n"
        f"{_snippet_excerpt(case)}\nnix output:\n{verdict.output}"
    )


@pytest.mark.parametrize("case", [*CHUNKS, *RAW_CASES], ids=_case_id)
def test_ci_eval_agrees_with_header(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nixeval.cli import main

    path = _write_snippet(tmp_path, case.text)
    try:
        status = main(["--parse", str(path)])
    except SystemExit as exc:  # argparse-style exits are tolerated
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    assert status in (0, 1), f"unexpected exit status {status}"
    accepted = status == 0
    assert accepted == case.header_ok, (
        f"{case.id}: nix {'accepts' if case.header_ok else 'rejects'} it but "
        f"ci-eval {'accepts' if accepted else 'rejects'} it:\n"
        f"{_snippet_excerpt(case)}\nci-eval stderr:\n{captured.err}"
    )
    if not accepted:
        assert POSITION_RE.search(captured.err), (
            f"rejection without a line:col position:\n{captured.err}"
        )


@pytest.mark.parametrize("case", [*VALID_CHUNKS, *VALID_RAW], ids=_case_id)
def test_roundtrip(case: Case) -> None:
    from nixeval.syntax import parse
    from nixeval.syntax.printer import to_nix

    e1 = parse(case.text, SNIPPET_NAME)
    printed = to_nix(e1)
    e2 = parse(printed, SNIPPET_NAME)
    assert e1 == e2, f"round trip changed the AST; printed form:\n{printed}"
